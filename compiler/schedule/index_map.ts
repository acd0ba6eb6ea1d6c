// Index maps: how a kernel's loop index reaches an element of a tensor-IR value inside it.
//
// Fusion builds each kernel's expression from its output down, carrying for every value the map
// from loop index to that value's own index (one `Ix` per axis). View primitives transform the map
// (transpose permutes it, broadcast zeroes axes, slice adds offsets, reshape re-splits the flat
// position), so at a buffer the map becomes a load's view and no view is ever copied.
//
// An Ix is kept in a normal form, Σ coeff·i_axis + Σ coeff·atom + c: affine in the loop axes plus
// non-affine atoms, which are data-dependent values (gather indices) or digits of a flat position
// (a reshape that does not split or merge axes cleanly: floor(flat / radix) mod size).
import type { ExprId } from '../kernel/ir.ts';

export type Atom =
  /** An i32 expression of the kernel, known to lie in [0, size). */
  | { readonly k: 'val'; readonly expr: ExprId; readonly size: number }
  /** floor(of / radix) mod size, where `of` is a non-negative flat position. */
  | { readonly k: 'digit'; readonly of: Ix; readonly radix: number; readonly size: number };

export interface Ix {
  /** [axis, coeff] pairs, sorted by axis, no zero coefficients. */
  readonly terms: readonly (readonly [number, number])[];
  /** [atom, coeff] pairs, sorted by atom key, no zero coefficients. */
  readonly atoms: readonly (readonly [Atom, number])[];
  readonly c: number;
}

/** One Ix per axis of a value: its index as a function of the kernel's loop index. */
export type IndexMap = readonly Ix[];

export const constIx = (c: number): Ix => ({ terms: [], atoms: [], c });
export const axisIx = (axis: number): Ix => ({ terms: [[axis, 1]], atoms: [], c: 0 });
export const valIx = (expr: ExprId, size: number): Ix => ({ terms: [], atoms: [[{ k: 'val', expr, size }, 1]], c: 0 });
export const isAffine = (x: Ix): boolean => x.atoms.length === 0;
export const identityMap = (rank: number): IndexMap => Array.from({ length: rank }, (_, a) => axisIx(a));

export function atomKey(a: Atom): string {
  return a.k === 'val' ? `v${a.expr}<${a.size}` : `d(${ixKey(a.of)})/${a.radix}%${a.size}`;
}

export function ixKey(x: Ix): string {
  const t = x.terms.map(([a, k]) => `${k}i${a}`).join('+');
  const at = x.atoms.map(([a, k]) => `${k}${atomKey(a)}`).join('+');
  return `${t}|${at}|${x.c}`;
}

export const mapKey = (m: IndexMap): string => m.map(ixKey).join(';');

/** Σ k·x over the given parts, plus c, in normal form. */
export function combine(parts: readonly (readonly [Ix, number])[], c = 0): Ix {
  const terms = new Map<number, number>();
  const atoms = new Map<string, [Atom, number]>();
  let total = c;
  for (const [x, k] of parts) {
    if (k === 0) continue;
    total += k * x.c;
    for (const [a, q] of x.terms) terms.set(a, (terms.get(a) ?? 0) + k * q);
    for (const [a, q] of x.atoms) {
      const key = atomKey(a);
      const prev = atoms.get(key);
      atoms.set(key, [a, (prev?.[1] ?? 0) + k * q]);
    }
  }
  return {
    terms: [...terms].filter(([, q]) => q !== 0).sort((p, q) => p[0] - q[0]),
    atoms: [...atoms].filter(([, [, q]]) => q !== 0).sort((p, q) => (p[0] < q[0] ? -1 : 1)).map(([, a]) => a),
    c: total,
  };
}

export const addConst = (x: Ix, c: number): Ix => (c === 0 ? x : { ...x, c: x.c + c });

/** The smallest and largest value of x over the loop space (`sizes` are the loop axes' extents). */
export function range(x: Ix, sizes: readonly number[]): [number, number] {
  let lo = x.c;
  let hi = x.c;
  const span = (k: number, n: number): void => {
    const v = k * Math.max(n - 1, 0);
    if (v < 0) lo += v;
    else hi += v;
  };
  for (const [a, k] of x.terms) span(k, sizes[a] ?? 1);
  for (const [a, k] of x.atoms) span(k, a.size);
  return [lo, hi];
}

/** floor(of / radix) mod size, simplified where the range of `of` makes it trivial. */
function digit(of: Ix, radix: number, size: number, sizes: readonly number[]): Ix {
  const [lo, hi] = range(of, sizes);
  if (lo >= 0 && hi < radix) return constIx(0);
  if (radix === 1 && lo >= 0 && hi < size) return of;
  // A digit of a digit (reshape after reshape) is a digit of the first flat position when the
  // inner digit's range is a whole number of the outer one's: floor((F/r mod s)/r2) mod s2.
  const inner = of.terms.length === 0 && of.c === 0 && of.atoms.length === 1 ? of.atoms[0]! : undefined;
  if (inner !== undefined && inner[1] === 1 && inner[0].k === 'digit' && inner[0].size % (radix * size) === 0) {
    return digit(inner[0].of, inner[0].radix * radix, size, sizes);
  }
  return { terms: [], atoms: [[{ k: 'digit', of, radix, size }, 1]], c: 0 };
}

// ---- view primitives, applied from a value's map to its operand's map ----

/** transpose(x, perm): output axis d is x's axis perm[d]. */
export function transposeMap(m: IndexMap, perm: readonly number[]): IndexMap {
  const out: Ix[] = new Array<Ix>(perm.length);
  perm.forEach((p, d) => (out[p] = m[d]!));
  return out;
}

