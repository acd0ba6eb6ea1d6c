// Single-threaded f32 matmul throughput of the cpu backend: `npx tsx runtime/cpu/bench_matmul.ts`.
// For n = 256, 512, 1024 it compiles out = a @ b (and a @ bᵀ), warms the kernels up (V8 first runs
// Wasm in its baseline tier and recompiles hot functions with its optimizing compiler) and prints
// GFLOP/s of the kernels alone and of a whole backend run (copying the 2·n² inputs in and the n²
// outputs out).
import { Builder, type Graph } from '../../compiler/ir/graph.ts';
import { tensor, type Tensor } from '../interp/ops/tensor.ts';
import { makeCpuBackend } from './backend.ts';

function graphOf(n: number, transB: boolean): Graph {
  const b = new Builder();
  const x = b.input({ dtype: 'f32', shape: [n, n] }, 0, 'a');
  const w = b.input({ dtype: 'f32', shape: [n, n] }, 1, 'b');
  return b.graph(`matmul${n}`, [b.add('matmul', [x, transB ? b.add('transpose', [w], { perm: [1, 0] }) : w])]);
}

function random(n: number, seed: number): Tensor {
  let a = seed;
  return tensor('f32', [n, n], Array.from({ length: n * n }, () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1));
}

/** Best time of `reps` runs after `warm` runs, in seconds. */
function best(fn: () => void, warm: number, reps: number): number {
  for (let i = 0; i < warm; i++) fn();
  let t = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

const backend = makeCpuBackend();
for (const transB of [false, true]) {
  for (const n of [256, 512, 1024]) {
    const graph = graphOf(n, transB);
    const compiled = await backend.compile(graph);
    const inputs = [random(n, 1), random(n, 2)];
    compiled.run(inputs);
    const flops = 2 * n * n * n;
    const reps = n === 1024 ? 5 : 20;
    const kernels = best(() => compiled.runKernels(), reps, reps);
    const whole = best(() => compiled.run(inputs), 2, reps);
    const gf = (t: number): string => (flops / t / 1e9).toFixed(1).padStart(5);
    console.log(`${transB ? 'a @ bT' : 'a @ b '} n=${String(n).padEnd(4)}  kernels ${gf(kernels)} GFLOP/s (${(kernels * 1e3).toFixed(2)} ms)   backend.run ${gf(whole)} GFLOP/s`);
  }
}
