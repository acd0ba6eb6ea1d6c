// A fused kernel (or a matmul's epilogue) as a Wasm loop nest.
//
// 1. Axes of size 1 are dropped and neighbouring axes that every access walks as one (stride of the
//    outer = stride of the inner × its size, no `index` node on either) are merged, so an
//    elementwise kernel over a contiguous [8, 3, 5] tensor is one loop of 120.
// 2. Every node is placed at the loop depth of the innermost axis it depends on (loop-invariant
//    code motion): constants and per-row values (softmax's max) are computed once, outside the
//    loops that do not change them. Nodes that depend on the reduced value (`acc`) come after the
//    reduction loops.
// 3. One axis may be vectorized, four lanes at a time (f32x4 / i32x4), with a scalar loop for the
//    remainder: the innermost output axis, or, in a reduction, the innermost reduced axis (row
//    sums) or the innermost output axis (column sums, four accumulators side by side). Lanes read
//    with stride 1 are one v128.load, stride 0 a splat of a scalar, other strides four lane loads;
//    a gather or guard that differs between lanes keeps the kernel scalar.
// 4. Each access walks a pointer: per loop that changes it, a local set from the enclosing one on
//    entry and advanced by its stride at the end of each iteration (no multiplications).
// 5. With `ranged`, the outermost output loop runs over [$begin, $end) of its positions (the
//    function's parameters), so threads can share the index space (runtime/cpu/); the other loops
//    are whole. The loop nest reports how many positions that loop has (its `units`).
// 6. A load with a data-dependent index (gather, take_along_axis, x[i]) first checks the index with
//    one unsigned compare against its bound (bounds.ts) and calls `fail` when it is outside.
// f32 sums accumulate in float64 (as the interpreter does); a column-vectorized sum adds each output
// in the interpreter's order, a row-vectorized one in four interleaved partial sums.
import { sizeOf, type DType } from '../../ir/graph.ts';
import { rowMajor } from '../../schedule/index_map.ts';
import type { Expr, ExprId, Reduction } from '../../kernel/ir.ts';
import { exprRefs, reachable } from '../../kernel/exprs.ts';
import { isBinaryExpr, isUnaryExpr } from '../../kernel/ops.ts';
import { indexBound } from './bounds.ts';
import {
  divByConstant, FAIL, failCall, fromLanes, lane, scalarBinary, scalarCast, scalarConst, scalarUnary, splat, vectorBinary, vectorCast, vectorUnary,
  type Needs,
} from './ops.ts';
import { f32, f64, FuncBuilder, get, i32, scalarType, ZERO_V128 } from './wat.ts';

/** What the loop-nest emitter needs of a kernel, with every buffer already at its byte address. */
export interface LoopKernel {
  readonly shape: readonly number[];
  readonly exprs: readonly Expr[];
  readonly reduce: Reduction | null;
  /** Output byte addresses with the value each stores (row-major over `shape`). */
  readonly stores: readonly { readonly value: ExprId; readonly address: number }[];
  /** Byte address of each input slot. */
  readonly inputs: readonly number[];
  /** Shape of the buffer bound to each input slot (for the bounds of gather indices). */
  readonly inputShapes: readonly (readonly number[])[];
  /** The outermost output loop runs over [$begin, $end) (parameters of the function) instead of all of it. */
  readonly ranged?: boolean;
  /** A matmul epilogue: `acc` is read from a buffer of products (element strides over `shape`) and scaled by alpha. */
  readonly acc?: { readonly address: number; readonly strides: readonly number[]; readonly alpha: number };
}

interface Stream {
  readonly base: number;
  /** Element strides per loop position. */
  readonly strides: readonly number[];
}

interface Position {
  readonly size: number;
  /** The innermost original axis merged into this loop. */
  readonly last: number;
}


/** How a loop nest can be shared between threads. */
export interface LoopSplit {
  /** Positions of the outermost output loop (what $begin and $end count); 1 if it cannot be split. */
  readonly units: number;
  /** Ranges should start at multiples of this (4 when that loop is the vectorized one). */
  readonly granule: number;
  /** Element operations in all, roughly: what decides whether threads are worth waking. */
  readonly work: number;
  /** Work every call repeats whatever its range (none: each call only does its own positions). */
  readonly repeat: number;
}

