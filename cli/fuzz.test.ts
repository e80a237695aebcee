// Success criteria for the campaign commands as a user runs them: Ctrl-C stops `gemcheck
// fuzz` with exit 130 and everything saved, kill -9 leaves a corpus `corpus stats` accepts
// and a restart resumes; `gemcheck minimize` reduces a saved failure to a 1-minimal program
// with the same signature and says calls before → after; `gemcheck repro` writes C that the
// system cc compiles, and in the VM (where the kernel target is set up) prints the results
// the kernel target reported.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseText } from '../ir/encoding.ts';
import { PROFILES } from '../ir/target.ts';
import { doctor } from '../kernel/doctor.ts';
import { compileStatic } from '../kernel/compile.ts';
import { KernelTarget, toOutcomes } from '../kernel/target.ts';
import { KernelVm } from '../kernel/vm.ts';
import { parseExecLine } from '../kernel/wire.ts';
import { reproSource } from '../kernel/repro.ts';
import { loadCorpus } from '../campaign/corpus.ts';
import { gemcheck, sleep, start, tempDir } from './test-support.ts';

const tmp = tempDir('gemcheck-cli-fuzz-');
afterAll(() => tmp.remove());

describe('gemcheck fuzz / corpus / minimize / repro', () => {
  it('Ctrl-C: exit 130, everything saved; kill -9: the corpus still passes stats; a restart resumes', async () => {
    const d = join(tmp.path, 'c');
    const r = start(['fuzz', '--corpus', d, '--time', '10m', '--seed', '3']);
    expect(await r.waitFor(/execs, \d+\/s/, 60_000), r.err()).toBe(true);
    r.child.kill('SIGINT');
    const f = await r.done;
    expect(f.code, f.err).toBe(130);
    expect(f.out).toMatch(/interrupted: everything is saved/);
    const st = JSON.parse(readFileSync(join(d, 'stats.json'), 'utf8'));
    expect(st.interrupted).toBe(true);
    const l = loadCorpus(d);
    expect(l.problems).toEqual([]);
    expect(l.entries.length).toBe(st.corpus);

    const k = start(['fuzz', '--corpus', d, '--time', '10m', '--seed', '3']);
    expect(await k.waitFor(/execs, \d+\/s/, 60_000)).toBe(true);
    await sleep(300);
    k.child.kill('SIGKILL');
    await k.done;
    const s2 = await gemcheck(['corpus', 'stats', d]);
    expect(s2.code, s2.out + s2.err).toBe(0);
    expect(s2.out).toMatch(/^no problems$/m);
    const resumed = await gemcheck(['fuzz', '--corpus', d, '--execs', '300', '--seed', '3']);
    expect(resumed.code, resumed.err).toBe(0);
    const st2 = JSON.parse(readFileSync(join(d, 'stats.json'), 'utf8'));
    expect(st2.execs).toBeGreaterThanOrEqual(st.execs + 300);
    expect(st2.sessions).toBeGreaterThanOrEqual(2);
    // corpus merge: the union, with the signal each manifest had
    const m = join(tmp.path, 'merged');
    const mg = await gemcheck(['corpus', 'merge', d, d, '--out', m]);
    const lm = loadCorpus(m);
    expect(lm.problems).toEqual([]);
    expect(mg.out).toMatch(new RegExp(`into ${m.replace(/[/.]/g, '\\$&')}: \\d+ new, ${lm.entries.length} in all`));
    expect(lm.entries.length).toBe(loadCorpus(d).entries.length);
    expect(lm.entries.every((e) => e.signal)).toBe(true);
  }, 120_000);

  it('minimize FILE: same signature, 1-minimal, calls before → after', async () => {
    const file = join(tmp.path, 'fail.prog');
    // a keep-name failure padded with unrelated calls
    writeFileSync(file, [
      '# gemcheck program v1', '# devices: vgem vgem', '# faults: keep-name',
      'r0 = open(0, primary)', 'r1 = create_dumb(r0.fd, 64, 64, 32, 0)', 'r2 = open(1, primary)', 'r3 = create_dumb(r2.fd, 8, 8, 32, 0)',
      'r4 = gem_flink(r0.fd, r1.handle)', 'r5 = map_dumb(r2.fd, r3.handle)', 'gem_close(r0.fd, r1.handle)', 'r7 = get_magic(r2.fd)', '',
    ].join('\n'));
    const m = await gemcheck(['minimize', file]);
    expect(m.code, m.err).toBe(1);
    expect(m.out).toMatch(/calls: 8 → [2-4] in [0-9.]+ s \(\d+ runs; 1-minimal/);
    const sig = /^signature: (.*)$/m.exec(m.out)![1];
    const small = readFileSync(join(tmp.path, 'fail.min.prog'), 'utf8');
    expect(small).toContain(`# signature: ${sig}`);
    const again = await gemcheck(['diff', join(tmp.path, 'fail.min.prog')]);
    expect(again.code).toBe(1);
    expect(again.out).toContain(sig);
  }, 60_000);

  it('repro FILE: C that cc compiles without libdrm headers', async () => {
    for (const f of ['prime.prog', 'bochs.prog', 'foreign-import-cirrus.prog', 'amdgpu-create.prog']) {
      const dest = join(tmp.path, f.replace('.prog', '.c'));
      const r = await gemcheck(['repro', join('corpus', 'scenarios', f), '--out', dest]);
      expect(r.code, r.err).toBe(0);
      execFileSync('cc', ['-O1', '-Wall', '-Werror', '-o', dest.replace(/\.c$/, ''), dest]);
      expect(existsSync(dest.replace(/\.c$/, ''))).toBe(true);
    }
  }, 60_000);

  const d = doctor();
  it.skipIf(!d.ok)(`repro in the VM prints what the kernel target reported${d.ok ? '' : ' [skipped: kernel target not set up: npm run kernel:setup]'}`, async () => {
    const p = parseText(readFileSync('corpus/scenarios/prime.prog', 'utf8'));
    const cfg = { profile: PROFILES['linux-6.1'], devices: ['vgem' as const] };
    const t = new KernelTarget();
    let want;
    try {
      await t.start?.();
      [want] = await t.run([{ ...p, meta: { devices: ['vgem'] } }], cfg);
    } finally {
      await t.close();
    }
    const vm = new KernelVm();
    let got;
    try {
      got = await vm.runBinary(compileStatic(reproSource({ ...p, meta: { devices: ['vgem'] } })), { name: 'repro', timeoutMs: 60_000 });
    } finally {
      await vm.stop();
    }
    const results = got.output.map(parseExecLine).flatMap((l) => (l.type === 'res' ? [l] : []));
    const outcomes = toOutcomes({ results } as unknown as Parameters<typeof toOutcomes>[0]);
    expect(outcomes.length).toBe(want!.outcomes.length);
    expect(outcomes).toEqual(want!.outcomes);
  }, 180_000);
});
