/**
 * amdgpu's driver ioctls (include/uapi/drm/amdgpu_drm.h; amdgpu_gem.c, amdgpu_ctx.c,
 * amdgpu_cs.c, amdgpu_kms.c) and four gemcheck test ioctls that stand in for what userspace
 * cannot do directly: finish a submitted job (the GPU), pin a buffer (a KMS scanout pin) and
 * read a buffer's placement (debugfs amdgpu_gem_info). No QEMU device runs amdgpu, so these
 * are judged model vs impl only (docs/amdgpu.md). Structs are flattened to positional
 * arguments; a BO list is up to three handles (0 = no entry).
 */
import type { ArgDesc, CallDesc, IntDomain, SymbolSet } from './types.ts';

export const AMDGPU_DOMAINS: SymbolSet = {
  style: 'bits',
  names: { CPU: 0x1n, GTT: 0x2n, VRAM: 0x4n, GDS: 0x8n, GWS: 0x10n, OA: 0x20n, DOORBELL: 0x40n },
};
export const AMDGPU_CREATE_FLAGS: SymbolSet = {
  style: 'bits',
  names: {
    CPU_ACCESS_REQUIRED: 1n << 0n,
    NO_CPU_ACCESS: 1n << 1n,
    CPU_GTT_USWC: 1n << 2n,
    VRAM_CLEARED: 1n << 3n,
    VRAM_CONTIGUOUS: 1n << 5n,
    VM_ALWAYS_VALID: 1n << 6n,
    EXPLICIT_SYNC: 1n << 7n,
    ENCRYPTED: 1n << 10n,
    DISCARDABLE: 1n << 12n,
  },
};
const USERPTR_FLAGS: SymbolSet = { style: 'bits', names: { READONLY: 1n, ANONONLY: 2n, VALIDATE: 4n, REGISTER: 8n } };
const GEM_OP: SymbolSet = { style: 'enum', names: { GET_GEM_CREATE_INFO: 0n, SET_PLACEMENT: 1n } };
const INFO_QUERY: SymbolSet = { style: 'enum', names: { VRAM_USAGE: 0x10n, GTT_USAGE: 0x11n, VIS_VRAM_USAGE: 0x17n } };

const fd: ArgDesc = { name: 'fd', kind: 'fd' };
const handle: ArgDesc = { name: 'handle', kind: 'handle', owner: 'fd' };
const ctx: ArgDesc = { name: 'ctx', kind: 'ctx', owner: 'fd' };
const int = (name: string, domain: IntDomain, symbols?: SymbolSet): ArgDesc => ({ name, kind: 'int', domain, ...(symbols ? { symbols } : {}) });
const boEntry = (name: string): ArgDesc => ({ name, kind: 'handle', owner: 'fd' });

/** Buffer sizes: many small ones; against the default 2 MiB VRAM / 512 KiB visible / 4 MiB GTT
 * (ir/devices.ts) some that fill half or all of VRAM and more than GTT, so programs evict; with
 * larger managers (`amdgpu:vram_kib=8192:…`) they fill a quarter or half of a domain. 8 and
 * 16 MiB are the manager sizes of such a device (amdgpu_bo_validate_size: strictly below). */
const boSize: IntDomain = {
  bits: 64,
  bytes: true,
  typical: [[4096n, 4], [8192n, 2], [65536n, 2], [[4096n, 262144n], 3], [0x10_0000n, 3], [0x20_0000n, 3], [0x30_0000n, 2], [0x40_0000n, 1], [0x80_0000n, 1], [1n, 1]],
  edge: 0.06,
  limits: [0x80_0000n, 0x100_0000n],
};
/** Timeouts: 0 polls; anything else waits (the simulated GPU finishes within any timeout). */
const timeout: IntDomain = { bits: 64, typical: [[0n, 3], [1000000n, 2], [0xffff_ffff_ffff_ffffn, 1]], edge: 0.02 };

