// Collectives over data-parallel ranks (`muc run --ranks N`), for host code. Without --ranks a
// program runs as rank 0 of 1 and every collective is the identity (a shard is the whole leaf).
//
// THE SHARD LAYOUT (ZeRO-1). A leaf of S elements is split, flattened in row-major order, into N
// equal pieces of k = ⌈S/N⌉ elements; the last piece is padded with zeros. Rank r holds elements
// [r·k, (r+1)·k). A tensor may carry leading axes in front of the leaf's own (AdamW's two moments
// stacked, f32[2, A, B], shard to f32[2, k]): `like` names the leaf's own shape.
import * as S from '../check/size.ts';
import { f32, i32, show, showShape, STR, type TensorType, type Type } from '../check/types.ts';
import { need, RuleError, type Args, type ArgInfo, type Builtin } from './builtin.ts';

/** Elements in each rank's piece of a leaf of `elements` elements. */
export const shardLength = (elements: number, ranks: number): number => Math.ceil(elements / ranks);

/** Maps the tensors of a tree type, pairing them with a second tree of the same structure. */
function zipTree(x: Type, like: Type, f: (x: TensorType, like: TensorType) => Type, fail: (why: string) => never): Type {
  if (x.kind === 'tensor' && like.kind === 'tensor') return f(x, like);
  if (x.kind === 'tuple' && like.kind === 'tuple' && x.items.length === like.items.length)
    return { kind: 'tuple', items: x.items.map((t, i) => zipTree(t, like.items[i]!, f, fail)) };
  if (x.kind === 'record' && like.kind === 'record' && x.fields.map((a) => a.name).join() === like.fields.map((a) => a.name).join())
    return { kind: 'record', fields: x.fields.map((a, i) => ({ name: a.name, type: zipTree(a.type, like.fields[i]!.type, f, fail) })) };
  return fail(`${show(x)} and ${show(like)} are not the same tree`);
}

function treeArg(args: Args, name: string): ArgInfo {
  const a = need(args, name);
  const ok = (t: Type): boolean =>
    t.kind === 'tensor' ? t.dtype === 'f32' : t.kind === 'tuple' ? t.items.every(ok) : t.kind === 'unit' || (t.kind === 'record' && t.fields.every((f) => ok(f.type)));
  if (!ok(a.type)) throw new RuleError(`${args.callee}: '${name}' must be an f32 tensor or a record of them, found ${show(a.type)}`, a);
  return a;
}

/** A leaf's element count, which must be known when compiling (the shard's size depends on it). */
function elements(args: Args, shape: readonly S.Size[], at: ArgInfo): number {
  const n = S.constValue(S.product(shape));
  if (n === null) throw new RuleError(`${args.callee}: the shard of a leaf needs its size known when compiling, found f32${showShape(shape)}`, at);
  return n;
}

/** Splits x's shape into leading axes and the leaf's own, which must be like's shape. */
function leadOf(args: Args, x: TensorType, like: TensorType, at: ArgInfo): readonly S.Size[] {
  const lead = x.shape.length - like.shape.length;
  const own = x.shape.slice(Math.max(lead, 0));
  if (lead < 0 || !own.every((s, i) => S.equal(s, like.shape[i]!)))
    throw new RuleError(`${args.callee}: a leaf ${show(x)} does not end with its like's shape ${showShape(like.shape)}`, at);
  return x.shape.slice(0, lead);
}

function requireOp(args: Args): void {
  const a = args.get('op');
  if (a === undefined) return;
  if (a.static?.kind !== 'str' || (a.static.value !== 'sum' && a.static.value !== 'mean'))
    throw new RuleError(`${args.callee}: 'op' must be "sum" or "mean"`, a);
}

/** One rank holds the whole leaf, so its size may stay symbolic; over several it must be known. */
const shardOf = (args: Args, lead: readonly S.Size[], own: readonly S.Size[], at: ArgInfo): TensorType =>
  f32([...lead, args.ranks === 1 ? S.product(own) : S.constant(shardLength(elements(args, own, at), args.ranks))]);

