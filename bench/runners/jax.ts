// jax-js (npm @jax-js/jax) on its 'wasm' device, every workload under jit. jax-js parallelizes
// Wasm kernels over Web Workers when the `Worker` global exists; Node 20 has none, so stock jax-js
// runs on 1 thread here. For more threads, the runner installs a small Web Worker shim first
// (bench/runners/web_worker_shim.ts) and reports how many workers jax-js started.
// Usage (bench/main.ts starts it): tsx bench/runners/jax.ts JOB_FILE
import { availableParallelism } from 'node:os';
import type * as Jax from '@jax-js/jax';
import { ADAMW, NS_COEFFS } from '../workloads.ts';
import { drive, prepend, readJob, type Case, type Impl, type MlpInit } from './driver.ts';
import { installWebWorkerShim } from './web_worker_shim.ts';

const job = readJob();
const wanted = job.threads ?? availableParallelism();
const shim = wanted > 1 ? installWebWorkerShim(wanted) : null;
// Imported after the shim, which jax-js looks for when it starts its Wasm backend.
const { init, defaultDevice, jit, valueAndGrad, numpy: np, nn, tree } = await import('@jax-js/jax');
type Arr = Jax.numpy.Array;
type Params = { w1: Arr; b1: Arr; w2: Arr; b2: Arr };

// jax-js counts references: every use of an array but the last takes `.ref`.
function newtonSchulz(g: Arr): Arr {
  const { a, b, c, steps } = NS_COEFFS;
  const tall = g.shape[0]! > g.shape[1]!;
  let x = tall ? np.transpose(g) : g;
  x = x.ref.div(np.sqrt(np.sum(x.ref.mul(x))).add(1e-7));
  for (let i = 0; i < steps; i++) {
    const A = np.matmul(x.ref, np.transpose(x.ref));
    const B = A.ref.mul(b).add(np.matmul(A.ref, A).mul(c));
    x = x.ref.mul(a).add(np.matmul(B, x));
  }
  return tall ? np.transpose(x) : x;
}

function loss(p: Params, x: Arr, y: Arr): Arr {
  const logits = np.matmul(nn.relu(np.matmul(x, p.w1).add(p.b1)), p.w2).add(p.b2);
  return np.mean(nn.logsumexp(logits.ref, -1).sub(np.sum(logits.mul(y), -1)));
}

/** One AdamW step; `c1`, `c2` are the bias corrections 1 − β^t. */
function trainStep(p: Params, m: Params, v: Params, x: Arr, y: Arr, c1: Arr, c2: Arr): [Arr, Params, Params, Params] {
  const { lr, weightDecay, beta1, beta2, eps } = ADAMW;
  const [l, g] = valueAndGrad(loss)(tree.ref(p), x, y);
  const keys = ['w1', 'b1', 'w2', 'b2'] as const;
  const m2 = {} as Params;
  const v2 = {} as Params;
  const p2 = {} as Params;
  for (const k of keys) {
    m2[k] = m[k].mul(beta1).add(g[k].ref.mul(1 - beta1));
    v2[k] = v[k].mul(beta2).add(g[k].ref.mul(g[k]).mul(1 - beta2));
    const mHat = m2[k].ref.div(c1.ref);
    const vHat = v2[k].ref.div(c2.ref);
    const w = p[k];
    p2[k] = w.ref.sub(w.mul(lr * weightDecay)).sub(mHat.mul(lr).div(np.sqrt(vHat).add(eps)));
  }
  c1.dispose();
  c2.dispose();
  return [l, p2, m2, v2];
}

class JaxJs implements Impl {
  readonly impl = 'jax-js';
  readonly notes: string[] = [];

  constructor(
    readonly threads: number,
    readonly config: string,
  ) {}

  async matmul(n: number, a: Float32Array, b: Float32Array): Promise<Case> {
    const x = np.array(a).reshape([n, n]);
    const y = np.array(b).reshape([n, n]);
    const mm = jit((p: Arr, q: Arr) => np.matmul(p, q));
    const run = () => mm(x.ref, y.ref).data();
    return { output: async () => (await run()) as Float32Array, variants: { '': run }, dispose: () => [x, y, mm].forEach((o) => o.dispose()) };
  }

  async ns(rows: number, cols: number, g: Float32Array): Promise<Case> {
    const x = np.array(g).reshape([rows, cols]);
    const f = jit(newtonSchulz);
    const run = () => f(x.ref).data();
    return { output: async () => (await run()) as Float32Array, variants: { '': run }, dispose: () => [x, f].forEach((o) => o.dispose()) };
  }

  async mlp(init: MlpInit): Promise<Case> {
    const { batch, d, h, c } = init.shape;
    const x = np.array(init.x).reshape([batch, d]);
    const y = nn.oneHot(np.array(init.y, { dtype: np.int32 }), c);
    let p: Params = { w1: np.array(init.w1).reshape([d, h]), b1: np.array(init.b1), w2: np.array(init.w2).reshape([h, c]), b2: np.array(init.b2) };
    const zeros = (): Params => ({ w1: np.zeros([d, h]), b1: np.zeros([h]), w2: np.zeros([h, c]), b2: np.zeros([c]) });
    let m = zeros();
    let v = zeros();
    let t = 0;
    const step = jit(trainStep);
    const run = async (): Promise<number> => {
      t += 1;
      const [l, p2, m2, v2] = step(p, m, v, x.ref, y.ref, np.array(1 - ADAMW.beta1 ** t), np.array(1 - ADAMW.beta2 ** t));
      p = p2;
      m = m2;
      v = v2;
      return ((await l.data()) as Float32Array)[0]!;
    };
    return {
      output: async () => {
        const l = await run();
        return prepend(l, (await p.w1.ref.data()) as Float32Array);
      },
      variants: { '': run },
      dispose: () => {
        tree.dispose([p, m, v, x, y]);
        step.dispose();
      },
    };
  }
}

await init('wasm');
defaultDevice('wasm');
// The pool starts with the first kernel; a tiny one tells whether it did.
await np.ones([4096]).mul(2).data();
const workers = shim?.started ?? 0;
const threads = workers > 0 ? workers : 1;
const config = `wasm device, jit, ${workers > 0 ? `${workers} Web Workers via a worker_threads shim` : 'stock (no Worker global in Node: main thread only)'}`;
const impl = new JaxJs(threads, config);
if (wanted > 1 && workers === 0) impl.notes.push('jax-js did not start its worker pool even with the Web Worker shim: measured on 1 thread');
await drive(job, impl);
process.exit(0);
