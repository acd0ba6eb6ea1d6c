// A `.mu` program on N data-parallel ranks (`muc run FILE --ranks N`): every rank, a worker thread
// of runtime/dist/ranks.ts, compiles the program for N ranks on its own backend instance and runs
// it with its place among the ranks (comm.rank(), comm.size() and the collectives see it). Rank 0
// alone prints, draws progress and writes results; a rank that fails stops them all.
import { availableParallelism } from 'node:os';
import { backendNamed } from './backend.ts';
import { runRanks, type RankContext } from './dist/ranks.ts';
import { compileFile, type Value } from './program.ts';
import type { RunOptions } from './host/run.ts';

export interface RankJob {
  readonly file: string;
  readonly ranks: number;
  readonly backend?: string;
  /** Threads of each rank's cpu backend; by default the ranks share the machine's cores. */
  readonly threads?: number;
  /** A function to call with arguments (as MuProgram.callWith), or main with --arg texts. */
  readonly call?: { readonly name: string; readonly args: Readonly<Record<string, Value>> };
  readonly mainArgs?: Readonly<Record<string, string>>;
  readonly checkNan?: boolean;
  readonly metricsFile?: string;
}

/** What each rank runs (the export runRanks calls in the worker). */
export async function runRank(ctx: RankContext, job: RankJob): Promise<Value> {
  const name = job.backend ?? 'interp';
  const backend = backendNamed(name, name === 'cpu' ? { threads: job.threads ?? threadsPerRank(ctx.size) } : {});
  const program = compileFile(job.file, { ranks: ctx.size, backend });
  const opts: Partial<RunOptions> = {
    comm: { rank: ctx.rank, size: ctx.size, transport: ctx.transport },
    ...(job.checkNan ? { checkNan: true } : {}),
    ...(job.metricsFile ? { metricsFile: job.metricsFile } : {}),
  };
  if (job.call) return program.callWith(job.call.name, job.call.args, opts);
  await program.main(opts, job.mainArgs ?? {});
  return undefined;
}

/** Runs the job on its ranks; resolves to each rank's result, or rejects with the first failure. */
export function runOnRanks(job: RankJob): Promise<Value[]> {
  if (!Number.isInteger(job.ranks) || job.ranks < 1) throw new Error(`--ranks must be a positive integer, not ${job.ranks}`);
  return runRanks(job.ranks, { module: new URL('./distributed.ts', import.meta.url).href, export: 'runRank', payload: job }) as Promise<Value[]>;
}

/** Threads each rank's CPU backend may use so that the ranks together fill the machine once. */
export const threadsPerRank = (ranks: number): number => Math.max(1, Math.floor(availableParallelism() / ranks));
