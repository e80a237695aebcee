/**
 * NVDLA's driver ioctls (nvdla/sw kmd/port/linux/include/nvdla_ioctl.h, nvdla_gem.c; spec §9)
 * and one gemcheck debug query. No QEMU device runs NVDLA, so these are judged model vs impl
 * only. Structs are flattened: a submit carries one task (nvdla_submit reads only tasks[0])
 * whose address list has up to three entries {dma-buf fd, offset}, and the memory operation
 * the engine runs on them. The operation descriptor is gemcheck's simulation of the firmware's
 * network (kmd/firmware reads its descriptors and addresses by index through
 * dla_get_dma_address): op 0 = copy src → dst, 1 = fill dst with `value`, 2 = add src into dst
 * (bytewise, mod 256); dst and src are int16 address-list indices; len is in bytes.
 */
import type { ArgDesc, CallDesc, IntDomain, SymbolSet } from './types.ts';

const fd: ArgDesc = { name: 'fd', kind: 'fd' };
const handle: ArgDesc = { name: 'handle', kind: 'handle', owner: 'fd' };
const int = (name: string, domain: IntDomain, symbols?: SymbolSet): ArgDesc => ({ name, kind: 'int', domain, ...(symbols ? { symbols } : {}) });
/** An address-list entry's handle field: a dma-buf fd (nvdla_gem_dma_addr converts it with
 * drm_gem_prime_fd_to_handle); a DRM fd now and then (dma_buf_get: EINVAL). */
const entryFd = (name: string): ArgDesc => ({ name, kind: 'dmabuf', wrong: ['fd'] });
/** An entry's offset: in range, at the object's size (one past the end) and beyond. */
const entryOffset = (name: string): ArgDesc =>
  int(name, { bits: 64, bytes: true, objectSize: 0.12, typical: [[0n, 10], [64n, 2], [4096n, 3], [4095n, 1], [8192n, 1], [[0n, 12288n], 3]], edge: 0.05 });
const index = (name: string): ArgDesc =>
  int(name, { bits: 32, typical: [[0n, 8], [1n, 6], [2n, 3], [3n, 2], [0xffffn, 1]], edge: 0.02, limits: [0x8000n] });

const OPS: SymbolSet = { style: 'enum', names: { COPY: 0n, FILL: 1n, ADD: 2n } };

/** Buffer sizes: small ones, a few that fill a small pool (pool_kib) or a quarter to all of
 * the default 1 GiB one, and sizes past u32 (nvdla_gem_create truncates them upstream). */
const boSize: IntDomain = {
  bits: 64,
  bytes: true,
  typical: [[4096n, 6], [8192n, 3], [12288n, 1], [65536n, 2], [[1n, 20000n], 2], [0x4_0000n, 1], [0x10_0000n, 1], [0x1000_0000n, 1], [0x2000_0000n, 1], [0x4000_0000n, 1], [0x1_0000_1000n, 1]],
  edge: 0.06,
  limits: [0x4000_0000n, 0x1_0000_0000n],
};

export const NVDLA_CALLS = {
  nvdla_gem_create: {
    uapi: 'nvdla',
    weight: 10,
    // the only way to make a buffer on NVDLA (no dumb buffers)
    ctorWeight: 40,
    args: [fd, int('size', boSize), int('flags', { bits: 32, typical: [[0n, 9], [1n, 1]], edge: 0.02 })],
    outs: [{ name: 'handle', kind: 'handle', owner: 'fd', sizeFrom: 'size' }],
    doc: 'DRM_IOCTL_NVDLA_GEM_CREATE (nvdla_gem_create_args: size, flags) → handle',
  },
  nvdla_gem_mmap: {
    uapi: 'nvdla',
    weight: 7,
    ctorWeight: 30,
    args: [fd, handle],
    outs: [{ name: 'offset', kind: 'offset', owner: 'fd' }],
    doc: 'DRM_IOCTL_NVDLA_GEM_MMAP (nvdla_gem_map_offset_args): the fake offset, created on first use',
  },
  nvdla_gem_destroy: {
    uapi: 'nvdla',
    weight: 3,
    args: [fd, handle],
    outs: [],
    doc: 'DRM_IOCTL_NVDLA_GEM_DESTROY: drm_gem_dumb_destroy of the handle',
  },
  nvdla_submit: {
    uapi: 'nvdla',
    weight: 12,
    args: [
      fd,
      // 0..3 entries; past 3 the list runs into unmapped memory (EFAULT); 6144 is
      // NVDLA_MAX_BUFFERS_PER_TASK
      int('num', { bits: 32, typical: [[1n, 4], [2n, 6], [3n, 5], [0n, 1], [4n, 1]], edge: 0.03, limits: [6144n] }),
      entryFd('h0'),
      entryOffset('o0'),
      entryFd('h1'),
      entryOffset('o1'),
      entryFd('h2'),
      entryOffset('o2'),
      int('op', { bits: 32, typical: [[0n, 4], [1n, 4], [2n, 2], [3n, 1]], edge: 0.02 }, OPS),
      index('dst'),
      index('src'),
      int('len', { bits: 32, bytes: true, typical: [[1n, 2], [16n, 2], [256n, 2], [4096n, 3], [8192n, 1], [0n, 1], [[1n, 12000n], 2]], edge: 0.04, max: 0x2_0000n, limits: [0x10_0000n] }),
      int('value', { bits: 32, typical: [[[0n, 255n], 1]], edge: 0 }),
    ],
    outs: [],
    doc: 'DRM_IOCTL_NVDLA_SUBMIT with one task: num_addresses, address list {fd, offset}×3, and the memory operation the engine runs (op, dst/src index, len, value); synchronous',
  },
  nvdla_bo_info: {
    uapi: 'nvdla',
    weight: 3,
    args: [fd, handle],
    outs: [{ name: 'dma_addr', kind: 'int' }],
    doc: "gemcheck debug query (not NVDLA uapi: the driver computes it only in-kernel, nvdla_gem_dma_addr): the buffer's DMA address in the pool",
  },
} as const satisfies Record<string, CallDesc>;
