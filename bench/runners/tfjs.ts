// TensorFlow.js, installed as a user installs it (npm @tensorflow/tfjs, @tensorflow/tfjs-backend-wasm),
// on one of two backends: 'wasm' (XNNPACK kernels, SIMD) or 'cpu' (its plain-JavaScript kernels).
// Usage (bench/main.ts starts it): tsx bench/runners/tfjs.ts JOB_FILE wasm|cpu
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ADAMW, NS_COEFFS } from '../workloads.ts';
import { drive, prepend, readJob, type Case, type Impl, type MlpInit } from './driver.ts';

function newtonSchulz(g: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const { a, b, c, steps } = NS_COEFFS;
    const tall = g.shape[0] > g.shape[1];
    let x: tf.Tensor2D = tall ? g.transpose() : g;
    x = x.div(tf.norm(x).add(1e-7));
    for (let i = 0; i < steps; i++) {
      // X Xᵀ with an explicit transpose: on the wasm backend, matMul's transposeB flag takes a path
      // about ten times slower than transpose-then-matMul (measured at n = 1024).
      const A = tf.matMul(x, x.transpose());
      const B = A.mul(b).add(tf.matMul(A, A).mul(c));
      x = x.mul(a).add(tf.matMul(B, x));
    }
    return tall ? x.transpose() : x;
  });
}

/** Runs `f`, reads its result back to JavaScript (which waits for it), and frees it. */
function readBack(f: () => tf.Tensor): Float32Array {
  const t = f();
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

class Tfjs implements Impl {
  readonly impl: string;
  readonly notes: string[] = [];

  constructor(
    readonly backend: 'wasm' | 'cpu',
    readonly threads: number,
    readonly config: string,
  ) {
    this.impl = backend === 'wasm' ? 'tfjs-backend-wasm' : 'tfjs (cpu backend)';
  }

  async matmul(n: number, a: Float32Array, b: Float32Array): Promise<Case> {
    const x = tf.tensor2d(a, [n, n]);
    const y = tf.tensor2d(b, [n, n]);
    const run = () => readBack(() => tf.matMul(x, y));
    return { output: async () => run(), variants: { '': run }, dispose: () => tf.dispose([x, y]) };
  }

  async ns(rows: number, cols: number, g: Float32Array): Promise<Case> {
    const x = tf.tensor2d(g, [rows, cols]);
    const run = () => readBack(() => newtonSchulz(x));
    return { output: async () => run(), variants: { '': run }, dispose: () => x.dispose() };
  }

  async mlp(init: MlpInit): Promise<Case> {
    const { batch, d, h, c } = init.shape;
    const x = tf.tensor2d(init.x, [batch, d]);
    const y = tf.oneHot(tf.tensor1d(init.y, 'int32'), c);
    let params: tf.Tensor[] = [tf.tensor2d(init.w1, [d, h]), tf.tensor1d(init.b1), tf.tensor2d(init.w2, [h, c]), tf.tensor1d(init.b2)];
    let m = params.map((p) => tf.zerosLike(p));
    let v = params.map((p) => tf.zerosLike(p));
    let t = 0;
    const loss = (w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor): tf.Scalar => {
      const logits = tf.relu(x.matMul(w1).add(b1)).matMul(w2).add(b2);
      return tf.mean(tf.logSumExp(logits, -1).sub(tf.sum(logits.mul(y), -1)));
    };
    const valueAndGrads = tf.valueAndGrads((w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => loss(w1, b1, w2, b2));
    const step = (): number => {
      t += 1;
      const { lr, weightDecay, beta1, beta2, eps } = ADAMW;
      const next = tf.tidy(() => {
        const { value, grads } = valueAndGrads(params);
        const m2 = m.map((mi, i) => mi.mul(beta1).add(grads[i]!.mul(1 - beta1)));
        const v2 = v.map((vi, i) => vi.mul(beta2).add(grads[i]!.square().mul(1 - beta2)));
        const p2 = params.map((w, i) => {
          const mHat = m2[i]!.div(1 - beta1 ** t);
          const vHat = v2[i]!.div(1 - beta2 ** t);
          return w.sub(w.mul(lr * weightDecay)).sub(mHat.mul(lr).div(vHat.sqrt().add(eps)));
        });
        return { value, p2, m2, v2 };
      });
      tf.dispose([...params, ...m, ...v]);
      params = next.p2;
      m = next.m2;
      v = next.v2;
      const l = next.value.dataSync()[0]!;
      next.value.dispose();
      return l;
    };
    return {
      output: async () => {
        const l = step();
        return prepend(l, params[0]!.dataSync() as Float32Array);
      },
      variants: { '': step },
      dispose: () => tf.dispose([x, y, ...params, ...m, ...v]),
    };
  }
}

const job = readJob();
const backend = process.argv[3] === 'cpu' ? 'cpu' : 'wasm';
const notes: string[] = [];
let threads = 1;
let config = 'pure-JavaScript kernels';
if (backend === 'wasm') {
  const require = createRequire(import.meta.url);
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  // As a user would: ask for the threads wanted (the default is the available cores), then read back.
  setThreadsCount(job.threads ?? availableParallelism());
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  await tf.setBackend('wasm');
  threads = getThreadsCount();
  config = `XNNPACK, ${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}`;
  if (!multithread)
    notes.push(
      'tfjs-backend-wasm runs single-threaded in Node: its WASM_HAS_MULTITHREAD_SUPPORT check is false there (setThreadsCount has no effect), and forcing the flag fails, as its threaded build starts Web Workers from blob: URLs, which Node\'s worker_threads refuse (ERR_WORKER_PATH)',
    );
} else {
  await tf.setBackend('cpu');
}
await tf.ready();
const impl = new Tfjs(backend, threads, config);
impl.notes.push(...notes);
await drive(job, impl);
process.exit(0);
