// Success criterion: on random programs over 1–3 files and two vgem-like devices, the model
// and impl agree call by call and every invariant holds after every call, on both profiles.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProgram, describeFailure } from '../harness/check.ts';
import { PROFILES, type DeviceKind, type ProfileName } from '../ir/target.ts';
import { FAULTS, type FaultName } from '../impl/faults.ts';
import { programArb } from './arbitrary.ts';

const RUNS = Number(process.env.GEMCHECK_RUNS ?? 2000);

function property(profile: ProfileName, faults?: ReadonlySet<FaultName>, devices: readonly DeviceKind[] = ['vgem', 'vgem']) {
  const cfg = { profile: PROFILES[profile], devices };
  return fc.property(programArb({ maxCalls: 24, devices: 2 }), (p) => {
    const v = checkProgram(p, cfg, faults);
    if (!v.ok) throw new Error(describeFailure(p, v));
  });
}

describe('model ≡ impl with invariants', () => {
  for (const profile of Object.keys(PROFILES) as ProfileName[]) {
    it(`agrees on random programs (${profile})`, () => {
      fc.assert(property(profile), { numRuns: RUNS, seed: 1 });
    });
  }
  it('agrees on random programs (linux-6.1, bochs + vgem, as in the kernel VM)', () => {
    fc.assert(property('linux-6.1', undefined, ['bochs', 'vgem']), { numRuns: RUNS, seed: 2 });
  });
});

describe('the property can fail: every fault switch is caught', () => {
  for (const fault of Object.keys(FAULTS) as FaultName[]) {
    it(`catches ${fault}`, () => {
      const profile: ProfileName = fault === 'ro-ignored' ? 'linux-5.10' : 'linux-6.1';
      const out = fc.check(property(profile, new Set([fault])), { numRuns: 3000, seed: 7 });
      expect(out.failed).toBe(true);
      // the report names the shrunk program and what diverged or which invariant broke
      expect(String(out.errorInstance)).toMatch(/first divergence at call|invariant violated/);
      expect(out.counterexample?.[0].calls.length).toBeLessThanOrEqual(12);
    });
  }
});
