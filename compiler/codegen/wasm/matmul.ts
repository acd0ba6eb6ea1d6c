// Matmul kernels: a cache-blocked GEMM around a register-tiled f32x4 microkernel, then the kernel's
// epilogue as a vectorized loop nest. Each is a step over its own units (step.ts), so threads share
// it: the GEMM over panels of MR rows (of every batch element), the epilogue over its outer loop.
//
// GEMM, for the rows [r0, r1) of one batch element that a call owns (BLIS's loop order):
//   for each k-block of KC: pack B[k-block, :] into column panels of NR (kc×NR, contiguous, read row
//     by row from a row-major B); for each m-block of MC rows: pack A[m-block, k-block] into row
//     panels of MR (kc×MR); for each column panel (in L1), for each row panel (the A block is in
//     L2): the microkernel adds the panels' product into an MR×NR tile of C held in registers (per
//     step of p: one splat of A per row, NR/4 loads of B, MR·NR/4 multiply-adds).
// Panels are private to a thread (its scratch at panels + tid·panelBytes): each thread packs the B
// panel it uses itself, which costs K·N copies per thread against M·N·K/threads multiply-adds.
// Packing reads the operands through their views, so a transposed operand (stride 1 on p) costs
// nothing beyond the packing every operand gets. Panels past M or N are filled from the last
// row/column (finite values whose products land in C's padding and are never read).
//
// A symmetric product (x·xᵀ, xᵀ·x, or M·M of a symmetric M, as in every Newton–Schulz step: see
// symmetry.ts) computes only the tiles that reach the diagonal or lie above it, then a second step
// mirrors the blocks below it (4×4 transposes in registers).
//
// C is the output itself when the epilogue is a plain store of acc, alpha is 1 and the tiles cover
// it exactly; otherwise C is a padded scratch buffer (shared by the threads: each writes its own
// rows) and the epilogue step reads `acc` from it. Products accumulate in f32 (the reference sums in
// float64: agreement is within 1e-5 relative for the sizes the tests use). i32 matmuls (rare) use
// a plain triple loop over rows that wraps like the reference.
import { sizeOf } from '../../ir/graph.ts';
import { rowMajor } from '../../schedule/index_map.ts';
import type { MatmulKernel } from '../../kernel/ir.ts';
import { emitLoops } from './loops.ts';
import type { Needs } from './ops.ts';
import { FLAT, STEP_PARAMS, type Weight } from './step.ts';
import { FuncBuilder, get, i32 } from './wat.ts';

// A 2×16 tile (eight f32x4 accumulators, two broadcasts and four loads per step of p) measured
// faster in V8 than 4×8 (four broadcasts, two loads); larger tiles run out of the 16 registers.
export const MR = 2;
export const NR = 16;
export const KC = 256;
export const MC = 128;

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** The sizes and the decisions a matmul kernel's code follows. */
interface Geometry {
  readonly batch: readonly number[];
  readonly nb: number;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly Mpad: number;
  readonly Npad: number;
  readonly f32: boolean;
  /** C is the output (no epilogue step). */
  readonly direct: boolean;
  readonly symmetric: boolean;
  /** Bytes of one thread's packed panels (B, then A). */
  readonly bBytes: number;
  readonly aBytes: number;
}

function geometry(k: MatmulKernel, symmetric: boolean): Geometry {
  const nb = k.shape.length - 2;
  const [M, N, K] = [k.shape[nb]!, k.shape[nb + 1]!, k.k];
  const f32 = k.dtype === 'f32';
  // A symmetric product's mirror moves 4×4 blocks: its C has whole blocks of rows.
  const [Mpad, Npad] = f32 ? [roundUp(M, symmetric ? Math.max(MR, 4) : MR), roundUp(N, NR)] : [M, N];
  const only = k.stores.length === 1 ? k.exprs[k.stores[0]!.value] : undefined;
  const direct = f32 && only?.op === 'acc' && k.alpha === 1 && Mpad === M && Npad === N;
  const kc0 = Math.min(KC, K);
  return {
    batch: k.shape.slice(0, nb), nb, M, N, K, Mpad, Npad, f32, direct, symmetric,
    bBytes: f32 ? kc0 * Npad * 4 : 0, aBytes: f32 ? Math.min(MC, Mpad) * kc0 * 4 : 0,
  };
}

