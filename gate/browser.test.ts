// Success criterion: report.html renders in a real browser (headless Chromium from Debian's
// package) without console errors or requests outside the file, with every chart drawn, and a
// screenshot is saved (reports/browser/report.png). Skips, saying why, where Chromium is absent.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root, tempDir } from '../cli/test-support.ts';
import { checkReport, chromiumMissing } from './browser.ts';
import { parseGateConfig } from './config.ts';
import { runGate } from './run.ts';
import { prepareOut, writeReports } from './write.ts';

const missing = chromiumMissing();
const tmp = tempDir('gemcheck-gate-browser-');
afterAll(() => tmp.remove());

describe.skipIf(missing !== null)(`report.html in headless Chromium${missing ? ` — skipped: ${missing}` : ''}`, () => {
  it('renders its charts without console errors; screenshot in reports/browser/report.png', async () => {
    // a gate with a finding, so that every chart has data (the kernel chart: the VM is not used here)
    const config = parseGateConfig(
      { version: 1, faults: ['keep-name'], corpus: { dirs: [join(root, 'corpus', 'scenarios')] }, random: { programsPerBudgetSecond: 20, profiles: ['linux-6.1', 'linux-5.10'], devices: ['vgem', 'amdgpu', 'vgem cirrus'] } },
      'browser-test.json',
    );
    const out = join(tmp.path, 'gate');
    const staging = prepareOut(out);
    const doc = await runGate({ config, configDir: root, seed: '1', budgetMs: 30_000, outDir: staging, version: 'test', argv: [], kernelReady: () => ({ ok: false, why: 'not in this test' }) });
    writeReports(doc, staging, out);
    expect(doc.findings.length).toBeGreaterThan(0);
    mkdirSync(join(root, 'reports', 'browser'), { recursive: true });
    const r = await checkReport(join(out, 'report.html'), join(root, 'reports', 'browser', 'report.png'));
    expect(r.errors).toEqual([]);
    expect(r.title).toBe('gemcheck gate: fail');
    expect(r.charts.map((c) => c.id).sort()).toEqual(['c-coverage', 'c-findings', 'c-job-rate', 'c-stage-rate']);
    for (const c of r.charts) {
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.painted, `${c.id} drew nothing`).toBeGreaterThan(1000);
    }
  });
});
