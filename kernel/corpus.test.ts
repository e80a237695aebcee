// Success criterion: every scenario and regression program whose devices the VM has (one
// vgem, one bochs and one cirrus device, profile linux-6.1) meets all of its `# =>`
// expectations on the real kernel. Skips, saying why, when the kernel target is not set up.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseText, printCall, printOutcome } from '../ir/encoding.ts';
import { meetsExpectation } from '../harness/compare.ts';
import { configFor } from '../harness/run.ts';
import { doctor } from './doctor.ts';
import { KernelTarget } from './target.ts';

const root = join(import.meta.dirname, '..', 'corpus');
const report = doctor();
const why = report.ok ? '' : `kernel target not set up (${report.lines.filter((l) => !l.startsWith('ok')).join('; ')})`;

const files = ['scenarios', 'regressions'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.prog')).map((f) => join(d, f)));
const target = new KernelTarget();
afterAll(async () => target.close());

describe.skipIf(!report.ok)(`corpus on the real kernel${why ? ` — skipped: ${why}` : ''}`, () => {
  for (const f of files) {
    const p = parseText(readFileSync(join(root, f), 'utf8'));
    const cfg = configFor(p, undefined, p.meta.devices ? undefined : { devices: ['vgem'] });
    const no = target.unsupported(cfg);
    it.skipIf(no !== null)(`${f}${no ? ` (skipped: ${no})` : ''}`, async () => {
      const [r] = await target.run([p], cfg);
      expect(r.status, r.reason).toBe('ok');
      const out = r.outcomes;
      const bad = p.calls.flatMap((c, i) => (c.expect && !meetsExpectation(c.expect, out[i]) ? [`${printCall(c, i)}\n    kernel: ${printOutcome(out[i])}`] : []));
      expect(bad, bad.join('\n')).toEqual([]);
    });
  }
});
