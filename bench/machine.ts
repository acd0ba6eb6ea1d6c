// One line about the machine a run was taken on: CPU model, cores, memory, Node and V8.
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';

export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() || 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  return `${cpu}, ${availableParallelism()} cores available, ${gib} GiB; ${platform()} ${release()}; Node ${process.versions.node} (V8 ${process.versions.v8})`;
}