export const COMM: readonly Builtin[] = [
  {
    name: 'comm.rank', doc: "this rank's index, from 0 (0 in a run without --ranks)", effect: true,
    params: [],
    type: () => i32(),
  },
  {
    name: 'comm.size', doc: 'the number of data-parallel ranks (muc run --ranks N; 1 without)', effect: true,
    params: [],
    type: () => i32(),
  },
  {
    name: 'comm.all_reduce', doc: 'the elementwise sum or mean over ranks of a tensor or record of tensors, on every rank', effect: true,
    params: [{ name: 'x' }, { name: 'op', default: '"mean"' }],
    type: (args) => {
      requireOp(args);
      return treeArg(args, 'x').type;
    },
  },
  {
    name: 'comm.reduce_scatter',
    doc: "the sum or mean over ranks of each leaf, of which each rank receives only its shard: f32[⌈size/N⌉] per leaf (the ZeRO-1 layout)",
    effect: true,
    params: [{ name: 'x' }, { name: 'op', default: '"mean"' }],
    type: (args) => {
      requireOp(args);
      const a = treeArg(args, 'x');
      return zipTree(a.type, a.type, (x) => shardOf(args, [], x.shape, a), (why) => { throw new RuleError(why, a); });
    },
  },
  {
    name: 'comm.shard',
    doc: "this rank's shard of each leaf (no communication): f32[⌈size/N⌉], or f32[lead…, ⌈size/N⌉] for a leaf with leading axes in front of its like's shape",
    effect: true,
    params: [{ name: 'x' }, { name: 'like', default: 'x' }],
    type: (args) => {
      const a = treeArg(args, 'x');
      const like = args.get('like') ? treeArg(args, 'like') : a;
      return zipTree(a.type, like.type, (x, l) => shardOf(args, leadOf(args, x, l, a), l.shape, a), (why) => { throw new RuleError(`comm.shard: ${why}`, like); });
    },
  },
  {
    name: 'comm.all_gather',
    doc: "every rank's shard of each leaf put back together, with the type of `like` (the inverse of comm.shard; leading axes as there)",
    effect: true,
    params: [{ name: 'x' }, { name: 'like' }],
    type: (args) => {
      const a = treeArg(args, 'x');
      const like = treeArg(args, 'like');
      return zipTree(a.type, like.type, (x, l) => {
        const lead = x.shape.slice(0, -1);
        const own = l.shape.slice(lead.length);
        const want = shardOf(args, lead, own, like);
        if (lead.length > l.shape.length || !want.shape.every((s, i) => S.equal(s, x.shape[i]!)) || want.shape.length !== x.shape.length)
          throw new RuleError(`comm.all_gather: a shard ${show(x)} does not belong to a leaf ${show(l)} over ${args.ranks} rank(s) (its shard is ${show(want)})`, a);
        return l;
      }, (why) => { throw new RuleError(`comm.all_gather: ${why}`, like); });
    },
  },
  {
    name: 'comm.split', doc: "this rank's equal part of a global batch: rows [r·b/N, (r+1)·b/N) of axis 0 (b must divide by N)", effect: true,
    params: [{ name: 'x' }],
    type: (args) => {
      const a = need(args, 'x');
      const t = a.type;
      if (t.kind !== 'tensor' || t.shape.length === 0) throw new RuleError(`comm.split: 'x' must be a tensor with a batch axis, found ${show(t)}`, a);
      if (args.ranks === 1) return t;
      const b = S.constValue(t.shape[0]!);
      if (b === null || b % args.ranks !== 0)
        throw new RuleError(`comm.split: the batch axis (${S.show(t.shape[0]!)}) must be a constant that divides by the ${args.ranks} ranks`, a);
      return { kind: 'tensor', dtype: t.dtype, shape: [S.constant(b / args.ranks), ...t.shape.slice(1)] };
    },
  },
  {
    name: 'comm.stats', doc: 'what the collectives of this rank have sent so far: { bytes, calls } (bytes as a ring algorithm sends them)', effect: true,
    params: [],
    type: () => ({ kind: 'record', fields: [{ name: 'bytes', type: f32() }, { name: 'calls', type: f32() }] }),
  },
  {
    name: 'comm.path', doc: 'a file name of this rank\'s own: "ckpt.safetensors" becomes "ckpt.rank1-of-4.safetensors" (unchanged without --ranks)', effect: true,
    params: [{ name: 'path' }],
    type: (args) => {
      const a = need(args, 'path');
      if (a.type.kind !== 'str') throw new RuleError(`comm.path: 'path' must be a string, found ${show(a.type)}`, a);
      return STR;
    },
  },
];
