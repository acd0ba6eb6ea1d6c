// Parameter groups (Moonlight): in a { hidden, other } record, Muon for the hidden matrix and the
// expert stack, AdamW for the hidden gain and bias and for the embedding; checked leaf by leaf
// against the float64 references, and by the shape of each leaf's state.
import { describe, expect, it } from 'vitest';
import { compileFile, type Tensor } from '../../../index.ts';
import { adamwStep, arr, fromTensor, gaussian, maxAbsDiff, muonStep, randn, size, toTensor, type Arr } from './reference.ts';

const program = compileFile(new URL('./harness.mu', import.meta.url).pathname);

const TOL = 5e-6; // float32 against float64, as in muon.test.ts
const HP = { lr: 0.02, weightDecay: 0.1 };

const SHAPES = {
  hidden: { w: [4, 6], experts: [2, 3, 4], gain: [6], bias: [6] },
  other: { embed: [10, 4] },
} as const;
const MUON = new Set(['hidden.w', 'hidden.experts']);

type Tree<T> = { hidden: Record<keyof typeof SHAPES.hidden, T>; other: Record<keyof typeof SHAPES.other, T> };

const leaves = <T>(t: Tree<T>): [string, T][] =>
  (['hidden', 'other'] as const).flatMap((grp) => Object.entries(t[grp]).map(([k, v]) => [`${grp}.${k}`, v as T] as [string, T]));

function drawTree(next: () => number, scale = 1): Tree<Arr> {
  return {
    hidden: { w: randn(next, SHAPES.hidden.w, scale), experts: randn(next, SHAPES.hidden.experts, scale), gain: randn(next, SHAPES.hidden.gain, scale), bias: randn(next, SHAPES.hidden.bias, scale) },
    other: { embed: randn(next, SHAPES.other.embed, scale) },
  };
}

const toTensors = (t: Tree<Arr>) => ({
  hidden: Object.fromEntries(Object.entries(t.hidden).map(([k, v]) => [k, toTensor(v)])),
  other: Object.fromEntries(Object.entries(t.other).map(([k, v]) => [k, toTensor(v)])),
});
const get = <T>(t: Tree<T>, path: string): T => {
  const [grp, k] = path.split('.') as ['hidden' | 'other', string];
  return (t[grp] as Record<string, T>)[k]!;
};

describe('optim.step with optim.init on { hidden, other }', () => {
  const next = gaussian(4242);
  const p0 = drawTree(next);
  const gs = [drawTree(next), drawTree(next, 0.3), drawTree(next, 3)];
  const run = program.call('group_steps', toTensors(p0), gs.map(toTensors)) as Promise<[Tree<Tensor>, { step: Tensor; moments: Tree<Tensor> }]>;

  it('updates the hidden matrix and the expert stack with Muon, as the reference', async () => {
    const [p, s] = await run;
    for (const path of MUON) {
      let ref = { w: get(p0, path), m: arr(get(p0, path).shape, new Float64Array(size(get(p0, path).shape))) };
      for (const g of gs) ref = muonStep(ref.w, get(g, path), ref.m, { ...HP, nesterov: true, scale: 'match_rms_adamw' });
      expect(maxAbsDiff(fromTensor(get(p, path)), ref.w), path).toBeLessThan(TOL);
      expect(maxAbsDiff(fromTensor(get(s.moments, path)), ref.m), path).toBeLessThan(TOL);
    }
  });

  it('updates the gain, the bias and the embedding with AdamW, as the reference', async () => {
    const [p, s] = await run;
    for (const [path, w0] of leaves(p0)) {
      if (MUON.has(path)) continue;
      const z = arr(w0.shape, new Float64Array(size(w0.shape)));
      let ref = { w: w0, m: z, v: z };
      gs.forEach((g, i) => (ref = adamwStep(ref.w, get(g, path), ref.m, ref.v, i + 1, HP)));
      expect(maxAbsDiff(fromTensor(get(p, path)), ref.w), path).toBeLessThan(TOL);
      // The AdamW state is stack((m, v)).
      const st = fromTensor(get(s.moments, path));
      const n = size(w0.shape);
      expect(maxAbsDiff(arr(w0.shape, st.data.slice(0, n)), ref.m), path).toBeLessThan(TOL);
      expect(maxAbsDiff(arr(w0.shape, st.data.slice(n)), ref.v), path).toBeLessThan(TOL);
    }
  });

  it('keeps one moment for Muon leaves and two for AdamW leaves', async () => {
    const [, s] = await run;
    expect(s.step.data[0]).toBe(3);
    for (const [path, w0] of leaves(p0)) {
      const shape = get(s.moments, path).shape;
      expect(shape, path).toEqual(MUON.has(path) ? w0.shape : [2, ...w0.shape]);
    }
    const floats = (paths: string[]) => paths.reduce((n, path) => n + size(get(s.moments, path).shape), 0);
    expect(floats([...MUON])).toBe(24 + 24); // the momentum only: half of AdamW's two moments
  });

  it('reports update RMS and gradient norms per group', async () => {
    const g = gs[0]!;
    const [q, m] = (await program.call('one_step', toTensors(p0), toTensors(g))) as [Tree<Tensor>, Record<string, Tensor>];
    const sums = { muon: { du: 0, n: 0, dg: 0 }, adamw: { du: 0, n: 0, dg: 0 } };
    for (const [path, w0] of leaves(p0)) {
      const grp = sums[MUON.has(path) ? 'muon' : 'adamw'];
      const w1 = fromTensor(get(q, path));
      w0.data.forEach((x, i) => (grp.du += (w1.data[i]! - x) ** 2));
      grp.n += w0.data.length;
      grp.dg += get(g, path).data.reduce((a, x) => a + x * x, 0);
    }
    const value = (k: string) => m[k]!.data[0]!;
    expect(Object.keys(m).sort()).toEqual(['adamw_grad_norm', 'adamw_update_rms', 'grad_norm', 'muon_grad_norm', 'muon_update_rms']);
    expect(value('grad_norm')).toBeCloseTo(Math.sqrt(sums.muon.dg + sums.adamw.dg), 4);
    expect(value('muon_grad_norm')).toBeCloseTo(Math.sqrt(sums.muon.dg), 4);
    expect(value('adamw_grad_norm')).toBeCloseTo(Math.sqrt(sums.adamw.dg), 4);
    expect(value('muon_update_rms')).toBeCloseTo(Math.sqrt(sums.muon.du / sums.muon.n), 7);
    expect(value('adamw_update_rms')).toBeCloseTo(Math.sqrt(sums.adamw.du / sums.adamw.n), 7);
    // Muon's update is about 0.2·η (plus the decay); AdamW's first one is ±η on every element
    // (m̂/√v̂ = sign g), plus the decay η·λ·W.
    expect(value('muon_update_rms')).toBeGreaterThan(0.15 * HP.lr);
    expect(value('muon_update_rms')).toBeLessThan(0.25 * HP.lr);
    expect(value('adamw_update_rms')).toBeGreaterThan(HP.lr);
    expect(value('adamw_update_rms')).toBeLessThan(1.05 * HP.lr);
  });
});

