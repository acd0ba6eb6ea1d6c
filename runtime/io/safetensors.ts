// The safetensors checkpoint format (https://github.com/huggingface/safetensors):
//   u64 little-endian N | N bytes of UTF-8 JSON header | raw little-endian tensor data.
// Files written here are read by the reference implementation and vice versa for the
// dtypes muc has (F32, I32, BOOL); anything else is rejected rather than converted.

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { size } from '../interp/ops/tensor.ts';

export type DType = 'f32' | 'i32' | 'bool';

export type HostTensor = {
  dtype: DType;
  shape: readonly number[];
  data: Float32Array | Int32Array | Uint8Array;
};

/** A nested parameter record: tensors at the leaves, objects and arrays above them. */
export type Tree = HostTensor | { [k: string]: Tree } | Tree[];

export type TensorSource = ReadonlyMap<string, HostTensor> | Record<string, HostTensor>;

export class SafetensorsError extends Error {
  constructor(message: string) {
    // Messages embed tensor names from untrusted files; keep them on one line.
    super(message.replace(/[\r\n]+/g, ' '));
    this.name = 'SafetensorsError';
  }
}

function fail(message: string): never {
  throw new SafetensorsError(message);
}

// `rank` orders the data section like the reference writer (wider dtypes first), so every
// 4-byte tensor starts 4-aligned and the file can be mapped without copying.
const DTYPES = {
  f32: { tag: 'F32', size: 4, rank: 2, ctor: Float32Array },
  i32: { tag: 'I32', size: 4, rank: 1, ctor: Int32Array },
  bool: { tag: 'BOOL', size: 1, rank: 0, ctor: Uint8Array },
} as const;
const BY_TAG = new Map<string, DType>([['F32', 'f32'], ['I32', 'i32'], ['BOOL', 'bool']]);

// Tensor bytes are copied verbatim (never through JS numbers, which would canonicalise NaN
// payloads), so host byte order must be the file's.
const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function requireLittleEndian(): void {
  if (!HOST_LE) fail('safetensors I/O needs a little-endian host');
}

const isDim = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const shapeStr = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

// A guard rather than a bare `instanceof Map`, which would narrow to Map<any, any>.
const isMap = (t: TensorSource): t is ReadonlyMap<string, HostTensor> => t instanceof Map;
function entriesOf(tensors: TensorSource): [string, HostTensor][] {
  return isMap(tensors) ? [...tensors.entries()] : Object.entries(tensors);
}

export function encodeSafetensors(tensors: TensorSource, metadata?: Record<string, string>): Uint8Array {
  requireLittleEndian();
  const entries = entriesOf(tensors);
  for (const [name, t] of entries) {
    if (name === '__metadata__') fail('tensor name __metadata__ is reserved for the header metadata');
    if (!Object.hasOwn(DTYPES, t.dtype)) fail(`unsupported dtype ${String(t.dtype)} for tensor ${name}`);
    const d = DTYPES[t.dtype];
    if (!(t.data instanceof d.ctor)) fail(`tensor ${name}: dtype ${t.dtype} needs a ${d.ctor.name}, got ${t.data.constructor.name}`);
    if (!t.shape.every(isDim)) fail(`tensor ${name}: shape ${shapeStr(t.shape)} must hold non-negative integers`);
    if (t.data.length !== size(t.shape)) fail(`tensor ${name}: shape ${shapeStr(t.shape)} needs ${size(t.shape)} elements, data has ${t.data.length}`);
  }
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  entries.sort(([an, a], [bn, b]) => DTYPES[b.dtype].rank - DTYPES[a.dtype].rank || byName(an, bn));

  // Built by hand rather than JSON.stringify(object) because JS objects hoist integer-like
  // keys ("0", "1") to the front, which would break the deterministic order.
  const parts: string[] = [];
  if (metadata !== undefined) {
    const meta = Object.keys(metadata).sort(byName).map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(metadata[k]))}`);
    parts.push(`"__metadata__":{${meta.join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: DTYPES[t.dtype].tag, shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8; // space padding keeps the data section 8-aligned

  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  requireLittleEndian();
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) fail(`header length ${n} exceeds the ${bytes.length - 8} bytes that follow it`);
  const dataStart = 8 + Number(n);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    fail(`invalid JSON header: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(header)) fail('invalid header: expected a JSON object');

  const metadata: Record<string, string> = {};
  const meta = header['__metadata__'];
  if (meta !== undefined) {
    if (!isObject(meta)) fail('invalid header: __metadata__ must be an object');
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v !== 'string') fail(`invalid header: __metadata__ value for ${k} must be a string`);
      Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }

  const dataLen = bytes.length - dataStart;
  const specs: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isObject(info)) fail(`tensor ${name}: header entry must be an object`);
    const { dtype: tag, shape, data_offsets: offs } = info;
    const dtype = typeof tag === 'string' ? BY_TAG.get(tag) : undefined;
    if (dtype === undefined) fail(`unsupported dtype ${typeof tag === 'string' ? tag : JSON.stringify(tag)} for tensor ${name}`);
    if (!Array.isArray(shape) || !shape.every(isDim)) fail(`tensor ${name}: shape must be an array of non-negative integers`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isDim) || offs[0] > offs[1]) {
      fail(`tensor ${name}: data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offs as [number, number];
    if (end > dataLen) fail(`tensor ${name}: data_offsets [${begin}, ${end}] out of range for the ${dataLen}-byte data section`);
    const need = size(shape) * DTYPES[dtype].size;
    if (end - begin !== need) fail(`tensor ${name}: shape ${shapeStr(shape)} of ${tag} needs ${need} bytes but data_offsets span ${end - begin}`);
    specs.push({ name, dtype, shape, begin, end });
  }

  // Tensors must tile the data section exactly: no overlap (aliasing), no gaps, nothing trailing.
  const sorted = [...specs].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev = '';
  for (const s of sorted) {
    if (s.begin < pos) fail(`tensor ${s.name} overlaps tensor ${prev}`);
    if (s.begin > pos) fail(`${s.begin - pos} bytes before tensor ${s.name} are not covered by any tensor`);
    pos = s.end;
    prev = s.name;
  }
  if (pos !== dataLen) fail(`${dataLen - pos} trailing bytes of the data section are not covered by any tensor`);

  const tensors = new Map<string, HostTensor>();
  for (const s of specs) {
    // Copy: the source may be unaligned or a pooled Buffer, and callers own the result.
    const buf = new Uint8Array(bytes.subarray(dataStart + s.begin, dataStart + s.end)).buffer;
    tensors.set(s.name, { dtype: s.dtype, shape: s.shape, data: new DTYPES[s.dtype].ctor(buf) });
  }
  return { tensors, metadata };
}