export function emitLoops(fn: FuncBuilder, k: LoopKernel, needs: Needs): LoopSplit {
  return new LoopEmitter(fn, k, needs).emit();
}

class LoopEmitter {
  private readonly exprs: readonly Expr[];
  private readonly red: Reduction | null;
  private readonly emptyReduce: boolean;
  private positions: Position[] = [];
  private nOut = 0;
  /** Original axis → loop position; -1 for a dropped axis of size 1. */
  private axisPos: number[] = [];
  private streams: Stream[] = [];
  /** Load (and acc) node → its stream; store k → its stream. */
  private readonly nodeStream = new Map<ExprId, number>();
  private storeStreams: number[] = [];
  private level: number[] = [];
  private post: boolean[] = [];
  private vecDep: boolean[] = [];
  private needsSplat: boolean[] = [];
  /** The vectorized loop position, or -1. */
  private vp = -1;
  private modeO = false;
  private readonly accIds: ExprId[];
  /** Nodes only the reduced value needs: never computed when the reduction is empty. */
  private readonly skipped = new Set<ExprId>();
  /** Whether loop position 0 runs over [$begin, $end). */
  private ranged = false;

  constructor(
    private readonly fn: FuncBuilder,
    private readonly k: LoopKernel,
    private readonly needs: Needs,
  ) {
    this.exprs = k.exprs;
    this.red = k.reduce;
    this.emptyReduce = this.red !== null && sizeOf(this.red.shape) === 0;
    this.accIds = this.exprs.flatMap((e, id) => (e.op === 'acc' ? [id] : []));
    if (this.emptyReduce) {
      const epilogue = reachable(this.exprs, k.stores.map((s) => s.value));
      for (const id of reachable(this.exprs, [this.red!.value])) if (!epilogue.has(id)) this.skipped.add(id);
    }
  }

  emit(): LoopSplit {
    const k = this.k;
    const whole: LoopSplit = { units: 1, granule: 1, work: 1, repeat: 0 };
    if (sizeOf(k.shape) === 0) {
      this.fn.comment('empty output: nothing to do');
      return whole;
    }
    if (this.emptyReduce && this.red!.op !== 'sum') {
      this.fn.line(failCall(this.red!.op === 'max' ? FAIL.emptyMax : FAIL.emptyMin));
      return whole;
    }
    this.buildNest();
    this.ranged = k.ranged === true && this.nOut > 0;
    this.analyse();
    this.chooseVector();
    this.describe();
    this.emitDepth(0, false);
    const inner = this.red === null || this.emptyReduce ? 1 : sizeOf(this.red.shape);
    const work = sizeOf(k.shape) * inner * Math.max(1, this.exprs.length);
    return this.ranged ? { units: this.positions[0]!.size, granule: this.vp === 0 ? 4 : 1, work, repeat: 0 } : { ...whole, work };
  }

  // ---- the loop nest ----------------------------------------------------------------------------

