// Programs that must check clean, and the types the checker infers for their expressions.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource, type CheckResult, type Loader } from '../../compiler/check/program.ts';
import { show } from '../../compiler/check/types.ts';
import { renderDiagnostic } from '../../compiler/diag/render.ts';

const FILE = 'main.mu';

function memLoader(files: Readonly<Record<string, string>> = {}): Loader {
  return { read: (path) => files[path] ?? null };
}

const lines = (...ls: string[]): string => ls.join('\n') + '\n';

/** Checks a program and fails with the rendered diagnostics when there are any. */
function clean(src: string, files: Readonly<Record<string, string>> = {}): CheckResult {
  const r = checkSource(src, FILE, memLoader(files));
  expect(r.diagnostics.map((d) => renderDiagnostic(d, r.sources))).toEqual([]);
  expect(r.module).not.toBeNull();
  return r;
}

/**
 * The type of the expression whose source text is `text` in `file`, shown. Every expression
 * with that text must have the same type.
 */
function typeOf(r: CheckResult, text: string, file = FILE): string {
  const src = r.sources.get(file);
  if (src === undefined) throw new Error(`no source for ${file}`);
  const found = new Set<string>();
  for (const [e, t] of r.checker.types)
    if (e.span.file === file && src.slice(e.span.start, e.span.end) === text) found.add(show(t));
  if (found.size !== 1) throw new Error(`'${text}' has ${found.size === 0 ? 'no type' : `several types: ${[...found].join(', ')}`}`);
  return [...found][0]!;
}

describe('checker: size polynomials', () => {
  const src = lines(
    'fn dbl[n](x: f32[n]) -> f32[2*n] = concat((x, x))',
    'fn cat[m, n](a: f32[m], b: f32[n]) -> f32[m+n] = concat((a, b))',
    'fn flat[m, n](x: f32[m, n]) -> f32[m*n] = reshape(x, [m*n])',
    'fn halves[n](x: f32[2*n]) -> f32[2, n] = reshape(x, [2, n])',
    'fn first[n](x: f32[2*n]) -> f32[n] = x[0:n]',
    'fn grow[n](x: f32[n]) -> f32[n+2] = pad(x, 1, 1)',
    'fn use(x: f32[3], y: f32[5]) -> f32[8] = cat(x, y)',
    'fn use2(x: f32[3]) -> f32[2, 3] = halves(dbl(x))',
    'fn use3[k](x: f32[k]) -> f32[2, k] = halves(dbl(x))',
    'fn use4[k](x: f32[k], y: f32[k]) -> f32[4*k + 2] = grow(cat(dbl(x), dbl(y)))',
    'fn use5(x: f32[6]) -> f32[3] = first(x)',
    'fn use6[a, b](x: f32[a, b, 2]) -> f32[2*a*b] = reshape(x, [a*b*2])',
  );

  it('checks clean', () => {
    clean(src);
  });

  it('infers the polynomial shapes', () => {
    const r = clean(src);
    expect(typeOf(r, 'concat((x, x))')).toBe('f32[2*n]');
    expect(typeOf(r, 'concat((a, b))')).toBe('f32[m + n]');
    expect(typeOf(r, 'reshape(x, [m*n])')).toBe('f32[m*n]');
    expect(typeOf(r, 'x[0:n]')).toBe('f32[n]');
    expect(typeOf(r, 'pad(x, 1, 1)')).toBe('f32[n + 2]');
    expect(typeOf(r, 'cat(x, y)')).toBe('f32[8]');
    expect(typeOf(r, 'cat(dbl(x), dbl(y))')).toBe('f32[4*k]');
    expect(typeOf(r, 'grow(cat(dbl(x), dbl(y)))')).toBe('f32[4*k + 2]');
    expect(typeOf(r, 'first(x)')).toBe('f32[3]');
    expect(typeOf(r, 'reshape(x, [a*b*2])')).toBe('f32[2*a*b]');
  });
});