/** Scratch bytes of a matmul kernel: shared by the threads (C) and private to each (panels). */
export function matmulScratch(k: MatmulKernel, symmetric: boolean): { shared: number; perThread: number } {
  const g = geometry(k, symmetric);
  if (sizeOf(k.shape) === 0) return { shared: 0, perThread: 0 };
  return { shared: g.direct ? 0 : sizeOf(g.batch) * g.Mpad * g.Npad * 4, perThread: g.bBytes + g.aBytes };
}

export interface MatmulAddresses {
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** Shapes of the buffers bound to the input slots. */
  readonly inputShapes: readonly (readonly number[])[];
  /** The shared scratch (C when it is not the output). */
  readonly shared: number;
  /** Thread t's panels start at panels + t·panelBytes. */
  readonly panels: number;
  readonly panelBytes: number;
}

/** One step function of a matmul kernel, with how its units split. */
export interface MatmulStep {
  readonly fn: FuncBuilder;
  readonly units: number;
  readonly granule: number;
  readonly work: number;
  readonly repeat: number;
  readonly weight: Weight;
}

/**
 * The kernel's steps: the GEMM, the mirror of a symmetric product (`symmetric`, from
 * symmetry.ts), the epilogue.
 */
export function emitMatmul(k: MatmulKernel, at: MatmulAddresses, needs: Needs, symmetric = false): MatmulStep[] {
  const g = geometry(k, symmetric);
  const fn = new FuncBuilder(k.name, STEP_PARAMS);
  if (sizeOf(k.shape) === 0) {
    fn.comment('empty output: nothing to do');
    return [{ fn, units: 1, granule: 1, work: 1, repeat: 0, weight: FLAT }];
  }
  const cBase = g.direct ? at.outputs[k.stores[0]!.output]! : at.shared;
  const cBatch = g.Mpad * g.Npad;
  const nBatch = sizeOf(g.batch);
  const sym = g.symmetric;
  fn.comment(`gemm ${g.M}x${g.N}x${g.K}${g.batch.length > 0 ? ` batch [${g.batch.join(', ')}]` : ''}${sym ? ', symmetric: the tiles on and above the diagonal' : ''}: C ${g.direct ? 'is the output' : `in scratch @${cBase}, padded to ${g.Mpad}x${g.Npad}`}`);
  const steps: MatmulStep[] = [];
  // Work in element operations: a GEMM does eight flops per f32x4 multiply and add; each call packs
  // the B panels of the batch elements it touches, four elements per copy.
  const work = (nBatch * g.M * g.N * g.K) / 4;
  const repeat = (g.K * g.Npad) / 4;
  if (g.K === 0) {
    fn.line(`(memory.fill ${i32(cBase)} ${i32(0)} ${i32(g.direct ? sizeOf(k.shape) * 4 : nBatch * cBatch * 4)})`);
    steps.push({ fn, units: 1, granule: 1, work: sizeOf(k.shape), repeat: 0, weight: FLAT });
  } else {
    const ptrs: Pointer[] = [
      { name: 'ab', base: at.inputs[k.a.input]! + k.a.view.offset * 4, strides: k.a.view.strides.slice(0, g.nb) },
      { name: 'bb', base: at.inputs[k.b.input]! + k.b.view.offset * 4, strides: k.b.view.strides.slice(0, g.nb) },
      { name: 'cb', base: cBase, strides: rowMajor(g.batch).map((s) => s * cBatch) },
    ];
    const sa: Pair = [k.a.view.strides[g.nb]!, k.a.view.strides[g.nb + 1]!];
    const sb: Pair = [k.b.view.strides[g.nb]!, k.b.view.strides[g.nb + 1]!];
    fn.line(`(if (i32.ge_u ${get('begin')} ${get('end')}) (then (return)))`);
    if (g.f32) {
      needs.helpers.add('gemm');
      const rp = g.Mpad / MR;
      fn.set('bp', 'i32', `(i32.add ${i32(at.panels)} (i32.mul ${get('tid')} ${i32(at.panelBytes)}))`);
      fn.set('ap', 'i32', `(i32.add ${get('bp')} ${i32(g.bBytes)})`);
      perBatch(fn, g.batch, rp, ptrs, (r0, r1) => gemmRows(fn, { ...g, sa, sb, ldc: g.Npad }, r0, r1));
      steps.push({ fn, units: nBatch * rp, granule: 1, work: sym ? work / 2 : work, repeat, weight: sym ? { kind: 'falling', period: rp } : FLAT });
    } else {
      perBatch(fn, g.batch, g.M, ptrs, (r0, r1) => naive(fn, { ...g, sa, sb, ldc: g.Npad }, r0, r1));
      steps.push({ fn, units: nBatch * g.M, granule: 1, work: 8 * work, repeat: 0, weight: FLAT });
    }
  }
  if (sym) steps.push(mirror(k.name, cBase, g, nBatch));
  if (!g.direct) {
    const epi = new FuncBuilder(`${k.name}_epilogue`, STEP_PARAMS);
    epi.comment(`the epilogue of ${k.name}: acc from C @${cBase}`);
    const split = emitLoops(epi, {
      shape: k.shape, exprs: k.exprs, reduce: null, ranged: true,
      stores: k.stores.map((s) => ({ value: s.value, address: at.outputs[s.output]! })),
      inputs: at.inputs, inputShapes: at.inputShapes,
      acc: { address: cBase, strides: [...rowMajor(g.batch).map((s) => s * cBatch), g.Npad, 1], alpha: k.alpha },
    }, needs);
    steps.push({ fn: epi, ...split, weight: FLAT });
  }
  return steps;
}