export const AMDGPU_CALLS = {
  amdgpu_gem_create: {
    uapi: 'amdgpu',
    // heavy: buffers in numbers are what make VRAM evict
    weight: 40,
    // on amdgpu, most buffers come from GEM_CREATE, some from dumb create
    ctorWeight: 36,
    args: [
      fd,
      int('size', boSize),
      int('alignment', { bits: 64, bytes: true, typical: [[0n, 4], [4096n, 3], [0x10000n, 1], [0x20_0000n, 1], [3n, 1]], edge: 0.03 }),
      int('domains', { bits: 64, typical: [[0x4n, 8], [0x2n, 5], [0x6n, 4], [0x1n, 2], [0x8n, 1], [0x10n, 1], [0x20n, 1], [0x40n, 1], [0n, 1]], edge: 0.03 }, AMDGPU_DOMAINS),
      int('flags', { bits: 64, typical: [[0n, 10], [1n, 5], [2n, 3], [0x8n, 2], [0x1000n, 3], [0x1001n, 1], [0x20n, 1], [0x40n, 1], [0x400n, 1], [0x80n, 1]], edge: 0.03 }, AMDGPU_CREATE_FLAGS),
    ],
    outs: [{ name: 'handle', kind: 'handle', owner: 'fd', sizeFrom: 'size' }],
    doc: 'DRM_IOCTL_AMDGPU_GEM_CREATE (in: bo_size, alignment, domains, domain_flags)',
  },
  amdgpu_gem_mmap: {
    uapi: 'amdgpu',
    weight: 8,
    ctorWeight: 27,
    args: [fd, handle],
    outs: [{ name: 'offset', kind: 'offset', owner: 'fd' }],
    doc: 'DRM_IOCTL_AMDGPU_GEM_MMAP: the fake offset (out.addr_ptr)',
  },
  amdgpu_gem_userptr: {
    uapi: 'amdgpu',
    weight: 2,
    args: [
      fd,
      int('addr', { bits: 64, bytes: true, typical: [[0x7f00_0000_0000n, 3], [0x7f00_0000_0800n, 1], [0x1000n, 1]], edge: 0.05 }),
      int('size', { bits: 64, bytes: true, typical: [[4096n, 3], [0x10000n, 2], [0x10_0000n, 1], [100n, 1]], edge: 0.05 }),
      int('flags', { bits: 32, typical: [[1n, 3], [8n, 3], [9n, 2], [0xcn, 1], [0n, 1], [2n, 1], [0x10n, 1]], edge: 0.03 }, USERPTR_FLAGS),
    ],
    outs: [{ name: 'handle', kind: 'handle', owner: 'fd', sizeFrom: 'size' }],
    doc: 'DRM_IOCTL_AMDGPU_GEM_USERPTR (addr, size, flags) → handle',
  },
  amdgpu_gem_op: {
    uapi: 'amdgpu',
    weight: 4,
    args: [
      fd,
      handle,
      int('op', { bits: 32, typical: [[0n, 5], [1n, 5], [2n, 1]], edge: 0.02 }, GEM_OP),
      // GET_GEM_CREATE_INFO: the executor's buffer stands for the user pointer (value unused);
      // SET_PLACEMENT: the new preferred domains
      int('value', { bits: 64, typical: [[0x4n, 3], [0x2n, 3], [0x6n, 2], [0x1n, 1], [0x8n, 1], [0n, 1]], edge: 0.03 }, AMDGPU_DOMAINS),
    ],
    outs: [
      { name: 'size', kind: 'int' },
      { name: 'alignment', kind: 'int' },
      { name: 'domains', kind: 'int' },
      { name: 'flags', kind: 'int' },
    ],
    doc: 'DRM_IOCTL_AMDGPU_GEM_OP (handle, op, value); GET_GEM_CREATE_INFO outputs amdgpu_gem_create_in',
  },
  amdgpu_gem_wait_idle: {
    uapi: 'amdgpu',
    weight: 3,
    args: [fd, handle, int('timeout', timeout)],
    outs: [{ name: 'status', kind: 'int' }],
    doc: 'DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE: out.status 1 = still busy',
  },
  amdgpu_ctx_alloc: {
    uapi: 'amdgpu',
    weight: 3,
    ctorWeight: 1,
    args: [fd],
    outs: [{ name: 'ctx', kind: 'ctx', owner: 'fd' }],
    doc: 'DRM_IOCTL_AMDGPU_CTX, AMDGPU_CTX_OP_ALLOC_CTX',
  },
  amdgpu_ctx_free: {
    uapi: 'amdgpu',
    weight: 1,
    args: [fd, ctx],
    outs: [],
    doc: 'DRM_IOCTL_AMDGPU_CTX, AMDGPU_CTX_OP_FREE_CTX',
  },
  amdgpu_cs: {
    uapi: 'amdgpu',
    weight: 10,
    ctorWeight: 1,
    args: [fd, ctx, boEntry('bo0'), boEntry('bo1'), boEntry('bo2')],
    outs: [{ name: 'seq', kind: 'seq', owner: 'fd' }],
    doc: 'DRM_IOCTL_AMDGPU_CS on the gfx ring with a BO list of up to three handles (0 = none): validates each into its domains, fences them with the job',
  },
  amdgpu_cs_complete: {
    uapi: 'amdgpu',
    weight: 4,
    args: [fd, ctx, { name: 'seq', kind: 'seq', owner: 'fd' }],
    outs: [],
    doc: "gemcheck test ioctl: the GPU finishes the context's jobs up to seq (their fences signal)",
  },
  amdgpu_wait_cs: {
    uapi: 'amdgpu',
    weight: 3,
    args: [fd, ctx, { name: 'seq', kind: 'seq', owner: 'fd' }, int('timeout', timeout)],
    outs: [{ name: 'status', kind: 'int' }],
    doc: 'DRM_IOCTL_AMDGPU_WAIT_CS (gfx ring 0): out.status 1 = still busy',
  },
  amdgpu_wait_fences: {
    uapi: 'amdgpu',
    weight: 2,
    args: [
      fd,
      ctx,
      { name: 'seq0', kind: 'seq', owner: 'fd' },
      { name: 'seq1', kind: 'seq', owner: 'fd' },
      int('wait_all', { bits: 32, typical: [[0n, 1], [1n, 1]], edge: 0.02 }),
      int('timeout', timeout),
    ],
    outs: [
      { name: 'status', kind: 'int' },
      { name: 'first', kind: 'int' },
    ],
    doc: 'DRM_IOCTL_AMDGPU_WAIT_FENCES over two fences of one context: out.status 1 = signalled',
  },
  amdgpu_info: {
    uapi: 'amdgpu',
    weight: 4,
    args: [fd, int('query', { bits: 32, typical: [[0x10n, 3], [0x11n, 3], [0x17n, 3], [0x99n, 1]], edge: 0.02 }, INFO_QUERY)],
    outs: [{ name: 'value', kind: 'int' }],
    doc: 'DRM_IOCTL_AMDGPU_INFO: VRAM_USAGE, GTT_USAGE, VIS_VRAM_USAGE (bytes)',
  },
  amdgpu_bo_info: {
    uapi: 'amdgpu',
    weight: 5,
    args: [fd, handle],
    outs: [
      { name: 'domain', kind: 'int' },
      { name: 'visible', kind: 'int' },
      { name: 'pins', kind: 'int' },
    ],
    doc: "gemcheck debug query (debugfs amdgpu_gem_info): the bo's current domain, whether it is wholly in CPU-visible VRAM, its pin count",
  },
  amdgpu_bo_pin: {
    uapi: 'amdgpu',
    weight: 3,
    args: [fd, handle, int('domain', { bits: 32, typical: [[0x4n, 4], [0x2n, 3], [0x6n, 1], [0x1n, 1]], edge: 0.03 }, AMDGPU_DOMAINS)],
    outs: [],
    doc: 'gemcheck test ioctl: amdgpu_bo_pin(bo, domain), as a KMS scanout pin does',
  },
  amdgpu_bo_unpin: {
    uapi: 'amdgpu',
    weight: 2,
    args: [fd, handle],
    outs: [],
    doc: 'gemcheck test ioctl: amdgpu_bo_unpin',
  },
} as const satisfies Record<string, CallDesc>;
