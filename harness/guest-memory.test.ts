// Success criterion: the guest-memory estimate counts what the kernel holds — shmem pages
// while mapped, TTM pages from the first fault until the object goes — so the kernel check
// can set apart the machine's answers (ENOMEM, an OOM kill, a stalled fault) from the model's errors.
import { describe, expect, it } from 'vitest';
import { parseText } from '../ir/encoding.ts';
import { exceedsGuestMemory, memoryDemand, MEMORY_DEMAND_LIMIT } from './guest-memory.ts';

const MiB = 1024 * 1024;

describe('guest memory demand', () => {
  it('shmem: pinned while mapped, released by munmap', () => {
    const p = parseText(`
      r0 = open(0, primary)
      r1 = create_dumb(r0.fd, 0x10000000, 2, 8, 0)
      r2 = map_dumb(r0.fd, r1.handle)
      r3 = mmap(r0.fd, r2.offset, r1.size, PROT_READ|PROT_WRITE, MAP_SHARED)
      r4 = mmap(r0.fd, r2.offset, r1.size, PROT_READ, MAP_SHARED)
      munmap(r3.map)
      munmap(r4.map)`);
    expect(memoryDemand(p, ['vgem']).map((d) => d.pinned / MiB)).toEqual([0, 0, 0, 512, 512, 512, 0]);
  });
  it('TTM: populated by the first fault (not by mmap, not by a SIGSEGV), freed with the object', () => {
    const p = parseText(`
      r0 = open(0, primary)
      r1 = create_dumb(r0.fd, 0x20000000, 2, 8, 0)
      r2 = map_dumb(r0.fd, r1.handle)
      r3 = mmap(r0.fd, r2.offset, r1.size, PROT_READ, MAP_SHARED)
      write(r3.map, 0, 1, 1)
      r5 = read(r3.map, 0, 1)
      munmap(r3.map)
      gem_close(r0.fd, r1.handle)`);
    expect(memoryDemand(p, ['bochs']).map((d) => d.populated / MiB)).toEqual([0, 0, 0, 0, 0, 1024, 1024, 0]);
    expect(exceedsGuestMemory(p, ['bochs'])).toMatch(/call 5 faults TTM objects of 1024 MiB/);
    expect(exceedsGuestMemory(p, ['vgem'])).toBeNull(); // vgem's u32 pitch wraps: a small object
  });
  it('counts a shmem mapping past the guest as the machine\'s, a small one not', () => {
    const p = parseText(`
      r0 = open(0, primary)
      r1 = create_dumb(r0.fd, 0x10000000, 4, 8, 0)
      r2 = map_dumb(r0.fd, r1.handle)
      r3 = mmap(r0.fd, r2.offset, r1.size, PROT_READ|PROT_WRITE, MAP_SHARED)`);
    expect(memoryDemand(p, ['vgem'])[3]!.pinned).toBeGreaterThanOrEqual(MEMORY_DEMAND_LIMIT);
    expect(exceedsGuestMemory(p, ['vgem'])).toMatch(/call 3 maps shmem objects of 1024 MiB/);
    const small = parseText(`
      r0 = open(0, primary)
      r1 = create_dumb(r0.fd, 64, 64, 32, 0)
      r2 = map_dumb(r0.fd, r1.handle)
      r3 = mmap(r0.fd, r2.offset, r1.size, PROT_READ|PROT_WRITE, MAP_SHARED)`);
    expect(exceedsGuestMemory(small, ['vgem'])).toBeNull();
  });
});
