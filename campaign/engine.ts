/**
 * The fuzzing engine one thread runs (syzkaller's fuzzer proc): it makes a batch of programs
 * — mostly mutations of corpus programs, sometimes fresh ones — runs them through a pairing,
 * and keeps what has signal its copy of the campaign's max signal lacks, and every failure.
 * The same engine runs in-process (`--workers 1`, fully deterministic from the seed) and in
 * each pool worker (campaign/fuzz-worker.ts), which receives the corpus others found as
 * deltas. Every random choice comes from `seed`.
 */
import type { Program, ProgramMeta } from '../ir/program.ts';
import type { ProgramResult, TargetConfig } from '../ir/target.ts';
import { judgeBatch, judgeSync, isSync, type Judged } from '../harness/run.ts';
import type { Pairing } from '../harness/pairing.ts';
import { signature, type Finding } from '../harness/verdict.ts';
import { generateProgram, uapiOf } from '../fuzz/generate.ts';
import type { GenOptions } from '../fuzz/analysis.ts';
import { mutate } from '../fuzz/mutate.ts';
import { chance, pick, seededRand, type Rand } from '../fuzz/rand.ts';
import { mergeSignal, outcomeSignal, type Signal } from '../fuzz/signal.ts';

/** Share of a batch that is freshly generated (the rest: mutations of the corpus). */
const FRESH = 0.1;

export interface NewInput {
  readonly program: Program;
  readonly signal: number[];
  readonly provenance: string;
}

export interface FoundFailure {
  readonly program: Program;
  readonly finding: Finding;
  readonly signature: string;
  /** the engine's seed and exec number: the program is the n-th of that seed's stream */
  readonly where: string;
}

export interface BatchResult {
  execs: number;
  calls: number;
  notRun: number;
  readonly news: NewInput[];
  readonly failures: FoundFailure[];
}

export interface EngineOptions {
  readonly seed: string;
  readonly cfg: TargetConfig;
  readonly pairing: Pairing;
  readonly meta: ProgramMeta;
  readonly maxCalls: number;
  /** takes the coverage collected since the last call (impl/cover.ts coverTake), for
   * targets with coverage points; absent: the (call, outcome) signal alone */
  readonly cover?: () => Set<number>;
}

/** The signal one run gave: coverage collected during it and (op, outcome) of the candidate. */
export function signalOf(p: Program, j: Judged, hits: Set<number> | undefined): Signal {
  const s: Signal = hits ?? new Set();
  const r: ProgramResult | undefined = j.candidate ?? j.reference;
  if (r) outcomeSignal(p, r.outcomes, s);
  return s;
}

export class Engine {
  readonly corpus: Program[] = [];
  readonly maxSignal: Signal = new Set();
  private readonly r: Rand;
  private readonly gen: GenOptions;
  private n = 0;
  constructor(readonly o: EngineOptions) {
    this.r = seededRand(o.seed);
    this.gen = { maxCalls: o.maxCalls, devices: o.cfg.devices.length, uapi: uapiOf(o.cfg.devices), deviceUapi: o.cfg.devices.map((d) => uapiOf([d])) };
  }

  /** Programs another engine (or a resumed corpus) found: into the pool and the max signal. */
  learn(p: Program, signal: Iterable<number>): void {
    this.corpus.push(p);
    mergeSignal(this.maxSignal, signal);
  }

  private next(): { p: Program; how: string } {
    if (!this.corpus.length || chance(this.r, FRESH)) return { p: generateProgram(this.r, this.gen, this.o.meta), how: 'generated' };
    const base = pick(this.r, this.corpus);
    return { p: mutate(this.r, base, { o: this.gen, other: () => pick(this.r, this.corpus) }), how: 'mutated' };
  }

  private absorb(out: BatchResult, p: Program, how: string, j: Judged, hits: Set<number> | undefined, where: string): void {
    const v = j.verdict;
    if (v.status === 'not-run') {
      out.notRun++;
      return;
    }
    if (v.status === 'interrupted') return;
    out.execs++;
    out.calls += p.calls.length;
    if (v.status === 'fail') out.failures.push({ program: p, finding: v.finding, signature: signature(p, v.finding), where });
    const s = signalOf(p, j, hits);
    let fresh = false;
    for (const x of s) if (!this.maxSignal.has(x)) {
      fresh = true;
      break;
    }
    // a failing program enters the corpus only through its findings folder: mutating it
    // would mostly find the same bug again
    if (!fresh || v.status === 'fail') return;
    mergeSignal(this.maxSignal, s);
    const q: Program = { meta: this.o.meta, calls: p.calls };
    this.corpus.push(q);
    out.news.push({ program: q, signal: [...s], provenance: `${how}, ${where}` });
  }

  /** `count` programs, synchronously (in-process targets). */
  runSync(count: number): BatchResult {
    const out: BatchResult = { execs: 0, calls: 0, notRun: 0, news: [], failures: [] };
    for (let k = 0; k < count; k++) {
      const { p, how } = this.next();
      const where = `seed ${this.o.seed} exec ${this.n++}`;
      this.o.cover?.();
      const j = judgeSync(this.o.pairing, p, this.o.cfg);
      this.absorb(out, p, how, j, this.o.cover?.(), where);
    }
    return out;
  }

  /** `count` programs as one batch (the VM: one round trip); no coverage. */
  async runAsync(count: number, signal?: AbortSignal): Promise<BatchResult> {
    if (isSync(this.o.pairing)) return this.runSync(count);
    const made: { p: Program; how: string; where: string }[] = [];
    for (let k = 0; k < count; k++) made.push({ ...this.next(), where: `seed ${this.o.seed} exec ${this.n++}` });
    const judged = await judgeBatch(this.o.pairing, made.map((m) => m.p), this.o.cfg, signal);
    const out: BatchResult = { execs: 0, calls: 0, notRun: 0, news: [], failures: [] };
    judged.forEach((j, i) => this.absorb(out, made[i].p, made[i].how, j, undefined, made[i].where));
    return out;
  }
}