type Pair = readonly [number, number];

interface Pointer {
  readonly name: string;
  readonly base: number;
  /** Element strides per batch axis. */
  readonly strides: readonly number[];
}

/**
 * The units [begin, end) are rows (or row panels), `per` of them in each batch element, batch
 * element after batch element: for each batch element the range touches, sets the pointers to it
 * and emits `body` for its units [r0, r1) (locals, counted within the batch element).
 */
function perBatch(fn: FuncBuilder, batch: readonly number[], per: number, ptrs: readonly Pointer[], body: (r0: string, r1: string) => void): void {
  if (batch.length === 0) {
    for (const p of ptrs) fn.set(p.name, 'i32', i32(p.base));
    fn.set('r0', 'i32', get('begin'));
    fn.set('r1', 'i32', get('end'));
    body(get('r0'), get('r1'));
    return;
  }
  fn.set('u', 'i32', get('begin'));
  fn.open('(loop $U');
  fn.set('bi', 'i32', `(i32.div_u ${get('u')} ${i32(per)})`);
  fn.set('ufirst', 'i32', `(i32.mul ${get('bi')} ${i32(per)})`);
  fn.set('uend', 'i32', `(i32.add ${get('ufirst')} ${i32(per)})`);
  fn.set('uend', 'i32', `(select ${get('uend')} ${get('end')} (i32.lt_u ${get('uend')} ${get('end')}))`);
  fn.set('r0', 'i32', `(i32.sub ${get('u')} ${get('ufirst')})`);
  fn.set('r1', 'i32', `(i32.sub ${get('uend')} ${get('ufirst')})`);
  // The batch index's digits, row-major over the batch axes.
  const radix = rowMajor(batch);
  const digit = (d: number): string => {
    const q = radix[d] === 1 ? get('bi') : `(i32.div_u ${get('bi')} ${i32(radix[d]!)})`;
    return d === 0 ? q : `(i32.rem_u ${q} ${i32(batch[d]!)})`;
  };
  for (const p of ptrs) {
    let at = i32(p.base);
    batch.forEach((size, d) => {
      if (size > 1 && p.strides[d] !== 0) at = `(i32.add ${at} (i32.mul ${digit(d)} ${i32(p.strides[d]! * 4)}))`;
    });
    fn.set(p.name, 'i32', at);
  }
  body(get('r0'), get('r1'));
  fn.line(`(br_if $U (i32.lt_u (local.tee $u ${get('uend')}) ${get('end')}))`);
  fn.close();
}

