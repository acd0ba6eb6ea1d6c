// The host functions Wasm kernels import (module "math"): what Wasm lacks, computed exactly as the
// reference interpreter computes it (runtime/interp/ops/elementwise.ts), so results agree bit for bit.
// Plain JavaScript (typed by host_math.d.ts) because worker threads (worker.js) load it without a
// TypeScript loader.

/** Floored modulo (Python %), in float64: the result takes the divisor's sign. */
function floorMod(a, b) {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** Wrapping i32 power by squaring; a negative exponent raises. */
function ipow(base, e) {
  if (e < 0) throw new RangeError(`pow: negative i32 exponent ${e}`);
  let result = 1;
  for (let b = base; e > 0; e = Math.floor(e / 2), b = Math.imul(b, b)) if (e % 2 === 1) result = Math.imul(result, b);
  return result;
}

export const HOST_MATH = Object.freeze({
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  sin: Math.sin,
  cos: Math.cos,
  pow: Math.pow,
  fmod: floorMod,
  ipow,
});