describe('checker: broadcasting', () => {
  it('broadcasts against size-1 and missing axes', () => {
    const r = clean(
      lines(
        'fn b1[m, n](x: f32[m, n], r: f32[n], c: f32[m, 1], s: f32[1, n]) -> f32[m, n] = x + r + c + s + 1.0',
        'fn b2(x: f32[4, 1], y: f32[3]) -> f32[4, 3] = x * y',
        'fn b3[n](x: f32[n], y: f32[1]) -> f32[n] = x - y',
        'fn b4(x: f32[2, 1, 3], y: f32[5, 1]) -> f32[2, 5, 3] = x + y',
        'fn b5(c: bool[4, 1], a: f32[3], b: f32) -> f32[4, 3] = where(c, a, b)',
        'fn b6[n](x: f32[n]) -> bool[n] = x > 0.0',
      ),
    );
    expect(typeOf(r, 'x * y')).toBe('f32[4, 3]');
    expect(typeOf(r, 'x - y')).toBe('f32[n]');
    expect(typeOf(r, 'x + y')).toBe('f32[2, 5, 3]');
    expect(typeOf(r, 'where(c, a, b)')).toBe('f32[4, 3]');
    expect(typeOf(r, 'x > 0.0')).toBe('bool[n]');
    expect(typeOf(r, 'x + r')).toBe('f32[m, n]');
  });

  it('batches matmul over broadcast leading axes and handles vectors', () => {
    const r = clean(
      lines(
        'fn mm(a: f32[7, 2, 3], b: f32[3, 4]) -> f32[7, 2, 4] = a @ b',
        'fn mv(m: f32[2, 3], v: f32[3]) -> f32[2] = m @ v',
        'fn vv(u: f32[3], v: f32[3]) -> f32 = u @ v',
      ),
    );
    expect(typeOf(r, 'a @ b')).toBe('f32[7, 2, 4]');
    expect(typeOf(r, 'm @ v')).toBe('f32[2]');
    expect(typeOf(r, 'u @ v')).toBe('f32');
  });
});

describe('checker: weak literals', () => {
  it('lets a literal take the dtype of the tensor it meets', () => {
    const r = clean(
      lines(
        'fn w(x: f32[3]) -> f32[3] = 2 * x + 1 - x / 2 + x ** 2',
        'fn wi(k: i32[3]) -> i32[3] = 2 * k + 1',
        'fn ws(s: f32) -> f32 = 2',
        'fn wb(s: f32) -> f32 = if s > 0 then 1 else s',
        'fn wa(s: f32) -> f32[2] = [s, 1]',
        'fn wv() -> f32 = sqrt(2)',
      ),
    );
    expect(typeOf(r, '2 * x')).toBe('f32[3]');
    expect(typeOf(r, '2 * k + 1')).toBe('i32[3]');
    expect(typeOf(r, 'if s > 0 then 1 else s')).toBe('f32');
    expect(typeOf(r, '[s, 1]')).toBe('f32[2]');
    expect(typeOf(r, 'sqrt(2)')).toBe('f32');
  });

  it('types literals by their spelling', () => {
    const r = clean(lines('fn a() -> i32 = 7', 'fn b() -> f32 = 7.5', 'fn c() -> f32 = 1 + 2.5', 'fn d() -> bool = true'));
    expect(typeOf(r, '7')).toBe('i32');
    expect(typeOf(r, '7.5')).toBe('f32');
    expect(typeOf(r, '1 + 2.5')).toBe('f32');
    expect(typeOf(r, 'true')).toBe('bool');
  });

  it('gives a var declared with a type the literal it is initialised with', () => {
    clean(lines('fn main() {', '  var x: f32 = 0', '  x = 1.5', '  print(x)', '}'));
  });
});