interface Gemm extends Geometry {
  /** Element strides of A over (i, p) and of B over (p, j). */
  readonly sa: Pair;
  readonly sb: Pair;
  /** C's row stride in elements. */
  readonly ldc: number;
}

/** `for (v = from; v < to; v += step)` with at least one iteration (from < to). */
function loopFrom(fn: FuncBuilder, v: string, from: string, to: string, step: number, body: () => void): void {
  fn.set(v, 'i32', from);
  fn.open(`(loop $L_${v}`);
  body();
  fn.line(`(br_if $L_${v} (i32.lt_u (local.tee $${v} (i32.add ${get(v)} ${i32(step)})) ${to}))`);
  fn.close();
}

/** Counted loop `for (v = 0; v < n; v += step)`, with n > 0 a constant. */
function counted(fn: FuncBuilder, v: string, n: number, step: number, body: () => void): void {
  loopFrom(fn, v, i32(0), i32(n), step, body);
}

/** The value of an `(i32.const n)` expression, if it is one. */
function constOf(x: string): number | undefined {
  const m = /^\(i32\.const (-?\d+)\)$/.exec(x);
  return m ? Number(m[1]) : undefined;
}

/** i32 sums of address terms, with constants folded. */
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

/** C[r0·MR .. r1·MR, :] of one batch element (r0, r1 in row panels). */
function gemmRows(fn: FuncBuilder, g: Gemm, r0: string, r1: string): void {
  fn.set('row0', 'i32', mul(r0, MR));
  fn.set('row1', 'i32', mul(r1, MR));
  const fullK = Math.floor(g.K / KC);
  const restK = g.K % KC;
  if (fullK > 0) counted(fn, 'pc', fullK * KC, KC, () => kBlock(fn, g, KC, get('pc'), `(i32.ne ${get('pc')} ${i32(0)})`));
  if (restK > 0) kBlock(fn, g, restK, i32(fullK * KC), i32(fullK > 0 ? 1 : 0));
}

