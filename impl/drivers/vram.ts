/**
 * drm_gem_vram_helper.c (6.1) over impl/ttm through the drm_gem_ttm glue: one ttm_device per
 * DRM device (drm_vram_mm_init) with SYSTEM and a range-managed VRAM, bos init-validated in
 * SYSTEM (drm_gem_vram_create), evictions always to SYSTEM, moves by memcpy. Userspace cannot
 * pin here (no driver ioctls), so bos stay in SYSTEM; placement is observable only through
 * contents and offsets.
 */
import { PAGE_SIZE } from '../../ir/uapi.ts';
import type { DrmDevice } from '../core/drm_device.ts';
import type { DrmFile } from '../core/drm_file.ts';
import type { ErrPtr } from '../core/errptr.ts';
import { ttmBoMoveMemcpy } from '../ttm/bo.ts';
import type { TtmDevice, TtmDeviceFuncs } from '../ttm/device.ts';
import { place, placementOf, ttmRangeManInit, TTM_PL_SYSTEM, TTM_PL_VRAM } from '../ttm/resource.ts';
import { gemTtmCreate, gemTtmCreateWithHandle, gemTtmDeviceInit, type GemTtmObject } from './gem_ttm.ts';

/** drm_gem_vram_placement(gbo, DRM_GEM_VRAM_PL_FLAG_SYSTEM) */
const SYSTEM = placementOf(place(TTM_PL_SYSTEM));

/** bo_driver (drm_gem_vram_helper.c): eviction_valuable is ttm_bo_eviction_valuable (the core's
 * default); evict_flags is always SYSTEM (drm_gem_vram_bo_driver_evict_flags); move is
 * ttm_bo_move_memcpy (drm_gem_vram_bo_driver_move, after dropping the kmap). */
const vramBoDriver: TtmDeviceFuncs = {
  evictFlags: () => SYSTEM,
  move: (bo, _evict, ctx, newMem) => ttmBoMoveMemcpy(bo, ctx, newMem),
};

/** drm_vram_helper_init → drm_vram_mm_init: the ttm device and a VRAM range manager
 * (ttm_range_man_init(bdev, TTM_PL_VRAM, false, vram_size >> PAGE_SHIFT)). */
export function drmVramHelperInit(dev: DrmDevice, vramBytes: number): TtmDevice {
  const bdev = gemTtmDeviceInit(dev, vramBoDriver);
  ttmRangeManInit(bdev, TTM_PL_VRAM, false, vramBytes / PAGE_SIZE);
  return bdev;
}

/** drm_gem_vram_create: init-validated in SYSTEM, with its fake offset. */
export function drmGemVramCreate(dev: DrmDevice, size: number): GemTtmObject | ErrPtr {
  return gemTtmCreate(dev, dev.ttm!, size, SYSTEM);
}

/** drm_gem_vram_create plus a handle (drm_gem_vram_fill_create_dumb). */
export function drmGemVramCreateWithHandle(file: DrmFile, dev: DrmDevice, size: number): { obj: GemTtmObject; handle: number } | ErrPtr {
  return gemTtmCreateWithHandle(file, dev, dev.ttm!, size, SYSTEM);
}
