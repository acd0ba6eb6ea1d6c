import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  erfinv,
  foldIn,
  keyFromSeed,
  normal,
  randomBits,
  splitKey,
  threefry2x32,
  threefry2x32Block,
  uniform,
} from '../../runtime/interp/random.ts';

const seed = fc.integer({ min: -0x80000000, max: 0x7fffffff });

function keysOf(keys: Int32Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < keys.length; i += 2) out.push(`${keys[i]},${keys[i + 1]}`);
  return out;
}

describe('threefry2x32', () => {
  it('matches the Random123 known-answer vectors', () => {
    expect(threefry2x32([0, 0], [0, 0])).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefry2x32([0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([0x1cb996fc, 0xbb002be7]);
    expect(threefry2x32([0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3])).toEqual([0xc4923a9c, 0x483df7a0]);
  });

  it('block form hashes first-half/second-half counter pairs', () => {
    const key = [0x13198a2e, 0x03707344] as const;
    const out = threefry2x32Block(key, Uint32Array.of(1, 2, 3, 4, 5));
    const [a0, a1] = threefry2x32(key, [1, 4]);
    const [b0, b1] = threefry2x32(key, [2, 5]);
    const [c0] = threefry2x32(key, [3, 0]);
    expect(Array.from(out)).toEqual([a0, b0, c0, a1, b1]);
  });
});

describe('keys', () => {
  it('reproduces JAX: split(PRNGKey(0))', () => {
    const keys = splitKey(keyFromSeed(0));
    expect(Array.from(new Uint32Array(keys.buffer, keys.byteOffset, 4))).toEqual([
      4146024105, 967050713, 2718843009, 1272950319,
    ]);
  });

  it('keyFromSeed is [0, seed]', () => {
    expect(Array.from(keyFromSeed(42))).toEqual([0, 42]);
    expect(Array.from(keyFromSeed(0xffffffff))).toEqual([0, -1]);
    expect(() => keyFromSeed(1.5)).toThrow(RangeError);
  });

  it('split keys are distinct from each other and from the parent', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 64 }), (s, n) => {
        const parent = keyFromSeed(s);
        const keys = splitKey(parent, n);
        expect(keys.length).toBe(2 * n);
        const all = [...keysOf(keys), ...keysOf(parent)];
        expect(new Set(all).size).toBe(n + 1);
      }),
    );
  });

  it('foldIn is deterministic and depends on data', () => {
    fc.assert(
      fc.property(seed, fc.nat(), fc.nat(), (s, a, b) => {
        const key = keyFromSeed(s);
        expect(foldIn(key, a)).toEqual(foldIn(key, a));
        if (a !== b) expect(foldIn(key, a)).not.toEqual(foldIn(key, b));
        expect(foldIn(key, a)).not.toEqual(key);
      }),
    );
  });
});

describe('sampling', () => {
  it('reproduces JAX: normal(PRNGKey(0), (10,))', () => {
    const expected = [
      -0.3721109, 0.26423115, -0.18252768, -0.7368197, -0.44030377, -0.1521442, -0.67135346, -0.5908641, 0.73168886,
      0.5673026,
    ];
    const got = normal(keyFromSeed(0), 10);
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 6));
  });

  it('is deterministic per key and differs across keys', () => {
    fc.assert(
      fc.property(seed, seed, (a, b) => {
        const ka = keyFromSeed(a);
        expect(randomBits(ka, 17)).toEqual(randomBits(ka, 17));
        expect(uniform(ka, 17)).toEqual(uniform(ka, 17));
        expect(normal(ka, 17)).toEqual(normal(ka, 17));
        if (a !== b) expect(randomBits(ka, 17)).not.toEqual(randomBits(keyFromSeed(b), 17));
      }),
    );
  });

  it('uniform lies in [0, 1) with mean near 1/2', () => {
    fc.assert(
      fc.property(seed, (s) => {
        const u = uniform(keyFromSeed(s), 20_000);
        let sum = 0;
        let inRange = true;
        for (const v of u) {
          inRange &&= v >= 0 && v < 1;
          sum += v;
        }
        expect(inRange).toBe(true);
        expect(Math.abs(sum / u.length - 0.5)).toBeLessThan(0.02);
      }),
      { numRuns: 50 },
    );
  });

  it('normal has mean near 0 and variance near 1', () => {
    fc.assert(
      fc.property(seed, (s) => {
        const x = normal(keyFromSeed(s), 20_000);
        let sum = 0;
        let sq = 0;
        for (const v of x) {
          sum += v;
          sq += v * v;
        }
        expect(Number.isFinite(sq)).toBe(true);
        const mean = sum / x.length;
        expect(Math.abs(mean)).toBeLessThan(0.05);
        expect(Math.abs(sq / x.length - mean * mean - 1)).toBeLessThan(0.05);
      }),
      { numRuns: 50 },
    );
  });

  it('erfinv matches reference values and stays finite inside (-1, 1)', () => {
    expect(erfinv(0)).toBe(0);
    expect(erfinv(0.5)).toBeCloseTo(0.4769362762044699, 6);
    expect(erfinv(-0.9)).toBeCloseTo(-1.1630871536766743, 6);
    expect(erfinv(0.999)).toBeCloseTo(2.326753765513525, 5);
    expect(Number.isFinite(erfinv(Math.fround(-1 + 2 ** -24)))).toBe(true);
    expect(erfinv(1)).toBe(Infinity);
  });
});
