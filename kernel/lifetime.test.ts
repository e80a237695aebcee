// QEMU never outlives gemcheck and never takes a terminal's Ctrl-C for itself
// (kernel/reaper.sh). A child node process (kernel/vm-child.ts) runs a KernelVm — with
// kernel/fake-qemu.mjs, and once with the real QEMU when the kernel back end is set up — and
// is killed or interrupted; then no process of QEMU's group may be left, nor its temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { doctor } from './doctor.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const FAKE_QEMU = [process.execPath, path.join(here, 'fake-qemu.mjs')];
const GONE_WITHIN_MS = 2000;
let fakeCache = '';

beforeAll(() => {
  // start() only checks that the images exist; the fake never reads them
  fakeCache = fs.mkdtempSync(path.join(os.tmpdir(), 'gemcheck-fakevm-'));
  fs.writeFileSync(path.join(fakeCache, 'vmlinuz'), '');
  fs.writeFileSync(path.join(fakeCache, 'initramfs.cpio.gz'), '');
});
afterAll(() => fs.rmSync(fakeCache, { recursive: true, force: true }));

interface ProcInfo {
  pid: number;
  comm: string;
  state: string;
  pgrp: number;
  session: number;
}

function procInfo(pid: number): ProcInfo | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = stat.lastIndexOf(')');
  const [state = '', , pgrp = '0', session = '0'] = stat.slice(close + 2).split(' ');
  return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), state, pgrp: Number(pgrp), session: Number(session) };
}

/** Processes of a process group that are still running (zombies are dead: only their exit
 * status is left, for a parent that may never come to collect it). */
function liveGroup(pgid: number): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const p = procInfo(Number(d));
    if (p && p.pgrp === pgid && p.state !== 'Z') out.push(p);
  }
  return out;
}

/** Milliseconds until cond() holds, or null after limitMs. */
async function msUntil(cond: () => boolean, limitMs: number): Promise<number | null> {
  const t0 = performance.now();
  for (;;) {
    if (cond()) return Math.round(performance.now() - t0);
    if (performance.now() - t0 > limitMs) return null;
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Up {
  pgid: number;
  tmpDir: string;
}
interface Summary {
  findings: string[];
  interrupted: number;
  done: number;
  sigint: boolean;
}
interface Child {
  proc: ChildProcess;
  up: Promise<Up>;
  result: Promise<{ summary: Summary; at: number } | null>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** kernel/vm-child.ts in a process group of its own, as a shell runs a foreground job. */
function startChild(args: { mode: 'plain' | 'abort' | 'flag'; programs: number; lines: string[]; real?: boolean }): Child {
  const spec = { ...args, cacheDir: args.real ? undefined : fakeCache, qemuCommand: args.real ? undefined : FAKE_QEMU };
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'vm-child.ts'), JSON.stringify(spec)], {
    cwd: path.join(here, '..'),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  let upResolve: (u: Up) => void = () => undefined;
  let resultResolve: (r: { summary: Summary; at: number } | null) => void = () => undefined;
  const up = new Promise<Up>((resolve) => (upResolve = resolve));
  const result = new Promise<{ summary: Summary; at: number } | null>((resolve) => (resultResolve = resolve));
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (s: string) => {
    out += s;
    for (const l of s.split('\n')) {
      if (l.startsWith('up ')) upResolve(JSON.parse(l.slice(3)) as Up);
      if (l.startsWith('result ')) resultResolve({ summary: JSON.parse(l.slice(7)) as Summary, at: performance.now() });
    }
  });
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (s: string) => (out += s));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('close', (code, signal) => {
      resultResolve(null);
      resolve({ code, signal });
    }),
  );
  // a child that dies before `up` fails the test with its output instead of a timeout
  const upOrDeath = Promise.race([
    up,
    exit.then(({ code, signal }): never => {
      throw new Error(`vm-child ended (${signal ?? code}) before its guest was up:\n${out}`);
    }),
  ]);
  return { proc, up: upOrDeath, result, exit, output: () => out };
}

/** The guest of a child that is up: QEMU runs in a session (and group) of its own. */
function checkDetached(child: Child, up: Up): ProcInfo[] {
  const group = liveGroup(up.pgid);
  expect(group.length, child.output()).toBeGreaterThanOrEqual(2); // the reaper and QEMU (and its watcher)
  expect(fs.existsSync(up.tmpDir)).toBe(true);
  const childInfo = procInfo(child.proc.pid ?? -1);
  for (const p of group) {
    expect(p.pgrp).not.toBe(childInfo?.pgrp);
    expect(p.session).not.toBe(childInfo?.session);
    expect(p.session).toBe(up.pgid); // the reaper leads a session of its own (setsid)
  }
  return group;
}

