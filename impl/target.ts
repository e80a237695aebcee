/** impl/ as a target, optionally with fault switches turned on. */
import { sessionTarget } from '../ir/session-target.ts';
import type { Target } from '../ir/target.ts';
import { NO_FAULTS, type FaultSet } from './faults.ts';
import { ImplSession } from './process.ts';
import { noTtmStats, type TtmStats } from './ttm/device.ts';

/** The summary line of what the TTM core did over a run (nothing when no TTM bo moved or faulted). */
export function ttmStatsLine(t: TtmStats): string | undefined {
  if (!t.moves && !t.faults && !t.purges) return undefined;
  const n = (x: number) => x.toLocaleString('en-US');
  return `TTM: ${n(t.evictions)} evictions, ${n(t.moves)} moves, ${n(t.purges)} purges, ${n(t.faults)} CPU faults (${n(t.refaults)} refaults after a move)`;
}

export interface ImplTargetOptions {
  /** run the self-checks after every call and at exit (default); off for benchmarks */
  readonly selfChecks?: boolean;
}

export function implTarget(faults: FaultSet = NO_FAULTS, o: ImplTargetOptions = {}): Target {
  // what every session of this target did (minimization runs included), for the summary
  const total = noTtmStats();
  let last: ImplSession | null = null;
  const fold = () => {
    if (!last) return;
    const t = last.ttmStats();
    for (const k of Object.keys(total) as (keyof TtmStats)[]) total[k] += t[k];
    last = null;
  };
  return sessionTarget({
    name: faults.size ? `impl+${[...faults].join('+')}` : 'impl',
    open: (cfg) => {
      fold();
      const s = new ImplSession(cfg, faults, { selfChecks: o.selfChecks !== false });
      last = s;
      return o.selfChecks === false ? { exec: (op, args) => s.exec(op, args) } : s;
    },
    notes: () => {
      fold();
      const line = ttmStatsLine(total);
      return line ? [line] : [];
    },
    // ro-ignored plants a bug in a check only the read-only-nodes profile has
    unsupported: (cfg) => (faults.has('ro-ignored') && !cfg.profile.readonlyNodes ? `fault ro-ignored needs a profile with read-only nodes (not ${cfg.profile.name})` : null),
  });
}