/** One block of kc steps of p starting at `pc`; `load` says whether C already holds partial sums. */
function kBlock(fn: FuncBuilder, g: Gemm, kc: number, pc: string, load: string): void {
  const panels = g.Npad / NR;
  // A symmetric product needs no column panel left of the diagonal of this thread's first row.
  const jr0 = g.symmetric ? `(i32.div_u ${get('row0')} ${i32(NR)})` : i32(0);
  fn.comment(`k-block of ${kc}: pack B into ${panels} panels of ${NR} columns`);
  fn.set('jr0', 'i32', jr0);
  packB(fn, g, kc, pc);
  fn.set('load', 'i32', load);
  loopFrom(fn, 'ic', get('row0'), get('row1'), MC, () => {
    fn.comment(`m-block of up to ${MC} rows: pack A into panels of ${MR} rows, then the ${MR}x${NR} tiles`);
    fn.set('mc', 'i32', `(i32.sub ${get('row1')} ${get('ic')})`);
    fn.set('mc', 'i32', `(select ${get('mc')} ${i32(MC)} (i32.lt_u ${get('mc')} ${i32(MC)}))`);
    packA(fn, g, kc, pc);
    const jrFirst = g.symmetric ? `(i32.div_u ${get('ic')} ${i32(NR)})` : i32(0);
    loopFrom(fn, 'jr', jrFirst, i32(panels), 1, () => {
      // Row panels of this m-block whose tile reaches the diagonal or lies above it (all of them
      // unless symmetric): ir·MR < (jr + 1)·NR − ic.
      const all = `(i32.div_u ${get('mc')} ${i32(MR)})`;
      if (g.symmetric) {
        fn.set('irn', 'i32', `(i32.div_u (i32.sub (i32.mul (i32.add ${get('jr')} ${i32(1)}) ${i32(NR)}) ${get('ic')}) ${i32(MR)})`);
        fn.set('irn', 'i32', `(select ${get('irn')} ${all} (i32.lt_u ${get('irn')} ${all}))`);
      } else fn.set('irn', 'i32', all);
      fn.set('bpanel', 'i32', add(get('bp'), mul(get('jr'), kc * NR * 4)));
      fn.set('ctile', 'i32', add(get('cb'), mul(get('ic'), g.ldc * 4), mul(get('jr'), NR * 4)));
      loopFrom(fn, 'ir', i32(0), get('irn'), 1, () => {
        const aPanel = add(get('ap'), mul(get('ir'), kc * MR * 4));
        const c = add(get('ctile'), mul(get('ir'), MR * g.ldc * 4));
        fn.line(`(call $gemm ${aPanel} ${get('bpanel')} ${c} ${i32(kc)} ${i32(g.ldc * 4)} ${get('load')})`);
      });
    });
  });
}

