// The readable form of a generated kernel: a comment header, then the WGSL module.
import type { Kernel, Schedule } from '../../kernel/ir.ts';
import { showShape } from '../../kernel/print.ts';
import { storageBindings, type WgslKernel } from './module.ts';

function what(k: Kernel): string {
  if (k.kind === 'library') return `library ${k.op}`;
  if (k.kind === 'matmul') return `matmul [${k.shape.join(', ')}] k=${k.k}`;
  return `fused [${k.shape.join(', ')}]${k.reduce ? ` reduce ${k.reduce.op} [${k.reduce.shape.join(', ')}]` : ''}`;
}

export function printKernel(w: WgslKernel, k: Kernel, s: Schedule): string {
  const header = [
    `// ${k.name} (root %${k.root}): ${what(k)}`,
    `// dispatch ${w.workgroups.join(' × ')}${w.workgroups[0] === 0 ? ' (nothing to run)' : ''}`,
    ...w.bindings.map((b, i) => {
      const buf = s.buffers[b]!;
      return `// @binding(${i}) = b${b} ${showShape(buf.dtype, buf.shape)} (${buf.role})`;
    }),
    ...(w.checks ? [`// @binding(${w.bindings.length}) = status (run-time errors${w.indexSites.map((x, i) => `${i === 0 ? '; ' : ', '}${x.kind} index < ${x.bound}`).join('')})`] : []),
    `// @binding(${storageBindings(w)}) = zeros, kernel number (uniform)`,
  ];
  return `${header.join('\n')}\n${w.code}`;
}
