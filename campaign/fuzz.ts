/**
 * `gemcheck fuzz`: a coverage-guided campaign over a corpus folder (syzkaller's manager +
 * fuzzer, libFuzzer's -jobs/-max_total_time). Engines (campaign/engine.ts) mutate and run
 * programs — in-process with one worker (fully deterministic: the same --seed and --execs
 * give the same corpus), or on a tinypool of worker threads (the corpus then depends on
 * scheduling: which worker finds a signal first). New-signal programs go to DIR/corpus/
 * (campaign/corpus.ts); failures to DIR/findings/<signature>/ — the first hit's program,
 * the seed and exec that made it, its diff, the minimized program (same signature, 1-minimal
 * unless the budget ran out) and a C reproducer — deduplicated by signature, counting hits.
 * DIR/stats.json is written every second and at the end; an interrupt or the budget stops
 * the loop between batches with everything saved, and a restart on DIR resumes from it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Tinypool from 'tinypool';
import { printText } from '../ir/encoding.ts';
import type { Program, ProgramMeta } from '../ir/program.ts';
import type { TargetConfig } from '../ir/target.ts';
import { describeFailure } from '../harness/render.ts';
import { isSync, judgeBatch, judgeSync } from '../harness/run.ts';
import type { Pairing } from '../harness/pairing.ts';
import { signature, type Finding } from '../harness/verdict.ts';
import { minimizeFull, minimizeFullAsync, type MinimizeResult } from '../fuzz/minimize.ts';
import { diffSignal, mergeSignal, type Signal } from '../fuzz/signal.ts';
import { Corpus, writeAtomic, type Problem } from './corpus.ts';
import { Engine, signalOf, type BatchResult, type FoundFailure } from './engine.ts';
import { slug } from './failure-store.ts';

export const STATS_FORMAT = 'gemcheck-fuzz-stats/1';

export interface FuzzStatus {
  readonly format: string;
  /** every exec of the campaign, earlier sessions included */
  execs: number;
  /** this session's */
  sessionExecs: number;
  /** programs/s over this session */
  execsPerSec: number;
  corpus: number;
  signal: number;
  findings: number;
  /** distinct bug keys: findings whose smallest failing program (of any signature) shares a
   * signature are counted as one bug (a heuristic over the signature dedup) */
  bugs: number;
  hits: number;
  notRun: number;
  /** seconds since the last new signal (this session), or null */
  lastNewSignal: number | null;
  /** seconds, earlier sessions included */
  elapsed: number;
  workers: number;
  seed: string;
  sessions: number;
  done: boolean;
  interrupted: boolean;
}

export interface FindingRecord {
  readonly signature: string;
  hits: number;
  readonly first: { readonly where: string; readonly seed: string; readonly at: string };
  readonly calls?: { readonly before: number; readonly after: number; readonly oneMinimal: boolean; readonly ms: number };
  /** the signature of the smallest program minimization reaches when any failure counts:
   * signatures of one bug (the same planted fault seen at gem_close, close and exit) meet here */
  readonly bug?: string;
}

/** What a pool worker needs to build its own engine (serializable). */
export interface WorkerInit {
  readonly seed: string;
  readonly cfg: { readonly devices: readonly string[]; readonly deviceParams?: unknown; readonly profile: string };
  readonly faults: readonly string[];
  readonly meta: ProgramMeta;
  readonly maxCalls: number;
}

export interface WorkerTask {
  readonly init: WorkerInit;
  readonly count: number;
  /** corpus entries from the log, starting at `from` (origin: the worker that found it) */
  readonly from: number;
  readonly items: readonly { readonly origin: number; readonly program: Program; readonly signal: number[] }[];
}

export interface WorkerReply {
  readonly worker: number;
  /** log entries it has learnt */
  readonly known: number;
  readonly result: BatchResult;
}

export interface FuzzOptions {
  readonly dir: string;
  readonly seed: string;
  readonly cfg: TargetConfig;
  /** header of the campaign's programs: devices, profile, faults */
  readonly meta: ProgramMeta;
  readonly maxCalls: number;
  readonly workers: number;
  readonly execs?: number;
  readonly timeMs?: number;
  /** the main thread's pairing: runs --workers 1, resumed programs and triage */
  readonly pairing: Pairing;
  readonly cover?: () => Set<number>;
  /** the pool worker module (cli/fuzz-worker.mjs) and what it needs */
  readonly workerFile?: URL;
  readonly faults?: readonly string[];
  /** programs per batch (default 200 in-process, 1000 per worker task, 500 through a VM) */
  readonly batch?: number;
  /** triage budget per new finding (default 10 s) */
  readonly minimizeMs?: number;
  /** programs to start an empty corpus from (checked-in seeds) */
  readonly seeds?: readonly Program[];
  readonly signal?: AbortSignal;
  /** C reproducer for a minimized program (campaign/ does not write C itself) */
  readonly repro?: (p: Program) => string;
  /** the command that replays a finding file (informational header) */
  readonly command?: string;
  onStatus?(s: FuzzStatus): void;
  onProblem?(p: Problem): void;
  onFinding?(sig: string, rec: FindingRecord, dir: string): void;
}

