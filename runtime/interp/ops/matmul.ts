/** Matrix product with NumPy `@` semantics. */
import { type Tensor, broadcastShapes, broadcastStrides, forEachIndex, offset, requireDType, zeros } from './tensor.ts';

/**
 * matmul(a, b) like NumPy `a @ b`:
 * - a 1-D `a` of length k is treated as [1, k] and that axis is dropped from the result;
 * - a 1-D `b` of length k is treated as [k, 1] and that axis is dropped from the result;
 * - otherwise the last two axes are the matrices and all leading (batch) axes broadcast.
 * f32 dot products accumulate in float64 (k ascending) and round once;
 * i32 ones wrap modulo 2^32. Scalars (rank 0) are rejected, as in NumPy.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw new TypeError(`matmul: dtype mismatch ${a.dtype} vs ${b.dtype}`);
  requireDType('matmul', a, ['f32', 'i32']);
  if (a.shape.length === 0 || b.shape.length === 0) throw new RangeError('matmul: operands must have rank >= 1');
  const aShape = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bShape = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const [m, k] = aShape.slice(-2);
  const [k2, n] = bShape.slice(-2);
  if (k !== k2) throw new RangeError(`matmul: inner dimensions differ: [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`);

  const batch = broadcastShapes(aShape.slice(0, -2), bShape.slice(0, -2));
  // Strides over the batch axes only; a matrix is a contiguous m×k (or k×n) block.
  const aBatch = broadcastStrides(aShape.slice(0, -2), batch).map((s) => s * m * k);
  const bBatch = broadcastStrides(bShape.slice(0, -2), batch).map((s) => s * k * n);
  const out = zeros(a.dtype, [...batch, m, n]);
  const isInt = a.dtype === 'i32';

  forEachIndex(batch, (idx, bi) => {
    const ao = offset(idx, aBatch);
    const bo = offset(idx, bBatch);
    const oo = bi * m * n;
    if (isInt) {
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc = (acc + Math.imul(a.data[ao + i * k + p], b.data[bo + p * n + j])) | 0;
          out.data[oo + i * n + j] = acc;
        }
      return;
    }
    // A row of float64 accumulators, filled p by p along contiguous rows of b: each element still
    // sums its products in ascending p, exactly as the textbook loop, only faster.
    const row = new Float64Array(n);
    const [ad, bd, od] = [a.data, b.data, out.data];
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const x = ad[ao + i * k + p];
        const bp = bo + p * n;
        for (let j = 0; j < n; j++) row[j] += x * bd[bp + j];
      }
      for (let j = 0; j < n; j++) od[oo + i * n + j] = row[j];
    }
  });

  // Drop the axes that 1-D operands were promoted with.
  const shape = [...batch, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
  return { dtype: out.dtype, shape, data: out.data };
}
