// Real-kernel stage: boots Debian's 6.1 kernel under QEMU (kernel/setup.sh) and runs programs
// on vgem (dev 0) and bochs (dev 1). Skipped, with the reason, when doctor() is not ok.
// Expected values are what 6.1.0-56 answered; kernel/FINDINGS.md has the full list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor } from './doctor.ts';
import { KernelVm, type ProgramInput, type VmProgramResult } from './vm.ts';
import type { RawCallResult } from './wire.ts';

const report = doctor();
const skip = !report.ok;
const why = skip
  ? ` [skipped: kernel back end not set up: ${report.lines.filter((l) => l.startsWith('MISSING')).map((l) => l.slice(8)).join('; ')}]`
  : '';
if (skip) console.warn(`kernel/kernel.test.ts skipped:\n${report.lines.join('\n')}`);

const EINVAL = 22;
const EACCES = 13;
const ENOSYS = 38;
const ENOENT = 2;
const OFFSET_BASE = 0x100000000n; // DRM_FILE_PAGE_OFFSET_START << PAGE_SHIFT on 64-bit

let vm: KernelVm | null = null;
let nextId = 1;

async function runAll(progs: readonly (readonly string[])[]): Promise<VmProgramResult[]> {
  if (!vm) throw new Error('no VM');
  const batch: ProgramInput[] = progs.map((lines) => ({ id: nextId++, lines }));
  const out = await vm.runPrograms(batch);
  expect(out.findings, out.findings.map((f) => `${f.kind}: ${f.reason}\n${f.consoleLog.slice(-2000)}`).join('\n')).toEqual([]);
  return out.results;
}
async function run1(lines: readonly string[]): Promise<RawCallResult[]> {
  const [r] = await runAll([lines]);
  expect(r?.bad).toBeUndefined();
  return r?.results ?? [];
}

