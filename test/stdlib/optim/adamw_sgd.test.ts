// AdamW and SGD with momentum (std.optim) against float64 references, several steps on a record
// of a matrix and a vector.
import { describe, expect, it } from 'vitest';
import { compileFile, type Tensor } from '../../../index.ts';
import { adamwStep, arr, fromTensor, gaussian, maxAbsDiff, randn, sgdStep, toTensor, type Arr } from './reference.ts';

const program = compileFile(new URL('./harness.mu', import.meta.url).pathname);

// float32 against float64 on O(1) parameters moved by about η per step: a few ulps.
const TOL = 1e-5;
const STEPS = 4;
const [A, B] = [3, 5];

type Pair = { w: Tensor; v: Tensor };

function draw(seed: number) {
  const next = gaussian(seed);
  const w = randn(next, [A, B]);
  const v = randn(next, [B]);
  // Gradients of different sizes per step, so that the bias correction and the moments matter.
  const gw = Array.from({ length: STEPS }, (_, i) => randn(next, [A, B], 0.1 * (i + 1)));
  const gv = Array.from({ length: STEPS }, (_, i) => randn(next, [B], 2 / (i + 1)));
  const stack = (xs: Arr[]) => toTensor(arr([xs.length, ...xs[0]!.shape], xs.flatMap((x) => [...x.data])));
  return { w, v, gw, gv, args: [{ w: toTensor(w), v: toTensor(v) }, stack(gw), stack(gv)] as const };
}

const zeros = (a: Arr) => arr(a.shape, new Float64Array(a.data.length));

describe('adamw', () => {
  it(`matches the reference for ${STEPS} steps (β 0.9/0.95, ε 1e-8, η 0.01, λ 0.1)`, async () => {
    const d = draw(11);
    const [p, s] = (await program.call('adamw_steps', ...d.args)) as [Pair, { step: Tensor; m: Pair; v: Pair }];
    const o = { lr: 0.01, weightDecay: 0.1 };
    let rw = { w: d.w, m: zeros(d.w), v: zeros(d.w) };
    let rv = { w: d.v, m: zeros(d.v), v: zeros(d.v) };
    for (let t = 1; t <= STEPS; t++) {
      rw = adamwStep(rw.w, d.gw[t - 1]!, rw.m, rw.v, t, o);
      rv = adamwStep(rv.w, d.gv[t - 1]!, rv.m, rv.v, t, o);
    }
    expect(s.step.data[0]).toBe(STEPS);
    expect(maxAbsDiff(fromTensor(p.w), rw.w)).toBeLessThan(TOL);
    expect(maxAbsDiff(fromTensor(p.v), rv.w)).toBeLessThan(TOL);
    expect(maxAbsDiff(fromTensor(s.m.w), rw.m)).toBeLessThan(TOL);
    expect(maxAbsDiff(fromTensor(s.v.w), rw.v)).toBeLessThan(TOL);
    expect(maxAbsDiff(fromTensor(s.m.v), rv.m)).toBeLessThan(TOL);
    expect(maxAbsDiff(fromTensor(s.v.v), rv.v)).toBeLessThan(TOL);
    // AdamW's first step moves every weight by about η (m̂/√v̂ = ±1): the result is not the start.
    expect(maxAbsDiff(fromTensor(p.w), d.w)).toBeGreaterThan(1e-3);
  });
});

describe('sgd with momentum', () => {
  for (const nesterov of [false, true])
    it(`matches torch.optim.SGD for ${STEPS} steps (μ 0.9, η 0.05, λ 0.01, nesterov ${nesterov})`, async () => {
      const d = draw(nesterov ? 23 : 29);
      const [p, buf] = (await program.call('sgd_steps', ...d.args, nesterov)) as [Pair, Pair];
      const o = { lr: 0.05, momentum: 0.9, nesterov, weightDecay: 0.01 };
      let rw = { w: d.w, buf: zeros(d.w) };
      let rv = { w: d.v, buf: zeros(d.v) };
      for (let t = 0; t < STEPS; t++) {
        rw = sgdStep(rw.w, d.gw[t]!, rw.buf, o);
        rv = sgdStep(rv.w, d.gv[t]!, rv.buf, o);
      }
      expect(maxAbsDiff(fromTensor(p.w), rw.w)).toBeLessThan(TOL);
      expect(maxAbsDiff(fromTensor(p.v), rv.w)).toBeLessThan(TOL);
      expect(maxAbsDiff(fromTensor(buf.w), rw.buf)).toBeLessThan(TOL);
      expect(maxAbsDiff(fromTensor(buf.v), rv.buf)).toBeLessThan(TOL);
    });
});
