// Which matmul kernels of a schedule make a symmetric product, so that the GEMM computes only the
// tiles on and above the diagonal and mirrors the rest (matmul.ts).
//
// A product is symmetric when its operands are x and xᵀ read from the same bytes (x·xᵀ, xᵀ·x), or
// when both are one symmetric matrix M (M·M = M·Mᵀ). A matrix is known to be symmetric, bit for bit,
// when a symmetric product's epilogue stored it from the product, constants, per-matrix scalars
// and other symmetric matrices read at (i, j) or (j, i), through elementwise operations: so in a
// Newton–Schulz step A = X·Xᵀ, then A·A, then B = b·A + c·A·A are all symmetric, and only B·X is
// computed whole.
import type { DType } from '../../ir/graph.ts';
import type { Expr, ExprId, MatmulKernel, Schedule, View } from '../../kernel/ir.ts';
import { exprRefs } from '../../kernel/exprs.ts';

/** Whether b is aᵀ read from the same bytes (per batch element): then the product is symmetric. */
export function isSymmetric(k: MatmulKernel): boolean {
  const nb = k.shape.length - 2;
  const [a, b] = [k.a.view, k.b.view];
  return k.dtype === 'f32' && k.k > 0 && k.shape[nb] === k.shape[nb + 1] && k.inputs[k.a.input] === k.inputs[k.b.input]
    && a.offset === b.offset && a.strides.slice(0, nb).every((s, d) => s === b.strides[d])
    && a.strides[nb] === b.strides[nb + 1] && a.strides[nb + 1] === b.strides[nb];
}

/**
 * Whether a view over [...batch, i, j] reads a whole n×n matrix of a buffer laid out as n×n
 * matrices, at (i, j) or (j, i), one matrix per batch element (or the same one for all).
 */
function readsMatrix(view: View, nb: number, n: number): boolean {
  const [si, sj] = [view.strides[nb], view.strides[nb + 1]];
  const plain = (si === n && sj === 1) || (si === 1 && sj === n);
  return plain && view.dynamic.length === 0 && view.offset % (n * n) === 0 && view.strides.slice(0, nb).every((s) => s % (n * n) === 0);
}

/** M·M with M one symmetric matrix (both operands the same bytes, either orientation). */
function squaresSymmetric(k: MatmulKernel, symmetric: ReadonlyMap<number, number>): boolean {
  const nb = k.shape.length - 2;
  const n = k.shape[nb]!;
  const buffer = k.inputs[k.a.input]!;
  const [a, b] = [k.a.view, k.b.view];
  return k.dtype === 'f32' && k.k === n && k.shape[nb + 1] === n && buffer === k.inputs[k.b.input] && symmetric.get(buffer) === n
    && a.offset === b.offset && a.strides.slice(0, nb).every((s, d) => s === b.strides[d]) && readsMatrix(a, nb, n) && readsMatrix(b, nb, n);
}

/** Whether the value `id` of a symmetric product's epilogue is the same at (i, j) and (j, i). */
function keepsSymmetry(k: MatmulKernel, id: ExprId, symmetric: ReadonlyMap<number, number>): boolean {
  const nb = k.shape.length - 2;
  const n = k.shape[nb]!;
  const ok = (e: Expr): boolean => {
    switch (e.op) {
      case 'acc': case 'const': return true;
      case 'index': return e.axis < nb;
      case 'load': {
        if (e.valid !== null || e.view.dynamic.length > 0) return false;
        const scalar = e.view.strides[nb] === 0 && e.view.strides[nb + 1] === 0;
        return scalar || (symmetric.get(k.inputs[e.input]!) === n && readsMatrix(e.view, nb, n));
      }
      default: return exprRefs(e).every((r) => ok(k.exprs[r]!));
    }
  };
  return ok(k.exprs[id]!);
}

/** The indices of the matmul kernels whose product is symmetric. */
export function symmetricProducts(s: Schedule): Set<number> {
  /** Buffer id → n, for buffers of symmetric n×n matrices. */
  const symmetric = new Map<number, number>();
  const products = new Set<number>();
  s.kernels.forEach((k, index) => {
    if (k.kind !== 'matmul' || !(isSymmetric(k) || squaresSymmetric(k, symmetric))) return;
    products.add(index);
    const n = k.shape[k.shape.length - 1]!;
    for (const st of k.stores) {
      const dtype: DType = k.exprs[st.value]!.dtype;
      if (dtype === 'f32' && keepsSymmetry(k, st.value, symmetric)) symmetric.set(k.outputs[st.output]!, n);
    }
  });
  return products;
}
