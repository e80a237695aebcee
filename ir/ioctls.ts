/**
 * The ioctl table as data: which calls are ioctls, whether they are core or driver ioctls,
 * and their permission flags (drm_ioctl.c's DRM_IOCTL_DEF / DRM_IOCTL_DEF_DRV, v6.1).
 * Data only: model/ and impl/ each apply drm_ioctl_permit themselves.
 */
import type { OpName } from './calls.ts';

export const DRM_AUTH = 1;
export const DRM_MASTER = 2;
export const DRM_ROOT_ONLY = 4;
export const DRM_RENDER_ALLOW = 0x20;

export interface IoctlDef {
  readonly nr: number;
  readonly flags: number;
  /** driver ioctl (nr ≥ DRM_COMMAND_BASE): exists only if the driver's table has it. */
  readonly driver: boolean;
}

export const IOCTLS: Partial<Record<OpName, IoctlDef>> = {
  get_magic: { nr: 0x02, flags: 0, driver: false },
  auth_magic: { nr: 0x11, flags: DRM_MASTER, driver: false },
  gem_close: { nr: 0x09, flags: DRM_RENDER_ALLOW, driver: false },
  gem_flink: { nr: 0x0a, flags: DRM_AUTH, driver: false },
  gem_open: { nr: 0x0b, flags: DRM_AUTH, driver: false },
  prime_handle_to_fd: { nr: 0x2d, flags: DRM_RENDER_ALLOW, driver: false },
  prime_fd_to_handle: { nr: 0x2e, flags: DRM_RENDER_ALLOW, driver: false },
  create_dumb: { nr: 0xb2, flags: 0, driver: false },
  map_dumb: { nr: 0xb3, flags: 0, driver: false },
  destroy_dumb: { nr: 0xb4, flags: 0, driver: false },
  fence_attach: { nr: 0x41, flags: DRM_RENDER_ALLOW, driver: true },
  fence_signal: { nr: 0x42, flags: DRM_RENDER_ALLOW, driver: true },
  ro_create: { nr: 0x43, flags: DRM_RENDER_ALLOW, driver: true },
  // amdgpu_drv.c amdgpu_ioctls_kms: every one DRM_AUTH|DRM_RENDER_ALLOW
  amdgpu_gem_create: { nr: 0x40, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_gem_mmap: { nr: 0x41, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_ctx_alloc: { nr: 0x42, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_ctx_free: { nr: 0x42, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_cs: { nr: 0x44, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_info: { nr: 0x45, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_gem_wait_idle: { nr: 0x47, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_wait_cs: { nr: 0x49, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_gem_op: { nr: 0x50, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_gem_userptr: { nr: 0x51, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  amdgpu_wait_fences: { nr: 0x52, flags: DRM_AUTH | DRM_RENDER_ALLOW, driver: true },
  // gemcheck's test ioctls on the amdgpu device (not amdgpu uapi; docs/amdgpu.md)
  amdgpu_cs_complete: { nr: 0x70, flags: DRM_RENDER_ALLOW, driver: true },
  amdgpu_bo_info: { nr: 0x71, flags: DRM_RENDER_ALLOW, driver: true },
  amdgpu_bo_pin: { nr: 0x72, flags: DRM_RENDER_ALLOW, driver: true },
  amdgpu_bo_unpin: { nr: 0x73, flags: DRM_RENDER_ALLOW, driver: true },
  // nvdla_gem.c nvdla_drm_ioctls: every one DRM_RENDER_ALLOW only (no DRM_AUTH)
  nvdla_submit: { nr: 0x40, flags: DRM_RENDER_ALLOW, driver: true },
  nvdla_gem_create: { nr: 0x41, flags: DRM_RENDER_ALLOW, driver: true },
  nvdla_gem_mmap: { nr: 0x42, flags: DRM_RENDER_ALLOW, driver: true },
  nvdla_gem_destroy: { nr: 0x43, flags: DRM_RENDER_ALLOW, driver: true },
  // gemcheck's debug query on the NVDLA devices (not NVDLA uapi)
  nvdla_bo_info: { nr: 0x70, flags: DRM_RENDER_ALLOW, driver: true },
  // qxl_ioctl.c qxl_ioctls: every one DRM_AUTH (no render node)
  qxl_alloc: { nr: 0x40, flags: DRM_AUTH, driver: true },
  qxl_map: { nr: 0x41, flags: DRM_AUTH, driver: true },
  qxl_alloc_surf: { nr: 0x46, flags: DRM_AUTH, driver: true },
};

/**
 * Driver ioctls that share their number with another driver's: drm_ioctl dispatches by number,
 * so on a device whose table has the other one, that one runs on this call's struct (seen on
 * 6.1 with vgem + qxl: kernel/FINDINGS.md). `runs` is the ioctl that runs, `args` its arguments
 * as it reads them from this call's struct, filled as the executor fills it (outputs zero).
 */
export interface IoctlAlias {
  readonly runs: OpName;
  args(a: readonly bigint[]): readonly bigint[];
}

export const IOCTL_ALIASES: Partial<Record<OpName, readonly IoctlAlias[]>> = {
  // 0xC0106441. QXL_MAP {u64 offset; u32 handle; u32 pad} read as VGEM_FENCE_ATTACH {u32
  // handle, flags, out_fence, pad}: handle and flags are the offset's halves (0), so the lookup
  // of handle 0 is ENOENT
  qxl_map: [{ runs: 'fence_attach', args: (a) => [a[0]!, 0n, 0n] }],
  // and VGEM_FENCE_ATTACH read as QXL_MAP: the handle is out_fence (0): ENOENT after DRM_AUTH
  fence_attach: [{ runs: 'qxl_map', args: (a) => [a[0]!, 0n] }],
};

/** Driver ioctls gemcheck does not describe, by uapi and number: a call with the same number
 * on such a device runs them (harness/known.ts 'ioctl-number-alias'). */
export const UNDESCRIBED_DRIVER_IOCTLS: Readonly<Partial<Record<string, Readonly<Record<number, string>>>>> = {
  // qxl_ioctl.c: they submit commands to the device or ask it
  qxl: { 0x42: 'QXL_EXECBUFFER', 0x43: 'QXL_UPDATE_AREA', 0x44: 'QXL_GETPARAM', 0x45: 'QXL_CLIENTCAP' },
};

