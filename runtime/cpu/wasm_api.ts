// The part of the WebAssembly JavaScript API the cpu backend uses. The project's TypeScript
// configuration has no DOM library (where the WebAssembly types live), so they are declared here
// and the global is read through globalThis.

export interface WasmMemory {
  /** A SharedArrayBuffer for a shared memory (a new one, longer, after each grow). */
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

/** A compiled module, opaque here. */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export type WasmImports = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

interface WasmApi {
  readonly Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: WasmImports): Promise<WasmInstance>;
}

export const wasm: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
