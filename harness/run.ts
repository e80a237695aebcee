/**
 * Running programs on a pairing of targets and judging them: one path for every pair and for
 * sync and async targets alike (the in-process targets take their synchronous fast path).
 */
import { DEFAULT_DEVICES, type DeviceList } from '../ir/devices.ts';
import type { Program } from '../ir/program.ts';
import { DEFAULT_PROFILE, PROFILES, type ProfileName, type ProgramResult, type Target, type TargetConfig } from '../ir/target.ts';
import { judge } from './judge.ts';
import { admit, type Pairing } from './pairing.ts';
import type { Verdict } from './verdict.ts';

/** The configuration a program runs under: explicit choices, else its header, else the defaults. */
export function configFor(p: Program, profile?: ProfileName, devices?: DeviceList): TargetConfig {
  const d = devices ?? (p.meta.devices ? { devices: p.meta.devices, params: p.meta.deviceParams } : { devices: DEFAULT_DEVICES });
  return { profile: PROFILES[profile ?? p.meta.profile ?? DEFAULT_PROFILE], devices: d.devices, ...(d.params ? { deviceParams: d.params } : {}) };
}

export interface Judged {
  readonly verdict: Verdict;
  readonly reference?: ProgramResult;
  readonly candidate?: ProgramResult;
}

const NOT_RUN = (reason: string): Judged => ({ verdict: { status: 'not-run', reason } });

function judgeResults(pr: Pairing, p: Program, cfg: TargetConfig, ref: ProgramResult, cand: ProgramResult | undefined): Judged {
  const verdict = judge(p, { cfg, compare: pr.compare, known: pr.known }, { name: pr.reference.name, result: ref }, pr.candidate && cand ? { name: pr.candidate.name, result: cand } : undefined);
  return { verdict, reference: ref, candidate: cand };
}

/** Whether every target of the pairing has the synchronous fast path. */
export function isSync(pr: Pairing): boolean {
  return !!pr.reference.runSync && (!pr.candidate || !!pr.candidate.runSync);
}

/** One program through the pairing, synchronously (in-process targets only). */
export function judgeSync(pr: Pairing, p: Program, cfg: TargetConfig): Judged {
  const why = admit(pr, p, cfg);
  if (why) return NOT_RUN(why);
  const ref = pr.reference.runSync!(p, cfg);
  const cand = pr.candidate?.runSync!(p, cfg);
  return judgeResults(pr, p, cfg, ref, cand);
}

/** A batch through the pairing; both targets run it concurrently. */
export async function judgeBatch(pr: Pairing, programs: readonly Program[], cfg: TargetConfig, signal?: AbortSignal): Promise<Judged[]> {
  if (isSync(pr)) return programs.map((p) => (signal?.aborted ? { verdict: { status: 'interrupted' } } : judgeSync(pr, p, cfg)));
  const why = programs.map((p) => admit(pr, p, cfg));
  const run = programs.filter((_, i) => why[i] === null);
  const [refs, cands] = await Promise.all([pr.reference.run(run, cfg, signal), pr.candidate ? pr.candidate.run(run, cfg, signal) : Promise.resolve(undefined)]);
  let k = 0;
  return programs.map((p, i) => {
    if (why[i] !== null) return NOT_RUN(why[i]!);
    const j = k++;
    return judgeResults(pr, p, cfg, refs[j], cands?.[j]);
  });
}

