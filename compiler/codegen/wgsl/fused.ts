// Fused kernels: one invocation per output element, or, for a reduction, either one invocation per
// output element looping over the reduction (short reductions) or one workgroup per output element
// (long ones): each of its 64 invocations folds a strided share of the reduction, then a tree in
// workgroup memory combines the 64 partial results.
//
// Node placement (CODEGEN.md): nodes that neither vary along the reduction axes nor read `acc` are
// computed once, before the loop (a load of softmax's row maximum); nodes the reduced value needs
// that vary along the reduction go in the loop; nodes that read `acc` come after it.
import type { DType } from '../../ir/graph.ts';
import { exprRefs, reachable } from '../../kernel/exprs.ts';
import type { ExprId, FusedKernel, Reduction, Schedule } from '../../kernel/ir.ts';
import { KernelChecks } from './checks.ts';
import { emitNode, storageType, toStorage, type Scope } from './expr.ts';
import { HelperSet } from './helpers.ts';
import { assemble, bound, elementCount, grid, unflatten, workgroupIndex, type StorageVar, type WgslKernel } from './module.ts';

export interface FusedOptions {
  /** Reductions of at least this many elements use a workgroup per output element. */
  readonly workgroupReduceMin?: number;
  /** Report run-time errors through the status buffer (checks.ts); default true. */
  readonly checks?: boolean;
}

export const DEFAULT_WORKGROUP_REDUCE_MIN = 256;
const WG = 64;

interface Placement {
  readonly pre: ExprId[];
  readonly loop: ExprId[];
  readonly post: ExprId[];
}

function place(k: FusedKernel): Placement {
  const rank = k.shape.length;
  const varying: boolean[] = [];
  const accDep: boolean[] = [];
  k.exprs.forEach((e, id) => {
    const refs = exprRefs(e);
    varying[id] =
      (e.op === 'index' && e.axis >= rank) ||
      (e.op === 'load' && e.view.strides.some((st, a) => a >= rank && st !== 0)) ||
      refs.some((r) => varying[r]);
    accDep[id] = e.op === 'acc' || refs.some((r) => accDep[r]);
  });
  const inner = k.reduce ? reachable(k.exprs, [k.reduce.value]) : new Set<ExprId>();
  const outer = reachable(k.exprs, k.stores.map((s) => s.value));
  const p: Placement = { pre: [], loop: [], post: [] };
  k.exprs.forEach((_, id) => {
    if (!inner.has(id) && !outer.has(id)) return;
    if (inner.has(id) && accDep[id]) throw new Error(`wgsl: ${k.name} t${id} reads acc inside its reduction`);
    if (outer.has(id) && varying[id]) throw new Error(`wgsl: ${k.name} t${id} is stored but varies along the reduction`);
    if (accDep[id]) p.post.push(id);
    else if (varying[id]) p.loop.push(id);
    else p.pre.push(id);
  });
  return p;
}

/** The accumulator of a reduction: its WGSL type, start value, fold step and final conversion. */
function accumulator(r: Reduction, valueType: DType, h: HelperSet) {
  const float = valueType === 'f32';
  const type = float ? 'f32' : 'i32';
  const init =
    r.op === 'sum' ? (float ? `${h.use('q')}(0.0)` : '0')
    : r.op === 'max' ? (float ? `-${h.use('inf_')}()` : 'i32(-2147483647 - 1)')
    : float ? `${h.use('inf_')}()` : '2147483647';
  const value = (v: string): string => (valueType === 'bool' ? `select(0, 1, ${v})` : v);
  const step = (acc: string, v: string): string => {
    if (r.op === 'sum') return `${acc} + ${v}`;
    if (!float) return `${r.op}(${acc}, ${v})`;
    // The interpreter's fold: take v when it is better, or NaN (which then sticks).
    return `select(${acc}, ${v}, ${v} ${r.op === 'max' ? '>' : '<'} ${acc} || ${h.use('isnan_')}(${v}))`;
  };
  const final = (acc: string): string =>
    r.dtype === 'bool' ? `(${acc} != 0${float ? '.0' : ''})` : r.dtype === 'f32' && !float ? `f32(${acc})` : acc;
  return { type, init, value, step, final };
}

