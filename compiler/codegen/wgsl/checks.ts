// Run-time errors in generated kernels: i32 division or modulo by zero, a negative i32 exponent, and
// data-dependent indices out of range are errors in the interpreter; a GPU cannot throw.
//
// A kernel that can fail binds one more storage buffer, `status_` (4 words, shared by every kernel
// of a call): the first failing invocation claims word 0 with a compare-exchange, then writes the
// kernel's number (the uniform's w, set per dispatch by the runtime), the site and the offending
// value. Later failures see word 0 set and leave it, so within a call the earliest kernel's error is
// kept (dispatches run in order); within one kernel, which of several bad elements wins is a race.
// The runtime reads the 4 words back with the outputs and throws the interpreter's message.
//
// A bad index is also clamped into its buffer, so the kernel stays memory-safe and the call finishes.
import type { View } from '../../kernel/ir.ts';

/** Fixed site numbers of the checked helpers (helpers.ts); index sites follow. */
export const SITE_DIV = 0;
export const SITE_MOD = 1;
export const SITE_POW = 2;
export const FIRST_INDEX_SITE = 3;

/** Words of the status buffer: [claimed, kernel, site, value]. */
export const STATUS_WORDS = 4;

/**
 * An index that must lie in [0, bound): a dynamic term of a load (a gather or take_along_axis index,
 * or a digit of a non-affine reshape) or a scatter_add index.
 */
export interface IndexSite {
  readonly kind: 'dynamic' | 'scatter_add';
  readonly bound: number;
}

/** The index sites of one kernel being emitted, numbered from FIRST_INDEX_SITE. */
export class KernelChecks {
  readonly sites: IndexSite[] = [];

  index(site: IndexSite): number {
    const at = this.sites.findIndex((s) => s.kind === site.kind && s.bound === site.bound);
    if (at >= 0) return FIRST_INDEX_SITE + at;
    this.sites.push(site);
    return FIRST_INDEX_SITE + this.sites.length - 1;
  }
}

/**
 * For each dynamic term of a load over loop extents `sizes` from a buffer of `elements`, a bound its
 * index stays under in every valid read (an index is never negative), or null where none can be said.
 * A bound too tight would fail a valid program, so each one errs on the large side.
 *
 * The kernel IR does not carry the gathered axis's extent, so it is recovered from the view:
 *   - always: the read stays in the buffer, so index·stride ≤ elements − 1 − offset − (the smallest
 *     the affine terms get), the other dynamic terms being ≥ 0;
 *   - for an unguarded load, also: in a row-major buffer an axis of stride s is nested in the axis of
 *     the next larger stride L (or the whole buffer), so an in-range index is below ⌈L / s⌉. That is
 *     the axis's extent for a plain gather, larger for a slice. It needs every axis's start to be
 *     ≥ 0; padding and concatenation shift starts below 0, but their loads carry a guard.
 */
export function dynamicBounds(v: View, sizes: readonly number[], elements: number, guarded: boolean): (number | null)[] {
  if (v.dynamic.some((d) => d.stride <= 0)) return v.dynamic.map(() => null);
  let affineMin = 0;
  v.strides.forEach((s, a) => {
    if (s < 0) affineMin += s * Math.max((sizes[a] ?? 1) - 1, 0);
  });
  const room = elements - 1 - v.offset - affineMin;
  const strides = [
    ...v.strides.filter((s, a) => s > 0 && (sizes[a] ?? 1) > 1),
    ...v.dynamic.map((d) => d.stride),
  ];
  return v.dynamic.map((d) => {
    const inBuffer = Math.max(0, Math.floor(room / d.stride) + 1);
    if (guarded) return inBuffer;
    const larger = strides.filter((s) => s > d.stride);
    const nested = Math.ceil((larger.length === 0 ? elements : Math.min(...larger)) / d.stride);
    return Math.min(nested, inBuffer);
  });
}
