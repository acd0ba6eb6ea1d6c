// The Muon vs AdamW experiment in its --quick mode, end to end: the JSON holds a validation curve
// per run for both optimizers, and the SVG draws both.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('examples/muon_vs_adamw.mu --arg quick=true', () => {
  it('writes the curves of both optimizers as JSON and an SVG plot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'muc-experiment-'));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/muc.js'), 'run', join(ROOT, 'examples/muon_vs_adamw.mu'), '--arg', 'quick=true'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tokens to reach AdamW's final loss: Muon \S+ AdamW \S+ ratio \S+$/m);
    const json = JSON.parse(readFileSync(join(dir, 'results/muon_vs_adamw.json'), 'utf8')) as {
      tokens: number[];
      muon: number[][];
      adamw: number[][];
      settings: { seeds: number; steps: number };
      machine: string;
    };
    expect(json.settings).toMatchObject({ seeds: 1, steps: 15 });
    expect(json.tokens).toEqual([1280, 2560, 3840]);
    for (const runs of [json.muon, json.adamw]) {
      expect(runs).toHaveLength(1);
      expect(runs[0]).toHaveLength(3);
      // Both start from ln 256 ≈ 5.55 and learn something in 15 steps.
      for (const v of runs[0]!) expect(v).toBeGreaterThan(2);
      expect(runs[0]![2]!).toBeLessThan(5.5);
    }
    expect(json.machine).toMatch(/cores/);
    const svgPath = join(dir, 'results/muon_vs_adamw.svg');
    expect(existsSync(svgPath)).toBe(true);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('Muon (1 run)');
    expect(svg).toContain('AdamW (1 run)');
  }, 240_000);
});
