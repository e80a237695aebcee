/**
 * Core DRM and VFS calls: what every DRM device offers (drm_ioctl.c's core table: GEM handles
 * and flink names, PRIME, dumb buffers, auth) plus the file and memory syscalls on DRM and
 * dma-buf fds (open, close, dup, mmap, munmap, mprotect, and gemcheck's read/write of a
 * mapping). Integer domains say where the kernel's answers change; weights say how often the
 * generator picks each call.
 */
import { DRM_CLOEXEC, DRM_RDWR } from '../uapi.ts';
import type { ArgDesc, CallDesc, IntDomain, SymbolSet } from './types.ts';

const NODE: SymbolSet = { style: 'enum', names: { primary: 0n, render: 1n } };
export const PROT: SymbolSet = { style: 'bits', names: { PROT_READ: 1n, PROT_WRITE: 2n, PROT_EXEC: 4n } };
const MAPFLAGS: SymbolSet = {
  style: 'enum',
  names: { MAP_SHARED: 1n, MAP_PRIVATE: 2n, MAP_SHARED_VALIDATE: 3n },
};
const PRIMEFLAGS: SymbolSet = { style: 'bits', names: { DRM_RDWR: 0x2n, DRM_CLOEXEC: 0x80000n } };

const U32_WRAP = 1n << 32n;
/** x86-64's user address space: 2^47 − one page (arch/x86/include/asm/page_64_types.h). */
const TASK_SIZE = 0x7fff_ffff_f000n;

const anyFd: ArgDesc = { name: 'fd', kind: 'fd', accepts: ['fd', 'dmabuf'] };
const drmFd: ArgDesc = { name: 'fd', kind: 'fd' };
/** A GEM handle, looked up in the fd's drm_file.object_idr (drm_gem_object_lookup). */
const handle: ArgDesc = { name: 'handle', kind: 'handle', owner: 'fd' };
const map: ArgDesc = { name: 'map', kind: 'map' };
const int = (name: string, domain: IntDomain, symbols?: SymbolSet): ArgDesc => ({ name, kind: 'int', domain, ...(symbols ? { symbols } : {}) });

/** mmap/mprotect prot: mostly RW or RO; PROT_EXEC and unknown bits now and then. */
const prot: IntDomain = {
  bits: 32,
  typical: [[3n, 50], [1n, 25], [2n, 5], [0n, 5], [5n, 3], [7n, 3], [8n, 2], [0xffn, 1]],
  edge: 0.02,
};

/** Offsets into a mapping for read/write: page edges and a uniform spread over 64 KiB. */
const accessOffset: IntDomain = {
  bits: 64,
  bytes: true,
  typical: [[0n, 2], [1n, 1], [100n, 1], [4095n, 1], [4096n, 1], [8192n, 1], [12288n, 1], [[0n, 65535n], 1]],
  edge: 0.03,
};

/** Lengths of a read/write: bounded, since the access touches every byte, page by page. */
const accessLen: IntDomain = {
  bits: 64,
  bytes: true,
  typical: [[1n, 1], [16n, 1], [256n, 1], [4096n, 1], [5000n, 1], [8192n, 1], [0n, 1], [[1n, 20000n], 1]],
  edge: 0.03,
  max: 0x10000n,
};

/**
 * drm_mode_create_dumb's arguments (spec §5). All its arithmetic is u32: bpp > U32_MAX−8 is
 * refused (it guards DIV_ROUND_UP(bpp, 8)), then cpp > U32_MAX/width, then
 * height > U32_MAX/stride, then a size whose PAGE_ALIGN wraps. drm_gem_shmem_dumb_create then
 * computes DIV_ROUND_UP(width·bpp, 8) in u32 too, which wraps when width·bpp is within 7 of
 * 2^32 and bpp is not a multiple of 8 (width 0x55555553, bpp 3). The products below put
 * width and height on each of those edges.
 */