  private buildNest(): void {
    const k = this.k;
    const rank = k.shape.length;
    const rshape = this.red === null || this.emptyReduce ? [] : this.red.shape;
    const sizes = [...k.shape, ...rshape];
    const all = sizes.length;
    const pad = (s: readonly number[]): number[] => [...s, ...new Array<number>(Math.max(0, all - s.length)).fill(0)].slice(0, all);

    // Raw streams over original axes: loads, the matmul accumulator, stores.
    const raw: { base: number; strides: number[] }[] = [];
    const loadRaw = new Map<ExprId, number>();
    this.exprs.forEach((e, id) => {
      if (e.op === 'load') {
        loadRaw.set(id, raw.length);
        raw.push({ base: k.inputs[e.input]!, strides: pad(e.view.strides) });
      } else if (e.op === 'acc' && k.acc !== undefined) {
        loadRaw.set(id, raw.length);
        raw.push({ base: k.acc.address, strides: pad(k.acc.strides) });
      }
    });
    const storeRaw = k.stores.map((s) => {
      raw.push({ base: s.address, strides: pad(rowMajor(k.shape)) });
      return raw.length - 1;
    });

    const indexed = new Set<number>();
    for (const e of this.exprs) if (e.op === 'index' && sizes[e.axis] !== 1) indexed.add(e.axis);

    // Merge runs of axes within the output group and within the reduction group.
    const groups = [[...Array(rank).keys()], [...Array(rshape.length).keys()].map((a) => a + rank)];
    this.axisPos = new Array<number>(rank + (this.red?.shape.length ?? 0)).fill(-1);
    const positions: { axes: number[]; size: number }[] = [];
    groups.forEach((group, g) => {
      let cur: { axes: number[]; size: number } | null = null;
      for (const a of group) {
        if (sizes[a] === 1) continue;
        const last = cur?.axes[cur.axes.length - 1];
        const mergeable = cur !== null && last !== undefined && !indexed.has(last) && !indexed.has(a)
          && raw.every((s) => s.strides[last] === s.strides[a]! * sizes[a]!);
        if (mergeable) {
          cur!.axes.push(a);
          cur!.size *= sizes[a]!;
        } else {
          cur = { axes: [a], size: sizes[a]! };
          positions.push(cur);
        }
        this.axisPos[a] = positions.length - 1;
      }
      if (g === 0) this.nOut = positions.length;
    });
    this.positions = positions.map((p) => ({ size: p.size, last: p.axes[p.axes.length - 1]! }));

    // Streams over loop positions, shared by accesses that walk the same buffer the same way.
    const keyed = new Map<string, number>();
    const streamOf = (r: { base: number; strides: number[] }): number => {
      const strides = this.positions.map((p) => r.strides[p.last]!);
      const key = `${r.base}|${strides.join(',')}`;
      let s = keyed.get(key);
      if (s === undefined) {
        s = this.streams.length;
        this.streams.push({ base: r.base, strides });
        keyed.set(key, s);
      }
      return s;
    };
    for (const [id, r] of loadRaw) this.nodeStream.set(id, streamOf(raw[r]!));
    this.storeStreams = storeRaw.map((r) => streamOf(raw[r]!));
  }

  private deepest(s: number, below = this.positions.length): number {
    const st = this.streams[s]!.strides;
    for (let p = Math.min(below, st.length) - 1; p >= 0; p--) if (st[p] !== 0) return p;
    return -1;
  }

  // ---- node placement and vectorization ----------------------------------------------------------

  private analyse(): void {
    const n = this.exprs.length;
    this.level = new Array<number>(n).fill(0);
    this.post = new Array<boolean>(n).fill(false);
    this.exprs.forEach((e, id) => {
      let l = 0;
      let post = false;
      if (e.op === 'index') l = this.axisPos[e.axis]! + 1;
      else if (e.op === 'acc') {
        if (this.k.acc !== undefined) l = this.deepest(this.nodeStream.get(id)!) + 1;
        else {
          l = this.nOut;
          post = true;
        }
      } else if (e.op === 'load') l = this.deepest(this.nodeStream.get(id)!) + 1;
      for (const r of exprRefs(e)) {
        l = Math.max(l, this.level[r]!);
        post ||= this.post[r]!;
      }
      this.level[id] = l;
      this.post[id] = post;
    });
  }

  /** Which nodes differ between the lanes of position vp; null if a gather or guard does. */
  private lanesDiffer(vp: number, modeO: boolean): boolean[] | null {
    const dep = new Array<boolean>(this.exprs.length).fill(false);
    for (let id = 0; id < this.exprs.length; id++) {
      const e = this.exprs[id]!;
      if (e.op === 'index') dep[id] = this.axisPos[e.axis] === vp;
      else if (e.op === 'acc') dep[id] = this.k.acc !== undefined ? this.streams[this.nodeStream.get(id)!]!.strides[vp] !== 0 : modeO;
      else if (e.op === 'load') {
        if ((e.valid !== null && dep[e.valid]) || e.view.dynamic.some((d) => dep[d.index])) return null;
        dep[id] = this.streams[this.nodeStream.get(id)!]!.strides[vp] !== 0;
      } else if (e.op !== 'const') dep[id] = exprRefs(e).some((r) => dep[r]);
    }
    return dep;
  }

