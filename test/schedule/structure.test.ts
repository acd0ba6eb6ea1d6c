// What fusion makes of known patterns, counted in kernels (the `structure { kernels N }` of muc's
// test blocks), with two printouts snapshotted so a change to fusion shows its real effect.
// Every schedule here is also validated and run against the interpreter.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../compiler/ir/graph.ts';
import { printKernels } from '../../compiler/kernel/print.ts';
import { validateSchedule } from '../../compiler/kernel/validate.ts';
import { planMemory } from '../../compiler/schedule/plan.ts';
import { schedule } from '../../compiler/schedule/schedule.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { tensor, zeros, type Tensor } from '../../runtime/interp/ops/tensor.ts';
import { execute } from '../../runtime/kernels/execute.ts';
import { kernelsBackend } from '../../runtime/kernels/backend.ts';
import { compile } from '../../runtime/program.ts';

const SOURCE = `
type Layer[i, o] = { w: f32[i, o], b: f32[o] }
type Mlp[d, h, c] = { l1: Layer[d, h], l2: Layer[h, c] }

fn softmax_last[n, m](x: f32[n, m]) -> f32[n, m] = softmax(x, axis = -1)

fn rmsnorm[n, d](x: f32[n, d], g: f32[d]) -> f32[n, d] =
  x * rsqrt(mean(x * x, axis = -1, keepdims = true) + 1e-5) * g

fn ns_step[m, n](x: f32[m, n]) -> f32[m, n] =
  let (a, b, c) = (3.4445, -4.7750, 2.0315) in
  let s = x @ transpose(x) in
  a * x + (b * s + c * (s @ s)) @ x

fn linear_gelu[b, i, o](x: f32[b, i], w: f32[i, o], bias: f32[o]) -> f32[b, o] = gelu(x @ w + bias)

fn linear[b, i, o](p: Layer[i, o], x: f32[b, i]) -> f32[b, o] = x @ p.w + p.b

fn loss[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d], y: i32[b]) -> f32 =
  let logits = linear(p.l2, relu(linear(p.l1, x))) in
  mean(logsumexp(logits, axis = -1) - sum(logits * one_hot(y, c), axis = -1))

fn loss_grad[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d], y: i32[b]) -> Mlp[d, h, c] = grad(loss)(p, x, y)

fn pick_layer(w: f32[2, 4, 8], x: f32[3, 4]) -> f32[3, 8] = x @ w[1]
fn two_layers(w: f32[2, 4, 4], x: f32[3, 4]) -> f32 = sum(tanh(x @ w[0]) @ w[1])
fn two_layers_grad(w: f32[2, 4, 4], x: f32[3, 4]) -> f32[2, 4, 4] = grad(two_layers)(w, x)
fn weight_grad(x: f32[4, 8, 16], dy: f32[4, 8, 32]) -> f32[16, 32] = sum(transpose(x) @ dy, axis = 0)
fn shared_expert(x: f32[1, 6, 4], w: f32[1, 4, 4], r: f32[6, 4]) -> f32[6, 4] = sum(x @ w, axis = 0) + r
fn pick_label(x: f32[5, 3], y: i32[5]) -> f32 = sum(exp(take_along_axis(x, expand_dims(y, 1), axis = -1)))
fn pick_label_grad(x: f32[5, 3], y: i32[5]) -> f32[5, 3] = grad(pick_label)(x, y)
fn rotated(x: f32[2, 8]) -> f32 = sum(gather(x, (arange(8) + 4) % 8, axis = -1) * x * x)
fn rotated_grad(x: f32[2, 8]) -> f32[2, 8] = grad(rotated)(x)
fn siblings(x: f32[8], y: f32[8]) -> (f32[8], f32[8]) = (exp(x), exp(y))
`;

const program = compile(SOURCE);
const f32 = (...shape: number[]): Tensor => zeros('f32', shape);
const mlp = { l1: { w: f32(4, 16), b: f32(16) }, l2: { w: f32(16, 3), b: f32(3) } };

