/**
 * Running the gate: the stages in order (corpus, random, kernel), each job judged through the
 * one harness (harness/run.ts) and, for random programs, the one check loop (campaign/check.ts),
 * into a GateDocument. Program counts are fixed before anything runs (the config's rate × the
 * budget), so a seed names the same programs on every machine; the budget is also a wall-clock
 * cap: reaching it stops the gate where it is and marks the document partial.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { printText, parseProgram, ParseError } from '../ir/encoding.ts';
import { DEFAULT_DEVICES, DEVICES_REGISTRY, printDevices, type DeviceList, type DeviceName } from '../ir/devices.ts';
import { IOCTLS } from '../ir/ioctls.ts';
import type { Outcome } from '../ir/outcome.ts';
import type { Program, ProgramMeta } from '../ir/program.ts';
import { PROFILES, type Target, type TargetConfig } from '../ir/target.ts';
import { errnoName } from '../ir/uapi.ts';
import { configFor, judgeBatch, type Judged } from '../harness/run.ts';
import { pairing, type Pairing } from '../harness/pairing.ts';
import { KNOWN } from '../harness/known.ts';
import { describeFinding } from '../harness/render.ts';
import { signature, type Finding } from '../harness/verdict.ts';
import { runCheck, type FailureRecord } from '../campaign/check.ts';
import { FailureStore, slug } from '../campaign/failure-store.ts';
import { shellJoin } from '../campaign/shell.ts';
import { modelTarget } from '../model/model.ts';
import { implTarget } from '../impl/target.ts';
import { isFaultName, type FaultName } from '../impl/faults.ts';
import { doctor } from '../kernel/doctor.ts';
import { KernelTarget } from '../kernel/target.ts';
import { GateConfigError, jobId, type GateConfig, type JobSpec } from './config.ts';
import { CANARY_CHECK, CHECKS, GATE_SCHEMA, type CheckName, type CheckResult, type CorpusProgram, type GateDocument, type GateFinding, type JobResult, type StageResult, type Timing } from './schema.ts';

export interface GateOptions {
  readonly config: GateConfig;
  /** the folder corpus paths are relative to (the config file's) */
  readonly configDir: string;
  readonly seed: string;
  readonly budgetMs: number;
  /** keep only device sets (and corpus programs) that include one of these */
  readonly devicesFilter?: readonly DeviceName[];
  /** where failing programs are saved (`failures/` inside it) */
  readonly outDir: string;
  readonly version: string;
  readonly argv: readonly string[];
  /** the user's interrupt */
  readonly signal?: AbortSignal;
  /** whether the kernel target can run here (default: kernel/doctor.ts) */
  readonly kernelReady?: () => { ok: true } | { ok: false; why: string };
  log?(line: string): void;
}

/** The gate's environment failed (the VM did not boot although it is set up): exit 2. */
export class GateEnvironmentError extends Error {}

const CORPUS_EXT = '.prog';

const STAGE_TITLES = {
  random: 'Seeded random programs, model vs impl',
  canary: 'Devices with known bugs (ir/quirks.ts), model vs impl: the check must catch them',
  kernel: 'The real kernel (Linux 6.1 in QEMU), model vs kernel',
} as const;

function outcomeClass(o: Outcome): string {
  return o.status === 'ok' ? 'ok' : o.status === 'err' ? errnoName(o.errno) : o.status === 'sig' ? o.signal : o.status;
}

class Coverage {
  private readonly seen = new Map<string, Set<string>>();
  add(p: Program, outs: readonly Outcome[] | undefined): void {
    if (!outs) return;
    outs.forEach((o, i) => {
      const op = p.calls[i]?.op;
      if (!op) return;
      let s = this.seen.get(op);
      if (!s) this.seen.set(op, (s = new Set()));
      s.add(outcomeClass(o));
    });
  }
  result(): JobResult['coverage'] {
    const byCall: Record<string, string[]> = {};
    let outcomes = 0;
    for (const op of [...this.seen.keys()].sort()) {
      byCall[op] = [...this.seen.get(op)!].sort();
      outcomes += byCall[op].length;
    }
    return { outcomes, calls: Object.keys(byCall).length, byCall };
  }
}

function checkOf(f: Finding): CheckName {
  switch (f.kind) {
    case 'divergence':
    case 'expectation':
      return 'agreement';
    case 'self-check':
      return 'self-checks';
    case 'crash':
    case 'target':
      return 'target-health';
  }
}

