// Index tensors known when compiling: i32 values built from iota and constants by integer
// arithmetic (rotate_half's (i + d/2) mod d, a reversal n - 1 - i), evaluated here so that fusion
// can tell what a gather or scatter with them does. Small tensors only.
import { sizeOf, type Node } from '../ir/graph.ts';

/** Tensors larger than this are not evaluated (nor worth a compile-time look). */
const MAX_ELEMENTS = 4096;

/** Per graph (its node table), per node. */
const memo = new WeakMap<ReadonlyMap<number, Node>, Map<number, Int32Array | null>>();

/** The row-major values of i32 node `id`, or null when they depend on data or are too many. */
export function staticIndices(byId: ReadonlyMap<number, Node>, id: number): Int32Array | null {
  const n = byId.get(id)!;
  if (n.type.dtype !== 'i32' || sizeOf(n.type.shape) > MAX_ELEMENTS) return null;
  let known = memo.get(byId);
  if (!known) memo.set(byId, (known = new Map()));
  if (known.has(id)) return known.get(id)!;
  const v = evaluate(byId, n);
  known.set(id, v);
  return v;
}

function evaluate(byId: ReadonlyMap<number, Node>, n: Node): Int32Array | null {
  const shape = n.type.shape;
  const size = sizeOf(shape);
  const strides = shape.map((_, a) => sizeOf(shape.slice(a + 1)));
  switch (n.op) {
    case 'const':
      return new Int32Array(size).fill(Number(n.attrs['value']) | 0);
    case 'iota': {
      const axis = n.attrs['axis'] as number;
      return Int32Array.from({ length: size }, (_, i) => Math.floor(i / strides[axis]!) % shape[axis]!);
    }
    case 'reshape':
      return staticIndices(byId, n.inputs[0]!);
    case 'broadcast': {
      const x = staticIndices(byId, n.inputs[0]!);
      if (x === null) return null;
      const from = byId.get(n.inputs[0]!)!.type.shape;
      const lead = shape.length - from.length;
      const fromStrides = from.map((_, a) => sizeOf(from.slice(a + 1)));
      return Int32Array.from({ length: size }, (_, i) =>
        x[from.reduce((o, d, a) => o + (d === 1 ? 0 : (Math.floor(i / strides[lead + a]!) % shape[lead + a]!) * fromStrides[a]!), 0)]!);
    }
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'mod': {
      const [x, y] = n.inputs.map((i) => staticIndices(byId, i));
      if (!x || !y) return null;
      const out = new Int32Array(size);
      for (let i = 0; i < size; i++) {
        const [a, b] = [x[i]!, y[i]!];
        if ((n.op === 'div' || n.op === 'mod') && b === 0) return null;
        // i32 semantics of the kernel IR: wrapping multiplication, floored division and modulo.
        out[i] = n.op === 'add' ? a + b : n.op === 'sub' ? a - b : n.op === 'mul' ? Math.imul(a, b) : n.op === 'div' ? Math.floor(a / b) : a - Math.floor(a / b) * b;
      }
      return out;
    }
    default:
      return null;
  }
}

/** Whether these indices are a permutation of 0..n-1 that is its own inverse (p[p[i]] = i). */
export function isInvolution(p: Int32Array): boolean {
  return p.every((v, i) => v >= 0 && v < p.length && p[v] === i);
}
