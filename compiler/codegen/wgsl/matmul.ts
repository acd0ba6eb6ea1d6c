// Matmul kernels: a 16×16 workgroup computes a 16×16 output tile, stepping through k in 16-wide
// slabs staged in workgroup memory. Each invocation loads one element of the A slab and one of the B
// slab; which invocation loads which element depends on the operand's contiguous axis (a transposed
// operand is only other strides), so that neighbouring invocations read neighbouring addresses.
// The batch is the grid's z. After the k loop each invocation scales its sum by alpha, evaluates the
// fused epilogue at its (batch, i, j) and stores.
import type { DType } from '../../ir/graph.ts';
import type { MatmulKernel, Schedule } from '../../kernel/ir.ts';
import { KernelChecks } from './checks.ts';
import { emitNode, f32Const, i32Lit, storageType, toStorage, type Scope } from './expr.ts';
import { HelperSet } from './helpers.ts';
import { assemble, bound, elementCount, MAX_WORKGROUPS_PER_DIMENSION, unflatten, type StorageVar, type WgslKernel } from './module.ts';

const T = 16;

export function emitMatmul(k: MatmulKernel, s: Schedule, options: { readonly checks?: boolean } = {}): WgslKernel {
  const h = new HelperSet();
  const rank = k.shape.length;
  const nb = rank - 2;
  const [M, N] = [k.shape[nb]!, k.shape[nb + 1]!];
  const K = k.k;
  const batch = k.shape.slice(0, nb);
  const batchCount = elementCount(batch);
  const ty = k.dtype === 'f32' ? 'f32' : 'i32';
  const zero = ty === 'f32' ? '0.0' : '0';
  const vars: StorageVar[] = [
    ...k.inputs.map((b, i) => ({ name: `in${i}`, elem: storageType(s.buffers[b]!.dtype) })),
    ...k.outputs.map((b, i) => ({ name: `out${i}`, elem: storageType(s.buffers[b]!.dtype) })),
  ];
  const inputType = (slot: number): DType => s.buffers[k.inputs[slot]!]!.dtype;
  for (const op of [k.a, k.b]) if (storageType(inputType(op.input)) !== ty) throw new Error(`wgsl: ${k.name} multiplies ${ty} by a ${inputType(op.input)} operand`);

  const base = (strides: readonly number[], offset: number): string => {
    const terms = [i32Lit(offset), ...batch.flatMap((_, d) => (strides[d] === 0 ? [] : [`${i32Lit(strides[d]!)} * b${d}`]))];
    return terms.join(' + ');
  };
  const [aRow, aK] = [k.a.view.strides[nb]!, k.a.view.strides[nb + 1]!];
  const [bK, bCol] = [k.b.view.strides[nb]!, k.b.view.strides[nb + 1]!];
  // A is "transposed" when i, not p, is its contiguous axis; B when p, not j, is.
  const aT = aRow === 1 && aK !== 1;
  const bT = bK === 1 && bCol !== 1;
  const term = (stride: number, v: string): string => (stride === 0 ? '0' : stride === 1 ? v : `${i32Lit(stride)} * ${v}`);
  const tileLoad = (tile: string, rowVar: string, colVar: string, rowExpr: string, colExpr: string, rowLimit: number, colLimit: number,
    input: string, baseVar: string, rowStride: number, colStride: number, dst: string): string[] => [
    '{',
    `  let ${rowVar} = ${rowExpr};`,
    `  let ${colVar} = ${colExpr};`,
    `  var v: ${ty} = ${zero};`,
    `  if (${rowVar} < ${rowLimit} && ${colVar} < ${colLimit}) { v = ${input}[${baseVar} + ${term(rowStride, rowVar)} + ${term(colStride, colVar)}]; }`,
    `  ${tile}${dst} = v;`,
    '}',
  ];
  const scope: Scope = {
    input: (slot) => `in${slot}`,
    axis: (a) => (a < nb ? `b${a}` : a === nb ? 'i' : 'j'),
    acc: () => 'accv',
    sizes: k.shape,
    elements: (slot) => elementCount(s.buffers[k.inputs[slot]!]!.shape),
    checks: options.checks === false ? null : new KernelChecks(),
  };
  const epilogue = k.exprs.map((_, id) => emitNode(k.exprs, id, scope, h, inputType));
  const alpha = k.alpha === 1 || ty !== 'f32' ? 'acc' : `${h.use('q')}(acc * ${f32Const(k.alpha, h)})`;
  const body = [
    'let tx = i32(lidv.x);',
    'let ty = i32(lidv.y);',
    `let row0 = i32(wid.y) * ${T};`,
    `let col0 = i32(wid.x) * ${T};`,
    'let bz = i32(wid.z);',
    ...unflatten('bz', batch, (d) => `b${d}`),
    `let aBase: i32 = ${base(k.a.view.strides, k.a.view.offset)};`,
    `let bBase: i32 = ${base(k.b.view.strides, k.b.view.offset)};`,
    `var acc: ${ty} = ${ty === 'f32' ? `${h.use('q')}(0.0)` : '0'};`,
    `for (var p0: i32 = 0; p0 < ${bound(K)}; p0 += ${T}) {`,
    ...(aT
      ? tileLoad('As', 'ai', 'ap', 'row0 + tx', 'p0 + ty', M, K, `in${k.a.input}`, 'aBase', aRow, aK, '[tx][ty]')
      : tileLoad('As', 'ai', 'ap', 'row0 + ty', 'p0 + tx', M, K, `in${k.a.input}`, 'aBase', aRow, aK, '[ty][tx]')
    ).map((l) => `  ${l}`),
    ...(bT
      ? tileLoad('Bs', 'bp', 'bj', 'p0 + tx', 'col0 + ty', K, N, `in${k.b.input}`, 'bBase', bK, bCol, '[tx][ty]')
      : tileLoad('Bs', 'bp', 'bj', 'p0 + ty', 'col0 + tx', K, N, `in${k.b.input}`, 'bBase', bK, bCol, '[ty][tx]')
    ).map((l) => `  ${l}`),
    '  workgroupBarrier();',
    `  for (var kk: i32 = 0; kk < ${bound(T)}; kk++) { acc = acc + As[ty][kk] * Bs[kk][tx]; }`,
    '  workgroupBarrier();',
    '}',
    'let i = row0 + ty;',
    'let j = col0 + tx;',
    `if (i >= ${M} || j >= ${N}) { return; }`,
    `let accv: ${ty} = ${alpha};`,
    ...epilogue,
    `let pos = (bz * ${M} + i) * ${N} + j;`,
    ...k.stores.map((st) => `out${st.output}[pos] = ${toStorage(k.exprs[st.value]!.dtype, `t${st.value}`)};`),
  ];
  const code = assemble({
    vars, helpers: h, workgroupSize: `${T}, ${T}`,
    decls: [`var<workgroup> As: array<array<${ty}, ${T}>, ${T}>;`, `var<workgroup> Bs: array<array<${ty}, ${T}>, ${T}>;`],
    params: ['@builtin(workgroup_id) wid: vec3<u32>', '@builtin(local_invocation_id) lidv: vec3<u32>'], body,
  });
  const g: [number, number, number] = [Math.ceil(N / T), Math.ceil(M / T), batchCount];
  if (g.some((d) => d > MAX_WORKGROUPS_PER_DIMENSION)) throw new Error(`wgsl: ${k.name}: matmul [${k.shape.join(', ')}] needs a ${g.join('×')} grid`);
  return {
    name: k.name, code, workgroups: elementCount(k.shape) === 0 ? [0, 0, 0] : g, bindings: [...k.inputs, ...k.outputs],
    checks: h.has('fail_'), indexSites: scope.checks?.sites ?? [],
  };
}
