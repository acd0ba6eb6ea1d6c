// The host side of the comm.* builtins (compiler/builtins/comm.ts declares their types and the
// shard layout). A collective on a record is one collective on all its leaves packed together,
// as a real data-parallel engine buckets gradients: one message per call, not one per leaf.
import { shardLength } from '../../compiler/builtins/comm.ts';
import { sizeOf } from '../../compiler/ir/graph.ts';
import type { Transport } from '../dist/transport.ts';
import type { Tensor } from '../interp/ops/tensor.ts';
import { hostTensor, tensorsOf, type HostValue } from './value.ts';

/** Where this program runs among the ranks; a run without --ranks is rank 0 of 1. */
export interface Comm {
  readonly rank: number;
  readonly size: number;
  readonly transport: Transport | null;
}

export const SOLO: Comm = { rank: 0, size: 1, transport: null };

/** The tree `v` with its tensors replaced, in order, by `next`'s. */
function rebuild(v: HostValue, next: () => Tensor): HostValue {
  switch (v.kind) {
    case 'tensor':
      return hostTensor(next());
    case 'tuple':
      return { kind: 'tuple', items: v.items.map((x) => rebuild(x, next)) };
    case 'record':
      return { kind: 'record', fields: v.fields.map(([n, f]) => [n, rebuild(f, next)] as const) };
    default:
      return v;
  }
}

function withTensors(v: HostValue, ts: readonly Tensor[]): HostValue {
  let i = 0;
  return rebuild(v, () => ts[i++]!);
}

const f32 = (shape: readonly number[], data: Float32Array): Tensor => ({ dtype: 'f32', shape: [...shape], data });

/** How a tensor x of the layout splits: `lead` leading slices of `own` elements each. */
function layout(x: Tensor, like: Tensor): { lead: number[]; own: number } {
  const lead = x.shape.slice(0, x.shape.length - like.shape.length);
  return { lead, own: sizeOf(like.shape) };
}

/** Piece `r` (k elements, zero-padded) of each leading slice of x, one after another. */
function piece(x: Tensor, own: number, slices: number, k: number, r: number, out: Float32Array, at: number): void {
  for (let l = 0; l < slices; l++) {
    const from = l * own + r * k;
    const src = x.data.subarray(from, Math.min(from + k, (l + 1) * own));
    out.set(src, at + l * k);
  }
}

/** Every leaf's piece for rank r, packed: the message rank r owns in a reduce-scatter. */
function pack(xs: readonly Tensor[], likes: readonly Tensor[], n: number, r: number, out: Float32Array, at: number): number {
  xs.forEach((x, i) => {
    const { lead, own } = layout(x, likes[i]!);
    const k = shardLength(own, n);
    piece(x, own, sizeOf(lead), k, r, out, at);
    at += sizeOf(lead) * k;
  });
  return at;
}

const shardElements = (xs: readonly Tensor[], likes: readonly Tensor[], n: number): number =>
  xs.reduce((s, x, i) => {
    const { lead, own } = layout(x, likes[i]!);
    return s + sizeOf(lead) * shardLength(own, n);
  }, 0);

/** This rank's shard of every leaf (no communication). */
export function shard(c: Comm, x: HostValue, like: HostValue): HostValue {
  const xs = tensorsOf(x);
  const likes = tensorsOf(like);
  const flat = new Float32Array(shardElements(xs, likes, c.size));
  pack(xs, likes, c.size, c.rank, flat, 0);
  return withTensors(x, unpackShards(xs, likes, c.size, flat));
}

/** Splits a packed message of shards back into one tensor per leaf. */
function unpackShards(xs: readonly Tensor[], likes: readonly Tensor[], n: number, flat: Float32Array): Tensor[] {
  let at = 0;
  return xs.map((x, i) => {
    const { lead, own } = layout(x, likes[i]!);
    const len = sizeOf(lead) * shardLength(own, n);
    const t = f32([...lead, shardLength(own, n)], flat.slice(at, at + len));
    at += len;
    return t;
  });
}

