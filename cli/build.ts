// `muc build FILE --emit ir`: show what the compiler makes of a function, for given sizes.
import { existsSync } from 'node:fs';
import * as S from '../compiler/check/size.ts';
import type { Type } from '../compiler/check/types.ts';
import { compileFile, CompileError, MuRuntimeError, type Value } from '../runtime/program.ts';
import { zeros } from '../runtime/interp/ops/tensor.ts';
import { printGraph, type Graph } from '../compiler/ir/graph.ts';
import { schedule } from '../compiler/schedule/schedule.ts';
import { planMemory, printPlan } from '../compiler/schedule/plan.ts';
import { printKernels } from '../compiler/kernel/print.ts';
import { emitWat } from '../compiler/codegen/wasm/index.ts';
import { emitWgsl } from '../compiler/codegen/wgsl/index.ts';

export interface BuildOptions {
  readonly emit: string;
  readonly entry: readonly string[];
  /** Values of size variables, `m=4`. */
  readonly sizes: readonly string[];
}

/** A zero value of a parameter type, with its sizes replaced by numbers. */
function example(t: Type, sizes: ReadonlyMap<string, number>, where: string): Value {
  switch (t.kind) {
    case 'tensor': {
      const shape = t.shape.map((d) => {
        const v = S.constValue(S.substitute(d, new Map([...sizes].map(([k, n]) => [k, S.constant(n)]))));
        if (v === null) throw new UsageError(`${where} has size ${S.show(d)}: give its variables with --size name=value`);
        return v;
      });
      return zeros(t.dtype, shape);
    }
    case 'tuple':
      return t.items.map((x, i) => example(x, sizes, `${where}[${i}]`));
    case 'record':
      return Object.fromEntries(t.fields.map((f) => [f.name, example(f.type, sizes, `${where}.${f.name}`)]));
    default:
      throw new UsageError(`${where} is not a tensor or a record of tensors, so it has no IR input`);
  }
}

class UsageError extends Error {}

/** What each stage of the compiler prints for a function's graph. */
const EMIT: Readonly<Record<string, (g: Graph) => string>> = {
  ir: printGraph,
  kernels: (g) => printKernels(schedule(g)),
  plan: (g) => {
    const s = schedule(g);
    return printPlan(s, planMemory(s));
  },
  wat: (g) => {
    const s = schedule(g);
    return emitWat(s, planMemory(s));
  },
  wgsl: (g) => emitWgsl(schedule(g)).join('\n'),
};

export function build(file: string, opts: BuildOptions): number {
  const stage = EMIT[opts.emit];
  if (!stage) {
    process.stderr.write(`muc: error: --emit ${opts.emit} is not available (available: ${Object.keys(EMIT).join(', ')})\n`);
    return 1;
  }
  if (!existsSync(file)) {
    process.stderr.write(`muc: error: no such file: ${file}\n`);
    return 1;
  }
  try {
    const program = compileFile(file);
    const sizes = new Map<string, number>();
    for (const s of opts.sizes) {
      const m = /^([A-Za-z_]\w*)=(\d+)$/.exec(s);
      if (!m) throw new UsageError(`--size takes name=value, as in --size m=4; found '${s}'`);
      sizes.set(m[1]!, Number(m[2]));
    }
    const module = program.checked.module!;
    const pure = [...module.fns.values()].filter((f) => f.body.kind === 'expr');
    const entries = opts.entry.length > 0 ? opts.entry : pure.filter((f) => f.sizeParams.length === 0).map((f) => f.name.name);
    if (entries.length === 0)
      throw new UsageError(`name the function to show with --entry (pure functions here: ${pure.map((f) => f.name.name).join(', ')})`);
    const out: string[] = [];
    for (const name of entries) {
      const decl = module.fns.get(name);
      if (!decl) throw new UsageError(`no function '${name}' in ${file}`);
      if (decl.body.kind !== 'expr') throw new UsageError(`'${name}' is host code; --emit ir shows pure functions`);
      const sig = program.checked.checker.signature(decl, module);
      const args = sig.params.map((p) => example(p.type, sizes, `parameter '${p.name}' of '${name}'`));
      out.push(stage(program.graph(name, ...args)));
    }
    process.stdout.write(out.join('\n\n') + '\n');
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`muc: error: ${err.message}\n`);
      return 1;
    }
    if (err instanceof CompileError || err instanceof MuRuntimeError) {
      process.stderr.write(err.message + '\n');
      return 1;
    }
    throw err;
  }
}
