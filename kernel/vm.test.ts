// KernelVm's streaming, finding and reboot logic, against kernel/fake-qemu.mjs (always runs:
// no kernel needed). The real-kernel stage is kernel/kernel.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelPaths } from './paths.ts';
import { BinaryRefusedError, KernelVm, type ProgramInput } from './vm.ts';

/** Processes of the group still running (zombies excluded). */
function liveGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat = '';
    try {
      stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(d));
  }
  return out;
}

const here = path.dirname(fileURLToPath(import.meta.url));
let tmp = '';

beforeAll(() => {
  // start() only checks that the images exist; the fake never reads them
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gemcheck-fakevm-'));
  fs.writeFileSync(path.join(tmp, 'vmlinuz'), '');
  fs.writeFileSync(path.join(tmp, 'initramfs.cpio.gz'), '');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fakeVm(programTimeoutMs = 1500): KernelVm {
  return new KernelVm({
    paths: kernelPaths(tmp),
    qemuCommand: [process.execPath, path.join(here, 'fake-qemu.mjs')],
    programTimeoutMs,
    bootTimeoutMs: 10_000,
    window: 4,
  });
}

describe('KernelVm with a fake guest', () => {
  it('streams many programs through one boot', async () => {
    const vm = fakeVm();
    await vm.start();
    const batch: ProgramInput[] = Array.from({ length: 200 }, (_, i) => ({ id: i + 10, lines: ['open 0 0', 'close r0.fd'] }));
    const out = await vm.runPrograms(batch);
    await vm.stop();
    expect(out.findings).toEqual([]);
    expect(out.results.map((r) => r.id)).toEqual(batch.map((p) => p.id));
    expect(out.results[0]?.results).toEqual([
      { k: 0, kind: 'ok', fields: {} },
      { k: 1, kind: 'ok', fields: {} },
    ]);
    expect(vm.stats.boots).toBe(1);
  });

  it('turns a hang, a WARN and a dead guest into findings and carries on after rebooting', async () => {
    const vm = fakeVm();
    const batch: ProgramInput[] = [
      { id: 0, lines: ['open 0 0'] },
      { id: 1, lines: ['open 0 0', 'hang'] },
      { id: 2, lines: ['open 0 0'] },
      { id: 3, lines: ['warn', 'open 0 0'] },
      { id: 4, lines: ['open 0 0'] },
      { id: 5, lines: ['open 0 0', 'oops'] },
      { id: 6, lines: ['open 0 0'] },
    ];
    const out = await vm.runPrograms(batch);
    await vm.stop();
    expect(out.results.map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(out.findings.map((f) => [f.kind, f.programId])).toEqual([
      ['hang', 1],
      ['oops', 3],
      ['oops', 5],
    ]);
    // partial results survive with the finding
    expect(out.results[1]?.results).toHaveLength(1);
    expect(out.results[1]?.finding?.kind).toBe('hang');
    expect(out.results[3]?.taint).toBe(512n);
    expect(out.results[3]?.results).toHaveLength(2);
    expect(out.findings[1]?.consoleLog).toContain('WARNING:');
    expect(out.findings[2]?.consoleLog).toContain('BUG: kernel NULL pointer');
    for (const id of [0, 2, 4, 6]) {
      expect(out.results[id]?.finding).toBeUndefined();
      expect(out.results[id]?.results).toEqual([{ k: 0, kind: 'ok', fields: {} }]);
    }
    expect(vm.stats.boots).toBe(4);
  }, 30_000);

  it('rejects batches that would break the framing', async () => {
    const vm = fakeVm();
    await expect(vm.runPrograms([{ id: 1, lines: ['end'] }])).rejects.toThrow(/not a call line/);
    await expect(vm.runPrograms([{ id: 1, lines: ['open 0 0\nend'] }])).rejects.toThrow(/not a call line/);
    await expect(
      vm.runPrograms([
        { id: 1, lines: [] },
        { id: 1, lines: [] },
      ]),
    ).rejects.toThrow(/twice/);
    expect(vm.running).toBe(false);
  });

  it('reports a boot failure with the console', async () => {
    const vm = new KernelVm({
      paths: kernelPaths(tmp),
      qemuCommand: [process.execPath, '-e', 'console.log("no kernel here"); process.exit(3)', '--'],
      bootTimeoutMs: 10_000,
    });
    await expect(vm.start()).rejects.toThrow(/failed to boot: qemu exited \(code 3\)[\s\S]*no kernel here/);
  });
});

describe('KernelVm.runBinary with a fake guest', () => {
  const script = (...cmds: string[]) => new Uint8Array(Buffer.from(['#fake', ...cmds].join('\n')));

  it('uploads and runs binaries between programs in one boot', async () => {
    const vm = fakeVm();
    try {
      const a = await vm.runBinary(script('print hello world', 'print ', 'print   spaced', 'exit 3'), { name: 'hello', timeoutMs: 5000 });
      expect(a).toEqual({ output: ['hello world', '', '  spaced'], status: { kind: 'exit', code: 3 } });
      const p = await vm.runPrograms([{ id: 1, lines: ['open 0 0'] }]);
      expect(p.results[0]?.results).toEqual([{ k: 0, kind: 'ok', fields: {} }]);
      expect(await vm.runBinary(script('kill 11'))).toEqual({ output: [], status: { kind: 'killed', signal: 11 } });
      expect(await vm.runBinary(script('print zzz', 'timeout'))).toEqual({ output: ['zzz'], status: { kind: 'timeout' } });
      // large enough for many data lines
      const big = script(...Array.from({ length: 3000 }, (_, i) => `print line ${i}`));
      const r = await vm.runBinary(big);
      expect(r.output).toHaveLength(3000);
      expect(r.output[2999]).toBe('line 2999');
      expect(vm.stats.boots).toBe(1);
    } finally {
      await vm.stop();
    }
  });

  it('throws BinaryRefusedError when the executor will not run it, and keeps the guest', async () => {
    const vm = fakeVm();
    try {
      await expect(vm.runBinary(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]))).rejects.toThrow(BinaryRefusedError);
      await expect(vm.runBinary(new Uint8Array([1]))).rejects.toThrow(/executor refused binary repro: cannot exec: Exec format error/);
      await expect(vm.runBinary(script(), { name: '../x' })).rejects.toThrow(/not \[A-Za-z0-9_.-\]/);
      await expect(vm.runBinary(new Uint8Array())).rejects.toThrow(/empty/);
      await expect(vm.runBinary(script(), { timeoutMs: 0 })).rejects.toThrow(/timeout/);
      expect(vm.running).toBe(true);
      expect((await vm.runBinary(script('exit 0'))).status).toEqual({ kind: 'exit', code: 0 });
      expect(vm.stats.boots).toBe(1);
    } finally {
      await vm.stop();
    }
  });

  it('turns a taint, a hang and a dead guest into findings and reboots for the next binary', async () => {
    const vm = fakeVm(1000);
    try {
      const warn = await vm.runBinary(script('print before', 'warn', 'exit 0'), { name: 'warner' });
      expect(warn.status).toEqual({ kind: 'exit', code: 0 });
      expect(warn.output).toEqual(['before']);
      expect(warn.finding).toMatchObject({ kind: 'oops', reason: expect.stringMatching(/tainted=512.*warner/) });
      expect(warn.finding?.consoleLog).toContain('WARNING:');
      expect(vm.running).toBe(false);

      const hang = await vm.runBinary(script('print stuck', 'hang'), { timeoutMs: 1000 });
      expect(hang.output).toEqual(['stuck']);
      expect(hang.status).toEqual({ kind: 'none' });
      expect(hang.finding?.kind).toBe('hang');

      const oops = await vm.runBinary(script('oops'));
      expect(oops.status).toEqual({ kind: 'none' });
      expect(oops.finding?.kind).toBe('oops');
      expect(oops.finding?.consoleLog).toContain('BUG: kernel NULL pointer');

      expect((await vm.runBinary(script('print fine'))).output).toEqual(['fine']);
      expect(vm.stats.boots).toBe(4);
      expect(vm.stats.findings).toBe(3);
    } finally {
      await vm.stop();
    }
  }, 30_000);
});

describe('KernelVm interrupted by an AbortSignal (fake guest)', () => {
  const SLOW = ['open 0 0', 'sleep 100']; // 100 ms a program

  it('abort mid-batch: resolves within 1 s, unfinished programs interrupted, no finding, QEMU and its temp dir gone', async () => {
    const vm = fakeVm();
    try {
      await vm.start();
      const pgid = vm.pid as number;
      const tmpDir = vm.tmpDir as string;
      expect(liveGroup(pgid).length).toBeGreaterThanOrEqual(2);
      const ac = new AbortController();
      const batch: ProgramInput[] = Array.from({ length: 50 }, (_, i) => ({ id: i, lines: SLOW }));
      const run = vm.runPrograms(batch, undefined, { signal: ac.signal });
      await new Promise((r) => setTimeout(r, 550)); // 5 programs done, the 6th half-way
      const t0 = performance.now();
      ac.abort();
      const out = await run;
      const ms = performance.now() - t0;
      console.info(`runPrograms resolved ${Math.round(ms)} ms after abort (fake QEMU)`);
      expect(ms).toBeLessThan(1000);
      expect(out.interrupted).toBe(true);
      expect(out.findings).toEqual([]);
      expect(out.results.map((r) => r.id)).toEqual(batch.map((p) => p.id));
      const done = out.results.filter((r) => !r.interrupted);
      expect(done.length).toBeGreaterThanOrEqual(3);
      expect(done.length).toBeLessThanOrEqual(7);
      for (const r of done) expect(r.results).toHaveLength(2);
      const rest = out.results.slice(done.length);
      expect(rest.every((r) => r.interrupted === true && r.finding === undefined)).toBe(true);
      expect(rest[0]?.results).toEqual([{ k: 0, kind: 'ok', fields: {} }]); // the head's answered call survives
      expect(rest.slice(1).every((r) => r.results.length === 0)).toBe(true);
      expect(vm.stats.findings).toBe(0);
      expect(vm.running).toBe(false);
      expect(liveGroup(pgid)).toEqual([]);
      expect(fs.existsSync(tmpDir)).toBe(false);
      // the next batch boots a fresh guest
      const again = await vm.runPrograms([{ id: 100, lines: ['open 0 0'] }]);
      expect(again.interrupted).toBeUndefined();
      expect(again.results[0]?.results).toHaveLength(1);
      expect(vm.stats.boots).toBe(2);
    } finally {
      await vm.stop();
    }
  });

  it('an aborted signal runs nothing and drops the guest; bad input still throws', async () => {
    const vm = fakeVm();
    try {
      await vm.start();
      const tmpDir = vm.tmpDir as string;
      const signal = AbortSignal.abort();
      await expect(vm.runPrograms([{ id: 1, lines: ['end'] }], undefined, { signal })).rejects.toThrow(/not a call line/);
      await vm.start();
      const out = await vm.runPrograms([{ id: 1, lines: ['open 0 0'] }, { id: 2, lines: [] }], undefined, { signal });
      expect(out).toEqual({ results: [{ id: 1, results: [], interrupted: true }, { id: 2, results: [], interrupted: true }], findings: [], interrupted: true });
      expect(vm.running).toBe(false);
      expect(fs.existsSync(tmpDir)).toBe(false);
      expect(vm.stats.boots).toBe(2);
    } finally {
      await vm.stop();
    }
  });

  it('abort during boot: the booting guest is killed; start() rejects with the abort, runPrograms reports interrupted', async () => {
    // never says ready; prints its program socket, so we know the temp dir
    const never = [process.execPath, '-e', 'console.log(process.argv.find((a) => a.includes("prog.sock"))); setInterval(() => {}, 1000)', '--'];
    const dirs: string[] = [];
    const onConsoleLine = (l: string) => {
      const m = /path=(.*)\/prog\.sock/.exec(l);
      if (m?.[1]) dirs.push(m[1]);
    };
    const vm = new KernelVm({ paths: kernelPaths(tmp), qemuCommand: never, bootTimeoutMs: 60_000, onConsoleLine });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = performance.now();
    const out = await vm.runPrograms([{ id: 7, lines: ['open 0 0'] }], undefined, { signal: ac.signal });
    expect(performance.now() - t0).toBeLessThan(1300);
    expect(out).toEqual({ results: [{ id: 7, results: [], interrupted: true }], findings: [], interrupted: true });
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 300);
    await expect(vm.start({ signal: ac2.signal })).rejects.toThrow(/aborted/);
    expect(vm.running).toBe(false);
    expect(dirs).toHaveLength(2);
    for (const d of dirs) expect(fs.existsSync(d), d).toBe(false);
  });

  it('a guest that dies by itself is still a finding when a signal is given but not aborted', async () => {
    const vm = fakeVm();
    try {
      const ac = new AbortController();
      const out = await vm.runPrograms(
        [
          { id: 1, lines: ['open 0 0'] },
          { id: 2, lines: ['open 0 0', 'die'] },
          { id: 3, lines: ['open 0 0'] },
        ],
        undefined,
        { signal: ac.signal },
      );
      expect(out.interrupted).toBeUndefined();
      expect(out.findings.map((f) => [f.kind, f.programId, f.reason])).toEqual([['died', 2, 'program channel closed']]);
      expect(out.results.map((r) => r.interrupted)).toEqual([undefined, undefined, undefined]);
      expect(out.results[2]?.results).toHaveLength(1);
    } finally {
      await vm.stop();
    }
  });

  it('runBinary: abort while the binary runs → interrupted, its output so far, no finding', async () => {
    const vm = fakeVm();
    try {
      await vm.start();
      const tmpDir = vm.tmpDir as string;
      const pgid = vm.pid as number;
      const ac = new AbortController();
      const bin = new Uint8Array(Buffer.from(['#fake', 'print started', 'hang'].join('\n')));
      const run = vm.runBinary(bin, { signal: ac.signal });
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      ac.abort();
      const r = await run;
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(r).toEqual({ output: ['started'], status: { kind: 'none' }, interrupted: true });
      expect(vm.stats.findings).toBe(0);
      expect(vm.running).toBe(false);
      expect(liveGroup(pgid)).toEqual([]);
      expect(fs.existsSync(tmpDir)).toBe(false);
      expect(await vm.runBinary(bin, { signal: AbortSignal.abort() })).toEqual({ output: [], status: { kind: 'none' }, interrupted: true });
      expect(vm.stats.boots).toBe(1);
    } finally {
      await vm.stop();
    }
  });
});
