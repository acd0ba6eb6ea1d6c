// The progress bar of long runs (the `progress` builtin): step of total, ETA, steps/s, tokens/s
// when the metrics count tokens, and the latest metrics. Drawn by cli-progress on stderr: in place
// on a terminal, as a line every few seconds otherwise.
import { SingleBar } from 'cli-progress';

export class Progress {
  private bar: SingleBar | null = null;
  private total = 0;
  private started = 0;
  private tokens = 0;

  constructor(private readonly stream: NodeJS.WritableStream = process.stderr) {}

  update(step: number, total: number, metrics: readonly (readonly [string, number])[]): void {
    if (this.bar === null || total !== this.total || step === 0) this.start(step, total);
    this.tokens += metrics.find(([n]) => n === 'tokens')?.[1] ?? 0;
    const seconds = Math.max((performance.now() - this.started) / 1000, 1e-9);
    const shown = metrics.filter(([n]) => n !== 'tokens').map(([n, v]) => `${n} ${formatMetric(v)}`);
    if (this.tokens > 0) shown.push(`${Math.round(this.tokens / seconds)} tok/s`);
    this.bar!.update(step + 1, { metrics: shown.join(' | ') });
    if (step + 1 >= total) this.stop();
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }

  private start(step: number, total: number): void {
    this.stop();
    this.total = total;
    this.started = performance.now();
    this.tokens = 0;
    this.bar = new SingleBar({
      format: '{bar} {value}/{total} | ETA {eta_formatted} | {metrics}',
      stream: this.stream,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
      etaBuffer: 20,
    });
    this.bar.start(total, step, { metrics: '' });
  }
}

function formatMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : Number(v.toPrecision(4)).toString();
}
