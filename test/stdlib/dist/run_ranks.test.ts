// `muc run --ranks N` end to end, through the real binary: the measurement example, a rank that
// fails, and an update that forgets to combine the ranks' gradients.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mucSync, scratch } from '../../support/cli.ts';

const ZERO1 = new URL('../../../examples/zero1.mu', import.meta.url).pathname;
const { dir, file } = scratch('muc-ranks-');

const muc = (...args: string[]) => mucSync(args, { cwd: dir, timeout: 120_000 });


describe('muc run --ranks', () => {
  it('measures ZeRO-1 Muon against ZeRO-1 AdamW (examples/zero1.mu)', () => {
    const r = muc('run', ZERO1, '--ranks', '2', '--backend', 'cpu', '--arg', 'steps=1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Rank 0 alone prints.
    expect(r.stdout.match(/^ranks 2 /gm)).toHaveLength(1);
    const json = JSON.parse(readFileSync(join(dir, 'results/zero1.json'), 'utf8'));
    expect(json.ranks).toBe(2);
    const params = Number(/parameter bytes (\S+)/.exec(r.stdout)![1]);
    // AdamW keeps two moments of every parameter, halved over the ranks; Muon one moment of its
    // matrices, so less (the paper: Muon's state is half of AdamW's where every matrix is Muon's).
    expect(json.adamw.state_bytes).toBeGreaterThanOrEqual(params);
    expect(json.adamw.state_bytes).toBeLessThan(params + 4 * 64 * 2);
    expect(json.muon.state_bytes).toBeLessThan(0.75 * json.adamw.state_bytes);
    expect(json.muon.state_bytes).toBeGreaterThan(0.5 * json.adamw.state_bytes);
    // AdamW's ZeRO-1 step sends a reduce-scatter and an all-gather of every parameter, each (N−1)/N
    // of it; Muon adds the all-gather of its matrices.
    expect(json.adamw.bytes_per_step).toBeGreaterThanOrEqual(params);
    expect(json.adamw.bytes_per_step).toBeLessThan(params * 1.01);
    expect(json.muon.bytes_per_step / json.adamw.bytes_per_step).toBeGreaterThan(1);
    expect(json.muon.bytes_per_step / json.adamw.bytes_per_step).toBeLessThan(1.5);
    expect(json.muon.optimizer_share).toBeGreaterThan(0);
    expect(json.muon.optimizer_share).toBeLessThan(1);
  }, 180_000);

  it("stops every rank with the failing rank's message", () => {
    const path = file('fails.mu', `fn main() {
  let r = comm.rank()
  if r == 1 then {
    fail("rank one gives up")
  }
  let total = comm.all_reduce(1.0, op = "sum")
  print("never", total)
}
`);
    const r = muc('run', path, '--ranks', '2', '--backend', 'interp');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^muc: error: rank 1: .*fails\.mu:4:5: error: rank one gives up$/m);
    expect(r.stdout).not.toMatch(/never/);
  }, 60_000);

  it('stops a run whose update leaves the ranks apart', () => {
    writeFileSync(join(dir, 'corpus.txt'), 'the quick brown fox jumps over the lazy dog. '.repeat(40));
    const path = file('apart.mu', `import std.optim
import std.train

fn loss[b](p: { w: f32[4] }, x: i32[b, 8], y: i32[b, 8]) = (mean(p.w[0] * f32(x) - f32(y)) ** 2.0, ())

-- A plain optim step on each rank's own gradient: nothing combines them.
fn update[P: type, S: type, A: type](p: P, g: P, s: S, aux: A, step: i32, steps: i32) =
  let (p2, s2) = optim.adamw(p, g, s, lr = 0.1) in (p2, s2, { lr: 0.1 })

fn main() {
  let data = text.open("corpus.txt")
  let p = { w: ones([4]) }
  let r = train.fit(loss, update, p, optim.adamw_init(p), data, 3, b = 4, t = 8, checkpoint = "apart.safetensors")
}
`);
    const r = muc('run', path, '--ranks', '2', '--backend', 'interp');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rank \d: .*the ranks' parameters differ after step 0 ; on several ranks the update must combine their gradients, as dist.step does/);
  }, 60_000);
});
