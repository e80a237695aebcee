/**
 * qxl's TTM side (drivers/gpu/drm/qxl/qxl_ttm.c, qxl_object.c, 6.1) on impl/ttm — hooks only:
 * managers VRAM (the RAM BAR's "IO pages", rom->ram_header_offset / PAGE_SIZE, including the
 * primary surface area) and PRIV (the surface BAR); qxl_evict_flags → SYSTEM; qxl_bo_move →
 * ttm_bo_move_null for a bo in SYSTEM without a tt (a new bo: nothing is copied or cleared,
 * so it shows what its VRAM range held), else ttm_bo_move_memcpy; placement from the domain
 * with TOPDOWN for bos of at most one page (qxl_ttm_placement_from_domain).
 * kernel/FINDINGS.md (qxl) has the kernel's answers these are held to (impl/ttm/qxl-kernel.test.ts).
 */
import { PAGE_SIZE } from '../../../ir/uapi.ts';
import { ctxOf, ttmBoInitValidate, ttmBoMoveMemcpy, ttmBoMoveNull, ttmBoPin, ttmBoUnreserve, ttmBoReserve, type TtmBufferObject } from '../../ttm/bo.ts';
import { ttmDeviceInit, type TtmDevice, type TtmDeviceFuncs } from '../../ttm/device.ts';
import { place, placementOf, ttmRangeManInit, TTM_PL_FLAG_TOPDOWN, TTM_PL_PRIV, TTM_PL_SYSTEM, TTM_PL_VRAM, type TtmPlacement } from '../../ttm/resource.ts';

// include/uapi/drm/qxl_drm.h
export const QXL_GEM_DOMAIN_CPU = 0;
export const QXL_GEM_DOMAIN_VRAM = 1;
export const QXL_GEM_DOMAIN_SURFACE = 2;

/** qxl_ttm_placement_from_domain (6.1). */
export function qxlPlacementFromDomain(size: number, domain: number): TtmPlacement {
  const pflag = size <= PAGE_SIZE ? TTM_PL_FLAG_TOPDOWN : 0;
  if (domain === QXL_GEM_DOMAIN_VRAM) return placementOf(place(TTM_PL_VRAM, pflag));
  if (domain === QXL_GEM_DOMAIN_SURFACE) return placementOf(place(TTM_PL_PRIV, pflag), place(TTM_PL_VRAM, pflag));
  if (domain === QXL_GEM_DOMAIN_CPU) return placementOf(place(TTM_PL_SYSTEM, pflag));
  return placementOf(place(TTM_PL_SYSTEM));
}

export const qxlBoDriver: TtmDeviceFuncs = {
  // qxl_evict_flags: qxl_ttm_placement_from_domain(qbo, QXL_GEM_DOMAIN_CPU)
  evictFlags: (bo) => qxlPlacementFromDomain(bo.size, QXL_GEM_DOMAIN_CPU),
  // qxl_bo_move
  move(bo, _evict, ctx, newMem) {
    if (bo.resource?.memType === TTM_PL_SYSTEM && bo.ttm === null) return ttmBoMoveNull(bo, newMem);
    return ttmBoMoveMemcpy(bo, ctx, newMem);
  },
};

/** qxl_ttm_init: the ttm device with VRAM (io pages) and PRIV (surfaces), sizes in pages. */
export function qxlTtmInit(vramPages: number, surfacePages: number): TtmDevice {
  const bdev = ttmDeviceInit(qxlBoDriver);
  ttmRangeManInit(bdev, TTM_PL_VRAM, false, vramPages);
  ttmRangeManInit(bdev, TTM_PL_PRIV, false, surfacePages);
  return bdev;
}

/** qxl_bo_create(kernel false, pinned, domain): a bo init-validated into its domain, or -errno. */
export function qxlBoCreate(bdev: TtmDevice, size: number, domain: number, pinned = false): TtmBufferObject | number {
  const bytes = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
  const bo = ttmBoInitValidate(bdev, bytes, 'device', qxlPlacementFromDomain(bytes, domain), ctxOf(false, true));
  if (typeof bo === 'number') return bo;
  if (pinned) {
    ttmBoReserve(bo);
    ttmBoPin(bo);
    ttmBoUnreserve(bo);
  }
  return bo;
}
