// The invariants of a schedule, checked: what the scheduler promises and code generators rely on.
// Throws an Error naming the first violation.
import { sizeOf } from '../ir/graph.ts';
import { exprRefs, reachable } from './exprs.ts';
import { bindings, type ExprId, type Kernel, type Schedule, type View } from './ir.ts';

function fail(msg: string): never {
  throw new Error(`invalid schedule: ${msg}`);
}

/** An affine view over `sizes` stays within `n` elements (dynamic or guarded loads are not checked). */
function checkBounds(where: string, v: View, sizes: readonly number[], n: number): void {
  if (sizes.includes(0)) return;
  let lo = v.offset;
  let hi = v.offset;
  v.strides.forEach((s, a) => {
    const span = s * (sizes[a]! - 1);
    if (span < 0) lo += span;
    else hi += span;
  });
  if (lo < 0 || hi >= n) fail(`${where} reads offsets ${lo}..${hi} of a buffer of ${n} elements`);
}

function checkExprs(k: Kernel & { kind: 'fused' | 'matmul' }, s: Schedule): void {
  const rank = k.shape.length;
  const reduceRank = k.kind === 'fused' ? (k.reduce?.shape.length ?? 0) : 0;
  const sizes = [...k.shape, ...(k.kind === 'fused' ? (k.reduce?.shape ?? []) : [])];
  const inner = k.kind === 'fused' && k.reduce ? reachable(k.exprs, [k.reduce.value]) : new Set<ExprId>();
  const hasAcc = k.kind === 'matmul' || (k.kind === 'fused' && k.reduce !== null);
  k.exprs.forEach((e, id) => {
    const at = `${k.name} t${id}`;
    for (const r of exprRefs(e)) if (!(r >= 0 && r < id)) fail(`${at} refers to t${r}`);
    if (e.op === 'index' && !(e.axis >= 0 && e.axis < rank + (inner.has(id) ? reduceRank : 0))) fail(`${at} uses loop axis ${e.axis} out of its scope`);
    if (e.op === 'acc' && (!hasAcc || inner.has(id))) fail(`${at} reads acc where there is none`);
    if (e.op !== 'load') return;
    const b = s.buffers[k.inputs[e.input] ?? -1];
    if (b === undefined) fail(`${at} loads input slot ${e.input}`);
    if (b.dtype !== e.dtype) fail(`${at} loads ${e.dtype} from ${b.dtype} buffer b${b.id}`);
    if (e.view.strides.length !== sizes.length) fail(`${at} has ${e.view.strides.length} strides for ${sizes.length} loop axes`);
    if (e.valid === null && e.view.dynamic.length === 0) checkBounds(at, e.view, sizes.map((n, a) => (a < rank || inner.has(id) ? n : 1)), sizeOf(b.shape));
  });
  const slots = new Set<number>();
  for (const st of k.stores) {
    const b = s.buffers[k.outputs[st.output] ?? -1];
    if (b === undefined) fail(`${k.name} stores to slot ${st.output}`);
    if (slots.has(st.output)) fail(`${k.name} stores slot ${st.output} twice`);
    slots.add(st.output);
    if (k.exprs[st.value]?.dtype !== b.dtype) fail(`${k.name} stores ${k.exprs[st.value]?.dtype} into ${b.dtype} buffer b${b.id}`);
    if (sizeOf(b.shape) !== sizeOf(k.shape)) fail(`${k.name} stores ${sizeOf(k.shape)} elements into b${b.id} of ${sizeOf(b.shape)}`);
  }
  if (slots.size !== k.outputs.length) fail(`${k.name} leaves an output slot unwritten`);
  if (new Set(k.inputs).size !== k.inputs.length) fail(`${k.name} binds a buffer to two input slots`);
  if (k.kind === 'matmul') {
    const nb = rank - 2;
    const [m, n] = [k.shape[nb]!, k.shape[nb + 1]!];
    const batch = k.shape.slice(0, nb);
    for (const [name, op, opSizes] of [['a', k.a, [...batch, m, k.k]], ['b', k.b, [...batch, k.k, n]]] as const) {
      const b = s.buffers[k.inputs[op.input] ?? -1];
      if (b === undefined) fail(`${k.name} operand ${name} reads slot ${op.input}`);
      if (op.view.strides.length !== rank || op.view.dynamic.length > 0) fail(`${k.name} operand ${name} is not an affine view over ${rank} axes`);
      checkBounds(`${k.name} operand ${name}`, op.view, opSizes, sizeOf(b.shape));
    }
  }
}

export function validateSchedule(s: Schedule, options: { readonly maxBindings?: number } = {}): void {
  s.buffers.forEach((b, i) => b.id !== i && fail(`buffer ${i} has id ${b.id}`));
  s.inputs.forEach((b) => s.buffers[b]?.role !== 'input' && fail(`graph input b${b} is not an input buffer`));
  const written = new Set<number>(s.inputs);
  for (const k of s.kernels) {
    if (options.maxBindings !== undefined && bindings(k) > options.maxBindings) fail(`${k.name} binds ${bindings(k)} buffers (limit ${options.maxBindings})`);
    for (const b of k.inputs) if (!written.has(b)) fail(`${k.name} reads b${b} before any kernel writes it`);
    for (const b of k.outputs) {
      if (written.has(b)) fail(`${k.name} writes b${b}, which is an input or already written`);
      written.add(b);
    }
    if (k.kind === 'library') {
      k.inputs.forEach((b, i) => sizeOf(k.inputShapes[i]!) !== sizeOf(s.buffers[b]!.shape) && fail(`${k.name} reads b${b} as [${k.inputShapes[i]}]`));
      if (k.outputs.length !== 1) fail(`${k.name} must write one buffer`);
    } else checkExprs(k, s);
  }
  for (const b of s.buffers) if (b.role !== 'input' && !written.has(b.id)) fail(`b${b.id} is never written`);
  for (const b of s.outputs) if (!written.has(b)) fail(`output b${b} is never written`);
}
