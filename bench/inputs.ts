// The inputs every implementation reads: deterministic uniform numbers in [-1, 1) from a linear
// congruential generator, written as raw little-endian f32 (and i32 labels) into the job folder.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { files, type Job } from './protocol.ts';

export function uniform(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

export function writeInputs(job: Job): void {
  const put = (name: string, data: Float32Array | Int32Array) => writeFileSync(join(job.dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  for (const n of job.matmul) {
    put(files.matmulA(n), uniform(n * n, 1 + n));
    put(files.matmulB(n), uniform(n * n, 2 + n));
  }
  for (const [rows, cols] of job.ns) put(files.nsG(rows, cols), uniform(rows * cols, 3 + rows + cols));
  const { batch, d, h, c } = job.mlp;
  // Weights uniform with the variance of He (ReLU) initialization; biases zero.
  put(files.mlp('w1'), uniform(d * h, 11, Math.sqrt(6 / d)));
  put(files.mlp('b1'), new Float32Array(h));
  put(files.mlp('w2'), uniform(h * c, 12, Math.sqrt(6 / h)));
  put(files.mlp('b2'), new Float32Array(c));
  put(files.mlp('x'), uniform(batch * d, 13));
  put(files.mlpY, Int32Array.from(uniform(batch, 14), (v) => Math.min(c - 1, Math.floor(((v + 1) / 2) * c))));
}
