// The tensor IR: a pure SSA graph of primitive operations over tensors with concrete shapes.
// Records and tuples do not exist here: lowering flattens them into lists of tensors.
import { PRIMS, type PrimName } from './prims.ts';

export type DType = 'f32' | 'i32' | 'bool';

export interface TType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export type Attr = number | boolean | string | readonly number[];
export type Attrs = Readonly<Record<string, Attr>>;

/** One operation. Its id is also the id of the value it produces. */
export interface Node {
  readonly id: number;
  readonly op: PrimName;
  readonly inputs: readonly number[];
  readonly attrs: Attrs;
  readonly type: TType;
}

export interface Graph {
  readonly name: string;
  /** The ids of the `input` nodes, in call order. */
  readonly inputs: readonly number[];
  /** Nodes in a topological order (every input before its users). */
  readonly nodes: readonly Node[];
  readonly outputs: readonly number[];
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function showType(t: TType): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}

/** Appends nodes; every stage that makes IR (lowering, autodiff, simplification) uses it. */
export class Builder {
  readonly nodes: Node[] = [];
  private readonly byId = new Map<number, Node>();
  private next: number;

  constructor(start = 0) {
    this.next = start;
  }

  node(id: number): Node {
    const n = this.byId.get(id);
    if (n === undefined) throw new Error(`IR: no value %${id}`);
    return n;
  }

  type(id: number): TType {
    return this.node(id).type;
  }

  add(op: PrimName, inputs: readonly number[], attrs: Attrs = {}): number {
    const type = PRIMS[op].type(inputs.map((i) => this.type(i)), attrs);
    const n: Node = { id: this.next++, op, inputs, attrs, type };
    this.nodes.push(n);
    this.byId.set(n.id, n);
    return n.id;
  }

  /** Copies a node from another graph (keeping nothing but its meaning) onto new inputs. */
  copy(n: Node, inputs: readonly number[]): number {
    return this.add(n.op, inputs, n.attrs);
  }

  input(type: TType, index: number, name: string): number {
    return this.add('input', [], { dtype: type.dtype, shape: type.shape, index, name });
  }

  constant(value: number, type: TType): number {
    return this.add('const', [], { value, dtype: type.dtype, shape: type.shape });
  }

  scalar(value: number, dtype: DType = 'f32'): number {
    return this.constant(value, { dtype, shape: [] });
  }

  /** Broadcasts to a shape (NumPy rules); a no-op when the shape already matches. */
  broadcast(id: number, shape: readonly number[]): number {
    const t = this.type(id);
    if (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return id;
    return this.add('broadcast', [id], { shape });
  }

  graph(name: string, outputs: readonly number[]): Graph {
    const inputs = this.nodes.filter((n) => n.op === 'input').sort((a, b) => (a.attrs['index'] as number) - (b.attrs['index'] as number));
    return { name, inputs: inputs.map((n) => n.id), nodes: [...this.nodes], outputs };
  }
}

function showAttr(v: Attr): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** The readable form printed by `muc build --emit ir`; tests snapshot it. */
export function printGraph(g: Graph): string {
  const params = g.inputs.map((id) => {
    const n = g.nodes.find((x) => x.id === id)!;
    return `%${id}: ${showType(n.type)}`;
  });
  const lines = [`graph ${g.name}(${params.join(', ')}) {`];
  for (const n of g.nodes) {
    if (n.op === 'input') continue;
    const attrs = Object.entries(n.attrs)
      .filter(([k]) => !(n.op === 'const' && (k === 'dtype' || k === 'shape')))
      .map(([k, v]) => `${k}=${showAttr(v)}`);
    const args = [...n.inputs.map((i) => `%${i}`), ...attrs].join(', ');
    lines.push(`  %${n.id} = ${n.op}(${args}) : ${showType(n.type)}`);
  }
  lines.push(`  return ${g.outputs.map((o) => `%${o}`).join(', ')}`, '}');
  return lines.join('\n');
}
