/** Device descriptions: the driver-level facts the model's rules consult, as data. */
import type { DeviceTable } from '../ir/devices.ts';
import { OFFSET_START_PAGE } from './offsets.ts';

export interface DeviceDesc {
  /** DRIVER_RENDER: a renderD node exists. */
  readonly renderNode: boolean;
  /** vgem_drv.c: VGEM_FENCE_ATTACH / VGEM_FENCE_SIGNAL. */
  readonly fences: boolean;
  /** gemcheck's RO_CREATE ioctl, on profiles that have it (Profile.roCreateIoctl). */
  readonly roCreate: boolean;
  /** Where a CPU mapping's memory comes from, which is what the guest's RAM limits:
   * 'pinned-at-mmap' — shmem: drm_gem_shmem_mmap pins every page until the last vm_close;
   * 'populated-at-fault' — TTM: ttm_bo_vm_fault populates the whole tt at the first fault,
   * kept until the object is destroyed. */
  readonly cpuMemory: 'pinned-at-mmap' | 'populated-at-fault';
  /** first page of the fake-offset space. */
  readonly offsetStartPage: number;
  /** drm_driver.prime_handle_to_fd / prime_fd_to_handle set (6.1; ENOSYS otherwise). */
  readonly prime: boolean;
  /** A mapping holds a GEM reference (shmem) rather than only a TTM one (drm_gem_ttm_mmap). */
  readonly mmapHoldsGemRef: boolean;
  /** Buffers the kernel itself creates at probe (bytes), e.g. the fbdev console's: they own
   * the first offsets and no userspace file has a handle to them. */
  readonly bootBuffers: readonly number[];
  /** No dumb_create: the MODE_*_DUMB ioctls give ENOSYS (NVDLA). */
  readonly noDumb?: boolean;
  /** No gem_prime_import_sg_table: a foreign dma-buf's import is EINVAL (NVDLA). */
  readonly noForeignImport?: boolean;
  /** Objects come from a DMA-coherent pool (NVDLA: model/nvdla/, the pool_kib parameter). */
  readonly dmaPool?: boolean;
  /** qxl's TTM memory (model/qxl/): VRAM and surface managers, evictions to SYSTEM. */
  readonly qxlVram?: boolean;
  /** No gem_prime_mmap (6.1 drm_gem_dmabuf_mmap): mmap of its dma-bufs is ENOSYS (qxl). */
  readonly noDmaBufMmap?: boolean;
  /** A foreign dma-buf's import fails with this errno after the attach (qxl_gem_prime_import_sg_table: ENOSYS). */
  readonly foreignImportErrno?: number;
  /** Another device's import of its dma-buf fails with this errno (qxl_gem_prime_get_sg_table: ENOSYS). */
  readonly foreignExportErrno?: number;
  /** dumb_create accepts only these bpp (qxl_mode_dumb_create: 16 and 32; others EINVAL). */
  readonly dumbBpp?: readonly number[];
  /** dumb_create: (width, height, bpp) → pitch and size, after the core's checks; u32 math. */
  dumbLayout(width: number, height: number, bpp: number): { pitch: number; size: number };
}

const u32 = (x: number) => x >>> 0;
const pageAlign = (x: number) => Math.ceil(x / 4096) * 4096;

const NVDLA: DeviceDesc = {
  renderNode: true,
  fences: false,
  roCreate: false,
  cpuMemory: 'pinned-at-mmap',
  offsetStartPage: OFFSET_START_PAGE,
  prime: true,
  mmapHoldsGemRef: true,
  bootBuffers: [],
  noDumb: true,
  noForeignImport: true,
  dmaPool: true,
  dumbLayout: () => ({ pitch: 0, size: 0 }), // never asked: noDumb
};