  /** How well four lanes along vp read memory: +2 per contiguous load, +1 per broadcast, −1 per gather. */
  private score(vp: number, loads: readonly ExprId[]): number {
    let s = 0;
    for (const id of loads) {
      const st = Math.abs(this.streams[this.nodeStream.get(id)!]!.strides[vp]!);
      s += st === 1 ? 2 : st === 0 ? 1 : -1;
    }
    return s;
  }

  private chooseVector(): void {
    const total = this.positions.length;
    const loads = this.exprs.flatMap((e, id) => (this.nodeStream.has(id) ? [id] : []));
    const candidates: { vp: number; modeO: boolean; score: number }[] = [];
    const wide = (p: number): boolean => p >= 0 && this.positions[p]!.size >= 4;
    if (this.red === null) {
      if (wide(total - 1)) candidates.push({ vp: total - 1, modeO: false, score: 0 });
    } else {
      if (total > this.nOut && wide(total - 1)) {
        const inner = loads.filter((id) => this.level[id]! > this.nOut);
        candidates.push({ vp: total - 1, modeO: false, score: this.score(total - 1, inner) });
      }
      if (wide(this.nOut - 1)) candidates.push({ vp: this.nOut - 1, modeO: true, score: this.score(this.nOut - 1, loads) + 0.5 });
    }
    candidates.sort((a, b) => b.score - a.score);
    for (const c of candidates) {
      const dep = this.lanesDiffer(c.vp, c.modeO);
      if (dep === null) continue;
      this.vp = c.vp;
      this.modeO = c.modeO;
      this.vecDep = dep;
      break;
    }
    if (this.vp < 0) this.vecDep = new Array<boolean>(this.exprs.length).fill(false);
    this.needsSplat = new Array<boolean>(this.exprs.length).fill(false);
    if (this.vp < 0) return;
    const mark = (id: ExprId): void => {
      if (!this.vecDep[id]) this.needsSplat[id] = true;
    };
    this.exprs.forEach((e, id) => {
      if (this.vecDep[id] && 'args' in e) e.args.forEach(mark);
    });
    if (this.red !== null) mark(this.red.value);
    if (this.red === null || this.modeO) for (const s of this.k.stores) mark(s.value);
  }

  private describe(): void {
    const loops = this.positions.map((p, i) => `${i < this.nOut ? 'i' : 'r'}${i}:${p.size}${i === this.vp ? 'x4' : ''}`);
    const how = this.vp < 0 ? 'scalar' : this.red === null ? 'vectorized' : this.modeO ? 'vectorized across outputs' : 'vectorized along the reduction';
    this.fn.comment(`loops [${loops.join(', ')}] ${how}${this.ranged ? '; i0 over [begin, end)' : ''}`);
  }

  // ---- emission ---------------------------------------------------------------------------------

  private emitDepth(d: number, vec: boolean): void {
    const total = this.positions.length;
    this.exprs.forEach((e, id) => {
      if (this.level[id] === d && !this.post[id] && !this.skipped.has(id) && !(e.op === 'acc' && this.k.acc === undefined)) this.node(id, vec);
    });
    if (this.red !== null && d === this.nOut) {
      this.initAcc(vec);
      if (!this.emptyReduce) {
        if (total > this.nOut) this.loop(d, vec);
        else this.accumulate(vec);
      }
      this.finishAcc(vec);
      this.exprs.forEach((_, id) => {
        if (this.post[id] && this.exprs[id]!.op !== 'acc') this.node(id, vec);
      });
      this.store(d, vec);
    } else if (d === total) {
      if (this.red !== null) this.accumulate(vec);
      else this.store(d, vec);
    } else this.loop(d, vec);
  }

