// KernelVm's streaming, finding and reboot logic, against kernel/fake-qemu.mjs (always runs:
// no kernel needed). The real-kernel stage is kernel/kernel.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelPaths } from './paths.ts';
import { BinaryRefusedError, KernelVm, type ProgramInput } from './vm.ts';

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
