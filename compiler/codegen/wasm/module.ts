// A schedule as one WebAssembly module: one or more step functions per kernel (step.ts), shapes and
// buffer addresses as constants, and an exported `run` that does every step in order on one thread.
// Each step function is exported too, so the runtime can share it between threads (runtime/cpu/).
//
// Memory (imported as env.memory, shared, so one WebAssembly.Memory serves every compiled graph and
// every worker thread) is laid out once, at compile time:
//   [graph inputs][graph outputs][arena: temporaries at the plan's offsets]
//   [scratch: padded matmul accumulators (shared), then packed matmul panels, one region per thread]
// Every buffer keeps 4 bytes per element (bool as an i32 0/1, as the plan assumes); the runtime
// copies inputs in and outputs out, and nothing is allocated while the kernels run.
// Library kernels (sorting, scans, scatters, random numbers) call the import env.lib(kernel index),
// which runs the interpreter's implementation on views of the memory (on the main thread).
import { sizeOf } from '../../ir/graph.ts';
import type { Kernel, Schedule } from '../../kernel/ir.ts';
import { printKernel } from '../../kernel/print.ts';
import { planMemory, type MemoryPlan } from '../../schedule/plan.ts';
import { emitLoops } from './loops.ts';
import { emitMatmul, gemmMicrokernel, matmulScratch } from './matmul.ts';
import { symmetricProducts } from './symmetry.ts';
import { FAIL, failCall, newNeeds, scalarUnary, type HostImport, type Needs } from './ops.ts';
import { FLAT, STEP_PARAMS, type Step, type WasmStep } from './step.ts';
import { exp2xHelper, vectorMathHelper, type VectorMath } from './transcendental.ts';
import { FuncBuilder, get, i32 } from './wat.ts';

export const PAGE_BYTES = 65536;
/** The memory's maximum, in pages (4 GiB): a shared memory must declare one, and never moves. */
export const MAX_PAGES = 65536;
const ALIGN = 256;
const alignUp = (n: number, a = ALIGN): number => Math.ceil(n / a) * a;

export interface WasmLayout {
  /** Byte address of each buffer (by buffer id). */
  readonly addresses: readonly number[];
  readonly arena: number;
  readonly scratch: number;
  readonly scratchBytes: number;
  /** Bytes the module needs: its memory's minimum size. */
  readonly bytes: number;
  readonly pages: number;
}

export interface WasmProgram {
  readonly schedule: Schedule;
  readonly plan: MemoryPlan;
  readonly layout: WasmLayout;
  readonly wat: string;
  /** Host functions the module imports from "math". */
  readonly imports: readonly HostImport[];
  /** Indices of the library kernels (the argument of env.lib). */
  readonly library: readonly number[];
  /** Every kernel's steps, in order. */
  readonly steps: readonly Step[];
  /** How many threads the scratch has room for (thread ids 0 .. threads-1). */
  readonly threads: number;
}

export interface LowerOptions {
  /** Threads that may run the steps at once (each needs its own matmul panels); default 1. */
  readonly threads?: number;
}

const IMPORT_TYPES: Readonly<Record<HostImport, string>> = {
  exp: '(param f64) (result f64)', log: '(param f64) (result f64)', tanh: '(param f64) (result f64)',
  sin: '(param f64) (result f64)', cos: '(param f64) (result f64)',
  pow: '(param f64 f64) (result f64)', fmod: '(param f64 f64) (result f64)', ipow: '(param i32 i32) (result i32)',
};

/** Buffer addresses: graph inputs and outputs first, each in its own place, then the arena. */
function placeBuffers(s: Schedule, plan: MemoryPlan): { addresses: number[]; arena: number; end: number } {
  const addresses = new Array<number>(s.buffers.length).fill(-1);
  let top = 0;
  for (const b of s.buffers) {
    if (b.role === 'temp') continue;
    addresses[b.id] = top;
    top = alignUp(top + sizeOf(b.shape) * 4);
  }
  const arena = top;
  for (const p of plan.placements) addresses[p.buffer] = arena + p.offset;
  for (const b of s.buffers) if (addresses[b.id]! < 0) throw new Error(`wasm codegen: buffer b${b.id} has no place`);
  return { addresses, arena, end: alignUp(arena + plan.peakBytes) };
}

