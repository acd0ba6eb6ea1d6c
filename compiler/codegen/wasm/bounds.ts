// The bound a data-dependent index must lie under, for the run-time check of gathers,
// take_along_axis and x[i] (spec/language.md §8: an index outside is an error at run time).
//
// The kernel IR keeps a gather index only as a term `stride·value(index)` of a load's offset; the
// extent of the axis it indexes is gone. It is recovered from the buffer's shape and the view, and
// the rule never reports an index the interpreter accepts (a false error would break a correct
// program), at the price of missing some wrong ones in exotic views:
//   - an unguarded load (every index it is given is read) whose term's stride is the buffer's
//     row-major stride R[a] of an axis a, when the nearest outer axis b of size > 1 is walked by a
//     loop axis with stride R[b]: the index is below R[b]/R[a]. (A view is injective: were the
//     gathered axis longer, two of its elements would share bytes.) This is the exact extent for
//     take_along_axis and gathers over inner axes.
//   - otherwise the index is below the largest value that keeps a read inside the buffer from the
//     view's smallest position: exact for gathers over the outermost axis (embedding rows), and
//     safe under a guard (a padded operand: the guard, not the bound, says which indices are read).
// Terms that are digits of a reshaped flat position (an i32 div or mod node) are in range by
// construction and are not checked.
import { sizeOf } from '../../ir/graph.ts';
import type { DynamicTerm, Expr } from '../../kernel/ir.ts';
import { rowMajor } from '../../schedule/index_map.ts';

/**
 * The exclusive upper bound of `term`'s index for `load` of a dense buffer of `shape`, over loop
 * axes of extents `loop`; null when the term is not checked.
 */
export function indexBound(exprs: readonly Expr[], load: Expr & { op: 'load' }, loop: readonly number[], shape: readonly number[], term: DynamicTerm): number | null {
  const view = load.view;
  const op = exprs[term.index]!.op;
  if (op === 'div' || op === 'mod') return null;
  const st = term.stride;
  if (st <= 0 || view.dynamic.some((d) => d.stride < 0)) return null;
  const R = rowMajor(shape);
  const a = shape.findIndex((s, i) => s > 1 && R[i] === st);
  if (a >= 0 && load.valid === null) {
    let b = a - 1;
    while (b >= 0 && shape[b]! <= 1) b--;
    const walked = b >= 0 && view.strides.some((s, l) => s === R[b]! && (loop[l] ?? 1) > 1);
    if (walked) return R[b]! / st;
  }
  const minOther = view.offset + view.strides.reduce((m, s, l) => m + Math.min(0, s * ((loop[l] ?? 1) - 1)), 0);
  return Math.max(0, Math.floor((sizeOf(shape) - 1 - minOther) / st) + 1);
}