/** Signal the child, then wait for QEMU's group to be gone and its temp dir removed. */
async function killAndMeasure(child: Child, up: Up, kill: () => void): Promise<number> {
  kill();
  const ms = await msUntil(() => liveGroup(up.pgid).length === 0 && !fs.existsSync(up.tmpDir), GONE_WITHIN_MS);
  expect(ms, `left behind: ${JSON.stringify(liveGroup(up.pgid))}, temp dir ${fs.existsSync(up.tmpDir) ? 'still there' : 'gone'}`).not.toBeNull();
  return ms as number;
}

const SLOW = ['open 0 0', 'sleep 100']; // fake guest: 100 ms a program

describe('QEMU dies with gemcheck (fake QEMU)', () => {
  it('SIGKILL of node: the reaper kills QEMU and removes its temp dir', async () => {
    const child = startChild({ mode: 'plain', programs: 1000, lines: SLOW });
    const up = await child.up;
    const group = checkDetached(child, up);
    expect(group.some((p) => p.comm === 'node')).toBe(true); // the fake QEMU
    const ms = await killAndMeasure(child, up, () => child.proc.kill('SIGKILL'));
    console.info(`fake QEMU gone ${ms} ms after SIGKILL of node`);
    expect((await child.exit).signal).toBe('SIGKILL');
  }, 30_000);

  it('SIGTERM of node: the same', async () => {
    const child = startChild({ mode: 'plain', programs: 1000, lines: SLOW });
    const up = await child.up;
    checkDetached(child, up);
    const ms = await killAndMeasure(child, up, () => child.proc.kill('SIGTERM'));
    console.info(`fake QEMU gone ${ms} ms after SIGTERM of node`);
    expect((await child.exit).signal).toBe('SIGTERM');
  }, 30_000);

  it("Ctrl-C (SIGINT to node's process group) with no handler: node dies, QEMU and its temp dir go with it", async () => {
    const child = startChild({ mode: 'plain', programs: 1000, lines: SLOW });
    const up = await child.up;
    checkDetached(child, up);
    const ms = await killAndMeasure(child, up, () => process.kill(-(child.proc.pid as number), 'SIGINT'));
    console.info(`fake QEMU gone ${ms} ms after SIGINT to node's group`);
    expect((await child.exit).signal).toBe('SIGINT');
  }, 30_000);

  it("Ctrl-C while SIGINT only sets a flag (gemcheck check today): QEMU does not get it, the batch ends with no finding", async () => {
    const child = startChild({ mode: 'flag', programs: 20, lines: ['open 0 0', 'sleep 50'] });
    const up = await child.up;
    checkDetached(child, up);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-(child.proc.pid as number), 'SIGINT');
    const r = await child.result;
    expect(r?.summary, child.output()).toEqual({ findings: [], interrupted: 0, done: 20, sigint: true });
    expect(await child.exit).toEqual({ code: 0, signal: null });
    expect(liveGroup(up.pgid)).toEqual([]);
    expect(fs.existsSync(up.tmpDir)).toBe(false);
  }, 30_000);

  it('Ctrl-C wired to an AbortSignal: the batch resolves at once, interrupted, with no finding', async () => {
    const child = startChild({ mode: 'abort', programs: 1000, lines: SLOW });
    const up = await child.up;
    checkDetached(child, up);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    process.kill(-(child.proc.pid as number), 'SIGINT');
    const r = await child.result;
    const ms = Math.round((r?.at ?? Infinity) - t0);
    console.info(`batch resolved ${ms} ms after SIGINT (fake QEMU, AbortSignal)`);
    expect(ms).toBeLessThan(1000);
    expect(r?.summary.findings, child.output()).toEqual([]);
    expect(r?.summary.interrupted).toBeGreaterThan(900);
    expect(r?.summary.done).toBe(1000 - (r?.summary.interrupted ?? 0));
    expect(await child.exit).toEqual({ code: 0, signal: null });
    expect(liveGroup(up.pgid)).toEqual([]);
    expect(fs.existsSync(up.tmpDir)).toBe(false);
  }, 30_000);
});

const report = doctor();
const skip = !report.ok;
describe.skipIf(skip)(`QEMU dies with gemcheck (real QEMU)${skip ? ' [skipped: kernel back end not set up]' : ''}`, () => {
  it('SIGKILL of node in the middle of a batch: QEMU is gone and its temp dir removed within 2 s', async () => {
    const child = startChild({ mode: 'plain', programs: 1_000_000, lines: ['open 0 0', 'close r0.fd'], real: true });
    const up = await child.up;
    const group = checkDetached(child, up);
    expect(group.some((p) => p.comm.startsWith('qemu-system'))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const ms = await killAndMeasure(child, up, () => child.proc.kill('SIGKILL'));
    console.info(`real QEMU gone ${ms} ms after SIGKILL of node`);
  }, 180_000);
});