/** Where the matmul kernels' scratch goes: C (shared) at `shared`, thread t's panels at panels + t·panelBytes. */
interface Scratch {
  readonly shared: number;
  readonly panels: number;
  readonly panelBytes: number;
  readonly bytes: number;
}

function placeScratch(s: Schedule, at: number, threads: number, symmetric: ReadonlySet<number>): Scratch {
  let shared = 0;
  let perThread = 0;
  for (const [i, k] of s.kernels.entries()) {
    if (k.kind !== 'matmul') continue;
    const m = matmulScratch(k, symmetric.has(i));
    shared = Math.max(shared, m.shared);
    perThread = Math.max(perThread, m.perThread);
  }
  const panelBytes = alignUp(perThread);
  return { shared: at, panels: at + alignUp(shared), panelBytes, bytes: alignUp(shared) + threads * panelBytes };
}

interface KernelCode {
  readonly text: string;
  readonly steps: WasmStep[];
}

function kernelCode(k: Kernel, index: number, s: Schedule, addresses: readonly number[], scratch: Scratch, symmetric: boolean, needs: Needs): KernelCode {
  const header = printKernel(k, s.buffers).split('\n');
  const at = (b: number): number => addresses[b]!;
  const where = [...k.inputs.map((b, i) => `in${i} = b${b} @${at(b)}`), ...k.outputs.map((b, i) => `out${i} = b${b} @${at(b)}`)].join(', ');
  const inputShapes = k.inputs.map((b) => s.buffers[b]!.shape);
  const step = (fn: FuncBuilder, split: Omit<WasmStep, 'kind' | 'kernel' | 'name'>): WasmStep => ({ kind: 'wasm', kernel: index, name: fn.name, ...split });
  if (k.kind === 'fused') {
    const fn = new FuncBuilder(k.name, STEP_PARAMS);
    const split = emitLoops(fn, {
      shape: k.shape, exprs: k.exprs, reduce: k.reduce, ranged: true,
      stores: k.stores.map((st) => ({ value: st.value, address: at(k.outputs[st.output]!) })),
      inputs: k.inputs.map(at), inputShapes,
    }, needs);
    return { text: fn.text([...header, where]), steps: [step(fn, { ...split, weight: FLAT })] };
  }
  if (k.kind === 'matmul') {
    const parts = emitMatmul(k, { inputs: k.inputs.map(at), outputs: k.outputs.map(at), inputShapes, ...scratch }, needs, symmetric);
    const text = parts.map((p, i) => p.fn.text(i === 0 ? [...header, where] : [])).join('\n');
    return { text, steps: parts.map(({ fn, ...split }) => step(fn, split)) };
  }
  return { text: '', steps: [] };
}