const dumbWidth: IntDomain = {
  bits: 32,
  typical: [[1n, 1], [2n, 1], [3n, 1], [16n, 1], [64n, 1], [100n, 1], [256n, 1], [640n, 1], [1024n, 1], [[1n, 2048n], 1]],
  edge: 0.045,
  products: [
    { factors: [{ arg: 'bpp' }], near: [U32_WRAP] }, // the shmem helper's width·bpp
    { factors: [{ arg: 'bpp', ceilDiv: 8n }], near: [U32_WRAP] }, // the core's cpp > U32_MAX/width
  ],
};
const dumbHeight: IntDomain = {
  bits: 32,
  typical: [[1n, 1], [2n, 1], [4n, 1], [16n, 1], [64n, 1], [100n, 1], [480n, 1], [[1n, 512n], 1]],
  edge: 0.045,
  // height·stride next to 2^32: the core's height > U32_MAX/stride, and just below it a size
  // whose PAGE_ALIGN wraps to 0
  products: [{ factors: [{ arg: 'width' }, { arg: 'bpp', ceilDiv: 8n }], near: [U32_WRAP] }],
};
const dumbBpp: IntDomain = {
  bits: 32,
  // the common depths, the legacy ones (1, 4, 12, 15, 30, 64) and 3 (not a multiple of 8,
  // so DIV_ROUND_UP rounds)
  typical: [[8n, 1], [16n, 1], [24n, 1], [32n, 2], [1n, 1], [3n, 1], [4n, 1], [12n, 1], [15n, 1], [30n, 1], [64n, 1]],
  edge: 0.045,
  limits: [0xffff_fff7n], // bpp > U32_MAX − 8 → EINVAL
};

