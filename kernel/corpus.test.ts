// Success criterion: every scenario and regression program whose devices the VM has (one
// vgem, one bochs and one cirrus device, profile linux-6.1) meets all of its `# =>` expectations on the
// real kernel. Skips, saying why, when the kernel target is not set up.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseText, printCall, printOutcome } from '../ir/encoding.ts';
import { meetsExpectation } from '../harness/compare.ts';
import { doctor } from './doctor.ts';
import { KernelTarget, programKernelDevices, type KernelDevice } from './target.ts';

const root = join(import.meta.dirname, '..', 'corpus');
const report = doctor();
const why = report.ok ? '' : `kernel target not set up (${report.lines.filter((l) => !l.startsWith('ok')).join('; ')})`;

const files = ['scenarios', 'regressions'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.prog')).map((f) => join(d, f)));
let target: KernelTarget | undefined;
afterAll(async () => target?.stop());

describe.skipIf(!report.ok)(`corpus on the real kernel${why ? ` — skipped: ${why}` : ''}`, () => {
  for (const f of files) {
    const p = parseText(readFileSync(join(root, f), 'utf8'));
    const devs = programKernelDevices(p);
    it.skipIf(typeof devs === 'string')(`${f}${typeof devs === 'string' ? ` (skipped: ${devs})` : ''}`, async () => {
      target ??= new KernelTarget();
      const [out] = (await target.run([p], devs as KernelDevice[])).outcomes;
      const bad = p.calls.flatMap((c, i) => (c.expect && !meetsExpectation(c.expect, out[i]) ? [`${printCall(c, i)}\n    kernel: ${printOutcome(out[i])}`] : []));
      expect(bad, bad.join('\n')).toEqual([]);
    });
  }
});