const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

function loadFindings(dir: string, problems: Problem[]): Map<string, FindingRecord> {
  const m = new Map<string, FindingRecord>();
  if (!existsSync(dir)) return m;
  for (const d of readdirSync(dir)) {
    const f = join(dir, d, 'finding.json');
    try {
      const rec = JSON.parse(readFileSync(f, 'utf8')) as FindingRecord;
      if (typeof rec.signature !== 'string' || typeof rec.hits !== 'number') throw new Error('no signature or hits');
      m.set(rec.signature, rec);
    } catch (e) {
      problems.push({ file: f, reason: `unreadable finding (${(e as Error).message}); its signature starts afresh` });
    }
  }
  return m;
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzStatus> {
  const t0 = performance.now();
  const problems: Problem[] = [];
  const { corpus, problems: cp } = Corpus.open(o.dir, o.meta);
  problems.push(...cp);
  const findingsDir = join(o.dir, 'findings');
  mkdirSync(findingsDir, { recursive: true });
  const findings = loadFindings(findingsDir, problems);
  const statsPath = join(o.dir, 'stats.json');
  let prev: Partial<FuzzStatus> = {};
  if (existsSync(statsPath))
    try {
      prev = JSON.parse(readFileSync(statsPath, 'utf8')) as FuzzStatus;
    } catch (e) {
      problems.push({ file: statsPath, reason: `unreadable stats (${(e as Error).message}); counts start at 0` });
    }
  for (const p of problems) o.onProblem?.(p);
  const execsBefore = prev.execs ?? 0;
  const elapsedBefore = prev.elapsed ?? 0;
  const sessions = (prev.sessions ?? 0) + 1;
  // a resumed campaign draws a new stream: the seed and how far the campaign had come
  const seed = execsBefore ? `${o.seed}@${execsBefore}` : o.seed;
  const st: FuzzStatus = {
    format: STATS_FORMAT, execs: execsBefore, sessionExecs: 0, execsPerSec: 0, corpus: 0, signal: 0, findings: findings.size, bugs: 0,
    hits: [...findings.values()].reduce((a, f) => a + f.hits, 0), notRun: prev.notRun ?? 0, lastNewSignal: null,
    elapsed: elapsedBefore, workers: o.workers, seed: o.seed, sessions, done: false, interrupted: false,
  };
  const maxSignal: Signal = new Set();
  /** every corpus program, in the order the workers learn them */
  const log: { origin: number; program: Program; signal: number[] }[] = [];
  const engine = new Engine({ seed: `${seed}:w0`, cfg: o.cfg, pairing: o.pairing, meta: o.meta, maxCalls: o.maxCalls, cover: o.cover });
  let lastNew = -1;
  const addInput = (p: Program, s: Iterable<number>, provenance: string, origin: number): boolean => {
    const fresh = diffSignal(maxSignal, s);
    if (!fresh.length) return false;
    mergeSignal(maxSignal, s);
    const sig = [...s];
    if (!corpus.add(p, sig, provenance, false)) return false;
    log.push({ origin, program: { meta: o.meta, calls: p.calls }, signal: sig });
    lastNew = performance.now();
    return true;
  };

  // resume: what the manifest knows is learnt; what it does not (a kill before the manifest
  // was written, or a merged-in program) runs again for its signal
  const runOne = async (p: Program) => {
    o.cover?.();
    const [j] = isSync(o.pairing) ? [judgeSync(o.pairing, p, o.cfg)] : await judgeBatch(o.pairing, [p], o.cfg, o.signal);
    return { j, hits: o.cover?.() };
  };
  for (const e of corpus.entries.values()) {
    if (!e.signal) {
      const { j, hits } = await runOne(e.program);
      e.signal = [...signalOf(e.program, j, hits)].sort((a, b) => a - b);
    }
    mergeSignal(maxSignal, e.signal);
    log.push({ origin: -1, program: e.program, signal: e.signal });
    engine.learn(e.program, e.signal);
  }
  if (!corpus.entries.size && o.seeds)
    for (const p of o.seeds) {
      const q: Program = { meta: o.meta, calls: p.calls };
      const { j, hits } = await runOne(q);
      if (j.verdict.status !== 'pass') continue;
      const s = signalOf(q, j, hits);
      if (addInput(q, s, 'seed corpus', -1)) engine.learn(q, s);
    }
  corpus.saveManifest();

  const writeFinding = async (f: FoundFailure, workerSeed: string) => {
    const known = findings.get(f.signature);
    if (known) {
      known.hits++;
      return;
    }
    const fdir = join(findingsDir, slug(f.signature, 120));
    mkdirSync(fdir, { recursive: true });
    const meta: ProgramMeta = { ...o.meta, signature: f.signature, ...(o.command ? { command: o.command } : {}) };
    writeAtomic(join(fdir, 'program.prog'), printText({ meta, calls: f.program.calls }));
    const t = performance.now();
    const sameSig = (j: { verdict: { status: string; finding?: Finding } }, p: Program) => j.verdict.status === 'fail' && signature(p, j.verdict.finding!) === f.signature;
    const mo = { failingCall: f.finding.index, deadline: t + (o.minimizeMs ?? 10_000), signal: o.signal };
    const m: MinimizeResult = isSync(o.pairing)
      ? minimizeFull(f.program, (p) => sameSig(judgeSync(o.pairing, p, o.cfg), p), mo)
      : await minimizeFullAsync(f.program, async (p) => sameSig((await judgeBatch(o.pairing, [p], o.cfg, o.signal))[0], p), mo);
    const ms = Math.round(performance.now() - t);
    const small = m.program;
    // the minimized program's own finding, for its diff
    const [again] = isSync(o.pairing) ? [judgeSync(o.pairing, small, o.cfg)] : await judgeBatch(o.pairing, [small], o.cfg, o.signal);
    const finding = again.verdict.status === 'fail' ? again.verdict.finding : f.finding;
    const shown = again.verdict.status === 'fail' ? small : f.program;
    writeAtomic(join(fdir, 'minimized.prog'), printText({ meta, calls: small.calls }));
    writeAtomic(join(fdir, 'diff.txt'), `${describeFailure(shown, finding, o.pairing.reference.name, o.pairing.candidate?.name)}\nsignature: ${f.signature}\n`);
    writeAtomic(join(fdir, 'seed.txt'), `campaign seed: ${o.seed}\nengine seed: ${workerSeed}\nfirst hit: ${f.where}\n`);
    if (o.repro) writeAtomic(join(fdir, 'repro.c'), o.repro({ meta, calls: small.calls }));
    // the bug key: minimize on, any failure counting
    const anyFail = { failingCall: finding.index, deadline: performance.now() + Math.min(2000, o.minimizeMs ?? 10_000), signal: o.signal };
    const fails = (j: { verdict: { status: string } }) => j.verdict.status === 'fail';
    const k = isSync(o.pairing)
      ? minimizeFull(small, (p) => fails(judgeSync(o.pairing, p, o.cfg)), anyFail)
      : await minimizeFullAsync(small, async (p) => fails((await judgeBatch(o.pairing, [p], o.cfg, o.signal))[0]), anyFail);
    const [kj] = isSync(o.pairing) ? [judgeSync(o.pairing, k.program, o.cfg)] : await judgeBatch(o.pairing, [k.program], o.cfg, o.signal);
    const bug = kj.verdict.status === 'fail' ? signature(k.program, kj.verdict.finding) : f.signature;
    const rec: FindingRecord = {
      signature: f.signature, hits: 1, first: { where: f.where, seed: workerSeed, at: new Date().toISOString() },
      calls: { before: f.program.calls.length, after: small.calls.length, oneMinimal: m.oneMinimal, ms }, bug,
    };
    findings.set(f.signature, rec);
    writeAtomic(join(fdir, 'finding.json'), JSON.stringify(rec, null, 1) + '\n');
    o.onFinding?.(f.signature, rec, fdir);
  };

  const flush = (final: boolean) => {
    const now = performance.now();
    const secs = (now - t0) / 1000;
    st.execsPerSec = Math.round(st.sessionExecs / Math.max(secs, 1e-3));
    st.corpus = corpus.entries.size;
    st.signal = maxSignal.size;
    st.findings = findings.size;
    st.bugs = new Set([...findings.values()].map((f) => f.bug ?? f.signature)).size;
    st.hits = [...findings.values()].reduce((a, f) => a + f.hits, 0);
    st.lastNewSignal = lastNew < 0 ? null : Math.round((now - lastNew) / 1000);
    st.elapsed = Math.round((elapsedBefore + secs) * 10) / 10;
    st.done = final;
    corpus.saveManifest();
    for (const [sig, rec] of findings) {
      const f = join(findingsDir, slug(sig, 120), 'finding.json');
      if (existsSync(join(findingsDir, slug(sig, 120)))) writeAtomic(f, JSON.stringify(rec, null, 1) + '\n');
    }
    writeAtomic(statsPath, JSON.stringify(st, null, 1) + '\n');
    o.onStatus?.(st);
  };

  const absorb = async (r: BatchResult, origin: number, workerSeed: string) => {
    st.execs += r.execs;
    st.sessionExecs += r.execs;
    st.notRun += r.notRun;
    for (const n of r.news) addInput(n.program, n.signal, n.provenance, origin);
    for (const f of r.failures) await writeFinding(f, workerSeed);
  };

  const deadline = o.timeMs !== undefined ? t0 + o.timeMs : Infinity;
  const budgetLeft = () => (o.execs !== undefined ? o.execs - st.sessionExecs : Infinity);
  const stop = () => o.signal?.aborted || performance.now() >= deadline || budgetLeft() <= 0;
  let lastTick = performance.now();
  const tick = () => {
    if (performance.now() - lastTick >= 1000) {
      lastTick = performance.now();
      flush(false);
    }
  };

  if (o.workers <= 1 || !o.workerFile) {
    const batch = o.batch ?? (isSync(o.pairing) ? 200 : 500);
    while (!stop()) {
      const n = Math.min(batch, budgetLeft());
      const r = await engine.runAsync(n, o.signal);
      await absorb(r, 0, `${seed}:w0`);
      tick();
      await yieldToEvents();
    }
  } else {
    const pool = new Tinypool({ filename: o.workerFile.href, minThreads: o.workers, maxThreads: o.workers, isolateWorkers: false });
    const init: WorkerInit = { seed, cfg: { devices: o.cfg.devices, deviceParams: o.cfg.deviceParams, profile: o.cfg.profile.name }, faults: o.faults ?? [], meta: o.meta, maxCalls: o.maxCalls };
    const known = new Map<number, number>();
    let submitted = 0;
    const batch = o.batch ?? 1000;
    const submit = (): Promise<WorkerReply> | undefined => {
      const left = o.execs !== undefined ? o.execs - submitted : Infinity;
      if (left <= 0 || stop()) return undefined;
      const count = Math.min(batch, left);
      submitted += count;
      // what the slowest worker lacks (each skips what it has and what it found itself)
      const from = known.size < o.workers ? 0 : Math.min(...known.values());
      const task: WorkerTask = { init, count, from, items: log.slice(from) };
      return pool.run(task) as Promise<WorkerReply>;
    };
    const inflight = new Set<Promise<{ reply: WorkerReply; self: Promise<unknown> }>>();
    const launch = () => {
      const p = submit();
      if (!p) return;
      const wrapped: Promise<{ reply: WorkerReply; self: Promise<unknown> }> = p.then((reply) => ({ reply, self: wrapped }));
      wrapped.catch(() => undefined); // a batch cut off by pool.destroy() below rejects unobserved
      inflight.add(wrapped);
    };
    // Ctrl-C: batches in flight get CUT_MS to come back (a batch is well under a second), then
    // the workers are terminated — so a signal during their start-up (seconds under tsx) or a
    // slow batch still stops the campaign within a second; what came back is saved
    const CUT_MS = 500;
    let cutTimer: ReturnType<typeof setTimeout> | undefined;
    const cut = new Promise<'cut'>((resolve) => {
      if (!o.signal) return;
      const later = () => void (cutTimer = setTimeout(() => resolve('cut'), CUT_MS));
      if (o.signal.aborted) later();
      else o.signal.addEventListener('abort', later, { once: true });
    });
    try {
      for (let k = 0; k < o.workers; k++) launch();
      while (inflight.size) {
        const next = await Promise.race([Promise.race(inflight), cut]);
        if (next === 'cut') break;
        const { reply, self } = next;
        inflight.delete(self as Promise<{ reply: WorkerReply; self: Promise<unknown> }>);
        known.set(reply.worker, reply.known);
        await absorb(reply.result, reply.worker, `${seed}:w${reply.worker}`);
        tick();
        launch();
      }
    } finally {
      clearTimeout(cutTimer);
      await pool.destroy();
    }
  }
  st.interrupted = !!o.signal?.aborted;
  flush(true);
  return st;
}
