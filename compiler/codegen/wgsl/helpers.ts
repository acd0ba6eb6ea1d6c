// WGSL helper functions shared by the generated kernels, emitted only when a kernel uses them.
//
// Two facts about the target shape these helpers (and expr.ts):
//   1. WGSL promises little about special values: `max` need not propagate NaN, `sqrt(-1)`, `log(-1)`
//      are indeterminate, and a const-expression that makes a NaN or an infinity is a compile error.
//      Every rule of the interpreter (runtime/interp/ops/elementwise.ts) that involves NaN, ±Inf or
//      -0 is therefore written out here with integer tests on the bits.
//   2. Vulkan drivers may optimize floating-point code as if it were real arithmetic. Mesa (lavapipe,
//      the CPU Vulkan driver CI uses) rewrites `x * 0.0` to `0.0`, `x - x` to `0.0`, `(2x) - x` to `x`,
//      `exp(log(x))` to `x`, `x != x` to `false` and `1 / sqrt(x)` to an approximate rsqrt; that
//      breaks NaN propagation and the per-node rounding the kernel IR promises. Generated code keeps
//      every f32 value opaque: `q(v)` xors the bits with `Z`, a zero the driver cannot see (read from
//      a uniform buffer), so no rewrite can match across nodes or fold a constant. It costs one
//      integer xor per node.

import { SITE_DIV, SITE_MOD, SITE_POW } from './checks.ts';

/** Helpers by name: WGSL source and the helpers it calls. */
interface Helper {
  readonly deps: readonly string[];
  readonly code: string;
}

const f32Bits = (v: number): string => {
  const b = new Uint32Array(Float32Array.of(v).buffer)[0]!;
  return `0x${b.toString(16).padStart(8, '0')}u`;
};

/** An exact f32 literal for a constant used inside a helper (finite, so a valid const-expression). */
const lit = (v: number): string => `bitcast<f32>(${f32Bits(v)})`;

