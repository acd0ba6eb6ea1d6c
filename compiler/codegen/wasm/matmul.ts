// Matmul kernels: a cache-blocked GEMM around a 4×8 register-tiled f32x4 microkernel, then the
// kernel's epilogue as a vectorized loop nest.
//
// For each batch element, K is cut into blocks of KC and M into blocks of MC (BLIS's loop order):
//   for each k-block: pack B[k-block, :] into column panels of 8 (kc×8, contiguous: one panel
//     stays in L1 while it meets every row panel of A);
//     for each m-block: pack A[m-block, k-block] into row panels of 4 (kc×4, contiguous);
//       for each column panel, for each row panel: the microkernel adds the panels' product into a
//       4×8 tile of C held in eight f32x4 registers (one splat of A, two loads of B, eight
//       multiply-adds per step of p).
// Packing reads the operands through their views, so a transposed operand (stride 1 on p) costs
// nothing beyond the packing every operand gets. Panels past M or N are filled from the last
// row/column (finite values whose products land in C's padding and are never read).
// C is the output itself when the epilogue is a plain store of acc, alpha is 1 and the tiles cover
// it exactly; otherwise C is a padded scratch buffer and the epilogue reads `acc` from it.
// Products accumulate in f32 (the reference sums in float64: agreement is within 1e-5 relative
// for the sizes the tests use). i32 matmuls (rare) use a plain triple loop that wraps like the
// reference.
import { sizeOf } from '../../ir/graph.ts';
import { rowMajor } from '../../schedule/index_map.ts';
import type { MatmulKernel } from '../../kernel/ir.ts';
import { emitLoops } from './loops.ts';
import type { Needs } from './ops.ts';
import { FuncBuilder, get, i32 } from './wat.ts';

export const MR = 4;
export const NR = 8;
export const KC = 256;
export const MC = 128;

export interface MatmulAddresses {
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** Start of the scratch region shared by all matmul kernels. */
  readonly scratch: number;
}

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Emits the kernel's body; returns the scratch bytes it uses. */
export function emitMatmul(fn: FuncBuilder, k: MatmulKernel, at: MatmulAddresses, needs: Needs): number {
  const nb = k.shape.length - 2;
  const batch = k.shape.slice(0, nb);
  const [M, N, K] = [k.shape[nb]!, k.shape[nb + 1]!, k.k];
  if (sizeOf(k.shape) === 0) {
    fn.comment('empty output: nothing to do');
    return 0;
  }
  const f32 = k.dtype === 'f32';
  const [Mpad, Npad] = f32 ? [roundUp(M, MR), roundUp(N, NR)] : [M, N];
  const only = k.stores.length === 1 ? k.exprs[k.stores[0]!.value] : undefined;
  const direct = f32 && only?.op === 'acc' && k.alpha === 1 && Mpad === M && Npad === N;
  const kc0 = Math.min(KC, K);
  const bBytes = f32 ? kc0 * Npad * 4 : 0;
  const aBytes = f32 ? Math.min(MC, Mpad) * kc0 * 4 : 0;
  const bp = at.scratch;
  const ap = bp + bBytes;
  const cBase = direct ? at.outputs[k.stores[0]!.output]! : ap + aBytes;
  const cBatch = Mpad * Npad;
  const cBytes = direct ? 0 : sizeOf(batch) * cBatch * 4;
  fn.comment(`gemm ${M}x${N}x${K}${batch.length > 0 ? ` batch [${batch.join(', ')}]` : ''}: C ${direct ? 'is the output' : `in scratch @${cBase}, padded to ${Mpad}x${Npad}`}`);

  if (K === 0) fn.line(`(memory.fill ${i32(cBase)} ${i32(0)} ${i32(direct ? sizeOf(k.shape) * 4 : cBytes)})`);
  else {
    const aAt = at.inputs[k.a.input]! + k.a.view.offset * 4;
    const bAt = at.inputs[k.b.input]! + k.b.view.offset * 4;
    batchLoops(fn, batch, [
      { name: 'ab', base: aAt, strides: k.a.view.strides.slice(0, nb) },
      { name: 'bb', base: bAt, strides: k.b.view.strides.slice(0, nb) },
      { name: 'cb', base: cBase, strides: rowMajor(batch).map((s) => s * cBatch) },
    ], (ptr) => {
      const g: Gemm = {
        M, N, K, Mpad, Npad, ldc: Npad,
        a: ptr('ab'), b: ptr('bb'), c: ptr('cb'), ap, bp,
        sa: [k.a.view.strides[nb]!, k.a.view.strides[nb + 1]!],
        sb: [k.b.view.strides[nb]!, k.b.view.strides[nb + 1]!],
      };
      if (f32) {
        needs.helpers.add('gemm');
        gemm(fn, g);
      } else naive(fn, g);
    });
  }

  if (!direct) {
    const strides = [...rowMajor(batch).map((s) => s * cBatch), Npad, 1];
    emitLoops(fn, {
      shape: k.shape, exprs: k.exprs, reduce: null,
      stores: k.stores.map((s) => ({ value: s.value, address: at.outputs[s.output]! })),
      inputs: k.inputs.map((_, i) => at.inputs[i]!),
      acc: { address: cBase, strides, alpha: k.alpha },
    }, needs);
  }
  return bBytes + aBytes + cBytes;
}


