// Success criteria for mutation, signal and minimization: every operator keeps programs valid
// (references name earlier calls' outputs of that op) on every device list, and model ≡ impl
// still judges them; signal sets merge and diff; minimization keeps the failure's signature
// and ends 1-minimal (removing any one call loses it), or says the budget ran out.
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES, type DeviceName } from '../ir/devices.ts';
import { removeCalls, validate, type Program } from '../ir/program.ts';
import { PROFILES, type TargetConfig } from '../ir/target.ts';
import { signature } from '../harness/verdict.ts';
import { checkModelImpl } from '../properties/support.ts';
import { generateProgram, programAt, uapiOf } from './generate.ts';
import { insertCall, mutate, mutateArg, removeCall, splice, squash } from './mutate.ts';
import { minimizeFull } from './minimize.ts';
import { seededRand } from './rand.ts';
import { diffSignal, mergeSignal, outcomeSignal } from './signal.ts';
import { err, ok } from '../ir/outcome.ts';

const cfgOf = (devices: readonly DeviceName[]): TargetConfig => ({ profile: PROFILES['linux-6.1'], devices });

describe('mutation keeps programs valid', () => {
  for (const devices of [DEFAULT_DEVICES, ['bochs'], ['amdgpu', 'vgem'], ['vgem', 'cirrus']] as (readonly DeviceName[])[]) {
    it(`every operator, on ${devices.join('+')}`, () => {
      const o = { maxCalls: 24, devices: devices.length, uapi: uapiOf(devices) };
      const r = seededRand(`mut:${devices.join()}`);
      const meta = { devices };
      let p: Program = generateProgram(r, o, meta);
      const other = generateProgram(r, o, meta);
      const ops = [
        () => insertCall(r, p, o),
        () => removeCall(r, p),
        () => splice(r, p, other, o),
        () => mutateArg(r, p, o),
        () => squash(r, p),
        () => mutate(r, p, { o, other: () => other }),
      ];
      for (let k = 0; k < 240; k++) {
        const q = ops[k % ops.length]();
        expect(validate(q), `mutation ${k}`).toEqual([]);
        expect(q.calls.length).toBeGreaterThan(0);
        if (k % 4 === 0) expect(['pass', 'fail', 'not-run']).toContain(checkModelImpl(q, cfgOf(devices)).status);
        p = q.calls.length > 40 ? generateProgram(r, o, meta) : q;
      }
    });
  }

  it('is deterministic from the seed', () => {
    const o = { maxCalls: 24, devices: 2 };
    const run = () => {
      const r = seededRand('det');
      let p = generateProgram(r, o);
      for (let k = 0; k < 50; k++) p = mutate(r, p, { o });
      return p;
    };
    expect(run()).toEqual(run());
  });

  it('squash makes two uses name one resource', () => {
    const p = programAt('sq', 3, 24, 2);
    const q = squash(seededRand('x'), p);
    expect(validate(q)).toEqual([]);
    expect(q.calls.length).toBe(p.calls.length);
  });
});

describe('signal', () => {
  it('merges and diffs', () => {
    const a = new Set([1, 2, 3]);
    expect(diffSignal(a, [3, 4, 5])).toEqual([4, 5]);
    expect(mergeSignal(a, [3, 4, 5])).toBe(2);
    expect([...a].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(diffSignal(a, [1, 5])).toEqual([]);
  });
  it('the fallback tells outcomes apart per call', () => {
    const p: Program = { meta: {}, calls: [{ op: 'open', args: [] }, { op: 'open', args: [] }] } as unknown as Program;
    const s1 = outcomeSignal(p, [ok({ fd: 3n }), err(2)]);
    const s2 = outcomeSignal(p, [ok({ fd: 4n }), err(13)]);
    expect(s1.size).toBe(2);
    expect(diffSignal(s1, s2).length).toBe(1); // ok is ok whatever the fd; ENOENT vs EACCES differ
  });
});

describe('minimization', () => {
  const cfg = cfgOf(DEFAULT_DEVICES);
  const faults = new Set(['keep-name'] as const);
  const failing: Program[] = [];
  for (let i = 0; failing.length < 6 && i < 2000; i++) {
    const p = programAt('min', i, 24, 2);
    if (checkModelImpl(p, cfg, faults).status === 'fail') failing.push(p);
  }

  it('keeps the signature and ends 1-minimal', () => {
    expect(failing.length).toBe(6);
    for (const p of failing) {
      const v = checkModelImpl(p, cfg, faults);
      if (v.status !== 'fail') throw new Error('not failing');
      const sig = signature(p, v.finding);
      const same = (q: Program) => {
        const w = checkModelImpl(q, cfg, faults);
        return w.status === 'fail' && signature(q, w.finding) === sig;
      };
      const m = minimizeFull(p, same, { failingCall: v.finding.index });
      expect(m.oneMinimal).toBe(true);
      expect(same(m.program)).toBe(true);
      expect(m.program.calls.length).toBeLessThanOrEqual(p.calls.length);
      for (let i = 0; i < m.program.calls.length; i++) expect(same(removeCalls(m.program, new Set([i]))), `${sig}: call ${i} removable`).toBe(false);
    }
  });

  it('says when the budget ran out', () => {
    const p = failing[0];
    const m = minimizeFull(p, () => true, { deadline: 0 });
    expect(m.oneMinimal).toBe(false);
    expect(m.program).toBe(p);
  });
});
