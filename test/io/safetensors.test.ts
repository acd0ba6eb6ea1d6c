import { link, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  flattenRecord,
  loadSafetensors,
  saveSafetensors,
  SafetensorsError,
  unflattenRecord,
  type HostTensor,
  type Tree,
} from '../../runtime/io/safetensors.ts';

// Fault injection for the atomic-write tests: wrap the real fs so a write can die half-way
// or the rename can fail, as a crash or a full disk would.
const faults = vi.hoisted(() => ({ halfWrite: false, failRename: false, opened: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (path, flags, mode) => {
    const fh = await real.open(path, flags, mode);
    faults.opened.push(String(path));
    if (faults.halfWrite && String(path).endsWith('.tmp')) {
      fh.writeFile = (async (data: Uint8Array) => {
        await real.writeFile(fh, data.subarray(0, data.length >> 1));
        throw new Error('simulated: disk full');
      }) as typeof fh.writeFile;
    }
    return fh;
  };
  const rename: typeof real.rename = async (from, to) => {
    if (faults.failRename) throw new Error('simulated: crash before rename');
    return real.rename(from, to);
  };
  return { ...real, open, rename };
});

const bytesOf = (t: HostTensor): Uint8Array => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const f32 = (shape: number[], values: number[]): HostTensor => ({ dtype: 'f32', shape, data: new Float32Array(values) });

function expectError(fn: () => unknown, message: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  expect((err as Error).message).toBe(message);
}

async function expectRejects(p: Promise<unknown>, message: string): Promise<void> {
  const err: unknown = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SafetensorsError);
  expect((err as Error).message).toBe(message);
}

/** Builds a file by hand (header padded like the writer) to feed the decoder bad input. */
function rawFile(header: string | object, data: Uint8Array | number = 0): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + n + body.length).fill(0x20, 8, 8 + n);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.set(body, 8 + n);
  return out;
}

// f32 values are generated as raw bits so NaN payloads, signalling NaNs, -0 and denormals
// all occur; they never pass through a JS number, which could canonicalise them.
const f32Bits = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(0x80000000, 0x7fc00000, 0x7fc00001, 0xffc12345, 0x7f800001, 0x7f800000, 0xff800000, 1),
);
const tensorArb: fc.Arbitrary<HostTensor> = fc
  .tuple(fc.constantFrom('f32', 'i32', 'bool'), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
  .chain(([dtype, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const len = { minLength: n, maxLength: n };
    if (dtype === 'f32') return fc.array(f32Bits, len).map((b): HostTensor => ({ dtype, shape, data: new Float32Array(new Uint32Array(b).buffer) }));
    if (dtype === 'i32') return fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), len).map((v): HostTensor => ({ dtype, shape, data: new Int32Array(v) }));
    return fc.array(fc.boolean(), len).map((v): HostTensor => ({ dtype: 'bool', shape, data: Uint8Array.from(v, Number) }));
  });
const nameArb = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('__proto__', '0', '10', 'layers.0.attn.wq'))
  .filter((s) => s !== '__metadata__');
const tensorsArb = fc.uniqueArray(fc.tuple(nameArb, tensorArb), { selector: ([n]) => n, maxLength: 6 }).map((e) => new Map(e));
const metaArb = fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { noNullPrototype: true }), { nil: undefined });

const sortedEntries = (r: Record<string, string>): [string, string][] => Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function expectSameTensors(actual: Map<string, HostTensor>, expected: ReadonlyMap<string, HostTensor>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, t] of expected) {
    const got = actual.get(name)!;
    expect(got.dtype).toBe(t.dtype);
    expect(got.shape).toEqual(t.shape);
    expect(got.data.constructor).toBe(t.data.constructor);
    expect(bytesOf(got)).toEqual(bytesOf(t));
  }
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'muc-safetensors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  faults.halfWrite = false;
  faults.failRename = false;
  faults.opened.length = 0;
});

