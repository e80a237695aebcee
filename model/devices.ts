/** Device descriptions: the driver-level facts the model's rules consult, as data. */
import type { DeviceKind } from '../ir/target.ts';
import { OFFSET_START_PAGE } from './offsets.ts';

export interface DeviceDesc {
  /** DRIVER_RENDER: a renderD node exists. */
  readonly renderNode: boolean;
  /** vgem_drv.c: VGEM_FENCE_ATTACH / VGEM_FENCE_SIGNAL. */
  readonly fences: boolean;
  /** first page of the fake-offset space. */
  readonly offsetStartPage: number;
  /** dumb_create: (width, height, bpp) → pitch and size, after the core's checks; u32 math. */
  dumbLayout(width: number, height: number, bpp: number): { pitch: number; size: number };
}

const u32 = (x: number) => x >>> 0;
const pageAlign = (x: number) => Math.ceil(x / 4096) * 4096;

export const DEVICES: Readonly<Record<DeviceKind, DeviceDesc>> = {
  // vgem_drv.c ≥5.14 uses the shmem helpers; both a card and a renderD node.
  vgem: {
    renderNode: true,
    fences: true,
    offsetStartPage: OFFSET_START_PAGE,
    // drm_gem_shmem_dumb_create: pitch = DIV_ROUND_UP(width * bpp, 8) and
    // size = PAGE_ALIGN(pitch * height), both products in u32 (they can wrap).
    dumbLayout(width, height, bpp) {
      const pitch = Math.floor(u32(u32(Math.imul(width, bpp)) + 7) / 8);
      return { pitch, size: pageAlign(u32(Math.imul(pitch, height))) };
    },
  },
};
