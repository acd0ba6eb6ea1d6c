// How a step's units are shared between threads: cut into chunks, contiguous ranges of about equal
// work, each starting at a multiple of the step's granule (so vector loops stay aligned to the
// data). Threads take chunks as they come (control.js), so a thread the OS puts aside for a while
// leaves its share to the others: a few chunks per thread, fewer where each call repeats work (a
// GEMM packs its B panel again for every call).
import type { WasmStep, Weight } from '../../compiler/codegen/wasm/index.ts';

/** The weight of unit u (see Weight). */
function weightOf(w: Weight, u: number): number {
  if (w.kind === 'flat') return 1;
  const r = u % w.period;
  return w.kind === 'falling' ? w.period - r : r + 1;
}

/**
 * At most `parts` chunks covering [0, units), as their cuts [0, c1, …, units]: each chunk
 * non-empty, every cut but the last a multiple of `granule`, with about equal total weight.
 */
export function splitRange(units: number, parts: number, granule: number, weight: Weight): number[] {
  const chunks = Math.ceil(units / granule);
  const n = Math.max(1, Math.min(parts, chunks));
  const cuts: number[] = [0];
  if (weight.kind === 'flat') {
    for (let k = 1; k < n; k++) cuts.push(Math.min(units, Math.round((k * chunks) / n) * granule));
  } else {
    // Prefix sums over chunks; cut where the running weight passes each k/n of the total.
    const sums: number[] = [0];
    for (let c = 0; c < chunks; c++) {
      let w = 0;
      for (let u = c * granule; u < Math.min(units, (c + 1) * granule); u++) w += weightOf(weight, u);
      sums.push(sums[c]! + w);
    }
    const total = sums[chunks]!;
    let c = 0;
    for (let k = 1; k < n; k++) {
      while (c < chunks && sums[c]! < (k * total) / n) c++;
      cuts.push(Math.min(units, c * granule));
    }
  }
  cuts.push(units);
  return cuts.filter((x, k) => k === 0 || x > cuts[k - 1]!);
}

/** Most chunks per thread (each costs a compare-and-swap and a call). */
const CHUNKS_PER_THREAD = 4;

/**
 * How many chunks a step is cut into: one (the main thread runs it alone) below
 * `minParallelWork`; otherwise a few per thread, as far as its units go, and fewer where each call
 * repeats work (at most 1/32 of a chunk's work is repeated).
 */
export function chunksFor(step: WasmStep, threads: number, minParallelWork: number, most = 255): number {
  if (threads <= 1 || step.units <= 1 || step.work < minParallelWork) return 1;
  const perThread = step.repeat > 0 ? Math.max(1, Math.min(CHUNKS_PER_THREAD, Math.floor(step.work / (threads * step.repeat * 32)))) : CHUNKS_PER_THREAD;
  return Math.min(Math.ceil(step.units / step.granule), threads * perThread, most);
}
