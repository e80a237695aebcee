/**
 * qxl's driver ioctls (include/uapi/drm/qxl_drm.h, drivers/gpu/drm/qxl/qxl_ioctl.c, 6.1): the
 * three that make and map buffers. QXL_ALLOC makes a bo in the VRAM domain (the RAM BAR's
 * "IO pages"), QXL_ALLOC_SURF one in the surface domain (the surface BAR first, then VRAM),
 * QXL_MAP gives a handle's fake offset. The sizes are drawn against the device's small VRAM
 * (ir/devices.ts qxl: 4094 pages by default, 768 + 2 of them pinned by the driver, so holes of
 * 769 and 2555 pages), so random programs evict all the time (kernel/qxl-evict-fuzz.ts's sizes).
 * EXECBUFFER, UPDATE_AREA, GETPARAM and CLIENTCAP talk to the device and are not described.
 */
import type { ArgDesc, CallDesc, IntDomain } from './types.ts';

const fd: ArgDesc = { name: 'fd', kind: 'fd' };
const handle: ArgDesc = { name: 'handle', kind: 'handle', owner: 'fd' };
const P = 4096n;
const pages = (n: number): bigint => BigInt(n) * P;

/** QXL_ALLOC sizes (bytes, u32): page counts around the default VRAM's holes, a few byte
 * counts that are not page multiples, 0 (EINVAL) and sizes far past VRAM. */
const allocSize: IntDomain = {
  bits: 32,
  bytes: true,
  typical: [
    [pages(1), 4], [pages(2), 1], [pages(3), 1], [pages(16), 2], [pages(64), 2], [pages(256), 2], [pages(512), 2],
    [pages(700), 3], [pages(769), 5], [pages(770), 3], [pages(1024), 9], [pages(1500), 6], [pages(2000), 6],
    [pages(2555), 4], [pages(2556), 2], [pages(4094), 1], [[1n, 20000n], 2], [0n, 1], [0x100_0000n, 1],
  ],
  edge: 0.03,
  max: 0x400_0000n,
};

/** QXL_ALLOC_SURF: size = |stride| · height + |stride| in int; a one-page stride and a height
 * of pages − 1 gives page counts against the 256-page surface BAR (and VRAM behind it). */
const surfHeight: IntDomain = {
  bits: 32,
  typical: [[0n, 2], [1n, 3], [15n, 3], [63n, 3], [99n, 2], [127n, 2], [199n, 2], [255n, 3], [256n, 2], [1023n, 2], [[0n, 300n], 2]],
  edge: 0.02,
};
const surfStride: IntDomain = {
  bits: 32,
  typical: [[4096n, 12], [0xffff_f000n, 2], [8192n, 2], [1024n, 1], [[1n, 6000n], 1]],
  edge: 0.02,
};

export const QXL_CALLS = {
  qxl_alloc: {
    uapi: 'qxl',
    weight: 50,
    ctorWeight: 40,
    args: [fd, { name: 'size', kind: 'int', domain: allocSize }],
    outs: [{ name: 'handle', kind: 'handle', owner: 'fd', sizeFrom: 'size' }],
    doc: 'DRM_IOCTL_QXL_ALLOC (drm_qxl_alloc: size) → handle: a bo in the VRAM domain',
  },
  qxl_map: {
    uapi: 'qxl',
    weight: 8,
    ctorWeight: 30,
    args: [fd, handle],
    outs: [{ name: 'offset', kind: 'offset', owner: 'fd' }],
    doc: 'DRM_IOCTL_QXL_MAP (drm_qxl_map: handle) → offset: qxl_mode_dumb_mmap',
  },
  qxl_alloc_surf: {
    uapi: 'qxl',
    weight: 4,
    ctorWeight: 8,
    args: [
      fd,
      { name: 'format', kind: 'int', domain: { bits: 32, typical: [[32n, 9], [16n, 1]], edge: 0.02 } },
      { name: 'width', kind: 'int', domain: { bits: 32, typical: [[1024n, 9], [64n, 1]], edge: 0.02 } },
      { name: 'height', kind: 'int', domain: surfHeight },
      { name: 'stride', kind: 'int', domain: surfStride },
    ],
    outs: [{ name: 'handle', kind: 'handle', owner: 'fd' }],
    doc: 'DRM_IOCTL_QXL_ALLOC_SURF (drm_qxl_alloc_surf: format, width, height, stride) → handle: a bo in the surface domain',
  },
} as const satisfies Record<string, CallDesc>;
