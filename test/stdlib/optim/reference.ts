// Float64 reference implementations of std.optim's formulas, written from the papers' equations
// (Moonlight's Muon, AdamW, torch's SGD) independently of the .mu code, and the helpers the tests
// share: a seeded Gaussian generator, tensors in and out, singular values by Jacobi.
import { tensor, type Tensor } from '../../../index.ts';

/** A float64 tensor in row-major order: a matrix has shape [rows, cols], a stack [e, rows, cols]. */
export interface Arr {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export const arr = (shape: readonly number[], data: ArrayLike<number>): Arr => ({ shape, data: Float64Array.from(data) });
export const toTensor = (a: Arr): Tensor => tensor('f32', [...a.shape], [...a.data]);
export const fromTensor = (t: Tensor): Arr => arr(t.shape, t.data as Float32Array);
export const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** mulberry32 + Box–Muller: the same standard normals for the same seed. */
export function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Gaussian values of a shape, times `scale`, rounded to float32 so that both sides start equal. */
export function randn(next: () => number, shape: readonly number[], scale = 1): Arr {
  return arr(shape, Float32Array.from({ length: size(shape) }, () => scale * next()));
}

export const map = (a: Arr, f: (x: number, i: number) => number): Arr => arr(a.shape, a.data.map(f));
export const zip = (a: Arr, b: Arr, f: (x: number, y: number) => number): Arr => map(a, (x, i) => f(x, b.data[i]!));
export const rms = (a: Arr): number => Math.sqrt(a.data.reduce((s, x) => s + x * x, 0) / a.data.length);
export const maxAbsDiff = (a: Arr, b: Arr): number => a.data.reduce((m, x, i) => Math.max(m, Math.abs(x - b.data[i]!)), 0);

// ---- matrices ----

export interface Mat {
  readonly r: number;
  readonly c: number;
  readonly d: Float64Array;
}

const mat = (r: number, c: number, d: Float64Array = new Float64Array(r * c)): Mat => ({ r, c, d });

export function matmul(a: Mat, b: Mat): Mat {
  const out = mat(a.r, b.c);
  for (let i = 0; i < a.r; i++)
    for (let k = 0; k < a.c; k++) {
      const x = a.d[i * a.c + k]!;
      for (let j = 0; j < b.c; j++) out.d[i * b.c + j]! += x * b.d[k * b.c + j]!;
    }
  return out;
}

export function transpose(a: Mat): Mat {
  const out = mat(a.c, a.r);
  for (let i = 0; i < a.r; i++) for (let j = 0; j < a.c; j++) out.d[j * a.r + i] = a.d[i * a.c + j]!;
  return out;
}

const lin = (x: number, a: Mat, y: number, b: Mat): Mat => mat(a.r, a.c, a.d.map((v, i) => x * v + y * b.d[i]!));
const frobenius = (a: Mat): number => Math.sqrt(a.d.reduce((s, x) => s + x * x, 0));

/** The matrices of a matrix or a stack, and back. */
export function matrices(a: Arr): Mat[] {
  const [r, c] = a.shape.slice(-2) as [number, number];
  return Array.from({ length: a.data.length / (r * c) }, (_, e) => mat(r, c, a.data.slice(e * r * c, (e + 1) * r * c)));
}
const fromMatrices = (shape: readonly number[], ms: Mat[]): Arr => arr(shape, ms.flatMap((m) => [...m.d]));

// ---- Muon (Moonlight form) ----

const NS = [3.4445, -4.775, 2.0315] as const;

/** Newton–Schulz: X₀ = G/(‖G‖_F + 1e-7), transposed when tall; 5 × (A = XXᵀ; B = bA + cA²; X = aX + BX). */
export function newtonSchulz(g: Mat, steps = 5): Mat {
  const tall = g.r > g.c;
  let x = tall ? transpose(g) : g;
  const n = frobenius(x) + 1e-7;
  x = mat(x.r, x.c, x.d.map((v) => v / n));
  const [a, b, c] = NS;
  for (let s = 0; s < steps; s++) {
    const A = matmul(x, transpose(x));
    const B = lin(b, A, c, matmul(A, A));
    x = lin(a, x, 1, matmul(B, x));
  }
  return tall ? transpose(x) : x;
}

export type Scale = 'match_rms_adamw' | 'original';

export function muonScale(rows: number, cols: number, scale: Scale): number {
  return scale === 'match_rms_adamw' ? 0.2 * Math.sqrt(Math.max(rows, cols)) : Math.sqrt(Math.max(1, rows / cols));
}

export interface MuonOptions {
  readonly lr: number;
  readonly weightDecay: number;
  readonly momentum?: number;
  readonly nesterov: boolean;
  readonly scale: Scale;
}

/** One Muon step on a matrix or a stack: M ← μM + G; O = NS(G + μM or M) per matrix; W ← W(1 − ηλ) − η·scale·O. */
export function muonStep(w: Arr, g: Arr, m: Arr, o: MuonOptions): { w: Arr; m: Arr } {
  const mu = o.momentum ?? 0.95;
  const mNew = zip(m, g, (mi, gi) => mu * mi + gi);
  const d = o.nesterov ? zip(g, mNew, (gi, mi) => gi + mu * mi) : mNew;
  const [r, c] = w.shape.slice(-2) as [number, number];
  const k = muonScale(r, c, o.scale);
  const orth = fromMatrices(w.shape, matrices(d).map((x) => newtonSchulz(x)));
  return { w: zip(w, orth, (wi, oi) => wi * (1 - o.lr * o.weightDecay) - o.lr * k * oi), m: mNew };
}

// ---- AdamW and SGD ----

export interface AdamWOptions {
  readonly lr: number;
  readonly weightDecay: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

/** One AdamW step at step t (from 1): moments, bias correction, decoupled decay. */
export function adamwStep(w: Arr, g: Arr, m: Arr, v: Arr, t: number, o: AdamWOptions): { w: Arr; m: Arr; v: Arr } {
  const [b1, b2, eps] = [o.beta1 ?? 0.9, o.beta2 ?? 0.95, o.eps ?? 1e-8];
  const mNew = zip(m, g, (mi, gi) => b1 * mi + (1 - b1) * gi);
  const vNew = zip(v, g, (vi, gi) => b2 * vi + (1 - b2) * gi * gi);
  const wNew = map(w, (wi, i) => {
    const mHat = mNew.data[i]! / (1 - b1 ** t);
    const vHat = vNew.data[i]! / (1 - b2 ** t);
    return wi - o.lr * o.weightDecay * wi - (o.lr * mHat) / (Math.sqrt(vHat) + eps);
  });
  return { w: wNew, m: mNew, v: vNew };
}

/** One step of torch.optim.SGD with momentum (no dampening). */
export function sgdStep(w: Arr, g: Arr, buf: Arr, o: { lr: number; momentum: number; nesterov: boolean; weightDecay: number }): { w: Arr; buf: Arr } {
  const d = zip(g, w, (gi, wi) => gi + o.weightDecay * wi);
  const b = zip(buf, d, (bi, di) => o.momentum * bi + di);
  const step = o.nesterov ? zip(d, b, (di, bi) => di + o.momentum * bi) : b;
  return { w: zip(w, step, (wi, si) => wi - o.lr * si), buf: b };
}

// ---- singular values ----

/** The eigenvalues of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigenvalues(s: Mat): number[] {
  const n = s.r;
  const a = Float64Array.from(s.d);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-24) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < n; k++) {
          // columns p and q
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - sn * akq;
          a[k * n + q] = sn * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          // rows p and q
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - sn * aqk;
          a[q * n + k] = sn * apk + c * aqk;
        }
      }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]!);
}

/** The min(r, c) singular values of a matrix: square roots of the eigenvalues of the smaller Gram matrix. */
export function singularValues(x: Mat): number[] {
  const gram = x.r <= x.c ? matmul(x, transpose(x)) : matmul(transpose(x), x);
  return symmetricEigenvalues(gram).map((l) => Math.sqrt(Math.max(l, 0)));
}
