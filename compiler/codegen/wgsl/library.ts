// Library kernels as plain WGSL, one invocation per independent piece of work, with the interpreter's
// meaning (runtime/interp/eval.ts, ops/index.ts, ops/reduce.ts, random.ts):
//   - cumsum, argmax: one invocation per lane, a sequential loop along the axis;
//   - argsort, topk_indices: one invocation per element, which counts the elements that sort before
//     it (stable: ties go to the lower index; NaN sorts above every number) and writes its own index
//     at that rank: O(n²) per lane, fully parallel, no scatter conflicts (ranks are a permutation);
//   - scatter_add, scatter_along_axis: one invocation per target element, which loops over the
//     index entries and adds the updates that land on it (a gather, so no atomics); invocation 0
//     reports scatter_add's first index out of range (checks.ts), as the interpreter names it;
//   - rand_*: Threefry-2x32 on u32, bit-exact; rand_uniform is exact too; rand_normal's inverse error
//     function runs in f32 (a few ulp from the interpreter's float64): the WebGPU runtime runs it on the
//     host by default to give the same numbers as every other backend.
// Sums accumulate in f32 (the interpreter: float64, rounded once).
import type { DType } from '../../ir/graph.ts';
import type { LibraryKernel, Schedule } from '../../kernel/ir.ts';
import { KernelChecks } from './checks.ts';
import { i32Lit, storageType } from './expr.ts';
import { HelperSet } from './helpers.ts';
import { assemble, bound, elementCount, grid, workgroupIndex, type StorageVar, type WgslKernel } from './module.ts';

const WG = 64;

const num = (k: LibraryKernel, name: string): number => {
  const v = k.attrs[name];
  if (typeof v !== 'number') throw new Error(`wgsl: ${k.name} (${k.op}) has no numeric attribute ${name}`);
  return v;
};
const nums = (k: LibraryKernel, name: string): readonly number[] => {
  const v = k.attrs[name];
  if (!Array.isArray(v)) throw new Error(`wgsl: ${k.name} (${k.op}) has no list attribute ${name}`);
  return v as readonly number[];
};

function lanes(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  return { outer: elementCount(shape.slice(0, axis)), n: shape[axis]!, inner: elementCount(shape.slice(axis + 1)) };
}

