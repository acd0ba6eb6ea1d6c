// WGSL code generation without a GPU: what `emitWgsl` promises the runtime and `muc build --emit wgsl`.
// (test/webgpu/webgpu.test.ts runs the shaders.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder } from '../../compiler/ir/graph.ts';
import { emitKernel, emitWgsl } from '../../compiler/codegen/wgsl/index.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { randomGraph } from '../kernel/random_graph.ts';

const storageBindings = (code: string): number => (code.match(/var<storage/g) ?? []).length;

describe('emitWgsl', () => {
  it('emits one module per kernel, each with its entry point, within 8 storage bindings', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 30, maxLength: 100 }), fc.nat(), (choices, seed) => {
        const s = schedule(randomGraph(choices, seed, { steps: 10, seeds: 3 }).graph);
        const out = emitWgsl(s);
        expect(out.length).toBe(s.kernels.length);
        s.kernels.forEach((k, i) => {
          const w = emitKernel(k, s);
          expect(w.bindings.length).toBeLessThanOrEqual(8);
          expect(storageBindings(w.code)).toBe(w.bindings.length);
          expect(out[i]).toContain(`// ${k.name} `);
          expect(out[i]).toContain('@compute @workgroup_size(');
          expect(out[i]).toContain(w.code);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a kernel that reads many buffers within the limit (the scheduler splits it)', () => {
    const b = new Builder();
    const xs = Array.from({ length: 12 }, (_, i) => b.input({ dtype: 'f32', shape: [5] }, i, `x${i}`));
    const sum = xs.slice(1).reduce((acc, x) => b.add('add', [acc, x]), xs[0]!);
    const s = schedule(b.graph('wide', [sum, b.add('concat', xs, { axis: 0 })]));
    for (const k of s.kernels) expect(emitKernel(k, s).bindings.length).toBeLessThanOrEqual(8);
  });

  it('names no buffer or kernel in the shader text, so equal kernels share a pipeline', () => {
    const graph = (name: string, n: number) => {
      const b = new Builder();
      const x = b.input({ dtype: 'f32', shape: [n, 3] }, 0, 'x');
      const y = b.input({ dtype: 'f32', shape: [3] }, 1, 'y');
      return b.graph(name, [b.add('exp', [b.add('mul', [x, b.broadcast(y, [n, 3])])])]);
    };
    const [a, b, c] = [schedule(graph('a', 4)), schedule(graph('other', 4)), schedule(graph('a', 5))];
    expect(emitKernel(a.kernels[0]!, a).code).toBe(emitKernel(b.kernels[0]!, b).code);
    expect(emitKernel(a.kernels[0]!, a).code).not.toBe(emitKernel(c.kernels[0]!, c).code);
  });

  it('writes f32 constants as opaque bit patterns (no NaN or Inf literal, nothing for the driver to fold)', () => {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [2] }, 0, 'x');
    const g = b.graph('k', [b.add('add', [b.add('mul', [x, b.broadcast(b.scalar(Infinity), [2])]), b.broadcast(b.scalar(NaN), [2])])]);
    const s = schedule(g);
    const code = emitKernel(s.kernels[0]!, s).code;
    expect(code).toContain('fconst(0x7f800000u)');
    expect(code).toContain('fconst(0x7fc00000u)');
    expect(code).not.toMatch(/\binf\b|\bnan\b/i);
  });
});
