// runRanks as the CLI uses it: output, messages, module paths.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runRanks } from '../../runtime/dist/ranks.ts';

describe('runRanks', () => {
  it('passes every line a rank prints through before it resolves, under a tsx-registering parent like bin/muc.js', async () => {
    const parent = fileURLToPath(new URL('./fixtures/cli_parent.js', import.meta.url));
    // The parent exits the moment runRanks resolves; its stdout is a pipe that nobody reads for
    // 2 s, so the ranks' output queues up in the parent (and process.exit drops such a queue).
    const script = `"${process.execPath}" "${parent}" 1 3000 | (sleep 2; cat)`;
    const { stdout } = await promisify(execFile)('sh', ['-c', script], { maxBuffer: 1 << 24 });
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3000);
    expect(lines[2999]).toBe(`line 2999 ${'.'.repeat(1000)}`);
  });

  it('delivers messages and takes a module path relative to the working directory', async () => {
    const messages: [number, unknown][] = [];
    const results = await runRanks(
      2,
      { module: fileURLToPath(new URL('./fixtures/tasks.ts', import.meta.url)).slice(process.cwd().length + 1), export: 'chatty', payload: 0 },
      { onMessage: (rank, msg) => messages.push([rank, msg]) },
    );
    expect(results).toEqual([0, 1]);
    expect(messages.sort()).toEqual([[0, { hello: 0 }], [1, { hello: 1 }]]);
  });
});