  private ptr(s: number, depth: number): string {
    const p = this.deepest(s, depth);
    return p < 0 ? i32(this.streams[s]!.base) : get(`p${s}_${p}`);
  }

  private loop(p: number, vec: boolean): void {
    const fn = this.fn;
    const size = this.positions[p]!.size;
    const iv = `i${p}`;
    const moving = this.streams.flatMap((st, s) => (st.strides[p] !== 0 ? [s] : []));
    const ranged = p === 0 && this.ranged;
    fn.set(iv, 'i32', ranged ? get('begin') : i32(0));
    for (const s of moving) {
      const start = ranged ? `(i32.add ${this.ptr(s, p)} (i32.mul ${get('begin')} ${i32(this.streams[s]!.strides[p]! * 4)}))` : this.ptr(s, p);
      fn.set(`p${s}_${p}`, 'i32', start);
    }
    const body = (lanes: number, inner: boolean, end: string): void => {
      fn.open(`(loop $L${p}${lanes === 4 ? 'v' : ''}`);
      this.emitDepth(p + 1, inner);
      for (const s of moving) fn.line(`(local.set $p${s}_${p} (i32.add ${get(`p${s}_${p}`)} ${i32(this.streams[s]!.strides[p]! * 4 * lanes)}))`);
      fn.line(`(br_if $L${p}${lanes === 4 ? 'v' : ''} (i32.lt_u (local.tee $${iv} (i32.add ${get(iv)} ${i32(lanes)})) ${end}))`);
      fn.close();
    };
    // A range may be empty or shorter than four: Wasm loops test at the bottom, so guard each one.
    const guarded = (lanes: number, inner: boolean, end: string): void => {
      fn.open(`(if (i32.lt_u ${get(iv)} ${end}) (then`);
      body(lanes, inner, end);
      fn.close('))');
    };
    if (ranged) {
      if (p === this.vp) {
        fn.set('vend', 'i32', `(i32.add ${get('begin')} (i32.and (i32.sub ${get('end')} ${get('begin')}) ${i32(-4)}))`);
        guarded(4, true, get('vend'));
        guarded(1, false, get('end'));
      } else guarded(1, vec, get('end'));
    } else if (p === this.vp) {
      const full = size - (size % 4);
      if (full > 0) body(4, true, i32(full));
      if (size % 4 !== 0) body(1, false, i32(size));
    } else body(1, vec, i32(size));
  }

  private asVector(id: ExprId, vec: boolean): boolean {
    return vec && this.vecDep[id]!;
  }

  /** A node's value as an operand: its vector, its splat, or its scalar. */
  private vref(id: ExprId): string {
    return this.vecDep[id] ? get(`v${id}`) : get(`u${id}`);
  }

  private node(id: ExprId, vec: boolean): void {
    const e = this.exprs[id]!;
    const fn = this.fn;
    if (e.op === 'load') this.checkIndices(e);
    if (this.asVector(id, vec)) {
      fn.set(`v${id}`, 'v128', this.vectorCode(id, e));
      return;
    }
    fn.set(`s${id}`, scalarType(e.dtype), this.scalarCode(id, e, this.level[id]!));
    if (this.needsSplat[id] && (vec || this.level[id]! <= this.vp)) fn.set(`u${id}`, 'v128', splat(e.dtype, get(`s${id}`)));
  }

  /** One unsigned compare per data-dependent index of a load (only where its guard holds). */
  private checkIndices(e: Expr & { op: 'load' }): void {
    for (const d of e.view.dynamic) {
      const bound = indexBound(this.exprs, e, this.loopSizes, this.k.inputShapes[e.input]!, d);
      if (bound === null) continue;
      const index = get(`s${d.index}`);
      const out = `(i32.ge_u ${index} ${i32(bound)})`;
      this.fn.line(`(if ${e.valid === null ? out : `(i32.and ${get(`s${e.valid}`)} ${out})`} (then ${failCall(FAIL.index, index, i32(bound))}))`);
    }
  }

  /** Extents of the original loop axes: the output's, then the reduction's. */
  private get loopSizes(): number[] {
    return [...this.k.shape, ...(this.red?.shape ?? [])];
  }

