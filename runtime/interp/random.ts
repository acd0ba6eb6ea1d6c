// Counter-based PRNG of the reference interpreter: Threefry-2x32 (20 rounds),
// following Random123 and JAX's `jax._src.prng`.
//
// Counter layout: we reproduce JAX's original (non-partitionable,
// `jax_threefry_partitionable=False`) scheme. `threefry2x32Block` is JAX's
// `threefry_2x32(key, counts)`: the counts are split into a first half (x0)
// and second half (x1), hashed pairwise, and the outputs concatenated. Random
// words are `threefry2x32Block(key, [0, 1, ..., n-1])` and `splitKey(key, n)`
// is that over 2n counters, reshaped to n×2. Bit-for-bit JAX-compatible keys
// and bits are what make cross-checking against JAX programs possible.

const ROT0 = [13, 15, 26, 6] as const;
const ROT1 = [17, 29, 16, 24] as const;
const PARITY = 0x1bd11bda;

function rotl(v: number, r: number): number {
  return ((v << r) | (v >>> (32 - r))) >>> 0;
}

// Hashes one counter pair, writing the result to out[i], out[j]. Shared by
// the scalar and block forms so the block form allocates nothing per element.
function hashInto(k0: number, k1: number, c0: number, c1: number, out: Uint32Array, i: number, j: number): void {
  const ks = [k0, k1, (k0 ^ k1 ^ PARITY) >>> 0];
  let x0 = (c0 + ks[0]!) >>> 0;
  let x1 = (c1 + ks[1]!) >>> 0;
  for (let s = 1; s <= 5; s++) {
    for (const r of s % 2 === 1 ? ROT0 : ROT1) {
      x0 = (x0 + x1) >>> 0;
      x1 = (rotl(x1, r) ^ x0) >>> 0;
    }
    x0 = (x0 + ks[s % 3]!) >>> 0;
    x1 = (x1 + ks[(s + 1) % 3]! + s) >>> 0;
  }
  out[i] = x0;
  out[j] = x1;
}

export function threefry2x32(key: readonly [number, number], counter: readonly [number, number]): [number, number] {
  const out = new Uint32Array(2);
  hashInto(key[0] >>> 0, key[1] >>> 0, counter[0] >>> 0, counter[1] >>> 0, out, 0, 1);
  return [out[0]!, out[1]!];
}

/** JAX's `threefry_2x32(key, counts)`: halves of (zero-padded) counts as x0/x1. */
export function threefry2x32Block(key: readonly [number, number], counts: Uint32Array): Uint32Array {
  const n = counts.length;
  const half = (n + 1) >>> 1;
  const out = new Uint32Array(2 * half);
  const k0 = key[0] >>> 0;
  const k1 = key[1] >>> 0;
  for (let i = 0; i < half; i++) {
    const c1 = half + i < n ? counts[half + i]! : 0;
    hashInto(k0, k1, counts[i]!, c1, out, i, half + i);
  }
  return n === out.length ? out : out.subarray(0, n);
}

function words(key: Int32Array): [number, number] {
  if (key.length !== 2) throw new RangeError(`a key has 2 words, got ${key.length}`);
  return [key[0]! >>> 0, key[1]! >>> 0];
}

function iota(n: number): Uint32Array {
  const c = new Uint32Array(n);
  for (let i = 0; i < n; i++) c[i] = i;
  return c;
}

/** JAX's `PRNGKey(seed)` for a 32-bit seed: [0, seed]. */
export function keyFromSeed(seed: number): Int32Array {
  if (!Number.isInteger(seed) || seed < -0x80000000 || seed > 0xffffffff) {
    throw new RangeError(`seed must be a 32-bit integer, got ${seed}`);
  }
  return Int32Array.of(0, seed | 0);
}

/** JAX's `random.split(key, n)`: n keys, row-major n×2. */
export function splitKey(key: Int32Array, n = 2): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`split count must be a non-negative integer, got ${n}`);
  const bits = threefry2x32Block(words(key), iota(2 * n));
  return new Int32Array(bits.buffer, bits.byteOffset, 2 * n);
}

/** JAX's `random.fold_in(key, data)`: hash of counter (0, data). */
export function foldIn(key: Int32Array, data: number): Int32Array {
  const [a, b] = threefry2x32(words(key), [0, data >>> 0]);
  return Int32Array.of(a, b);
}

/** JAX's 32-bit `random.bits(key, (n,))`. */
export function randomBits(key: Int32Array, n: number): Uint32Array {
  return threefry2x32Block(words(key), iota(n));
}

// JAX's `_uniform` in float32: top 23 bits as mantissa of a float in [1, 2),
// minus 1, scaled to [lo, hi) and clamped below by lo.
function uniformRange(key: Int32Array, n: number, lo: number, hi: number): Float32Array {
  const bits = randomBits(key, n);
  const f = new Float32Array(bits.length);
  const asFloat = new Float32Array(f.buffer);
  const asBits = new Uint32Array(f.buffer);
  for (let i = 0; i < bits.length; i++) asBits[i] = (bits[i]! >>> 9) | 0x3f800000;
  const scale = Math.fround(hi - lo);
  for (let i = 0; i < f.length; i++) {
    const v = Math.fround(Math.fround(Math.fround(asFloat[i]! - 1) * scale) + lo);
    f[i] = Math.max(lo, v);
  }
  return f;
}

/** n float32 values uniform on [0, 1). */
export function uniform(key: Int32Array, n: number): Float32Array {
  return uniformRange(key, n, 0, 1);
}

/** Inverse error function, Giles' single-precision approximation (as XLA uses for f32), in float64. */
export function erfinv(x: number): number {
  if (Math.abs(x) === 1) return x * Infinity;
  let w = -Math.log1p(-x * x);
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * x;
}

// nextafter(-1, 0) in float32: keeps u off -1 so erfinv stays finite.
const OPEN_NEG_ONE = Math.fround(-1 + 2 ** -24);

/** n float32 standard normals: sqrt(2) * erfinv(u), u uniform on (-1, 1), as JAX does. */
export function normal(key: Int32Array, n: number): Float32Array {
  const u = uniformRange(key, n, OPEN_NEG_ONE, 1);
  for (let i = 0; i < u.length; i++) u[i] = Math.SQRT2 * erfinv(u[i]!);
  return u;
}