export const CORE_CALLS = {
  open: {
    uapi: 'core',
    weight: 5,
    args: [
      // which devices exist is the generator's option (fuzz/hints.ts draws the index)
      int('dev', { bits: 32, typical: [[0n, 1]], edge: 0 }),
      int('node', { bits: 32, typical: [[0n, 63], [1n, 34], [2n, 3]], edge: 0 }, NODE),
    ],
    outs: [{ name: 'fd', kind: 'fd' }],
    doc: 'open(/dev/dri/card<dev> or renderD<128+dev>, O_RDWR)',
  },
  close: { uapi: 'core', weight: 3, args: [anyFd], outs: [], doc: 'close(fd)' },
  dup: {
    uapi: 'core',
    weight: 2,
    args: [anyFd],
    outs: [{ name: 'fd', kind: 'fd', kindOf: 'fd' }],
    doc: 'dup(fd); a dup of a dma-buf fd is a dma-buf fd',
  },
  gem_close: { uapi: 'core', weight: 4, args: [drmFd, handle], outs: [], doc: 'DRM_IOCTL_GEM_CLOSE' },
  gem_flink: { uapi: 'core', weight: 5, args: [drmFd, handle], outs: [{ name: 'name', kind: 'name' }], doc: 'DRM_IOCTL_GEM_FLINK' },
  gem_open: {
    uapi: 'core',
    weight: 5,
    // flink names are global (drm_device.object_name_idr): no owner
    args: [drmFd, { name: 'name', kind: 'name' }],
    outs: [
      { name: 'handle', kind: 'handle', owner: 'fd', sizeFrom: 'size' },
      { name: 'size', kind: 'int' },
    ],
    doc: 'DRM_IOCTL_GEM_OPEN',
  },
  prime_handle_to_fd: {
    uapi: 'core',
    weight: 8,
    args: [
      drmFd,
      handle,
      int('flags', { bits: 32, typical: [[BigInt(DRM_CLOEXEC | DRM_RDWR), 40], [BigInt(DRM_CLOEXEC), 20], [0n, 20], [BigInt(DRM_RDWR), 15]], edge: 0.05 }, PRIMEFLAGS),
    ],
    outs: [{ name: 'dmabuf', kind: 'dmabuf' }],
    doc: 'DRM_IOCTL_PRIME_HANDLE_TO_FD',
  },
  prime_fd_to_handle: {
    uapi: 'core',
    weight: 8,
    args: [drmFd, { name: 'dmabuf', kind: 'dmabuf', wrong: ['fd'] }],
    outs: [{ name: 'handle', kind: 'handle', owner: 'fd' }],
    doc: 'DRM_IOCTL_PRIME_FD_TO_HANDLE',
  },
  create_dumb: {
    uapi: 'core',
    weight: 12,
    args: [drmFd, int('width', dumbWidth), int('height', dumbHeight), int('bpp', dumbBpp), int('flags', { bits: 32, typical: [[0n, 1]], edge: 0.05 })],
    outs: [
      { name: 'handle', kind: 'handle', owner: 'fd', sizeFrom: 'size' },
      { name: 'pitch', kind: 'int' },
      { name: 'size', kind: 'int' },
    ],
    doc: 'DRM_IOCTL_MODE_CREATE_DUMB',
  },
  map_dumb: {
    uapi: 'core',
    weight: 9,
    args: [drmFd, handle],
    // the fake offset is the device's, but drm_gem_mmap admits only files that hold a handle
    // (drm_vma_node_is_allowed): it belongs with the fd
    outs: [{ name: 'offset', kind: 'offset', owner: 'fd' }],
    doc: 'DRM_IOCTL_MODE_MAP_DUMB',
  },
  destroy_dumb: { uapi: 'core', weight: 2, args: [drmFd, handle], outs: [], doc: 'DRM_IOCTL_MODE_DESTROY_DUMB' },
  get_magic: { uapi: 'core', weight: 2, args: [drmFd], outs: [{ name: 'magic', kind: 'magic' }], doc: 'DRM_IOCTL_GET_MAGIC' },
  // the magic is another client's: the master authenticates it (drm_authmagic), so no owner
  auth_magic: { uapi: 'core', weight: 2, args: [drmFd, { name: 'magic', kind: 'magic' }], outs: [], doc: 'DRM_IOCTL_AUTH_MAGIC' },
  mmap: {
    uapi: 'core',
    weight: 11,
    args: [
      anyFd,
      { name: 'offset', kind: 'offset', owner: 'fd' },
      // the object's size most of the time; else page edges, lengths at the address space's
      // end (get_unmapped_area: len > TASK_SIZE → ENOMEM) and past PAGE_ALIGN's wrap (do_mmap:
      // ENOMEM). Not near the harness's 64 TiB bound (MMAP_LEN_LIMIT): whether such a mapping
      // can be placed is the address-space layout's business, not a kernel rule.
      int('length', { bits: 64, bytes: true, objectSize: 0.75, typical: [[4096n, 2], [8192n, 1], [65536n, 1], [0x100000n, 1]], edge: 0.5, limits: [TASK_SIZE] }),
      int('prot', prot, PROT),
      int('flags', { bits: 32, typical: [[1n, 78], [2n, 10], [3n, 5], [0n, 3], [0x11n, 2], [0x20n, 2]], edge: 0.02 }, MAPFLAGS),
    ],
    outs: [{ name: 'map', kind: 'map' }],
    doc: 'mmap(NULL, length, prot, flags, fd, offset) on a DRM or dma-buf fd',
  },
  munmap: { uapi: 'core', weight: 3, args: [map], outs: [], doc: 'munmap of the whole mapping' },
  mprotect: { uapi: 'core', weight: 2, args: [map, int('prot', prot, PROT)], outs: [], doc: 'mprotect of the whole mapping' },
  write: {
    uapi: 'core',
    weight: 8,
    args: [map, int('offset', accessOffset), int('len', accessLen), int('seed', { bits: 32, typical: [[[0n, 0x7fff_fffen], 1]], edge: 0 })],
    outs: [],
    doc: 'store len pattern bytes (seed) at offset in the mapping, page by page',
  },
  read: {
    uapi: 'core',
    weight: 8,
    args: [map, int('offset', accessOffset), int('len', accessLen)],
    outs: [{ name: 'digest', kind: 'int' }],
    doc: 'FNV-1a digest of len bytes at offset in the mapping',
  },
} as const satisfies Record<string, CallDesc>;
