// The host implementations of the builtins with effects (compiler/builtins/host.ts declares their
// types): printing, metrics, and parameter files.
import { appendFileSync } from 'node:fs';
import type { Type } from '../../compiler/check/types.ts';
import { flattenRecord, loadSafetensors, saveSafetensors, type HostTensor, type Tree } from '../io/safetensors.ts';
import { formatValue, hostTensor, UNIT, type HostValue } from './value.ts';

export interface EffectContext {
  readonly print: (line: string) => void;
  readonly metricsFile: string | null;
}

export interface EffectArgs {
  readonly get: (name: string) => HostValue | undefined;
  readonly rest: readonly HostValue[];
  /** The checker's type of the call's result (load returns a value of this type). */
  readonly like: Type | undefined;
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

export const EFFECTS: Readonly<Record<string, Effect>> = {
  print: async (a, ctx) => {
    ctx.print(a.rest.map(formatValue).join(' '));
    return UNIT;
  },
  log_metrics: async (a, ctx) => {
    const m = a.get('metrics');
    if (m?.kind !== 'record') throw new Error('log_metrics takes a record');
    const entries = m.fields.map(([n, f]) => [n, f.kind === 'tensor' ? Number(f.value.data[0]) : null] as const);
    if (ctx.metricsFile) appendFileSync(ctx.metricsFile, JSON.stringify(Object.fromEntries(entries)) + '\n');
    else ctx.print(entries.map(([n, v]) => `${n}=${formatValue(hostTensor({ dtype: 'f32', shape: [], data: Float32Array.of(v ?? NaN) }))}`).join(' '));
    return UNIT;
  },
  save: async (a) => {
    const v = a.get('value')!;
    await saveSafetensors(str(a.get('path')), flattenRecord(v.kind === 'tensor' ? { value: toTree(v) } : toTree(v)));
    return UNIT;
  },
  load: async (a) => {
    const path = str(a.get('path'));
    const like = a.get('like')!;
    const { tensors } = await loadSafetensors(path);
    return like.kind === 'tensor' ? fromFile(like, tensors, path, 'value') : fromFile(like, tensors, path);
  },
};