describe('checker: records and type aliases', () => {
  const src = lines(
    'type Layer[i, o] = { w: f32[i, o], b: f32[o] }',
    'type Mlp[d, h, c] = { l1: Layer[d, h], l2: Layer[h, c] }',
    'type Vec = f32[3]',
    'type Pair = (f32, i32)',
    'fn apply[b, i, o](p: Layer[i, o], x: f32[b, i]) -> f32[b, o] = x @ p.w + p.b',
    'fn fwd[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d]) -> f32[b, c] = apply(p.l2, relu(apply(p.l1, x)))',
    'fn mk() -> Layer[2, 3] = { w: zeros([2, 3]), b: zeros([3]) }',
    'fn mk2() -> Mlp[4, 8, 2] = { l1: { w: zeros([4, 8]), b: zeros([8]) }, l2: { w: zeros([8, 2]), b: zeros([2]) } }',
    'fn v(x: Vec) -> f32[3] = x',
    'fn pr(p: Pair) -> i32 = let (a, k) = p in k',
    'fn upd(p: Layer[2, 3]) -> Layer[2, 3] = { p with b: ones([3]) }',
    'fn reorder(p: { a: f32, b: f32[2] }) -> { b: f32[2], a: f32 } = p',
    'fn run(x: f32[5, 4]) -> f32[5, 2] = fwd(mk2(), x)',
  );

  it('checks clean', () => {
    clean(src);
  });

  it('expands aliases with their size arguments', () => {
    const r = clean(src);
    expect(typeOf(r, 'x @ p.w + p.b')).toBe('f32[b, o]');
    expect(typeOf(r, 'p.l1')).toBe('{ w: f32[d, h], b: f32[h] }');
    expect(typeOf(r, 'apply(p.l1, x)')).toBe('f32[b, h]');
    expect(typeOf(r, 'fwd(mk2(), x)')).toBe('f32[5, 2]');
    expect(typeOf(r, 'mk2()')).toBe('{ l1: { w: f32[4, 8], b: f32[8] }, l2: { w: f32[8, 2], b: f32[2] } }');
    expect(typeOf(r, '{ p with b: ones([3]) }')).toBe('{ w: f32[2, 3], b: f32[3] }');
    expect(typeOf(r, 'let (a, k) = p in k')).toBe('i32');
  });
});

describe('checker: size keyword arguments', () => {
  it('accepts sizes passed by keyword where they cannot be inferred', () => {
    const r = clean(
      lines(
        'fn init[d, h](key: i32[2]) -> f32[d, h] = rand.normal(key, [d, h])',
        'fn g[n](x: f32[n]) -> f32[n] = x',
        'fn use[k](x: f32[k]) -> f32[2*k, 3] = init(rand.key(1), d = 2*k, h = 3)',
        'fn same(x: f32[3]) -> f32[3] = g(x, n = 3)',
        'fn main() {',
        '  let p = init(rand.key(0), d = 4, h = 5)',
        '  print(p)',
        '}',
      ),
    );
    expect(typeOf(r, 'init(rand.key(0), d = 4, h = 5)')).toBe('f32[4, 5]');
    expect(typeOf(r, 'init(rand.key(1), d = 2*k, h = 3)')).toBe('f32[2*k, 3]');
    expect(typeOf(r, 'g(x, n = 3)')).toBe('f32[3]');
  });

  it('accepts optional parameters with defaults, by position or keyword', () => {
    const r = clean(
      lines(
        'fn scale(x: f32[3], by: f32 = 2.0) -> f32[3] = x * by',
        'fn a(x: f32[3]) -> f32[3] = scale(x)',
        'fn b(x: f32[3]) -> f32[3] = scale(x, 3.0)',
        'fn c(x: f32[3]) -> f32[3] = scale(x, by = 4)',
      ),
    );
    expect(typeOf(r, 'scale(x, by = 4)')).toBe('f32[3]');
  });
});

describe('checker: tree.map, grad and value_and_grad', () => {
  const src = lines(
    'type P = { w: f32[3, 2], b: f32[2] }',
    'fn loss(p: P, x: f32[5, 3]) -> f32 = mean((x @ p.w + p.b) ** 2)',
    'fn sq[n, m](a: f32[n, m]) -> f32[n, m] = a * a',
    'fn step(p: P, x: f32[5, 3]) -> P = let g = grad(loss)(p, x) in tree.map(fn(w, dw) = w - 0.1 * dw, p, g)',
    'fn both(p: P, x: f32[5, 3]) -> (f32, P) = value_and_grad(loss)(p, x)',
    'fn relus(p: P) -> P = tree.map(relu, p)',
    'fn pairs(t: (f32[2], f32[3])) -> (f32[2], f32[3]) = tree.map(fn(a) = a * 2, t)',
    'fn sqs(q: { a: f32[2, 2], b: f32[3, 1] }) -> { a: f32[2, 2], b: f32[3, 1] } = tree.map(sq, q)',
    'fn main() {',
    '  var p = { w: zeros([3, 2]), b: zeros([2]) }',
    '  let x = ones([5, 3])',
    '  for i in 0..3 do {',
    '    let (l, g) = value_and_grad(loss)(p, x)',
    '    p = tree.map(fn(w, dw) = w - 0.5 * dw, p, g)',
    '    print(i, l)',
    '  }',
    '}',
  );

  it('checks clean', () => {
    clean(src);
  });

  it('gives grad the type of the first argument', () => {
    const r = clean(src);
    expect(typeOf(r, 'grad(loss)(p, x)')).toBe('{ w: f32[3, 2], b: f32[2] }');
    expect(typeOf(r, 'value_and_grad(loss)(p, x)')).toBe('(f32, { w: f32[3, 2], b: f32[2] })');
    expect(typeOf(r, 'tree.map(fn(w, dw) = w - 0.1 * dw, p, g)')).toBe('{ w: f32[3, 2], b: f32[2] }');
    expect(typeOf(r, 'tree.map(relu, p)')).toBe('{ w: f32[3, 2], b: f32[2] }');
    expect(typeOf(r, 'tree.map(fn(a) = a * 2, t)')).toBe('(f32[2], f32[3])');
    expect(typeOf(r, 'tree.map(sq, q)')).toBe('{ a: f32[2, 2], b: f32[3, 1] }');
    expect(typeOf(r, 'w - 0.1 * dw')).toBe('f32[2]');
  });

  it('differentiates with respect to a tuple', () => {
    const r = clean(
      lines(
        'fn l(t: (f32[2], f32), y: f32[2]) -> f32 = let (a, b) = t in sum(a * y) + b',
        'fn g(t: (f32[2], f32), y: f32[2]) -> (f32[2], f32) = grad(l)(t, y)',
      ),
    );
    expect(typeOf(r, 'grad(l)(t, y)')).toBe('(f32[2], f32)');
  });
});

