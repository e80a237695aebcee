// NVDLA's pool and driver rules on a live ImplSession (the correct device and the upstream
// one): the buddy pool against the kernel's bitmap scan, the ioctl rules, and each upstream
// quirk's effect as impl shows it.
import { describe, expect, it } from 'vitest';
import { Errno } from '../../../ir/uapi.ts';
import { amd as run, show } from '../amdgpu/helpers.test-util.ts';
import { DmaPool, getOrder } from './pool.ts';

const E = (e: number) => `E${e}`;

/** kernel/dma/coherent.c's bitmap_find_free_region, naively: the lowest aligned free run. */
class BitmapPool {
  readonly used: boolean[];
  constructor(readonly pages: number) {
    this.used = new Array<boolean>(pages).fill(false);
  }
  alloc(size: number): number | null {
    const n = 2 ** getOrder(size);
    for (let pos = 0; pos + n <= this.pages; pos += n)
      if (!this.used.slice(pos, pos + n).some(Boolean)) {
        this.used.fill(true, pos, pos + n);
        return pos;
      }
    return null;
  }
  release(page: number, order: number): void {
    this.used.fill(false, page, page + 2 ** order);
  }
}

describe('the DMA pool', () => {
  it('places every block where the bitmap scan would, and frees back to one block', () => {
    let x = 12345;
    const next = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
    for (const pages of [1, 6, 64, 100, 257]) {
      const pool = new DmaPool(0xc000_0000, pages);
      const ref = new BitmapPool(pages);
      const live: { page: number; order: number }[] = [];
      for (let step = 0; step < 2000; step++) {
        if (live.length && next(3) === 0) {
          const b = live.splice(next(live.length), 1)[0];
          expect(pool.release(b)).toBe(true);
          ref.release(b.page, b.order);
        } else {
          const size = 1 + next(Math.max(1, pages >> next(5)) * 4096);
          const got = pool.alloc(size);
          const want = ref.alloc(size);
          expect(got?.page ?? null, `pool of ${pages} pages, ${size} bytes at step ${step}`).toBe(want);
          if (got) live.push(got);
        }
        expect(pool.usedPages).toBe(live.reduce((n, b) => n + 2 ** b.order, 0));
      }
      for (const b of live) pool.release(b);
      expect(pool.usedPages).toBe(0);
      expect(pool.allocated.size).toBe(0);
      const fresh = new DmaPool(0xc000_0000, pages).freeBlocks();
      expect(pool.freeBlocks()).toEqual(fresh);
    }
  });
  it('finds the block holding any page, and none in free memory', () => {
    const pool = new DmaPool(0, 16);
    const a = pool.alloc(3 * 4096)!; // order 2 at 0
    const b = pool.alloc(4096)!; // order 0 at 4
    expect([a, b]).toEqual([{ page: 0, order: 2 }, { page: 4, order: 0 }]);
    expect(pool.blockAt(3)).toEqual(a);
    expect(pool.blockAt(4)).toEqual(b);
    expect(pool.blockAt(5)).toBeUndefined();
    expect(pool.blockAt(16)).toBeUndefined();
    expect(pool.blockAt(-1)).toBeUndefined();
  });
  it('refuses more than the pool, and anything once it is full (no fallback)', () => {
    const pool = new DmaPool(0, 4);
    expect(pool.alloc(5 * 4096)).toBeNull();
    expect(pool.alloc(4 * 4096)).not.toBeNull();
    expect(pool.alloc(1)).toBeNull();
  });
});

