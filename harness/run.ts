/** Running a program on a synchronous target, one call at a time. */
import type { Program } from '../ir/program.ts';
import type { Outcome } from '../ir/outcome.ts';
import { resolveArgs } from '../ir/resolve.ts';
import { DEFAULT_DEVICES, PROFILES, isDeviceKind, isProfileName, type DeviceKind, type ProfileName, type Session, type SyncTarget, type TargetConfig } from '../ir/target.ts';

/** The configuration a program runs under: its own header, else the given defaults. */
export function configFor(p: Program, profile?: ProfileName, devices?: readonly DeviceKind[]): TargetConfig {
  const prof = profile ?? (p.meta.profile && isProfileName(p.meta.profile) ? p.meta.profile : 'linux-6.1');
  const devs = devices ?? (p.meta.devices?.every(isDeviceKind) ? (p.meta.devices as DeviceKind[]) : DEFAULT_DEVICES);
  return { profile: PROFILES[prof], devices: devs };
}

export type StepHook = (index: number, outcome: Outcome, session: Session) => void;

/** Runs every call; an exception escaping the target becomes a 'crash' outcome (a finding). */
export function runProgram(target: SyncTarget, p: Program, cfg: TargetConfig, afterStep?: StepHook): Outcome[] {
  const session = target.open(cfg);
  const outcomes: Outcome[] = [];
  for (let i = 0; i < p.calls.length; i++) {
    const args = resolveArgs(p, i, outcomes);
    let o: Outcome;
    try {
      o = session.exec(p.calls[i].op, args);
    } catch (e) {
      o = { status: 'crash', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
    outcomes.push(o);
    afterStep?.(i, o, session);
  }
  return outcomes;
}
