/**
 * vgem's driver ioctls (include/uapi/drm/vgem_drm.h, vgem_fence.c) and gemcheck's read-only
 * object ioctl, which the vgem device offers on the linux-5.10 profile only (standing in for
 * i915 userptr READ_ONLY, the in-tree user of read-only offset nodes; real vgem has no nr 0x43
 * and answers EINVAL). Driver ioctls exist only where the device's table has them, so on other
 * devices these calls fail in dispatch (drm_ioctl: EINVAL beyond the driver's table).
 */
import type { CallDesc, SymbolSet } from './types.ts';

const FENCEFLAGS: SymbolSet = { style: 'bits', names: { VGEM_FENCE_WRITE: 1n } };

export const VGEM_CALLS = {
  fence_attach: {
    uapi: 'vgem',
    weight: 3,
    args: [
      { name: 'fd', kind: 'fd' },
      { name: 'handle', kind: 'handle', owner: 'fd' },
      // vgem_fence_attach_ioctl: flags other than VGEM_FENCE_WRITE → EINVAL
      { name: 'flags', kind: 'int', symbols: FENCEFLAGS, domain: { bits: 32, typical: [[0n, 45], [1n, 45], [2n, 5], [0xffff_ffffn, 5]], edge: 0.02 } },
    ],
    // fence ids come from the file's idr (vgem_file.fence_idr)
    outs: [{ name: 'fence', kind: 'fence', owner: 'fd' }],
    doc: 'DRM_IOCTL_VGEM_FENCE_ATTACH',
  },
  fence_signal: {
    uapi: 'vgem',
    weight: 2,
    args: [
      { name: 'fd', kind: 'fd' },
      { name: 'fence', kind: 'fence', owner: 'fd' },
      // vgem_fence_signal_ioctl: flags ≠ 0 → EINVAL
      { name: 'flags', kind: 'int', domain: { bits: 32, typical: [[0n, 95], [1n, 5]], edge: 0.02 } },
    ],
    outs: [],
    doc: 'DRM_IOCTL_VGEM_FENCE_SIGNAL',
  },
  ro_create: {
    uapi: 'vgem',
    weight: 2,
    args: [
      { name: 'fd', kind: 'fd' },
      // RO_CREATE takes page multiples in (0, 4 GiB]
      { name: 'size', kind: 'int', domain: { bits: 64, bytes: true, typical: [[4096n, 1], [8192n, 1], [16384n, 1], [0x100000n, 1]], edge: 0.35, limits: [0x1_0000_0000n] } },
    ],
    outs: [{ name: 'handle', kind: 'handle', owner: 'fd', sizeFrom: 'size' }],
    doc: "gemcheck's read-only object ioctl (vgem-like device, linux-5.10 profile; as i915 userptr READ_ONLY did)",
  },
} as const satisfies Record<string, CallDesc>;
