// `muc run FILE`: type-check, then run `main` on a backend.
import { existsSync } from 'node:fs';
import { compileFile, CompileError, MuRuntimeError } from '../runtime/program.ts';

export interface RunCliOptions {
  readonly backend: string;
  readonly checkNan: boolean;
  readonly metrics: string | undefined;
}

export async function runFile(file: string, opts: RunCliOptions): Promise<number> {
  if (!existsSync(file)) {
    process.stderr.write(`muc: error: no such file: ${file}\n`);
    return 1;
  }
  try {
    const program = compileFile(file, { backend: opts.backend });
    if (!program.functions.includes('main')) {
      process.stderr.write(`muc: error: ${file} has no main function to run (declare fn main() { … })\n`);
      return 1;
    }
    await program.main({ checkNan: opts.checkNan, ...(opts.metrics ? { metricsFile: opts.metrics } : {}) });
    return 0;
  } catch (err) {
    if (err instanceof CompileError || err instanceof MuRuntimeError) {
      process.stderr.write(err.message + '\n');
      return 1;
    }
    throw err;
  }
}