export function isHostTensor(x: unknown): x is HostTensor {
  return isObject(x) && typeof x['dtype'] === 'string' && Array.isArray(x['shape']) && ArrayBuffer.isView(x['data']);
}

/** Flattens a nested record to dotted names (`layers.0.attn.wq`), like a PyTorch state dict. */
export function flattenRecord(tree: Tree): Map<string, HostTensor> {
  if (isHostTensor(tree)) fail('a record root must be an object or array, not a tensor');
  const out = new Map<string, HostTensor>();
  const walk = (node: Tree, prefix: string): void => {
    if (isHostTensor(node)) {
      out.set(prefix, node);
      return;
    }
    if (typeof node !== 'object' || node === null) fail(`record entry ${prefix} is not a tensor, object or array`);
    const children: [string, Tree][] = Array.isArray(node) ? node.map((v, i) => [String(i), v]) : Object.entries(node);
    for (const [k, v] of children) {
      if (k === '' || k.includes('.')) fail(`record key ${JSON.stringify(k)} under ${prefix || '<root>'} must be non-empty and free of '.'`);
      walk(v, prefix === '' ? k : `${prefix}.${k}`);
    }
  };
  walk(tree, '');
  return out;
}

type Node = Map<string, Node | HostTensor>;

/**
 * Inverse of flattenRecord. A level whose keys are exactly 0..n-1 becomes an array (the
 * ModuleList convention); empty objects/arrays have no tensors and so do not come back.
 */
export function unflattenRecord(tensors: TensorSource): Tree {
  const root: Node = new Map();
  for (const [name, t] of entriesOf(tensors)) {
    const path = name.split('.');
    if (path.includes('')) fail(`tensor name ${JSON.stringify(name)} has an empty path segment`);
    let node = root;
    path.forEach((seg, i) => {
      const child = node.get(seg);
      const here = path.slice(0, i + 1).join('.');
      if (i === path.length - 1) {
        if (child !== undefined) fail(`tensor ${name} is also a prefix of other tensor names`);
        node.set(seg, t);
      } else if (child === undefined) {
        const next: Node = new Map();
        node.set(seg, next);
        node = next;
      } else if (child instanceof Map) {
        node = child;
      } else {
        fail(`tensor ${name} is nested under tensor ${here}`);
      }
    });
  }
  const build = (node: Node): Tree => {
    const kids = [...node].map(([k, v]): [string, Tree] => [k, v instanceof Map ? build(v) : v]);
    const isList = kids.length > 0 && kids.every(([k]) => /^(0|[1-9]\d*)$/.test(k) && Number(k) < kids.length);
    if (isList) return kids.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
    const obj: { [k: string]: Tree } = {};
    // defineProperty so a key like "__proto__" stays an ordinary entry.
    for (const [k, v] of kids) Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
    return obj;
  };
  return build(root);
}

/**
 * Writes a temp file in the destination's directory, fsyncs it and renames it over `path`:
 * rename is atomic within a filesystem, so readers (and a crash) see the old file or the new
 * one, never a prefix of it.
 */
export async function saveSafetensors(path: string, tensors: TensorSource, metadata?: Record<string, string>): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata); // encode first: invalid input never touches disk
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let created = false;
  try {
    const fh = await open(tmp, 'wx');
    created = true;
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    if (created) await unlink(tmp).catch(() => undefined);
    throw e;
  }
  // The rename itself lives in the directory; fsync it so a power loss cannot undo it.
  // Some platforms (Windows) cannot open a directory for syncing, which is harmless here.
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* best effort */
  }
}

export async function loadSafetensors(path: string): Promise<{ tensors: Map<string, HostTensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') fail(`no such file: ${path}`);
    throw e;
  }
  try {
    return decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) fail(`${path}: ${e.message}`);
    throw e;
  }
}
