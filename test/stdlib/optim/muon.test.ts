// Muon (std.optim) against a float64 TypeScript implementation of Moonlight's formulas, and the
// Newton–Schulz iteration's promise: singular values pulled into [0.6, 1.25] on rectangular input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFile, tensor, type Tensor } from '../../../index.ts';
import {
  arr, fromTensor, gaussian, matrices, maxAbsDiff, muonStep, randn, rms, singularValues,
  symmetricEigenvalues, toTensor, type Arr, type Scale,
} from './reference.ts';

const program = compileFile(new URL('./harness.mu', import.meta.url).pathname);

// float32 against float64: the parameters start O(1) and each step moves them by η·0.2·√max ≈ 0.01.
// After three steps through five Newton–Schulz iterations the two agree to about 6e-7 (the worst
// of 100 random cases); 5e-6 absolute leaves room for that and none for a wrong formula (a missed
// μ, decay or scale changes the result by 1e-3 or more).
const TOL = 5e-6;
const STEPS = 3;

async function runMuon(shape: number[], nesterov: boolean, scale: Scale, seed: number) {
  const next = gaussian(seed);
  const w = randn(next, shape);
  const gs = Array.from({ length: STEPS }, () => randn(next, shape));
  const stacked = arr([STEPS, ...shape], gs.flatMap((g) => [...g.data]));
  const entry = shape.length === 2 ? 'muon_matrix' : 'muon_experts';
  const [wOut, mOut] = (await program.call(entry, toTensor(w), toTensor(stacked), nesterov, scale)) as [Tensor, Tensor];
  let ref = { w, m: arr(shape, new Float64Array(w.data.length)) };
  for (const g of gs) ref = muonStep(ref.w, g, ref.m, { lr: 0.02, weightDecay: 0.1, nesterov, scale });
  return { w: fromTensor(wOut), m: fromTensor(mOut), ref, start: w };
}

describe('muon against the float64 reference', () => {
  const shapes = [
    [4, 6], // wide
    [6, 4], // tall: transposed before Newton–Schulz
    [2, 3, 5], // an expert stack, each 3×5 matrix on its own
    [3, 5, 2], // a stack of tall matrices
  ];
  for (const shape of shapes)
    for (const nesterov of [true, false])
      for (const scale of ['match_rms_adamw', 'original'] as const)
        it(`f32[${shape.join(', ')}], nesterov ${nesterov}, ${scale}`, async () => {
          const { w, m, ref, start } = await runMuon(shape, nesterov, scale, 1000 * shape.length + shape[0]! + (nesterov ? 7 : 0));
          expect(maxAbsDiff(m, ref.m)).toBeLessThan(TOL);
          expect(maxAbsDiff(w, ref.w)).toBeLessThan(TOL);
          // The steps did move the parameters, by far more than the tolerance.
          expect(maxAbsDiff(w, start)).toBeGreaterThan(100 * TOL);
        });

  it('keeps Nesterov and the two scales apart (the options reach the update)', async () => {
    const a = await runMuon([4, 6], true, 'match_rms_adamw', 5);
    const b = await runMuon([4, 6], false, 'match_rms_adamw', 5);
    const c = await runMuon([4, 6], true, 'original', 5);
    expect(maxAbsDiff(a.w, b.w)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(a.w, c.w)).toBeGreaterThan(1e-3);
  });
});

describe('muon_scale', () => {
  it('is 0.2·√max(A, B) (match_rms_adamw) or √max(1, A/B) (original), and NaN for an unknown name', async () => {
    const at = async (r: number, c: number, name: string) => ((await program.call('scale_of', r, c, name)) as Tensor).data[0]!;
    expect(await at(4, 6, 'match_rms_adamw')).toBeCloseTo(0.2 * Math.sqrt(6), 6);
    expect(await at(6, 4, 'match_rms_adamw')).toBeCloseTo(0.2 * Math.sqrt(6), 6);
    expect(await at(4, 6, 'original')).toBe(1);
    expect(await at(6, 4, 'original')).toBeCloseTo(Math.sqrt(1.5), 6);
    expect(await at(4, 6, 'match_rms')).toBeNaN();
  });
});

