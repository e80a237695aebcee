/**
 * What the generator produces, as numbers: over N programs of one seed, the call-frequency
 * histogram, the mean program length, and what the model answers (ok vs each errno/signal),
 * overall and per call. A change to generation should move these only on purpose.
 *   npx tsx bench/distribution.ts                       (seed 1, 20 000 programs, maxCalls 24, 2 devices)
 *   npx tsx bench/distribution.ts --json out.json       (also save the numbers)
 *   npx tsx bench/distribution.ts --compare bench/distribution-before.json   (side by side)
 *   options: --seed S --runs N --max-calls M --devices D --profile linux-5.10
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { programAt } from '../fuzz/generate.ts';
import { modelTarget } from '../model/model.ts';
import { PROFILES, isProfileName } from '../ir/target.ts';
import { DEFAULT_DEVICES, type DeviceName } from '../ir/devices.ts';
import { errnoName } from '../ir/uapi.ts';
import type { Outcome } from '../ir/outcome.ts';

export interface Distribution {
  readonly seed: string;
  readonly runs: number;
  readonly maxCalls: number;
  readonly devices: number;
  readonly profile: string;
  readonly calls: number;
  readonly meanLength: number;
  /** op → how many calls */
  readonly ops: Record<string, number>;
  /** outcome (ok, EINVAL, …, SIGBUS) → how many calls */
  readonly outcomes: Record<string, number>;
  /** op → outcome → how many calls */
  readonly perOp: Record<string, Record<string, number>>;
}

const outcomeName = (o: Outcome): string => (o.status === 'ok' ? 'ok' : o.status === 'err' ? errnoName(o.errno) : o.status === 'sig' ? o.signal : 'crash');
const bump = (m: Record<string, number>, k: string) => void (m[k] = (m[k] ?? 0) + 1);

export function measure(seed: string, runs: number, maxCalls: number, devices: number, profile = 'linux-6.1'): Distribution {
  const devs: DeviceName[] = Array.from({ length: devices }, (_, i) => DEFAULT_DEVICES[i % DEFAULT_DEVICES.length]);
  const cfg = { profile: PROFILES[isProfileName(profile) ? profile : 'linux-6.1'], devices: devs };
  const ops: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const perOp: Record<string, Record<string, number>> = {};
  let calls = 0;
  for (let i = 0; i < runs; i++) {
    const p = programAt(seed, i, maxCalls, devices);
    const out = modelTarget.runSync!(p, cfg).outcomes;
    p.calls.forEach((c, k) => {
      const o = outcomeName(out[k]);
      bump(ops, c.op);
      bump(outcomes, o);
      bump((perOp[c.op] ??= {}), o);
    });
    calls += p.calls.length;
  }
  return { seed, runs, maxCalls, devices, profile, calls, meanLength: calls / runs, ops, outcomes, perOp };
}

const pct = (n: number | undefined, of: number) => (of ? ((100 * (n ?? 0)) / of).toFixed(2) + '%' : '-');

/** Markdown tables: one column per distribution. */
export function render(ds: readonly Distribution[], labels: readonly string[]): string {
  const head = (first: string) => `| ${first} | ${labels.join(' | ')} |\n|---|${labels.map(() => '---:').join('|')}|`;
  const lines: string[] = [];
  lines.push(head('measure'));
  lines.push(`| programs | ${ds.map((d) => d.runs).join(' | ')} |`);
  lines.push(`| calls | ${ds.map((d) => d.calls).join(' | ')} |`);
  lines.push(`| mean length | ${ds.map((d) => d.meanLength.toFixed(2)).join(' | ')} |`);
  lines.push('', head('call (share of calls)'));
  const opNames = [...new Set(ds.flatMap((d) => Object.keys(d.ops)))].sort((a, b) => (ds[0].ops[b] ?? 0) - (ds[0].ops[a] ?? 0));
  for (const op of opNames) lines.push(`| ${op} | ${ds.map((d) => pct(d.ops[op], d.calls)).join(' | ')} |`);
  lines.push('', head('outcome (share of calls)'));
  const oNames = [...new Set(ds.flatMap((d) => Object.keys(d.outcomes)))].sort((a, b) => (ds[0].outcomes[b] ?? 0) - (ds[0].outcomes[a] ?? 0));
  for (const o of oNames) lines.push(`| ${o} | ${ds.map((d) => pct(d.outcomes[o], d.calls)).join(' | ')} |`);
  lines.push('', head('call: ok share (top errno)'));
  for (const op of opNames) {
    const cell = (d: Distribution) => {
      const m = d.perOp[op] ?? {};
      const n = d.ops[op] ?? 0;
      const top = Object.entries(m).filter(([k]) => k !== 'ok').sort((a, b) => b[1] - a[1])[0];
      return `${pct(m.ok, n)}${top ? ` (${top[0]} ${pct(top[1], n)})` : ''}`;
    };
    lines.push(`| ${op} | ${ds.map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

function main(argv: readonly string[]): void {
  const opt = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
  };
  const d = measure(opt('--seed', '1'), Number(opt('--runs', '20000')), Number(opt('--max-calls', '24')), Number(opt('--devices', '2')), opt('--profile', 'linux-6.1'));
  const json = opt('--json', '');
  if (json) writeFileSync(json, JSON.stringify(d, null, 1) + '\n');
  const cmp = opt('--compare', '');
  if (cmp) {
    const before = JSON.parse(readFileSync(cmp, 'utf8')) as Distribution;
    console.log(render([before, d], ['before', 'after']));
  } else console.log(render([d], [`seed ${d.seed}`]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main(process.argv.slice(2));
