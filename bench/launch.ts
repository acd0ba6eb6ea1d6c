// Which runners a benchmark starts, and starting one: a child process per implementation and
// thread count, so that no library's globals, Wasm memory or worker threads reach another's timings.
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RESULT_PREFIX, type RunnerResult } from './protocol.ts';

export interface Launch {
  /** A short name, for --only and the output folder. */
  readonly id: string;
  readonly label: string;
  readonly command: string;
  /** The runner's arguments: the job file's path goes after the first `script` of them. */
  readonly args: readonly string[];
  readonly script: number;
  /** null: the implementation's default thread count. */
  readonly threads: number | null;
  readonly env?: Readonly<Record<string, string>>;
}

const runner = (file: string): string => fileURLToPath(new URL(`./runners/${file}`, import.meta.url));
const tsx = (file: string, ...args: string[]) => ({ command: process.execPath, args: ['--import', 'tsx', runner(file), ...args], script: 3 });

/** numpy's BLAS reads its thread count from these when it loads. */
const blasThreads = (n: number) => ({ OPENBLAS_NUM_THREADS: String(n), OMP_NUM_THREADS: String(n), MKL_NUM_THREADS: String(n) });

/** The thread count of muc's default CPU backend, where it has a threads option (asked of a child process). */
export function mucDefaultThreads(): number | undefined {
  const r = spawnSync(process.execPath, ['--import', 'tsx', runner('muc_probe.ts')], { encoding: 'utf8' });
  try {
    const probe = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { threads: number; threaded: boolean };
    return probe.threaded ? probe.threads : undefined;
  } catch {
    return undefined;
  }
}

export function hasNumpy(): boolean {
  return spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
}

/** Every runner: each implementation at 1 thread, and at its default where that is more. */
export function launches(numpy: boolean, mucThreads: number | undefined): Launch[] {
  const many = availableParallelism() > 1;
  const list: Launch[] = [{ id: 'muc-1', label: 'muc (1 thread)', ...tsx('muc.ts'), threads: 1 }];
  if (mucThreads !== undefined && mucThreads > 1) list.push({ id: 'muc-default', label: 'muc (default threads)', ...tsx('muc.ts'), threads: null });
  list.push(
    { id: 'tfjs-wasm', label: 'tfjs-backend-wasm', ...tsx('tfjs.ts', 'wasm'), threads: null },
    { id: 'tfjs-cpu', label: 'tfjs cpu backend', ...tsx('tfjs.ts', 'cpu'), threads: null },
    { id: 'jax-1', label: 'jax-js (stock)', ...tsx('jax.ts'), threads: 1 },
  );
  if (many) list.push({ id: 'jax-default', label: 'jax-js (Web Worker shim)', ...tsx('jax.ts'), threads: null });
  if (numpy) {
    const py = runner('numpy_bench.py');
    list.push({ id: 'numpy-1', label: 'numpy (1 thread)', command: 'python3', args: [py], script: 1, threads: 1, env: blasThreads(1) });
    if (many) list.push({ id: 'numpy-default', label: 'numpy (default threads)', command: 'python3', args: [py], script: 1, threads: null });
  }
  return list;
}

/** Runs one runner on a job file; its result, or an error with the end of what it printed (`verbose`: its stderr as it goes). */
export function start(l: Launch, jobFile: string, timeoutSeconds: number, verbose = false): Promise<RunnerResult> {
  return new Promise((resolve, reject) => {
    const args = [...l.args.slice(0, l.script), jobFile, ...l.args.slice(l.script)];
    const child = spawn(l.command, args, { env: { ...process.env, ...l.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (verbose) process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((s) => s.startsWith(RESULT_PREFIX));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as RunnerResult);
      const tail = (out + err).trim().split('\n').slice(-15).join('\n');
      reject(new Error(`${l.label} ${signal ? `was stopped (${signal}, after ${timeoutSeconds} s?)` : `exited with ${code}`}:\n${tail}`));
    });
  });
}
