// Success criterion: `gemcheck gate` is deterministic for a seed (identical gate.json verdict
// sections), exits 0 clean / 1 on a finding / 2 on bad input or when nothing ran / 130 on an
// interrupt with partial reports, every finding appears in all four reports, the JUnit file
// parses with a JUnit parser (junit2json), configs are validated with located one-line errors,
// and a stage that cannot run says why.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJunit, type TestCase, type TestSuite, type TestSuites } from 'junit2json';
import { afterAll, describe, expect, it } from 'vitest';
import { gemcheck, root, sleep, start, tempDir } from '../cli/test-support.ts';
import { DEVICE_NAMES, DEVICES_REGISTRY } from '../ir/devices.ts';
import { GateConfigError, loadGateConfig, parseGateConfig, ruleDeviceSets } from './config.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { runGate } from './run.ts';
import { GATE_SCHEMA, verdictSections, type GateDocument } from './schema.ts';
import { renderSummary } from './summary.ts';

const tmp = tempDir('gemcheck-gate-');
afterAll(() => tmp.remove());
let n = 0;
const fresh = (name: string) => join(tmp.path, `${name}-${n++}`);

const corpusDirs = [join(root, 'corpus', 'scenarios'), join(root, 'corpus', 'regressions')];
const NO_KERNEL = () => ({ ok: false as const, why: 'not in this test' });

function writeConfig(obj: unknown): string {
  const f = `${fresh('config')}.json`;
  writeFileSync(f, JSON.stringify(obj));
  return f;
}

async function gateIn(obj: unknown, budgetMs: number, seed = '1'): Promise<GateDocument> {
  const outDir = fresh('out');
  mkdirSync(outDir);
  return runGate({ config: parseGateConfig(obj, 'test.json'), configDir: root, seed, budgetMs, outDir, version: 'test', argv: [], kernelReady: NO_KERNEL });
}

async function junitCases(xml: string): Promise<TestCase[]> {
  const parsed = (await parseJunit(xml)) as TestSuites | TestSuite;
  const suites = 'testsuite' in parsed && Array.isArray(parsed.testsuite) ? parsed.testsuite : [parsed as TestSuite];
  return suites.flatMap((s) => s.testcase ?? []);
}

