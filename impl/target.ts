/** impl/ as a target, optionally with fault switches turned on. */
import { sessionTarget } from '../ir/session-target.ts';
import type { Target } from '../ir/target.ts';
import { NO_FAULTS, type FaultSet } from './faults.ts';
import { ImplSession } from './process.ts';

export interface ImplTargetOptions {
  /** run the self-checks after every call and at exit (default); off for benchmarks */
  readonly selfChecks?: boolean;
}

export function implTarget(faults: FaultSet = NO_FAULTS, o: ImplTargetOptions = {}): Target {
  return sessionTarget({
    name: faults.size ? `impl+${[...faults].join('+')}` : 'impl',
    open: (cfg) => {
      const s = new ImplSession(cfg, faults, { selfChecks: o.selfChecks !== false });
      return o.selfChecks === false ? { exec: (op, args) => s.exec(op, args) } : s;
    },
    // ro-ignored plants a bug in a check only the read-only-nodes profile has
    unsupported: (cfg) => (faults.has('ro-ignored') && !cfg.profile.readonlyNodes ? `fault ro-ignored needs a profile with read-only nodes (not ${cfg.profile.name})` : null),
  });
}