/** B[pc .. pc+kc, jr0·NR .. Npad] → panels [Npad/NR][kc][NR] (panel jr at bp + jr·kc·NR·4). */
function packB(fn: FuncBuilder, g: Gemm, kc: number, pc: string): void {
  const [sp, sj] = g.sb;
  const panels = g.Npad / NR;
  const vecs = NR / 4;
  fn.set('src', 'i32', add(get('bb'), mul(pc, sp * 4)));
  if (sj === 1 && g.Npad === g.N) {
    // Rows of B are contiguous: read each row once, front to back, handing NR columns to each panel
    // (walking down a column panel instead would touch every row's cache line twice).
    counted(fn, 'p', kc, 1, () => {
      fn.set('bsrc', 'i32', add(get('src'), mul(get('jr0'), NR * 4)));
      fn.set('dst', 'i32', add(get('bp'), mul(get('jr0'), kc * NR * 4), mul(get('p'), NR * 4)));
      loopFrom(fn, 'jp', get('jr0'), i32(panels), 1, () => {
        for (let v = 0; v < vecs; v++) fn.line(`(v128.store${v ? ` offset=${v * 16}` : ''} ${get('dst')} (v128.load${v ? ` offset=${v * 16}` : ''} ${get('bsrc')}))`);
        fn.line(`(local.set $bsrc (i32.add ${get('bsrc')} ${i32(NR * 4)}))`);
        fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(kc * NR * 4)}))`);
      });
      fn.line(`(local.set $src (i32.add ${get('src')} ${i32(sp * 4)}))`);
    });
    return;
  }
  // Column pointers (clamped to the last column), in groups of four.
  const columns = (h: number): void => {
    for (let l = 0; l < 4; l++) {
      const j = clamp(add(mul(get('jp'), NR), i32(h * 4 + l)), g.N, g.Npad !== g.N);
      fn.set(`bc${l}`, 'i32', add(get('src'), mul(j, sj * 4)));
    }
  };
  const laneStep = (h: number): void => {
    let v = `(v128.load32_zero ${get('bc0')})`;
    for (let l = 1; l < 4; l++) v = `(v128.load32_lane ${l} ${get(`bc${l}`)} ${v})`;
    fn.line(`(v128.store offset=${h * 16} ${get('dst')} ${v})`);
    for (let l = 0; l < 4; l++) fn.line(`(local.set $bc${l} (i32.add ${get(`bc${l}`)} ${i32(sp * 4)}))`);
    fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(NR * 4)}))`);
  };
  loopFrom(fn, 'jp', get('jr0'), i32(panels), 1, () => {
    const panel = add(get('bp'), mul(get('jp'), kc * NR * 4));
    for (let h = 0; h < vecs; h++) {
      columns(h);
      fn.set('dst', 'i32', panel);
      const quads = sp === 1 ? Math.floor(kc / 4) : 0;
      if (quads > 0) {
        // Bᵀ stored (columns contiguous, as in x·yᵀ): four steps of p of four columns at a time,
        // transposed in registers (reading NR columns a row at a time would walk NR streams a
        // whole column apart, which share cache sets).
        counted(fn, 'p', quads, 1, () => {
          for (let l = 0; l < 4; l++) fn.set(`m${l}`, 'v128', `(v128.load ${get(`bc${l}`)})`);
          transpose4(fn).forEach((v, r) => fn.line(`(v128.store offset=${h * 16 + r * NR * 4} ${get('dst')} ${v})`));
          for (let l = 0; l < 4; l++) fn.line(`(local.set $bc${l} (i32.add ${get(`bc${l}`)} ${i32(16)}))`);
          fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(4 * NR * 4)}))`);
        });
      }
      // Any strides, or the last steps of p: one element of each column per step.
      if (kc - quads * 4 > 0) counted(fn, 'p', kc - quads * 4, 1, () => laneStep(h));
    }
  });
}

/** The 4×4 transpose of the rows in locals $m0..$m3: interleave rows pairwise, then halves. */
function transpose4(fn: FuncBuilder): string[] {
  const shuf = (lanes: readonly number[], x: string, y: string): string =>
    `(i8x16.shuffle ${lanes.flatMap((l) => [0, 1, 2, 3].map((b) => l * 4 + b)).join(' ')} ${get(x)} ${get(y)})`;
  fn.set('t0', 'v128', shuf([0, 4, 1, 5], 'm0', 'm1'));
  fn.set('t1', 'v128', shuf([2, 6, 3, 7], 'm0', 'm1'));
  fn.set('t2', 'v128', shuf([0, 4, 1, 5], 'm2', 'm3'));
  fn.set('t3', 'v128', shuf([2, 6, 3, 7], 'm2', 'm3'));
  return [shuf([0, 1, 4, 5], 't0', 't2'), shuf([2, 3, 6, 7], 't0', 't2'), shuf([0, 1, 4, 5], 't1', 't3'), shuf([2, 3, 6, 7], 't1', 't3')];
}

/** A[ic .. ic+mc, pc .. pc+kc] → panels [mc/MR][kc][MR]. */
function packA(fn: FuncBuilder, g: Gemm, kc: number, pc: string): void {
  const [si, sp] = g.sa;
  fn.set('asrc', 'i32', add(get('ab'), mul(pc, sp * 4)));
  loopFrom(fn, 'ip', i32(0), get('mc'), MR, () => {
    fn.set('dst', 'i32', add(get('ap'), mul(get('ip'), kc * 4)));
    const row0 = add(get('ic'), get('ip'));
    if (si === 1 && g.Mpad === g.M) {
      // A transposed: the panel's MR rows are contiguous at each p.
      fn.set('ar0', 'i32', add(get('asrc'), mul(row0, 4)));
      counted(fn, 'p', kc, 1, () => {
        fn.line(copy(MR * 4, get('dst'), get('ar0')));
        fn.line(`(local.set $ar0 (i32.add ${get('ar0')} ${i32(sp * 4)}))`);
        fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(MR * 4)}))`);
      });
      return;
    }
    for (let ii = 0; ii < MR; ii++) fn.set(`ar${ii}`, 'i32', add(get('asrc'), mul(clamp(add(row0, i32(ii)), g.M, g.Mpad !== g.M), si * 4)));
    counted(fn, 'p', kc, 1, () => {
      if (MR % 4 === 0) {
        for (let h = 0; h < MR / 4; h++) {
          let v = `(v128.load32_zero ${get(`ar${h * 4}`)})`;
          for (let l = 1; l < 4; l++) v = `(v128.load32_lane ${l} ${get(`ar${h * 4 + l}`)} ${v})`;
          fn.line(`(v128.store${h > 0 ? ` offset=${h * 16}` : ''} ${get('dst')} ${v})`);
        }
      } else for (let ii = 0; ii < MR; ii++) fn.line(`(i32.store${ii > 0 ? ` offset=${ii * 4}` : ''} ${get('dst')} (i32.load ${get(`ar${ii}`)}))`);
      for (let ii = 0; ii < MR; ii++) fn.line(`(local.set $ar${ii} (i32.add ${get(`ar${ii}`)} ${i32(sp * 4)}))`);
      fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(MR * 4)}))`);
    });
  });
}

/** Copies `bytes` (4, 8 or a multiple of 16) from src to dst. */
function copy(bytes: number, dst: string, src: string): string {
  if (bytes === 4) return `(i32.store ${dst} (i32.load ${src}))`;
  if (bytes === 8) return `(i64.store ${dst} (i64.load ${src}))`;
  const parts: string[] = [];
  for (let o = 0; o < bytes; o += 16) parts.push(`(v128.store${o ? ` offset=${o}` : ''} ${dst} (v128.load${o ? ` offset=${o}` : ''} ${src}))`);
  return parts.join(' ');
}

/** i32: C[i, j] = Σ_p A[i, p]·B[p, j], wrapping, for rows [r0, r1). */
function naive(fn: FuncBuilder, g: Gemm, r0: string, r1: string): void {
  const [si, sap] = g.sa;
  const [sbp, sj] = g.sb;
  loopFrom(fn, 'mi', r0, r1, 1, () => {
    counted(fn, 'mj', g.N, 1, () => {
      fn.set('pa', 'i32', add(get('ab'), mul(get('mi'), si * 4)));
      fn.set('pb', 'i32', add(get('bb'), mul(get('mj'), sj * 4)));
      fn.set('iacc', 'i32', i32(0));
      counted(fn, 'p', g.K, 1, () => {
        fn.line(`(local.set $iacc (i32.add ${get('iacc')} (i32.mul (i32.load ${get('pa')}) (i32.load ${get('pb')}))))`);
        fn.line(`(local.set $pa (i32.add ${get('pa')} ${i32(sap * 4)}))`);
        fn.line(`(local.set $pb (i32.add ${get('pb')} ${i32(sbp * 4)}))`);
      });
      fn.line(`(i32.store ${add(get('cb'), mul(add(mul(get('mi'), g.ldc), get('mj')), 4))} ${get('iacc')})`);
    });
  });
}

/**
 * The mirror step of a symmetric product: for each block row of 4 rows (its units), the 4×4 blocks
 * left of the diagonal block are the transposes of those above it. (The tiles that reach the
 * diagonal were computed whole, the diagonal blocks included.)
 */
function mirror(name: string, cBase: number, g: Geometry, nBatch: number): MatmulStep {
  const fn = new FuncBuilder(`${name}_mirror`, STEP_PARAMS);
  const blocks = g.Mpad / 4;
  const ldc = g.Npad * 4;
  fn.comment(`mirror the upper triangle of ${name}'s C into the lower one, 4x4 blocks`);
  fn.line(`(if (i32.ge_u ${get('begin')} ${get('end')}) (then (return)))`);
  loopFrom(fn, 'u', get('begin'), get('end'), 1, () => {
    fn.set('bi', 'i32', `(i32.div_u ${get('u')} ${i32(blocks)})`);
    fn.set('I', 'i32', `(i32.sub ${get('u')} (i32.mul ${get('bi')} ${i32(blocks)}))`);
    fn.set('cm', 'i32', add(i32(cBase), mul(get('bi'), g.Mpad * g.Npad * 4)));
    fn.open(`(if ${get('I')} (then`);
    fn.set('dst', 'i32', add(get('cm'), mul(get('I'), 4 * ldc)));
    fn.set('src', 'i32', add(get('cm'), mul(get('I'), 16)));
    loopFrom(fn, 'J', i32(0), get('I'), 1, () => {
      for (let r = 0; r < 4; r++) fn.set(`m${r}`, 'v128', `(v128.load ${r === 0 ? get('src') : `(i32.add ${get('src')} ${i32(r * ldc)})`})`);
      transpose4(fn).forEach((v, r) => fn.line(`(v128.store ${r === 0 ? get('dst') : `(i32.add ${get('dst')} ${i32(r * ldc)})`} ${v})`));
      fn.line(`(local.set $src (i32.add ${get('src')} ${i32(4 * ldc)}))`);
      fn.line(`(local.set $dst (i32.add ${get('dst')} ${i32(16)}))`);
    });
    fn.close('))');
  });
  return { fn, units: nBatch * blocks, granule: 1, work: nBatch * g.Mpad * g.Mpad, repeat: 0, weight: { kind: 'rising', period: blocks } };
}