describe('checker: loops', () => {
  it('carries tuple state through a loop expression', () => {
    const r = clean(
      lines(
        'fn fib() -> (f32, f32) = loop (a, b) = (0.0, 1.0) for i in 0..10 do (b, a + b)',
        'fn acc[n](x: f32[n]) -> f32[n] = loop s = zeros_like(x) for i in 0..n do s + x * f32(i)',
        'fn nested(x: f32[3]) -> (f32[3], i32) = loop (s, k) = (x, 0) for i in 1..4 do (s * 2.0, k + i)',
      ),
    );
    expect(typeOf(r, 'loop (a, b) = (0.0, 1.0) for i in 0..10 do (b, a + b)')).toBe('(f32, f32)');
    expect(typeOf(r, '(b, a + b)')).toBe('(f32, f32)');
    expect(typeOf(r, 's + x * f32(i)')).toBe('f32[n]');
    expect(typeOf(r, '(s * 2.0, k + i)')).toBe('(f32[3], i32)');
  });

  it('accepts host for loops with var and tuple assignment', () => {
    const r = clean(
      lines(
        'fn main() {',
        '  var a = 0.0',
        '  var b = 1.0',
        '  var w = zeros([2, 3])',
        '  for i in 0..10 do {',
        '    (a, b) = (b, a + b)',
        '    w = w + 1',
        '    if i % 2 == 0 then { print("even", i) } else if i == 3 then { print("three") } else { a = a * 2 }',
        '  }',
        '  save("w.safetensors", { w: w })',
        '  log_metrics({ a: a, b: b })',
        '  print(a, b)',
        '}',
      ),
    );
    expect(typeOf(r, '(b, a + b)')).toBe('(f32, f32)');
    expect(typeOf(r, 'w + 1')).toBe('f32[2, 3]');
  });

  it('lets host code return a declared type', () => {
    clean(lines('fn total(n: i32) -> i32 {', '  var s = 0', '  for i in 0..n do { s = s + i }', '  return s', '}'));
  });
});

