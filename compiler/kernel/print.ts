// The readable form of a schedule (`muc build --emit kernels`); tests snapshot it, so it is stable:
// buffers first, then each kernel with its bindings, one expression node per line, and its stores.
// Loop axes print as i0, i1, … (output) and r0, r1, … (reduction); a matmul's contraction index is p.
import type { Buffer, Expr, Kernel, Schedule, View } from './ir.ts';

const numText = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
export const showShape = (dtype: string, shape: readonly number[]): string => `${dtype}[${shape.join(', ')}]`;

/** Σ coeff·name + offset, as `3*i0 + i1 - 3`. */
function viewText(v: View, axis: (a: number) => string): string {
  const terms: [number, string][] = [];
  v.strides.forEach((s, a) => s !== 0 && terms.push([s, axis(a)]));
  for (const d of v.dynamic) terms.push([d.stride, `t${d.index}`]);
  const parts = terms.map(([k, name], i) => {
    const mag = Math.abs(k) === 1 ? name : `${Math.abs(k)}*${name}`;
    return k < 0 ? `${i === 0 ? '-' : '- '}${mag}` : `${i === 0 ? '' : '+ '}${mag}`;
  });
  if (v.offset !== 0 || parts.length === 0) {
    parts.push(parts.length === 0 ? numText(v.offset) : `${v.offset < 0 ? '-' : '+'} ${Math.abs(v.offset)}`);
  }
  return parts.join(' ');
}

function exprText(e: Expr, axis: (a: number) => string): string {
  switch (e.op) {
    case 'const': return numText(e.value);
    case 'index': return axis(e.axis);
    case 'load': return `in${e.input}[${viewText(e.view, axis)}]${e.valid === null ? '' : ` if t${e.valid}`}`;
    case 'acc': return 'acc';
    default: return `${e.op} ${e.args.map((a) => `t${a}`).join(', ')}`;
  }
}

function bindingLines(k: Kernel, buffers: readonly Buffer[]): string[] {
  const line = (name: string, id: number, shape?: readonly number[]): string => {
    const b = buffers[id]!;
    return `  ${name} = b${id} ${showShape(b.dtype, shape ?? b.shape)}`;
  };
  return [
    ...k.inputs.map((id, s) => line(`in${s}`, id, k.kind === 'library' ? k.inputShapes[s] : undefined)),
    ...k.outputs.map((id, s) => line(`out${s}`, id)),
  ];
}

function attrsText(k: Kernel & { kind: 'library' }): string {
  return Object.entries(k.attrs)
    .map(([key, v]) => `${key}=${Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

export function printKernel(k: Kernel, buffers: readonly Buffer[]): string {
  const shape = k.kind === 'library' ? [] : k.shape;
  const outAxis = (a: number): string => (a < shape.length ? `i${a}` : `r${a - shape.length}`);
  let head: string;
  if (k.kind === 'fused') head = `fused [${shape.join(', ')}]${k.reduce ? ` reduce ${k.reduce.op} [${k.reduce.shape.join(', ')}]` : ''}`;
  else if (k.kind === 'matmul') head = `matmul [${shape.join(', ')}] k=${k.k}${k.alpha === 1 ? '' : ` alpha=${numText(k.alpha)}`}`;
  else head = `library ${k.op}${Object.keys(k.attrs).length > 0 ? ` ${attrsText(k)}` : ''}`;
  const lines = [`kernel ${k.name} (root %${k.root}): ${head}`, ...bindingLines(k, buffers)];
  if (k.kind === 'library') return lines.join('\n');
  if (k.kind === 'matmul') {
    const nb = shape.length - 2;
    const batch = (a: number): string => `i${a}`;
    lines.push(`  a = in${k.a.input}[${viewText(k.a.view, (a) => (a < nb ? batch(a) : a === nb ? `i${nb}` : 'p'))}]`);
    lines.push(`  b = in${k.b.input}[${viewText(k.b.view, (a) => (a < nb ? batch(a) : a === nb ? 'p' : `i${nb + 1}`))}]`);
  }
  k.exprs.forEach((e, id) => {
    lines.push(`  t${id}: ${e.dtype} = ${exprText(e, outAxis)}`);
    if (k.kind === 'fused' && k.reduce?.value === id) lines.push(`  reduce ${k.reduce.op} t${id}`);
  });
  for (const s of k.stores) lines.push(`  out${s.output} <- t${s.value}`);
  return lines.join('\n');
}

export function printKernels(s: Schedule): string {
  const buffers = s.buffers.map((b) => `  b${b.id} ${b.role} ${showShape(b.dtype, b.shape)} (%${b.node})`);
  const lines = [`schedule ${s.name}: ${s.kernels.length} kernel${s.kernels.length === 1 ? '' : 's'}`, ...buffers];
  for (const k of s.kernels) lines.push(printKernel(k, s.buffers));
  const ids = (xs: readonly number[]): string => xs.map((b) => `b${b}`).join(', ');
  lines.push(`inputs ${ids(s.inputs)}`, `outputs ${ids(s.outputs)}`);
  return lines.join('\n');
}