const ok = (k: number, fields: Record<string, bigint> = {}): RawCallResult => ({ k, kind: 'ok', fields });
const err = (k: number, errno: number): RawCallResult => ({ k, kind: 'err', errno });
function field(r: RawCallResult | undefined, name: string): bigint {
  if (r?.kind !== 'ok' || r.fields[name] === undefined) throw new Error(`no ${name} in ${JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  return r.fields[name];
}

/** A standalone repro as a minimizer would write it: plain libc, its own copy of the uapi struct. */
const CREATE_DUMB_C = `#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>

struct drm_mode_create_dumb { uint32_t height, width, bpp, flags, handle, pitch; uint64_t size; };
#define DRM_IOCTL_MODE_CREATE_DUMB _IOWR('d', 0xB2, struct drm_mode_create_dumb)

int main(void) {
  int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
  if (fd < 0) { perror("open /dev/dri/card0"); return 2; }
  struct drm_mode_create_dumb c = {.height = 64, .width = 64, .bpp = 32};
  if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c) < 0) { perror("DRM_IOCTL_MODE_CREATE_DUMB"); return 2; }
  printf("handle=%u pitch=%u size=%llu\\n", c.handle, c.pitch, (unsigned long long)c.size);
  return 0;
}
`;

describe.skipIf(skip)(`real kernel (QEMU TCG, Debian 6.1)${why}`, () => {
  beforeAll(async () => {
    vm = new KernelVm();
    await vm.start();
  }, 180_000);
  afterAll(async () => {
    await vm?.stop();
  });

  it('vgem: dumb create, map_dumb, mmap, write and read back', async () => {
    const r = await run1([
      'open 0 0',
      'create_dumb r0.fd 64 64 32 0',
      'map_dumb r0.fd r1.handle',
      'mmap r0.fd r2.offset 16384 3 1',
      'read r3.map 0 16384', // fresh shmem pages are zero
      'write r3.map 100 10000 1',
      'read r3.map 100 10000',
      'mmap r0.fd r2.offset 16384 3 2', // COW mapping of a shmem object
      'mmap r0.fd r2.offset 20480 3 1', // longer than the object
    ]);
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      ok(1, { handle: 1n, pitch: 256n, size: 16384n }),
      ok(2, { offset: OFFSET_BASE }),
      ok(3, { map: 1n }),
      ok(4, { digest: 946445765n }),
      ok(5),
      ok(6, { digest: 1074491040n }), // PROTOCOL.md vector (seed 1, len 10000)
      err(7, EINVAL),
      err(8, EINVAL),
    ]);
  });

  it('vgem: flink works for the master only; a second primary opener gets EACCES until authenticated', async () => {
    const r = await run1([
      'open 0 0', // master
      'open 0 0', // not authenticated: the executor dropped CAP_SYS_ADMIN
      'create_dumb r1.fd 1 1 8 0',
      'gem_flink r1.fd r2.handle',
      'create_dumb r0.fd 1 1 8 0',
      'gem_flink r0.fd r4.handle',
      'gem_open r1.fd r5.name',
      'get_magic r1.fd',
      'auth_magic r0.fd r7.magic',
      'gem_open r1.fd r5.name',
    ]);
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      ok(1, { fd: 4n }),
      ok(2, { handle: 1n, pitch: 1n, size: 4096n }),
      err(3, EACCES),
      ok(4, { handle: 1n, pitch: 1n, size: 4096n }),
      ok(5, { name: 1n }),
      err(6, EACCES),
      ok(7, { magic: 1n }),
      ok(8),
      ok(9, { handle: 2n, size: 4096n }),
    ]);
  });

  it('vgem: prime export/import dedupes handles and shares memory', async () => {
    const r = await run1([
      'open 0 0',
      'create_dumb r0.fd 4096 1 8 0',
      'prime_handle_to_fd r0.fd r1.handle 0x80002', // DRM_CLOEXEC|DRM_RDWR
      'prime_fd_to_handle r0.fd r2.dmabuf', // self-import: same handle
      'open 0 1', // render node
      'prime_fd_to_handle r4.fd r2.dmabuf',
      'mmap r2.dmabuf 0 4096 3 1',
      'write r6.map 0 4096 0xdeadbeef',
      'map_dumb r0.fd r1.handle',
      'mmap r0.fd r8.offset 4096 1 1',
      'read r9.map 0 4096',
      'create_dumb r4.fd 1 1 8 0', // render nodes cannot create dumb buffers
      'prime_handle_to_fd r0.fd r1.handle 4', // unknown flag
    ]);
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      ok(1, { handle: 1n, pitch: 4096n, size: 4096n }),
      ok(2, { dmabuf: 4n }),
      ok(3, { handle: 1n }),
      ok(4, { fd: 5n }),
      ok(5, { handle: 1n }),
      ok(6, { map: 1n }),
      ok(7),
      ok(8, { offset: OFFSET_BASE }),
      ok(9, { map: 2n }),
      ok(10, { digest: 3520900772n }), // vector (0xDEADBEEF, 4096)
      err(11, EACCES),
      err(12, EINVAL),
    ]);
  });

  it('vgem: GEM_CLOSE of handle 0 or a closed handle is EINVAL; a mapping outlives its handle', async () => {
    const r = await run1([
      'open 0 0',
      'gem_close r0.fd 0',
      'create_dumb r0.fd 4096 1 8 0',
      'map_dumb r0.fd r2.handle',
      'mmap r0.fd r3.offset 4096 3 1',
      'write r4.map 0 16 1',
      'gem_close r0.fd r2.handle',
      'gem_close r0.fd r2.handle',
      'read r4.map 0 16',
      'mmap r0.fd r3.offset 4096 3 1', // no handle in this file any more
    ]);
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      err(1, EINVAL),
      ok(2, { handle: 1n, pitch: 4096n, size: 4096n }),
      ok(3, { offset: OFFSET_BASE }),
      ok(4, { map: 1n }),
      ok(5),
      ok(6),
      err(7, EINVAL),
      ok(8, { digest: 3939332522n }),
      err(9, EACCES),
    ]);
  });

  it('bochs: dumb create, map_dumb, mmap, write and read back; no PRIME, no COW', async () => {
    const r = await run1([
      'open 1 0',
      'create_dumb r0.fd 64 64 32 0',
      'map_dumb r0.fd r1.handle',
      'mmap r0.fd r2.offset 16384 3 1',
      'write r3.map 0 4096 0',
      'read r3.map 0 4096',
      'mmap r0.fd r2.offset 16384 3 2',
      'create_dumb r0.fd 64 64 32 0',
      'map_dumb r0.fd r7.handle',
      'prime_handle_to_fd r0.fd r1.handle 2',
      'gem_flink r0.fd r1.handle',
      'create_dumb r0.fd 100 1 12 0', // bochs: width * ceil(bpp/8)
      'open 1 1', // bochs has no render node
    ]);
    expect(r.slice(0, 2)).toEqual([ok(0, { fd: 3n }), ok(1, { handle: 1n, pitch: 256n, size: 16384n })]);
    // the fbdev console's buffer sits first in the offset space, so the first user offset is above it
    const first = field(r[2], 'offset');
    expect(first > OFFSET_BASE && first % 4096n === 0n).toBe(true);
    expect(r.slice(3)).toEqual([
      ok(3, { map: 1n }),
      ok(4),
      ok(5, { digest: 264016956n }), // vector (0, 4096)
      err(6, EINVAL),
      ok(7, { handle: 2n, pitch: 256n, size: 16384n }),
      ok(8, { offset: first + 16384n }),
      err(9, ENOSYS),
      ok(10, { name: 1n }),
      ok(11, { handle: 3n, pitch: 200n, size: 4096n }),
      err(12, ENOENT),
    ]);
  });

  it('gives the same answers to the same program, and starts each program afresh', async () => {
    const prog = ['open 0 0', 'create_dumb r0.fd 64 64 32 0', 'map_dumb r0.fd r1.handle', 'gem_flink r0.fd r1.handle', 'open 1 0', 'create_dumb r4.fd 8 8 32 0', 'map_dumb r4.fd r5.handle'];
    const [a, b, c] = await runAll([prog, prog, prog]);
    expect(b?.results).toEqual(a?.results);
    expect(c?.results).toEqual(a?.results);
  });

  it('streams many programs through one boot and reports refused ones', async () => {
    const boots = vm?.stats.boots;
    const progs = Array.from({ length: 300 }, (_, i) => (i === 150 ? ['bogus 1'] : ['open 0 0', `create_dumb r0.fd ${i + 1} 1 32 0`, 'gem_close r0.fd r1.handle']));
    const res = await runAll(progs);
    expect(res).toHaveLength(300);
    expect(res[150]?.bad).toBe('0: unknown op');
    expect(res[299]?.results).toEqual([ok(0, { fd: 3n }), ok(1, { handle: 1n, pitch: 1200n, size: 4096n }), ok(2)]);
    expect(vm?.stats.boots).toBe(boots);
  });

  it('runs a C repro in the booted guest: vgem create_dumb 64x64x32', async () => {
    const r = await vm!.runC(CREATE_DUMB_C, { name: 'create-dumb', timeoutMs: 30_000 });
    expect(r.finding, r.finding?.consoleLog.slice(-2000)).toBeUndefined();
    expect(r).toEqual({ output: ['handle=1 pitch=256 size=16384'], status: { kind: 'exit', code: 0 } });
  });

  it('reports a failing C program, and programs and binaries share the boot', async () => {
    const boots = vm!.stats.boots;
    const failing = await vm!.runC('#include <stdio.h>\nint main(void) { puts("failing on purpose"); return 1; }\n', { name: 'fails' });
    expect(failing).toEqual({ output: ['failing on purpose'], status: { kind: 'exit', code: 1 } });
    // the binary closed its fds on exit: a program after it is master again and starts at fd 3
    const r = await run1(['open 0 0', 'create_dumb r0.fd 64 64 32 0', 'gem_flink r0.fd r1.handle']);
    expect(r).toEqual([ok(0, { fd: 3n }), ok(1, { handle: 1n, pitch: 256n, size: 16384n }), ok(2, { name: 1n })]);
    const again = await vm!.runC(CREATE_DUMB_C, { name: 'create-dumb' });
    expect(again.status).toEqual({ kind: 'exit', code: 0 });
    expect(vm!.stats.boots).toBe(boots);
  });

  it('kills a binary at its timeout and one that faults', async () => {
    const boots = vm!.stats.boots;
    const slow = await vm!.runC('#include <unistd.h>\nint main(void) { sleep(60); return 0; }\n', { name: 'slow', timeoutMs: 1000 });
    expect(slow).toEqual({ output: [], status: { kind: 'timeout' } });
    const segv = await vm!.runC('int main(void) { *(volatile int *)0 = 1; return 0; }\n', { name: 'segv' });
    expect(segv).toEqual({ output: [], status: { kind: 'killed', signal: 11 } });
    expect(vm!.stats.boots).toBe(boots);
  });
});

describe.skipIf(skip)(`real kernel: hang detection${why}`, () => {
  it('reports a program that outlives its timeout, reboots, and runs the rest', async () => {
    const hvm = new KernelVm({ programTimeoutMs: 1000, flushEachCall: true });
    try {
      // 40 reads of 128 MiB take several seconds under TCG: a stand-in for a hung call
      const slow = ['open 0 0', 'create_dumb r0.fd 0x8000000 1 8 0', 'map_dumb r0.fd r1.handle', 'mmap r0.fd r2.offset 0x8000000 1 1', ...Array.from({ length: 40 }, () => 'read r3.map 0 0x8000000')];
      const out = await hvm.runPrograms([
        { id: 1, lines: ['open 0 0'] },
        { id: 2, lines: slow },
        { id: 3, lines: ['open 0 0', 'create_dumb r0.fd 1 1 8 0'] },
      ]);
      expect(out.findings.map((f) => [f.kind, f.programId])).toEqual([['hang', 2]]);
      expect(out.findings[0]?.consoleLog).toContain('gemcheck-init: executor on');
      // with flushEachCall the partial results show how far it got
      expect(out.results[1]?.results.slice(0, 4).map((r) => r.kind)).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(out.results[2]?.results).toEqual([ok(0, { fd: 3n }), ok(1, { handle: 1n, pitch: 1n, size: 4096n })]);
      expect(hvm.stats.boots).toBe(2);
    } finally {
      await hvm.stop();
    }
  });
});
