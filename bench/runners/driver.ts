// The part every TypeScript runner shares: read the job, build each case with the implementation,
// keep its first result for main's correctness check, time each way of calling it, print the result.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseId, files, RESULT_PREFIX, type Job, type MlpShape, type Plan, type RunnerResult, type Timing } from '../protocol.ts';
import { measure } from '../timing.ts';
import { matmulFlops, nsFlops } from '../workloads.ts';

/** One case, ready to run. */
export interface Case {
  /** The ways of calling it, by label ('' when there is one); the first is the one ratios use. */
  readonly variants: Readonly<Record<string, () => unknown>>;
  /** Runs it once and returns the result as f32 (called before timing, on the initial state). */
  readonly output: () => Promise<Float32Array>;
  readonly dispose?: () => void;
}

export interface MlpInit {
  readonly shape: MlpShape;
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
  readonly x: Float32Array;
  readonly y: Int32Array;
}

export interface Impl {
  readonly impl: string;
  readonly config: string;
  readonly threads: number;
  readonly notes: string[];
  matmul(n: number, a: Float32Array, b: Float32Array): Promise<Case>;
  ns(rows: number, cols: number, g: Float32Array): Promise<Case>;
  mlp(init: MlpInit): Promise<Case>;
  /** muc only: one training step of the MoE example. */
  moe?(): Promise<Case & { readonly tokensPerStep: number }>;
  close?(): Promise<void>;
}

/** A scalar followed by an array, as one f32 array (spreading a large array overflows the stack). */
export function prepend(first: number, rest: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rest.length + 1);
  out[0] = first;
  out.set(rest, 1);
  return out;
}

export function readJob(): Job {
  const path = process.argv[2];
  if (path === undefined) throw new Error('usage: runner JOB_FILE (bench/main.ts starts the runners)');
  return JSON.parse(readFileSync(path, 'utf8')) as Job;
}

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function readI32(path: string): Int32Array {
  const b = readFileSync(path);
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function loadMlp(job: Job): MlpInit {
  const f = (n: 'w1' | 'b1' | 'w2' | 'b2' | 'x') => readF32(join(job.dir, files.mlp(n)));
  return { shape: job.mlp, w1: f('w1'), b1: f('b1'), w2: f('w2'), b2: f('b2'), x: f('x'), y: readI32(join(job.dir, files.mlpY)) };
}

export async function drive(job: Job, impl: Impl): Promise<void> {
  mkdirSync(job.out, { recursive: true });
  const times: Record<string, Record<string, Timing>> = {};
  let tokensPerStep: number | undefined;
  const run = async (id: string, plan: Plan, make: () => Promise<Case>): Promise<void> => {
    const t0 = performance.now();
    const c = await make();
    writeFileSync(join(job.out, files.output(id)), await c.output());
    const t1 = performance.now();
    for (const [variant, fn] of Object.entries(c.variants)) (times[variant] ??= {})[id] = await measure(plan, fn);
    c.dispose?.();
    process.stderr.write(`${id}: set up and first call ${((t1 - t0) / 1000).toFixed(1)} s, timing ${((performance.now() - t1) / 1000).toFixed(1)} s\n`);
  };

  for (const n of job.matmul) {
    const a = readF32(join(job.dir, files.matmulA(n)));
    const b = readF32(join(job.dir, files.matmulB(n)));
    await run(caseId.matmul(n), job.plans.matmul, () => impl.matmul(n, a, b));
  }
  // The matmul rate of the largest size (its fastest variant) predicts a Newton–Schulz call's time.
  const largest = Math.max(...job.matmul);
  const fastest = Math.min(...Object.values(times).map((t) => t[caseId.matmul(largest)]?.ms ?? Infinity));
  const gflops = Number.isFinite(fastest) ? matmulFlops(largest) / fastest / 1e6 : Infinity;
  for (const [rows, cols] of job.ns) {
    const projected = nsFlops(rows, cols) / (gflops * 1e9);
    if (projected > job.maxCallSeconds) {
      impl.notes.push(`Newton–Schulz ${rows}×${cols} not run: about ${projected.toFixed(0)} s a call at its ${gflops.toFixed(2)} GFLOP/s matmul rate (\`--all\` runs it)`);
      continue;
    }
    await run(caseId.ns(rows, cols), job.plans.ns, () => impl.ns(rows, cols, readF32(join(job.dir, files.nsG(rows, cols)))));
  }
  await run(caseId.mlp(job.mlp), job.plans.mlp, () => impl.mlp(loadMlp(job)));
  const moe = impl.moe?.bind(impl);
  if (moe)
    await run(caseId.moe, job.plans.moe, async () => {
      const c = await moe();
      tokensPerStep = c.tokensPerStep;
      return c;
    });
  await impl.close?.();
  const result: RunnerResult = { impl: impl.impl, config: impl.config, threads: impl.threads, notes: impl.notes, times, ...(tokensPerStep === undefined ? {} : { tokensPerStep }) };
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