const HELPERS: Readonly<Record<string, Helper>> = {
  q: { deps: [], code: 'fn q(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) ^ Z); }' },
  // A second, independent opaque copy: `x - x` written as `x - q2(x)` cannot fold to 0 (NaN - NaN).
  q2: { deps: [], code: 'fn q2(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) ^ Z2); }' },
  isnan_: { deps: [], code: 'fn isnan_(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }' },
  nan_: { deps: [], code: 'fn nan_() -> f32 { return bitcast<f32>(0x7fc00000u ^ Z); }' },
  inf_: { deps: [], code: 'fn inf_() -> f32 { return bitcast<f32>(0x7f800000u ^ Z); }' },
  // f32 constants, opaque: the bits of the value xor Z.
  fconst: { deps: [], code: 'fn fconst(bits: u32) -> f32 { return bitcast<f32>(bits ^ Z); }' },

  // exp: Cody–Waite reduction x = k·ln2 + r, |r| ≤ ln2/2, then the native exp of r (a few ulp, where
  // the native exp of a large argument loses |x|·2^-24 relative).
  expf: {
    deps: ['q', 'isnan_', 'inf_'],
    code: `fn expf(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (x > ${lit(88.72283935546875)}) { return inf_(); }
  if (x < ${lit(-103.97208404541016)}) { return q(0.0); }
  let k = round(q(x * ${lit(1.4426950408889634)}));
  let r = q(q(x - q(k * ${lit(0.693145751953125)})) - q(k * ${lit(1.428606765330187e-6)}));
  let ki = i32(k);
  let h = ki / 2;
  return ldexp(ldexp(exp(r), h), ki - h);
}`,
  },

  // log: musl's logf (|error| < 1 ulp), with opaque intermediates so the driver cannot reassociate it.
  logf: {
    deps: ['q', 'isnan_', 'nan_', 'inf_'],
    code: `fn logf(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  if (x < 0.0) { return nan_(); }
  if (x == 0.0) { return -inf_(); }
  if (bitcast<u32>(x) == 0x7f800000u) { return x; }
  var ix = bitcast<u32>(x);
  var k: i32 = 0;
  if (ix < 0x00800000u) { k = -25; ix = bitcast<u32>(q(x * ${lit(33554432)})); }
  ix = ix + (0x3f800000u - 0x3f3504f3u);
  k = k + i32(ix >> 23u) - 0x7f;
  ix = (ix & 0x007fffffu) + 0x3f3504f3u;
  let f = q(bitcast<f32>(ix) - 1.0);
  let s = q(f / q(2.0 + f));
  let z = q(s * s);
  let w = q(z * z);
  let t1 = q(w * q(${lit(0.40000972152)} + q(w * ${lit(0.24279078841)})));
  let t2 = q(z * q(${lit(0.66666662693)} + q(w * ${lit(0.28498786688)})));
  let rr = q(t2 + t1);
  let hfsq = q(q(0.5 * f) * f);
  let dk = f32(k);
  var y = q(q(s * q(hfsq + rr)) + q(dk * ${lit(9.0580006145e-6)}));
  y = q(y - hfsq);
  y = q(y + f);
  return q(y + q(dk * ${lit(0.69313812256)}));
}`,
  },

  // tanh: Cephes' tanhf: a polynomial below 0.625, 1 - 2/(e^{2|x|} + 1) above.
  tanhf: {
    deps: ['q', 'isnan_', 'expf'],
    code: `fn tanhf(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  let z = abs(x);
  if (z >= ${lit(0.625)}) {
    let e = expf(q(2.0 * z));
    let t = q(1.0 - q(2.0 / q(e + 1.0)));
    return select(t, -t, x < 0.0);
  }
  let zz = q(x * x);
  var p = q(q(${lit(-5.70498872745e-3)} * zz) + ${lit(2.06390887954e-2)});
  p = q(q(p * zz) - ${lit(5.37397155531e-2)});
  p = q(q(p * zz) + ${lit(1.33314422036e-1)});
  p = q(q(p * zz) - ${lit(3.33332819422e-1)});
  return q(x + q(q(q(p * zz) * x)));
}`,
  },

  sigmoidf: { deps: ['q', 'expf'], code: 'fn sigmoidf(x: f32) -> f32 { return q(1.0) / q(1.0 + expf(-x)); }' },
  siluf: { deps: ['q', 'sigmoidf'], code: 'fn siluf(x: f32) -> f32 { return x * q(sigmoidf(x)); }' },
  // gelu (tanh form): 0.5·x·(1 + tanh(u)) = x·sigmoid(2u), which keeps its digits for x ≪ 0.
  geluf: {
    deps: ['q', 'expf'],
    code: `fn geluf(x: f32) -> f32 {
  let u = q(${lit(Math.sqrt(2 / Math.PI))} * q(x + q(q(q(${lit(0.044715)} * x) * x) * x)));
  return x / q(1.0 + expf(q(-2.0 * u)));
}`,
  },
  rsqrtf: { deps: ['q'], code: 'fn rsqrtf(x: f32) -> f32 { return q(1.0) / q(sqrt(x)); }' },
  reluf: { deps: ['isnan_'], code: 'fn reluf(x: f32) -> f32 { if (isnan_(x) || x > 0.0) { return x; } return 0.0; }' },
  signf: { deps: ['isnan_'], code: 'fn signf(x: f32) -> f32 { if (isnan_(x) || x == 0.0) { return x; } return sign(x); }' },
  // Math.max / Math.min: NaN if either is NaN, and +0 > -0.
  fmaxf: {
    deps: ['isnan_', 'nan_'],
    code: `fn fmaxf(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return nan_(); }
  if (a > b) { return a; }
  if (b > a) { return b; }
  return bitcast<f32>(bitcast<u32>(a) & bitcast<u32>(b));
}`,
  },
  fminf: {
    deps: ['isnan_', 'nan_'],
    code: `fn fminf(a: f32, b: f32) -> f32 {
  if (isnan_(a) || isnan_(b)) { return nan_(); }
  if (a < b) { return a; }
  if (b < a) { return b; }
  return bitcast<f32>(bitcast<u32>(a) | bitcast<u32>(b));
}`,
  },
  // Floored modulo (Python %): the result takes the divisor's sign.
  fmodf: {
    deps: ['q'],
    code: `fn fmodf(a: f32, b: f32) -> f32 {
  var r = q(a % b);
  // x mod ±Inf is x for finite x (WGSL's a - b·trunc(a/b) would make a NaN).
  if ((bitcast<u32>(b) & 0x7fffffffu) == 0x7f800000u && (bitcast<u32>(a) & 0x7fffffffu) < 0x7f800000u) { r = a; }
  if (r != 0.0 && ((r < 0.0) != (b < 0.0))) { return q(r + b); }
  return r;
}`,
  },
  // Math.pow on floats: exp2(y·log2|x|) with JavaScript's special cases.
  powf: {
    deps: ['q', 'isnan_', 'nan_', 'inf_'],
    code: `fn powf(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (isnan_(x) || isnan_(y)) { return nan_(); }
  let ax = abs(x);
  let yinf = bitcast<u32>(abs(y)) == 0x7f800000u;
  if (yinf) {
    if (ax == 1.0) { return nan_(); }
    if ((ax > 1.0) == (y > 0.0)) { return inf_(); }
    return 0.0;
  }
  let neg = (bitcast<u32>(x) & 0x80000000u) != 0u;
  let yint = floor(y) == y;
  if (neg && !yint && ax != 0.0 && bitcast<u32>(ax) != 0x7f800000u) { return nan_(); }
  let odd = yint && abs(y) < 16777216.0 && (i32(abs(y)) & 1) == 1;
  var r: f32;
  if (ax == 0.0) {
    r = select(inf_(), 0.0, y > 0.0);
  } else if (bitcast<u32>(ax) == 0x7f800000u) {
    r = select(0.0, inf_(), y > 0.0);
  } else {
    r = exp2(q(y * q(log2(ax))));
  }
  if (neg && odd) { return -r; }
  return r;
}`,
  },
  // f32 → i32: truncation toward zero, saturating, NaN → 0.
  f2i: {
    deps: ['isnan_'],
    code: `fn f2i(x: f32) -> i32 {
  if (isnan_(x)) { return 0; }
  if (x >= 2147483648.0) { return 2147483647; }
  if (x <= -2147483648.0) { return i32(-2147483647 - 1); }
  return i32(x);
}`,
  },
  // i32 floored division and modulo (Python // and %). Division by zero is an error in the
  // interpreter: the checked forms (idivc, imodc) report it (checks.ts); either gives 0.
  idiv: {
    deps: [],
    code: `fn idiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let d = a / b;
  let r = a - d * b;
  if (r != 0 && ((r < 0) != (b < 0))) { return d - 1; }
  return d;
}`,
  },
  imod: {
    deps: [],
    code: `fn imod(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a - (a / b) * b;
  if (r != 0 && ((r < 0) != (b < 0))) { return r + b; }
  return r;
}`,
  },
  // i32 power by squaring, wrapping; a negative exponent (an error in the interpreter, reported by
  // ipowc) gives 0.
  ipow: {
    deps: [],
    code: `fn ipow(a: i32, e: i32) -> i32 {
  if (e < 0) { return 0; }
  var r: i32 = 1;
  var b: i32 = a;
  var n: i32 = e;
  loop {
    if (n <= 0) { break; }
    if ((n & 1) == 1) { r = r * b; }
    b = b * b;
    n = n >> 1u;
  }
  return r;
}`,
  },

  // The first failure of a call claims the status words (checks.ts); later ones leave them.
  fail_: {
    deps: [],
    code: `fn fail_(site: u32, v: i32) {
  if (atomicLoad(&status_[0]) != 0u) { return; }
  loop {
    let r = atomicCompareExchangeWeak(&status_[0], 0u, 1u);
    if (r.exchanged) {
      atomicStore(&status_[1], zero_.w);
      atomicStore(&status_[2], site);
      atomicStore(&status_[3], bitcast<u32>(v));
      return;
    }
    if (r.old_value != 0u) { return; }
  }
}`,
  },
  idivc: { deps: ['fail_', 'idiv'], code: `fn idivc(a: i32, b: i32) -> i32 { if (b == 0) { fail_(${SITE_DIV}u, 0); } return idiv(a, b); }` },
  imodc: { deps: ['fail_', 'imod'], code: `fn imodc(a: i32, b: i32) -> i32 { if (b == 0) { fail_(${SITE_MOD}u, 0); } return imod(a, b); }` },
  ipowc: { deps: ['fail_', 'ipow'], code: `fn ipowc(a: i32, e: i32) -> i32 { if (e < 0) { fail_(${SITE_POW}u, e); } return ipow(a, e); }` },

  // Threefry-2x32, 20 rounds (runtime/interp/random.ts): the words hashed under key (k0, k1).
  threefry: {
    deps: [],
    code: threefryCode(),
  },
  // JAX's float32 uniform on [lo, hi): 23 random bits as the mantissa of [1, 2), minus 1.
  unitf: {
    deps: ['q'],
    code: 'fn unitf(bits: u32) -> f32 { return q(bitcast<f32>((bits >> 9u) | 0x3f800000u) - 1.0); }',
  },
  // Giles' single-precision inverse error function, in f32 (the interpreter evaluates it in float64:
  // a few ulp apart).
  erfinvf: {
    deps: ['q', 'logf', 'inf_'],
    code: `fn erfinvf(x: f32) -> f32 {
  if (abs(x) == 1.0) { return x * inf_(); }
  var w = -logf(q(q(1.0 - x) * q(1.0 + x)));
  var p: f32;
  if (w < 5.0) {
    w = q(w - 2.5);
    p = ${lit(2.81022636e-8)};
${[3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]
  .map((c) => `    p = q(${lit(c)} + q(p * w));`).join('\n')}
  } else {
    w = q(sqrt(w) - 3.0);
    p = ${lit(-0.000200214257)};
${[0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]
  .map((c) => `    p = q(${lit(c)} + q(p * w));`).join('\n')}
  }
  return q(p * x);
}`,
  },
};

