// The muc command line: small verbs over the library (see README.md).
import { Command } from 'commander';
import { runCheck } from './check.ts';
import { guard } from './guard.ts';

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

program.parse();
