// A schedule as one WebAssembly module: one function per kernel, shapes and buffer addresses as
// constants, and an exported `run` that calls the kernels in order.
//
// Memory (imported as env.memory, so one WebAssembly.Memory can serve every compiled graph and can
// later be a shared memory for worker threads) is laid out once, at compile time:
//   [graph inputs][graph outputs][arena: temporaries at the plan's offsets][scratch: packed matmul
//   panels and padded matmul accumulators]
// Every buffer keeps 4 bytes per element (bool as an i32 0/1, as the plan assumes); the runtime
// copies inputs in and outputs out, and nothing is allocated while the kernels run.
// Library kernels (sorting, scans, scatters, random numbers) call the import env.lib(kernel index),
// which runs the interpreter's implementation on views of the memory.
import { sizeOf } from '../../ir/graph.ts';
import type { Kernel, Schedule } from '../../kernel/ir.ts';
import { printKernel } from '../../kernel/print.ts';
import { planMemory, type MemoryPlan } from '../../schedule/plan.ts';
import { emitLoops } from './loops.ts';
import { emitMatmul, gemmMicrokernel } from './matmul.ts';
import { FAIL, newNeeds, scalarUnary, type HostImport, type Needs } from './ops.ts';
import { exp2xHelper, vectorMathHelper, type VectorMath } from './transcendental.ts';
import { FuncBuilder, get, i32 } from './wat.ts';

export const PAGE_BYTES = 65536;
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

function kernelFunction(k: Kernel, index: number, s: Schedule, addresses: readonly number[], scratch: number, needs: Needs): { text: string; scratch: number } {
  const fn = new FuncBuilder(k.name);
  const header = printKernel(k, s.buffers).split('\n');
  const at = (b: number): number => addresses[b]!;
  let bytes = 0;
  if (k.kind === 'fused') {
    emitLoops(fn, {
      shape: k.shape, exprs: k.exprs, reduce: k.reduce,
      stores: k.stores.map((st) => ({ value: st.value, address: at(k.outputs[st.output]!) })),
      inputs: k.inputs.map(at),
    }, needs);
  } else if (k.kind === 'matmul') {
    bytes = emitMatmul(fn, k, { inputs: k.inputs.map(at), outputs: k.outputs.map(at), scratch }, needs);
  } else fn.line(`(call $lib ${i32(index)})`);
  const where = [...k.inputs.map((b, i) => `in${i} = b${b} @${at(b)}`), ...k.outputs.map((b, i) => `out${i} = b${b} @${at(b)}`)].join(', ');
  return { text: fn.text([...header, where]), scratch: bytes };
}

function helpers(needs: Needs): string[] {
  const out: string[] = [];
  if (needs.helpers.has('idiv')) {
    out.push(`  ;; floored i32 division (Python //); a zero divisor raises, -2^31 // -1 wraps
  (func $idiv (param $x i32) (param $y i32) (result i32)
    (if (i32.eqz ${get('y')}) (then (call $fail ${i32(FAIL.divZero)}) (unreachable)))
    (if (i32.eq ${get('y')} ${i32(-1)}) (then (return (i32.sub ${i32(0)} ${get('x')}))))
    (i32.sub (i32.div_s ${get('x')} ${get('y')})
      (i32.and (i32.ne (i32.rem_s ${get('x')} ${get('y')}) ${i32(0)}) (i32.lt_s (i32.xor ${get('x')} ${get('y')}) ${i32(0)}))))`);
  }
  if (needs.helpers.has('imod')) {
    out.push(`  ;; floored i32 modulo (Python %): the result takes the divisor's sign
  (func $imod (param $x i32) (param $y i32) (result i32) (local $r i32)
    (if (i32.eqz ${get('y')}) (then (call $fail ${i32(FAIL.modZero)}) (unreachable)))
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
export function lowerSchedule(s: Schedule, plan: MemoryPlan = planMemory(s)): WasmProgram {
  const { addresses, arena, end } = placeBuffers(s, plan);
  const needs = newNeeds();
  let scratchBytes = 0;
  const kernels = s.kernels.map((k, i) => {
    const f = kernelFunction(k, i, s, addresses, end, needs);
    scratchBytes = Math.max(scratchBytes, f.scratch);
    return f.text;
  });
  const library = s.kernels.flatMap((k, i) => (k.kind === 'library' ? [i] : []));
  const bytes = end + alignUp(scratchBytes);
  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  const helperText = helpers(needs);
  const imports = [...needs.imports].sort();
  const lines = [
    `;; ${s.name}: ${s.kernels.length} kernel${s.kernels.length === 1 ? '' : 's'}, ${bytes} bytes of memory`,
    `;; buffers: ${s.buffers.map((b) => `b${b.id}@${addresses[b.id]}`).join(' ')}; arena @${arena}, scratch @${end} (${scratchBytes} bytes)`,
    '(module',
    `  (import "env" "memory" (memory ${pages}))`,
    `  (import "env" "fail" (func $fail (param i32)))`,
    ...(library.length > 0 ? ['  (import "env" "lib" (func $lib (param i32)))'] : []),
    ...imports.map((f) => `  (import "math" "${f}" (func $${f} ${IMPORT_TYPES[f]}))`),
    ...helperText,
    ...kernels,
    `  (func (export "run")${s.kernels.map((k) => ` (call $${k.name})`).join('')})`,
    ...s.kernels.map((k) => `  (export "${k.name}" (func $${k.name}))`),
    ')',
    '',
  ];
  return {
    schedule: s, plan, wat: lines.join('\n'), imports, library,
    layout: { addresses, arena, scratch: end, scratchBytes, bytes, pages },
  };
}

/** The module's text (`muc build --emit wat`). */
export function emitWat(s: Schedule, plan?: MemoryPlan): string {
  return lowerSchedule(s, plan).wat;
}