describe('the nvdla driver (correct)', () => {
  it('creates from the pool at 0xC0000000, naturally aligned, ENOMEM when it is full', () => {
    const r = run(
      `r0 = open(0, render)
       r1 = nvdla_gem_create(r0.fd, 4096, 0)
       r2 = nvdla_gem_create(r0.fd, 8192, 0)
       r3 = nvdla_bo_info(r0.fd, r1.handle)
       r4 = nvdla_bo_info(r0.fd, r2.handle)
       r5 = nvdla_gem_create(r0.fd, 0x4000, 0)
       r6 = nvdla_gem_create(r0.fd, 0, 0)
       r7 = nvdla_gem_create(r0.fd, 0x100001000, 0)`,
      { devices: ['nvdla'], params: [{ pool_kib: 16 }] },
    );
    expect(r.out.map(show)).toEqual(['ok fd=3', 'ok handle=1', 'ok handle=2', `ok dma_addr=${0xc000_0000}`, `ok dma_addr=${0xc000_2000}`, E(Errno.ENOMEM), E(Errno.EINVAL), E(Errno.ENOMEM)]);
    expect(r.violations).toEqual([]);
  });
  it('has no dumb buffers and imports no foreign dma-buf; GEM_MMAP of a bad handle is EINVAL', () => {
    const r = run(
      `r0 = open(0, primary)
       r1 = create_dumb(r0.fd, 64, 64, 32, 0)
       r2 = map_dumb(r0.fd, 1)
       r3 = nvdla_gem_mmap(r0.fd, 1)
       r4 = open(1, primary)
       r5 = create_dumb(r4.fd, 64, 64, 32, 0)
       r6 = prime_handle_to_fd(r4.fd, r5.handle, DRM_RDWR)
       r7 = prime_fd_to_handle(r0.fd, r6.dmabuf)
       nvdla_submit(r0.fd, 1, r6.dmabuf, 0, -1, 0, -1, 0, FILL, 0, 0, 16, 7)`,
      { devices: ['nvdla', 'vgem'] },
    );
    expect(r.out.map(show)).toEqual(['ok fd=3', E(Errno.ENOSYS), E(Errno.ENOSYS), E(Errno.EINVAL), 'ok fd=4', 'ok handle=1 pitch=256 size=16384', 'ok dmabuf=5', E(Errno.EINVAL), E(Errno.EINVAL)]);
    expect(r.violations).toEqual([]);
  });
  it('runs copy, fill and add, visible through a mapping; checks indices and offsets; leaves no handle', () => {
    const r = run(
      `r0 = open(0, render)
       r1 = nvdla_gem_create(r0.fd, 8192, 0)
       r2 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
       gem_close(r0.fd, r1.handle)
       r4 = open(0, render)
       nvdla_submit(r4.fd, 2, r2.dmabuf, 0, r2.dmabuf, 4096, -1, 0, FILL, 0, 0, 16, 3)
       nvdla_submit(r4.fd, 2, r2.dmabuf, 0, r2.dmabuf, 4096, -1, 0, COPY, 1, 0, 16, 0)
       nvdla_submit(r4.fd, 2, r2.dmabuf, 0, r2.dmabuf, 4096, -1, 0, ADD, 1, 0, 16, 0)
       nvdla_submit(r4.fd, 2, r2.dmabuf, 0, r2.dmabuf, 4096, -1, 0, FILL, 2, 0, 16, 3)
       nvdla_submit(r4.fd, 2, r2.dmabuf, 0, r2.dmabuf, 4096, -1, 0, FILL, 1, 0, 4097, 3)
       nvdla_submit(r4.fd, 4, r2.dmabuf, 0, r2.dmabuf, 4096, -1, 0, FILL, 1, 0, 1, 3)
       nvdla_submit(r4.fd, 6145, r2.dmabuf, 0, r2.dmabuf, 4096, -1, 0, FILL, 1, 0, 1, 3)
       r12 = prime_fd_to_handle(r4.fd, r2.dmabuf)
       r13 = nvdla_gem_mmap(r4.fd, r12.handle)
       r14 = mmap(r4.fd, r13.offset, 8192, PROT_READ, MAP_SHARED)
       r15 = mmap(r2.dmabuf, 4096, 4096, PROT_READ, MAP_SHARED)`,
      { devices: ['nvdla'] },
    );
    expect(r.out.slice(5, 12).map(show)).toEqual(['ok', 'ok', 'ok', E(Errno.EINVAL), E(Errno.EINVAL), E(Errno.EFAULT), E(Errno.EINVAL)]);
    // resolution left nothing: the import gets handle 1 in the second file
    expect(show(r.out[12])).toBe('ok handle=1');
    expect(r.violations).toEqual([]);
    // page 1 holds 3+3 = 6 in its first 16 bytes: through the DRM mapping at 4096 and the
    // dma-buf mapping at page offset 1 alike
    const a = r.more(`r16 = read(r14.map, 4096, 16)\nr17 = read(r15.map, 0, 16)\nr18 = read(r14.map, 0, 16)`);
    expect(show(a[0])).toBe(show(a[1]));
    expect(show(a[0])).not.toBe(show(a[2]));
  });
});

