/**
 * impl's self-checks, the kernel's WARN_ON and debug hooks in data: after every call the
 * core's own WARNs are drained and each subsystem's checks run over one shared snapshot;
 * at exit the leak checks follow. Each check counts holders independently of the counter it
 * checks and reports under a stable invariant name (spec §10 "Core invariants").
 */
import type { Violation } from '../../ir/target.ts';
import type { DebugReport } from '../hooks.ts';
import { checkFences } from './fence.ts';
import { checkGem } from './gem.ts';
import { checkLeaks } from './leaks.ts';
import { checkMm } from './mm.ts';
import { checkPrime } from './prime.ts';
import { checkTtm } from './ttm.ts';
import { World, type DebugSubject } from './world.ts';

export type { DebugSubject } from './world.ts';

function collector(): [Violation[], DebugReport] {
  const out: Violation[] = [];
  return [out, (invariant, message) => void out.push({ invariant, message })];
}

/** After a call: the core's WARNs, then GEM, PRIME, mapping and fence checks. */
export function selfCheck(s: DebugSubject): Violation[] {
  const [out, v] = collector();
  for (const warn of s.kernel.violations.splice(0)) out.push(warn);
  const w = new World(s);
  checkGem(w, v);
  checkPrime(w, v);
  checkMm(w, v);
  checkFences(w, v);
  // every TTM device a driver reports (DriverDebug.ttmDevice): state and recorded decisions
  for (const dev of s.kernel.devices) {
    const bdev = dev.driver.debug?.ttmDevice?.(dev);
    if (bdev) checkTtm(bdev, v);
    dev.driver.debug?.check?.(dev, v);
  }
  return out;
}

/** After process teardown: the after-call checks, then what must not remain. */
export function exitCheck(s: DebugSubject): Violation[] {
  const out = selfCheck(s);
  checkLeaks(s, (invariant, message) => void out.push({ invariant, message }));
  return out;
}
