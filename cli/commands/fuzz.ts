/**
 * `gemcheck fuzz` (a coverage-guided campaign over a corpus folder), `gemcheck corpus
 * merge|minimize|stats`, `gemcheck minimize FILE` and `gemcheck repro FILE`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_DEVICES, printDevices } from '../../ir/devices.ts';
import { parseText, printText } from '../../ir/encoding.ts';
import type { Program, ProgramMeta } from '../../ir/program.ts';
import { DEFAULT_PROFILE, PROFILES, type TargetConfig } from '../../ir/target.ts';
import { pairing } from '../../harness/pairing.ts';
import { configFor, isSync, judgeBatch, judgeSync } from '../../harness/run.ts';
import { signature } from '../../harness/verdict.ts';
import { describeFailure } from '../../harness/render.ts';
import { minimizeFull, minimizeFullAsync } from '../../fuzz/minimize.ts';
import { describeSignal, mergeSignal } from '../../fuzz/signal.ts';
import { Corpus, loadCorpus, programHash, type CorpusEntry, type Problem } from '../../campaign/corpus.ts';
import { runFuzz, type FuzzStatus } from '../../campaign/fuzz.ts';
import { shellJoin } from '../../campaign/shell.ts';
import { coverName, coverTake } from '../../impl/cover.ts';
import { reproSource } from '../../kernel/repro.ts';
import { repoRoot } from '../../kernel/paths.ts';
import { onInterrupt } from '../interrupt.ts';
import { devicesOpt, faultsOpt, intOpt, loadProgram, profileOpt, seedOpt } from '../options.ts';
import { checkFaultsApply, defaultDevices, makeTarget, targetName } from '../targets.ts';
import { EXIT, UsageError } from '../usage.ts';
import { out } from '../output.ts';

/** `10m`, `90s`, `1h`, `500ms`, or plain seconds. */
export function durationOpt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new UsageError(`${flag}: expected a duration like 90s, 10m, 1h; got '${v}'`);
  const n = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (!(n > 0)) throw new UsageError(`${flag}: must be positive, got '${v}'`);
  return n;
}

function statusLine(s: FuzzStatus): string {
  const last = s.lastNewSignal === null ? '-' : `${s.lastNewSignal}s ago`;
  return `  ${s.execs} execs, ${s.execsPerSec}/s, corpus ${s.corpus}, signal ${s.signal}, findings ${s.findings} (${s.bugs} bugs, ${s.hits} hits), last new signal ${last}, elapsed ${s.elapsed.toFixed(0)}s`;
}

const reportProblem = (p: Problem) => process.stderr.write(`gemcheck: skipped ${p.file}: ${p.reason}\n`);

/** Seeds for an empty corpus: corpus/seeds/<first device>/ (checked in), when it exists. */
function seedPrograms(devices: readonly string[], dir?: string): Program[] {
  const d = dir ?? join(repoRoot, 'corpus', 'seeds', devices[0]);
  if (!existsSync(d)) {
    if (dir) throw new UsageError(`--seeds: ${dir}: no such folder`);
    return [];
  }
  return readdirSync(d).filter((f) => f.endsWith('.prog')).sort().map((f) => loadProgram(join(d, f)));
}

interface FuzzFlags {
  corpus: string;
  device?: string[];
  profile?: string;
  time?: string;
  execs?: string;
  workers: string;
  seed: string;
  target: string;
  maxCalls: string;
  fault?: string[];
  seeds?: string;
  minimizeTime: string;
  shard?: string;
}

