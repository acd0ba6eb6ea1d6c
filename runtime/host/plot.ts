// A line chart as a standalone SVG file: each series' mean over its runs, with a band from the
// smallest to the largest run, on shared axes. Written for results a person opens in a browser.

export interface Series {
  readonly name: string;
  /** runs × points */
  readonly runs: readonly (readonly number[])[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const [W, H, L, R, T, B] = [720, 440, 70, 160, 40, 50];

const escape = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

function ticks(lo: number, hi: number, n = 5): number[] {
  const step = (hi - lo) / n || 1;
  return Array.from({ length: n + 1 }, (_, i) => lo + i * step);
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 ? v.toExponential(1) : Number(v.toPrecision(3)).toString());

export function curvesSvg(title: string, xLabel: string, yLabel: string, x: readonly number[], series: readonly Series[]): string {
  const all = series.flatMap((s) => s.runs.flat()).filter(Number.isFinite);
  const [ylo, yhi] = all.length ? [Math.min(...all), Math.max(...all)] : [0, 1];
  const [xlo, xhi] = [Math.min(...x), Math.max(...x)];
  const px = (v: number) => L + ((v - xlo) / (xhi - xlo || 1)) * (W - L - R);
  const py = (v: number) => H - B - ((v - ylo) / (yhi - ylo || 1)) * (H - T - B);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${escape(xLabel)}</text>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">${escape(yLabel)}</text>`,
  ];
  for (const t of ticks(xlo, xhi)) out.push(`<text x="${px(t)}" y="${H - B + 16}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of ticks(ylo, yhi)) {
    out.push(`<text x="${L - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
    out.push(`<line x1="${L}" y1="${py(t)}" x2="${W - R}" y2="${py(t)}" stroke="#eee"/>`);
  }
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length]!;
    const col = (i: number) => s.runs.map((r) => r[i]!).filter(Number.isFinite);
    const mean = x.map((_, i) => col(i).reduce((a, b) => a + b, 0) / Math.max(col(i).length, 1));
    const lo = x.map((_, i) => Math.min(...col(i)));
    const hi = x.map((_, i) => Math.max(...col(i)));
    const band = [...x.map((v, i) => `${px(v)},${py(hi[i]!)}`), ...[...x].reverse().map((v, j) => `${px(v)},${py(lo[x.length - 1 - j]!)}`)];
    out.push(`<polygon points="${band.join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
    out.push(`<polyline points="${x.map((v, i) => `${px(v)},${py(mean[i]!)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    out.push(`<rect x="${W - R + 14}" y="${T + 20 * k}" width="14" height="3" fill="${color}"/>`);
    out.push(`<text x="${W - R + 34}" y="${T + 20 * k + 5}">${escape(s.name)} (${s.runs.length} run${s.runs.length === 1 ? '' : 's'})</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
