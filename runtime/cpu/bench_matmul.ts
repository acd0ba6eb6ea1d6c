// Throughput of the cpu backend, on one thread and on the default thread count (all cores):
//   npx tsx runtime/cpu/bench_matmul.ts [--quick] [--reps N]
// For n = 256, 512, 1024 it compiles out = a @ b and a @ bᵀ, warms the kernels up (V8 first runs
// Wasm in its baseline tier and recompiles hot functions with its optimizing compiler) and prints
// GFLOP/s of the kernels alone. Then two whole programs through the TypeScript API's graphs,
// copies in and out included: five Newton–Schulz steps of a 1024×1024 matrix
// (std.optim.newton_schulz, whose X·Xᵀ is a symmetric product), and one SGD step of a
// 784→1024→10 MLP on a batch of 128. The thread counts take turns run by run and each prints its
// best time, so a machine shared with other work slows both alike.
import { availableParallelism } from 'node:os';
import { Builder, type Graph } from '../../compiler/ir/graph.ts';
import { tensor, type Tensor } from '../interp/ops/tensor.ts';
import { compile, type Value } from '../program.ts';
import { makeCpuBackend, type CpuBackend } from './backend.ts';

const quick = process.argv.includes('--quick');

function matmulGraph(n: number, transB: boolean): Graph {
  const b = new Builder();
  const x = b.input({ dtype: 'f32', shape: [n, n] }, 0, 'a');
  const w = b.input({ dtype: 'f32', shape: [n, n] }, 1, 'b');
  return b.graph(`matmul${n}`, [b.add('matmul', [x, transB ? b.add('transpose', [w], { perm: [1, 0] }) : w])]);
}

function random(shape: readonly number[], seed: number, scale = 1): Tensor {
  let a = seed;
  const n = shape.reduce((p, q) => p * q, 1);
  return tensor('f32', shape, Array.from({ length: n }, () => (((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1) * scale));
}

const SOURCE = `
import std.optim

fn ns(g: f32[1024, 1024]) -> f32[1024, 1024] = optim.newton_schulz(g)

type Layer[i, o] = { w: f32[i, o], b: f32[o] }
type Mlp[d, h, c] = { l1: Layer[d, h], l2: Layer[h, c] }

fn loss[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d], y: i32[b]) -> f32 =
  let logits = relu(x @ p.l1.w + p.l1.b) @ p.l2.w + p.l2.b in
  mean(logsumexp(logits, axis = -1) - sum(logits * one_hot(y, c), axis = -1))

fn train_step[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d], y: i32[b]) -> (f32, Mlp[d, h, c]) =
  let (l, g) = value_and_grad(loss)(p, x, y) in
  (l, tree.map(fn(w, dw) = w - 0.1 * dw, p, g))
`;

const program = compile(SOURCE, { file: 'bench.mu' });

/** The graph of `name` applied to `args`, its inputs as tensors. */
function programGraph(name: string, args: Value[], inputs: Tensor[]): { graph: Graph; inputs: Tensor[] } {
  return { graph: program.graph(name, ...args), inputs };
}

const mlpParams = { l1: { w: random([784, 1024], 3, 0.05), b: random([1024], 4, 0.1) }, l2: { w: random([1024, 10], 5, 0.05), b: random([10], 6, 0.1) } };
const mlpX = random([128, 784], 7);
const mlpY = tensor('i32', [128], Array.from({ length: 128 }, (_, i) => (i * 7) % 10));
const g1024 = random([1024, 1024], 8);
const WHOLE = [
  { label: 'Newton-Schulz 5 steps 1024x1024', ...programGraph('ns', [g1024], [g1024]) },
  { label: 'MLP 784-1024-10 b=128 SGD step ', ...programGraph('train_step', [mlpParams, mlpX, mlpY], [mlpParams.l1.w, mlpParams.l1.b, mlpParams.l2.w, mlpParams.l2.b, mlpX, mlpY]) },
];

interface Case {
  readonly label: string;
  readonly flops: number | null;
  /** One timed run on each backend (by index). */
  readonly runs: (() => void)[];
}

async function cases(backends: readonly CpuBackend[]): Promise<Case[]> {
  const out: Case[] = [];
  for (const transB of [false, true]) {
    for (const n of quick ? [1024] : [256, 512, 1024]) {
      const inputs = [random([n, n], 1), random([n, n], 2)];
      const runs = await Promise.all(backends.map(async (b) => {
        const compiled = await b.compile(matmulGraph(n, transB));
        compiled.run(inputs);
        return () => compiled.runKernels();
      }));
      out.push({ label: `${transB ? 'a @ bT' : 'a @ b '} n=${String(n).padEnd(4)}`, flops: 2 * n ** 3, runs });
    }
  }
  for (const w of WHOLE) {
    const runs = await Promise.all(backends.map(async (b) => {
      const compiled = await b.compile(w.graph);
      return () => void compiled.run(w.inputs);
    }));
    out.push({ label: w.label, flops: null, runs });
  }
  return out;
}

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || (quick ? 4 : 10);
const backends = [1, availableParallelism()].map((threads) => makeCpuBackend({ threads }));
console.log(`threads: ${backends.map((b) => b.threads).join(' vs ')}, best of ${reps} runs each, taking turns`);
for (const c of await cases(backends)) {
  // Warm-up: V8 tiers hot Wasm functions up to its optimizing compiler after a few runs.
  for (const run of c.runs) for (let i = 0; i < 2; i++) run();
  const times = c.runs.map(() => Infinity);
  for (let r = 0; r < reps; r++) {
    c.runs.forEach((run, i) => {
      const t0 = performance.now();
      run();
      times[i] = Math.min(times[i]!, (performance.now() - t0) / 1000);
    });
  }
  const show = (t: number): string => (c.flops === null ? `${(t * 1e3).toFixed(1).padStart(7)} ms` : `${(c.flops / t / 1e9).toFixed(1).padStart(5)} GFLOP/s (${(t * 1e3).toFixed(2)} ms)`);
  console.log(`  ${c.label}  ${times.map(show).join('   ')}`);
}
for (const b of backends) b.close();