  private address(id: ExprId, e: Expr & { op: 'load' | 'acc' }, depth: number): { at: string; offset: number } {
    const s = this.nodeStream.get(id)!;
    let at = this.ptr(s, depth);
    const offset = e.op === 'load' ? e.view.offset * 4 : 0;
    const dyn = e.op === 'load' ? e.view.dynamic : [];
    for (const d of dyn) at = `(i32.add ${at} (i32.mul ${get(`s${d.index}`)} ${i32(d.stride * 4)}))`;
    const safe = dyn.length === 0 && offset >= 0 && this.streams[s]!.strides.every((x) => x >= 0);
    if (safe) return { at, offset };
    return { at: offset === 0 ? at : `(i32.add ${at} ${i32(offset)})`, offset: 0 };
  }

  private scaled(code: string, vector: boolean): string {
    const alpha = this.k.acc?.alpha ?? 1;
    if (alpha === 1) return code;
    return vector ? `(f32x4.mul ${code} (f32x4.splat ${f32(alpha)}))` : `(f32.mul ${code} ${f32(alpha)})`;
  }

  private scalarCode(id: ExprId, e: Expr, depth: number): string {
    const s = (r: ExprId): string => get(`s${r}`);
    switch (e.op) {
      case 'const': return scalarConst(e.dtype, e.value);
      case 'index': return this.axisPos[e.axis]! < 0 ? i32(0) : get(`i${this.axisPos[e.axis]}`);
      case 'acc': {
        const { at, offset } = this.address(id, e, depth);
        return this.scaled(`(${scalarType(e.dtype)}.load${offset > 0 ? ` offset=${offset}` : ''} ${at})`, false);
      }
      case 'load': {
        const { at, offset } = this.address(id, e, depth);
        const t = scalarType(e.dtype);
        const load = `(${t}.load${offset > 0 ? ` offset=${offset}` : ''} ${at})`;
        return e.valid === null ? load : `(if (result ${t}) ${s(e.valid)} (then ${load}) (else (${t}.const 0)))`;
      }
      case 'where': return `(select ${s(e.args[1])} ${s(e.args[2])} ${s(e.args[0])})`;
      case 'cast': return scalarCast(this.exprs[e.args[0]]!.dtype, e.dtype, s(e.args[0]));
      default: break;
    }
    if (isUnaryExpr(e)) return scalarUnary(e.op, this.exprs[e.args[0]]!.dtype, s(e.args[0]), this.needs);
    if (isBinaryExpr(e)) return this.binary(e.op, e.args, s(e.args[0]), s(e.args[1]));
    throw new Error(`wasm codegen: unknown node ${JSON.stringify(e)}`);
  }

  private binary(op: Parameters<typeof scalarBinary>[0], args: readonly [ExprId, ExprId], x: string, y: string): string {
    const dtype = this.exprs[args[0]]!.dtype;
    const divisor = this.exprs[args[1]]!;
    if ((op === 'div' || op === 'mod') && dtype === 'i32' && divisor.op === 'const' && divisor.value > 0) return divByConstant(op, x, divisor.value);
    return scalarBinary(op, dtype, x, y, this.needs);
  }

  private vectorLoad(id: ExprId, e: Expr & { op: 'load' | 'acc' }): string {
    const s = this.nodeStream.get(id)!;
    const stride = this.streams[s]!.strides[this.vp]!;
    const { at, offset } = this.address(id, e, this.level[id]!);
    const off = (o: number): string => (o > 0 ? ` offset=${o}` : '');
    let v: string;
    if (stride === 1) v = `(v128.load${off(offset)} ${at})`;
    else if (offset + 3 * stride * 4 >= 0 && stride > 0) {
      v = `(v128.load32_zero${off(offset)} ${at})`;
      for (let l = 1; l < 4; l++) v = `(v128.load32_lane${off(offset + l * stride * 4)} ${l} ${at} ${v})`;
    } else {
      const lanes = [0, 1, 2, 3].map((l) => `(i32.add ${at} ${i32(offset + l * stride * 4)})`);
      v = `(v128.load32_zero ${lanes[0]})`;
      for (let l = 1; l < 4; l++) v = `(v128.load32_lane ${l} ${lanes[l]} ${v})`;
    }
    if (e.dtype === 'bool') v = `(i32x4.neg ${v})`;
    if (e.op === 'acc') return this.scaled(v, true);
    return e.valid === null ? v : `(if (result v128) ${get(`s${e.valid}`)} (then ${v}) (else ${ZERO_V128}))`;
  }

