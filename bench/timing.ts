// Timing one case: warm up (V8 first runs Wasm in its baseline tier and recompiles hot functions
// with its optimizing compiler; JIT libraries trace and compile on the first call), then the median
// of the timed calls.
import type { Plan, Timing } from './protocol.ts';

export async function measure(plan: Plan, fn: () => unknown): Promise<Timing> {
  const deadline = performance.now() + plan.maxSeconds * 1000;
  // Warm-up calls stop early when the budget is a third spent (a slow peer still gets one).
  const warmEnd = performance.now() + (plan.maxSeconds * 1000) / 3;
  for (let i = 0; i < plan.warmup && (i === 0 || performance.now() < warmEnd); i++) await fn();
  const times: number[] = [];
  while (times.length < plan.reps && (times.length === 0 || performance.now() < deadline)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), reps: times.length };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
