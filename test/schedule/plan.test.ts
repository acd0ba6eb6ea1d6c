// The memory plan (compiler/schedule/plan.ts) and the binding limit of the scheduler.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder, type Graph } from '../../compiler/ir/graph.ts';
import { bindings, type Schedule } from '../../compiler/kernel/ir.ts';
import { validateSchedule } from '../../compiler/kernel/validate.ts';
import { lifetimes, planMemory, printPlan, type MemoryPlan, type Placement } from '../../compiler/schedule/plan.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { tensor } from '../../runtime/interp/ops/tensor.ts';
import { execute } from '../../runtime/kernels/execute.ts';
import { randomGraph } from '../kernel/random_graph.ts';

const choicesArb = fc.array(fc.nat({ max: 1000 }), { minLength: 30, maxLength: 100, size: 'max' });
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** h_{k+1} = h_k @ w_k: each temporary dies as soon as the next matmul has read it. */
function matmulChain(n: number): Graph {
  const b = new Builder();
  let h = b.input({ dtype: 'f32', shape: [8, 8] }, 0, 'x');
  for (let k = 0; k < n; k++) h = b.add('matmul', [h, b.input({ dtype: 'f32', shape: [8, 8] }, k + 1, `w${k}`)]);
  return b.graph('chain', [h]);
}

const overlaps = (p: Placement, q: Placement): boolean => p.first <= q.last && q.first <= p.last;
const intersects = (p: Placement, q: Placement): boolean => p.offset < q.offset + q.bytes && q.offset < p.offset + p.bytes;

/** The plan's invariants: see plan.ts. */
function expectSound(s: Schedule, plan: MemoryPlan): void {
  const ps = plan.placements;
  const life = lifetimes(s);
  expect(ps.map((p) => p.buffer).sort((a, b) => a - b)).toEqual([...life.keys()].sort((a, b) => a - b));
  for (const p of ps) {
    expect(p.offset % plan.align).toBe(0);
    expect(p.offset + p.bytes).toBeLessThanOrEqual(plan.peakBytes);
    expect([p.first, p.last]).toEqual(life.get(p.buffer));
  }
  for (let i = 0; i < ps.length; i++)
    for (let j = i + 1; j < ps.length; j++) {
      const [p, q] = [ps[i]!, ps[j]!];
      if (p.bytes > 0 && q.bytes > 0 && overlaps(p, q) && intersects(p, q)) expect.fail(`b${p.buffer} and b${q.buffer} are live together and share bytes`);
    }
  expect(plan.peakBytes).toBeLessThanOrEqual(ps.reduce((n, p) => n + alignUp(p.bytes, plan.align), 0));
}

/**
 * Reuse: a buffer placed above every buffer live at its write had no gap among them to go to.
 * (Buffers written by the same kernel are placed in output order.)
 */
function expectReuse(s: Schedule, plan: MemoryPlan): void {
  const order = s.kernels.flatMap((k) => [...k.outputs]);
  const placed = (p: Placement): number => order.indexOf(p.buffer);
  for (const p of plan.placements) {
    const before = plan.placements.filter((q) => placed(q) < placed(p) && q.last >= p.first).sort((a, b) => a.offset - b.offset);
    let top = 0;
    let gap = 0;
    for (const q of before) {
      gap = Math.max(gap, q.offset - top);
      top = Math.max(top, alignUp(q.offset + q.bytes, plan.align));
    }
    if (p.offset >= top && gap >= alignUp(p.bytes, plan.align) && p.bytes > 0) expect.fail(`b${p.buffer} went on top although a gap of ${gap} bytes was free`);
  }
}

