// exp, sigmoid and silu on four f32 lanes without leaving Wasm, with the interpreter's results bit
// for bit.
//
// The interpreter computes these in float64 with Math.exp and rounds once to float32. Here each
// lane is computed in float64 too (two f64x2 halves): e^x = 2^k·e^r with k = round(x/ln 2),
// r = x − k·ln 2 (Cody–Waite: ln 2 in two parts, |r| ≤ 0.35) and e^r by its Taylor series to r^12
// (truncation < 2^-52, evaluated by Estrin's scheme), so the float64 value is within a few float64 ulps of the exact one, as is
// the host's. Both then round to the same float32 unless the exact value lies within a few float64
// ulps of a float32 rounding boundary (a midpoint between two float32s): such a lane, one in about
// 2^16, and lanes outside |x| ≤ 80 (overflow, float32 subnormals, NaN) send the whole vector to the
// scalar form, which calls the host's Math.exp like the interpreter. So results stay exact while
// the common case costs ~70 SIMD instructions per four lanes instead of four calls into JavaScript.
import type { Helper, Needs } from './ops.ts';
import { f64, i32 } from './wat.ts';

export type VectorMath = 'exp' | 'sigmoid' | 'silu';

export const VECTOR_MATH: ReadonlySet<string> = new Set<VectorMath>(['exp', 'sigmoid', 'silu']);

const helperOf = (op: VectorMath): Helper => `v${op}`;

/** A call of the vector form of `op` (an f32x4 → f32x4 helper function). */
export function vectorMath(op: VectorMath, x: string, needs: Needs): string {
  needs.helpers.add(helperOf(op));
  needs.helpers.add('exp2x');
  needs.imports.add('exp');
  return `(call $v${op} ${x})`;
}

const INV_LN2 = 1 / Math.LN2;
// fdlibm's split of ln 2: LN2_HI has trailing zero bits, so k·LN2_HI is exact for |k| < 2^20.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
/** Half-width of the band around a float32 rounding boundary (in float64 ulps) left to the host. */
const BAND = 1 << 12;

const g = (name: string): string => `(local.get $${name})`;
const splat = (v: number): string => `(f64x2.splat ${f64(v)})`;

/** e^x on two float64 lanes, for |x| ≤ 700. */
export function exp2xHelper(): string {
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const c = (n: number): string => splat(1 / fact(n));
  const fma = (a: string, x: string, b: string): string => `(f64x2.add ${a} (f64x2.mul ${x} ${b}))`;
  // Estrin's scheme: pairs in r, then in r^2, r^4, r^8 (a dependency chain of 4 steps, not 12).
  const q = [0, 2, 4, 6, 8, 10].map((n) => fma(c(n), g('r'), c(n + 1)));
  return [
    '  ;; e^x on two f64 lanes (|x| <= 700): 2^k * e^r, r = x - k ln2 in two parts, Taylor series of e^r to r^12',
    '  (func $exp2x (param $x v128) (result v128) (local $k v128) (local $r v128) (local $r2 v128) (local $r4 v128) (local $u v128)',
    `    (local.set $k (f64x2.nearest (f64x2.mul ${g('x')} ${splat(INV_LN2)})))`,
    `    (local.set $r (f64x2.sub (f64x2.sub ${g('x')} (f64x2.mul ${g('k')} ${splat(LN2_HI)})) (f64x2.mul ${g('k')} ${splat(LN2_LO)})))`,
    `    (local.set $r2 (f64x2.mul ${g('r')} ${g('r')}))`,
    `    (local.set $r4 (f64x2.mul ${g('r2')} ${g('r2')}))`,
    // u = (q0 + q1 r2) + (q2 + q3 r2) r4 ; p = u + ((q4 + q5 r2) + c12 r4) r8
    `    (local.set $u ${fma(fma(q[0]!, g('r2'), q[1]!), g('r4'), fma(q[2]!, g('r2'), q[3]!))})`,
    `    (f64x2.mul ${fma(g('u'), `(f64x2.mul ${g('r4')} ${g('r4')})`, fma(fma(q[4]!, g('r2'), q[5]!), g('r4'), c(12)))}`,
    `      (i64x2.shl (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero ${g('k')})) (i64x2.splat (i64.const 1023))) ${i32(52)})))`,
  ].join('\n');
}

/** The f64x2 expression of `op` on lanes `p` (float64 values of float32 inputs). */
function body(op: VectorMath, p: string): string {
  const sigmoid = `(f64x2.div ${splat(1)} (f64x2.add ${splat(1)} (call $exp2x (f64x2.neg ${p}))))`;
  if (op === 'exp') return `(call $exp2x ${p})`;
  if (op === 'sigmoid') return sigmoid;
  return `(f64x2.mul ${p} ${sigmoid})`;
}

/** Whether a lane lies within BAND float64 ulps of a float32 rounding boundary (low 29 fraction bits near 2^28). */
const near = (y: string): string =>
  `(v128.any_true (i64x2.lt_s (i64x2.abs (i64x2.sub (v128.and ${y} (i64x2.splat (i64.const 0x1fffffff))) (i64x2.splat (i64.const 0x10000000)))) (i64x2.splat (i64.const ${BAND}))))`;

/** The f32x4 helper for `op`; `scalar` is its scalar form on lane k of $x (the exact fallback). */
export function vectorMathHelper(op: VectorMath, scalar: (k: number) => string): string {
  const fallback = `(f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat ${scalar(0)}) ${scalar(1)}) ${scalar(2)}) ${scalar(3)})`;
  return [
    `  ;; ${op} on four f32 lanes, in f64 like the interpreter; lanes out of range or near a float32 rounding boundary go to the host's Math`,
    `  (func $v${op} (param $x v128) (result v128) (local $lo v128) (local $hi v128)`,
    `    (if (i32.eqz (i32x4.all_true (f32x4.le (f32x4.abs ${g('x')}) (f32x4.splat (f32.const 80))))) (then (return ${fallback})))`,
    `    (local.set $lo ${body(op, `(f64x2.promote_low_f32x4 ${g('x')})`)})`,
    `    (local.set $hi ${body(op, `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${g('x')} ${g('x')}))`)})`,
    `    (if (i32.or ${near(g('lo'))} ${near(g('hi'))}) (then (return ${fallback})))`,
    `    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero ${g('lo')}) (f32x4.demote_f64x2_zero ${g('hi')})))`,
  ].join('\n');
}
