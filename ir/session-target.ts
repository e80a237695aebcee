/**
 * An in-process target from a Session factory: each program runs call by call on a fresh
 * session, with the session's self-checks after every call and at exit. An exception escaping
 * the session becomes a 'crash' outcome (a finding, never kernel behaviour), so the target
 * itself never throws for a program's sake.
 */
import type { Outcome } from './outcome.ts';
import type { Program } from './program.ts';
import { resolveArgs } from './resolve.ts';
import type { ProgramResult, SelfCheckReport, Session, Target, TargetConfig, Violation } from './target.ts';

const message = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** A self-check that throws is itself a finding (named), not a crash of the tool. */
function guarded(session: Session, exit: boolean): readonly Violation[] {
  try {
    return (exit ? session.exit!() : session.selfCheck!()) ?? [];
  } catch (e) {
    return [{ invariant: 'self-check-crash', message: message(e) }];
  }
}

/** Runs a program on a session; the outcomes, and self-check reports (first after-call one, then exit). */
export function runOnSession(session: Session, p: Program): ProgramResult {
  const outcomes: Outcome[] = [];
  const selfCheck: SelfCheckReport[] = [];
  // hot loop: no closures per call
  let checking = session.selfCheck !== undefined;
  for (let i = 0; i < p.calls.length; i++) {
    const args = resolveArgs(p, i, outcomes);
    let o: Outcome;
    try {
      o = session.exec(p.calls[i].op, args);
    } catch (e) {
      o = { status: 'crash', message: message(e) };
    }
    outcomes.push(o);
    if (checking) {
      const v = guarded(session, false);
      if (v.length) {
        selfCheck.push({ index: i, violations: v });
        checking = false;
      }
    }
  }
  if (session.exit) {
    const v = guarded(session, true);
    if (v.length) selfCheck.push({ index: p.calls.length, violations: v });
  }
  return { status: 'ok', outcomes, selfCheck };
}

export interface SessionTargetOptions {
  readonly name: string;
  open(cfg: TargetConfig): Session;
  unsupported?(cfg: TargetConfig): string | null;
  /** lines for the run's summary (Target.notes) */
  notes?(): readonly string[];
}

export function sessionTarget(o: SessionTargetOptions): Target {
  const runSync = (p: Program, cfg: TargetConfig): ProgramResult => {
    let session: Session;
    try {
      session = o.open(cfg);
    } catch (e) {
      return { status: 'died', outcomes: [], selfCheck: [], reason: `opening the session threw: ${message(e)}` };
    }
    return runOnSession(session, p);
  };
  return {
    name: o.name,
    unsupported: (cfg) => o.unsupported?.(cfg) ?? null,
    runSync,
    async run(programs, cfg, signal) {
      return programs.map((p) => (signal?.aborted ? { status: 'interrupted', outcomes: [], selfCheck: [] } : runSync(p, cfg)));
    },
    ...(o.notes ? { notes: o.notes } : {}),
    async close() {},
  };
}