const GRAPHS: Record<string, () => Graph> = {
  softmax: () => program.graph('softmax_last', f32(8, 10)),
  rmsnorm: () => program.graph('rmsnorm', f32(8, 10), f32(10)),
  newtonSchulz: () => program.graph('ns_step', f32(6, 8)),
  linearGelu: () => program.graph('linear_gelu', f32(8, 4), f32(4, 16), f32(16)),
  mlpLoss: () => program.graph('loss', mlp, f32(8, 4), zeros('i32', [8])),
  mlpGrad: () => program.graph('loss_grad', mlp, f32(8, 4), zeros('i32', [8])),
  pickLayer: () => program.graph('pick_layer', f32(2, 4, 8), f32(3, 4)),
  twoLayersGrad: () => program.graph('two_layers_grad', f32(2, 4, 4), f32(3, 4)),
  weightGrad: () => program.graph('weight_grad', f32(4, 8, 16), f32(4, 8, 32)),
  sharedExpert: () => program.graph('shared_expert', f32(1, 6, 4), f32(1, 4, 4), f32(6, 4)),
  pickLabelGrad: () => program.graph('pick_label_grad', f32(5, 3), zeros('i32', [5])),
  rotatedGrad: () => program.graph('rotated_grad', f32(2, 8)),
  siblings: () => program.graph('siblings', f32(8), f32(8)),
};

/** Deterministic inputs: smooth f32 values, labels 0..2. */
function inputsFor(g: Graph): Tensor[] {
  return g.inputs.map((id, k) => {
    const t = g.nodes.find((n) => n.id === id)!.type;
    const n = t.shape.reduce((a, b) => a * b, 1);
    return tensor(t.dtype, t.shape, Array.from({ length: n }, (_, i) => (t.dtype === 'i32' ? (i * 7 + k) % 3 : Math.sin(1.3 * i + k))));
  });
}

describe('kernel counts of known patterns', () => {
  // softmax: max | sum(exp(x - max)) | exp(x - max) / sum — exp is recomputed, not stored.
  // RMSNorm: sum(x·x) with epilogue rsqrt(·/d + ε) | x · r · g.
  // Newton–Schulz: s = x@xᵀ | b·s + c·(s@s) | a·x + (…)@x (xᵀ, b·s, a·x fold into views and epilogues).
  // linear + bias + gelu: one matmul whose epilogue adds the bias and applies gelu.
  // MLP loss: 2 matmuls (bias, relu epilogues), max, sum of one-hot·logits, sum(exp) with the
  //   log-sum-exp and subtraction as epilogue, the final mean.
  // MLP gradient: the forward pass's matmuls (the first also stores the relu mask), max, sum(exp),
  //   the logits' cotangent, its bias sum, three matmuls of the backward pass and one bias sum.
  // A layer of a stack picked by a constant index (an unrolled loop's w[i]): the matmul reads the
  //   stack in place, at the layer's offset (no copy of the layer).
  // Its gradient: each layer's gradient lands in its slice of the stack, where(i0 == layer, g, 0), an
  //   elementwise epilogue-free kernel for both layers at once (no scatter into zeros): the forward
  //   matmul, the ones seed, the backward matmuls (tanh' in the first one's epilogue), the stack.
  // A weight gradient summed over the batch: one matmul whose contraction runs over batch and rows.
  // A sum over an axis of size 1 (a single shared expert) is a reshape: the add is the matmul's epilogue.
  // The gradient of take_along_axis writes each row's one element: where(i1 == y, g, 0) after exp'.
  // The gradient of a rotation by a constant permutation is a gather by the same permutation.
  // Two independent elementwise outputs of one shape: one kernel with two stores.
  // The merged matmul sums all batches before rounding, where the interpreter rounds each batch's.
  const ROUNDS_ONCE = new Set(['weightGrad']);
  const expected: Record<string, number> = {
    softmax: 3, rmsnorm: 2, newtonSchulz: 3, linearGelu: 1, mlpLoss: 6, mlpGrad: 10,
    pickLayer: 1, twoLayersGrad: 6, weightGrad: 1, sharedExpert: 1, pickLabelGrad: 2, rotatedGrad: 1, siblings: 1,
  };
  for (const [name, count] of Object.entries(expected)) {
    it(`${name}: ${count} kernel${count === 1 ? '' : 's'}, equal to the interpreter`, () => {
      const g = GRAPHS[name]!();
      const s = schedule(g);
      validateSchedule(s, { maxBindings: 8 });
      expect(s.kernels.length).toBe(count);
      const ins = inputsFor(g);
      const got = execute(s, planMemory(s), ins);
      const want = evaluate(g, ins);
      if (!ROUNDS_ONCE.has(name)) got.forEach((t, k) => expect([...t.data]).toEqual([...want[k]!.data]));
      else got.forEach((t, k) => t.data.forEach((v, i) => expect(Math.abs(v - want[k]!.data[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[k]!.data[i]!)))));
    });
  }

  it('the MLP gradient through the kernels backend, from the TypeScript API', async () => {
    const p = compile(SOURCE, { backend: kernelsBackend });
    const ref = compile(SOURCE);
    const x = tensor('f32', [8, 4], Array.from({ length: 32 }, (_, i) => Math.cos(i)));
    const y = tensor('i32', [8], [0, 1, 2, 0, 1, 2, 0, 1]);
    const params = {
      l1: { w: tensor('f32', [4, 16], Array.from({ length: 64 }, (_, i) => Math.sin(i) / 4)), b: f32(16) },
      l2: { w: tensor('f32', [16, 3], Array.from({ length: 48 }, (_, i) => Math.cos(i) / 4)), b: f32(3) },
    };
    expect(await p.call('loss_grad', params, x, y)).toEqual(await ref.call('loss_grad', params, x, y));
  });
});

