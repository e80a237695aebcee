/**
 * Linux uapi constants shared by every part of gemcheck: errno numbers, ioctl flag bits,
 * mmap constants, page size. Values are Linux x86-64's.
 */

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EBADF: 9,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
  EMFILE: 24,
  ENOSPC: 28,
  ENOSYS: 38,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
} as const;
export type ErrnoName = keyof typeof Errno;

const errnoNames = new Map<number, ErrnoName>(
  (Object.entries(Errno) as [ErrnoName, number][]).map(([k, v]) => [v, k]),
);
export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `E#${n}`;
}
export function errnoByName(name: string): number | undefined {
  return (Errno as Record<string, number>)[name];
}

/** PRIME_HANDLE_TO_FD flags (include/uapi/drm/drm.h). */
export const DRM_CLOEXEC = 0x80000; // O_CLOEXEC
export const DRM_RDWR = 0x2; // O_RDWR

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const MAP_SHARED = 1;
export const MAP_PRIVATE = 2;
export const MAP_SHARED_VALIDATE = 3;

/** VGEM_FENCE_ATTACH flags (include/uapi/drm/vgem_drm.h). */
export const VGEM_FENCE_WRITE = 0x1;

export const U32_MAX = 0xffff_ffffn;
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
export const INT_MAX = 0x7fff_ffff;

/** First fd a program gets: 0-2 are the executor's stdio (see executor/PROTOCOL.md). */
export const FIRST_FD = 3;
/** RLIMIT_NOFILE of a program's process: the executor keeps its own fds at >= 900. */
export const FD_LIMIT = 900;
/** Harness rule: a mapping this long cannot be placed in the process's address space
 * (get_unmapped_area → ENOMEM). The exact bound depends on the address-space layout; 64 TiB
 * is far above any object and far below what a real process can place. */
export const MMAP_LEN_LIMIT = 1n << 46n;

export const SIGNALS = ['SIGSEGV', 'SIGBUS'] as const;
export type SignalName = (typeof SIGNALS)[number];
