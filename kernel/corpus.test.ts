// Success criterion: every scenario and regression program whose devices the VM has (one
// vgem or one bochs device, profile linux-6.1) meets all of its `# =>` expectations on the
// real kernel. Skips, saying why, when the kernel target is not set up.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseText, printCall, printOutcome } from '../ir/encoding.ts';
import type { Program } from '../ir/program.ts';
import { meetsExpectation } from '../harness/compare.ts';
import { doctor } from './doctor.ts';
import { isKernelDevice, KernelTarget, type KernelDevice } from './target.ts';

const root = join(import.meta.dirname, '..', 'corpus');
const report = doctor();
const why = report.ok ? '' : `kernel target not set up (${report.lines.filter((l) => !l.startsWith('ok')).join('; ')})`;

/** The VM's device for a program, or why it cannot run there. */
export function vmDevice(p: Program): KernelDevice | string {
  if (p.meta.profile && p.meta.profile !== 'linux-6.1') return `profile ${p.meta.profile}`;
  const dev = p.meta.devices?.[0] ?? 'vgem';
  if (!isKernelDevice(dev)) return `device ${dev}`;
  // an open() of another device the program declares cannot run: the VM gives one device
  const declared = BigInt(p.meta.devices?.length ?? 1);
  const usesOther = p.calls.some((c) => c.op === 'open' && c.args[0].kind === 'lit' && c.args[0].value > 0n && c.args[0].value < declared);
  return usesOther ? 'opens a second device (the VM has one of each kind)' : dev;
}

const files = ['scenarios', 'regressions'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.prog')).map((f) => join(d, f)));
let target: KernelTarget | undefined;
afterAll(async () => target?.stop());

describe.skipIf(!report.ok)(`corpus on the real kernel${why ? ` — skipped: ${why}` : ''}`, () => {
  for (const f of files) {
    const p = parseText(readFileSync(join(root, f), 'utf8'));
    const dev = vmDevice(p);
    it.skipIf(!isKernelDevice(dev))(`${f}${isKernelDevice(dev) ? '' : ` (skipped: ${dev})`}`, async () => {
      target ??= new KernelTarget();
      const [out] = (await target.run([p], dev as KernelDevice)).outcomes;
      const bad = p.calls.flatMap((c, i) => (c.expect && !meetsExpectation(c.expect, out[i]) ? [`${printCall(c, i)}\n    kernel: ${printOutcome(out[i])}`] : []));
      expect(bad, bad.join('\n')).toEqual([]);
    });
  }
});
