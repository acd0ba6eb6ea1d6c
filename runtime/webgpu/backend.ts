/// <reference types="@webgpu/types" />
// The WebGPU backend: schedules a graph into kernels (compiler/schedule/), plans its memory, generates
// one WGSL compute shader per kernel (compiler/codegen/wgsl/) and runs them through Dawn.
//
// Per graph (cached, weakly, by the Graph object): the schedule, the memory plan, one compute
// pipeline per kernel, a small uniform buffer (each kernel's number, for error reports) and each
// kernel's bind groups; pipelines are cached per device by shader text, so equal kernels of different
// graphs share one. Per call:
//   1. buffers come from a pool: one per graph input (written with queue.writeBuffer), one per graph
//      output, one arena holding every temporary at the plan's offsets (bound as ranges of it), and,
//      if a kernel can fail, the 16-byte status buffer (cleared first in the encoder);
//   2. one command encoder and one compute pass record every kernel's dispatch in schedule order, then
//      the copies of the graph outputs and the status into one staging buffer;
//   3. submit, await onSubmittedWorkDone, then mapAsync the staging buffer, copy out, unmap: only the
//      graph outputs and the status are read back (one map per call);
//   4. the buffers go back to the pool, in reverse, so the next call of the graph gets the same ones
//      (unless another graph took them meanwhile) and its cached bind groups: after the first call, a
//      call creates no buffer and no bind group;
//   5. a failure the status recorded (checks.ts in compiler/codegen/wgsl/) is thrown as the
//      interpreter's RangeError.
// Library kernels listed in `hostOps` (by default rand_normal, whose float64 inverse error function
// the GPU cannot reproduce bit for bit) run on the host through the interpreter's EVAL: the pass is
// ended, the kernel's inputs are copied out and read back exactly as in step 3, EVAL runs, its result
// is written with queue.writeBuffer and a new encoder continues. A graph with such kernels is the only
// case of more than one encoder per call.
//
// Ordering (see device.ts for the crash this avoids): calls are serialized across the process; within
// a call, no buffer is mapped before all work that touches it has been submitted and
// onSubmittedWorkDone has resolved; nothing is written with writeBuffer while an earlier dispatch
// that reads the same bytes is recorded but not submitted; buffers return to the pool only after
// their work is done and are destroyed (pool trimming) only then.
import type { Graph } from '../../compiler/ir/graph.ts';
import type { PrimName } from '../../compiler/ir/prims.ts';
import type { Kernel, LibraryKernel, Schedule } from '../../compiler/kernel/ir.ts';
import { emitKernel, scheduleForWgsl, storageBindings, STATUS_WORDS, type WgslKernel, type WgslOptions } from '../../compiler/codegen/wgsl/index.ts';
import { bufferBytes, planMemory, type MemoryPlan } from '../../compiler/schedule/plan.ts';
import type { ScheduleOptions } from '../../compiler/schedule/schedule.ts';
import type { Backend } from '../backend.ts';
import { EVAL } from '../interp/eval.ts';
import { size, type Tensor, type TensorData } from '../interp/ops/tensor.ts';
import { getGpu } from './device.ts';
import { failureMessage, staticFailure, type Failure } from './errors.ts';
import { BufferPool } from './pool.ts';

// WebGPU's flag values (GPUBufferUsage, GPUMapMode, GPUShaderStage), without installing Dawn's globals.
const MAP_READ_USAGE = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const UNIFORM = 0x40;
const STORAGE = 0x80;
const MAP_READ = 0x1;
const COMPUTE_STAGE = 0x4;

/** Storage bindings per kernel: the scheduler's limit and WebGPU's default per-stage limit. */
const MAX_BINDINGS = 8;
/** Where an empty buffer is bound: slot i of a small zero buffer, at i·256 bytes. */
const DUMMY_SLOT = 256;
/** Uniform slots are 256 bytes apart (WebGPU's minUniformBufferOffsetAlignment). */
const UNIFORM_SLOT = 256;
const STATUS_BYTES = STATUS_WORDS * 4;
/** Bind groups kept per kernel (one per set of buffers a call of the graph bound). */
const BIND_GROUPS_KEPT = 4;

export interface WebgpuOptions extends ScheduleOptions, WgslOptions {
  /** Library ops run on the host through the interpreter instead of as WGSL (default: rand_normal). */
  readonly hostOps?: readonly PrimName[];
}

export const DEFAULT_HOST_OPS: readonly PrimName[] = ['rand_normal'];

