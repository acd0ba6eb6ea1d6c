// `npm run bench`: muc's CPU backend against TensorFlow.js (Wasm and plain-JS backends), jax-js
// and numpy on f32 matmul, Muon's Newton–Schulz, an MLP training step, and (muc only) the MoE
// example's training step. Prints Markdown tables and writes them to bench/results.md.
//
//   npm run bench                  the full run (a few minutes)
//   npm run bench -- --quick       fewer calls per case: a smoke run
//   npm run bench -- --all         also the cases projected to take more than 15 s a call
//   npm run bench -- --only muc-1,numpy-1   some runners only (ids as printed while running)
//   npm run bench -- --verbose     the runners' progress (each case's set-up and timing seconds)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeInputs } from './inputs.ts';
import { hasNumpy, launches, mucDefaultThreads, start } from './launch.ts';
import { machineLine } from './machine.ts';
import type { Job, Plan, Workload } from './protocol.ts';
import { report, type Cases, type Ran } from './report.ts';
import { MATMUL_SIZES, MLP_SHAPE, NS_SHAPES } from './workloads.ts';

const { values: opts } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, all: { type: 'boolean', default: false }, only: { type: 'string' }, verbose: { type: 'boolean', default: false } },
});

const PLANS: Readonly<Record<'full' | 'quick', Readonly<Record<Workload, Plan>>>> = {
  full: {
    matmul: { warmup: 3, reps: 10, maxSeconds: 6 },
    ns: { warmup: 1, reps: 3, maxSeconds: 8 },
    mlp: { warmup: 3, reps: 10, maxSeconds: 6 },
    moe: { warmup: 2, reps: 5, maxSeconds: 8 },
  },
  quick: {
    matmul: { warmup: 1, reps: 3, maxSeconds: 3 },
    ns: { warmup: 1, reps: 2, maxSeconds: 4 },
    mlp: { warmup: 1, reps: 3, maxSeconds: 3 },
    moe: { warmup: 1, reps: 2, maxSeconds: 4 },
  },
};

const dir = mkdtempSync(join(tmpdir(), 'muc-bench-'));
const base: Cases = {
  dir,
  matmul: MATMUL_SIZES,
  ns: NS_SHAPES,
  mlp: MLP_SHAPE,
  plans: PLANS[opts.quick ? 'quick' : 'full'],
  // JSON has no Infinity: a billion seconds is never reached.
  maxCallSeconds: opts.all ? 1e9 : 15,
};
writeInputs({ ...base, out: dir, threads: null });

const numpy = hasNumpy();
const only = opts.only?.split(',');
const mucThreads = mucDefaultThreads();
const selected = launches(numpy, mucThreads).filter((l) => !only || only.includes(l.id));
const ran: Ran[] = [];
const failures: string[] = [];
const t0 = performance.now();
for (const [i, l] of selected.entries()) {
  const out = join(dir, `out-${l.id}`);
  mkdirSync(out);
  const jobFile = join(dir, `job-${l.id}.json`);
  writeFileSync(jobFile, JSON.stringify({ ...base, out, threads: l.threads } satisfies Job));
  const started = performance.now();
  process.stderr.write(`[${i + 1}/${selected.length}] ${l.id}: ${l.label} …${opts.verbose ? '\n' : ' '}`);
  try {
    ran.push({ id: l.id, out, result: await start(l, jobFile, 600, opts.verbose) });
    process.stderr.write(`${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  } catch (e) {
    process.stderr.write('failed (its output is at the end of the report)\n');
    failures.push(e instanceof Error ? e.message : String(e));
  }
}

const date = new Date().toISOString().slice(0, 10);
const header = [
  `## muc benchmarks, ${date}${opts.quick ? ' (--quick: a smoke run, not for quoting)' : ''}`,
  '',
  `Machine: ${machineLine()}.`,
  mucThreads === undefined ? 'muc threads option not available: muc measured at 1 thread only.' : `muc's default thread count: ${mucThreads}.`,
  numpy ? '' : 'numpy: not measured (python3 with numpy not found).',
  '',
  'muc is timed three ways: **program.call** (the public API: the call lowered to its graph, found in',
  "the backend's cache, inputs copied into Wasm memory, the kernels, outputs copied out), **graph run**",
  "(CompiledGraph.run: copies and kernels) and **kernels only** (CompiledGraph.runKernels). The peers'",
  'times include reading the result back into JavaScript (numpy: none needed). In parentheses:',
  "**×ratio = muc's speed ÷ the peer's speed** (muc program.call at the same thread count; above 1, muc is faster).",
];
const { markdown, ok } = report(ran, base, header.filter((l, i, a) => l !== '' || a[i - 1] !== ''));
const text = [markdown, ...(failures.length > 0 ? ['### Runners that failed', '', ...failures.map((f) => '```\n' + f + '\n```'), ''] : [])].join('\n');
process.stdout.write(`${text}\n`);
process.stderr.write(`(${((performance.now() - t0) / 1000).toFixed(0)} s in all)\n`);
writeFileSync(fileURLToPath(new URL('./results.md', import.meta.url)), `${text}\n`);
rmSync(dir, { recursive: true, force: true });
if (!ok || failures.length > 0) process.exitCode = 1;