describe('the nvdla-upstream driver (each quirk as impl shows it)', () => {
  it('an unchecked offset lets the engine write the neighbouring buffer, and the self-check says so', () => {
    const r = run(
      `r0 = open(0, render)
       r1 = nvdla_gem_create(r0.fd, 4096, 0)
       r2 = nvdla_gem_create(r0.fd, 4096, 0)
       r3 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
       nvdla_submit(r0.fd, 1, r3.dmabuf, 4096, -1, 0, -1, 0, FILL, 0, 0, 16, 7)
       r5 = nvdla_gem_mmap(r0.fd, r2.handle)
       r6 = mmap(r0.fd, r5.offset, 4096, PROT_READ, MAP_SHARED)
       r7 = read(r6.map, 0, 16)
       r8 = nvdla_gem_mmap(r0.fd, r1.handle)
       r9 = mmap(r0.fd, r8.offset, 4096, PROT_READ, MAP_SHARED)
       r10 = read(r9.map, 0, 16)`,
      { devices: ['nvdla-upstream'] },
    );
    expect(show(r.out[4])).toBe('ok');
    expect(show(r.out[7])).not.toBe(show(r.out[10])); // the neighbour holds the 7s
    expect(r.violations.map((v) => v.invariant)).toEqual(['nvdla-engine-bounds']);
  });
  it('a hidden handle stays after a submit and keeps the pool block', () => {
    const r = run(
      `r0 = open(0, render)
       r1 = nvdla_gem_create(r0.fd, 8192, 0)
       r2 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
       gem_close(r0.fd, r1.handle)
       nvdla_submit(r0.fd, 1, r2.dmabuf, 0, -1, 0, -1, 0, FILL, 0, 0, 16, 7)
       close(r2.dmabuf)
       r6 = nvdla_gem_create(r0.fd, 8192, 0)
       r7 = nvdla_bo_info(r0.fd, 1)`,
      { devices: ['nvdla-upstream'], params: [{ pool_kib: 8 }] },
    );
    expect(r.out.slice(4).map(show)).toEqual(['ok', 'ok', E(Errno.ENOMEM), `ok dma_addr=${0xc000_0000}`]);
    expect(r.violations.map((v) => v.invariant)).toEqual(['nvdla-hidden-handle']);
  });
  it('truncates sizes to u32, reads one entry past the list, maps a dma-buf from byte 0', () => {
    const r = run(
      `r0 = open(0, render)
       r1 = nvdla_gem_create(r0.fd, 0x100001000, 0)
       r2 = nvdla_bo_info(r0.fd, r1.handle)
       r3 = nvdla_gem_create(r0.fd, 0xfffff001, 0)
       r4 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
       nvdla_submit(r0.fd, 1, r4.dmabuf, 0, -1, 0, -1, 0, FILL, 1, 0, 16, 7)
       nvdla_submit(r0.fd, 6145, r4.dmabuf, 0, -1, 0, -1, 0, FILL, 0, 0, 16, 7)`,
      { devices: ['nvdla-upstream'] },
    );
    expect(r.out.slice(1).map(show)).toEqual(['ok handle=1', `ok dma_addr=${0xc000_0000}`, E(Errno.ENOMEM), 'ok dmabuf=4', E(Errno.EINVAL), E(Errno.EFAULT)]);
    expect(r.violations.map((v) => v.invariant)).toEqual(['nvdla-address-list-bounds']);
  });
});