export function registerFuzz(program: Command): void {
  program
    .command('fuzz')
    .description('a coverage-guided campaign: mutate corpus programs, keep those with new signal in --corpus DIR, save each distinct failure once (minimized, with a C reproducer) under DIR/findings/; resumes on the same DIR')
    .requiredOption('--corpus <dir>', 'the campaign folder: corpus/, manifest.json, findings/, stats.json')
    .option('--device <names...>', `devices open(0), open(1), … name (default ${DEFAULT_DEVICES.join(' ')}; kernel: vgem)`)
    .option('--profile <name>', `kernel profile: ${Object.keys(PROFILES).join(' | ')} (default ${DEFAULT_PROFILE})`)
    .option('--time <d>', 'stop after this long (90s, 10m, 1h)')
    .option('--execs <n>', 'stop after this many programs')
    .option('--workers <k>', 'worker threads (impl); 1 runs in-process and is fully deterministic', '1')
    .option('--seed <s>', 'seed of every random choice (printed)', '1')
    .option('--target <name>', 'the candidate: impl | kernel (Linux in QEMU, one VM, no coverage: (call, outcome) signal)', 'impl')
    .option('--max-calls <m>', 'longest generated program', '24')
    .option('--fault <names...>', 'turn on impl fault switches (to see a campaign find them)')
    .option('--seeds <dir>', 'programs to start an empty corpus from (default corpus/seeds/<first device>/)')
    .option('--minimize-time <d>', 'triage budget per new finding', '10s')
    .option('--shard <i/n>', 'shard i of n (0-based): its own random stream; merge the shards\' corpora with `corpus merge`')
    .action(async (o: FuzzFlags) => {
      let seed = seedOpt(o.seed);
      if (o.shard !== undefined) {
        const m = /^([0-9]+)\/([0-9]+)$/.exec(o.shard);
        if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard: expected i/n with 0 <= i < n, got '${o.shard}'`);
        seed = `${seed}/shard-${m[1]}-of-${m[2]}`;
      }
      const workers = intOpt('--workers', o.workers, 1, 1);
      const maxCalls = intOpt('--max-calls', o.maxCalls, 24, 1);
      const execs = o.execs === undefined ? undefined : intOpt('--execs', o.execs, 0, 1);
      const timeMs = durationOpt('--time', o.time);
      const minimizeMs = durationOpt('--minimize-time', o.minimizeTime)!;
      if (execs === undefined && timeMs === undefined) throw new UsageError('--time or --execs: a campaign needs a budget (Ctrl-C also stops it, with everything saved)');
      const cand = targetName('--target', o.target, ['impl', 'kernel']);
      if (cand === 'kernel' && workers > 1) throw new UsageError('--workers: the kernel target runs one VM (one worker) in this version');
      const faults = faultsOpt(o.fault);
      checkFaultsApply(faults, ['model', cand]);
      const profile = profileOpt(o.profile) ?? DEFAULT_PROFILE;
      const list = devicesOpt(o.device) ?? defaultDevices(['model', cand]);
      const cfg: TargetConfig = { profile: PROFILES[profile], devices: list.devices, ...(list.params ? { deviceParams: list.params } : {}) };
      const reference = makeTarget('model', cfg, faults);
      const candidate = makeTarget(cand, cfg, faults);
      const meta: ProgramMeta = { devices: list.devices, ...(list.params ? { deviceParams: list.params } : {}), profile, ...(faults.size ? { faults: [...faults] } : {}) };
      if (existsSync(o.corpus) && !statSync(o.corpus).isDirectory()) throw new UsageError(`--corpus: ${o.corpus} is not a folder`);
      const seeds = seedPrograms(list.devices, o.seeds);
      const interrupt = onInterrupt();
      const tty = process.stderr.isTTY;
      const command = shellJoin(['npx', 'gemcheck', 'fuzz', '--corpus', o.corpus, '--seed', seed, '--device', printDevices(list).replace(/ /g, ','), '--profile', profile, '--target', cand, ...(faults.size ? ['--fault', [...faults].join(',')] : [])]);
      out(`gemcheck fuzz: model vs ${candidate.name}, seed ${seed}, ${workers} worker${workers > 1 ? 's (the corpus depends on scheduling)' : ' (deterministic)'}, ${timeMs !== undefined ? `${timeMs / 1000} s` : ''}${timeMs !== undefined && execs !== undefined ? ' or ' : ''}${execs !== undefined ? `${execs} execs` : ''}, devices ${list.devices.join('+')}, ${profile}, corpus ${o.corpus}`);
      let st: FuzzStatus;
      let lastPrint = 0;
      try {
        if (candidate.start && !interrupt.signal.aborted) {
          try {
            const what = await candidate.start(interrupt.signal);
            if (what) process.stderr.write(`  ${candidate.name}: ${what}\n`);
          } catch (e) {
            if (!interrupt.signal.aborted) throw new UsageError(`${candidate.name}: ${(e as Error).message}`);
          }
        }
        st = await runFuzz({
          dir: o.corpus, seed, cfg, meta, maxCalls, workers, execs, timeMs, minimizeMs, seeds, command,
          pairing: pairing(reference, candidate),
          cover: cand === 'impl' ? coverTake : undefined,
          workerFile: new URL('../fuzz-worker.mjs', import.meta.url),
          faults: [...faults],
          signal: interrupt.signal,
          repro: (p) => reproSource(p),
          onProblem: reportProblem,
          onStatus: (s) => {
            if (tty) process.stderr.write(`\r\x1b[K${statusLine(s)}`);
            else if (s.done || performance.now() - lastPrint > 10_000) {
              lastPrint = performance.now();
              process.stderr.write(`${statusLine(s)}\n`);
            }
          },
          onFinding: (sig, rec, dir) => {
            if (tty) process.stderr.write('\n');
            const c = rec.calls;
            out(`new finding ${sig}: ${dir}${c ? ` (minimized ${c.before} → ${c.after} calls in ${(c.ms / 1000).toFixed(1)} s${c.oneMinimal ? ', 1-minimal' : ', budget ran out: not known to be 1-minimal'})` : ''}`);
          },
        });
      } finally {
        await reference.close();
        await candidate.close();
        interrupt.dispose();
      }
      if (tty) process.stderr.write('\n');
      out(`${st.sessionExecs} execs this session (${st.execsPerSec} programs/s), ${st.execs} in all; corpus ${st.corpus} programs, signal ${st.signal}; ${st.findings} distinct findings by signature, ${st.bugs} by smallest repro (${st.hits} hits)${st.interrupted ? '; interrupted: everything is saved, the same command resumes' : ''}`);
      process.exitCode = st.interrupted ? EXIT.interrupted : st.findings ? EXIT.finding : EXIT.clean;
    });

  const corpus = program.command('corpus').description('campaign corpora: merge, minimize, stats');

  corpus
    .command('merge <a> <b>')
    .description('the union of two corpora (same devices and profile) into --out; sources are left as they are')
    .requiredOption('--out <dir>', 'the merged corpus (created, or added to)')
    .action((a: string, b: string, o: { out: string }) => {
      const la = loadCorpus(a);
      for (const p of la.problems) reportProblem(p);
      const first = la.entries[0]?.program.meta;
      if (!first) throw new UsageError(`${a}: no readable programs`);
      const lb = loadCorpus(b, first);
      for (const p of lb.problems) reportProblem(p);
      const { corpus: c, problems } = Corpus.open(o.out, first);
      for (const p of problems) reportProblem(p);
      let added = 0;
      for (const e of [...la.entries, ...lb.entries]) if (c.add(e.program, e.signal ?? [], e.provenance ?? 'merged', false)) added++;
      // entries without a manifest signal get an empty one written... keep them unknown instead
      c.saveManifest();
      out(`merged ${la.entries.length} + ${lb.entries.length} programs into ${o.out}: ${added} new, ${c.entries.size} in all`);
      process.exitCode = la.problems.length + lb.problems.length ? EXIT.finding : EXIT.clean;
    });

  corpus
    .command('minimize <dir>')
    .description('the smallest set of programs that keeps the corpus signal (greedy set cover, as afl-cmin), written to --out; nothing is deleted')
    .option('--out <dir>', 'where the kept programs go (default <dir>.min)')
    .action((dir: string, o: { out?: string }) => {
      const l = loadCorpus(dir);
      for (const p of l.problems) reportProblem(p);
      if (!l.entries.length) throw new UsageError(`${dir}: no readable programs`);
      const unknown = l.entries.filter((e) => !e.signal).length;
      const { kept, total } = coverSet(l.entries);
      const outDir = o.out ?? `${dir.replace(/\/+$/, '')}.min`;
      const { corpus: c } = Corpus.open(outDir, l.entries[0].program.meta);
      for (const e of kept) c.add(e.program, e.signal ?? [], e.provenance, false);
      c.saveManifest();
      out(`${l.entries.length} → ${kept.length} programs keep all ${total} signal elements; written to ${outDir}${unknown ? ` (${unknown} programs had no signal in the manifest and were not considered)` : ''}`);
    });

  corpus
    .command('stats <dir>')
    .description('programs, calls, signal and problems of a corpus (exit 1 if any file was skipped)')
    .option('--top <n>', 'how many signal elements by name to list', '0')
    .action((dir: string, o: { top: string }) => {
      const top = intOpt('--top', o.top, 0);
      if (!existsSync(dir)) throw new UsageError(`${dir}: no such folder`);
      const l = loadCorpus(dir);
      for (const p of l.problems) reportProblem(p);
      const sig = new Set<number>();
      const calls = l.entries.map((e) => e.program.calls.length).sort((x, y) => x - y);
      const ops = new Map<string, number>();
      for (const e of l.entries) {
        if (e.signal) mergeSignal(sig, e.signal);
        for (const c of e.program.calls) ops.set(c.op, (ops.get(c.op) ?? 0) + 1);
      }
      const findings = existsSync(join(dir, 'findings')) ? readdirSync(join(dir, 'findings')) : [];
      let stats = '';
      if (existsSync(join(dir, 'stats.json')))
        try {
          const s = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as FuzzStatus;
          stats = `campaign: ${s.execs} execs over ${s.sessions} session(s), ${s.elapsed} s, last ${s.execsPerSec} programs/s`;
        } catch {
          stats = 'campaign: stats.json unreadable';
        }
      const median = calls.length ? calls[calls.length >> 1] : 0;
      out(`${dir}: ${l.entries.length} programs (${l.manifest ? `manifest ${l.manifest.format}` : 'no manifest'}; devices ${l.manifest?.devices ?? devicesOf(l.entries)}, ${l.manifest?.profile || DEFAULT_PROFILE})`);
      out(`calls: median ${median}, max ${calls[calls.length - 1] ?? 0}, ${calls.reduce((a, b) => a + b, 0)} in all`);
      out(`signal: ${sig.size} elements (${l.entries.filter((e) => !e.signal).length} programs not yet measured)`);
      out(`ops: ${[...ops].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      if (findings.length) out(`findings: ${findings.length} (${join(dir, 'findings')})`);
      if (stats) out(stats);
      if (top) for (const x of [...sig].slice(0, top)) out(`  ${describeSignal(x, coverName)}`);
      out(l.problems.length ? `${l.problems.length} files skipped` : 'no problems');
      process.exitCode = l.problems.length ? EXIT.finding : EXIT.clean;
    });

  program
    .command('minimize <file>')
    .description('reduce a failing program keeping its failure signature: trailing calls, unrelated calls, one by one to a fixpoint (1-minimal), simpler arguments')
    .option('--time <d>', 'budget (the result is 1-minimal unless it runs out, which is said)', '60s')
    .option('--target <name>', 'the candidate: impl | kernel', 'impl')
    .option('--reference <name>', 'what the candidate is held to: model | impl', 'model')
    .option('--device <names...>', 'devices (default: the file header)')
    .option('--profile <name>', 'kernel profile (default: the file header)')
    .option('--fault <names...>', 'impl fault switches, besides the header\'s')
    .option('--out <file>', 'where the minimized program goes (default <file>.min.prog; never overwritten)')
    .action(async (file: string, o: { time: string; target: string; reference: string; device?: string[]; profile?: string; fault?: string[]; out?: string }) => {
      const budget = durationOpt('--time', o.time)!;
      const cand = targetName('--target', o.target, ['impl', 'kernel']);
      const ref = targetName('--reference', o.reference, ['model', 'impl']);
      if (ref === cand) throw new UsageError(`--reference and --target are both ${ref}`);
      const p = loadProgram(file);
      const faults = new Set([...faultsOpt(p.meta.faults), ...faultsOpt(o.fault)]);
      checkFaultsApply(faults, [ref, cand]);
      const cfg = configFor(p, profileOpt(o.profile), devicesOpt(o.device) ?? (p.meta.devices ? undefined : defaultDevices([ref, cand])));
      const reference = makeTarget(ref, cfg, faults);
      const candidate = makeTarget(cand, cfg, faults);
      const pr = pairing(reference, candidate);
      const interrupt = onInterrupt();
      try {
        for (const t of [reference, candidate]) if (t.start) await t.start(interrupt.signal);
        const run = async (q: Program) => (isSync(pr) ? judgeSync(pr, q, cfg) : (await judgeBatch(pr, [q], cfg, interrupt.signal))[0]);
        const first = await run(p);
        if (first.verdict.status !== 'fail') {
          out(`${file}: does not fail (${first.verdict.status}); nothing to minimize`);
          process.exitCode = first.verdict.status === 'interrupted' ? EXIT.interrupted : EXIT.clean;
          return;
        }
        const sig = signature(p, first.verdict.finding);
        const t0 = performance.now();
        const same = async (q: Program) => {
          const j = await run(q);
          return j.verdict.status === 'fail' && signature(q, j.verdict.finding) === sig;
        };
        const m = await minimizeFullAsync(p, same, { failingCall: first.verdict.finding.index, deadline: t0 + budget, signal: interrupt.signal });
        const secs = (performance.now() - t0) / 1000;
        const meta: ProgramMeta = { ...p.meta, devices: cfg.devices, ...(cfg.deviceParams ? { deviceParams: cfg.deviceParams } : {}), profile: cfg.profile.name, ...(faults.size ? { faults: [...faults] } : {}), signature: sig };
        const small: Program = { meta, calls: m.program.calls };
        const again = await run(small);
        let dest = o.out ?? file.replace(/(\.prog)?$/, '.min.prog');
        for (let n = 2; existsSync(dest); n++) dest = (o.out ?? file.replace(/(\.prog)?$/, '.min.prog')).replace(/\.prog$/, `.${n}.prog`);
        writeFileSync(dest, printText(small), { flag: 'wx' });
        if (again.verdict.status === 'fail') out(describeFailure(small, again.verdict.finding, pr.reference.name, pr.candidate?.name));
        out(`signature: ${sig}`);
        out(`calls: ${p.calls.length} → ${small.calls.length} in ${secs.toFixed(2)} s (${m.steps} runs; ${m.oneMinimal ? '1-minimal: removing any one call loses the failure' : 'the budget ran out: not known to be 1-minimal'})`);
        out(`saved: ${dest}`);
        process.exitCode = interrupt.received() ? EXIT.interrupted : EXIT.finding;
      } finally {
        await reference.close();
        await candidate.close();
        interrupt.dispose();
      }
    });

  program
    .command('repro <file>')
    .description('write a standalone C program (the executor\'s own C, no libdrm) that performs the same calls and prints each result; run it with `gemcheck kernel exec`')
    .option('--out <file>', 'the C file (default <file>.c; never overwritten)')
    .action((file: string, o: { out?: string }) => {
      const p = loadProgram(file);
      let dest = o.out ?? file.replace(/(\.prog)?$/, '.c');
      for (let n = 2; existsSync(dest); n++) dest = (o.out ?? file.replace(/(\.prog)?$/, '.c')).replace(/\.c$/, `.${n}.c`);
      mkdirSync(join(dest, '..'), { recursive: true });
      writeFileSync(dest, reproSource(p), { flag: 'wx' });
      out(`wrote ${dest} (${p.calls.length} calls); build: gcc -O1 -static -o repro ${dest}; in the VM: npx gemcheck kernel exec ${dest}`);
    });
}

const devicesOf = (es: readonly CorpusEntry[]): string => (es[0]?.program.meta.devices ?? []).join(' ') || '?';

/** Greedy set cover: the program adding the most uncovered signal (fewest calls on ties). */
export function coverSet(entries: readonly CorpusEntry[]): { kept: CorpusEntry[]; total: number } {
  const all = new Set<number>();
  for (const e of entries) if (e.signal) mergeSignal(all, e.signal);
  const covered = new Set<number>();
  const kept: CorpusEntry[] = [];
  const left = entries.filter((e) => e.signal?.length).sort((a, b) => a.program.calls.length - b.program.calls.length || (a.hash < b.hash ? -1 : 1));
  while (covered.size < all.size) {
    let best: CorpusEntry | undefined;
    let gain = 0;
    for (const e of left) {
      let g = 0;
      for (const x of e.signal!) if (!covered.has(x)) g++;
      if (g > gain) {
        gain = g;
        best = e;
      }
    }
    if (!best) break;
    kept.push(best);
    mergeSignal(covered, best.signal!);
    left.splice(left.indexOf(best), 1);
  }
  return { kept, total: all.size };
}

export { programHash, parseText };