interface Pointer {
  readonly name: string;
  readonly base: number;
  /** Element strides per batch axis. */
  readonly strides: readonly number[];
}

/** Nested loops over the batch axes; `body` gets each pointer's expression for the current element. */
function batchLoops(fn: FuncBuilder, batch: readonly number[], ptrs: readonly Pointer[], body: (ptr: (name: string) => string) => void): void {
  const cur = new Map(ptrs.map((p) => [p.name, i32(p.base)]));
  batch.forEach((size, d) => {
    fn.set(`bi${d}`, 'i32', i32(0));
    for (const p of ptrs) {
      fn.set(`${p.name}${d}`, 'i32', cur.get(p.name)!);
      cur.set(p.name, get(`${p.name}${d}`));
    }
    fn.open(`(loop $B${d}`);
  });
  // Copy the pointers into fixed names, so the GEMM code below refers to plain locals.
  for (const p of ptrs) fn.set(p.name, 'i32', cur.get(p.name)!);
  body((name) => get(name));
  for (let d = batch.length - 1; d >= 0; d--) {
    for (const p of ptrs) fn.line(`(local.set $${p.name}${d} (i32.add ${get(`${p.name}${d}`)} ${i32(p.strides[d]! * 4)}))`);
    fn.line(`(br_if $B${d} (i32.lt_u (local.tee $bi${d} (i32.add ${get(`bi${d}`)} ${i32(1)})) ${i32(batch[d]!)}))`);
    fn.close();
  }
}

interface Gemm {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly Mpad: number;
  readonly Npad: number;
  /** C's row stride in elements. */
  readonly ldc: number;
  /** Pointer expressions of this batch element's A, B (at p = 0) and C. */
  readonly a: string;
  readonly b: string;
  readonly c: string;
  /** Scratch addresses of the packed panels. */
  readonly ap: number;
  readonly bp: number;
  /** Element strides of A over (i, p) and of B over (p, j). */
  readonly sa: readonly [number, number];
  readonly sb: readonly [number, number];
}

/** Counted loop `for (v = 0; v < n; v += step)`, with n > 0 a constant. */
function counted(fn: FuncBuilder, v: string, n: number, step: number, body: () => void): void {
  fn.set(v, 'i32', i32(0));
  fn.open(`(loop $L_${v}`);
  body();
  fn.line(`(br_if $L_${v} (i32.lt_u (local.tee $${v} (i32.add ${get(v)} ${i32(step)})) ${i32(n)}))`);
  fn.close();
}

/** The value of an `(i32.const n)` expression, if it is one. */
function constOf(x: string): number | undefined {
  const m = /^\(i32\.const (-?\d+)\)$/.exec(x);
  return m ? Number(m[1]) : undefined;
}

/** i32 sums and products of address terms, with constants folded. */
function add(...xs: string[]): string {
  let c = 0;
  const terms: string[] = [];
  for (const x of xs) {
    const v = constOf(x);
    if (v === undefined) terms.push(x);
    else c += v;
  }
  if (c !== 0 || terms.length === 0) terms.push(i32(c));
  return terms.reduce((a, b) => `(i32.add ${a} ${b})`);
}

function mul(x: string, c: number): string {
  const v = constOf(x);
  if (v !== undefined) return i32(v * c);
  return c === 1 ? x : c === 0 ? i32(0) : `(i32.mul ${x} ${i32(c)})`;
}

/** Row or column index clamped to the last one (`bound` = count), where it can exceed it. */
function clamp(x: string, bound: number, padded: boolean): string {
  return padded ? `(select ${x} ${i32(bound - 1)} (i32.lt_s ${x} ${i32(bound - 1)}))` : x;
}

function gemm(fn: FuncBuilder, g: Gemm): void {
  const fullK = Math.floor(g.K / KC);
  const restK = g.K % KC;
  if (fullK > 0) {
    counted(fn, 'pc', fullK * KC, KC, () => kBlock(fn, g, KC, get('pc'), `(i32.ne ${get('pc')} ${i32(0)})`));
  }
  if (restK > 0) kBlock(fn, g, restK, i32(fullK * KC), i32(fullK > 0 ? 1 : 0));
}