describe('Newton–Schulz', () => {
  // Transposing a tall matrix does not change the result (p(XXᵀ)·X = X·p(XᵀX)), only the cost: the
  // Gram matrices must be min(A, B)² — visible in the graph's matmuls.
  const gramSides = (name: string, shape: number[]) =>
    program.graph(name, tensor('f32', shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(1))).nodes
      .filter((n) => n.op === 'matmul')
      .map((n) => n.type.shape.slice(-2));
  for (const [name, shape] of [['orthogonalize', [16, 8]], ['orthogonalize', [8, 16]], ['orthogonalize_stack', [2, 12, 4]]] as const)
    it(`works on the smaller Gram matrix for f32[${shape.join(', ')}]`, () => {
      const sides = gramSides(name, [...shape]);
      const small = Math.min(...shape.slice(-2));
      expect(sides.length).toBe(15); // 5 steps × (X·Xᵀ, A·A, B·X)
      for (const s of sides) expect(Math.min(...s)).toBe(small);
    });

  it('the Jacobi reference finds known eigenvalues', () => {
    // [[2, 1], [1, 2]] has eigenvalues 1 and 3; a diagonal matrix its diagonal.
    expect(symmetricEigenvalues({ r: 2, c: 2, d: Float64Array.of(2, 1, 1, 2) }).sort()).toEqual([expect.closeTo(1, 12), expect.closeTo(3, 12)]);
    const sv = singularValues({ r: 2, c: 3, d: Float64Array.of(3, 0, 0, 0, 0, 4) }).sort();
    expect(sv[0]).toBeCloseTo(3, 12);
    expect(sv[1]).toBeCloseTo(4, 12);
  });

  const shapes = [
    [8, 16],
    [16, 8],
    [12, 20],
    [20, 12],
  ] as const;
  for (const [r, c] of shapes)
    it(`pulls the singular values of random Gaussian ${r}×${c} matrices into [0.6, 1.25]`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.double({ min: 0.01, max: 100, noNaN: true }), async (seed, scale) => {
          const g = randn(gaussian(seed), [r, c], scale);
          const x = fromTensor((await program.call('orthogonalize', toTensor(g))) as Tensor);
          const sv = singularValues(matrices(x)[0]!);
          expect(sv.length).toBe(Math.min(r, c));
          for (const s of sv) {
            expect(s).toBeGreaterThanOrEqual(0.6);
            expect(s).toBeLessThanOrEqual(1.25);
          }
        }),
        { numRuns: 4 },
      );
    });

  // Five Newton–Schulz steps leave the singular values near 1, not at 1 (their squares average
  // about 0.85 on Gaussian input), so the scaled update's RMS 0.2·√(mean σ′²) sits near 0.185, and
  // about 3% of single 8×16 draws fall below 0.17. The ±0.03 band therefore holds for the mean
  // over draws; each draw obeys the band the singular-value bounds give, 0.2·[0.6, 1.25].
  for (const [r, c] of shapes)
    it(`scales Muon's ${r}×${c} update to RMS 0.2 ± 0.03 (match_rms_adamw)`, async () => {
      const draws: number[] = [];
      for (let seed = 1; seed <= 6; seed++) {
        const g: Arr = randn(gaussian(seed * 7919 + r), [r, c]);
        draws.push(rms(fromTensor((await program.call('direction', toTensor(g))) as Tensor)));
      }
      for (const d of draws) {
        expect(d).toBeGreaterThanOrEqual(0.2 * 0.6);
        expect(d).toBeLessThanOrEqual(0.2 * 1.25);
      }
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      expect(Math.abs(mean - 0.2)).toBeLessThanOrEqual(0.03);
    });
});
