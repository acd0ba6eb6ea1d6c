// The control block the cpu backend's threads share (an Int32Array on a SharedArrayBuffer), slot by
// slot. Plain JavaScript (typed by control.d.ts): the worker threads (worker.js) read it too.
//
// The main thread hands out one step at a time, cut into CHUNKS contiguous ranges (chunk i is
// [CUTS + i, CUTS + i + 1]): it closes NEXT (the new generation, no chunk left), writes GRAPH,
// STEP, CHUNKS and the cuts, sets COMPLETED to 0 and NEXT to (generation << 8 | 0), then bumps GEN
// and notifies. Every thread, the main one included,
// then takes chunks by compare-and-swap on NEXT until they run out, and adds 1 to COMPLETED (and to
// FAILED, after posting what went wrong) for each; the main thread waits until COMPLETED is CHUNKS.
// A thread that was slow to wake finds the chunks gone, or NEXT tagged with a newer generation,
// and takes nothing: so a step never waits for a thread that is not running, only for the chunks
// already taken. STOP ends the workers' loops; DEAD counts workers whose loop ended.
export const CONTROL = Object.freeze({
  GEN: 0,
  COMPLETED: 1,
  GRAPH: 2,
  STEP: 3,
  CHUNKS: 4,
  FAILED: 5,
  STOP: 6,
  DEAD: 7,
  NEXT: 8,
  CUTS: 16,
});

/** NEXT keeps the chunk index in its low 8 bits. */
export const MAX_CHUNKS = 255;

/** Slots of the control block. */
export const CONTROL_SLOTS = CONTROL.CUTS + MAX_CHUNKS + 1;

/** NEXT's value for chunk `index` of generation `gen` (23 bits of it: a stale thread would have to sleep through 2^23 steps to be fooled). */
export const nextWord = (gen, index) => (((gen & 0x7fffff) << 8) | index);

/**
 * Takes the next chunk of generation `gen` and runs it as run(begin, end); returns false when
 * there is none left (or a newer generation began). An exception from `run` goes to `fail` before
 * the chunk counts as completed (so whoever waits for the count sees the failure too).
 */
export function takeChunk(c, gen, run, fail) {
  for (;;) {
    const v = Atomics.load(c, CONTROL.NEXT);
    const index = v & 0xff;
    if (v >>> 8 !== (gen & 0x7fffff) || index >= c[CONTROL.CHUNKS]) return false;
    if (Atomics.compareExchange(c, CONTROL.NEXT, v, v + 1) !== v) continue;
    try {
      run(c[CONTROL.CUTS + index], c[CONTROL.CUTS + index + 1]);
    } catch (err) {
      fail(err);
    }
    Atomics.add(c, CONTROL.COMPLETED, 1);
    Atomics.notify(c, CONTROL.COMPLETED);
    return true;
  }
}