/** One block of kc steps of p starting at `pc`; `load` says whether C already holds partial sums. */
function kBlock(fn: FuncBuilder, g: Gemm, kc: number, pc: string, load: string): void {
  fn.comment(`k-block of ${kc}: pack B into ${g.Npad / NR} panels of ${NR} columns`);
  packB(fn, g, kc, pc);
  const fullM = Math.floor(g.Mpad / MC);
  const restM = g.Mpad % MC;
  if (fullM > 0) counted(fn, 'ic', fullM * MC, MC, () => mBlock(fn, g, kc, pc, get('ic'), MC, load));
  if (restM > 0) mBlock(fn, g, kc, pc, i32(fullM * MC), restM, load);
}

function mBlock(fn: FuncBuilder, g: Gemm, kc: number, pc: string, ic: string, mc: number, load: string): void {
  fn.comment(`m-block of ${mc} rows: pack A into ${mc / MR} panels of ${MR} rows, then the ${MR}x${NR} tiles`);
  packA(fn, g, kc, pc, ic, mc);
  fn.set('load', 'i32', load);
  counted(fn, 'jr', g.Npad / NR, 1, () => {
    counted(fn, 'ir', mc / MR, 1, () => {
      const aPanel = add(i32(g.ap), mul(get('ir'), kc * MR * 4));
      const bPanel = add(i32(g.bp), mul(get('jr'), kc * NR * 4));
      const c = add(g.c, mul(add(ic, mul(get('ir'), MR)), g.ldc * 4), mul(get('jr'), NR * 4));
      fn.line(`(call $gemm ${aPanel} ${bPanel} ${c} ${i32(kc)} ${i32(g.ldc * 4)} ${get('load')})`);
    });
  });
}

/** B[pc .. pc+kc, 0 .. Npad] → panels [Npad/8][kc][8]. */
function packB(fn: FuncBuilder, g: Gemm, kc: number, pc: string): void {
  const [sp, sj] = g.sb;
  fn.set('src', 'i32', add(g.b, mul(pc, sp * 4)));
  counted(fn, 'jp', g.Npad / NR, 1, () => {
    fn.set('dst', 'i32', add(i32(g.bp), mul(get('jp'), kc * NR * 4)));
    if (sj === 1 && g.N % NR === 0) {
      fn.set('bcol', 'i32', add(get('src'), mul(get('jp'), NR * 4)));
      counted(fn, 'p', kc, 1, () => {
        fn.line(`(v128.store ${get('dst')} (v128.load ${get('bcol')}))`);
        fn.line(`(v128.store offset=16 ${get('dst')} (v128.load offset=16 ${get('bcol')}))`);
        fn.line(`(local.set $bcol (i32.add ${get('bcol')} ${i32(sp * 4)}))`);
        fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(NR * 4)}))`);
      });
      return;
    }
    // Any strides: eight column pointers (clamped to the last column), one element each per step.
    for (let jj = 0; jj < NR; jj++) fn.set(`bc${jj}`, 'i32', add(get('src'), mul(clamp(add(mul(get('jp'), NR), i32(jj)), g.N, g.N % NR !== 0), sj * 4)));
    counted(fn, 'p', kc, 1, () => {
      for (const h of [0, 1]) {
        let v = `(v128.load32_zero ${get(`bc${h * 4}`)})`;
        for (let l = 1; l < 4; l++) v = `(v128.load32_lane ${l} ${get(`bc${h * 4 + l}`)} ${v})`;
        fn.line(`(v128.store${h === 1 ? ' offset=16' : ''} ${get('dst')} ${v})`);
      }
      for (let jj = 0; jj < NR; jj++) fn.line(`(local.set $bc${jj} (i32.add ${get(`bc${jj}`)} ${i32(sp * 4)}))`);
      fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(NR * 4)}))`);
    });
  });
}

