/**
 * The call description table: every call a gemcheck program can make, its positional
 * arguments (with the kind of resource each one takes) and its output fields (with the kind
 * of resource each one produces). Generation, mutation, minimization, printing, parsing,
 * resolution and the executor's wire format are all driven by this one table
 * (syzkaller's sys/ descriptions, in miniature).
 */

/** Resources: values produced by one call and consumed by later ones. */
export type ResourceKind = 'fd' | 'dmabuf' | 'handle' | 'name' | 'offset' | 'map' | 'magic' | 'fence';
export type ValueKind = ResourceKind | 'int';

export interface SymbolSet {
  readonly style: 'enum' | 'bits';
  readonly names: Readonly<Record<string, bigint>>;
}

export interface ArgDesc {
  readonly name: string;
  readonly kind: ValueKind;
  /** Resource kinds accepted (defaults to [kind]); e.g. close() takes DRM fds and dma-buf fds. */
  readonly accepts?: readonly ResourceKind[];
  readonly symbols?: SymbolSet;
}

export interface OutDesc {
  readonly name: string;
  readonly kind: ValueKind;
}

export interface CallDesc {
  readonly args: readonly ArgDesc[];
  readonly outs: readonly OutDesc[];
  readonly doc: string;
}

const NODE: SymbolSet = { style: 'enum', names: { primary: 0n, render: 1n } };
const PROT: SymbolSet = { style: 'bits', names: { PROT_READ: 1n, PROT_WRITE: 2n, PROT_EXEC: 4n } };
const MAPFLAGS: SymbolSet = {
  style: 'enum',
  names: { MAP_SHARED: 1n, MAP_PRIVATE: 2n, MAP_SHARED_VALIDATE: 3n },
};
const PRIMEFLAGS: SymbolSet = { style: 'bits', names: { DRM_RDWR: 0x2n, DRM_CLOEXEC: 0x80000n } };
const FENCEFLAGS: SymbolSet = { style: 'bits', names: { VGEM_FENCE_WRITE: 1n } };

const anyFd: ArgDesc = { name: 'fd', kind: 'fd', accepts: ['fd', 'dmabuf'] };
const drmFd: ArgDesc = { name: 'fd', kind: 'fd' };
const handle: ArgDesc = { name: 'handle', kind: 'handle' };
const map: ArgDesc = { name: 'map', kind: 'map' };
const int = (name: string, symbols?: SymbolSet): ArgDesc => ({ name, kind: 'int', symbols });

export const CALLS = {
  open: {
    args: [int('dev'), int('node', NODE)],
    outs: [{ name: 'fd', kind: 'fd' }],
    doc: 'open(/dev/dri/card<dev> or renderD<128+dev>, O_RDWR)',
  },
  close: { args: [anyFd], outs: [], doc: 'close(fd)' },
  dup: { args: [anyFd], outs: [{ name: 'fd', kind: 'fd' }], doc: 'dup(fd); a dup of a dma-buf fd is a dma-buf fd' },
  gem_close: { args: [drmFd, handle], outs: [], doc: 'DRM_IOCTL_GEM_CLOSE' },
  gem_flink: { args: [drmFd, handle], outs: [{ name: 'name', kind: 'name' }], doc: 'DRM_IOCTL_GEM_FLINK' },
  gem_open: {
    args: [drmFd, { name: 'name', kind: 'name' }],
    outs: [
      { name: 'handle', kind: 'handle' },
      { name: 'size', kind: 'int' },
    ],
    doc: 'DRM_IOCTL_GEM_OPEN',
  },
  prime_handle_to_fd: {
    args: [drmFd, handle, int('flags', PRIMEFLAGS)],
    outs: [{ name: 'dmabuf', kind: 'dmabuf' }],
    doc: 'DRM_IOCTL_PRIME_HANDLE_TO_FD',
  },
  prime_fd_to_handle: {
    args: [drmFd, { name: 'dmabuf', kind: 'dmabuf', accepts: ['dmabuf', 'fd'] }],
    outs: [{ name: 'handle', kind: 'handle' }],
    doc: 'DRM_IOCTL_PRIME_FD_TO_HANDLE',
  },
  create_dumb: {
    args: [drmFd, int('width'), int('height'), int('bpp'), int('flags')],
    outs: [
      { name: 'handle', kind: 'handle' },
      { name: 'pitch', kind: 'int' },
      { name: 'size', kind: 'int' },
    ],
    doc: 'DRM_IOCTL_MODE_CREATE_DUMB',
  },
  map_dumb: { args: [drmFd, handle], outs: [{ name: 'offset', kind: 'offset' }], doc: 'DRM_IOCTL_MODE_MAP_DUMB' },
  destroy_dumb: { args: [drmFd, handle], outs: [], doc: 'DRM_IOCTL_MODE_DESTROY_DUMB' },
  get_magic: { args: [drmFd], outs: [{ name: 'magic', kind: 'magic' }], doc: 'DRM_IOCTL_GET_MAGIC' },
  auth_magic: { args: [drmFd, { name: 'magic', kind: 'magic' }], outs: [], doc: 'DRM_IOCTL_AUTH_MAGIC' },
  fence_attach: {
    args: [drmFd, handle, int('flags', FENCEFLAGS)],
    outs: [{ name: 'fence', kind: 'fence' }],
    doc: 'DRM_IOCTL_VGEM_FENCE_ATTACH',
  },
  fence_signal: {
    args: [drmFd, { name: 'fence', kind: 'fence' }, int('flags')],
    outs: [],
    doc: 'DRM_IOCTL_VGEM_FENCE_SIGNAL',
  },
  ro_create: {
    args: [drmFd, int('size')],
    outs: [{ name: 'handle', kind: 'handle' }],
    doc: "gemcheck's read-only object ioctl (vgem-like device, linux-5.10 profile; as i915 userptr READ_ONLY did)",
  },
  mmap: {
    args: [anyFd, { name: 'offset', kind: 'offset' }, int('length'), int('prot', PROT), int('flags', MAPFLAGS)],
    outs: [{ name: 'map', kind: 'map' }],
    doc: 'mmap(NULL, length, prot, flags, fd, offset) on a DRM or dma-buf fd',
  },
  munmap: { args: [map], outs: [], doc: 'munmap of the whole mapping' },
  mprotect: { args: [map, int('prot', PROT)], outs: [], doc: 'mprotect of the whole mapping' },
  write: {
    args: [map, int('offset'), int('len'), int('seed')],
    outs: [],
    doc: 'store len pattern bytes (seed) at offset in the mapping, page by page',
  },
  read: {
    args: [map, int('offset'), int('len')],
    outs: [{ name: 'digest', kind: 'int' }],
    doc: 'FNV-1a digest of len bytes at offset in the mapping',
  },
} as const satisfies Record<string, CallDesc>;

export type OpName = keyof typeof CALLS;
export const OPS = Object.keys(CALLS) as OpName[];

export function callDesc(op: OpName): CallDesc {
  return CALLS[op];
}

export function isOp(s: string): s is OpName {
  return Object.prototype.hasOwnProperty.call(CALLS, s);
}

/** The value a reference resolves to when its producer failed or is gone (PROTOCOL.md). */
export function invalidValue(kind: ValueKind): bigint {
  return kind === 'fd' || kind === 'dmabuf' ? -1n : 0n;
}

export function outDesc(op: OpName, field: string): OutDesc | undefined {
  return (CALLS[op].outs as readonly OutDesc[]).find((o) => o.name === field);
}