interface GpuStep {
  readonly kind: 'gpu';
  readonly kernel: Kernel;
  readonly wgsl: WgslKernel;
  readonly pipeline: GPUComputePipeline;
  /** The kernel's slot in the graph's uniform buffer (0: zeros, for kernels that cannot fail). */
  readonly slot: number;
  /** Bind groups by the identity of what they bind, most recent last. */
  readonly bindGroups: Map<string, GPUBindGroup>;
}

type Step = GpuStep | { readonly kind: 'host'; readonly kernel: LibraryKernel };

interface Compiled {
  readonly device: GPUDevice;
  readonly graph: Graph;
  readonly schedule: Schedule;
  readonly plan: MemoryPlan;
  readonly steps: readonly Step[];
  /** Per kernel that can fail: (0, 0, 0, its step number) in its 256-byte slot; slot 0 is zeros. */
  readonly uniforms: GPUBuffer;
  /** Whether some kernel can fail at run time (the call then binds and reads a status buffer). */
  readonly checked: boolean;
  /** An error every call has, known from shapes alone (a max over an empty axis). */
  readonly staticError: string | null;
}

/** Per device: pipelines by shader text, layouts by binding count, the buffer pool, shared buffers. */
interface DeviceState {
  readonly device: GPUDevice;
  readonly pipelines: Map<string, GPUComputePipeline>;
  readonly layouts: Map<number, { bindGroup: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>;
  readonly pool: BufferPool;
  /** Bound in place of empty buffers (a binding cannot be empty). */
  readonly dummy: GPUBuffer;
  /** A number per buffer, for bind-group cache keys. */
  readonly ids: WeakMap<GPUBuffer, number>;
}

const states = new WeakMap<GPUDevice, DeviceState>();

function stateOf(device: GPUDevice): DeviceState {
  let st = states.get(device);
  if (st === undefined) {
    st = {
      device,
      pipelines: new Map(),
      layouts: new Map(),
      pool: new BufferPool(device),
      dummy: device.createBuffer({ size: DUMMY_SLOT * (MAX_BINDINGS + 1), usage: STORAGE }),
      ids: new WeakMap(),
    };
    states.set(device, st);
  }
  return st;
}

let nextBufferId = 1;

function bufferId(st: DeviceState, b: GPUBuffer): number {
  let id = st.ids.get(b);
  if (id === undefined) st.ids.set(b, (id = nextBufferId++));
  return id;
}

function layoutFor(st: DeviceState, storage: number): { bindGroup: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
  let l = st.layouts.get(storage);
  if (l === undefined) {
    const entries: GPUBindGroupLayoutEntry[] = [];
    for (let i = 0; i < storage; i++) entries.push({ binding: i, visibility: COMPUTE_STAGE, buffer: { type: 'storage' } });
    entries.push({ binding: storage, visibility: COMPUTE_STAGE, buffer: { type: 'uniform' } });
    const bindGroup = st.device.createBindGroupLayout({ entries });
    l = { bindGroup, pipeline: st.device.createPipelineLayout({ bindGroupLayouts: [bindGroup] }) };
    st.layouts.set(storage, l);
  }
  return l;
}

async function pipelineFor(st: DeviceState, w: WgslKernel): Promise<GPUComputePipeline> {
  const hit = st.pipelines.get(w.code);
  if (hit !== undefined) return hit;
  const { device } = st;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: w.code });
  const pipeline = device.createComputePipeline({ layout: layoutFor(st, storageBindings(w)).pipeline, compute: { module, entryPoint: 'main' } });
  const error = await device.popErrorScope();
  if (error !== null) {
    const info = await module.getCompilationInfo();
    const messages = info.messages.map((m) => `  ${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join('\n');
    throw new Error(`webgpu: kernel ${w.name} does not compile: ${error.message}\n${messages}\n${w.code}`);
  }
  st.pipelines.set(w.code, pipeline);
  return pipeline;
}

// ---- the process-wide queue of calls -------------------------------------------------------------

let tail: Promise<unknown> = Promise.resolve();

/** Runs calls one at a time, in order, whatever backend object they come through. */
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = tail.then(fn);
  tail = run.catch(() => undefined);
  return run;
}

// ---- host data ---------------------------------------------------------------------------------

/** A tensor's data as the GPU stores it: 32 bits per element, bool as 0/1. */
function deviceData(t: Tensor): Float32Array | Int32Array {
  if (t.dtype === 'f32') return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  if (t.dtype === 'i32') return t.data instanceof Int32Array ? t.data : Int32Array.from(t.data);
  return Int32Array.from(t.data, (v) => (v !== 0 ? 1 : 0));
}

/** Stored 32-bit words as host data of a dtype (bool as bytes). */
function hostData(dtype: Tensor['dtype'], bytes: ArrayBuffer): TensorData {
  if (dtype === 'f32') return new Float32Array(bytes);
  const ints = new Int32Array(bytes);
  return dtype === 'i32' ? ints : Uint8Array.from(ints, (v) => (v !== 0 ? 1 : 0));
}

function copyData(dtype: Tensor['dtype'], d: TensorData): TensorData {
  if (dtype === 'f32') return Float32Array.from(d);
  if (dtype === 'i32') return Int32Array.from(d);
  return Uint8Array.from(d, (v) => (v !== 0 ? 1 : 0));
}

// ---- one call ------------------------------------------------------------------------------------

interface Location {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly bytes: number;
}

class Call {
  private readonly locations: (Location | undefined)[];
  private readonly acquired: GPUBuffer[] = [];
  /** Buffers whose values the host holds: graph inputs and host kernels' results. */
  private readonly known = new Map<number, TensorData>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Where kernels report run-time errors (checks.ts), when some kernel can fail. */
  private status: GPUBuffer | null = null;

  constructor(
    private readonly st: DeviceState,
    private readonly c: Compiled,
  ) {
    this.locations = new Array<Location | undefined>(c.schedule.buffers.length);
  }

  private openEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.st.device.createCommandEncoder());
  }

  private openPass(): GPUComputePassEncoder {
    return (this.pass ??= this.openEncoder().beginComputePass());
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private acquire(bytes: number, usage: number): GPUBuffer {
    const b = this.st.pool.acquire(bytes, usage);
    this.acquired.push(b);
    return b;
  }

  bind(inputs: readonly Tensor[]): void {
    const { schedule: s, plan } = this.c;
    const q = this.st.device.queue;
    if (inputs.length !== s.inputs.length) throw new Error(`${s.name}: expected ${s.inputs.length} inputs, got ${inputs.length}`);
    s.inputs.forEach((b, i) => {
      const t = inputs[i]!;
      const want = s.buffers[b]!;
      if (t.dtype !== want.dtype || t.data.length !== size(want.shape)) throw new Error(`${s.name}: input ${i} must be ${want.dtype}[${want.shape.join(', ')}]`);
      this.known.set(b, t.data);
      const bytes = bufferBytes(want.shape);
      if (bytes === 0 || this.locations[b] !== undefined) return;
      const buffer = this.acquire(bytes, STORAGE | COPY_SRC | COPY_DST);
      q.writeBuffer(buffer, 0, deviceData(t));
      this.locations[b] = { buffer, offset: 0, bytes };
    });
    if (plan.peakBytes > 0) {
      const arena = this.acquire(plan.peakBytes, STORAGE | COPY_SRC | COPY_DST);
      for (const p of plan.placements) if (p.bytes > 0) this.locations[p.buffer] = { buffer: arena, offset: p.offset, bytes: p.bytes };
    }
    for (const b of s.buffers) {
      const bytes = bufferBytes(b.shape);
      if (b.role === 'output' && bytes > 0) this.locations[b.id] = { buffer: this.acquire(bytes, STORAGE | COPY_SRC | COPY_DST), offset: 0, bytes };
    }
    if (this.c.checked) {
      this.status = this.acquire(STATUS_BYTES, STORAGE | COPY_SRC | COPY_DST);
      this.openEncoder().clearBuffer(this.status, 0, STATUS_BYTES);
    }
  }

  dispatch(step: GpuStep): void {
    const w = step.wgsl;
    if (w.workgroups[0] === 0) return;
    const { st } = this;
    const entries: GPUBindGroupEntry[] = w.bindings.map((b, i) => {
      const loc = this.locations[b];
      return loc === undefined
        ? { binding: i, resource: { buffer: st.dummy, offset: i * DUMMY_SLOT, size: 16 } }
        : { binding: i, resource: { buffer: loc.buffer, offset: loc.offset, size: loc.bytes } };
    });
    if (w.checks) entries.push({ binding: entries.length, resource: { buffer: this.status!, offset: 0, size: STATUS_BYTES } });
    entries.push({ binding: entries.length, resource: { buffer: this.c.uniforms, offset: step.slot * UNIFORM_SLOT, size: 16 } });
    // Cached by what is bound: calls of a graph get the same buffers back from the pool.
    const key = entries.map((e) => {
      const r = e.resource as GPUBufferBinding;
      return `${bufferId(st, r.buffer)}@${r.offset ?? 0}+${r.size ?? ''}`;
    }).join(',');
    let group = step.bindGroups.get(key);
    if (group === undefined) {
      group = st.device.createBindGroup({ layout: layoutFor(st, storageBindings(w)).bindGroup, entries });
      if (step.bindGroups.size >= BIND_GROUPS_KEPT) step.bindGroups.delete(step.bindGroups.keys().next().value!);
    } else {
      step.bindGroups.delete(key);
    }
    step.bindGroups.set(key, group);
    const pass = this.openPass();
    pass.setPipeline(step.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(w.workgroups[0], w.workgroups[1], w.workgroups[2]);
  }

  /**
   * Ends the pass, copies `buffers` (those the host does not hold) and, with `status`, the status
   * words to one staging buffer, submits, waits for the GPU, maps and reads them. The next dispatch
   * opens a new encoder.
   */
  private async readBack(buffers: readonly number[], status = false): Promise<{ data: Map<number, ArrayBuffer>; status: Uint32Array | null }> {
    const { device } = this.st;
    this.endPass();
    const encoder = this.openEncoder();
    const wanted = [...new Set(buffers)].filter((b) => !this.known.has(b) && this.locations[b] !== undefined);
    const readStatus = status && this.status !== null;
    const total = wanted.reduce((n, b) => n + this.locations[b]!.bytes, 0) + (readStatus ? STATUS_BYTES : 0);
    const staging = total > 0 ? this.acquire(total, MAP_READ_USAGE | COPY_DST) : null;
    let at = 0;
    const offsets = new Map<number, number>();
    for (const b of wanted) {
      const loc = this.locations[b]!;
      encoder.copyBufferToBuffer(loc.buffer, loc.offset, staging!, at, loc.bytes);
      offsets.set(b, at);
      at += loc.bytes;
    }
    if (readStatus) encoder.copyBufferToBuffer(this.status!, 0, staging!, at, STATUS_BYTES);
    device.queue.submit([encoder.finish()]);
    this.encoder = null;
    const data = new Map<number, ArrayBuffer>();
    // Map only after everything submitted so far has completed.
    await device.queue.onSubmittedWorkDone();
    if (staging === null) return { data, status: null };
    await staging.mapAsync(MAP_READ, 0, total);
    try {
      const all = staging.getMappedRange(0, total).slice(0);
      for (const b of wanted) data.set(b, all.slice(offsets.get(b)!, offsets.get(b)! + this.locations[b]!.bytes));
      return { data, status: readStatus ? new Uint32Array(all, at, STATUS_WORDS) : null };
    } finally {
      staging.unmap();
    }
  }

  async host(k: LibraryKernel): Promise<void> {
    const s = this.c.schedule;
    const { data: read } = await this.readBack(k.inputs);
    const tensors = k.inputs.map((b, i): Tensor => {
      const dtype = s.buffers[b]!.dtype;
      const have = this.known.get(b);
      const bytes = read.get(b);
      const data = have !== undefined ? copyData(dtype, have) : bytes !== undefined ? hostData(dtype, bytes) : copyData(dtype, new Float32Array(0));
      return { dtype, shape: k.inputShapes[i]!, data };
    });
    const out = k.outputs[0]!;
    const result = EVAL[k.op](tensors, k.attrs);
    const buf = s.buffers[out]!;
    if (result.data.length !== size(buf.shape)) throw new Error(`library ${k.op}: ${result.data.length} elements for a buffer of ${size(buf.shape)}`);
    this.known.set(out, result.data);
    const loc = this.locations[out];
    // Nothing recorded since readBack's submit, so this write lands after every earlier kernel.
    if (loc !== undefined) this.st.device.queue.writeBuffer(loc.buffer, loc.offset, deviceData({ dtype: buf.dtype, shape: buf.shape, data: result.data }));
  }

  /** The graph outputs, read back with the status; throws the first run-time error a kernel reported. */
  async outputs(): Promise<Tensor[]> {
    const s = this.c.schedule;
    const { data: read, status } = await this.readBack(s.outputs, true);
    if (status !== null && status[0] !== 0) throw new RangeError(this.failure(status));
    return s.outputs.map((b) => {
      const buf = s.buffers[b]!;
      const have = this.known.get(b);
      const bytes = read.get(b);
      const data = have !== undefined ? copyData(buf.dtype, have) : bytes !== undefined ? hostData(buf.dtype, bytes.slice(0)) : copyData(buf.dtype, new Float32Array(0));
      return { dtype: buf.dtype, shape: [...buf.shape], data };
    });
  }

  private failure(status: Uint32Array): string {
    const step = this.c.steps[status[1]!];
    if (step === undefined || step.kind !== 'gpu') return `webgpu: ${this.c.schedule.name}: a kernel reported failure ${status[2]} for an unknown kernel ${status[1]}`;
    const f: Failure = { site: status[2]!, value: status[3]! | 0, indexSites: step.wgsl.indexSites };
    return failureMessage(f, this.c.graph);
  }

  /** Drops what is recorded but not submitted (after a failure) and hands the buffers back to the pool. */
  finish(): void {
    this.endPass();
    this.encoder?.finish();
    this.encoder = null;
    // In reverse, so that the pool hands the same buffers to the same places next call.
    for (let i = this.acquired.length - 1; i >= 0; i--) this.st.pool.release(this.acquired[i]!);
  }
}

async function execute(st: DeviceState, c: Compiled, inputs: readonly Tensor[]): Promise<Tensor[]> {
  if (c.staticError !== null) throw new RangeError(c.staticError);
  const { device } = st;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  st.pool.beginCall();
  const call = new Call(st, c);
  let outputs: Tensor[] | null = null;
  let failure: unknown = null;
  try {
    call.bind(inputs);
    for (const step of c.steps) {
      if (step.kind === 'gpu') call.dispatch(step);
      else await call.host(step.kernel);
    }
    outputs = await call.outputs();
  } catch (err) {
    failure = err;
  }
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  call.finish();
  if (validation !== null) throw new Error(`webgpu: ${c.schedule.name}: ${validation.message}`);
  if (memory !== null) throw new Error(`webgpu: ${c.schedule.name}: out of GPU memory: ${memory.message}`);
  if (failure !== null) throw failure;
  // Every submission of this call has completed (outputs() waited for it): idle buffers may go.
  st.pool.trim();
  return outputs!;
}

async function compile(graph: Graph, st: DeviceState, options: WebgpuOptions): Promise<Compiled> {
  const limit = Math.min(options.maxBindings ?? MAX_BINDINGS, MAX_BINDINGS);
  const s = scheduleForWgsl(graph, { ...options, maxBindings: limit, maxStorageBindings: limit });
  const plan = planMemory(s);
  const hostOps = new Set(options.hostOps ?? DEFAULT_HOST_OPS);
  const steps: Step[] = [];
  const numbers: number[] = [0, 0, 0, 0];
  for (const k of s.kernels) {
    if (k.kind === 'library' && hostOps.has(k.op)) {
      steps.push({ kind: 'host', kernel: k });
      continue;
    }
    const wgsl = emitKernel(k, s, { ...options, maxStorageBindings: limit });
    let slot = 0;
    if (wgsl.checks) {
      slot = numbers.length / 4;
      numbers.push(0, 0, 0, steps.length);
    }
    steps.push({ kind: 'gpu', kernel: k, wgsl, pipeline: await pipelineFor(st, wgsl), slot, bindGroups: new Map() });
  }
  const slots = numbers.length / 4;
  const uniforms = st.device.createBuffer({ size: UNIFORM_SLOT * slots, usage: UNIFORM | COPY_DST });
  const data = new Uint32Array((UNIFORM_SLOT / 4) * slots);
  for (let i = 0; i < slots; i++) data.set(numbers.slice(4 * i, 4 * i + 4), (UNIFORM_SLOT / 4) * i);
  st.device.queue.writeBuffer(uniforms, 0, data);
  return { device: st.device, graph, schedule: s, plan, steps, uniforms, checked: slots > 1, staticError: staticFailure(s) };
}

export function makeWebgpuBackend(options: WebgpuOptions = {}): Backend {
  const compiled = new WeakMap<Graph, Compiled>();
  return {
    name: 'webgpu',
    run: (graph, inputs) =>
      serialized(async () => {
        const { device } = await getGpu();
        const st = stateOf(device);
        let c = compiled.get(graph);
        if (c === undefined || c.device !== device) {
          c = await compile(graph, st, options);
          compiled.set(graph, c);
        }
        return execute(st, c, inputs);
      }),
  };
}

export const webgpuBackend: Backend = makeWebgpuBackend();