/** The shared microkernel: C[MR×NR] (+)= Apanel[kc×MR]ᵀ · Bpanel[kc×NR]. */
export function gemmMicrokernel(): string {
  const fn = new FuncBuilder('gemm', [['a', 'i32'], ['b', 'i32'], ['c', 'i32'], ['kc', 'i32'], ['ldc', 'i32'], ['load', 'i32']]);
  const vecs = NR / 4;
  const acc = (r: number, v: number): string => `c${r}_${v}`;
  const row = (r: number): string => (r === 0 ? get('c') : `(i32.add ${get('c')} ${r === 1 ? get('ldc') : `(i32.mul ${get('ldc')} ${i32(r)})`})`);
  const off = (v: number): string => (v ? ` offset=${v * 16}` : '');
  for (let r = 0; r < MR; r++) for (let v = 0; v < vecs; v++) fn.local(acc(r, v), 'v128');
  fn.open(`(if ${get('load')} (then`);
  for (let r = 0; r < MR; r++) for (let v = 0; v < vecs; v++) fn.line(`(local.set $${acc(r, v)} (v128.load${off(v)} ${row(r)}))`);
  fn.close('))');
  fn.open('(loop $p');
  for (let v = 0; v < vecs; v++) fn.set(`b${v}`, 'v128', `(v128.load${off(v)} ${get('b')})`);
  for (let r = 0; r < MR; r++) {
    fn.set('x', 'v128', `(v128.load32_splat${r ? ` offset=${r * 4}` : ''} ${get('a')})`);
    for (let v = 0; v < vecs; v++) fn.line(`(local.set $${acc(r, v)} (f32x4.add ${get(acc(r, v))} (f32x4.mul ${get('x')} ${get(`b${v}`)})))`);
  }
  fn.line(`(local.set $a (i32.add ${get('a')} ${i32(MR * 4)}))`);
  fn.line(`(local.set $b (i32.add ${get('b')} ${i32(NR * 4)}))`);
  fn.line(`(br_if $p (local.tee $kc (i32.sub ${get('kc')} ${i32(1)})))`);
  fn.close();
  for (let r = 0; r < MR; r++) for (let v = 0; v < vecs; v++) fn.line(`(v128.store${off(v)} ${row(r)} ${get(acc(r, v))})`);
  return fn.text([`C[${MR}x${NR}] (+)= A panel (kc x ${MR}) . B panel (kc x ${NR}), ${MR * vecs} f32x4 accumulators`]);
}
