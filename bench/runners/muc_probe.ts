// Prints what muc's CPU backend offers for threads, as JSON {"threads": N, "threaded": bool}: the
// launcher asks in a child process, so that bench/main.ts itself never loads muc.
import { mucCpu } from './muc_threads.ts';

const cpu = mucCpu(undefined);
process.stdout.write(`${JSON.stringify({ threads: cpu.threads, threaded: cpu.threaded })}\n`);
await cpu.close();
process.exit(0);
