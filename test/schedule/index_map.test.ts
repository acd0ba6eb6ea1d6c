// Index maps (compiler/schedule/index_map.ts) against the interpreter: a chain of views applied to
// x = [0, 1, 2, …] yields, at every element, the offset of x it reads; the map composed through the
// same chain must compute that offset everywhere.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder, sizeOf, type Graph, type Node } from '../../compiler/ir/graph.ts';
import {
  broadcastMap, identityMap, offsetIx, reshapeMap, rowMajor, sliceMap, transposeMap, type IndexMap, type Ix,
} from '../../compiler/schedule/index_map.ts';
import { evaluate } from '../../runtime/interp/eval.ts';
import { forEachIndex, tensor } from '../../runtime/interp/ops/tensor.ts';

type View = 'transpose' | 'reshape' | 'slice' | 'broadcast';

/** Builds x → view → view → … from choices; returns the graph and its nodes from x up. */
function chain(choices: readonly number[], views: readonly View[]): Graph {
  let i = 0;
  const pick = (n: number): number => (n <= 1 ? 0 : (choices[i++] ?? 0) % n);
  const b = new Builder();
  const xShape = Array.from({ length: 1 + pick(3) }, () => 1 + pick(4));
  let v = b.input({ dtype: 'f32', shape: xShape }, 0, 'x');
  for (let k = 1 + pick(4); k > 0; k--) {
    const s = b.type(v).shape;
    const op = views[pick(views.length)]!;
    if (op === 'transpose') {
      const perm = [...s.keys()];
      for (let j = perm.length - 1; j > 0; j--) {
        const r = pick(j + 1);
        [perm[j], perm[r]] = [perm[r]!, perm[j]!];
      }
      v = b.add('transpose', [v], { perm });
    } else if (op === 'slice') {
      const starts = s.map((d) => pick(d));
      v = b.add('slice', [v], { starts, ends: s.map((d, j) => starts[j]! + 1 + pick(d - starts[j]!)) });
    } else if (op === 'broadcast') {
      v = b.broadcast(v, [...(pick(2) === 1 ? [2] : []), ...s.map((d) => (d === 1 ? 1 + pick(3) : d))]);
    } else {
      const out = [...s];
      const j = pick(out.length);
      const how = pick(3);
      if (how === 0 && j + 1 < out.length) out.splice(j, 2, out[j]! * out[j + 1]!);
      else if (how === 1 && out[j] !== undefined && out[j]! % 2 === 0) out.splice(j, 1, 2, out[j]! / 2);
      else out.splice(pick(out.length + 1), 0, 1);
      v = b.add('reshape', [v], { shape: out });
    }
  }
  return b.graph('views', [v]);
}

/** Walks the chain from its output down to x, as fusion does. */
function composed(g: Graph): { map: IndexMap; sizes: readonly number[] } {
  const byId = new Map(g.nodes.map((n) => [n.id, n] as const));
  const sizes = byId.get(g.outputs[0]!)!.type.shape;
  let map: IndexMap = identityMap(sizes.length);
  for (let n: Node = byId.get(g.outputs[0]!)!; n.op !== 'input'; n = byId.get(n.inputs[0]!)!) {
    const from = byId.get(n.inputs[0]!)!.type.shape;
    if (n.op === 'transpose') map = transposeMap(map, n.attrs['perm'] as number[]);
    else if (n.op === 'broadcast') map = broadcastMap(map, from);
    else if (n.op === 'slice') map = sliceMap(map, n.attrs['starts'] as number[]);
    else map = reshapeMap(map, n.type.shape, from, sizes);
  }
  return { map, sizes };
}

function evalIx(x: Ix, idx: readonly number[]): number {
  let v = x.c;
  for (const [a, k] of x.terms) v += k * idx[a]!;
  for (const [a, k] of x.atoms) {
    if (a.k !== 'digit') throw new Error('no data-dependent atoms here');
    v += k * (Math.floor(evalIx(a.of, idx) / a.radix) % a.size);
  }
  return v;
}

const choicesArb = fc.array(fc.nat({ max: 100 }), { minLength: 10, maxLength: 40, size: 'max' });

function expectOffsets(g: Graph): Ix {
  const x = g.nodes[0]!.type.shape;
  const [out] = evaluate(g, [tensor('f32', x, Array.from({ length: sizeOf(x) }, (_, i) => i))]);
  const { map, sizes } = composed(g);
  const ix = offsetIx(map, rowMajor(x), sizes);
  forEachIndex(sizes, (idx, flat) => {
    const want = out!.data[flat]!;
    if (evalIx(ix, idx) !== want) expect.fail(`at [${idx.join(', ')}] the map reads ${evalIx(ix, idx)}, the view ${want}`);
  });
  return ix;
}

describe('index maps', () => {
  it('any chain of transpose, reshape, slice and broadcast reads the right offsets', () => {
    fc.assert(fc.property(choicesArb, (c) => void expectOffsets(chain(c, ['transpose', 'reshape', 'slice', 'broadcast']))), { numRuns: 400 });
  });

  it('reshapes of a contiguous buffer stay affine: the offset is the flat index', () => {
    fc.assert(
      fc.property(choicesArb, (c) => {
        const g = chain(c, ['reshape']);
        const ix = expectOffsets(g);
        expect(ix.atoms).toEqual([]);
        const shape = g.nodes[g.nodes.length - 1]!.type.shape;
        // (an axis of extent 1 may keep any coefficient: its index is always 0)
        expect(ix.terms.filter(([a]) => shape[a]! > 1)).toEqual(rowMajor(shape).flatMap((s, a) => (shape[a]! > 1 ? [[a, s]] : [])));
      }),
      { numRuns: 200 },
    );
  });

  it('a merge of transposed axes needs div/mod; a split of them does not', () => {
    const b = new Builder();
    const x = b.input({ dtype: 'f32', shape: [2, 3] }, 0, 'x');
    const merged = b.graph('merge', [b.add('reshape', [b.add('transpose', [x], { perm: [1, 0] })], { shape: [6] })]);
    expect(expectOffsets(merged).atoms.length).toBeGreaterThan(0);
    const c = new Builder();
    const y = c.input({ dtype: 'f32', shape: [6, 4] }, 0, 'y');
    const split = c.graph('split', [c.add('reshape', [c.add('transpose', [y], { perm: [1, 0] })], { shape: [4, 2, 3] })]);
    expect(expectOffsets(split)).toEqual({ terms: [[0, 1], [1, 12], [2, 4]], atoms: [], c: 0 });
  });
});
