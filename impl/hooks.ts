/**
 * The seam between the DRM core and drivers, after drm_driver and drm_gem_object_funcs.
 * Core code calls hooks; it never asks which driver it is talking to. An absent optional
 * hook means the core default applies, as in the kernel. The `debug` members are the
 * self-checks' side of the seam (the helpers' WARN_ONs): what a helper holds and checks of
 * its own state, so impl/debug never needs to know which helper it is looking at.
 */
import type { DrmDevice } from './core/drm_device.ts';
import type { DrmFile } from './core/drm_file.ts';
import type { GemObject } from './core/drm_gem.ts';
import type { DmaBuf } from './core/dma_buf.ts';
import type { Vma } from './core/mm.ts';
import type { FdTable, File } from './core/vfs.ts';
import type { ErrPtr } from './core/errptr.ts';
import type { PageStore } from './core/pages.ts';
import type { DmaFence } from './core/resv.ts';
import type { TtmDevice } from './ttm/device.ts';

/** Where a debug hook reports a violation (an invariant name and a message). */
export type DebugReport = (invariant: string, message: string) => void;

/** What a mapping shows, for the self-checks. */
export interface VmaBacking {
  readonly obj: GemObject;
  /** the vma holds a GEM reference (drm_gem_vm_open/close); false when a helper holds its own */
  readonly gemRef: boolean;
  /** the object page the vma's first page maps (its faults resolve within the object) */
  readonly firstPage: number;
}

/** vm_operations_struct: fault resolves a page of the vma to backing memory or SIGBUS. */
export interface VmOps {
  open?(vma: Vma): void;
  close?(vma: Vma): void;
  fault(vma: Vma, pageInVma: number): { store: PageStore; index: number } | 'SIGBUS';
  /** Debug: what the vma maps. Absent: vm_private_data is the GEM object, holding a
   * reference, from its first page (drm_gem_mmap_obj, drm_gem_shmem_fault). */
  debugBacking?(vma: Vma): VmaBacking;
}

/** Debug hooks of an object's helper. */
export interface GemObjectDebug {
  /** Checks of the helper's own state; `mappings` are the vmas whose backing is obj. */
  check?(obj: GemObject, mappings: readonly Vma[], report: DebugReport): void;
}

/** drm_gem_object_funcs. */
export interface GemObjectFuncs {
  free(obj: GemObject): void;
  open?(obj: GemObject, file: DrmFile): number;
  close?(obj: GemObject, file: DrmFile): void;
  /** 0 or -errno; called by drm_gem_mmap_obj and drm_gem_prime_mmap. */
  mmap?(obj: GemObject, vma: Vma): number;
  /** drm_gem_object_funcs.pin/unpin: an importer's attach pins the exported object */
  pin?(obj: GemObject): number;
  unpin?(obj: GemObject): void;
  /** the driver's export refusals before drm_gem_prime_export (amdgpu_gem_prime_export): 0 or -errno */
  exportCheck?(obj: GemObject): number;
  readonly vmOps?: VmOps;
  readonly debug?: GemObjectDebug;
}

export interface DumbArgs {
  width: number;
  height: number;
  bpp: number;
  flags: number;
  handle: number;
  pitch: number;
  size: bigint;
}

/** A driver-private ioctl (DRM_IOCTL_DEF_DRV): the handler gets raw 64-bit arguments. */
export interface DriverIoctl {
  readonly flags: number;
  handler(dev: DrmDevice, file: DrmFile, args: readonly bigint[], out: Record<string, bigint>, fds?: FdTable): number;
}

/** drm_driver. */
export interface DrmDriver {
  readonly name: string;
  readonly features: { readonly render: boolean; readonly prime: boolean };
  /** 0 or -errno; fills args.handle/pitch/size. Absent: MODE_*_DUMB give ENOSYS. */
  dumbCreate?(file: DrmFile, dev: DrmDevice, args: DumbArgs): number;
  /** The DRM fd's f_op->mmap when the driver has its own (amdgpu_mmap ≤5.13). Absent: drm_gem_mmap. */
  fopsMmap?(filp: File, vma: Vma): number;
  /** Absent: drm_gem_dumb_map_offset. */
  dumbMapOffset?(file: DrmFile, dev: DrmDevice, handle: number): bigint | ErrPtr;
  /** Absent: drm_gem_prime_import. */
  gemPrimeImport?(dev: DrmDevice, buf: DmaBuf): GemObject | ErrPtr;
  /** Used by the default import for foreign dma-bufs; absent → EINVAL. */
  gemPrimeImportSgTable?(dev: DrmDevice, buf: DmaBuf): GemObject | ErrPtr;
  /** Driver ioctls by op name (the op table stands in for nr - DRM_COMMAND_BASE); a handler
   * also gets the calling process's fd table (current->files: dma_buf_get of an fd argument). */
  readonly ioctls: Readonly<Record<string, DriverIoctl>>;
  open?(dev: DrmDevice, file: DrmFile): number;
  /** Driver probe, after the device exists (e.g. the fbdev console's buffer). */
  probe?(dev: DrmDevice): void;
  postclose?(dev: DrmDevice, file: DrmFile): void;
  /** Device teardown at session exit, after every file closed (drm_dev_unregister → the
   * driver's fini: a GPU driver idles the GPU and reclaims what it still held). */
  unload?(dev: DrmDevice): void;
  readonly debug?: DriverDebug;
}

/** Debug hooks of a driver. */
export interface DriverDebug {
  /** The fences a file's driver state holds and can still signal (vgem_file.fence_idr). */
  fileFences?(file: DrmFile): readonly DmaFence[];
  /** The device's TTM device, if the driver sits on TTM: its checks (debug/ttm.ts) then run
   * after every call, and its counters reach ImplSession.ttmStats. */
  ttmDevice?(dev: DrmDevice): TtmDevice | null;
  /** Checks of the driver's own device state (NVDLA's DMA pool accounting), after every call. */
  check?(dev: DrmDevice, report: DebugReport): void;
}