describe('printed kernels', () => {
  it('RMSNorm', () => {
    expect(printKernels(schedule(GRAPHS['rmsnorm']!()))).toMatchInlineSnapshot(`
      "schedule rmsnorm: 2 kernels
        b0 input f32[8, 10] (%0)
        b1 input f32[10] (%1)
        b2 temp f32[8, 1] (%9)
        b3 output f32[8, 10] (%13)
      kernel k0 (root %3): fused [8] reduce sum [10]
        in0 = b0 f32[8, 10]
        out0 = b2 f32[8, 1]
        t0: f32 = in0[10*i0 + r0]
        t1: f32 = mul t0, t0
        reduce sum t1
        t2: f32 = acc
        t3: f32 = 0.10000000149011612
        t4: f32 = mul t2, t3
        t5: f32 = 0.000009999999747378752
        t6: f32 = add t4, t5
        t7: f32 = rsqrt t6
        out0 <- t7
      kernel k1 (root %13): fused [8, 10]
        in0 = b0 f32[8, 10]
        in1 = b2 f32[8, 1]
        in2 = b1 f32[10]
        out0 = b3 f32[8, 10]
        t0: f32 = in0[10*i0 + i1]
        t1: f32 = in1[i0]
        t2: f32 = mul t0, t1
        t3: f32 = in2[i1]
        t4: f32 = mul t2, t3
        out0 <- t4
      inputs b0, b1
      outputs b3"
    `);
  });

  it('linear + bias + gelu', () => {
    expect(printKernels(schedule(GRAPHS['linearGelu']!()))).toMatchInlineSnapshot(`
      "schedule linear_gelu: 1 kernel
        b0 input f32[8, 4] (%0)
        b1 input f32[4, 16] (%1)
        b2 input f32[16] (%2)
        b3 output f32[8, 16] (%6)
      kernel k0 (root %3): matmul [8, 16] k=4
        in0 = b0 f32[8, 4]
        in1 = b1 f32[4, 16]
        in2 = b2 f32[16]
        out0 = b3 f32[8, 16]
        a = in0[4*i0 + p]
        b = in1[16*p + i1]
        t0: f32 = acc
        t1: f32 = in2[i1]
        t2: f32 = add t0, t1
        t3: f32 = gelu t2
        out0 <- t3
      inputs b0, b1, b2
      outputs b3"
    `);
  });
});
