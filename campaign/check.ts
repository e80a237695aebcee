/**
 * `gemcheck check`: seeded random programs through a pairing of targets (model vs impl,
 * model vs kernel, impl vs kernel), one loop for every pair, sync or async. Program i of seed
 * S is generated from "S:i" on demand (constant memory for any --runs), so any failure
 * replays alone with `--only i`. Failures are minimized to the same signature, reported and
 * saved; the loop yields to the event loop between batches, so an interrupt stops it at once.
 */
import { printText } from '../ir/encoding.ts';
import { IOCTLS } from '../ir/ioctls.ts';
import type { Program, ProgramMeta } from '../ir/program.ts';
import type { TargetConfig } from '../ir/target.ts';
import { describeFailure } from '../harness/render.ts';
import { isSync, judgeBatch, type Judged } from '../harness/run.ts';
import type { Pairing } from '../harness/pairing.ts';
import { signature, type Finding, type Verdict } from '../harness/verdict.ts';
import { programAt } from '../fuzz/generate.ts';
import { minimizeSteps } from '../fuzz/minimize.ts';
import { slug, type FailureStore } from './failure-store.ts';
import { shellJoin } from './shell.ts';


/** Program indices, counted with the first few kept (constant memory). */
export interface Tally {
  count: number;
  readonly indices: number[];
  /** the first reason seen */
  reason?: string;
}
const KEEP_INDICES = 50;
function tally(t: Tally | undefined, i: number, reason?: string): Tally {
  const x = t ?? { count: 0, indices: [] };
  x.reason ??= reason;
  x.count++;
  if (x.indices.length < KEEP_INDICES) x.indices.push(i);
  return x;
}

export interface CheckStats {
  programs: number;
  calls: number;
  /** calls that are ioctls (the rest: open/close/dup/mmap/memory accesses) */
  ioctls: number;
  passed: number;
  failed: number;
  notRun: Tally;
  /** by known divergence name */
  readonly known: Map<string, Tally>;
  interrupted: boolean;
  /** the first program index not judged (where an interrupted run would go on) */
  next: number;
  ms: number;
}

export interface FailureRecord {
  readonly index: number;
  /** minimized (or the original, with minimize off) */
  readonly program: Program;
  readonly finding: Finding;
  readonly signature: string;
  /** the shell-quoted command that replays it */
  readonly replay: string;
  readonly report: string;
  readonly savedAs?: string;
}

export interface CheckOptions {
  readonly seed: string;
  readonly runs: number;
  /** the first program's index (default 0): programs from .. from+runs-1 run */
  readonly from?: number;
  readonly only?: number;
  readonly maxCalls: number;
  readonly cfg: TargetConfig;
  readonly pairing: Pairing;
  /** the header of generated programs (devices, profile, faults): a saved file replays alone */
  readonly meta: ProgramMeta;
  /** programs per batch; default 64 in-process, 1000 through a VM (keeps its window full) */
  readonly batch?: number;
  readonly minimize?: boolean;
  readonly signal?: AbortSignal;
  readonly store?: FailureStore;
  /** argv after `gemcheck` that replays program i alone */
  replay(i: number): readonly string[];
  onProgress?(s: CheckStats): void;
  onFailure?(f: FailureRecord): void;
  /** every program judged (not interrupted), in index order: what a report needs beyond the tallies */
  onJudged?(index: number, program: Program, judged: Judged): void;
}

const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

async function minimizeFailure(o: CheckOptions, p: Program, sig: string, failingCall: number): Promise<Program> {
  const steps = minimizeSteps(p, failingCall);
  let r = steps.next();
  while (!r.done) {
    if (o.signal?.aborted) return p;
    const [j] = await judgeBatch(o.pairing, [r.value], o.cfg, o.signal);
    const v = j.verdict;
    r = steps.next(v.status === 'fail' && signature(r.value, v.finding) === sig);
  }
  return r.value;
}

export async function runCheck(o: CheckOptions): Promise<CheckStats> {
  const t0 = performance.now();
  const first = o.only ?? o.from ?? 0;
  const end = o.only !== undefined ? o.only + 1 : first + o.runs;
  const st: CheckStats = { programs: 0, calls: 0, ioctls: 0, passed: 0, failed: 0, notRun: { count: 0, indices: [] }, known: new Map(), interrupted: false, next: first, ms: 0 };
  const batchSize = o.batch ?? (isSync(o.pairing) ? 64 : 1000);
  let lastTick = t0;
  const aborted = () => (o.signal?.aborted ? (st.interrupted = true) : false);
  for (let b = first; b < end && !aborted(); b += batchSize) {
    const idx: number[] = [];
    for (let i = b; i < Math.min(end, b + batchSize); i++) idx.push(i);
    const progs = idx.map((i) => programAt(o.seed, i, o.maxCalls, o.cfg.devices.length, o.meta));
    const judged = await judgeBatch(o.pairing, progs, o.cfg, o.signal);
    for (let j = 0; j < progs.length; j++) {
      const p = progs[j];
      const i = idx[j];
      const v: Verdict = judged[j].verdict;
      if (v.status === 'interrupted') {
        st.interrupted = true;
        break;
      }
      st.next = i + 1;
      o.onJudged?.(i, p, judged[j]);
      if (v.status === 'not-run') {
        st.notRun = tally(st.notRun, i, v.reason);
        continue;
      }
      st.programs++;
      st.calls += p.calls.length;
      for (const c of p.calls) if (IOCTLS[c.op] !== undefined) st.ioctls++;
      if (v.status === 'pass') {
        st.passed++;
        if (v.known) st.known.set(v.known, tally(st.known.get(v.known), i));
        continue;
      }
      st.failed++;
      o.onFailure?.(await recordFailure(o, p, i, v.finding));
      if (aborted()) break;
    }
    const now = performance.now();
    st.ms = now - t0;
    if (o.onProgress && now - lastTick > 1000) {
      lastTick = now;
      o.onProgress(st);
    }
    await yieldToEvents();
  }
  if (st.next < end) aborted();
  st.ms = performance.now() - t0;
  return st;
}

async function recordFailure(o: CheckOptions, p: Program, i: number, finding: Finding): Promise<FailureRecord> {
  const sig = signature(p, finding);
  let small = p;
  let f = finding;
  if (o.minimize !== false) {
    small = await minimizeFailure(o, p, sig, finding.index);
    const [again] = await judgeBatch(o.pairing, [small], o.cfg, o.signal);
    if (again.verdict.status === 'fail' && signature(small, again.verdict.finding) === sig) f = again.verdict.finding;
    else small = p; // interrupted while minimizing, or not reproducible: keep the original
  }
  const replay = shellJoin(['npx', 'gemcheck', ...o.replay(i)]);
  const file: Program = { meta: { ...o.meta, command: replay, signature: sig }, calls: small.calls };
  // the seed is slugged on its own so that a long one never cuts the index off the name
  const savedAs = o.store?.save(`seed-${slug(o.seed, 64)}-${i}`, printText(file));
  const pr = o.pairing;
  const report = `${describeFailure(small, f, pr.reference.name, pr.candidate?.name)}\nsignature: ${sig}\nreplay: ${replay}${savedAs ? `\nsaved: ${savedAs}` : ''}`;
  return { index: i, program: file, finding: f, signature: sig, replay, report, savedAs };
}