export function emitLibrary(k: LibraryKernel, s: Schedule, options: { readonly checks?: boolean } = {}): WgslKernel {
  const h = new HelperSet();
  const checks = options.checks === false ? null : new KernelChecks();
  // Inputs may repeat a buffer: bind each once.
  const unique: number[] = [];
  for (const b of k.inputs) if (!unique.includes(b)) unique.push(b);
  const inVar = (slot: number): string => `in${unique.indexOf(k.inputs[slot]!)}`;
  const dtypeOf = (slot: number): DType => s.buffers[k.inputs[slot]!]!.dtype;
  const outType = s.buffers[k.outputs[0]!]!.dtype;
  const vars: StorageVar[] = [
    ...unique.map((b, i) => ({ name: `in${i}`, elem: storageType(s.buffers[b]!.dtype) })),
    { name: 'out0', elem: storageType(outType) },
  ];
  const shape0 = k.inputShapes[0] ?? [];
  const float0 = k.inputs.length > 0 && dtypeOf(0) === 'f32';
  // a sorts after b (ascending order, NaN above every number).
  const greater = (a: string, b: string): string =>
    float0 ? `((${h.use('isnan_')}(${a}) && !isnan_(${b})) || (!isnan_(${a}) && !isnan_(${b}) && ${a} > ${b}))` : `(${a} > ${b})`;
  const elem = float0 ? 'f32' : 'i32';

  let count: number;
  let body: string[];
  switch (k.op) {
    case 'cumsum': {
      const axis = num(k, 'axis');
      const { outer, n, inner } = lanes(shape0, axis);
      const reverse = k.attrs['reverse'] === true;
      count = outer * inner;
      body = [
        `let o = w / ${inner};`,
        `let ii = w % ${inner};`,
        `var sum: ${elem} = ${float0 ? `${h.use('q')}(0.0)` : '0'};`,
        `for (var kk: i32 = 0; kk < ${bound(n)}; kk++) {`,
        `  let at = (o * ${n} + ${reverse ? `${n - 1} - kk` : 'kk'}) * ${inner} + ii;`,
        `  sum = sum + ${inVar(0)}[at];`,
        '  out0[at] = sum;',
        '}',
      ];
      break;
    }
    case 'argmax': {
      const axis = num(k, 'axis');
      const { outer, n, inner } = lanes(shape0, axis);
      count = outer * inner;
      const at = (kk: string): string => `${inVar(0)}[(o * ${n} + ${kk}) * ${inner} + ii]`;
      body = [
        `let o = w / ${inner};`,
        `let ii = w % ${inner};`,
        'var best: i32 = 0;',
        `var bv: ${elem} = ${n > 0 ? at('0') : float0 ? '0.0' : '0'};`,
        `for (var kk: i32 = 1; kk < ${bound(n)}; kk++) {`,
        `  let v = ${at('kk')};`,
        ...(float0
          ? [`  if (${h.use('isnan_')}(bv)) { break; }`, '  if (v > bv || isnan_(v)) { best = kk; bv = v; }']
          : ['  if (v > bv) { best = kk; bv = v; }']),
        '}',
        'out0[w] = best;',
      ];
      break;
    }
    case 'argsort':
    case 'topk_indices': {
      const top = k.op === 'topk_indices';
      const axis = top ? shape0.length - 1 : num(k, 'axis');
      const descending = top || k.attrs['descending'] === true;
      const { n, inner } = lanes(shape0, axis);
      count = elementCount(shape0);
      const before = descending ? greater('u', 'v') : greater('v', 'u');
      const equal = `(!${greater('u', 'v')} && !${greater('v', 'u')})`;
      const K = top ? num(k, 'k') : n;
      body = [
        `let o = w / ${n * inner};`,
        `let kk = (w / ${inner}) % ${n};`,
        `let ii = w % ${inner};`,
        `let v = ${inVar(0)}[w];`,
        'var rank: i32 = 0;',
        `for (var j: i32 = 0; j < ${bound(n)}; j++) {`,
        `  let u = ${inVar(0)}[(o * ${n} + j) * ${inner} + ii];`,
        `  if (${before} || (${equal} && j < kk)) { rank++; }`,
        '}',
        top ? `if (rank < ${K}) { out0[o * ${K} + rank] = kk; }` : `out0[(o * ${n} + rank) * ${inner} + ii] = kk;`,
      ];
      if (top && K === 0) count = 0;
      break;
    }
    case 'scatter_add':
    case 'scatter_along_axis': {
      const axis = num(k, 'axis');
      const { n, inner } = lanes(shape0, axis);
      const m = k.op === 'scatter_add' ? elementCount(k.inputShapes[1]!) : k.inputShapes[1]![axis]!;
      count = elementCount(shape0);
      const idx = k.op === 'scatter_add' ? `${inVar(1)}[j]` : `${inVar(1)}[(o * ${m} + j) * ${inner} + ii]`;
      // One invocation checks every index, in order, so the first bad one is the interpreter's.
      const check = k.op === 'scatter_add' && checks !== null
        ? [`  if (w == 0 && (${idx} < 0 || ${idx} >= ${i32Lit(n)})) { ${h.use('fail_')}(${checks.index({ kind: 'scatter_add', bound: n })}u, ${idx}); }`]
        : [];
      body = [
        `let o = w / ${n * inner};`,
        `let t = (w / ${inner}) % ${n};`,
        `let ii = w % ${inner};`,
        `var sum: ${storageType(outType)} = ${inVar(0)}[w];`,
        `for (var j: i32 = 0; j < ${bound(m)}; j++) {`,
        ...check,
        `  if (${idx} == t) { sum = sum + ${inVar(2)}[(o * ${m} + j) * ${inner} + ii]; }`,
        '}',
        'out0[w] = sum;',
      ];
      break;
    }
    case 'rand_key':
      count = 1;
      body = ['out0[0] = 0;', `out0[1] = ${inVar(0)}[0];`];
      break;
    case 'rand_split': {
      const n = num(k, 'n');
      count = n;
      body = [
        `let r = ${h.use('threefry')}(bitcast<u32>(${inVar(0)}[0]), bitcast<u32>(${inVar(0)}[1]), u32(w), u32(${n} + w));`,
        'out0[w] = bitcast<i32>(r.x);',
        `out0[${n} + w] = bitcast<i32>(r.y);`,
      ];
      break;
    }
    case 'rand_fold_in':
      count = 1;
      body = [
        `let r = ${h.use('threefry')}(bitcast<u32>(${inVar(0)}[0]), bitcast<u32>(${inVar(0)}[1]), 0u, bitcast<u32>(${inVar(1)}[0]));`,
        'out0[0] = bitcast<i32>(r.x);',
        'out0[1] = bitcast<i32>(r.y);',
      ];
      break;
    case 'rand_uniform':
    case 'rand_normal': {
      // JAX's bits over counters 0..n-1: counter i pairs with half + i (0 past the end).
      const n = elementCount(nums(k, 'shape'));
      const half = Math.ceil(n / 2);
      count = half;
      const f = (bits: string): string => {
        if (k.op === 'rand_uniform') return `${h.use('unitf')}(${bits})`;
        // u = max(lo, (unit · 2) + lo) with lo = -1 + 2^-24 (its float32 scale, 1 - lo, rounds to 2).
        h.use('q');
        return `q(${h.use('fconst')}(0x3fb504f3u) * ${h.use('erfinvf')}(max(bitcast<f32>(0xbf7fffffu), q(q(${h.use('unitf')}(${bits}) * 2.0) + bitcast<f32>(0xbf7fffffu)))))`;
      };
      body = [
        `let c1 = select(0u, u32(${half} + w), ${half} + w < ${n});`,
        `let r = ${h.use('threefry')}(bitcast<u32>(${inVar(0)}[0]), bitcast<u32>(${inVar(0)}[1]), u32(w), c1);`,
        `out0[w] = ${f('r.x')};`,
        `if (${half} + w < ${n}) { out0[${half} + w] = ${f('r.y')}; }`,
      ];
      break;
    }
    default:
      throw new Error(`wgsl: ${k.name}: no WGSL for library op ${k.op}`);
  }
  const g = grid(Math.ceil(count / WG));
  const code = assemble({
    vars, helpers: h, workgroupSize: String(WG),
    params: ['@builtin(workgroup_id) wid: vec3<u32>', '@builtin(local_invocation_index) lid: u32'],
    body: [`let w: i32 = i32(${workgroupIndex(g)} * ${WG}u + lid);`, `if (w >= ${count}) { return; }`, ...body],
  });
  return {
    name: k.name, code, workgroups: count === 0 || elementCount(s.buffers[k.outputs[0]!]!.shape) === 0 ? [0, 0, 0] : g, bindings: [...unique, k.outputs[0]!],
    checks: h.has('fail_'), indexSites: checks?.sites ?? [],
  };
}