/** broadcast(x, shape): x's axes align to the right; its size-1 axes always read index 0. */
export function broadcastMap(m: IndexMap, xShape: readonly number[]): IndexMap {
  const lead = m.length - xShape.length;
  return xShape.map((d, j) => (d === 1 ? constIx(0) : m[lead + j]!));
}

export function sliceMap(m: IndexMap, starts: readonly number[]): IndexMap {
  return m.map((x, j) => addConst(x, starts[j] ?? 0));
}

/** Row-major strides of a dense buffer of this shape. */
export const rowMajor = (shape: readonly number[]): number[] => {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d]!;
  }
  return out;
};

/** Splits two shapes of equal size into runs of axes with equal products ([b, s, h·d] vs [b, s, h, d]). */
function reshapeGroups(from: readonly number[], to: readonly number[]): [number, number, number, number][] {
  const groups: [number, number, number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < from.length || j < to.length) {
    const [si, sj] = [i, j];
    let p = i < from.length ? from[i++]! : 1;
    let q = j < to.length ? to[j++]! : 1;
    while (p !== q) {
      if (p < q && i < from.length) p *= from[i++]!;
      else if (q < p && j < to.length) q *= to[j++]!;
      else throw new Error(`reshape: [${from}] and [${to}] differ in size`);
    }
    groups.push([si, i, sj, j]);
  }
  return groups;
}

/**
 * Writes an affine flat position F as mixed-radix digits (radices rs, sizes S) when every term of F
 * lands inside one digit without carries: then each digit is affine too (a clean split or merge).
 */
function decompose(f: Ix, rs: readonly number[], S: readonly number[], sizes: readonly number[]): Ix[] | null {
  const total = rs[0]! * S[0]!;
  if (f.c < 0 || f.c >= total) return null;
  const terms: [number, number][][] = S.map(() => []);
  const most = rs.map((r, k) => Math.floor(f.c / r) % S[k]!);
  const c = [...most];
  for (const [axis, coeff] of f.terms) {
    const n = sizes[axis] ?? 1;
    if (n <= 1) continue;
    const k = rs.findIndex((r, d) => r <= coeff && coeff < r * S[d]!);
    if (coeff < 0 || k < 0 || coeff % rs[k]! !== 0) return null;
    const q = coeff / rs[k]!;
    terms[k]!.push([axis, q]);
    most[k]! += q * (n - 1);
  }
  if (most.some((v, k) => v >= S[k]!)) return null;
  return terms.map((t, k) => combine(t.map(([a, q]) => [axisIx(a), q] as const), c[k]!));
}

/** reshape(x, uShape): the value's map `m` (over uShape) → x's map (over xShape). */
export function reshapeMap(m: IndexMap, uShape: readonly number[], xShape: readonly number[], sizes: readonly number[]): IndexMap {
  if (uShape.includes(0) || xShape.includes(0)) return xShape.map(() => constIx(0)); // no element is ever read
  const out: Ix[] = new Array<Ix>(xShape.length);
  for (const [u0, u1, x0, x1] of reshapeGroups(uShape, xShape)) {
    const rsU = rowMajor(uShape.slice(u0, u1));
    const f = combine(rsU.map((r, d) => [m[u0 + d]!, r] as const));
    const S = xShape.slice(x0, x1);
    const rs = rowMajor(S);
    if (S.length === 1) {
      out[x0] = f;
      continue;
    }
    const digits = isAffine(f) ? decompose(f, rs, S, sizes) : null;
    S.forEach((s, k) => (out[x0 + k] = digits?.[k] ?? digit(f, rs[k]!, s, sizes)));
  }
  return out;
}

/**
 * The element offset Σ strides[j]·m[j] of a buffer read through map m, with the digits of one flat
 * position recombined when they meet a buffer laid out like them: Σ rs_k·digit_k(F) = F. That is what
 * makes "reshape of a contiguous value" a plain affine view even when the reshape merges axes.
 */
export function offsetIx(m: IndexMap, strides: readonly number[], sizes: readonly number[]): Ix {
  let x = combine(m.map((ix, j) => [ix, strides[j]!] as const));
  // A recombined F may itself be a digit of a coarser position: repeat until nothing changes.
  for (let next = collapse(x, sizes); next !== x; next = collapse(x, sizes)) x = next;
  return x;
}

/** One round of recombining complete, chained digit groups (returns x itself if there is none). */
function collapse(x: Ix, sizes: readonly number[]): Ix {
  const groups = new Map<string, [Atom & { k: 'digit' }, number][]>();
  for (const [a, k] of x.atoms) {
    if (a.k !== 'digit') continue;
    const key = ixKey(a.of);
    groups.set(key, [...(groups.get(key) ?? []), [a, k]]);
  }
  let out = x;
  for (const ds of groups.values()) {
    ds.sort((p, q) => p[0].radix - q[0].radix);
    const [low, k0] = ds[0]!;
    const top = ds[ds.length - 1]![0];
    const chained = ds.every(([a, k], i) => k === k0 * a.radix && (i === 0 || a.radix === ds[i - 1]![0].radix * ds[i - 1]![0].size));
    const [lo, hi] = range(low.of, sizes);
    if (low.radix !== 1 || !chained || lo < 0 || hi >= top.radix * top.size) continue;
    out = combine([[out, 1], ...ds.map(([a, k]) => [{ terms: [], atoms: [[a, 1]], c: 0 } as Ix, -k] as const), [low.of, k0]]);
  }
  return out;
}
