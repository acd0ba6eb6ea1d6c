// WAT text → Wasm binary with wabt (the WebAssembly Binary Toolkit's own parser and encoder, built
// for JavaScript). The toolkit loads once, asynchronously; assembling validates the module too.
import wabtInit from 'wabt';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;

let toolkit: Promise<Wabt> | null = null;

function load(): Promise<Wabt> {
  toolkit ??= wabtInit();
  return toolkit;
}

/** Fixed-width SIMD, saturating conversions, bulk memory and threads (a shared memory) are all the post-MVP features the code uses. */
const FEATURES = { simd: true, sat_float_to_int: true, bulk_memory: true, threads: true } as const;

export async function assemble(wat: string, name = 'module.wat'): Promise<Uint8Array> {
  const wabt = await load();
  let module: ReturnType<Wabt['parseWat']> | null = null;
  try {
    module = wabt.parseWat(name, wat, FEATURES);
    module.resolveNames();
    // wabt's typings omit validate's argument, but it validates with default features without it,
    // and those reject a shared memory.
    (module.validate as (this: unknown, features: typeof FEATURES) => void).call(module, FEATURES);
    return module.toBinary({}).buffer;
  } catch (err) {
    // wabt's messages quote the offending line; keep them short.
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`wasm codegen produced an invalid module ${name}: ${message.slice(0, 2000)}`);
  } finally {
    module?.destroy();
  }
}
