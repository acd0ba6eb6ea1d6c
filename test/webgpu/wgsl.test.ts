// WGSL code generation without a GPU: what `emitWgsl` promises the runtime and `muc build --emit wgsl`.
// (test/webgpu/webgpu.test.ts runs the shaders.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder } from '../../compiler/ir/graph.ts';
import { dynamicBounds } from '../../compiler/codegen/wgsl/checks.ts';
import { emitKernel, emitWgsl, scheduleForWgsl, storageBindings } from '../../compiler/codegen/wgsl/index.ts';
import { sizeOf } from '../../compiler/ir/graph.ts';
import { bindings, type Expr, type ExprId, type Schedule } from '../../compiler/kernel/ir.ts';
import { printKernels } from '../../compiler/kernel/print.ts';
import { planMemory } from '../../compiler/schedule/plan.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { execute } from '../../runtime/kernels/execute.ts';
import { randomGraph, type RandomOptions } from '../kernel/random_graph.ts';

/**
 * The schedule with every dynamic index that the WGSL checks would reject replaced by a huge one, so
 * the reference executor (which throws on a load outside its buffer) fails exactly where a shader
 * would report an error. Its nodes are appended; the executor evaluates by reference, not by order.
 */
function withIndexChecks(s: Schedule): Schedule {
  const kernels = s.kernels.map((k) => {
    if (k.kind === 'library') return k;
    const sizes = k.kind === 'fused' ? [...k.shape, ...(k.reduce?.shape ?? [])] : k.shape;
    const exprs: Expr[] = [...k.exprs];
    const add = (e: Expr): ExprId => exprs.push(e) - 1;
    const int = (value: number): ExprId => add({ op: 'const', dtype: 'i32', value });
    k.exprs.forEach((e, id) => {
      if (e.op !== 'load' || e.view.dynamic.length === 0) return;
      const bounds = dynamicBounds(e.view, sizes, sizeOf(s.buffers[k.inputs[e.input]!]!.shape), e.valid !== null);
      const dynamic = e.view.dynamic.map((d, j) => {
        const upper = bounds[j] ?? 2 ** 30;
        const ge = add({ op: 'ge', dtype: 'bool', args: [d.index, int(0)] });
        const lt = add({ op: 'lt', dtype: 'bool', args: [d.index, int(upper)] });
        const ok = add({ op: 'logical_and', dtype: 'bool', args: [ge, lt] });
        return { index: add({ op: 'where', dtype: 'i32', args: [ok, d.index, int(2 ** 28)] }), stride: d.stride };
      });
      exprs[id] = { ...e, view: { ...e.view, dynamic } };
    });
    return { ...k, exprs };
  });
  return { ...s, kernels };
}

const storageVars = (code: string): number => (code.match(/var<storage/g) ?? []).length;

describe('emitWgsl', () => {
  it('emits one module per kernel, each with its entry point, within 8 storage bindings', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 30, maxLength: 100 }), fc.nat(), (choices, seed) => {
        const s = schedule(randomGraph(choices, seed, { steps: 10, seeds: 3 }).graph);
        const out = emitWgsl(s);
        expect(out.length).toBe(s.kernels.length);
        s.kernels.forEach((k, i) => {
          const w = emitKernel(k, s);
          expect(storageBindings(w)).toBeLessThanOrEqual(8);
          expect(storageVars(w.code)).toBe(storageBindings(w));
          expect(w.checks).toBe(w.code.includes('fail_('));
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

  it('checks run-time errors where they can happen, and only there', () => {
    /** The one kernel of a graph with inputs x: f32[5, 3], idx: i32[4], n: i32[4] and one output. */
    const only = (out: (b: Builder, x: number, idx: number, n: number) => number, options = {}) => {
      const b = new Builder();
      const x = b.input({ dtype: 'f32', shape: [5, 3] }, 0, 'x');
      const idx = b.input({ dtype: 'i32', shape: [4] }, 1, 'idx');
      const n = b.input({ dtype: 'i32', shape: [4] }, 2, 'n');
      const s = schedule(b.graph('k', [out(b, x, idx, n)]));
      expect(s.kernels.length).toBe(1);
      return emitKernel(s.kernels[0]!, s, options);
    };
    // A dynamic index: checked against 5 and clamped.
    const gather = only((b, x, idx) => b.add('exp', [b.add('gather', [x, idx], { axis: 0 })]));
    expect(gather.checks).toBe(true);
    expect(gather.indexSites).toEqual([{ kind: 'dynamic', bound: 5 }]);
    expect(gather.code).toMatch(/if \(t\d+ < 0 \|\| t\d+ >= 5\) \{ fail_\(3u, t\d+\); \}/);
    expect(gather.code).toContain('arrayLength(&');
    // A divisor from data is checked; a constant one is not; nor is plain arithmetic.
    expect(only((b, _x, idx, n) => b.add('div', [idx, n])).code).toContain('idivc(');
    expect(only((b, _x, idx) => b.add('mod', [idx, b.broadcast(b.scalar(4, 'i32'), [4])])).checks).toBe(false);
    expect(only((b, x) => b.add('exp', [x])).checks).toBe(false);
    // Without checks (no binding left) the index is still clamped.
    const bare = only((b, x, idx) => b.add('exp', [b.add('gather', [x, idx], { axis: 0 })]), { checks: false });
    expect(bare.checks).toBe(false);
    expect(bare.code).not.toContain('fail_');
    expect(bare.code).toContain('arrayLength(&');
  });

  it('never rejects a valid index: the checks\' bounds hold on random graphs with gathers, pads, concats and reshapes', () => {
    const run = (options: RandomOptions, numRuns: number): void =>
      fc.assert(
        fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 30, maxLength: 100, size: 'max' }), fc.nat(), (choices, seed) => {
          const { graph, inputs } = randomGraph(choices, seed, options);
          const s = scheduleForWgsl(graph);
          try {
            execute(withIndexChecks(s), planMemory(s), inputs);
          } catch (err) {
            expect.fail(`${(err as Error).message}\n${printKernels(s)}`);
          }
        }),
        { numRuns },
      );
    run({ ops: ['index', 'layout', 'elementwise'] }, 400);
    run({ ops: ['index', 'concat', 'layout'] }, 200);
    run({ steps: 10, seeds: 3 }, 300);
  });

  it('leaves a binding for the status buffer: a kernel that can fail and binds 8 buffers is scheduled within 7', () => {
    const b = new Builder();
    const xs = Array.from({ length: 7 }, (_, i) => b.input({ dtype: 'f32', shape: [6] }, i, `x${i}`));
    const idx = b.input({ dtype: 'i32', shape: [6] }, 7, 'idx');
    const sum = xs.slice(1).reduce((acc, x) => b.add('add', [acc, x]), xs[0]!);
    const g = b.graph('wide', [b.add('gather', [sum, idx], { axis: 0 })]);
    const plain = schedule(g);
    expect(plain.kernels.some((k) => bindings(k) === 8)).toBe(true);
    // Emitted from that schedule, the 8-binding kernel has no room: it only clamps.
    expect(plain.kernels.some((k) => bindings(k) === 8 && !emitKernel(k, plain).checks)).toBe(true);
    const s = scheduleForWgsl(g);
    for (const k of s.kernels) {
      const w = emitKernel(k, s);
      expect(storageBindings(w)).toBeLessThanOrEqual(8);
      if (w.code.includes('arrayLength(&')) expect(w.checks).toBe(true);
    }
  });
});