function scale(data: Float32Array, op: string, n: number): Float32Array {
  if (op === 'mean' && n > 1) for (let i = 0; i < data.length; i++) data[i]! /= n;
  return data;
}

/** The leaves' elements one after another: one message for a whole record. */
function concat(xs: readonly Tensor[]): Float32Array {
  const out = new Float32Array(xs.reduce((s, t) => s + t.data.length, 0));
  let at = 0;
  for (const t of xs) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return out;
}

export function reduceScatter(c: Comm, x: HostValue, op: string): HostValue {
  const xs = tensorsOf(x);
  const per = shardElements(xs, xs, c.size);
  const all = new Float32Array(per * c.size);
  for (let r = 0; r < c.size; r++) pack(xs, xs, c.size, r, all, r * per);
  const mine = c.transport ? c.transport.reduceScatter(all) : all;
  return withTensors(x, unpackShards(xs, xs, c.size, scale(mine, op, c.size)));
}

export function allReduce(c: Comm, x: HostValue, op: string): HostValue {
  const xs = tensorsOf(x);
  const all = concat(xs);
  const sum = scale(c.transport ? c.transport.allReduce(all) : all, op, c.size);
  let at = 0;
  return withTensors(x, xs.map((t) => f32(t.shape, sum.slice(at, (at += t.data.length)))));
}

/** Every rank's shards put back into leaves shaped like `like`'s. */
export function allGather(c: Comm, x: HostValue, like: HostValue): HostValue {
  const xs = tensorsOf(x);
  const likes = tensorsOf(like);
  const mine = concat(xs);
  const all = c.transport ? c.transport.allGather(mine) : mine;
  const per = mine.length;
  let at = 0;
  const out = xs.map((t, i) => {
    const l = likes[i]!;
    const slices = sizeOf(t.shape.slice(0, -1));
    const k = t.shape[t.shape.length - 1]!;
    const own = sizeOf(l.shape) / Math.max(slices, 1);
    const data = new Float32Array(sizeOf(l.shape));
    for (let s = 0; s < slices; s++)
      for (let r = 0; r < c.size; r++) {
        const lo = r * k;
        if (lo >= own) break;
        const src = all.subarray(r * per + at + s * k, r * per + at + s * k + Math.min(k, own - lo));
        data.set(src, s * own + lo);
      }
    at += t.data.length;
    return f32(l.shape, data);
  });
  return withTensors(like, out);
}

/** Rows [r·b/N, (r+1)·b/N) of axis 0. */
export function split(c: Comm, x: HostValue): HostValue {
  if (x.kind !== 'tensor') throw new Error('comm.split: expected a tensor');
  const t = x.value;
  const rows = t.shape[0]! / c.size;
  const row = sizeOf(t.shape.slice(1));
  const data = t.data.slice(c.rank * rows * row, (c.rank + 1) * rows * row);
  return hostTensor({ dtype: t.dtype, shape: [rows, ...t.shape.slice(1)], data } as Tensor);
}

export function stats(c: Comm): HostValue {
  const s = c.transport?.stats;
  const total = (r: Readonly<Record<string, number>> | undefined): number => Object.values(r ?? {}).reduce((a, b) => a + b, 0);
  const scalar = (v: number): HostValue => hostTensor({ dtype: 'f32', shape: [], data: Float32Array.of(v) });
  return { kind: 'record', fields: [['bytes', scalar(total(s?.bytes))], ['calls', scalar(total(s?.calls))]] };
}

/** "ckpt.safetensors" → "ckpt.rank1-of-4.safetensors" on rank 1 of 4; unchanged on one rank. */
export function rankPath(c: Comm, path: string): string {
  if (c.size === 1) return path;
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  const tag = `.rank${c.rank}-of-${c.size}`;
  return dot > slash + 1 ? path.slice(0, dot) + tag + path.slice(dot) : path + tag;
}
