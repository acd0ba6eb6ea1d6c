// The one place the benchmark asks muc's CPU backend for a thread count. The backend takes a
// `threads` option where it runs kernels on worker threads, and says how many it uses as its
// `threads` property; a backend without that property runs on the calling thread alone, and the
// benchmark then measures muc at 1 thread only.
import { makeCpuBackend, type CpuBackend, type CpuBackendOptions } from '../../runtime/cpu/backend.ts';

export interface MucCpu {
  readonly backend: CpuBackend;
  /** The threads it runs on. */
  readonly threads: number;
  /** False where the backend has no threads option (it then runs on 1 thread). */
  readonly threaded: boolean;
  close(): Promise<void>;
}

/** What a backend may have beyond CpuBackend: its thread count, and a way to stop its workers. */
interface Threaded {
  readonly threads?: unknown;
  readonly close?: unknown;
}

/** A cpu backend on `threads` threads, or on its default count (available cores) when undefined. */
export function mucCpu(threads: number | undefined): MucCpu {
  const options: CpuBackendOptions & { readonly threads?: number } = threads === undefined ? {} : { threads };
  const backend = makeCpuBackend(options);
  const extra = backend as CpuBackend & Threaded;
  const reported = typeof extra.threads === 'number' ? extra.threads : undefined;
  return {
    backend,
    threads: reported ?? 1,
    threaded: reported !== undefined,
    close: async () => {
      if (typeof extra.close === 'function') await (extra.close as () => unknown).call(backend);
    },
  };
}
