// muc's CPU backend through its public API (compileFile → MuProgram.call), timed three ways:
//   program.call   what a user's call costs: lowering the call to its graph (cached by the backend
//                  by the graph's text), copying the inputs into Wasm memory, the kernels, copying out;
//   graph run      CompiledGraph.run: copy in, kernels, copy out (no lowering);
//   kernels only   CompiledGraph.runKernels on the inputs already in memory.
// Usage (bench/main.ts starts it): tsx bench/runners/muc.ts JOB_FILE
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, compileFile, type MuProgram, type Tensor, type Value } from '../../index.ts';
import type { CompiledGraph } from '../../runtime/cpu/backend.ts';
import { uniform } from '../inputs.ts';
import { drive, prepend, readJob, type Case, type Impl, type MlpInit } from './driver.ts';
import { mucCpu, type MucCpu } from './muc_threads.ts';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const f32 = (shape: readonly number[], data: Float32Array): Tensor => ({ dtype: 'f32', shape, data });
const i32 = (shape: readonly number[], data: Int32Array): Tensor => ({ dtype: 'i32', shape, data });

function isTensor(v: Value): v is Tensor {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'dtype' in v && 'data' in v;
}

/** The tensors of a value in the order the graph numbers its inputs (records in field order). */
function leaves(v: Value): Tensor[] {
  if (isTensor(v)) return [v];
  if (Array.isArray(v)) return v.flatMap(leaves);
  if (typeof v === 'object' && v !== null) return Object.values(v as Record<string, Value>).flatMap(leaves);
  throw new Error(`bench: a graph input must be a tensor, not ${String(v)}`);
}

/** The tensor an API call returned at `path` (indices into tuples, field names of records). */
function at(v: Value, ...path: (number | string)[]): Tensor {
  let x = v;
  for (const k of path) x = typeof k === 'number' ? (x as readonly Value[])[k] : (x as Readonly<Record<string, Value>>)[k];
  if (!isTensor(x)) throw new Error('bench: expected a tensor');
  return x;
}

const asF32 = (t: Tensor): Float32Array => Float32Array.from(t.data as ArrayLike<number>);

class Muc implements Impl {
  readonly impl = 'muc';
  readonly config: string;
  readonly threads: number;
  readonly notes: string[] = [];

  constructor(private readonly cpu: MucCpu) {
    this.threads = cpu.threads;
    this.config = `cpu backend (Wasm SIMD), ${cpu.threaded ? `threads option = ${cpu.threads}` : 'threads option not available: 1 thread'}`;
    if (!cpu.threaded) this.notes.push('muc threads option not available: muc measured at 1 thread only');
  }

  private program(file: string): MuProgram {
    return compileFile(here(`../mu/${file}`), { backend: this.cpu.backend });
  }

  /**
   * The ways of calling `name` on `args`: program.call, and the compiled graph of program.graph.
   * (program.call numbers a graph's inputs by parameter name, program.graph in declaration order, so
   * the backend compiles the two graphs apart; the first output of each is checked equal.)
   */
  private async variants(program: MuProgram, name: string, args: Value[]): Promise<{ call: () => Promise<Value>; graph: CompiledGraph; inputs: Tensor[] }> {
    const graph = await this.cpu.backend.compile(program.graph(name, ...args));
    return { call: () => program.call(name, ...args), graph, inputs: args.flatMap(leaves) };
  }

  async matmul(n: number, a: Float32Array, b: Float32Array): Promise<Case> {
    const args = [f32([n, n], a), f32([n, n], b)];
    const { call, graph, inputs } = await this.variants(this.program('matmul.mu'), 'matmul', args);
    return this.simpleCase(call, graph, inputs);
  }

  async ns(rows: number, cols: number, g: Float32Array): Promise<Case> {
    const { call, graph, inputs } = await this.variants(this.program('newton_schulz.mu'), 'orthogonalize', [f32([rows, cols], g)]);
    return this.simpleCase(call, graph, inputs);
  }

  private simpleCase(call: () => Promise<Value>, graph: CompiledGraph, inputs: Tensor[]): Case {
    return {
      output: async () => {
        const viaCall = asF32(at(await call()));
        const viaGraph = asF32(graph.run(inputs)[0]!);
        if (viaCall.some((v, i) => !Object.is(v, viaGraph[i]))) throw new Error('bench: CompiledGraph.run disagrees with program.call (input order?)');
        return viaCall;
      },
      variants: { 'program.call': call, 'graph run': () => graph.run(inputs), 'kernels only': () => graph.runKernels() },
    };
  }