describe('optim.step with optim.init_with on another layout', () => {
  it('follows the moments record: AdamW for the embedding and the head, the rule inside the layer', async () => {
    const next = gaussian(77);
    const draw = () => ({
      embed: randn(next, [6, 4]),
      layer: { w: randn(next, [4, 4]), gain: randn(next, [4]) },
      head: randn(next, [4, 6]),
    });
    const [p0, g] = [draw(), draw()];
    const tensors = (t: ReturnType<typeof draw>) => ({ embed: toTensor(t.embed), layer: { w: toTensor(t.layer.w), gain: toTensor(t.layer.gain) }, head: toTensor(t.head) });
    type Net<T> = { embed: T; layer: { w: T; gain: T }; head: T };
    const [p, s] = (await program.call('custom_step', tensors(p0), tensors(g))) as [Net<Tensor>, { step: Tensor; moments: Net<Tensor> }];
    expect(s.moments.embed.shape).toEqual([2, 6, 4]);
    expect(s.moments.layer.w.shape).toEqual([4, 4]);
    expect(s.moments.layer.gain.shape).toEqual([2, 4]);
    expect(s.moments.head.shape).toEqual([2, 4, 6]);
    const adam = (w: Arr, gi: Arr) => adamwStep(w, gi, arr(w.shape, new Float64Array(size(w.shape))), arr(w.shape, new Float64Array(size(w.shape))), 1, HP).w;
    expect(maxAbsDiff(fromTensor(p.embed), adam(p0.embed, g.embed))).toBeLessThan(TOL);
    expect(maxAbsDiff(fromTensor(p.head), adam(p0.head, g.head))).toBeLessThan(TOL);
    expect(maxAbsDiff(fromTensor(p.layer.gain), adam(p0.layer.gain, g.layer.gain))).toBeLessThan(TOL);
    const muon = muonStep(p0.layer.w, g.layer.w, arr([4, 4], new Float64Array(16)), { ...HP, nesterov: true, scale: 'match_rms_adamw' });
    expect(maxAbsDiff(fromTensor(p.layer.w), muon.w)).toBeLessThan(TOL);
  });
});

describe('a tiny model trained with Muon + AdamW', () => {
  it('learns its batch, with clipping, a schedule and both groups in play', async () => {
    const model = compileFile(new URL('./tiny_model.mu', import.meta.url).pathname);
    const [first, last, muonRms, adamwRms] = ((await model.call('train', 60)) as Tensor[]).map((t) => t.data[0]!);
    expect(last).toBeLessThan(0.1 * first);
    // Step 1 of the schedule: η = 3e-2/5. Muon's update RMS is about 0.2·η, AdamW's about η.
    const lr = 3e-2 / 5;
    expect(muonRms).toBeGreaterThan(0.1 * lr);
    expect(muonRms).toBeLessThan(0.3 * lr);
    expect(adamwRms).toBeGreaterThan(0.5 * lr);
    expect(adamwRms).toBeLessThan(1.1 * lr);
  });
});
