// The process's one WebGPU device, through Dawn's Node.js bindings (npm `webgpu`).
//
// Lifetime rule (the cause of the "futex facility returned an unexpected error code" /
// `pthread_mutex_lock` assertion / `std::system_error` aborts seen on lavapipe): the object that
// `create()` returns owns Dawn's instance, and a device does not keep it alive. Once nothing in
// JavaScript refers to it, the garbage collector frees the instance while the device still has work
// in flight, and the next ProcessEvents tick that dawn.node schedules for a pending mapAsync or
// onSubmittedWorkDone locks a freed mutex. It looked tied to readbacks because those are what
// schedule the ticks; forcing a GC after any readback reproduces it every time. So this module holds
// the instance, adapter and device in module state for the life of the process, and never destroys
// the device.
/// <reference types="@webgpu/types" />

export interface Gpu {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  /** The adapter's description (vendor, architecture, device), for messages. */
  readonly description: string;
}

/** Thrown when WebGPU cannot be set up; the message says what to install. */
export class WebGpuUnavailableError extends Error {
  override readonly name = 'WebGpuUnavailableError';
}

const HELP = [
  'The WebGPU backend runs on Dawn (npm package `webgpu`), which needs a Vulkan driver.',
  'On a machine without a GPU, install Mesa\'s software Vulkan driver (lavapipe), Mesa 24 or newer:',
  '  Debian 12: apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1',
  '  (after adding "deb http://deb.debian.org/debian bookworm-backports main" to apt\'s sources)',
  '  Ubuntu 24.04 and later: apt-get install mesa-vulkan-drivers libvulkan1',
  'and set XDG_RUNTIME_DIR (e.g. XDG_RUNTIME_DIR=/tmp) in the environment. `vulkaninfo --summary`',
  '(package vulkan-tools) lists the drivers Vulkan finds.',
].join('\n');

interface Held {
  /** What `create()` returned: it owns Dawn's instance and must stay reachable (see above). */
  readonly instance: GPU;
  readonly gpu: Gpu;
}

/** Every instance ever made, kept reachable for the life of the process. */
const instances: GPU[] = [];
let held: Held | null = null;
let pending: Promise<Held> | null = null;
let lastFailure: WebGpuUnavailableError | null = null;
let lostMessage: string | null = null;

interface DawnModule {
  create(options: string[]): GPU;
}

async function loadDawn(): Promise<DawnModule> {
  try {
    // Loaded on first use, so that importing the backend never fails where Dawn cannot load.
    return (await import('webgpu')) as DawnModule;
  } catch (err) {
    throw new WebGpuUnavailableError(`cannot load the npm package \`webgpu\` (Dawn): ${err instanceof Error ? err.message : String(err)}\n${HELP}`);
  }
}

async function open(): Promise<Held> {
  const dawn = await loadDawn();
  const instance = dawn.create([]);
  instances.push(instance);
  let adapter: GPUAdapter | null;
  try {
    adapter = await instance.requestAdapter();
  } catch (err) {
    throw new WebGpuUnavailableError(`WebGPU: requestAdapter failed: ${err instanceof Error ? err.message : String(err)}\n${HELP}`);
  }
  if (adapter === null) throw new WebGpuUnavailableError(`WebGPU: no adapter found (Dawn found no usable Vulkan driver).\n${HELP}`);
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
    },
  });
  const info = adapter.info;
  const description = [info.vendor, info.architecture, info.device, info.description].filter((x) => x !== '').join(' ') || 'unknown adapter';
  const h: Held = { instance, gpu: { device, adapter, description } };
  void device.lost.then((l) => {
    // A lost device is replaced on the next call; its instance stays in `instances`.
    if (held === h) {
      held = null;
      pending = null;
      lostMessage = `WebGPU device lost (${l.reason}): ${l.message}`;
    }
  });
  return h;
}

/** The device, created on first use and kept for the process. */
export async function getGpu(): Promise<Gpu> {
  if (held !== null) return held.gpu;
  if (pending === null) {
    pending = open().then(
      (h) => {
        held = h;
        lastFailure = null;
        return h;
      },
      (err: unknown) => {
        pending = null;
        const e = err instanceof WebGpuUnavailableError ? err : new WebGpuUnavailableError(`WebGPU: ${err instanceof Error ? err.message : String(err)}\n${HELP}`);
        lastFailure = e;
        throw e;
      },
    );
  }
  return (await pending).gpu;
}

/** Whether a WebGPU adapter and device can be had (false, not an error, where they cannot). */
export async function webgpuAvailable(): Promise<boolean> {
  try {
    await getGpu();
    return true;
  } catch {
    return false;
  }
}

/** Why the last attempt to set WebGPU up failed, or why the device was lost (null if neither). */
export function webgpuProblem(): string | null {
  return lastFailure?.message ?? lostMessage;
}