  async mlp(init: MlpInit): Promise<Case> {
    const { batch, d, h, c } = init.shape;
    const program = this.program('mlp.mu');
    const layer = (i: number, o: number, w: Float32Array, b: Float32Array) => ({ w: f32([i, o], w), b: f32([o], b) });
    const params = (w1: Float32Array, b1: Float32Array, w2: Float32Array, b2: Float32Array): Value => ({ l1: layer(d, h, w1, b1), l2: layer(h, c, w2, b2) });
    const zero = () => params(new Float32Array(d * h), new Float32Array(h), new Float32Array(h * c), new Float32Array(c));
    const p0 = params(init.w1, init.b1, init.w2, init.b2);
    const s0: Value = { step: i32([], Int32Array.of(0)), m: zero(), v: zero() };
    const x = f32([batch, d], init.x);
    const y = i32([batch], init.y);
    const { graph, inputs } = await this.variants(program, 'train_step', [p0, s0, x, y]);
    // program.call carries the parameters and optimizer state from step to step, as training does.
    let p: Value = p0;
    let s: Value = s0;
    const step = async (): Promise<Value> => {
      const r = (await program.call('train_step', p, s, x, y)) as Value[];
      p = r[1];
      s = r[2];
      return r;
    };
    return {
      output: async () => {
        const r = await step();
        const viaGraph = graph.run(inputs);
        if (!Object.is(viaGraph[0]!.data[0], at(r, 0).data[0])) throw new Error('bench: CompiledGraph.run disagrees with program.call (input order?)');
        // The loss at the initial parameters, then the first layer's weights after one step.
        return prepend(at(r, 0).data[0]!, at(r, 1, 'l1', 'w').data);
      },
      variants: { 'program.call': step, 'graph run': () => graph.run(inputs), 'kernels only': () => graph.runKernels() },
    };
  }

  /** One training step of examples/moonlight_mini.mu: its loss and update, on random bytes. */
  async moe(): Promise<Case & { tokensPerStep: number }> {
    const path = here('../../examples/moonlight_mini.mu');
    // The example's own model and loss, and its update on one rank (where dist.step computes
    // exactly optim.step; written pure here so that a step is one graph), as train.fit calls them.
    const source = `${readFileSync(path, 'utf8')}
fn bench_init(seed: i32) =
  let p = model(seed) in (p, optim.init(p))

fn bench_step[M: type, S: type](p: M, s: S, x: i32[8, 64], y: i32[8, 64], i: i32) =
  let ((l, aux), g) = value_and_grad(loss)(p, x, y) in
  let rate = optim.warmup_cosine(i, 1e-2, 50, 1000) in
  let (p2, s2) = optim.step(p, optim.clip_by_global_norm(g, 1.0), s, lr = rate, weight_decay = 0.1) in
  (l, lm.balance(p2, p, aux.load), s2)
`;
    const program = compile(source, { file: path, backend: this.cpu.backend });
    const init = (await program.call('bench_init', 0)) as Value[];
    const bytes = (seed: number) => i32([8, 64], Int32Array.from(uniform(8 * 64, seed), (v) => Math.floor((v + 1) * 128)));
    const x = bytes(21);
    const y = bytes(22);
    let p: Value = init[0];
    let s: Value = init[1];
    let i = 0;
    const step = async (): Promise<Value> => {
      const r = (await program.call('bench_step', p, s, x, y, i++)) as Value[];
      p = r[1];
      s = r[2];
      return r;
    };
    const { graph, inputs } = await this.variants(program, 'bench_step', [p, s, x, y, i32([], Int32Array.of(0))]);
    return {
      tokensPerStep: 8 * 64,
      output: async () => Float32Array.of(at(await step(), 0).data[0]!),
      variants: { 'program.call': step, 'graph run': () => graph.run(inputs) },
    };
  }

  close(): Promise<void> {
    return this.cpu.close();
  }
}

const job = readJob();
await drive(job, new Muc(mucCpu(job.threads ?? undefined)));
process.exit(0);
