// The muc command line: small verbs over the library (see README.md).
import { Command, Option } from 'commander';
import { BACKENDS, DEFAULT_BACKEND } from '../runtime/backend.ts';
import { runCheck } from './check.ts';
import { guard, guardAsync } from './guard.ts';
import { runFile } from './run.ts';
import { build } from './build.ts';
import { runFmt } from './fmt.ts';
import { runTests } from './test.ts';

const program = new Command('muc')
  .description('muc: a typed tensor language and its compiler')
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander's own usage errors (unknown option, missing file) exit 1 like other bad input.
    process.exit(err.exitCode === 0 ? 0 : 1);
  });

program
  .command('check')
  .description('parse and type-check .mu files without running them')
  .argument('<files...>', '.mu files to check')
  .option('--json', 'print diagnostics as JSON on stdout')
  .action((files: string[], opts: { json?: boolean }) => {
    process.exitCode = guard(() => runCheck(files, { json: opts.json === true }));
  });

program
  .command('fmt')
  .description('print .mu files in the canonical layout (comments kept)')
  .argument('<files...>', '.mu files')
  .option('--write', 'rewrite the files in place')
  .option('--check', 'only list the files whose layout differs, and exit 1 if any does')
  .action((files: string[], opts: { write?: boolean; check?: boolean }) => {
    process.exitCode = guard(() => runFmt(files, { write: opts.write === true, check: opts.check === true }));
  });

const collect = (v: string, prev: string[]) => [...prev, v];

program
  .command('run')
  .description('check a .mu file, then run its main function')
  .argument('<file>', 'the .mu file')
  .addOption(new Option('--backend <name>', 'where tensors are computed').choices(Object.keys(BACKENDS)).default(DEFAULT_BACKEND))
  .option('--check-nan', 'stop at the first NaN or infinity a computation produces')
  .option('--metrics <file>', 'append log_metrics records to this JSONL file')
  .option('--arg <name=value>', "set a parameter of main (repeatable), as in --arg steps=100", collect, [])
  .option('--resume', 'the same as --arg resume=true: continue from the last checkpoint')
  .option('--threads <n>', 'threads the cpu backend runs kernels on (default: all cores, shared among ranks)')
  .option('--ranks <n>', 'run on n data-parallel ranks (worker threads); see std.dist', (v) => Number(v), 1)
  .action(async (file: string, opts: { backend: string; checkNan?: boolean; metrics?: string; arg: string[]; resume?: boolean; threads?: string; ranks: number }) => {
    const args = opts.resume ? [...opts.arg, 'resume=true'] : opts.arg;
    process.exitCode = await guardAsync(() => runFile(file, { backend: opts.backend, checkNan: opts.checkNan === true, metrics: opts.metrics, args, threads: opts.threads, ranks: opts.ranks }));
  });

program
  .command('build')
  .description('compile a .mu file and print a stage of the result')
  .argument('<file>', 'the .mu file')
  .addOption(new Option('--emit <stage>', 'what to print').choices(['ir', 'kernels', 'plan', 'stats', 'wat', 'wgsl']).default('ir'))
  .option('--entry <name>', 'a function to show (repeatable; default: those without size parameters)', collect, [])
  .option('--size <name=value>', 'the value of a size variable (repeatable)', collect, [])
  .action(async (file: string, opts: { emit: string; entry: string[]; size: string[] }) => {
    process.exitCode = await guardAsync(() => build(file, { emit: opts.emit, entry: opts.entry, sizes: opts.size }));
  });

program
  .command('test')
  .description('run the -- == test blocks of .mu files (default: stdlib/ and examples/); f32 results match within 1e-5 relative + 1e-6 absolute, i32 and bool exactly')
  .argument('[paths...]', '.mu files, or folders to search for them')
  .addOption(new Option('--backend <name>', 'where tensors are computed').choices(Object.keys(BACKENDS)).default('interp'))
  .option('--json', 'print the report as JSON on stdout')
  .action(async (paths: string[], opts: { backend: string; json?: boolean }) => {
    process.exitCode = await guardAsync(() => runTests(paths, { json: opts.json === true, backend: opts.backend }));
  });

await program.parseAsync();