export const DEVICES: DeviceTable<DeviceDesc> = {
  // vgem_drv.c ≥5.14 uses the shmem helpers; both a card and a renderD node.
  vgem: {
    renderNode: true,
    fences: true,
    roCreate: true,
    cpuMemory: 'pinned-at-mmap',
    offsetStartPage: OFFSET_START_PAGE,
    prime: true,
    mmapHoldsGemRef: true,
    bootBuffers: [],
    // drm_gem_shmem_dumb_create: pitch = DIV_ROUND_UP(width * bpp, 8) and
    // size = PAGE_ALIGN(pitch * height), every step in u32: the products wrap, and so does
    // DIV_ROUND_UP's "+ 7", so width*bpp in 0xfffffff9..0xffffffff is pitch 0, size 0
    // (kernel-observed, corpus/regressions/dumb-pitch-wrap.prog).
    dumbLayout(width, height, bpp) {
      const pitch = Math.floor(u32(u32(Math.imul(width, bpp)) + 7) / 8);
      return { pitch, size: u32(pageAlign(u32(Math.imul(pitch, height)))) };
    },
  },
  // bochs.c: DRIVER_MODESET|DRIVER_GEM|DRIVER_ATOMIC (no render node), DRM_GEM_VRAM_DRIVER
  // (no PRIME hooks in 6.1). drm_fbdev_generic_setup allocates the console's buffer at
  // probe: 1280x800 XRGB8888 (QEMU's default mode; kernel/FINDINGS.md) = 1000 pages.
  bochs: {
    renderNode: false,
    fences: false,
    roCreate: false,
    cpuMemory: 'populated-at-fault',
    offsetStartPage: OFFSET_START_PAGE,
    prime: false,
    mmapHoldsGemRef: false,
    bootBuffers: [1280 * 800 * 4],
    // drm_gem_vram_fill_create_dumb(pg_align 0, pitch_align 0): pitch = width * cpp,
    // size = roundup(pitch * height, PAGE_SIZE); the core's checks keep it within u32.
    dumbLayout(width, height, bpp) {
      const pitch = width * Math.ceil(bpp / 8);
      return { pitch, size: pageAlign(pitch * height) };
    },
  },
  // cirrus.c (tiny): DRIVER_MODESET|DRIVER_GEM|DRIVER_ATOMIC (no render node) over the shmem
  // helpers (DRM_GEM_SHMEM_DRIVER_OPS), so PRIME works, foreign imports included. Its fbdev
  // console buffer is created at probe: 1024x768 RGB565 (QEMU's default mode) = 384 pages,
  // seen on the real kernel (kernel/FINDINGS.md).
  cirrus: {
    renderNode: false,
    fences: false,
    roCreate: false,
    cpuMemory: 'pinned-at-mmap',
    offsetStartPage: OFFSET_START_PAGE,
    prime: true,
    mmapHoldsGemRef: true,
    bootBuffers: [1024 * 768 * 2],
    // the same helper as vgem: drm_gem_shmem_dumb_create
    dumbLayout: (width, height, bpp) => DEVICES.vgem.dumbLayout(width, height, bpp),
  },
  // amdgpu (simulated; docs/amdgpu.md): render node, PRIME, TTM buffers (a mapping holds
  // only a TTM reference, drm_gem_ttm_mmap), no fbdev buffer in the simulation.
  amdgpu: {
    renderNode: true,
    fences: false,
    roCreate: false,
    cpuMemory: 'populated-at-fault',
    offsetStartPage: OFFSET_START_PAGE,
    prime: true,
    mmapHoldsGemRef: false,
    bootBuffers: [],
    // amdgpu_mode_dumb_create (checked against 6.1): pitch = amdgpu_gem_align_pitch(width,
    // cpp) — width rounded up to 256/128/64 pixels for cpp 1/2/3-4 (others: no rounding),
    // times cpp, in int (wraps as u32 when stored); size = ALIGN((u64)pitch * height,
    // PAGE_SIZE). The bo itself (VRAM, its flags, ENOMEM) is model/amdgpu/bo.ts dumbCreate.
    dumbLayout(width, height, bpp) {
      const cpp = Math.ceil(bpp / 8);
      const mask = cpp === 1 ? 255 : cpp === 2 ? 127 : cpp === 3 || cpp === 4 ? 63 : 0;
      const aligned = u32(width + mask) & ~mask;
      const pitch = u32(Math.imul(aligned, cpp));
      return { pitch, size: pageAlign(pitch * height) };
    },
  },
  // NVDLA (nvdla_gem.c; model/nvdla/): DRIVER_GEM|DRIVER_PRIME|DRIVER_RENDER, private
  // objects from the DMA pool, mappings hold a GEM reference (drm_gem_cma_vm_ops), no dumb
  // buffers, no foreign imports. The model describes a correct driver for both devices.
  nvdla: NVDLA,
  'nvdla-upstream': NVDLA,
  // qxl (drivers/gpu/drm/qxl, 6.1; model/qxl/): DRIVER_GEM|DRIVER_MODESET|DRIVER_ATOMIC (no
  // render node), TTM bos (a mapping holds only a TTM reference), prime_handle_to_fd and
  // fd_to_handle set, but no gem_prime_mmap (dma-buf mmap ENOSYS), get_sg_table and
  // import_sg_table ENOSYS (no foreign imports either way). Two device bos of the driver own
  // the first fake offsets, seen on the kernel (corpus/regressions/qxl-boot-offsets.prog): one
  // page at 0x100000000 and 769 pages (the fbdev console's 1024x768x32 with a page more) at
  // 0x100001000, so the first user offset is 0x100302000.
  qxl: {
    renderNode: false,
    fences: false,
    roCreate: false,
    cpuMemory: 'populated-at-fault',
    offsetStartPage: OFFSET_START_PAGE,
    prime: true,
    mmapHoldsGemRef: false,
    bootBuffers: [4096, 769 * 4096],
    qxlVram: true,
    noDmaBufMmap: true,
    foreignImportErrno: 38,
    foreignExportErrno: 38,
    dumbBpp: [16, 32],
    // qxl_mode_dumb_create: pitch = width * ((bpp + 1) / 8), size = ALIGN(pitch * height,
    // PAGE_SIZE), in u32 (the core's checks keep it from wrapping for bpp 16 and 32)
    dumbLayout(width, height, bpp) {
      const pitch = u32(Math.imul(width, Math.floor((bpp + 1) / 8)));
      return { pitch, size: pageAlign(u32(Math.imul(pitch, height))) };
    },
  },
};