/** A[ic .. ic+mc, pc .. pc+kc] → panels [mc/4][kc][4]. */
function packA(fn: FuncBuilder, g: Gemm, kc: number, pc: string, ic: string, mc: number): void {
  const [si, sp] = g.sa;
  fn.set('asrc', 'i32', add(g.a, mul(pc, sp * 4)));
  counted(fn, 'ip', mc / MR, 1, () => {
    fn.set('dst', 'i32', add(i32(g.ap), mul(get('ip'), kc * MR * 4)));
    const row0 = add(ic, mul(get('ip'), MR));
    if (si === 1 && g.M % MR === 0) {
      fn.set('ar0', 'i32', add(get('asrc'), mul(row0, 4)));
      counted(fn, 'p', kc, 1, () => {
        fn.line(`(v128.store ${get('dst')} (v128.load ${get('ar0')}))`);
        fn.line(`(local.set $ar0 (i32.add ${get('ar0')} ${i32(sp * 4)}))`);
        fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(MR * 4)}))`);
      });
      return;
    }
    for (let ii = 0; ii < MR; ii++) fn.set(`ar${ii}`, 'i32', add(get('asrc'), mul(clamp(add(row0, i32(ii)), g.M, g.M % MR !== 0), si * 4)));
    counted(fn, 'p', kc, 1, () => {
      let v = `(v128.load32_zero ${get('ar0')})`;
      for (let l = 1; l < MR; l++) v = `(v128.load32_lane ${l} ${get(`ar${l}`)} ${v})`;
      fn.line(`(v128.store ${get('dst')} ${v})`);
      for (let ii = 0; ii < MR; ii++) fn.line(`(local.set $ar${ii} (i32.add ${get(`ar${ii}`)} ${i32(sp * 4)}))`);
      fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(MR * 4)}))`);
    });
  });
}

/** i32: C[i, j] = Σ_p A[i, p]·B[p, j], wrapping. */
function naive(fn: FuncBuilder, g: Gemm): void {
  const [si, sap] = g.sa;
  const [sbp, sj] = g.sb;
  counted(fn, 'mi', g.M, 1, () => {
    counted(fn, 'mj', g.N, 1, () => {
      fn.set('pa', 'i32', add(g.a, mul(get('mi'), si * 4)));
      fn.set('pb', 'i32', add(g.b, mul(get('mj'), sj * 4)));
      fn.set('iacc', 'i32', i32(0));
      counted(fn, 'p', g.K, 1, () => {
        fn.line(`(local.set $iacc (i32.add ${get('iacc')} (i32.mul (i32.load ${get('pa')}) (i32.load ${get('pb')}))))`);
        fn.line(`(local.set $pa (i32.add ${get('pa')} ${i32(sap * 4)}))`);
        fn.line(`(local.set $pb (i32.add ${get('pb')} ${i32(sbp * 4)}))`);
      });
      fn.line(`(i32.store ${add(g.c, mul(add(mul(get('mi'), g.ldc), get('mj')), 4))} ${get('iacc')})`);
    });
  });
}

/** The shared microkernel: C[4×8] (+)= Apanel[kc×4]ᵀ · Bpanel[kc×8]. */
export function gemmMicrokernel(): string {
  const fn = new FuncBuilder('gemm', [['a', 'i32'], ['b', 'i32'], ['c', 'i32'], ['kc', 'i32'], ['ldc', 'i32'], ['load', 'i32']]);
  const acc = (r: number, v: number): string => `c${r}${v}`;
  const row = (r: number): string => (r === 0 ? get('c') : `(i32.add ${get('c')} ${r === 1 ? get('ldc') : `(i32.mul ${get('ldc')} ${i32(r)})`})`);
  for (let r = 0; r < MR; r++) for (let v = 0; v < 2; v++) fn.local(acc(r, v), 'v128');
  fn.open(`(if ${get('load')} (then`);
  for (let r = 0; r < MR; r++) for (let v = 0; v < 2; v++) fn.line(`(local.set $${acc(r, v)} (v128.load${v ? ' offset=16' : ''} ${row(r)}))`);
  fn.close('))');
  fn.open('(loop $p');
  fn.set('b0', 'v128', `(v128.load ${get('b')})`);
  fn.set('b1', 'v128', `(v128.load offset=16 ${get('b')})`);
  for (let r = 0; r < MR; r++) {
    fn.set('x', 'v128', `(v128.load32_splat${r ? ` offset=${r * 4}` : ''} ${get('a')})`);
    for (let v = 0; v < 2; v++) fn.line(`(local.set $${acc(r, v)} (f32x4.add ${get(acc(r, v))} (f32x4.mul ${get('x')} ${get(`b${v}`)})))`);
  }
  fn.line(`(local.set $a (i32.add ${get('a')} ${i32(MR * 4)}))`);
  fn.line(`(local.set $b (i32.add ${get('b')} ${i32(NR * 4)}))`);
  fn.line(`(br_if $p (local.tee $kc (i32.sub ${get('kc')} ${i32(1)})))`);
  fn.close();
  for (let r = 0; r < MR; r++) for (let v = 0; v < 2; v++) fn.line(`(v128.store${v ? ' offset=16' : ''} ${row(r)} ${get(acc(r, v))})`);
  return fn.text([`C[${MR}x${NR}] (+)= A panel (kc x ${MR}) . B panel (kc x ${NR}), eight f32x4 accumulators`]);
}
