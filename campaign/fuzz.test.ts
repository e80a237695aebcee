// Success criteria for campaigns: `--workers 1 --execs N --seed S` is fully deterministic;
// a planted bug is saved once per signature with its hits counted (program, minimized
// program, diff, seed, C reproducer); a restart resumes (counts go on, nothing is lost); the
// corpus round-trips, and corrupt, foreign and half-written files are reported and skipped,
// never deleted; corpus minimization keeps the signal.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES } from '../ir/devices.ts';
import { printText } from '../ir/encoding.ts';
import { PROFILES, type TargetConfig } from '../ir/target.ts';
import { pairing } from '../harness/pairing.ts';
import { modelTarget } from '../model/model.ts';
import { implTarget } from '../impl/target.ts';
import { coverTake } from '../impl/cover.ts';
import type { FaultName } from '../impl/faults.ts';
import { coverSet } from '../cli/commands/fuzz.ts';
import { corpusText, loadCorpus, programHash } from './corpus.ts';
import { runFuzz, type FindingRecord, type FuzzOptions } from './fuzz.ts';

const root = mkdtempSync(join(tmpdir(), 'gemcheck-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `c${n++}`);

const cfg: TargetConfig = { profile: PROFILES['linux-6.1'], devices: DEFAULT_DEVICES };
function opts(dir: string, execs: number, faults: FaultName[] = [], extra: Partial<FuzzOptions> = {}): FuzzOptions {
  return {
    dir, seed: 's', cfg, execs, workers: 1, maxCalls: 24, cover: coverTake,
    meta: { devices: DEFAULT_DEVICES, profile: 'linux-6.1', ...(faults.length ? { faults } : {}) },
    pairing: pairing(modelTarget, implTarget(new Set(faults))), repro: () => '/* c */\n', ...extra,
  };
}
const files = (d: string) => readdirSync(join(d, 'corpus')).sort();
const stats = (d: string) => JSON.parse(readFileSync(join(d, 'stats.json'), 'utf8'));

describe('gemcheck fuzz (in-process)', () => {
  it('--workers 1 --execs N --seed S is deterministic: the same corpus and manifest signal', async () => {
    const a = fresh();
    const b = fresh();
    const sa = await runFuzz(opts(a, 1500));
    const sb = await runFuzz(opts(b, 1500));
    expect(sa.execs).toBe(1500);
    expect(sa.corpus).toBeGreaterThan(10);
    expect(files(a)).toEqual(files(b));
    const sig = (d: string) => Object.fromEntries(Object.entries(JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')).programs).map(([k, v]) => [k, (v as { signal: number[] }).signal]));
    expect(sig(a)).toEqual(sig(b));
    // round trip: every file loads back to the program it was written from
    const l = loadCorpus(a);
    expect(l.problems).toEqual([]);
    for (const e of l.entries) expect(readFileSync(join(a, 'corpus', `${e.hash}.prog`), 'utf8')).toBe(corpusText(e.program, e.provenance));
  });

  it('a planted bug: one folder per signature, hits counted, everything a finding needs', async () => {
    const d = fresh();
    const st = await runFuzz(opts(d, 3000, ['keep-name']));
    const dirs = readdirSync(join(d, 'findings'));
    expect(dirs.length).toBe(st.findings);
    expect(st.findings).toBeGreaterThan(0);
    expect(st.hits).toBeGreaterThan(st.findings * 3); // hundreds of failing programs, a handful of folders
    const recs = dirs.map((x) => JSON.parse(readFileSync(join(d, 'findings', x, 'finding.json'), 'utf8')) as FindingRecord);
    expect(Math.max(...recs.map((r) => r.hits))).toBeGreaterThan(10);
    for (const x of dirs) for (const f of ['program.prog', 'minimized.prog', 'diff.txt', 'seed.txt', 'repro.c', 'finding.json']) expect(existsSync(join(d, 'findings', x, f)), `${x}/${f}`).toBe(true);
    for (const r of recs) expect(r.calls!.oneMinimal && r.calls!.after <= r.calls!.before).toBe(true);
    // a second session adds hits to the same folders, no new folder for the same signature
    const again = await runFuzz(opts(d, 1000, ['keep-name']));
    expect(again.hits).toBeGreaterThan(st.hits);
    const dirs2 = readdirSync(join(d, 'findings'));
    for (const x of dirs) expect(dirs2).toContain(x);
  });

  it('resumes: counts go on, every program stays, a half-written state is recovered', async () => {
    const d = fresh();
    const s1 = await runFuzz(opts(d, 800));
    const before = files(d);
    // as a kill -9 can leave it: a program the manifest does not list, a temp file; plus a
    // corrupt file, a foreign one and a stray one
    const extra = { meta: {}, calls: [{ op: 'open' as const, args: [{ kind: 'lit' as const, value: 0n }, { kind: 'lit' as const, value: 1n }] }] };
    const unlisted = `${programHash(extra)}.prog`;
    writeFileSync(join(d, 'corpus', unlisted), corpusText({ meta: { devices: DEFAULT_DEVICES, profile: 'linux-6.1' }, calls: extra.calls }));
    writeFileSync(join(d, 'corpus', 'x.prog.123.tmp'), 'half');
    writeFileSync(join(d, 'corpus', 'corrupt.prog'), '# gemcheck program v1\nr0 = open(0, primary\n');
    writeFileSync(join(d, 'corpus', 'foreign.prog'), printText({ meta: { devices: ['bochs'] }, calls: extra.calls }));
    writeFileSync(join(d, 'corpus', 'notes.txt'), 'hello');
    const problems: string[] = [];
    const s2 = await runFuzz(opts(d, 800, [], { onProblem: (p) => problems.push(`${p.file}: ${p.reason}`) }));
    expect(s2.execs).toBe(s1.execs + 800);
    expect(s2.sessions).toBe(2);
    expect(problems.some((p) => /corrupt\.prog:\d+:\d+: /.test(p))).toBe(true);
    expect(problems.some((p) => p.includes('foreign.prog') && p.includes('foreign'))).toBe(true);
    expect(problems.some((p) => p.includes('notes.txt'))).toBe(true);
    const after = files(d);
    for (const f of [...before, unlisted, 'x.prog.123.tmp', 'corrupt.prog', 'foreign.prog', 'notes.txt']) expect(after).toContain(f); // nothing deleted
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    expect(m.programs[unlisted.replace('.prog', '')].signal.length).toBeGreaterThan(0); // measured on resume
    expect(stats(d).execs).toBe(s2.execs);
  });

  it('an abort stops between batches with everything saved', async () => {
    const d = fresh();
    const ac = new AbortController();
    let ticks = 0;
    const st = await runFuzz(opts(d, 1_000_000, [], { timeMs: 60_000, signal: ac.signal, batch: 50, onStatus: () => ++ticks >= 1 && ac.abort() }));
    expect(st.interrupted).toBe(true);
    expect(stats(d).interrupted).toBe(true);
    expect(loadCorpus(d).entries.length).toBe(st.corpus);
  });

  it('corpus minimization keeps every signal element', async () => {
    const d = fresh();
    await runFuzz(opts(d, 1000));
    const l = loadCorpus(d);
    const { kept, total } = coverSet(l.entries);
    const s = new Set(kept.flatMap((e) => e.signal!));
    expect(s.size).toBe(total);
    expect(kept.length).toBeLessThanOrEqual(l.entries.length);
  });
});
