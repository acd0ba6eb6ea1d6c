// The report: one Markdown table per workload (each implementation's rows, with the ratio of muc's
// speed to each peer's), the configurations, and the correctness checks against muc's results.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseId, files, type Job, type Plan, type RunnerResult, type Timing, type Workload } from './protocol.ts';
import { fmt, markdownTable } from './table.ts';
import { matmulFlops } from './workloads.ts';

/** The job without a runner's own fields: the cases and plans. */
export type Cases = Omit<Job, 'out' | 'threads'>;

export interface Ran {
  readonly id: string;
  readonly out: string;
  readonly result: RunnerResult;
}

/** The muc variant the ratios use: what a user's call costs. */
const BASE_VARIANT = 'program.call';

interface Column {
  readonly header: string;
  readonly id: string;
}

const rowLabel = (r: RunnerResult, variant: string): string => (r.impl === 'muc' ? `**muc** ${variant}` : variant === '' ? r.impl : `${r.impl} ${variant}`);

/** The muc run to compare a peer on `threads` threads with, and whether its thread count differs. */
function baseFor(ran: readonly Ran[], threads: number): { base: RunnerResult; same: boolean } | undefined {
  const mucs = ran.map((r) => r.result).filter((r) => r.impl === 'muc');
  const same = mucs.find((r) => r.threads === threads);
  if (same) return { base: same, same: true };
  const most = [...mucs].sort((a, b) => b.threads - a.threads)[0];
  return most ? { base: most, same: false } : undefined;
}

/** A table of one workload: `value` turns a timing into the unit shown (higher or lower is better). */
function workloadTable(ran: readonly Ran[], columns: readonly Column[], value: (id: string, t: Timing) => number): { table: string; mixed: boolean } {
  const rows: string[][] = [];
  let mixed = false;
  for (const { result: r } of ran) {
    for (const [variant, times] of Object.entries(r.times)) {
      if (!columns.some((c) => times[c.id])) continue;
      const cells = columns.map((c) => {
        const t = times[c.id];
        if (!t) return '—';
        const shown = fmt(value(c.id, t));
        if (r.impl === 'muc') return shown;
        const b = baseFor(ran, r.threads);
        const bt = b?.base.times[BASE_VARIANT]?.[c.id];
        if (!b || !bt) return shown;
        if (!b.same) mixed = true;
        return `${shown} (×${ratio(t.ms / bt.ms)}${b.same ? '' : '†'})`;
      });
      rows.push([rowLabel(r, variant), String(r.threads), ...cells]);
    }
  }
  const table = markdownTable(['implementation', 'threads', ...columns.map((c) => c.header)], rows, ['l', 'r', ...columns.map(() => 'r' as const)]);
  return { table, mixed };
}

