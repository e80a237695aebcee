// Success criterion: a run of any length stops within a second of SIGINT or SIGTERM with its
// summary, an `interrupted after N programs` line and exit code 130 (the impl loop yields; a
// kernel run leaves no qemu behind and reports nothing for the programs the stop cut short);
// a huge --runs starts at once in constant memory; `check | head` does not crash on EPIPE.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor } from '../kernel/doctor.ts';
import { rssKb, sh, sleep, start, tempDir, type Running } from './test-support.ts';

const tmp = tempDir('gemcheck-cli-interrupt-');
afterAll(() => tmp.remove());

/** The header line is printed once the signal handlers are installed. */
const HEADER = /^gemcheck check: /m;
const PROGRESS = /^ {2}\d+ programs, \d+ failed, \d+ programs\/s$/m;

/** Sends `sig`; the run's end, or a failure if it is still running after `ms` (killed then). */
async function stop(r: Running, sig: NodeJS.Signals, ms = 5000) {
  const sent = performance.now();
  r.child.kill(sig);
  const f = await Promise.race([r.done, sleep(ms).then(() => undefined)]);
  if (!f) {
    r.child.kill('SIGKILL');
    throw new Error(`still running ${ms} ms after ${sig}`);
  }
  return { ...f, ms: f.endedAt - sent };
}

async function started(r: Running, ms = 60_000): Promise<void> {
  if (!(await r.waitFor(HEADER, ms))) throw new Error(`no header line within ${ms} ms:\n${r.out()}\n${r.err()}`);
}

function summary(out: string): { interrupted: number; passed: number; failed: number } {
  const i = /^interrupted after (\d+) programs; the rest: npx gemcheck check .*--from \d+ --runs \d+$/m.exec(out);
  const s = /^(\d+) passed, (\d+) failed$/m.exec(out);
  expect(i, out).not.toBeNull();
  expect(s, out).not.toBeNull();
  return { interrupted: Number(i![1]), passed: Number(s![1]), failed: Number(s![2]) };
}

describe.concurrent('interrupting gemcheck check', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`impl: ${sig} stops a 100 000 000-program run within 1 s, with the summary and exit 130`, async () => {
      const r = start(['check', '--runs', '100000000', '--save', join(tmp.path, `impl-${sig}`)]);
      await started(r);
      await r.waitFor(PROGRESS, 1500);
      const f = await stop(r, sig);
      expect(f.signal, 'killed by the signal instead of handling it').toBeNull();
      expect(f.code).toBe(130);
      expect(f.ms).toBeLessThan(1000);
      const s = summary(f.out);
      expect(s.passed + s.failed).toBe(s.interrupted);
      expect(f.err).toContain(`gemcheck: ${sig}: stopping`);
    });
  }

  it('a 1 000 000 000-program run starts at once, prints progress and stays small (constant memory)', async () => {
    const r = start(['check', '--runs', '1000000000', '--save', join(tmp.path, 'huge')]);
    await started(r);
    let maxKb = 0;
    const until = performance.now() + 2000;
    while (performance.now() < until) {
      maxKb = Math.max(maxKb, rssKb(r.pid) ?? 0);
      await sleep(100);
    }
    expect(await r.waitFor(PROGRESS, 2000), `no progress line:\n${r.err()}`).toBe(true);
    maxKb = Math.max(maxKb, rssKb(r.pid) ?? 0);
    const f = await stop(r, 'SIGINT');
    expect(f.code).toBe(130);
    expect(f.ms).toBeLessThan(1000);
    expect(maxKb).toBeGreaterThan(0);
    expect(maxKb).toBeLessThan(300 * 1024);
    summary(f.out);
  });

  it('check | head -1: no EPIPE crash, on stdout or on stderr', async () => {
    const save = join(tmp.path, 'pipe');
    const a = await sh(`node bin/gemcheck.mjs check --runs 2000 --fault keep-name --save '${save}' | head -1`);
    expect(a.out).toMatch(/^gemcheck check: model vs impl/);
    expect(a.out.trim().split('\n')).toHaveLength(1);
    expect(a.err).not.toMatch(/EPIPE|Error|\n\s+at /);
    // stderr alone into the pipe (the progress lines, one a second): the second one meets the
    // closed pipe; the process must end there quietly, exit 0
    const b = await sh(`{ node bin/gemcheck.mjs check --runs 1000000 --save '${save}' 2>&1 >/dev/null; echo "node exit $?" >&3; } 3>&2 | head -1`, { timeoutMs: 30_000 });
    expect(b.out).toMatch(/^ {2}\d+ programs, 0 failed, \d+ programs\/s\n$/);
    expect(b.err.trim()).toBe('node exit 0');
  });
});

// ---- the kernel target ----

const kernelReady = doctor().ok;
function qemusUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'qemu-system-x86_64'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(dir));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('interrupting a kernel run', () => {
  it('kernel: SIGINT after boot exits 130 within ~2 s, with no FAIL, no saved failure and no qemu left', async ({ skip }) => {
    if (!kernelReady) skip('the kernel target is not set up (npx gemcheck kernel doctor)');
    // the VM's temp folder (its socket path is on qemu's command line) goes under our own
    const own = join(tmp.path, 'kernel-tmp');
    mkdirSync(own);
    const save = join(tmp.path, 'kernel-save');
    const r = start(['check', '--target', 'kernel', '--device', 'vgem', '--runs', '100000', '--save', save], { env: { ...process.env, TMPDIR: own }, timeoutMs: 240_000 });
    await started(r, 120_000);
    // booted: a qemu with our folder on its command line, and the first programs answered
    const booted = await r.waitFor(PROGRESS, 180_000);
    expect(booted, `no progress after boot:\n${r.err()}`).toBe(true);
    expect(qemusUnder(own).length).toBeGreaterThan(0);
    const f = await stop(r, 'SIGINT', 60_000);
    expect(f.code).toBe(130);
    expect(f.ms).toBeLessThan(2500);
    expect(f.out).not.toMatch(/^FAIL/m);
    summary(f.out);
    expect(readdirSync(save).filter((n) => n.endsWith('.prog'))).toEqual([]);
    await sleep(300);
    expect(qemusUnder(own)).toEqual([]);
  });
});

describe('interrupting gemcheck fuzz on worker threads', () => {
  it('SIGINT while the workers start (seconds under tsx) stops within 1 s: exit 130, everything saved', async () => {
    const d = join(tmp.path, 'fuzz-w2');
    const r = start(['fuzz', '--corpus', d, '--time', '10m', '--workers', '2', '--seed', '5']);
    if (!(await r.waitFor(/^gemcheck fuzz: /m, 60_000))) throw new Error(`no header line:\n${r.out()}\n${r.err()}`);
    const f = await stop(r, 'SIGINT');
    expect(f.signal, 'killed by the signal instead of handling it').toBeNull();
    expect(f.code, f.err).toBe(130);
    expect(f.ms).toBeLessThan(1000);
    expect(f.out).toMatch(/interrupted: everything is saved/);
    expect(readdirSync(d)).toContain('stats.json');
  });
});
