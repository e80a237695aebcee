// Success criterion: on random programs over 1–3 files and two vgem-like devices, the model
// and impl agree call by call and every invariant holds after every call, on both profiles.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkModelImpl, failureText } from './support.ts';
import { PROFILES, type ProfileName } from '../ir/target.ts';
import type { DeviceName, DeviceParams } from '../ir/devices.ts';
import { uapiOf } from '../fuzz/generate.ts';
import { FAULTS, type FaultName } from '../impl/faults.ts';
import { programArb } from './arbitrary.ts';
import { CALLS, OPS } from '../ir/calls.ts';
import { lit, type Program } from '../ir/program.ts';

const RUNS = Number(process.env.GEMCHECK_RUNS ?? 2000);

/** Small memories for amdgpu, so random programs evict constantly (docs/amdgpu.md). */
export const SMALL_AMDGPU = { vram_kib: 1024, visible_kib: 256, gtt_kib: 2048, gds: 16, gws: 4, oa: 4 };

function property(profile: ProfileName, faults?: ReadonlySet<FaultName>, devices: readonly DeviceName[] = ['vgem', 'vgem'], deviceParams?: DeviceParams) {
  const cfg = { profile: PROFILES[profile], devices, ...(deviceParams ? { deviceParams } : {}) };
  return fc.property(programArb({ maxCalls: 24, devices: devices.length, uapi: uapiOf(devices) }), (p) => {
    const v = checkModelImpl(p, cfg, faults);
    if (v.status !== 'pass') throw new Error(failureText(p, v));
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
  it('agrees on random programs (linux-6.1, vgem + cirrus: foreign imports as in the kernel VM)', () => {
    fc.assert(property('linux-6.1', undefined, ['vgem', 'cirrus']), { numRuns: RUNS, seed: 3 });
  });
  for (const profile of Object.keys(PROFILES) as ProfileName[]) {
    it(`agrees on random programs (${profile}, amdgpu with small VRAM and GTT: evictions)`, () => {
      fc.assert(property(profile, undefined, ['amdgpu'], [SMALL_AMDGPU]), { numRuns: RUNS, seed: 4 });
    });
  }
  it('agrees on random programs (linux-6.1, amdgpu + vgem: foreign imports both ways)', () => {
    fc.assert(property('linux-6.1', undefined, ['amdgpu', 'vgem'], [SMALL_AMDGPU]), { numRuns: RUNS, seed: 6 });
  });
  it('agrees on random programs (linux-6.1, nvdla with a 64 KiB pool: exhaustion, submits)', () => {
    fc.assert(property('linux-6.1', undefined, ['nvdla'], [{ pool_kib: 64 }]), { numRuns: RUNS, seed: 8 });
  });
  it('agrees on random programs (linux-6.1, nvdla + vgem: vgem imports NVDLA buffers, NVDLA refuses vgem ones)', () => {
    fc.assert(property('linux-6.1', undefined, ['nvdla', 'vgem']), { numRuns: RUNS, seed: 9 });
  });
  it('agrees on random programs (linux-6.1, qxl: VRAM placement, LRU evictions, stale VRAM bytes)', () => {
    fc.assert(property('linux-6.1', undefined, ['qxl']), { numRuns: RUNS, seed: 11 });
  });
  it('fails on nvdla-upstream (its quirks are bugs the property finds)', () => {
    const out = fc.check(property('linux-6.1', undefined, ['nvdla-upstream']), { numRuns: RUNS, seed: 10 });
    expect(out.failed).toBe(true);
  });
});

describe('garbage arguments', () => {
  // Success criterion: calls whose every argument is a boundary integer (no references) never
  // make impl or the model throw, and both still agree.
  const boundary = fc.constantFrom(0n, 1n, 2n, 3n, 4n, -1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x100001000n, 0xfffffffffffff000n, (1n << 63n) - 1n, 1n << 63n);
  const call = fc.constantFrom(...OPS).chain((op) => fc.tuple(fc.constant(op), fc.array(boundary, { minLength: CALLS[op].args.length, maxLength: CALLS[op].args.length })));
  const prog = fc.tuple(fc.array(call, { maxLength: 12 }), programArb({ maxCalls: 8, devices: 2 })).map(([garbage, valid]): Program => ({
    meta: {}, calls: [...valid.calls, ...garbage.map(([op, args]) => ({ op, args: args.map((v) => lit(v)) }))],
  }));
  it('never throws and agrees (linux-6.1, nvdla + vgem)', () => {
    const cfg = { profile: PROFILES['linux-6.1'], devices: ['nvdla', 'vgem'] as const };
    const nvdlaProg = fc.tuple(fc.array(call, { maxLength: 12 }), programArb({ maxCalls: 8, devices: 2, uapi: uapiOf(['nvdla', 'vgem']) })).map(([garbage, valid]): Program => ({
      meta: {}, calls: [...valid.calls, ...garbage.map(([op, args]) => ({ op, args: args.map((v) => lit(v)) }))],
    }));
    fc.assert(fc.property(nvdlaProg, (p) => {
      const v = checkModelImpl(p, cfg);
      if (v.status !== 'pass') throw new Error(failureText(p, v));
    }), { numRuns: RUNS / 4, seed: 11 });
  });
  for (const profile of Object.keys(PROFILES) as ProfileName[]) {
    it(`never throws and agrees (${profile})`, () => {
      const cfg = { profile: PROFILES[profile], devices: ['vgem', 'bochs'] as const };
      fc.assert(fc.property(prog, (p) => {
        const v = checkModelImpl(p, cfg);
        if (v.status !== 'pass') throw new Error(failureText(p, v));
      }), { numRuns: RUNS / 2, seed: 5 });
    });
  }
});

describe('the property can fail: every fault switch is caught', () => {
  for (const fault of Object.keys(FAULTS) as FaultName[]) {
    it(`catches ${fault}`, () => {
      const profile: ProfileName = fault === 'ro-ignored' ? 'linux-5.10' : 'linux-6.1';
      // TTM and amdgpu faults live under the amdgpu device (bochs's placements are not observable)
      const amdgpu = fault.startsWith('ttm-') || fault.startsWith('amdgpu-');
      const out = fc.check(amdgpu ? property(profile, new Set([fault]), ['amdgpu'], [SMALL_AMDGPU]) : property(profile, new Set([fault])), { numRuns: amdgpu ? 10_000 : 3000, seed: 7 });
      expect(out.failed).toBe(true);
      // the report names the shrunk program and what diverged or which invariant broke
      expect(String(out.errorInstance)).toMatch(/first divergence at call|self-check failed|exception escaped/);
      expect(out.counterexample?.[0].calls.length).toBeLessThanOrEqual(12);
    });
  }
});