  private vectorCode(id: ExprId, e: Expr): string {
    switch (e.op) {
      case 'index': return `(i32x4.add (i32x4.splat ${get(`i${this.vp}`)}) (v128.const i32x4 0 1 2 3))`;
      case 'load': case 'acc': return this.vectorLoad(id, e);
      case 'where': return `(v128.bitselect ${this.vref(e.args[1])} ${this.vref(e.args[2])} ${this.vref(e.args[0])})`;
      case 'cast': return vectorCast(this.exprs[e.args[0]]!.dtype, e.dtype, this.vref(e.args[0]));
      case 'const': return splat(e.dtype, scalarConst(e.dtype, e.value));
      default: break;
    }
    let v: string | null = null;
    if (isUnaryExpr(e)) v = vectorUnary(e.op, this.exprs[e.args[0]]!.dtype, this.vref(e.args[0]), this.needs);
    else if (isBinaryExpr(e)) v = vectorBinary(e.op, this.exprs[e.args[0]]!.dtype, this.vref(e.args[0]), this.vref(e.args[1]));
    if (v !== null) return v;
    // No lane-wise instruction: the scalar form on each lane.
    const laneRef = (r: ExprId, l: number): string => (this.vecDep[r] ? lane(this.exprs[r]!.dtype, get(`v${r}`), l) : get(`s${r}`));
    const lanes = [0, 1, 2, 3].map((l) => {
      if (isUnaryExpr(e)) return scalarUnary(e.op, this.exprs[e.args[0]]!.dtype, laneRef(e.args[0], l), this.needs);
      if (isBinaryExpr(e)) return this.binary(e.op, e.args, laneRef(e.args[0], l), laneRef(e.args[1], l));
      throw new Error(`wasm codegen: cannot vectorize t${id}`);
    });
    return fromLanes(e.dtype, lanes);
  }

  // ---- reductions -------------------------------------------------------------------------------

  private get rd(): DType {
    return this.red!.dtype;
  }

  private get f32sum(): boolean {
    return this.red!.op === 'sum' && this.rd === 'f32';
  }

  /** The identity of the reduction, as the scalar accumulator's value. */
  private identity(): string {
    const { op } = this.red!;
    if (this.rd === 'f32') return op === 'sum' ? f64(0) : f32(op === 'max' ? -Infinity : Infinity);
    if (this.rd === 'bool') return i32(op === 'min' ? 1 : 0);
    return i32(op === 'sum' ? 0 : op === 'max' ? -0x80000000 : 0x7fffffff);
  }

  private scalarAccType(): 'f64' | 'f32' | 'i32' {
    return this.f32sum ? 'f64' : this.rd === 'f32' ? 'f32' : 'i32';
  }

  private initAcc(vec: boolean): void {
    const fn = this.fn;
    const vectorAcc = (this.modeO && vec) || (this.vp >= this.nOut && !this.modeO);
    const scalarAcc = !(this.modeO && vec);
    if (scalarAcc) fn.set('acc', this.scalarAccType(), this.identity());
    if (!vectorAcc) return;
    if (this.f32sum) {
      fn.set('acclo', 'v128', ZERO_V128);
      fn.set('acchi', 'v128', ZERO_V128);
    } else if (this.rd === 'bool') fn.set('accv', 'v128', this.red!.op === 'min' ? '(v128.const i32x4 -1 -1 -1 -1)' : ZERO_V128);
    else fn.set('accv', 'v128', splat(this.rd, this.identity()));
  }