function helpers(needs: Needs): string[] {
  const out: string[] = [];
  if (needs.helpers.has('idiv')) {
    out.push(`  ;; floored i32 division (Python //); a zero divisor raises, -2^31 // -1 wraps
  (func $idiv (param $x i32) (param $y i32) (result i32)
    (if (i32.eqz ${get('y')}) (then ${failCall(FAIL.divZero)} (unreachable)))
    (if (i32.eq ${get('y')} ${i32(-1)}) (then (return (i32.sub ${i32(0)} ${get('x')}))))
    (i32.sub (i32.div_s ${get('x')} ${get('y')})
      (i32.and (i32.ne (i32.rem_s ${get('x')} ${get('y')}) ${i32(0)}) (i32.lt_s (i32.xor ${get('x')} ${get('y')}) ${i32(0)}))))`);
  }
  if (needs.helpers.has('imod')) {
    out.push(`  ;; floored i32 modulo (Python %): the result takes the divisor's sign
  (func $imod (param $x i32) (param $y i32) (result i32) (local $r i32)
    (if (i32.eqz ${get('y')}) (then ${failCall(FAIL.modZero)} (unreachable)))
    (if (i32.eq ${get('y')} ${i32(-1)}) (then (return ${i32(0)})))
    (local.set $r (i32.rem_s ${get('x')} ${get('y')}))
    (select (i32.add ${get('r')} ${get('y')}) ${get('r')}
      (i32.and (i32.ne ${get('r')} ${i32(0)}) (i32.lt_s (i32.xor ${get('r')} ${get('y')}) ${i32(0)}))))`);
  }
  if (needs.helpers.has('gemm')) out.push(gemmMicrokernel());
  if (needs.helpers.has('exp2x')) out.push(exp2xHelper());
  for (const op of ['exp', 'sigmoid', 'silu'] as const satisfies readonly VectorMath[]) {
    if (needs.helpers.has(`v${op}`)) out.push(vectorMathHelper(op, (k) => scalarUnary(op, 'f32', `(f32x4.extract_lane ${k} ${get('x')})`, needs)));
  }
  return out;
}

/** Lowers a schedule (and its memory plan) to a Wasm module in text form, with its memory layout. */
export function lowerSchedule(s: Schedule, plan: MemoryPlan = planMemory(s), options: LowerOptions = {}): WasmProgram {
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const { addresses, arena, end } = placeBuffers(s, plan);
  const symmetric = symmetricProducts(s);
  const scratch = placeScratch(s, end, threads, symmetric);
  const needs = newNeeds();
  const code = s.kernels.map((k, i) => kernelCode(k, i, s, addresses, scratch, symmetric.has(i), needs));
  const steps = s.kernels.flatMap((k, i): Step[] => (k.kind === 'library' ? [{ kind: 'library', kernel: i }] : code[i]!.steps));
  const library = s.kernels.flatMap((k, i) => (k.kind === 'library' ? [i] : []));
  const bytes = end + scratch.bytes;
  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  const helperText = helpers(needs);
  const imports = [...needs.imports].sort();
  const whole = steps.map((st) => (st.kind === 'library' ? `(call $lib ${i32(st.kernel)})` : `(call $${st.name} ${i32(0)} ${i32(st.units)} ${i32(0)})`));
  const lines = [
    `;; ${s.name}: ${s.kernels.length} kernel${s.kernels.length === 1 ? '' : 's'}, ${bytes} bytes of memory`,
    `;; buffers: ${s.buffers.map((b) => `b${b.id}@${addresses[b.id]}`).join(' ')}; arena @${arena}, scratch @${end} (${scratch.bytes} bytes: panels for ${threads} thread${threads === 1 ? '' : 's'})`,
    '(module',
    `  (import "env" "memory" (memory ${pages} ${MAX_PAGES} shared))`,
    `  (import "env" "fail" (func $fail (param i32 i32 i32)))`,
    ...(library.length > 0 ? ['  (import "env" "lib" (func $lib (param i32)))'] : []),
    ...imports.map((f) => `  (import "math" "${f}" (func $${f} ${IMPORT_TYPES[f]}))`),
    ...helperText,
    ...code.flatMap((c) => (c.text === '' ? [] : [c.text])),
    `  ;; every step in order, on one thread`,
    `  (func (export "run")${whole.map((c) => `\n    ${c}`).join('')})`,
    ...steps.flatMap((st) => (st.kind === 'wasm' ? [`  (export "${st.name}" (func $${st.name}))`] : [])),
    ')',
    '',
  ];
  return {
    schedule: s, plan, wat: lines.join('\n'), imports, library, steps, threads,
    layout: { addresses, arena, scratch: end, scratchBytes: scratch.bytes, bytes, pages },
  };
}

/** The module's text (`muc build --emit wat`). */
export function emitWat(s: Schedule, plan?: MemoryPlan, options?: LowerOptions): string {
  return lowerSchedule(s, plan, options).wat;
}
