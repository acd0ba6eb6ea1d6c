// `muc run FILE`: type-check, then run `main` on a backend.
import { existsSync } from 'node:fs';
import { backendNamed, parseThreads, type Backend } from '../runtime/backend.ts';
import { runOnRanks } from '../runtime/distributed.ts';
import { compileFile, CompileError, MuRuntimeError } from '../runtime/program.ts';

export interface RunCliOptions {
  readonly backend: string;
  readonly checkNan: boolean;
  readonly metrics: string | undefined;
  /** main's parameters, `name=value`. */
  readonly args: readonly string[];
  /** --threads, as given (cpu backend only). */
  readonly threads?: string | undefined;
  /** Data-parallel ranks, each a worker thread (1: run in this thread). */
  readonly ranks?: number;
}

export async function runFile(file: string, opts: RunCliOptions): Promise<number> {
  if (!existsSync(file)) {
    process.stderr.write(`muc: error: no such file: ${file}\n`);
    return 1;
  }
  const ranks = opts.ranks ?? 1;
  let backend: Backend;
  let threads: number | undefined;
  try {
    if (!Number.isInteger(ranks) || ranks < 1) throw new Error(`--ranks takes a positive integer, found ${opts.ranks}`);
    threads = opts.threads === undefined ? undefined : parseThreads(opts.threads);
    backend = backendNamed(opts.backend, threads === undefined || ranks > 1 ? {} : { threads });
  } catch (err) {
    process.stderr.write(`muc: error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  try {
    // Checked here once, so that a mistake is reported once and not by every rank.
    const program = compileFile(file, { backend, ranks });
    if (!program.functions.includes('main')) {
      process.stderr.write(`muc: error: ${file} has no main function to run (declare fn main() { … })\n`);
      return 1;
    }
    const args: Record<string, string> = {};
    for (const a of opts.args) {
      const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(a);
      if (!m) {
        process.stderr.write(`muc: error: --arg takes name=value, as in --arg steps=100; found '${a}'\n`);
        return 1;
      }
      args[m[1]!] = m[2]!;
    }
    if (ranks > 1) {
      await runOnRanks({ file, ranks, backend: opts.backend, ...(threads === undefined ? {} : { threads }), mainArgs: args, checkNan: opts.checkNan, ...(opts.metrics ? { metricsFile: opts.metrics } : {}) });
      return 0;
    }
    await program.main({ checkNan: opts.checkNan, ...(opts.metrics ? { metricsFile: opts.metrics } : {}) }, args);
    return 0;
  } catch (err) {
    if (err instanceof CompileError || err instanceof MuRuntimeError) {
      process.stderr.write(err.message + '\n');
      return 1;
    }
    if (err instanceof Error && /^(main has no parameter|--arg |main's parameter|rank \d+: )/.test(err.message)) {
      process.stderr.write(`muc: error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
