/** impl/ as a target, optionally with fault switches turned on. */
import type { SyncTarget } from '../ir/target.ts';
import { NO_FAULTS, type FaultSet } from './faults.ts';
import { ImplSession } from './process.ts';

export function implTarget(faults: FaultSet = NO_FAULTS): SyncTarget {
  return { name: faults.size ? `impl+${[...faults].join('+')}` : 'impl', open: (cfg) => new ImplSession(cfg, faults) };
}
