// The public testing helpers (`muc/testing`): allclose, arbitraries, backends, property tests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../index.ts';
import {
  allclose,
  availableBackends,
  expectAllclose,
  propertyTest,
  sameShapeTensors,
  shapes,
  tensors,
} from '../testing.ts';

const t = (shape: number[], values: number[]): Tensor => tensor('f32', shape, values);

describe('allclose', () => {
  it('accepts values within atol + rtol·|expected|', () => {
    expect(allclose(t([2], [1, 1000]), t([2], [1 + 5e-7, 1000.005])).ok).toBe(true);
    expect(allclose(t([], [1]), 1).ok).toBe(true);
    expect(allclose(t([3], [1, 2, 3]), [1, 2, 3]).ok).toBe(true);
    expect(allclose(t([1], [1.1]), t([1], [1]), { rtol: 0.2 }).ok).toBe(true);
    expect(allclose(t([1], [1.1]), t([1], [1]), { atol: 0.2 }).ok).toBe(true);
    expect(allclose(t([1], [1.1]), t([1], [1])).ok).toBe(false);
    expect(allclose(t([1], [Infinity]), t([1], [Infinity])).ok).toBe(true);
  });

  it('names the first differing index and both values', () => {
    const r = allclose(t([2, 2], [1, 2, 3, 5]), t([2, 2], [1, 2, 4, 6]));
    expect(r.ok).toBe(false);
    expect(r.message).toContain('2 of 4 element(s) differ');
    expect(r.message).toContain('first at index [1, 0]');
    expect(r.message).toContain('actual 3, expected 4');
  });

  it('names both shapes when they differ', () => {
    const r = allclose(t([2, 3], [0, 0, 0, 0, 0, 0]), t([3, 2], [0, 0, 0, 0, 0, 0]));
    expect(r).toEqual({ ok: false, message: 'shapes differ: actual [2, 3], expected [3, 2]' });
  });

  it('treats NaN as equal to NaN only with equalNan', () => {
    expect(allclose(t([1], [NaN]), t([1], [NaN])).ok).toBe(false);
    expect(allclose(t([1], [NaN]), t([1], [NaN]), { equalNan: true }).ok).toBe(true);
    expect(allclose(t([1], [NaN]), t([1], [1]), { equalNan: true }).ok).toBe(false);
  });

  it('compares tuples and records by path', () => {
    const r = allclose([t([], [1]), { w: t([2], [1, 2]) }], [1, { w: t([2], [1, 3]) }]);
    expect(r.message).toMatch(/^\[1\]\.w: 1 of 2 element\(s\) differ; first at index \[1\]: actual 2, expected 3/);
  });

  it('expectAllclose throws with the message', () => {
    expect(() => expectAllclose(t([1], [1]), t([1], [1]))).not.toThrow();
    expect(() => expectAllclose(t([1], [2]), t([1], [1]))).toThrow(/first at index \[0\]: actual 2, expected 1/);
  });
});

describe('arbitraries', () => {
  it('shapes respect rank and dimension ranges', () => {
    fc.assert(
      fc.property(shapes({ rank: [1, 3], dim: [2, 5] }), (s) => {
        expect(s.length).toBeGreaterThanOrEqual(1);
        expect(s.length).toBeLessThanOrEqual(3);
        for (const d of s) expect(d >= 2 && d <= 5).toBe(true);
      }),
    );
  });

  it('f32 tensors hold exactly representable finite values in range', () => {
    fc.assert(
      fc.property(tensors(shapes(), { min: -2, max: 3 }), (x) => {
        expect(x.dtype).toBe('f32');
        expect(x.data).toBeInstanceOf(Float32Array);
        expect(x.data.length).toBe(x.shape.reduce((a, d) => a * d, 1));
        for (const v of x.data) expect(Number.isFinite(v) && v >= -2 && v <= 3 && Math.fround(v) === v).toBe(true);
      }),
    );
  });

  it('i32 and bool tensors have their dtype and fixed shapes', () => {
    fc.assert(
      fc.property(tensors([2, 3], { dtype: 'i32', min: -5, max: 5 }), tensors([4], { dtype: 'bool' }), (i, b) => {
        expect(i.shape).toEqual([2, 3]);
        expect(i.data).toBeInstanceOf(Int32Array);
        for (const v of i.data) expect(Number.isInteger(v) && v >= -5 && v <= 5).toBe(true);
        expect(b.dtype).toBe('bool');
        expect(b.shape).toEqual([4]);
        for (const v of b.data) expect(v === 0 || v === 1).toBe(true);
      }),
    );
  });

  it('draws NaN only when asked', () => {
    const sample = fc.sample(tensors([8], { nan: true }), 200);
    expect(sample.some((x) => x.data.some(Number.isNaN))).toBe(true);
  });

  it('sameShapeTensors share one shape', () => {
    fc.assert(
      fc.property(sameShapeTensors(3, shapes({ rank: [1, 2] })), (xs) => {
        expect(xs).toHaveLength(3);
        for (const x of xs) expect(x.shape).toEqual(xs[0]!.shape);
      }),
    );
  });
});

const SOURCE = `
fn f[n](x: f32[n]) -> f32 = sum(x * x)
fn add[n](x: f32[n], y: f32[n]) -> f32[n] = x + y
`;

const sumSquares = (x: Tensor): number => [...x.data].reduce((a, v) => a + v * v, 0);

describe('propertyTest', async () => {
  const backends = await availableBackends();

  it('lists the backends that can run here', () => {
    expect(backends.slice(0, 2)).toEqual(['interp', 'cpu']);
  });

  it('passes for a correct kernel on every available backend', async () => {
    await propertyTest(SOURCE, 'f', [tensors(shapes({ rank: [1, 1], dim: [1, 16] }), { min: -10, max: 10 })], {
      reference: sumSquares,
      tolerance: { rtol: 1e-5, atol: 1e-4 },
      numRuns: 25,
    });
  });

  it('compares against the interpreter without a reference', async () => {
    await propertyTest(SOURCE, 'add', sameShapeTensors(2, shapes({ rank: [1, 1], dim: [1, 8] })), { numRuns: 15 });
  });

  it('rejects with the counterexample for a wrong reference', async () => {
    const wrong = (x: Tensor): number => [...x.data].reduce((a, v) => a + v, 0);
    await expect(
      propertyTest(SOURCE, 'f', [tensors(shapes({ rank: [1, 1], dim: [1, 4] }), { min: 1, max: 10 })], {
        reference: wrong,
        backends: ['interp', 'cpu'],
        numRuns: 20,
      }),
    ).rejects.toThrow(/Counterexample[\s\S]*backend 'interp' differs from the reference: 1 of 1 element\(s\) differ/);
  });
});
