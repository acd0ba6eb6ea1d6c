// What every generated compute shader shares: its bindings, the opaque zero, helpers, the dispatch
// grid and the flat-index decomposition.
import { sizeOf } from '../../ir/graph.ts';
import { STATUS_WORDS, type IndexSite } from './checks.ts';
import type { HelperSet } from './helpers.ts';

/** One compute shader for one kernel of a schedule. */
export interface WgslKernel {
  /** The kernel's name in its schedule (k0, k1, …); not part of `code`. */
  readonly name: string;
  /**
   * The WGSL module. It names no buffer and no kernel, so equal kernels of different graphs have
   * equal text (the runtime caches pipelines by it).
   */
  readonly code: string;
  /** dispatchWorkgroups(x, y, z); a kernel that writes no element has [0, 0, 0]. */
  readonly workgroups: readonly [number, number, number];
  /**
   * Buffer ids bound to @binding(0..n-1), all `var<storage, read_write>` arrays (a buffer that fills
   * several input slots of a library kernel is bound once). With `checks`, @binding(n) is the status
   * buffer (checks.ts), a storage binding too. The last binding is a uniform vec4<u32>: x, y, z are
   * zeros (see helpers.ts), w the kernel's number for error reports; it does not count against the
   * storage limit.
   */
  readonly bindings: readonly number[];
  /** Whether the kernel can fail at run time and binds the status buffer after `bindings`. */
  readonly checks: boolean;
  /** What the status's site numbers FIRST_INDEX_SITE.. mean (checks.ts). */
  readonly indexSites: readonly IndexSite[];
}

/** Storage buffers a kernel binds: its buffers and, with checks, the status buffer. */
export const storageBindings = (w: WgslKernel): number => w.bindings.length + (w.checks ? 1 : 0);

export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** The grid for `count` workgroups: x up to 65535, then rows of y. */
export function grid(count: number): [number, number, number] {
  if (count === 0) return [0, 0, 0];
  if (count <= MAX_WORKGROUPS_PER_DIMENSION) return [count, 1, 1];
  const y = Math.ceil(count / MAX_WORKGROUPS_PER_DIMENSION);
  if (y > MAX_WORKGROUPS_PER_DIMENSION) throw new Error(`wgsl: ${count} workgroups do not fit one dispatch`);
  return [MAX_WORKGROUPS_PER_DIMENSION, y, 1];
}

/** The WGSL expression of the linear workgroup number for a grid. */
export const workgroupIndex = (g: readonly [number, number, number]): string =>
  g[1] > 1 ? `(wid.y * ${g[0]}u + wid.x)` : 'wid.x';

/** `let name{a} = …` for each axis of `shape`, from a flat row-major i32 index. */
export function unflatten(flat: string, shape: readonly number[], name: (axis: number) => string): string[] {
  const lines: string[] = [];
  let stride = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    const d = shape[a]!;
    const quotient = stride === 1 ? flat : `(${flat} / ${stride})`;
    lines.unshift(`let ${name(a)}: i32 = ${a === 0 ? quotient : d === 1 ? '0' : `${quotient} % ${d}`};`);
    stride *= d;
  }
  return lines;
}

export interface StorageVar {
  readonly name: string;
  /** 'f32' or 'i32' (bool is stored as i32). */
  readonly elem: string;
}

export interface ModuleParts {
  readonly vars: readonly StorageVar[];
  readonly helpers: HelperSet;
  /** Module-scope declarations (workgroup memory). */
  readonly decls?: readonly string[];
  /** e.g. '64' or '16, 16'. */
  readonly workgroupSize: string;
  /** Builtin parameters of main, e.g. '@builtin(workgroup_id) wid: vec3<u32>'. */
  readonly params: readonly string[];
  readonly body: readonly string[];
}

/** The module's text; a kernel whose helpers include fail_ declares the status buffer. */
export function assemble(p: ModuleParts): string {
  const lines: string[] = [];
  p.vars.forEach((v, i) => lines.push(`@group(0) @binding(${i}) var<storage, read_write> ${v.name}: array<${v.elem}>;`));
  const status = p.helpers.has('fail_');
  if (status) lines.push(`@group(0) @binding(${p.vars.length}) var<storage, read_write> status_: array<atomic<u32>, ${STATUS_WORDS}>;`);
  lines.push(`@group(0) @binding(${p.vars.length + (status ? 1 : 0)}) var<uniform> zero_: vec4<u32>;`);
  lines.push('var<private> Z: u32;', 'var<private> Z2: u32;');
  const helpers = p.helpers.code();
  if (helpers !== '') lines.push('', helpers);
  if (p.decls && p.decls.length > 0) lines.push('', ...p.decls);
  lines.push('', `@compute @workgroup_size(${p.workgroupSize})`, `fn main(${p.params.join(', ')}) {`, '  Z = zero_.x;', '  Z2 = zero_.y;');
  for (const b of p.body) for (const l of b.split('\n')) lines.push(l === '' ? '' : `  ${l}`);
  lines.push('}', '');
  return lines.join('\n');
}

export const elementCount = sizeOf;

/**
 * A loop bound the driver cannot see (n plus a zero read from the uniform; read directly, not through
 * a private variable, so that WGSL still knows it is uniform for the barriers in the loop). Mesa's lavapipe fully
 * unrolls loops with constant trip counts, and with workgroup barriers in them its compile time
 * explodes (a 16×16 matmul tile loop over k = 64: 3–6 s cold instead of 0.2 s); an opaque bound keeps
 * the loop a loop.
 */
export const bound = (n: number | string): string => `${n} + i32(zero_.z)`;