  /** acc ∘ v for scalars (`t` is the scalar accumulator type). */
  private scalarStep(acc: string, v: string): string {
    const { op } = this.red!;
    if (this.f32sum) return `(f64.add ${acc} (f64.promote_f32 ${v}))`;
    if (this.rd === 'bool') return op === 'min' ? `(i32.and ${acc} ${v})` : `(i32.or ${acc} ${v})`;
    if (op === 'sum') return `(i32.add ${acc} ${v})`;
    const cmp = op === 'max' ? 'gt' : 'lt';
    if (this.rd === 'f32') return `(select ${v} ${acc} (i32.or (f32.${cmp} ${v} ${acc}) (f32.ne ${v} ${v})))`;
    return `(select ${v} ${acc} (i32.${cmp}_s ${v} ${acc}))`;
  }

  private accumulate(vec: boolean): void {
    const fn = this.fn;
    const value = this.red!.value;
    if (!vec) {
      fn.set('acc', this.scalarAccType(), this.scalarStep(get('acc'), get(`s${value}`)));
      return;
    }
    const v = this.vref(value);
    const { op } = this.red!;
    if (this.f32sum) {
      fn.line(`(local.set $acclo (f64x2.add ${get('acclo')} (f64x2.promote_low_f32x4 ${v})))`);
      fn.line(`(local.set $acchi (f64x2.add ${get('acchi')} (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v}))))`);
      return;
    }
    const acc = get('accv');
    let step: string;
    if (this.rd === 'bool') step = op === 'min' ? `(v128.and ${acc} ${v})` : `(v128.or ${acc} ${v})`;
    else if (op === 'sum') step = `(i32x4.add ${acc} ${v})`;
    else if (this.rd === 'i32') step = `(i32x4.${op}_s ${acc} ${v})`;
    else step = `(v128.bitselect ${v} ${acc} (v128.or (f32x4.${op === 'max' ? 'gt' : 'lt'} ${v} ${acc}) (f32x4.ne ${v} ${v})))`;
    fn.line(`(local.set $accv ${step})`);
  }

  private finishAcc(vec: boolean): void {
    const fn = this.fn;
    const rd = this.rd;
    const t = scalarType(rd);
    for (const id of this.accIds) {
      if (this.modeO && vec) {
        const v = this.f32sum
          ? `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero ${get('acclo')}) (f32x4.demote_f64x2_zero ${get('acchi')}))`
          : get('accv');
        fn.set(`v${id}`, 'v128', v);
        continue;
      }
      if (this.vp >= this.nOut && !this.modeO) {
        // Fold the four lanes into the scalar accumulator of the remainder loop.
        if (this.f32sum) {
          const l = (v: string, k: number): string => `(f64x2.extract_lane ${k} ${get(v)})`;
          fn.set('acc', 'f64', `(f64.add ${get('acc')} (f64.add (f64.add ${l('acclo', 0)} ${l('acclo', 1)}) (f64.add ${l('acchi', 0)} ${l('acchi', 1)})))`);
        } else for (let k = 0; k < 4; k++) fn.set('acc', this.scalarAccType(), this.scalarStep(get('acc'), lane(rd, get('accv'), k)));
      }
      fn.set(`s${id}`, t, this.f32sum ? `(f32.demote_f64 ${get('acc')})` : get('acc'));
      if (this.needsSplat[id] && vec) fn.set(`u${id}`, 'v128', splat(rd, get(`s${id}`)));
    }
  }

  // ---- stores -----------------------------------------------------------------------------------

  private store(depth: number, vec: boolean): void {
    this.k.stores.forEach((st, i) => {
      const s = this.storeStreams[i]!;
      const at = this.ptr(s, depth);
      const dtype = this.exprs[st.value]!.dtype;
      if (vec) {
        const v = this.vref(st.value);
        this.fn.line(`(v128.store ${at} ${dtype === 'bool' ? `(i32x4.neg ${v})` : v})`);
      } else this.fn.line(`(${scalarType(dtype)}.store ${at} ${get(`s${st.value}`)})`);
    });
  }
}