describe('memory plan', () => {
  it('buffers with disjoint lifetimes share memory; overlapping ones do not', () => {
    const s = schedule(matmulChain(4));
    const plan = planMemory(s);
    expectSound(s, plan);
    // h1 (k0..k1) and h3 (k2..k3) share the first slot, h2 (k1..k2) takes the second.
    expect(printPlan(s, plan)).toMatchInlineSnapshot(`
      "plan chain: peak 512 bytes in one arena for 3 temporaries of 768 bytes (align 256)
        b5 f32[8, 8] 256 bytes @ 0, live k0..k1
        b6 f32[8, 8] 256 bytes @ 256, live k1..k2
        b7 f32[8, 8] 256 bytes @ 0, live k2..k3
        b0 f32[8, 8] 256 bytes, input (own buffer)
        b1 f32[8, 8] 256 bytes, input (own buffer)
        b2 f32[8, 8] 256 bytes, input (own buffer)
        b3 f32[8, 8] 256 bytes, input (own buffer)
        b4 f32[8, 8] 256 bytes, input (own buffer)
        b8 f32[8, 8] 256 bytes, output (own buffer)"
    `);
    const [h1, h2, h3] = plan.placements;
    expect(h1!.offset).toBe(h3!.offset);
    expect(h2!.offset).not.toBe(h1!.offset);
    expect(plan.peakBytes).toBeLessThan(plan.totalBytes);
  });

  it('random graphs: live buffers never share bytes, freed gaps are reused, peak ≤ sum of sizes', () => {
    fc.assert(
      fc.property(choicesArb, seedArb, fc.constantFrom(4, 256), (choices, seed, align) => {
        const { graph } = randomGraph(choices, seed, { steps: 10, seeds: 3 });
        const s = schedule(graph);
        const plan = planMemory(s, { align });
        expectSound(s, plan);
        expectReuse(s, plan);
      }),
      { numRuns: 300 },
    );
  });
});

describe('binding limit', () => {
  /** x0 + x1 + … + x{n-1}: one expression over n buffers. */
  function wideSum(n: number): Graph {
    const b = new Builder();
    const xs = Array.from({ length: n }, (_, k) => b.input({ dtype: 'f32', shape: [3] }, k, `x${k}`));
    return b.graph('wide', [xs.slice(1).reduce((acc, x) => b.add('add', [acc, x]), xs[0]!)]);
  }

  it('splits an expression over more buffers than a kernel may bind', () => {
    const g = wideSum(10);
    const inputs = g.inputs.map((_, k) => tensor('f32', [3], [k, k + 0.5, -k]));
    for (const maxBindings of [4, 5, 8]) {
      const s = schedule(g, { maxBindings });
      validateSchedule(s, { maxBindings });
      expect(Math.max(...s.kernels.map(bindings))).toBeLessThanOrEqual(maxBindings);
      expect(s.kernels.length).toBe(Math.ceil(9 / (maxBindings - 2)));
      expect(execute(s, planMemory(s), inputs)).toEqual(evaluate(g, inputs));
    }
  });

  it('nests a concat of more inputs than fit', () => {
    const b = new Builder();
    const xs = Array.from({ length: 9 }, (_, k) => b.input({ dtype: 'f32', shape: [2, 1 + (k % 3)] }, k, `x${k}`));
    const g = b.graph('cat', [b.add('concat', xs, { axis: 1 })]);
    const inputs = g.inputs.map((_, k) => tensor('f32', [2, 1 + (k % 3)], Array.from({ length: 2 * (1 + (k % 3)) }, (_, i) => 10 * k + i)));
    const s = schedule(g, { maxBindings: 4 });
    validateSchedule(s, { maxBindings: 4 });
    expect(execute(s, planMemory(s), inputs)).toEqual(evaluate(g, inputs));
  });

  it('random graphs with maxBindings = 4: every kernel fits, results unchanged', () => {
    fc.assert(
      fc.property(choicesArb, seedArb, (choices, seed) => {
        // Weighted towards expressions over many buffers, so that about one graph in five needs a split.
        const { graph, inputs } = randomGraph(choices, seed, { steps: 10, seeds: 3, ops: ['wide', 'elementwise', 'concat', 'reduce', 'matmul', 'index', 'library'] });
        const s = schedule(graph, { maxBindings: 4 });
        validateSchedule(s, { maxBindings: 4 });
        const got = execute(s, planMemory(s), inputs);
        const want = evaluate(graph, inputs);
        // Splitting only stores intermediate values: every kernel node still rounds as the interpreter does.
        got.forEach((t, k) => t.data.forEach((v, i) => {
          const w = want[k]!.data[i]!;
          if (!(v === w || (Number.isNaN(v) && Number.isNaN(w)) || Math.abs(v - w) <= 1e-5 * Math.max(1, Math.abs(w)))) expect.fail(`output ${k}[${i}]: ${v} vs ${w}`);
        }));
      }),
      { numRuns: 300 },
    );
  });
});
