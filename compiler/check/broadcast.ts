// NumPy broadcasting, decided statically: shapes align from the right; two dimensions agree when
// they are equal or one of them is the constant 1. A symbolic size is never assumed to be 1.
import * as S from './size.ts';

export type BroadcastResult =
  | { readonly ok: true; readonly shape: readonly S.Size[] }
  | { readonly ok: false; readonly axis: number; readonly a: S.Size; readonly b: S.Size };

export function broadcast(a: readonly S.Size[], b: readonly S.Size[]): BroadcastResult {
  const rank = Math.max(a.length, b.length);
  const out: S.Size[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? S.constant(1);
    const db = b[b.length - rank + i] ?? S.constant(1);
    if (S.equal(da, db) || S.constValue(db) === 1) out.push(da);
    else if (S.constValue(da) === 1) out.push(db);
    else return { ok: false, axis: i - rank, a: da, b: db };
  }
  return { ok: true, shape: out };
}
