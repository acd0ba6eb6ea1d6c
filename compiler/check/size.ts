// Sizes are integer polynomials over size variables, kept in a normal form so that `2*n`, `n+n`
// and `(n+1)*2 - 2` compare equal, and `reshape`/`concat` can be checked symbolically.

/** A monomial is its sorted variable names joined by '*'; '' is the constant term. */
export interface Size {
  readonly terms: ReadonlyMap<string, number>;
}

function make(entries: Iterable<[string, number]>): Size {
  const terms = new Map<string, number>();
  for (const [m, c] of entries) {
    const v = (terms.get(m) ?? 0) + c;
    if (v === 0) terms.delete(m);
    else terms.set(m, v);
  }
  return { terms: new Map([...terms].sort(([a], [b]) => compareMonomials(a, b))) };
}

function compareMonomials(a: string, b: string): number {
  const da = a === '' ? 0 : a.split('*').length;
  const db = b === '' ? 0 : b.split('*').length;
  return db - da || (a < b ? -1 : a > b ? 1 : 0);
}

export const constant = (n: number): Size => make([['', n]]);
export const sizeVar = (name: string): Size => make([[name, 1]]);

export const add = (a: Size, b: Size): Size => make([...a.terms, ...b.terms]);
export const neg = (a: Size): Size => make([...a.terms].map(([m, c]) => [m, -c]));
export const sub = (a: Size, b: Size): Size => add(a, neg(b));

export function mul(a: Size, b: Size): Size {
  const out: [string, number][] = [];
  for (const [ma, ca] of a.terms)
    for (const [mb, cb] of b.terms) {
      const vars = [...(ma ? ma.split('*') : []), ...(mb ? mb.split('*') : [])].sort();
      out.push([vars.join('*'), ca * cb]);
    }
  return make(out);
}

export const product = (sizes: readonly Size[]): Size => sizes.reduce(mul, constant(1));

export const equal = (a: Size, b: Size): boolean => sub(a, b).terms.size === 0;

/** The value of a size without variables, or null. */
export function constValue(s: Size): number | null {
  if (s.terms.size === 0) return 0;
  if (s.terms.size === 1 && s.terms.has('')) return s.terms.get('')!;
  return null;
}

export function variables(s: Size): Set<string> {
  const out = new Set<string>();
  for (const m of s.terms.keys()) if (m) for (const v of m.split('*')) out.add(v);
  return out;
}

/** Replaces variables by sizes (variables without a binding stay). */
export function substitute(s: Size, env: ReadonlyMap<string, Size>): Size {
  let out = constant(0);
  for (const [m, c] of s.terms) {
    const factors = m ? m.split('*').map((v) => env.get(v) ?? sizeVar(v)) : [];
    out = add(out, mul(constant(c), product(factors)));
  }
  return out;
}

/**
 * Solves `s == target` for the one unknown `v` when `s` is `c*v + rest` with `rest` free of `v`:
 * returns v's size, or null when `s` is not of that form or the division is not exact.
 */
export function solveLinear(s: Size, v: string, target: Size): Size | null {
  const c = s.terms.get(v);
  if (c === undefined) return null;
  for (const m of s.terms.keys()) if (m !== v && m.split('*').includes(v)) return null;
  const rest = make([...s.terms].filter(([m]) => m !== v));
  const diff = sub(target, rest);
  const out: [string, number][] = [];
  for (const [m, k] of diff.terms) {
    if (k % c !== 0) return null;
    out.push([m, k / c]);
  }
  return make(out);
}

export function show(s: Size): string {
  if (s.terms.size === 0) return '0';
  let out = '';
  for (const [m, c] of s.terms) {
    const mag = Math.abs(c);
    const body = m === '' ? String(mag) : mag === 1 ? m : `${mag}*${m}`;
    out += out === '' ? (c < 0 ? `-${body}` : body) : c < 0 ? ` - ${body}` : ` + ${body}`;
  }
  return out;
}