export function emitFused(k: FusedKernel, s: Schedule, options: FusedOptions = {}): WgslKernel {
  const h = new HelperSet();
  const rank = k.shape.length;
  const total = elementCount(k.shape);
  const red = k.reduce;
  const redCount = red ? elementCount(red.shape) : 0;
  const vars: StorageVar[] = [
    ...k.inputs.map((b, i) => ({ name: `in${i}`, elem: storageType(s.buffers[b]!.dtype) })),
    ...k.outputs.map((b, i) => ({ name: `out${i}`, elem: storageType(s.buffers[b]!.dtype) })),
  ];
  const inputType = (slot: number): DType => s.buffers[k.inputs[slot]!]!.dtype;
  const checks = options.checks === false ? null : new KernelChecks();
  const scope: Scope = {
    input: (slot) => `in${slot}`,
    axis: (a) => (a < rank ? `i${a}` : `r${a - rank}`),
    acc: () => 'accv',
    sizes: [...k.shape, ...(red?.shape ?? [])],
    elements: (slot) => elementCount(s.buffers[k.inputs[slot]!]!.shape),
    checks,
  };
  const bindings = [...k.inputs, ...k.outputs];
  const done = (code: string, workgroups: readonly [number, number, number]): WgslKernel =>
    ({ name: k.name, code, workgroups, bindings, checks: h.has('fail_'), indexSites: checks?.sites ?? [] });
  const node = (id: ExprId): string => emitNode(k.exprs, id, scope, h, inputType);
  const p = place(k);
  const stores = k.stores.map((st) => `out${st.output}[pos] = ${toStorage(k.exprs[st.value]!.dtype, `t${st.value}`)};`);
  const wgReduce = red !== null && redCount >= (options.workgroupReduceMin ?? DEFAULT_WORKGROUP_REDUCE_MIN);

  if (red === null || !wgReduce) {
    const g = grid(Math.ceil(total / WG));
    const body = [
      `let pos: i32 = i32(${workgroupIndex(g)} * ${WG}u + lid);`,
      `if (pos >= ${total}) { return; }`,
      ...unflatten('pos', k.shape, (a) => `i${a}`),
      ...p.pre.map(node),
    ];
    if (red !== null) {
      const acc = accumulator(red, k.exprs[red.value]!.dtype, h);
      body.push(`var acc: ${acc.type} = ${acc.init};`);
      const open = red.shape.map((d, a) => `for (var r${a}: i32 = 0; r${a} < ${bound(d)}; r${a}++) {`);
      const inside = [...p.loop.map(node), `acc = ${acc.step('acc', acc.value(`t${red.value}`))};`];
      const indent = (l: string, n: number): string => l.split('\n').map((x) => '  '.repeat(n) + x).join('\n');
      open.forEach((l, d) => body.push(indent(l, d)));
      for (const l of inside) body.push(indent(l, open.length));
      for (let d = open.length - 1; d >= 0; d--) body.push(indent('}', d));
      body.push(`let accv = ${acc.final('acc')};`);
    }
    body.push(...p.post.map(node), ...stores);
    const code = assemble({
      vars, helpers: h, workgroupSize: String(WG),
      params: ['@builtin(workgroup_id) wid: vec3<u32>', '@builtin(local_invocation_index) lid: u32'], body,
    });
    return done(code, total === 0 ? [0, 0, 0] : g);
  }

  // One workgroup per output element.
  const acc = accumulator(red, k.exprs[red.value]!.dtype, h);
  const g = grid(total);
  const body = [
    `let pos: i32 = i32(${workgroupIndex(g)});`,
    `if (pos >= ${total}) { return; }`,
    ...unflatten('pos', k.shape, (a) => `i${a}`),
    ...p.pre.map(node),
    `var acc: ${acc.type} = ${acc.init};`,
    `for (var rf: i32 = i32(lid); rf < ${bound(redCount)}; rf += ${WG}) {`,
    ...unflatten('rf', red.shape, (a) => `r${a}`).map((l) => `  ${l}`),
    ...p.loop.map((id) => node(id).split('\n').map((l) => `  ${l}`).join('\n')),
    `  acc = ${acc.step('acc', acc.value(`t${red.value}`))};`,
    '}',
    'partial[lid] = acc;',
    'workgroupBarrier();',
    `for (var span: u32 = ${WG / 2}u + zero_.z; span > 0u; span = span >> 1u) {`,
    `  if (lid < span) { partial[lid] = ${acc.step('partial[lid]', 'partial[lid + span]')}; }`,
    '  workgroupBarrier();',
    '}',
    'if (lid != 0u) { return; }',
    `let accv = ${acc.final('partial[0]')};`,
    ...p.post.map(node),
    ...stores,
  ];
  const code = assemble({
    vars, helpers: h, workgroupSize: String(WG), decls: [`var<workgroup> partial: array<${acc.type}, ${WG}>;`],
    params: ['@builtin(workgroup_id) wid: vec3<u32>', '@builtin(local_invocation_index) lid: u32'], body,
  });
  return done(code, total === 0 ? [0, 0, 0] : g);
}
