// Success criterion: the check loop's bookkeeping — programs from --from on, where an
// interrupted run stops (`next`, for the "rest" command), declined programs counted with
// their reason — is exact, in-process and without the CLI.
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES } from '../ir/devices.ts';
import { PROFILES, type TargetConfig } from '../ir/target.ts';
import { pairing, type Pairing } from '../harness/pairing.ts';
import { implTarget } from '../impl/target.ts';
import { modelTarget } from '../model/model.ts';
import { runCheck } from './check.ts';

const cfg: TargetConfig = { profile: PROFILES['linux-6.1'], devices: DEFAULT_DEVICES };
const base = { seed: 'loop', maxCalls: 12, cfg, meta: {}, minimize: false, replay: (i: number) => ['check', '--only', String(i)] };

describe('runCheck', () => {
  it('runs programs from .. from+runs-1 and says where it stopped', async () => {
    const seen: number[] = [];
    const st = await runCheck({ ...base, runs: 30, from: 100, pairing: pairing(modelTarget, implTarget()), batch: 7, onFailure: (f) => seen.push(f.index) });
    expect(st.programs).toBe(30);
    expect(st.passed).toBe(30);
    expect(st.next).toBe(130);
    expect(st.interrupted).toBe(false);
    expect(seen).toEqual([]);
  });

  it('declined programs are counted, listed and carry the first reason', async () => {
    const every3rd: Pairing = {
      ...pairing(modelTarget, implTarget()),
      admission: [{ name: 'test-rule', on: ['impl'], check: (p) => (p.calls.length % 3 === 0 ? `length ${p.calls.length}` : null) }],
    };
    const st = await runCheck({ ...base, runs: 60, pairing: every3rd });
    expect(st.notRun.count).toBeGreaterThan(0);
    expect(st.notRun.reason).toMatch(/^test-rule: length \d+$/);
    expect(st.notRun.indices).toHaveLength(st.notRun.count);
    expect(st.programs + st.notRun.count).toBe(60);
  });

  it('an abort from the event loop stops a billion-program run at the next batch; next is the first program not judged', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = performance.now();
    const st = await runCheck({ ...base, runs: 1_000_000_000, batch: 16, pairing: pairing(modelTarget, implTarget()), signal: ac.signal });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(st.interrupted).toBe(true);
    expect(st.programs).toBeGreaterThan(0);
    expect(st.programs % 16).toBe(0);
    expect(st.next).toBe(st.programs);
    expect(st.passed + st.failed).toBe(st.programs);
  });

  it('a run that ends before the abort is not interrupted', async () => {
    const ac = new AbortController();
    const st = await runCheck({ ...base, runs: 5, pairing: pairing(modelTarget, implTarget()), signal: ac.signal });
    ac.abort();
    expect(st.interrupted).toBe(false);
    expect(st.next).toBe(5);
  });
});