function threefryCode(): string {
  const rot0 = [13, 15, 26, 6];
  const rot1 = [17, 29, 16, 24];
  const lines = [
    'fn rotl(v: u32, r: u32) -> u32 { return (v << r) | (v >> (32u - r)); }',
    'fn threefry(k0: u32, k1: u32, c0: u32, c1: u32) -> vec2<u32> {',
    '  let ks = array<u32, 3>(k0, k1, k0 ^ k1 ^ 0x1bd11bdau);',
    '  var x0 = c0 + k0;',
    '  var x1 = c1 + k1;',
  ];
  for (let s = 1; s <= 5; s++) {
    for (const r of s % 2 === 1 ? rot0 : rot1) lines.push(`  x0 = x0 + x1; x1 = rotl(x1, ${r}u) ^ x0;`);
    lines.push(`  x0 = x0 + ks[${s % 3}]; x1 = x1 + ks[${(s + 1) % 3}] + ${s}u;`);
  }
  lines.push('  return vec2<u32>(x0, x1);', '}');
  return lines.join('\n');
}

/** Collects the helpers a kernel calls, with their dependencies, in an order WGSL accepts (any). */
export class HelperSet {
  private readonly used = new Set<string>();

  /** Whether a kernel calls `name` (a kernel that calls fail_ binds the status buffer). */
  has(name: string): boolean {
    return this.used.has(name);
  }

  use(name: string): string {
    const h = HELPERS[name];
    if (h === undefined) throw new Error(`wgsl: no helper ${name}`);
    if (!this.used.has(name)) {
      this.used.add(name);
      for (const d of h.deps) this.use(d);
    }
    return name;
  }

  /** The helpers' source, in a fixed order (so equal kernels give equal text). */
  code(): string {
    return Object.keys(HELPERS).filter((n) => this.used.has(n)).map((n) => HELPERS[n]!.code).join('\n\n');
  }
}

export { f32Bits };