describe('round trip', () => {
  it('encode → decode is bit-exact', () => {
    fc.assert(
      fc.property(tensorsArb, metaArb, (tensors, metadata) => {
        const { tensors: got, metadata: meta } = decodeSafetensors(encodeSafetensors(tensors, metadata));
        expectSameTensors(got, tensors);
        expect(sortedEntries(meta)).toEqual(sortedEntries(metadata ?? {}));
      }),
      { numRuns: 300 },
    );
  });

  it('save → load is bit-exact', async () => {
    const path = join(dir, 'prop.safetensors');
    await fc.assert(
      fc.asyncProperty(tensorsArb, metaArb, async (tensors, metadata) => {
        await saveSafetensors(path, tensors, metadata);
        const { tensors: got, metadata: meta } = await loadSafetensors(path);
        expectSameTensors(got, tensors);
        expect(sortedEntries(meta)).toEqual(sortedEntries(metadata ?? {}));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps NaN payloads and -0 through a file', async () => {
    const bits = new Uint32Array([0x7fc00001, 0xffc12345, 0x7f800001, 0x80000000, 0x00000001]);
    const path = join(dir, 'nan.safetensors');
    await saveSafetensors(path, { x: { dtype: 'f32', shape: [5], data: new Float32Array(bits.buffer) } });
    const got = (await loadSafetensors(path)).tensors.get('x')!;
    expect(new Uint32Array(got.data.buffer)).toEqual(bits);
  });

  it('encodes typed-array views at their own offset, and the same bytes for Map and Record input', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const view: HostTensor = { dtype: 'f32', shape: [2], data: backing.subarray(1, 3) };
    const other = f32([1], [5]);
    const a = encodeSafetensors({ w: view, v: other });
    const b = encodeSafetensors(new Map([['v', other], ['w', view]]));
    expect(a).toEqual(b);
    expect([...decodeSafetensors(a).tensors.get('w')!.data]).toEqual([1, 2]);
  });

  it('decodes an empty checkpoint', () => {
    const bytes = encodeSafetensors(new Map());
    expect(bytes.length).toBe(16); // "{}" padded to 8
    expect(decodeSafetensors(bytes)).toEqual({ tensors: new Map(), metadata: {} });
  });
});

describe('file layout', () => {
  it('writes the documented layout, byte by byte', async () => {
    const path = join(dir, 'layout.safetensors');
    await saveSafetensors(
      path,
      {
        c: { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
        a: { dtype: 'i32', shape: [1, 2], data: new Int32Array([1, -2]) },
        b: f32([2], [1.5, -0]),
      },
      { format: 'pt' },
    );
    const bytes = new Uint8Array(await readFile(path));
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect([...bytes.subarray(0, 8)]).toEqual([n, 0, 0, 0, 0, 0, 0, 0]);
    expect(n % 8).toBe(0);

    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const json = text.trimEnd();
    expect(n - json.length).toBeLessThan(8);
    expect([...bytes.subarray(8 + json.length, 8 + n)].every((b) => b === 0x20)).toBe(true);
    // Wider dtypes first, then by name, as the reference writer orders them (keeps f32 4-aligned).
    expect(json).toBe(
      '{"__metadata__":{"format":"pt"},' +
        '"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
        '"a":{"dtype":"I32","shape":[1,2],"data_offsets":[8,16]},' +
        '"c":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}}',
    );
    expect(JSON.parse(text)).toEqual({
      __metadata__: { format: 'pt' },
      a: { dtype: 'I32', shape: [1, 2], data_offsets: [8, 16] },
      b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      c: { dtype: 'BOOL', shape: [3], data_offsets: [16, 19] },
    });

    const data = bytes.subarray(8 + n);
    expect(data.length).toBe(19);
    expect([...data.subarray(0, 8)]).toEqual([0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0x80]); // 1.5, -0
    expect([...data.subarray(8, 16)]).toEqual([1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]); // 1, -2
    expect([...data.subarray(16, 19)]).toEqual([1, 0, 1]);
  });

  it('is byte-identical to the reference implementation (safetensors 0.8.0 serialize)', () => {
    const reference = Buffer.from(
      'OAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJhMCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzAsNF19LCJiIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbNCwxMl19LCIxMCI6eyJkdHlwZSI6IkkzMiIsInNoYXBlIjpbMF0sImRhdGFfb2Zmc2V0cyI6WzEyLDEyXX0sImEiOnsiZHR5cGUiOiJJMzIiLCJzaGFwZSI6WzEsMl0sImRhdGFfb2Zmc2V0cyI6WzEyLDIwXX0sImMiOnsiZHR5cGUiOiJCT09MIiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMjAsMjNdfX0gICABAgMEAADAPwAAAIABAAAA/v///wEAAQ==',
      'base64',
    );
    const tensors = new Map<string, HostTensor>([
      ['b', f32([2], [1.5, -0])],
      ['a', { dtype: 'i32', shape: [1, 2], data: new Int32Array([1, -2]) }],
      ['c', { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }],
      ['a0', { dtype: 'f32', shape: [1], data: new Float32Array(new Uint8Array([1, 2, 3, 4]).buffer) }],
      ['10', { dtype: 'i32', shape: [0], data: new Int32Array(0) }],
    ]);
    expect(Buffer.from(encodeSafetensors(tensors, { format: 'pt' })).equals(reference)).toBe(true);
    expectSameTensors(decodeSafetensors(reference).tensors, tensors);
  });
});

describe('decode validation', () => {
  const w = (info: object): object => ({ w: info });

  it('rejects a file shorter than the length prefix', () => {
    expectError(() => decodeSafetensors(new Uint8Array(5)), 'file is 5 bytes, too short for the 8-byte header length');
  });

  it('rejects a header length beyond the file', () => {
    const bytes = new Uint8Array(18);
    new DataView(bytes.buffer).setBigUint64(0, 100n, true);
    expectError(() => decodeSafetensors(bytes), 'header length 100 exceeds the 10 bytes that follow it');
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expectError(() => decodeSafetensors(bytes), 'header length 18446744073709551615 exceeds the 10 bytes that follow it');
  });

  it('rejects invalid JSON and invalid UTF-8 on one line', () => {
    for (const bytes of [rawFile('{"w":\n'), rawFile('{}').fill(0xff, 8, 10)]) {
      let err: unknown;
      try {
        decodeSafetensors(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as Error).message).toMatch(/^invalid JSON header: [^\n]+$/);
    }
  });

  it('rejects a header that is not an object', () => {
    expectError(() => decodeSafetensors(rawFile('[]')), 'invalid header: expected a JSON object');
  });

  it('rejects malformed metadata', () => {
    expectError(() => decodeSafetensors(rawFile({ __metadata__: [] })), 'invalid header: __metadata__ must be an object');
    expectError(() => decodeSafetensors(rawFile({ __metadata__: { step: 3 } })), 'invalid header: __metadata__ value for step must be a string');
  });

  it('rejects a tensor entry that is not an object', () => {
    expectError(() => decodeSafetensors(rawFile({ w: 3 })), 'tensor w: header entry must be an object');
  });

  it('names unsupported dtypes', () => {
    for (const dtype of ['F16', 'BF16', 'F64', 'I64', 'U8', 'F8_E4M3', 'f32']) {
      expectError(() => decodeSafetensors(rawFile(w({ dtype, shape: [1], data_offsets: [0, 8] }), 8)), `unsupported dtype ${dtype} for tensor w`);
    }
    expectError(() => decodeSafetensors(rawFile(w({ dtype: 4, shape: [], data_offsets: [0, 4] }), 4)), 'unsupported dtype 4 for tensor w');
  });

  it('rejects bad shapes and offsets', () => {
    for (const shape of [[-1], [1.5], '2', null]) {
      expectError(
        () => decodeSafetensors(rawFile(w({ dtype: 'F32', shape, data_offsets: [0, 4] }), 4)),
        'tensor w: shape must be an array of non-negative integers',
      );
    }
    for (const data_offsets of [[4, 0], [0], [0, 4, 8], [-4, 0], undefined]) {
      expectError(
        () => decodeSafetensors(rawFile(w({ dtype: 'F32', shape: [1], data_offsets }), 4)),
        'tensor w: data_offsets must be [begin, end] with 0 <= begin <= end',
      );
    }
  });

  it('rejects offsets beyond the data section', () => {
    expectError(
      () => decodeSafetensors(rawFile(w({ dtype: 'F32', shape: [3], data_offsets: [0, 12] }), 8)),
      'tensor w: data_offsets [0, 12] out of range for the 8-byte data section',
    );
  });

  it('rejects a byte size that does not match shape × dtype size', () => {
    expectError(
      () => decodeSafetensors(rawFile(w({ dtype: 'F32', shape: [3], data_offsets: [0, 8] }), 8)),
      'tensor w: shape [3] of F32 needs 12 bytes but data_offsets span 8',
    );
    expectError(
      () => decodeSafetensors(rawFile(w({ dtype: 'BOOL', shape: [2, 2], data_offsets: [0, 16] }), 16)),
      'tensor w: shape [2, 2] of BOOL needs 4 bytes but data_offsets span 16',
    );
  });

  it('rejects overlapping tensors', () => {
    const header = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    expectError(() => decodeSafetensors(rawFile(header, 12)), 'tensor b overlaps tensor a');
  });

  it('rejects data not covered by any tensor', () => {
    expectError(
      () => decodeSafetensors(rawFile(w({ dtype: 'F32', shape: [1], data_offsets: [4, 8] }), 8)),
      '4 bytes before tensor w are not covered by any tensor',
    );
    expectError(
      () => decodeSafetensors(rawFile(w({ dtype: 'F32', shape: [1], data_offsets: [0, 4] }), 8)),
      '4 trailing bytes of the data section are not covered by any tensor',
    );
  });

  it('keeps messages on one line even for odd tensor names', () => {
    expectError(() => decodeSafetensors(rawFile({ 'a\nb': 3 })), 'tensor a b: header entry must be an object');
  });
});

describe('encode validation', () => {
  it('rejects tensors whose data does not fit their declaration', () => {
    expectError(() => encodeSafetensors({ w: f32([2, 2], [1, 2, 3]) }), 'tensor w: shape [2, 2] needs 4 elements, data has 3');
    expectError(
      () => encodeSafetensors({ w: { dtype: 'f32', shape: [1], data: new Int32Array(1) } }),
      'tensor w: dtype f32 needs a Float32Array, got Int32Array',
    );
    expectError(() => encodeSafetensors({ w: f32([-1], []) }), 'tensor w: shape [-1] must hold non-negative integers');
    const f16 = { dtype: 'f16', shape: [1], data: new Uint8Array(2) } as unknown as HostTensor;
    expectError(() => encodeSafetensors({ w: f16 }), 'unsupported dtype f16 for tensor w');
    expectError(() => encodeSafetensors({ __metadata__: f32([1], [1]) }), 'tensor name __metadata__ is reserved for the header metadata');
  });
});

describe('atomic save', () => {
  const tmpFiles = async (): Promise<string[]> => (await readdir(dir)).filter((f) => f.endsWith('.tmp'));

  it('writes through a same-directory temp file and leaves none behind', async () => {
    const path = join(dir, 'clean.safetensors');
    await saveSafetensors(path, { w: f32([1], [1]) });
    const tmp = faults.opened.find((p) => p.endsWith('.tmp'))!;
    expect(tmp.startsWith(`${path}.${process.pid}.`)).toBe(true);
    expect(tmp).toMatch(/\.\d+\.[0-9a-f]+\.tmp$/);
    expect(await tmpFiles()).toEqual([]);
  });

  it('replaces an existing checkpoint by rename, never in place', async () => {
    const path = join(dir, 'replace.safetensors');
    const witness = join(dir, 'replace.witness');
    await saveSafetensors(path, { w: f32([2], [1, 2]) });
    const before = await readFile(path);
    // A hard link to the old inode would see any in-place write; a rename leaves it untouched.
    await link(path, witness);
    const ino = (await stat(path)).ino;
    await saveSafetensors(path, { w: f32([3], [7, 8, 9]) });
    expect((await stat(path)).ino).not.toBe(ino);
    expect((await readFile(witness)).equals(before)).toBe(true);
    expect([...(await loadSafetensors(path)).tensors.get('w')!.data]).toEqual([7, 8, 9]);
    expect(await tmpFiles()).toEqual([]);
  });

  it('keeps the old checkpoint whole when the write dies half-way', async () => {
    const path = join(dir, 'halfway.safetensors');
    await saveSafetensors(path, { w: f32([2], [1, 2]) });
    const before = await readFile(path);
    faults.halfWrite = true;
    await expect(saveSafetensors(path, { w: f32([1000], new Array<number>(1000).fill(3)) })).rejects.toThrow('simulated: disk full');
    expect((await readFile(path)).equals(before)).toBe(true);
    expect(await tmpFiles()).toEqual([]);
  });

  it('keeps the old checkpoint when the rename fails, and creates nothing when there was none', async () => {
    const path = join(dir, 'norename.safetensors');
    await saveSafetensors(path, { w: f32([2], [1, 2]) });
    const before = await readFile(path);
    faults.failRename = true;
    await expect(saveSafetensors(path, { w: f32([1], [5]) })).rejects.toThrow('simulated: crash before rename');
    expect((await readFile(path)).equals(before)).toBe(true);
    const fresh = join(dir, 'never.safetensors');
    await expect(saveSafetensors(fresh, { w: f32([1], [5]) })).rejects.toThrow('simulated: crash before rename');
    expect((await readdir(dir)).includes('never.safetensors')).toBe(false);
    expect(await tmpFiles()).toEqual([]);
  });

  it('does not touch the disk for invalid tensors', async () => {
    const path = join(dir, 'invalid.safetensors');
    await expectRejects(saveSafetensors(path, { w: f32([2], [1]) }), 'tensor w: shape [2] needs 2 elements, data has 1');
    expect(faults.opened).toEqual([]);
  });

  it('reports a missing file and names the path on corrupt ones', async () => {
    const missing = join(dir, 'missing.safetensors');
    await expectRejects(loadSafetensors(missing), `no such file: ${missing}`);
    const corrupt = join(dir, 'corrupt.safetensors');
    await writeFile(corrupt, new Uint8Array(3));
    await expectRejects(loadSafetensors(corrupt), `${corrupt}: file is 3 bytes, too short for the 8-byte header length`);
  });
});

describe('nested records', () => {
  const t = (v: number): HostTensor => f32([1], [v]);

  it('flattens with dotted names like a PyTorch state dict, and back', () => {
    const tree: Tree = {
      embed: t(0),
      layers: [{ attn: { wq: t(1), wk: t(2) } }, { attn: { wq: t(3), wk: t(4) } }],
      norm: { scale: t(5) },
    };
    const flat = flattenRecord(tree);
    expect([...flat.keys()]).toEqual(['embed', 'layers.0.attn.wq', 'layers.0.attn.wk', 'layers.1.attn.wq', 'layers.1.attn.wk', 'norm.scale']);
    const back = unflattenRecord(flat);
    expect(back).toStrictEqual(tree);
    expect(flat.get('layers.1.attn.wk')).toBe(flattenRecord(back).get('layers.1.attn.wk')); // leaves are shared, not copied
  });

  it('round-trips random records, through a file too', async () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,4}$/);
    const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        tensorArb,
        fc.array(tie('tree'), { minLength: 1, maxLength: 3 }),
        fc.dictionary(key, tie('tree'), { minKeys: 1, maxKeys: 3, noNullPrototype: true }),
      ),
    }));
    const root = fc.oneof(
      fc.array(tree, { minLength: 1, maxLength: 3 }),
      fc.dictionary(key, tree, { minKeys: 1, maxKeys: 3, noNullPrototype: true }),
    );
    fc.assert(
      fc.property(root, (r) => {
        expect(unflattenRecord(flattenRecord(r))).toStrictEqual(r);
      }),
      { numRuns: 200 },
    );

    const path = join(dir, 'tree.safetensors');
    await fc.assert(
      fc.asyncProperty(root, async (r) => {
        await saveSafetensors(path, flattenRecord(r));
        const back = unflattenRecord((await loadSafetensors(path)).tensors);
        expectSameTensors(flattenRecord(back), flattenRecord(r));
        expect([...flattenRecord(back).keys()].sort()).toEqual([...flattenRecord(r).keys()].sort());
      }),
      { numRuns: 30 },
    );
  });

  it('only turns a level into an array when its keys are exactly 0..n-1', () => {
    expect(unflattenRecord({ '1.w': t(1), '0.w': t(0) })).toStrictEqual([{ w: t(0) }, { w: t(1) }]);
    expect(unflattenRecord({ '0': t(0), '2': t(2) })).toStrictEqual({ '0': t(0), '2': t(2) });
    expect(unflattenRecord({ '00': t(0) })).toStrictEqual({ '00': t(0) });
  });

  it('rejects names that cannot be represented', () => {
    expectError(() => flattenRecord({ layers: [{ 'a.b': t(0) }] }), `record key "a.b" under layers.0 must be non-empty and free of '.'`);
    expectError(() => flattenRecord({ '': t(0) }), `record key "" under <root> must be non-empty and free of '.'`);
    expectError(() => flattenRecord(t(0)), 'a record root must be an object or array, not a tensor');
    expectError(() => flattenRecord({ w: 3 } as unknown as Tree), 'record entry w is not a tensor, object or array');
    expectError(() => unflattenRecord({ 'a..b': t(0) }), 'tensor name "a..b" has an empty path segment');
    expectError(() => unflattenRecord(new Map([['a.b', t(0)], ['a', t(1)]])), 'tensor a is also a prefix of other tensor names');
    expectError(() => unflattenRecord(new Map([['a', t(1)], ['a.b.c', t(0)]])), 'tensor a.b.c is nested under tensor a');
  });
});
