// The CI conformance gate against reality: seeded random programs run on the real kernel
// (QEMU, Debian 6.1) and on the model, compared call by call, for each device set the VM
// offers — vgem alone, bochs (TTM) alone, and vgem + cirrus (foreign imports). Any divergence
// that is not a listed known one (kernel/known.ts) or any kernel finding fails the gate.
// Skipped, with the reason, when the kernel target is not set up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstDivergence } from '../harness/compare.ts';
import { runProgram } from '../harness/run.ts';
import { programAt } from '../fuzz/check-loop.ts';
import { modelTarget } from '../model/model.ts';
import { doctor } from './doctor.ts';
import { KERNEL_COMPARE, kernelConfig, runKernelCheck } from './check.ts';
import { KernelTarget, type KernelDevice } from './target.ts';

const report = doctor();
const why = report.ok ? '' : ` — skipped: kernel target not set up (${report.lines.filter((l) => !l.startsWith('ok')).join('; ')})`;
const RUNS = Number(process.env.GEMCHECK_KERNEL_RUNS ?? 300);

let target: KernelTarget | undefined;

describe.skipIf(!report.ok)(`model ≡ Linux 6.1 on random programs${why}`, () => {
  beforeAll(async () => {
    target = new KernelTarget();
    await target.vm.start();
  }, 180_000);
  afterAll(async () => target?.stop());

  const sets: KernelDevice[][] = [['vgem'], ['bochs'], ['vgem', 'cirrus']];
  for (const devices of sets) {
    it(`agrees on ${RUNS} programs (${devices.join(' + ')})`, async () => {
      const failures: string[] = [];
      const st = await runKernelCheck(target!, {
        seed: 'ci', runs: RUNS, maxCalls: 24, devices, minimize: false,
        replay: (i) => `npx gemcheck check --target kernel --device ${devices.join(',')} --seed ci --only ${i}`,
        onFailure: (_i, r) => failures.push(r),
      });
      expect(st.findings.map((f) => `${f.kind}: ${f.reason}`)).toEqual([]);
      expect(failures, failures.join('\n\n')).toEqual([]);
      expect(st.passed + st.tooBig).toBe(RUNS);
      expect(st.tooBig).toBeLessThan(RUNS / 50);
    }, 300_000);
  }

  it('can fail: the model of the wrong device disagrees with the kernel', async () => {
    // vgem's pitch rule (bits) and bochs' (whole bytes per pixel) differ, as do their first
    // offsets: programs run on real vgem but judged by the model's bochs must diverge.
    const progs = Array.from({ length: 100 }, (_, i) => programAt('ci', i, 24, 1));
    const run = await target!.run(progs, ['vgem']);
    const wrong = progs.filter((p, i) => firstDivergence(p, runProgram(modelTarget, p, kernelConfig(['bochs'])), run.outcomes[i]!, KERNEL_COMPARE) !== null);
    expect(wrong.length).toBeGreaterThan(10);
  }, 120_000);
});