describe('gate config', () => {
  const bad = (obj: unknown) => {
    try {
      parseGateConfig(obj, 'g.json');
    } catch (e) {
      expect(e).toBeInstanceOf(GateConfigError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };
  it('the checked-in config is valid and covers every conformant registry device, alone and in PRIME pairs', () => {
    const c = loadGateConfig(join(root, 'gate.config.json'));
    const ids = c.random!.jobs.map((j) => j.id);
    const quirked = DEVICE_NAMES.filter((d) => DEVICES_REGISTRY[d].quirks?.length);
    expect(quirked.length).toBeGreaterThan(0);
    for (const d of DEVICE_NAMES) {
      if (quirked.includes(d)) expect(ids.filter((id) => id.split('/')[2].split('+').includes(d))).toEqual([]);
      else expect(ids).toContain(`random/impl/${d}/linux-6.1`);
    }
    // a device with known bugs is meant to fail: listed as excluded, with why, never gated by a rule
    for (const d of quirked) expect(c.random!.excluded.find((x) => x.devices === d)?.reason).toMatch(/known bugs/);
    for (const [a, b] of ruleDeviceSets('@foreign-pairs')) expect(ids).toContain(`random/impl/${a}+${b}/linux-5.10`);
    expect(ruleDeviceSets('@foreign-pairs').length).toBeGreaterThan(0);
    // the kernel stage keeps the sets the VM has and says why it leaves the others out
    expect(c.kernel!.jobs.map((j) => j.devices.devices.join('+'))).toEqual(expect.arrayContaining(['vgem', 'bochs', 'vgem+cirrus']));
    expect(c.kernel!.excluded.every((x) => x.reason.length > 0)).toBe(true);
  });
  it('the checked-in config passes on impl: every job it gates is meant to pass (CI runs it)', async () => {
    // at 1 program per budget second (not the config's rate) so the whole plan runs in seconds
    const c = JSON.parse(readFileSync(join(root, 'gate.config.json'), 'utf8')) as Record<string, unknown>;
    const cfg = { ...c, random: { ...(c['random'] as object), programsPerBudgetSecond: 1 }, kernel: undefined };
    const doc = await gateIn(cfg, 30_000);
    const failing = doc.findings.map((f) => `${f.job}: ${f.signature}`);
    expect(failing).toEqual([]);
    expect(doc.verdict).toBe('pass');
    expect(doc.stages.find((s) => s.id === 'random')!.jobs.length).toBeGreaterThan(10);
  }, 60_000);
  it('a problem is one line naming the file and the JSON path', () => {
    expect(bad({ version: 2 })).toMatch(/^g\.json:\$\.version: expected 1/);
    expect(bad({ version: 1, random: { programsPerBudgetSecond: 1, devices: ['nosuch'] } })).toBe(`g.json:$.random.devices[0]: unknown device 'nosuch' (known: ${DEVICE_NAMES.join(', ')})`);
    expect(bad({ version: 1, random: { programsPerBudgetSecond: 0, devices: ['vgem'] } })).toMatch(/^g\.json:\$\.random\.programsPerBudgetSecond: must be above 0/);
    expect(bad({ version: 1, random: { programsPerBudgetSecond: 1, devices: ['@all'] } })).toMatch(/unknown rule '@all'/);
    expect(bad({ version: 1, random: { programsPerBudgetSecond: 1, devices: [{ devices: 'vgem', profiles: ['linux-4'] }] } })).toMatch(/^g\.json:\$\.random\.devices\[0\]\.profiles\[0\]: unknown profile/);
    expect(bad({ version: 1, kernel: { programsPerBudgetSecond: 1, devices: ['amdgpu'] } })).toMatch(/^g\.json:\$\.kernel\.devices\[0\]: the kernel target cannot run amdgpu/);
    expect(bad({ version: 1, faults: ['nope'] })).toMatch(/^g\.json:\$\.faults\[0\]: unknown fault 'nope'/);
    expect(bad({ version: 1, radnom: {} })).toMatch(/^g\.json:\$\.radnom: unknown key/);
    expect(bad({ version: 1, random: { programsPerBudgetSecond: 1, devices: ['@quirked'] } })).toMatch(/^g\.json:\$\.random\.devices\[0\]: '@quirked' is the canary stage's rule/);
    expect(bad({ version: 1, canary: { programsPerBudgetSecond: 1, devices: ['vgem'] } })).toMatch(/^g\.json:\$\.canary\.devices\[0\]: vgem has no quirks: a canary needs a device with known bugs/);
    // written out, a quirked device is gated like any other (and fails: that is its point)
    const q = DEVICE_NAMES.find((d) => DEVICES_REGISTRY[d].quirks?.length)!;
    expect(parseGateConfig({ version: 1, random: { programsPerBudgetSecond: 1, devices: [q] } }, 'g.json').random!.jobs.map((j) => j.id)).toEqual([`random/impl/${q}/linux-6.1`]);
    for (const m of [bad({ version: 2 }), bad({ version: 1, faults: ['nope'] })]) expect(m).not.toContain('\n');
  });
  it('JSON syntax errors are located by line and column', () => {
    const f = `${fresh('syntax')}.json`;
    writeFileSync(f, '{\n  "version": 1,\n  "random": ,\n}\n');
    expect(() => loadGateConfig(f, 'x.json')).toThrow(/^x\.json:3:\d+: not JSON/);
  });
});

describe('gate runs', () => {
  const config = {
    version: 1,
    corpus: { dirs: corpusDirs },
    random: { programsPerBudgetSecond: 5, devices: ['vgem', 'amdgpu', 'vgem cirrus'] },
    kernel: { programsPerBudgetSecond: 1, devices: ['vgem'] },
  };

  it('a canary: a device with known bugs passes when the check catches them, in every view, and fails the gate when it catches nothing', async () => {
    const q = DEVICE_NAMES.find((d) => DEVICES_REGISTRY[d].quirks?.length)!;
    const doc = await gateIn({ version: 1, canary: { programsPerBudgetSecond: 5, devices: ['@quirked'] } }, 30_000);
    const job = doc.stages.find((x) => x.id === 'canary')!.jobs[0];
    expect(job.id).toBe(`canary/impl/${q}/linux-6.1`);
    expect(job.status).toBe('pass');
    expect(job.caught!.length).toBeGreaterThan(1);
    expect(job.counts.failed).toBe(0);
    expect(job.counts.caught).toBe(job.caught!.reduce((a, c) => a + c.programs, 0));
    expect(doc.findings).toEqual([]);
    expect(doc.verdict).toBe('pass');
    expect(doc.totals.caught).toBe(job.counts.caught);
    const sig = job.caught![0].signature;
    expect(renderSummary(doc)).toContain(sig);
    expect(renderHtml(doc)).toContain(sig);
    const cases = await junitCases(renderJunit(doc));
    const c = cases.find((x) => x.classname === `gate.canary.model-vs-impl.${q}.linux-6_1`)!;
    expect(c.failure).toBeUndefined();
    expect(JSON.stringify(c['system-out'])).toContain(sig);
    // programs 0 and 1 of seed 1 do not reach a known bug: the canary caught nothing, and that fails
    const none = await gateIn({ version: 1, canary: { programsPerBudgetSecond: 1, devices: [q] } }, 2_000);
    const nj = none.stages.find((x) => x.id === 'canary')!.jobs[0];
    expect(nj.counts.judged).toBe(2);
    expect(nj.status).toBe('fail');
    expect(none.findings.map((f) => f.signature)).toEqual([`canary:nothing-caught:${q}`]);
    expect(none.verdict).toBe('fail');
    expect(none.exitCode).toBe(1);
    const nc = (await junitCases(renderJunit(none))).find((x) => x.classname === `gate.canary.model-vs-impl.${q}.linux-6_1`)!;
    expect(nc.failure).toBeDefined();
  });
  it('the same seed gives identical verdict sections; another seed runs other programs', async () => {
    const a = await gateIn(config, 30_000);
    const b = await gateIn(config, 30_000);
    expect(a.schema).toBe(GATE_SCHEMA);
    expect(a.partial, a.partial?.message).toBeUndefined();
    expect(a.findings.map((f) => f.signature)).toEqual([]);
    expect(a.verdict).toBe('pass');
    expect(a.exitCode).toBe(0);
    const corpus = ['scenarios', 'regressions'].reduce((n, d) => n + readdirSync(join(root, 'corpus', d)).filter((f) => f.endsWith('.prog')).length, 0);
    expect(a.totals.programs).toBe(corpus + 3 * 150);
    expect(verdictSections(b)).toEqual(verdictSections(a));
    expect(JSON.stringify(verdictSections(a))).not.toMatch(/"ms"|startedAt/);
    const c = await gateIn(config, 30_000, '2');
    expect(c.verdict).toBe('pass');
    expect(c.stages[1].jobs.map((j) => j.counts.calls)).not.toEqual(a.stages[1].jobs.map((j) => j.counts.calls));
    // the kernel stage says why it did not run
    expect(a.stages.map((x) => x.id)).toEqual(['corpus', 'random', 'canary', 'kernel']);
    expect(a.stages[2]).toMatchObject({ id: 'canary', skipped: 'not in the config', jobs: [] });
    expect(a.stages[3]).toMatchObject({ id: 'kernel', skipped: 'not in this test', jobs: [] });
    expect(a.stages[0].notes?.[0]).toMatch(/^kernel: skipped: not in this test \(\d+ programs declare it\)$/);
  });

  it('a planted fault is a finding in all four reports, with its minimized program and replay command', async () => {
    const doc = await gateIn({ ...config, faults: ['keep-name'], random: { programsPerBudgetSecond: 20, devices: ['vgem'] } }, 30_000);
    expect(doc.verdict).toBe('fail');
    expect(doc.exitCode).toBe(1);
    expect(doc.findings.length).toBeGreaterThan(0);
    const random = doc.findings.filter((f) => f.stage === 'random');
    expect(random.length).toBeGreaterThan(0);
    expect(random[0].replay).toMatch(/^npx gemcheck check --seed 1 --only \d+ .*--fault keep-name$/);
    const junit = renderJunit(doc);
    const summary = renderSummary(doc);
    const html = renderHtml(doc);
    const json = JSON.stringify(doc);
    const cases = await junitCases(junit);
    const failing = cases.filter((c) => c.failure?.length);
    const htmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    for (const f of doc.findings) {
      expect(json).toContain(JSON.stringify(f.replay));
      expect(summary).toContain(f.replay);
      expect(html).toContain(htmlEsc(f.replay));
      expect(html).toContain(htmlEsc(f.signature));
      const tc = failing.find((c) => c.failure!.some((x) => x.inner?.includes(f.replay)));
      expect(tc, `${f.signature} in junit.xml`).toBeDefined();
      const inner = tc!.failure!.map((x) => x.inner).join('\n');
      expect(inner).toContain(f.program.trimEnd());
      expect(inner).toContain(f.description[0]);
    }
    // every failing program is in the reports: minimized once per signature, the others by index
    const failedPrograms = doc.stages.flatMap((s) => s.jobs).reduce((a, j) => a + j.counts.failed, 0);
    expect(doc.findings.reduce((a, f) => a + 1 + (f.alsoAt?.length ?? 0), 0)).toBe(failedPrograms);
    for (const f of doc.findings.filter((x) => x.alsoAt?.length)) {
      const line = `also failed the same way: programs ${f.alsoAt!.join(', ')}`;
      expect(summary).toContain(line);
      expect(html).toContain(line);
      expect(failing.some((c) => c.failure!.some((x) => x.inner?.includes(line)))).toBe(true);
    }
    // one testcase per stage × device set × profile × check
    expect(cases.filter((c) => c.classname === 'gate.random.model-vs-impl.vgem.linux-6_1').map((c) => c.name).sort()).toEqual(['agreement', 'self-checks', 'target-health']);
    expect(cases.find((c) => c.classname === 'gate.kernel')?.skipped?.[0].message).toBe('skipped: not in this test');
  });

  it('the budget caps the wall time: a gate it cuts short is partial and fails', async () => {
    const doc = await gateIn({ version: 1, random: { programsPerBudgetSecond: 1e6, devices: ['vgem'] } }, 300);
    expect(doc.partial?.reason).toBe('budget');
    expect(doc.verdict).toBe('fail');
    expect(doc.exitCode).toBe(1);
    expect(doc.stages[1].jobs[0].status).toBe('partial');
    const cases = await junitCases(renderJunit(doc));
    expect(cases.find((c) => c.name === 'budget')?.failure?.length).toBe(1);
  });
});

describe('gemcheck gate (the command)', () => {
  const quick = { version: 1, random: { programsPerBudgetSecond: 20, devices: ['vgem'] } };
  const files = (out: string) => ['gate.json', 'junit.xml', 'summary.md', 'report.html'].filter((f) => existsSync(join(out, f)));

  it('clean: exit 0, four reports, a closing count line; the previous report folder is replaced', async () => {
    const out = fresh('cli-clean');
    const r = await gemcheck(['gate', '--config', writeConfig(quick), '--budget', '2s', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(files(out)).toHaveLength(4);
    expect(r.out).toMatch(/^40 passed, 0 failed$/m);
    const again = await gemcheck(['gate', '--config', writeConfig(quick), '--budget', '2s', '--out', out, '--seed', '9']);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'gate.json'), 'utf8')).seed).toBe('9');
  });

  it('a fault switch in the config: exit 1', async () => {
    const out = fresh('cli-fault');
    const r = await gemcheck(['gate', '--config', writeConfig({ ...quick, faults: ['keep-name'], random: { programsPerBudgetSecond: 100, devices: ['vgem'] } }), '--budget', '2s', '--out', out]);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/^FAIL random random\/impl\/vgem\/linux-6\.1 /m);
    expect(JSON.parse(readFileSync(join(out, 'gate.json'), 'utf8')).verdict).toBe('fail');
  });

  it('bad input is one line and exit 2: a config error, --budget 0, a foreign --out folder', async () => {
    const cfg = writeConfig({ version: 1, random: { programsPerBudgetSecond: 1, devices: ['vgem', 'nosuch'] } });
    const a = await gemcheck(['gate', '--config', cfg, '--out', fresh('x')]);
    expect(a.code).toBe(2);
    expect(a.err.trimEnd().split('\n')).toEqual([`gemcheck: ${cfg}:$.random.devices[1]: unknown device 'nosuch' (known: ${DEVICE_NAMES.join(', ')})`]);
    const b = await gemcheck(['gate', '--budget', '0', '--out', fresh('x')]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/^gemcheck: --budget: must be above 0/);
    const foreign = fresh('foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'keep.txt'), 'mine');
    const c = await gemcheck(['gate', '--config', writeConfig(quick), '--out', foreign]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/not empty and holds no gate\.json/);
    expect(readFileSync(join(foreign, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('nothing ran is an error (exit 2), with the reports saying why', async () => {
    const out = fresh('cli-empty');
    const r = await gemcheck(['gate', '--config', writeConfig({ version: 1, kernel: { programsPerBudgetSecond: 1, devices: ['vgem'] } }), '--out', out], {
      env: { ...process.env, GEMCHECK_CACHE_DIR: join(tmp.path, 'no-kernel-here') },
    });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nothing ran/);
    const doc = JSON.parse(readFileSync(join(out, 'gate.json'), 'utf8')) as GateDocument;
    expect(doc.verdict).toBe('error');
    expect(doc.stages.find((s) => s.id === 'kernel')?.skipped).toMatch(/^the kernel target is not set up/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/skipped: the kernel target is not set up/);
  });

  it('Ctrl-C: exit 130 with partial reports marked partial', async () => {
    const out = fresh('cli-int');
    const r = start(['gate', '--config', writeConfig({ version: 1, random: { programsPerBudgetSecond: 1e6, devices: ['vgem'] } }), '--budget', '10m', '--out', out]);
    expect(await r.waitFor(/gate: corpus: skipped/, 30_000)).toBe(true);
    await sleep(700);
    r.child.kill('SIGINT');
    const f = await r.done;
    expect(f.code, f.err).toBe(130);
    expect(files(out)).toHaveLength(4);
    const doc = JSON.parse(readFileSync(join(out, 'gate.json'), 'utf8')) as GateDocument;
    expect(doc.partial?.reason).toBe('interrupted');
    expect(doc.exitCode).toBe(130);
    expect(doc.totals.programs).toBeGreaterThan(0);
    expect(doc.stages[1].jobs[0].status).toBe('partial');
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('**PARTIAL**');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<b>PARTIAL</b>');
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('name="gemcheck gate (partial)"');
  });
});