describe('checker: builtins', () => {
  it('types indexing, reductions and index builtins', () => {
    const r = clean(
      lines(
        'fn f(x: f32[4, 6], y: i32[4]) -> f32 =',
        '  let a = x[1] in',
        '  let b = x[:, 2:5] in',
        '  let c = x[-1, -2:] in',
        '  let (v, ix) = topk(x, 2) in',
        '  let h = one_hot(y, 6) in',
        '  let m = sum(x, axis = 0, keepdims = true) in',
        '  let g = gather(x, y, axis = 0) in',
        '  mean(logsumexp(x) - sum(x * h, axis = -1)) + sum(a) + sum(b) + sum(c) + sum(v) + sum(m) + sum(g)',
      ),
    );
    expect(typeOf(r, 'x[1]')).toBe('f32[6]');
    expect(typeOf(r, 'x[:, 2:5]')).toBe('f32[4, 3]');
    expect(typeOf(r, 'x[-1, -2:]')).toBe('f32[2]');
    expect(typeOf(r, 'topk(x, 2)')).toBe('(f32[4, 2], i32[4, 2])');
    expect(typeOf(r, 'one_hot(y, 6)')).toBe('f32[4, 6]');
    expect(typeOf(r, 'sum(x, axis = 0, keepdims = true)')).toBe('f32[1, 6]');
    expect(typeOf(r, 'gather(x, y, axis = 0)')).toBe('f32[4, 6]');
    expect(typeOf(r, 'logsumexp(x)')).toBe('f32[4]');
  });

  it('types shape builtins', () => {
    const r = clean(
      lines(
        'fn f[n](x: f32[n, 3]) -> f32[3, n] = transpose(x)',
        'fn g(x: f32[2, 3]) -> f32[2, 1, 3] = expand_dims(x, 1)',
        'fn h(x: f32[2, 1, 3]) -> f32[2, 3] = squeeze(x, axis = 1)',
        'fn s(a: f32[2, 3], b: f32[2, 3]) -> f32[2, 2, 3] = stack((a, b))',
        'fn bt(x: f32[3]) -> f32[4, 3] = broadcast_to(x, [4, 3])',
        'fn c(a: f32[2, 3], b: f32[2, 5]) -> f32[2, 8] = concat((a, b), axis = 1)',
      ),
    );
    expect(typeOf(r, 'transpose(x)')).toBe('f32[3, n]');
    expect(typeOf(r, 'stack((a, b))')).toBe('f32[2, 2, 3]');
    expect(typeOf(r, 'concat((a, b), axis = 1)')).toBe('f32[2, 8]');
  });
});

describe('checker: imports', () => {
  const files: Record<string, string> = {
    [join('x', 'y.mu')]: lines(
      'import z',
      'type Lin[i, o] = { w: f32[i, o], b: f32[o] }',
      'fn lin[b, i, o](p: Lin[i, o], x: f32[b, i]) -> f32[b, o] = x @ p.w + p.b',
      'fn twice[n](x: f32[n]) -> f32[n] = z.dbl(x)',
    ),
    [join('x', 'z.mu')]: 'fn dbl[n](x: f32[n]) -> f32[n] = 2 * x\n',
  };

  it('resolves import x.y by its last name', () => {
    const r = clean(
      lines(
        'import x.y',
        'fn f(p: y.Lin[3, 2], x: f32[5, 3]) -> f32[5, 2] = y.lin(p, x)',
        'fn g(x: f32[4]) -> f32[4] = y.twice(x)',
      ),
      files,
    );
    expect(typeOf(r, 'y.lin(p, x)')).toBe('f32[5, 2]');
    expect(typeOf(r, 'y.twice(x)')).toBe('f32[4]');
    expect(typeOf(r, 'z.dbl(x)', join('x', 'y.mu'))).toBe('f32[n]');
    expect(typeOf(r, 'x @ p.w + p.b', join('x', 'y.mu'))).toBe('f32[b, o]');
    expect([...r.sources.keys()].sort()).toEqual([join('x', 'y.mu'), join('x', 'z.mu'), FILE].sort());
  });

  it('binds an import under its alias', () => {
    const r = clean(
      lines(
        'import x.y as nn',
        'fn f(p: nn.Lin[3, 2], x: f32[5, 3]) -> f32[5, 2] = nn.lin(p, x)',
        'fn mk() -> nn.Lin[3, 2] = { w: zeros([3, 2]), b: zeros([2]) }',
      ),
      files,
    );
    expect(typeOf(r, 'nn.lin(p, x)')).toBe('f32[5, 2]');
    expect(typeOf(r, '{ w: zeros([3, 2]), b: zeros([2]) }')).toBe('{ w: f32[3, 2], b: f32[2] }');
  });

  it('checks a module imported twice only once', () => {
    const r = clean(lines('import x.y', 'import x.z', 'fn f(v: f32[2]) -> f32[2] = y.twice(z.dbl(v))'), files);
    expect(typeOf(r, 'y.twice(z.dbl(v))')).toBe('f32[2]');
  });
});