function readOut(dir: string, id: string): Float32Array | undefined {
  const path = join(dir, files.output(id));
  if (!existsSync(path)) return undefined;
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function maxAbsDiff(a: Float32Array, b: Float32Array, from = 0): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = from; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

/** Each result against the reference run (muc at 1 thread): a table, and whether all are within bounds. */
function checks(ran: readonly Ran[], job: Cases): { table: string; ok: boolean } {
  const ref = ran.find((r) => r.result.impl === 'muc');
  if (!ref) return { table: '(no muc run: nothing checked)', ok: true };
  let ok = true;
  const ids = [...job.matmul.map((n) => caseId.matmul(n)), ...job.ns.map(([r, c]) => caseId.ns(r, c)), caseId.mlp(job.mlp)];
  const rows = ran
    .filter((r) => r !== ref)
    .map((r) => [
      `${r.result.impl} (${r.result.threads} thr.)`,
      ...ids.map((id) => {
        const want = readOut(ref.out, id);
        const got = readOut(r.out, id);
        if (!want || !got) return '—';
        if (id.startsWith('mlp/')) {
          // The loss at the initial parameters, then w1 after one AdamW step (which moves each weight by
          // about lr = 1e-3, by its gradient's sign, so a gradient's sign is what this checks).
          const dl = Math.abs(got[0]! - want[0]!);
          const dw = maxAbsDiff(got, want, 1);
          const pass = dl <= 1e-4 * Math.max(1, Math.abs(want[0]!)) && dw <= 2.5e-3;
          ok &&= pass;
          return `loss ${dl.toExponential(1)}, w1 ${dw.toExponential(1)}${pass ? '' : ' ✗'}`;
        }
        const d = maxAbsDiff(got, want);
        // Matmul: relative to the largest entry; Newton–Schulz (entries below 1): absolute.
        const bound = id.startsWith('matmul/') ? 1e-4 * maxAbs(want) : 2e-2;
        ok &&= d <= bound;
        return `${d.toExponential(1)}${d <= bound ? '' : ' ✗'}`;
      }),
    ]);
  const headers = ids.map((id) => id.replace('matmul/', 'matmul ').replace('ns/', 'NS ').replace('mlp/', 'MLP batch '));
  return { table: markdownTable(['against muc, 1 thread', ...headers], rows), ok };
}

function planLine(p: Plan): string {
  return `median of ${p.reps} timed calls after ${p.warmup} warm-up call${p.warmup === 1 ? '' : 's'}`;
}

/** A footnote on the timings whose budget ran out before all planned calls. */
function shortRuns(ran: readonly Ran[], prefix: string, plan: Plan): string {
  const reps = ran.flatMap(({ result: r }) => Object.values(r.times).flatMap((times) => Object.entries(times).flatMap(([id, t]) => (id.startsWith(prefix) ? [t.reps] : []))));
  const short = reps.filter((n) => n < plan.reps);
  return short.length > 0 ? ` ${short.length} of these ${reps.length} timings ran out of their ${plan.maxSeconds} s budget first (the fewest calls: ${Math.min(...short)}).` : '';
}

const ratio = (r: number): string => (r >= 10 ? r.toFixed(0) : r.toFixed(2));

export function report(ran: readonly Ran[], job: Cases, header: readonly string[]): { markdown: string; ok: boolean } {
  const out: string[] = [...header, ''];
  const legend = (w: Workload, mixed: boolean) =>
    `${planLine(job.plans[w]).replace(/^m/, 'M')}.${shortRuns(ran, w === 'matmul' ? 'matmul/' : w === 'ns' ? 'ns/' : w === 'mlp' ? 'mlp/' : 'moe/', job.plans[w])}${mixed ? ' †: against muc at a different thread count (muc\'s threads option not available).' : ''}`;

  const mm = workloadTable(ran, job.matmul.map((n) => ({ header: `n = ${n}`, id: caseId.matmul(n) })), (id, t) => matmulFlops(Number(id.split('/')[1])) / t.ms / 1e6);
  out.push('### f32 matmul, n×n by n×n (GFLOP/s, higher is better)', '', mm.table, '', legend('matmul', mm.mixed), '');

  const ns = workloadTable(ran, job.ns.map(([r, c]) => ({ header: `${r}×${c}`, id: caseId.ns(r, c) })), (_, t) => t.ms);
  out.push('### Newton–Schulz, 5 quintic steps (ms, lower is better)', '', ns.table, '', legend('ns', ns.mixed), '');

  const { batch, d, h, c } = job.mlp;
  const mlp = workloadTable(ran, [{ header: `batch ${batch}`, id: caseId.mlp(job.mlp) }], (_, t) => t.ms);
  out.push(`### MLP training step, ${d}→${h}→${c}, ReLU, softmax cross-entropy, AdamW (ms, lower is better)`, '', mlp.table, '', legend('mlp', mlp.mixed), '');

  const moeRows = ran.flatMap(({ result: r }) =>
    Object.entries(r.times).flatMap(([variant, times]) => {
      const t = times[caseId.moe];
      return t && r.tokensPerStep ? [[rowLabel(r, variant), String(r.threads), fmt(t.ms), fmt((r.tokensPerStep / t.ms) * 1000)]] : [];
    }),
  );
  if (moeRows.length > 0)
    out.push(
      '### MoE training step of examples/moonlight_mini.mu (muc only)',
      '',
      markdownTable(['implementation', 'threads', 'ms / step', 'tokens / s'], moeRows, ['l', 'r', 'r', 'r']),
      '',
      `One step of the example's loss (value_and_grad) and update (Muon + AdamW, balancing) on 8 × 64 bytes; ${planLine(job.plans.moe)}.`,
      '',
    );

  out.push('### Configurations', '', markdownTable(['implementation', 'threads', 'configuration'], ran.map(({ result: r }) => [r.impl, String(r.threads), r.config])), '');
  const notes = [...new Set(ran.flatMap(({ result: r }) => r.notes.map((n) => `- ${r.impl}: ${n}`)))];
  if (notes.length > 0) out.push(...notes, '');
  const check = checks(ran, job);
  out.push('### Correctness: largest difference from muc\'s result', '', check.table, '');
  if (!check.ok) out.push('**Some results differ from muc\'s beyond the bounds (✗): the timings of those rows are suspect.**', '');
  return { markdown: out.join('\n'), ok: check.ok };
}
