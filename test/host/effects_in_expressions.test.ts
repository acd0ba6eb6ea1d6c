// Effects inside the expressions of host code: as operands of operators, and as arguments of
// grad(f)(…) / value_and_grad(f)(…) where f is a function parameter. Host code runs the effects,
// then the pure part on their values.
import { describe, expect, it } from 'vitest';
import { compile, type Tensor, type Value } from '../../index.ts';

const SOURCE = `fn loss[b](w: f32[3], x: f32[b, 3]) = (sum((x @ w) ** 2.0), ())

fn through[P: type](f: fn, w: P) {
  let x = ones([4, 3])
  let ((l, aux), g) = value_and_grad(f)(w, comm.split(x))
  return (l, g)
}

fn operators() -> (i32, bool, f32) {
  return (-comm.size() + 2 * comm.rank() + 10, comm.size() > 1, sum(comm.all_reduce(ones([2])) + 1.0))
}

fn grads() -> (f32, f32[3]) {
  return through(loss, ones([3]))
}
`;

const num = (v: Value): number => Number((v as Tensor).data[0]);

describe('effects inside host expressions', () => {
  const program = compile(SOURCE);

  it('runs the effects of operator operands, then the operator', async () => {
    const [a, b, c] = (await program.call('operators')) as Value[];
    expect(num(a!)).toBe(9);
    expect(num(b!)).toBe(0);
    expect(num(c!)).toBe(4);
  });

  it('differentiates a function parameter whose arguments have effects', async () => {
    const [l, g] = (await program.call('grads')) as Value[];
    // Four rows of ones times w = ones: each row gives 3, the loss is 4·9, the gradient 2·Σ 3·x = 24.
    expect(num(l!)).toBe(36);
    expect(Array.from((g as Tensor).data)).toEqual([24, 24, 24]);
  });
});