function timing(ms: number, programs: number, calls: number): Timing {
  const s = Math.max(ms, 1) / 1000;
  return { ms: Math.round(ms), programsPerSec: Math.round(programs / s), callsPerSec: Math.round(calls / s) };
}

const ioctlsOf = (p: Program) => p.calls.filter((c) => IOCTLS[c.op] !== undefined).length;

interface CorpusFile {
  readonly file: string;
  readonly p: Program;
}

/** Every program of the corpus folders (sorted), parsed; a bad file is a config-level error. */
function corpusFiles(dirs: readonly string[], base: string): CorpusFile[] {
  const out: CorpusFile[] = [];
  for (const d of dirs) {
    const abs = resolve(base, d);
    let names: string[];
    try {
      if (!statSync(abs).isDirectory()) throw new GateConfigError(`corpus folder ${d}: not a folder`);
      names = readdirSync(abs).filter((f) => f.endsWith(CORPUS_EXT)).sort();
    } catch (e) {
      if (e instanceof GateConfigError) throw e;
      throw new GateConfigError(`corpus folder ${d}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const n of names) {
      const file = relative(base, join(abs, n)) || n;
      try {
        out.push({ file, p: parseProgram(readFileSync(join(abs, n), 'utf8'), { checkFault: (f) => (isFaultName(f) ? null : `unknown fault '${f}'`) }) });
      } catch (e) {
        if (e instanceof ParseError) throw new GateConfigError(`${file}:${e.where}: ${e.reason}`);
        throw e;
      }
    }
  }
  return out;
}

const cfgOf = (d: DeviceList, profile: keyof typeof PROFILES): TargetConfig => ({ profile: PROFILES[profile], devices: d.devices, ...(d.params ? { deviceParams: d.params } : {}) });
const listOf = (cfg: TargetConfig): DeviceList => ({ devices: cfg.devices, ...(cfg.deviceParams ? { params: cfg.deviceParams } : {}) });

export async function runGate(o: GateOptions): Promise<GateDocument> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const log = o.log ?? (() => undefined);
  const cfgFaults = new Set<FaultName>(o.config.faults);
  const faultArgs = (fs: ReadonlySet<FaultName>) => (fs.size ? ['--fault', [...fs].join(',')] : []);
  // the budget: a wall-clock cap, paused while the VM boots (the boot is reported, not budgeted)
  const budget = new AbortController();
  let left = o.budgetMs;
  let since = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    since = performance.now();
    timer = setTimeout(() => budget.abort(), Math.max(0, left));
    timer.unref?.();
  };
  const pause = () => {
    clearTimeout(timer);
    left -= performance.now() - since;
  };
  arm();
  const signal = o.signal ? AbortSignal.any([o.signal, budget.signal]) : budget.signal;
  const findings: GateFinding[] = [];
  const stages: StageResult[] = [];
  const wanted = (devices: readonly DeviceName[]) => !o.devicesFilter || devices.some((d) => o.devicesFilter!.includes(d));
  const kernelReady = (o.kernelReady ?? (() => {
    const d = doctor();
    return d.ok ? { ok: true as const } : { ok: false as const, why: `the kernel target is not set up (${d.lines.filter((l) => !l.startsWith('ok')).map((l) => l.replace(/\s+/g, ' ')).join('; ')})` };
  }))();
  let kernel: KernelTarget | undefined;
  let bootNote: string | undefined;
  /** time spent booting the VM: left out of rates and the budget, reported in timing.notes */
  let bootMs = 0;
  const kernelTarget = async (): Promise<KernelTarget> => {
    if (kernel) return kernel;
    kernel = new KernelTarget();
    pause();
    const b0 = performance.now();
    try {
      bootNote = await kernel.start(o.signal);
      if (bootNote) log(`gate: kernel: ${bootNote}`);
    } catch (e) {
      if (!o.signal?.aborted) throw new GateEnvironmentError(`kernel: ${(e as Error).message}`);
    } finally {
      bootMs += performance.now() - b0;
      if (!budget.signal.aborted) arm();
    }
    return kernel;
  };
  const failuresDir = join(o.outDir, 'failures');
  const stores = new Map<string, FailureStore>();
  const save = (job: string, base: string, text: string): string => {
    let s = stores.get(job);
    if (!s) stores.set(job, (s = FailureStore.open(join(failuresDir, slug(job.replace(/\//g, '-'), 80)))));
    return relative(o.outDir, s.save(base, text));
  };
  const addFinding = (f: Omit<GateFinding, 'id'>): number => {
    findings.push({ id: findings.length, ...f });
    return findings.length - 1;
  };
  const stopped = () => signal.aborted;

  try {
    // ---- stage 1: the corpus, on every target each program declares
    {
      const s0 = performance.now();
      const boot0 = bootMs;
      const jobs: JobResult[] = [];
      const notes: string[] = [];
      let skipped: string | undefined;
      if (!o.config.corpus) skipped = 'not in the config';
      else {
        const files = corpusFiles(o.config.corpus, o.configDir).filter((f) => wanted(f.p.meta.devices ?? DEFAULT_DEVICES));
        if (!files.length) skipped = o.devicesFilter ? `no corpus program uses ${o.devicesFilter.join(' or ')}` : 'the corpus folders hold no program';
        // two jobs: model vs impl for every program; the kernel alone (its expectations are
        // kernel-observed) for every program whose devices and profile the VM has
        const probe = new KernelTarget();
        const implRuns = files.map((f) => {
          const faults = new Set<FaultName>([...cfgFaults, ...((f.p.meta.faults ?? []) as FaultName[])]);
          return { f, cfg: configFor(f.p), faults, replay: shellJoin(['npx', 'gemcheck', 'diff', f.file, ...faultArgs(faults)]) };
        });
        // a program without a devices header runs on the VM's first device alone (cli/targets.ts)
        const one = DEFAULT_DEVICES[0];
        const kernelRuns = files
          .map((f) => ({ f, cfg: configFor(f.p, undefined, f.p.meta.devices ? undefined : { devices: [one] }), faults: new Set<FaultName>(), replay: shellJoin(['npx', 'gemcheck', 'run', f.file, '--target', 'kernel', ...(f.p.meta.devices ? [] : ['--device', one])]) }))
          .filter((r) => probe.unsupported(r.cfg) === null);
        if (!kernelReady.ok && kernelRuns.length) notes.push(`kernel: skipped: ${kernelReady.why} (${kernelRuns.length} programs declare it)`);
        if (files.length) jobs.push(await corpusJob('impl', implRuns));
        if (files.length && kernelReady.ok && kernelRuns.length) jobs.push(await corpusJob('kernel', kernelRuns));
      }
      const n = jobs.reduce((a, j) => a + j.counts.judged, 0);
      const c = jobs.reduce((a, j) => a + j.counts.calls, 0);
      stages.push({ id: 'corpus', title: 'Scenarios and regressions (`# =>` expectations)', ...(skipped ? { skipped } : {}), ...(notes.length ? { notes } : {}), jobs, timing: timing(performance.now() - s0 - (bootMs - boot0), n, c) });
      log(`gate: corpus: ${skipped ? `skipped: ${skipped}` : jobs.map((j) => `${j.reference}${j.candidate ? ` vs ${j.candidate}` : ''}: ${j.counts.judged}/${j.planned} programs, ${j.counts.failed} failed`).join('; ')}`);
    }

    // ---- stages 2–4: seeded random programs per device set and profile (random, canary:
    // devices with known bugs, kernel)
    for (const stage of ['random', 'canary', 'kernel'] as const) {
      const s0 = performance.now();
      const boot0 = bootMs;
      const spec = o.config[stage];
      const jobs: JobResult[] = [];
      const notes: string[] = [];
      let skipped: string | undefined;
      const excluded = spec?.excluded ?? [];
      const specs = (spec?.jobs ?? []).filter((j) => wanted(j.devices.devices));
      if (!spec) skipped = 'not in the config';
      else if (!specs.length) skipped = o.devicesFilter ? `no job uses ${o.devicesFilter.join(' or ')}` : 'no job';
      else if (stage === 'kernel' && !kernelReady.ok) skipped = kernelReady.why;
      if (!skipped)
        for (const js of specs) {
          jobs.push(await runJob(js));
          const j = jobs[jobs.length - 1];
          const what = j.caught ? `${j.counts.caught ?? 0} caught (${j.caught.length} signatures)${j.status === 'fail' ? ' — CAUGHT NOTHING' : ''}` : `${j.counts.failed} failed`;
          log(`gate: ${j.id}: ${j.counts.judged}/${j.planned} programs, ${what}${j.counts.known ? `, ${j.counts.known} known` : ''}${j.counts.notRun ? `, ${j.counts.notRun} not run` : ''} (${(j.timing.ms / 1000).toFixed(1)} s)`);
        }
      else log(`gate: ${stage}: skipped: ${skipped}`);
      const n = jobs.reduce((a, j) => a + j.counts.judged, 0);
      const c = jobs.reduce((a, j) => a + j.counts.calls, 0);
      stages.push({
        id: stage,
        title: STAGE_TITLES[stage],
        ...(skipped ? { skipped } : {}), ...(notes.length ? { notes } : {}), ...(excluded.length ? { excluded } : {}),
        jobs, timing: timing(performance.now() - s0 - (bootMs - boot0), n, c),
      });
    }
  } finally {
    clearTimeout(timer);
    await kernel?.close();
  }

  type CorpusRun = { readonly f: CorpusFile; readonly cfg: TargetConfig; readonly faults: ReadonlySet<FaultName>; readonly replay: string };
  /** One target pair over corpus programs, each under its own header's devices and profile
   * (the kernel takes each configuration's programs as one batch). */
  async function corpusJob(candidate: 'impl' | 'kernel', runs: readonly CorpusRun[]): Promise<JobResult> {
    const id = `corpus/${candidate === 'kernel' ? 'kernel' : 'model-vs-impl'}`;
    const j0 = performance.now();
    const boot0 = bootMs;
    const cov = new Coverage();
    const results = new Map<CorpusRun, Judged>();
    const key = (r: CorpusRun) => `${r.cfg.profile.name} ${printDevices(listOf(r.cfg))} ${[...r.faults].join(',')}`;
    const batches = new Map<string, CorpusRun[]>();
    for (const r of runs) batches.set(key(r), [...(batches.get(key(r)) ?? []), r]);
    for (const batch of batches.values()) {
      if (stopped()) break;
      const pr = candidate === 'kernel' ? pairing(await kernelTarget()) : pairing(modelTarget, implTarget(batch[0].faults));
      if (stopped()) break;
      const judged = await judgeBatch(pr, batch.map((r) => r.f.p), batch[0].cfg, signal);
      batch.forEach((r, i) => results.set(r, judged[i]));
    }
    const programs: CorpusProgram[] = [];
    const checks: CheckResult[] = [];
    const known = new Map<string, number[]>();
    const notRun: { file: string; reason: string }[] = [];
    let calls = 0;
    let ioctls = 0;
    let passed = 0;
    let failed = 0;
    let reached = 0;
    runs.forEach((r, i) => {
      const { f } = r;
      const j = results.get(r);
      const v = j?.verdict;
      const at = { file: f.file, devices: printDevices(listOf(r.cfg)), profile: r.cfg.profile.name, calls: f.p.calls.length };
      if (!v || v.status === 'interrupted') {
        programs.push({ ...at, status: 'not-reached' });
        return;
      }
      reached++;
      if (v.status === 'not-run') {
        notRun.push({ file: f.file, reason: v.reason });
        programs.push({ ...at, status: 'not-run', reason: v.reason });
        return;
      }
      calls += f.p.calls.length;
      ioctls += ioctlsOf(f.p);
      cov.add(f.p, j.reference?.outcomes);
      if (v.status === 'pass') {
        passed++;
        if (v.known) known.set(v.known, [...(known.get(v.known) ?? []), i]);
        programs.push({ ...at, status: 'pass', ...(v.known ? { known: v.known } : {}) });
        checks.push({ name: f.file, status: 'pass', findings: [] });
        return;
      }
      failed++;
      const names = candidate === 'kernel' ? ['kernel'] : ['model', 'impl'];
      const fid = addFinding({
        stage: 'corpus', job: id, check: f.file, file: f.file, kind: v.finding.kind, signature: signature(f.p, v.finding),
        description: describeFinding(f.p, v.finding, names[0], names[1]), program: printText(f.p), replay: r.replay,
      });
      programs.push({ ...at, status: 'fail', finding: fid });
      checks.push({ name: f.file, status: 'fail', findings: [fid] });
    });
    const judgedN = passed + failed;
    return {
      id, stage: 'corpus', reference: candidate === 'kernel' ? 'kernel' : 'model', ...(candidate === 'kernel' ? {} : { candidate }),
      devices: '(each program\'s header)', profile: '(each program\'s header)', faults: [...cfgFaults], planned: runs.length,
      status: reached < runs.length ? (reached ? 'partial' : 'not-reached') : failed ? 'fail' : 'pass',
      counts: { judged: judgedN, passed, failed, notRun: notRun.length, known: [...known.values()].reduce((a, x) => a + x.length, 0), calls, ioctls },
      checks, known: [...known].map(([name, idx]) => ({ name, reason: KNOWN.find((k) => k.name === name)?.why ?? '', indices: idx })),
      notRun, coverage: cov.result(), programs, notes: [],
      timing: { ...timing(performance.now() - j0 - (bootMs - boot0), judgedN, calls), ...(bootMs > boot0 && bootNote ? { notes: [bootNote] } : {}) },
    };
  }

  async function runJob(js: JobSpec): Promise<JobResult> {
    const planned = Math.max(1, Math.floor((js.rate * o.budgetMs) / 1000));
    const list = js.devices;
    const cfg = cfgOf(list, js.profile);
    const canary = js.stage === 'canary';
    // a canary's catch must be the device's own bugs, not impl's fault switches
    const faults = js.candidate === 'impl' && !canary ? cfgFaults : new Set<FaultName>();
    const meta: ProgramMeta = { devices: list.devices, ...(list.params ? { deviceParams: list.params } : {}), profile: js.profile, ...(faults.size ? { faults: [...faults] } : {}) };
    const base = ['check', '--seed', o.seed, '--max-calls', String(o.config.maxCalls), '--profile', js.profile, '--reference', js.reference, '--target', js.candidate, '--device', printDevices(list).replace(/ /g, ','), ...faultArgs(faults)];
    const replay = (i: number) => [...base.slice(0, 3), '--only', String(i), ...base.slice(3)];
    const command = shellJoin(['npx', 'gemcheck', ...base.slice(0, 3), '--runs', String(planned), ...base.slice(3)]);
    const empty = (status: JobResult['status']): JobResult => ({
      id: js.id, stage: js.stage, reference: js.reference, candidate: js.candidate, devices: printDevices(list), profile: js.profile, faults: [...faults], seed: o.seed, planned, status,
      counts: { judged: 0, passed: 0, failed: 0, notRun: 0, known: 0, calls: 0, ioctls: 0 }, checks: [], known: [], notRun: [], coverage: new Coverage().result(), command, notes: [], timing: timing(0, 0, 0),
    });
    if (stopped()) return empty('not-reached');
    let candidate: Target;
    const boot0 = bootMs;
    if (js.candidate === 'kernel') {
      candidate = await kernelTarget();
      if (stopped()) return empty('not-reached');
    } else candidate = implTarget(faults);
    const pr = pairing(modelTarget, candidate);
    const cov = new Coverage();
    const known = new Map<string, number[]>();
    const notRun: { index: number; reason: string }[] = [];
    const failures: FailureRecord[] = [];
    const j0 = performance.now(); // after the boot
    const st = await runCheck({
      seed: o.seed, runs: planned, maxCalls: o.config.maxCalls, cfg, pairing: pr, meta, replay, minimize: !canary, signal,
      onJudged: (i, p, j) => {
        const v = j.verdict;
        if (v.status === 'not-run') notRun.push({ index: i, reason: v.reason });
        else cov.add(p, j.reference?.outcomes);
        if (v.status === 'pass' && v.known) known.set(v.known, [...(known.get(v.known) ?? []), i]);
      },
      onFailure: (f) => failures.push(f),
    });
    const ms = performance.now() - j0;
    const byCheck = new Map<CheckName, number[]>(CHECKS.map((c) => [c, []]));
    // one finding per signature and job: the first program's minimized repro, and the index of
    // every other program that failed the same way
    const bySig = new Map<string, { first: FailureRecord; also: number[] }>();
    for (const f of failures) {
      const g = bySig.get(f.signature);
      if (g) g.also.push(f.index);
      else bySig.set(f.signature, { first: f, also: [] });
    }
    const targetNotes = js.candidate === 'impl' ? [...(candidate.notes?.() ?? [])] : [];
    const counts = { judged: st.programs, passed: st.passed, failed: st.failed, notRun: notRun.length, known: [...known.values()].reduce((a, x) => a + x.length, 0), calls: st.calls, ioctls: st.ioctls };
    const base0 = {
      id: js.id, stage: js.stage, reference: js.reference, candidate: js.candidate, devices: printDevices(list), profile: js.profile, faults: [...faults], seed: o.seed, planned,
      known: [...known].map(([name, idx]) => ({ name, reason: KNOWN.find((k) => k.name === name)?.why ?? '', indices: idx })),
      notRun, coverage: cov.result(), command, notes: targetNotes,
      timing: { ...timing(ms, st.programs, st.calls), ...(bootMs > boot0 && bootNote ? { notes: [bootNote] } : {}) },
    };
    if (canary) {
      // the device's known bugs are expected: each signature is counted, not a finding; a
      // complete canary that caught nothing is the finding (the check lost its teeth)
      const caught = [...bySig.values()].map(({ first: f, also }) => ({ signature: f.signature, first: f.index, programs: 1 + also.length, replay: f.replay }));
      const complete = st.next >= planned;
      const missed = complete && !caught.length
        ? [addFinding({
            stage: js.stage, job: js.id, check: CANARY_CHECK, kind: 'canary', signature: `canary:nothing-caught:${printDevices(list).replace(/ /g, '+')}`,
            description: [`${st.programs} programs on ${printDevices(list)} (known bugs: ${list.devices.flatMap((d) => DEVICES_REGISTRY[d].quirks ?? []).join(', ')}) and not one failed: the check no longer catches them`],
            program: '', replay: command,
          })]
        : [];
      return {
        ...base0,
        status: !complete ? 'partial' : caught.length ? 'pass' : 'fail',
        counts: { ...counts, failed: 0, caught: st.failed },
        checks: [{ name: CANARY_CHECK, status: missed.length ? 'fail' : 'pass', findings: missed }],
        caught,
      };
    }
    for (const { first: f, also } of bySig.values()) {
      const check = checkOf(f.finding);
      const text = printText(f.program);
      const savedAs = save(js.id, `seed-${slug(o.seed, 64)}-${f.index}`, text);
      const id = addFinding({
        stage: js.stage, job: js.id, check, index: f.index, ...(also.length ? { alsoAt: also } : {}), kind: f.finding.kind, signature: f.signature,
        description: describeFinding(f.program, f.finding, pr.reference.name, pr.candidate?.name), program: text, replay: f.replay, savedAs,
      });
      byCheck.get(check)!.push(id);
    }
    return {
      ...base0,
      status: st.next < planned ? 'partial' : st.failed ? 'fail' : 'pass',
      counts,
      checks: CHECKS.map((c) => ({ name: c, status: byCheck.get(c)!.length ? 'fail' : 'pass', findings: byCheck.get(c)! })),
    };
  }

  const allJobs = stages.flatMap((s) => s.jobs);
  const sum = (f: (j: JobResult) => number) => allJobs.reduce((a, j) => a + f(j), 0);
  const totals = {
    jobs: allJobs.length, programs: sum((j) => j.counts.judged), planned: sum((j) => j.planned), passed: sum((j) => j.counts.passed), failed: sum((j) => j.counts.failed),
    ...(sum((j) => j.counts.caught ?? 0) ? { caught: sum((j) => j.counts.caught ?? 0) } : {}),
    notRun: sum((j) => j.counts.notRun), known: sum((j) => j.counts.known), findings: findings.length,
  };
  const interrupted = !!o.signal?.aborted;
  const cut = !interrupted && budget.signal.aborted && allJobs.some((j) => j.status === 'partial' || j.status === 'not-reached');
  const partial = interrupted
    ? { reason: 'interrupted' as const, message: `interrupted: ${totals.programs} of ${totals.planned} planned programs judged` }
    : cut ? { reason: 'budget' as const, message: `the budget (${o.budgetMs / 1000} s) ran out: ${totals.programs} of ${totals.planned} planned programs judged; lower programsPerBudgetSecond in the config or raise --budget` } : undefined;
  const verdict = totals.programs === 0 && !interrupted ? 'error' : findings.length || cut ? 'fail' : 'pass';
  const exitCode = interrupted ? 130 : verdict === 'error' ? 2 : verdict === 'fail' ? 1 : 0;
  const ms = performance.now() - t0;
  return {
    schema: GATE_SCHEMA,
    tool: { name: 'gemcheck', version: o.version },
    seed: o.seed,
    budgetMs: o.budgetMs,
    config: { file: o.config.file, version: o.config.version, maxCalls: o.config.maxCalls, faults: [...o.config.faults], ...(o.devicesFilter ? { devicesFilter: [...o.devicesFilter] } : {}) },
    verdict,
    ...(partial ? { partial } : {}),
    exitCode,
    totals,
    stages,
    findings,
    run: { startedAt, finishedAt: new Date().toISOString(), argv: [...o.argv] },
    timing: timing(ms, totals.programs, sum((j) => j.counts.calls)),
  };
}
