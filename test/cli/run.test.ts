// `muc run` and `muc build` end to end, through the real binary.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mucSync, scratch } from '../support/cli.ts';

const MLP = new URL('../../examples/mlp.mu', import.meta.url).pathname;
const { dir, file } = scratch('muc-run-');

const muc = (...args: string[]) => mucSync(args, { cwd: dir });


describe('muc run', () => {
  it('trains the MLP example until its loss is small', () => {
    const r = muc('run', MLP);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const first = Number(/^step 0 loss (\S+)$/m.exec(r.stdout)![1]);
    const final = Number(/^final loss (\S+)$/m.exec(r.stdout)![1]);
    // Three balanced classes start near ln 3 ≈ 1.1; 200 SGD steps reach well under 0.1.
    expect(first).toBeGreaterThan(0.8);
    expect(final).toBeLessThan(0.1);
  });

  it('saves and loads parameter records, and a shape the file contradicts is a one-line error', () => {
    const ck = join(dir, 'ck.safetensors');
    const path = file('io.mu', [
      'fn main() {',
      `  save("${ck}", { w: ones([2, 3]), b: { c: arange(4) } })`,
      `  let back = load("${ck}", { w: zeros([2, 3]), b: { c: arange(4) } })`,
      '  print(sum(back.w), back.b.c)',
      `  let bad = load("${ck}", { w: zeros([3, 2]), b: { c: arange(4) } })`,
      '}',
      '',
    ].join('\n'));
    const r = muc('run', path);
    expect(r.stdout).toBe('6 [0, 1, 2, 3]\n');
    expect(r.stderr).toBe(`${path}:5:13: error: ${ck}: tensor 'w' is f32[2, 3], but the program expects f32[3, 2]\n`);
    expect(r.code).toBe(1);
    expect(existsSync(ck)).toBe(true);
    expect(readFileSync(ck).readBigUInt64LE(0)).toBeGreaterThan(0n);
  });

  it('reports a missing data file at the call that reads it', () => {
    const path = file('missing.mu', 'fn main() {\n  let d = text.open("no/such/file.txt")\n}\n');
    const r = muc('run', path);
    expect(r.stderr).toBe(`${path}:2:11: error: no such file: no/such/file.txt\n`);
    expect(r.code).toBe(1);
  });

  it('stops at a NaN with --check-nan, and runs on without it', () => {
    const path = file('nan.mu', 'fn main() {\n  let x = log(zeros([2]) - 1.0)\n  print("after")\n}\n');
    const strict = muc('run', '--check-nan', path);
    expect(strict.stderr).toBe(`${path}:2:11: error: this value has a NaN or infinity (--check-nan): [NaN, NaN]\n`);
    expect(strict.stdout).toBe('');
    expect(strict.code).toBe(1);
    const loose = muc('run', path);
    expect(loose.stdout).toBe('after\n');
    expect(loose.code).toBe(0);
  });

  it('refuses a file with type errors before running anything', () => {
    const path = file('bad.mu', 'fn main() {\n  print("never")\n  let x = zeros([2]) + zeros([3])\n}\n');
    const r = muc('run', path);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path}:3:22: error: operator '+'`);
    expect(r.code).toBe(1);
  });

  it('needs a main function', () => {
    const path = file('nomain.mu', 'fn f(x: f32) -> f32 = x\n');
    const r = muc('run', path);
    expect(r.stderr).toBe(`muc: error: ${path} has no main function to run (declare fn main() { … })\n`);
    expect(r.code).toBe(1);
  });

  it('appends log_metrics records to a JSONL file', () => {
    const path = file('metrics.mu', 'fn main() {\n  for i in 0..3 do { log_metrics({ step: i, loss: f32(i) * 0.5 }) }\n}\n');
    const out = join(dir, 'metrics.jsonl');
    expect(muc('run', path, '--metrics', out).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('{"step":0,"loss":0}\n{"step":1,"loss":0.5}\n{"step":2,"loss":1}\n');
  });
});

describe('muc build --emit ir', () => {
  it('prints the graph of a function for given sizes', () => {
    const r = muc('build', MLP, '--entry', 'linear', '--size', 'b=2', '--size', 'i=3', '--size', 'o=4');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'graph linear(%0: f32[3, 4], %1: f32[4], %2: f32[2, 3]) {',
        '  %3 = matmul(%2, %0) : f32[2, 4]',
        '  %4 = broadcast(%1, shape=[2, 4]) : f32[2, 4]',
        '  %5 = add(%3, %4) : f32[2, 4]',
        '  return %5',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('asks for the sizes it needs', () => {
    const r = muc('build', MLP, '--entry', 'linear');
    expect(r.stderr).toMatch(/^muc: error: parameter 'p' of 'linear'.* has size i: give its variables with --size name=value\n$/);
    expect(r.code).toBe(1);
  });
});

describe('muc run: parameters of main, progress and failures', () => {
  const src = [
    'fn main(steps: i32 = 5, lr: f32 = 0.1, resume: bool = false, name: str = "x") {',
    '  print("resume", resume, "steps", steps, "lr", lr, name)',
    '  for s in 0..steps do { progress(s, steps, { loss: f32(s) * lr, tokens: 100 }) }',
    '  print(file.exists("main.mu"), file.exists("nope.mu"), is_finite([1.0, log(0.0), log(-1.0)]))',
    '  if steps > 3 then { fail("too many steps") }',
    '}',
    '',
  ].join('\n');

  it('sets parameters with --arg and --resume, and draws a progress bar on stderr', () => {
    const path = file('main.mu', src);
    const r = muc('run', path, '--arg', 'steps=3', '--resume', '--arg', 'name=hello');
    expect(r.stdout).toBe('resume true steps 3 lr 0.1 hello\ntrue false [true, false, false]\n');
    expect(r.stderr).toMatch(/3\/3 \| ETA 0s \| loss 0\.2 \| \d+ tok\/s/);
    expect(r.code).toBe(0);
  });

  it('stops at fail() with its message at the call', () => {
    const path = file('main.mu', src);
    const r = muc('run', path);
    expect(r.stderr).toContain(`${path}:5:23: error: too many steps\n`);
    expect(r.code).toBe(1);
  });

  it('rejects an unknown parameter or a malformed value', () => {
    const path = file('main.mu', src);
    expect(muc('run', path, '--arg', 'stepz=3').stderr).toBe("muc: error: main has no parameter 'stepz' (its parameters: steps, lr, resume, name)\n");
    expect(muc('run', path, '--arg', 'steps=1.5').stderr).toBe('muc: error: --arg steps=1.5: expected an integer (i32)\n');
    expect(muc('run', path, '--arg', 'resume=yes').stderr).toBe('muc: error: --arg resume=yes: expected true or false\n');
  });
});

describe('muc build --emit kernels | plan | wat', () => {
  const args = ['build', MLP, '--entry', 'linear', '--size', 'b=2', '--size', 'i=3', '--size', 'o=4'];

  it('prints the fused kernels: a linear layer is one matmul with its bias in the epilogue', () => {
    const r = muc(...args, '--emit', 'kernels');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^schedule linear: 1 kernel\n/);
    expect(r.stdout).toContain('kernel k0 (root %3): matmul [2, 4] k=3');
  });

  it('prints the memory plan and the WebAssembly text', () => {
    expect(muc(...args, '--emit', 'plan').stdout).toMatch(/^plan linear: peak 0 bytes/);
    expect(muc(...args, '--emit', 'wat').stdout).toMatch(/^;; linear: 1 kernel/);
    expect(muc(...args, '--emit', 'wgsl').stdout).toContain('@compute');
  });
});
