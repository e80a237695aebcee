/**
 * gate.json: the one document every gate report is rendered from (junit.xml, summary.md and
 * report.html are views of it). Versioned: `schema` names the version; a change that removes
 * or retypes a field bumps it. Everything under a `timing` key (and `run`) depends on the
 * machine; everything else is the same for the same seed, budget, config and tree.
 * Documented field by field in gate/README.md.
 */
export const GATE_SCHEMA = 'gemcheck-gate/1';

export type StageId = 'corpus' | 'random' | 'canary' | 'kernel';
export const STAGES: readonly StageId[] = ['corpus', 'random', 'canary', 'kernel'];

/** The one check of a canary job: the programs caught the device's known bugs. */
export const CANARY_CHECK = 'caught';

/** The checks a job of random programs is judged by (one JUnit testcase each). */
export const CHECKS = ['agreement', 'self-checks', 'target-health'] as const;
export type CheckName = (typeof CHECKS)[number];

export type Verdict = 'pass' | 'fail' | 'error';

export interface Timing {
  readonly ms: number;
  readonly programsPerSec: number;
  readonly callsPerSec: number;
}

export interface GateFinding {
  /** position in `findings` (referenced by checks and programs) */
  readonly id: number;
  readonly stage: StageId;
  readonly job: string;
  /** the JUnit testcase it fails: a check name, or the corpus file */
  readonly check: string;
  /** program index of the job's seed (random, kernel), or the corpus file */
  readonly index?: number;
  /** the other programs of the job that failed with the same signature (not minimized) */
  readonly alsoAt?: readonly number[];
  readonly file?: string;
  readonly kind: string;
  readonly signature: string;
  /** what went wrong where: the first divergence, failed self-check or expectation */
  readonly description: readonly string[];
  /** the minimized program (text form, with its header) */
  readonly program: string;
  /** the shell command that replays it */
  readonly replay: string;
  /** the saved program file, relative to the report folder */
  readonly savedAs?: string;
}

export interface CheckResult {
  readonly name: string;
  readonly status: 'pass' | 'fail';
  readonly findings: readonly number[];
}

export interface CorpusProgram {
  readonly file: string;
  /** the configuration it ran under (its header's, or the defaults) */
  readonly devices: string;
  readonly profile: string;
  readonly status: 'pass' | 'fail' | 'not-run' | 'not-reached';
  readonly calls: number;
  readonly known?: string;
  readonly reason?: string;
  readonly finding?: number;
}

export interface JobResult {
  /** stage/pair/devices/profile, unique in the document */
  readonly id: string;
  readonly stage: StageId;
  readonly reference: string;
  readonly candidate?: string;
  /** the device list as `--device` takes it (space-separated) */
  readonly devices: string;
  readonly profile: string;
  readonly faults: readonly string[];
  /** random and kernel stages: the seed and the programs 0..planned-1 */
  readonly seed?: string;
  readonly planned: number;
  /** 'pass' | 'fail'; 'partial': stopped before its last program; 'not-reached': the gate stopped first */
  readonly status: 'pass' | 'fail' | 'partial' | 'not-reached';
  readonly counts: {
    readonly judged: number;
    readonly passed: number;
    readonly failed: number;
    readonly notRun: number;
    readonly known: number;
    /** canary jobs: programs that failed as the device's known bugs make them (not in `failed`) */
    readonly caught?: number;
    readonly calls: number;
    readonly ioctls: number;
  };
  readonly checks: readonly CheckResult[];
  /** known divergences: every program index that hit one, and why it stays */
  readonly known: readonly { readonly name: string; readonly reason: string; readonly indices: readonly number[] }[];
  /** programs the pairing declined, with the limit they hit */
  readonly notRun: readonly { readonly index?: number; readonly file?: string; readonly reason: string }[];
  /** distinct (call, outcome) pairs the reference answered: ok, an errno name or a signal */
  readonly coverage: { readonly outcomes: number; readonly calls: number; readonly byCall: Readonly<Record<string, readonly string[]>> };
  /** canary stage: the failures the check is meant to find on a device with known bugs, one
   * per signature (first program, how many programs) — expected, so not findings */
  readonly caught?: readonly { readonly signature: string; readonly first: number; readonly programs: number; readonly replay: string }[];
  /** corpus stage: one entry per program file */
  readonly programs?: readonly CorpusProgram[];
  /** `gemcheck check …` that runs this job alone (random, kernel) */
  readonly command?: string;
  /** what the targets report about the run (impl: TTM counters) */
  readonly notes: readonly string[];
  readonly timing: Timing & { readonly notes?: readonly string[] };
}

export interface StageResult {
  readonly id: StageId;
  readonly title: string;
  /** why the stage did not run (not set up, not in the config, nothing selected) */
  readonly skipped?: string;
  /** what the stage could not do in part (e.g. the kernel half of the corpus when the VM is not set up) */
  readonly notes?: readonly string[];
  /** device sets a config rule expanded to that the stage's target cannot run, and why */
  readonly excluded?: readonly { readonly devices: string; readonly reason: string }[];
  readonly jobs: readonly JobResult[];
  readonly timing: Timing;
}

export interface GateDocument {
  readonly schema: typeof GATE_SCHEMA;
  readonly tool: { readonly name: 'gemcheck'; readonly version: string };
  readonly seed: string;
  readonly budgetMs: number;
  /** the config file (as given) and the jobs it expanded to are in `stages` */
  readonly config: { readonly file: string; readonly version: number; readonly maxCalls: number; readonly faults: readonly string[]; readonly devicesFilter?: readonly string[] };
  /** 'pass': every job ran and agreed; 'fail': a finding or an incomplete gate; 'error': nothing ran */
  readonly verdict: Verdict;
  /** set when the gate stopped early: reports are then partial */
  readonly partial?: { readonly reason: 'interrupted' | 'budget'; readonly message: string };
  readonly exitCode: 0 | 1 | 2 | 130;
  readonly totals: { readonly jobs: number; readonly programs: number; readonly planned: number; readonly passed: number; readonly failed: number; readonly caught?: number; readonly notRun: number; readonly known: number; readonly findings: number };
  readonly stages: readonly StageResult[];
  readonly findings: readonly GateFinding[];
  /** when and how long (machine-dependent) */
  readonly run: { readonly startedAt: string; readonly finishedAt: string; readonly argv: readonly string[] };
  readonly timing: Timing;
}

/** The document without what depends on the machine (`run` and every `timing`): what the
 * determinism test compares. */
export function verdictSections(doc: GateDocument): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'timing' && k !== 'run').map(([k, x]) => [k, strip(x)]));
    return v;
  };
  return strip(doc);
}
