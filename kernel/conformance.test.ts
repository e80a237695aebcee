// The CI conformance gate against reality: seeded random programs run on the real kernel
// (QEMU, Debian 6.1) and on the model, judged by the one check loop, for each device set the
// VM offers — vgem alone, bochs (TTM) alone, and vgem + cirrus (foreign imports). Any
// divergence that is not a listed known one (harness/known.ts) or any kernel finding fails.
// Skipped, with the reason, when the kernel target is not set up.
import { afterAll, describe, expect, it } from 'vitest';
import type { DeviceName } from '../ir/devices.ts';
import { PROFILES, type Target } from '../ir/target.ts';
import { pairing } from '../harness/pairing.ts';
import { judgeBatch } from '../harness/run.ts';
import { runCheck, type FailureRecord } from '../campaign/check.ts';
import { programAt } from '../fuzz/generate.ts';
import { modelTarget } from '../model/model.ts';
import { implTarget } from '../impl/target.ts';
import { doctor } from './doctor.ts';
import { KernelTarget } from './target.ts';

const report = doctor();
const why = report.ok ? '' : ` — skipped: kernel target not set up (${report.lines.filter((l) => !l.startsWith('ok')).join('; ')})`;
const RUNS = Number(process.env.GEMCHECK_KERNEL_RUNS ?? 300);
const QXL_RUNS = Number(process.env.GEMCHECK_QXL_CHECK_RUNS ?? 300);
const cfgOf = (devices: readonly DeviceName[]) => ({ profile: PROFILES['linux-6.1'], devices });

const target = new KernelTarget();

describe.skipIf(!report.ok)(`model ≡ Linux 6.1 on random programs${why}`, () => {
  afterAll(async () => target.close());

  const sets: DeviceName[][] = [['vgem'], ['bochs'], ['vgem', 'cirrus']];
  for (const devices of sets) {
    it(`agrees on ${RUNS} programs (${devices.join(' + ')})`, async () => {
      const failures: FailureRecord[] = [];
      const st = await runCheck({
        seed: 'ci', runs: RUNS, maxCalls: 24, cfg: cfgOf(devices), pairing: pairing(modelTarget, target), meta: { devices }, minimize: false,
        replay: (i) => ['check', '--target', 'kernel', '--device', devices.join(','), '--seed', 'ci', '--only', String(i)],
        onFailure: (f) => failures.push(f),
      });
      expect(failures.map((f) => f.report).join('\n\n')).toBe('');
      expect(st.passed + st.notRun.count).toBe(RUNS);
      expect(st.notRun.count).toBeLessThan(RUNS / 50);
    }, 300_000);
  }

  it(`agrees on ${QXL_RUNS} qxl programs, and the kernel evicted (debugfs qxl_mem_mm)`, async () => {
    const failures: FailureRecord[] = [];
    const devices: DeviceName[] = ['qxl'];
    const t = new KernelTarget();
    try {
      const st = await runCheck({
        seed: 'ci-qxl', runs: QXL_RUNS, maxCalls: 24, cfg: cfgOf(devices), pairing: pairing(modelTarget, t), meta: { devices }, minimize: false,
        replay: (i) => ['check', '--target', 'kernel', '--device', 'qxl', '--seed', 'ci-qxl', '--only', String(i)],
        onFailure: (f) => failures.push(f),
      });
      expect(failures.map((f) => f.report).join('\n\n')).toBe('');
      expect(st.passed + st.notRun.count).toBe(QXL_RUNS);
      const seen = t.notes().map((n) => /kernel: ([\d,]+) qxl evictions/.exec(n)).find((m) => m);
      expect(Number(seen?.[1]?.replace(/,/g, '') ?? 0)).toBeGreaterThan(QXL_RUNS / 10);
    } finally {
      await t.close();
    }
  }, 300_000);

  it('the same loop judges impl against the kernel (vgem + cirrus)', async () => {
    const failures: FailureRecord[] = [];
    const devices: DeviceName[] = ['vgem', 'cirrus'];
    const st = await runCheck({
      seed: 'ci-impl', runs: 200, maxCalls: 24, cfg: cfgOf(devices), pairing: pairing(implTarget(), target), meta: { devices }, minimize: false,
      replay: (i) => ['check', '--reference', 'impl', '--target', 'kernel', '--device', devices.join(','), '--seed', 'ci-impl', '--only', String(i)],
      onFailure: (f) => failures.push(f),
    });
    expect(failures.map((f) => f.report).join('\n\n')).toBe('');
    expect(st.passed + st.notRun.count).toBe(200);
  }, 300_000);

  it('can fail: the model of the wrong device disagrees with the kernel', async () => {
    // vgem's pitch rule (bits) and bochs' (whole bytes per pixel) differ, as do their first
    // offsets: programs run on real vgem but judged by the model's bochs must diverge.
    const progs = Array.from({ length: 100 }, (_, i) => programAt('ci', i, 24, 1));
    const onVgem: Target = { name: 'kernel', unsupported: () => null, run: (ps, _cfg, sig) => target.run(ps, cfgOf(['vgem']), sig), close: async () => {} };
    const judged = await judgeBatch(pairing(modelTarget, onVgem), progs, cfgOf(['bochs']));
    expect(judged.filter((j) => j.verdict.status === 'fail').length).toBeGreaterThan(10);
  }, 120_000);
});
