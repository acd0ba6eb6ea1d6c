// `muc build FILE --emit ir`: show what the compiler makes of a function, for given sizes.
// A pure entry is lowered for zeros of its parameter types. A host entry that takes no arguments
// (or only ones with defaults) is run on the interpreter, and every distinct graph it computes is
// shown, with how many times it ran: how to see the graphs of a training step, which std.train.fit
// compiles from host code (`--emit stats` then also sums the kernels and bytes over the runs).
import { existsSync } from 'node:fs';
import * as S from '../compiler/check/size.ts';
import type { Type } from '../compiler/check/types.ts';
import { compileFile, CompileError, MuRuntimeError, type MuProgram, type Value } from '../runtime/program.ts';
import { interpBackend, type Backend } from '../runtime/backend.ts';
import { zeros } from '../runtime/interp/ops/tensor.ts';
import { printGraph, type Graph } from '../compiler/ir/graph.ts';
import { schedule } from '../compiler/schedule/schedule.ts';
import { planMemory, printPlan } from '../compiler/schedule/plan.ts';
import { printKernels } from '../compiler/kernel/print.ts';
import { printStats, scheduleStats } from '../compiler/schedule/stats.ts';
import { emitWat } from '../compiler/codegen/wasm/index.ts';
import { emitWgsl, scheduleForWgsl } from '../compiler/codegen/wgsl/index.ts';

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
  wgsl: (g) => emitWgsl(scheduleForWgsl(g)).join('\n'),
  stats: (g) => printStats(schedule(g), g),
};

/** A backend that runs graphs on the interpreter and remembers each distinct one, with its run count. */
function recorder(): Backend & { readonly runs: Map<Graph, number> } {
  const runs = new Map<Graph, number>();
  return {
    name: 'trace',
    runs,
    run: (graph, inputs) => {
      runs.set(graph, (runs.get(graph) ?? 0) + 1);
      return interpBackend.run(graph, inputs);
    },
  };
}

/** The distinct graphs a host function computes when run, in order of first run, with their run counts. */
async function trace(program: MuProgram, runs: Map<Graph, number>, name: string): Promise<{ graph: Graph; runs: number }[]> {
  runs.clear();
  // What the function prints is not the output: it goes to stderr, with the progress bar.
  await program.callWith(name, {}, { print: (line) => process.stderr.write(line + '\n'), progressStream: process.stderr });
  return [...runs].map(([graph, n]) => ({ graph, runs: n }));
}

/**
 * Kernels and bytes over the traced runs, by how many times a graph ran: a loop of n steps shows
 * its step as the graphs run n times, and their sums are one step's.
 */
function traceTotals(graphs: readonly { graph: Graph; runs: number }[]): string {
  const byRuns = new Map<number, { graphs: number; kernels: number; bytes: number }>();
  for (const { graph, runs } of graphs) {
    const st = scheduleStats(schedule(graph));
    const t = byRuns.get(runs) ?? { graphs: 0, kernels: 0, bytes: 0 };
    byRuns.set(runs, { graphs: t.graphs + 1, kernels: t.kernels + st.kernels, bytes: t.bytes + st.bytesMoved });
  }
  const times = (n: number): string => `${n} time${n === 1 ? '' : 's'}`;
  return [...byRuns]
    .sort(([a], [b]) => b - a)
    .map(([runs, t]) => `${t.graphs} graph${t.graphs === 1 ? '' : 's'} run ${times(runs)}: ${t.kernels} kernels and ${t.bytes} bytes moved per run`)
    .join('\n');
}

export async function build(file: string, opts: BuildOptions): Promise<number> {
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
    const traced = recorder();
    const program = compileFile(file, { backend: traced });
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
      const sig = program.checked.checker.signature(decl, module);
      if (decl.body.kind !== 'expr') {
        const needed = sig.params.filter((p) => !p.optional).map((p) => p.name);
        if (needed.length > 0) throw new UsageError(`'${name}' is host code with parameters (${needed.join(', ')}); a traced host entry takes none`);
        const graphs = await trace(program, traced.runs, name);
        if (graphs.length === 0) out.push(`-- '${name}' computed no graph`);
        graphs.forEach(({ graph, runs }, i) => out.push(`-- graph ${i + 1} of ${graphs.length} (${graph.name}), run ${runs} time${runs === 1 ? '' : 's'}\n${stage(graph)}`));
        if (opts.emit === 'stats' && graphs.length > 0) out.push(traceTotals(graphs));
        continue;
      }
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