describe('checker: a complete program', () => {
  it('checks an MLP training loop clean', () => {
    const r = clean(
      lines(
        'type Layer[i, o] = { w: f32[i, o], b: f32[o] }',
        'type Mlp[d, h, c] = { l1: Layer[d, h], l2: Layer[h, c] }',
        'fn linear[b, i, o](p: Layer[i, o], x: f32[b, i]) -> f32[b, o] = x @ p.w + p.b',
        'fn forward[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d]) -> f32[b, c] = linear(p.l2, relu(linear(p.l1, x)))',
        'fn loss[b, d, h, c](p: Mlp[d, h, c], x: f32[b, d], y: i32[b]) -> f32 =',
        '  let logits = forward(p, x) in',
        '  mean(logsumexp(logits, axis = -1) - sum(logits * one_hot(y, c), axis = -1))',
        'fn init[d, h, c](key: i32[2]) -> Mlp[d, h, c] =',
        '  let ks = rand.split(key, 2) in',
        '  { l1: { w: rand.normal(ks[0], [d, h]) * 0.1, b: zeros([h]) },',
        '    l2: { w: rand.normal(ks[1], [h, c]) * 0.1, b: zeros([c]) } }',
        'fn sgd[d, h, c](p: Mlp[d, h, c], g: Mlp[d, h, c], lr: f32) -> Mlp[d, h, c] =',
        '  tree.map(fn(w, dw) = w - lr * dw, p, g)',
        'fn main() {',
        '  var p = init(rand.key(0), d = 4, h = 16, c = 3)',
        '  let x = rand.normal(rand.key(1), [64, 4])',
        '  let y = argmax(x[:, 0:3], axis = -1)',
        '  for step in 0..200 do {',
        '    let (l, g) = value_and_grad(loss)(p, x, y)',
        '    p = sgd(p, g, 0.5)',
        '    if step % 50 == 0 then { print("step", step, "loss", l) }',
        '  }',
        '}',
      ),
    );
    expect(typeOf(r, 'init(rand.key(0), d = 4, h = 16, c = 3)')).toBe(
      '{ l1: { w: f32[4, 16], b: f32[16] }, l2: { w: f32[16, 3], b: f32[3] } }',
    );
    expect(typeOf(r, 'argmax(x[:, 0:3], axis = -1)')).toBe('i32[64]');
    expect(typeOf(r, 'forward(p, x)')).toBe('f32[b, c]');
    expect(typeOf(r, 'rand.split(key, 2)')).toBe('i32[2, 2]');
    expect(typeOf(r, 'value_and_grad(loss)(p, x, y)')).toBe(
      '(f32, { l1: { w: f32[4, 16], b: f32[16] }, l2: { w: f32[16, 3], b: f32[3] } })',
    );
  });
});

describe('checker: generic functions and function parameters', () => {
  it('keeps a callee size apart from a caller size of the same name', () => {
    const r = clean(lines('fn g[n, k](x: f32[k], y: f32[k], z: f32[n]) -> f32[n] = z', 'fn f[n](a: f32[n], b: f32[2]) -> f32[2] = g(a, a, b)'));
    expect(typeOf(r, 'g(a, a, b)')).toBe('f32[2]');
  });

  it('checks an instance with the sizes its call bound', () => {
    const r = clean(
      lines(
        'type RmsNorm[d] = { gain: f32[d] }',
        'fn scale[d, X: type](p: RmsNorm[d], x: X) -> X = x * p.gain',
        'fn use(g: RmsNorm[4], x: f32[3, 4]) -> f32[3, 4] = scale(g, x)',
      ),
    );
    expect(typeOf(r, 'scale(g, x)')).toBe('f32[3, 4]');
  });

  it('binds a function parameter per call, to a name or a literal', () => {
    const r = clean(
      lines(
        'fn sq(x: f32[3]) -> f32 = sum(x * x)',
        'fn twice(f: fn, x: f32[3]) = f(x) + f(x)',
        'fn a(x: f32[3]) -> f32 = twice(sq, x)',
        'fn b(x: f32[3]) -> f32 = twice(fn(v) = max(v), x)',
      ),
    );
    expect(typeOf(r, 'twice(sq, x)')).toBe('f32');
  });

  it('types value_and_grad of a function returning (loss, aux)', () => {
    const r = clean(lines('fn l(w: f32[2]) -> (f32, { n: f32 }) = (sum(w), { n: max(w) })', 'fn g(w: f32[2]) = value_and_grad(l)(w)'));
    expect(typeOf(r, 'value_and_grad(l)(w)')).toBe('((f32, { n: f32 }), f32[2])');
  });
});
