// What steering generation to refaults buys (fuzz/hints.ts: UAPI_WEIGHTS, MOVES, refault):
// seeded amdgpu programs on impl must keep making TTM evict, move and — the rare one before —
// refault: a CPU access through a mapping a move zapped (ttm_bo_vm_fault_reserved after
// ttm_bo_unmap_virtual). Floors are about two thirds of what seed 1 gives (measured in the
// comments), so a change to generation that loses a kind of event fails here, not silently.
import { describe, expect, it } from 'vitest';
import { programAt } from '../fuzz/generate.ts';
import { ImplSession } from '../impl/process.ts';
import { noTtmStats, type TtmStats } from '../impl/ttm/device.ts';
import type { DeviceName } from '../ir/devices.ts';
import { runOnSession } from '../ir/session-target.ts';
import { PROFILES, type ProfileName } from '../ir/target.ts';

const RUNS = 3000;

function stats(devices: DeviceName[], profile: ProfileName): TtmStats & { failedSelfChecks: number } {
  const cfg = { profile: PROFILES[profile], devices };
  const total = { ...noTtmStats(), failedSelfChecks: 0 };
  for (let i = 0; i < RUNS; i++) {
    const s = new ImplSession(cfg);
    const r = runOnSession(s, programAt('1', i, 24, devices.length, { devices }));
    if (r.selfCheck.length) total.failedSelfChecks++;
    const t = s.ttmStats();
    for (const k of Object.keys(t) as (keyof TtmStats)[]) total[k] += t[k];
  }
  return total;
}

interface Floor {
  readonly devices: DeviceName[];
  readonly profile: ProfileName;
  readonly evictions: number;
  readonly moves: number;
  readonly faults: number;
  readonly refaults: number;
}

// measured (seed 1, 3000 programs): linux-6.1 238 evictions, 4 911 moves, 635 faults, 185
// refaults; linux-5.10 185, 4 311, 568, 166; amdgpu+vgem 206, 4 618, 568, 182 (the generator
// before the steering: 175 faults and 2 refaults on linux-6.1)
const FLOORS: readonly Floor[] = [
  { devices: ['amdgpu'], profile: 'linux-6.1', evictions: 160, moves: 3300, faults: 420, refaults: 125 },
  { devices: ['amdgpu'], profile: 'linux-5.10', evictions: 125, moves: 2900, faults: 380, refaults: 110 },
  { devices: ['amdgpu', 'vgem'], profile: 'linux-6.1', evictions: 140, moves: 3100, faults: 380, refaults: 120 },
];

describe(`seed 1, ${RUNS} programs: TTM evicts, moves and refaults`, () => {
  for (const f of FLOORS)
    it(`${f.devices.join('+')}, ${f.profile}: ≥ ${f.evictions} evictions, ${f.moves} moves, ${f.faults} faults, ${f.refaults} refaults`, () => {
      const t = stats(f.devices, f.profile);
      expect(t.failedSelfChecks).toBe(0);
      expect(t.evictions).toBeGreaterThanOrEqual(f.evictions);
      expect(t.moves).toBeGreaterThanOrEqual(f.moves);
      expect(t.faults).toBeGreaterThanOrEqual(f.faults);
      expect(t.refaults).toBeGreaterThanOrEqual(f.refaults);
    });
});
