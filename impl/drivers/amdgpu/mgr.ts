/**
 * amdgpu's resource managers as page-counting managers (docs/amdgpu.md "Memory managers",
 * sim): amdgpu_vram_mgr (a drm_buddy allocator in the kernel: non-contiguous, so a request
 * fits iff its window has enough free pages), amdgpu_gtt_mgr (counts), and the on-chip
 * GDS/GWS/OA managers (range managers in the kernel; their fragmentation is not simulated).
 * Every allocation and free is O(1): no drm_mm, no per-page state.
 */
import { Errno } from '../../../ir/uapi.ts';
import { PageStore } from '../../core/pages.ts';
import type { TtmBufferObject } from '../../ttm/bo.ts';
import type { TtmDevice } from '../../ttm/device.ts';
import {
  TTM_PL_FLAG_TEMPORARY,
  TTM_PL_FLAG_TOPDOWN,
  TtmResource,
  TtmResourceManager,
  ttmResourceFini,
  ttmResourceInit,
  type TtmPlace,
  type TtmResourceManagerFunc,
} from '../../ttm/resource.ts';

/** A resource of an amdgpu manager: in VRAM, how many of its pages are CPU-visible. */
export class AmdgpuResource extends TtmResource {
  visPages = 0;
}

/** A counting manager's own state (the manager object's size is its page count). */
export class AmdgpuManager extends TtmResourceManager {
  /** pages allocated that count against the limit (TEMPORARY GTT bounces do not) */
  used = 0;
  /** VRAM only: the visible window [0, vis) and how much of it is allocated */
  vis = 0;
  visUsed = 0;
}

/** A place's window against the visible boundary (lpfn 0 = to the end, as in TTM). */
const visibleOnly = (m: AmdgpuManager, p: TtmPlace): boolean => p.lpfn !== 0 && p.lpfn <= m.vis;
const invisibleOnly = (m: AmdgpuManager, p: TtmPlace): boolean => p.fpfn > 0 && p.fpfn >= m.vis;

function newRes(bo: TtmBufferObject, p: TtmPlace, iomem: boolean): AmdgpuResource {
  const res = new AmdgpuResource(bo, p);
  if (iomem) res.iomem = new PageStore(res.numPages);
  return res;
}

// amdgpu_vram_mgr_new (sim): the visible pool [0, vis) and the invisible one [vis, size);
// CPU_ACCESS_REQUIRED places (lpfn ≤ vis) take visible pages, fpfn ≥ vis places invisible
// ones, TOPDOWN takes invisible first (drm_buddy's DRM_BUDDY_TOPDOWN_ALLOCATION), others
// visible first. -ENOSPC when the window has too few free pages.
const vramFunc: TtmResourceManagerFunc = {
  alloc(man, bo, p) {
    const m = man as AmdgpuManager;
    const n = bo.numPages;
    const visFree = m.vis - m.visUsed;
    const invisFree = m.size - m.vis - (m.used - m.visUsed);
    let vis: number;
    if (visibleOnly(m, p)) {
      if (visFree < n) return -Errno.ENOSPC;
      vis = n;
    } else if (invisibleOnly(m, p)) {
      if (invisFree < n) return -Errno.ENOSPC;
      vis = 0;
    } else {
      if (visFree + invisFree < n) return -Errno.ENOSPC;
      vis = p.flags & TTM_PL_FLAG_TOPDOWN ? Math.max(0, n - invisFree) : Math.min(n, visFree);
    }
    const res = newRes(bo, p, true);
    res.visPages = vis;
    m.used += n;
    m.visUsed += vis;
    ttmResourceInit(bo, p, res);
    return res;
  },
  free(man, res) {
    const m = man as AmdgpuManager;
    m.used -= res.numPages;
    m.visUsed -= (res as AmdgpuResource).visPages;
    res.iomem?.release();
    ttmResourceFini(man, res);
  },
  // amdgpu_vram_mgr_compatible: the window holds all its pages
  compatible(man, res, p) {
    const m = man as AmdgpuManager;
    const vis = (res as AmdgpuResource).visPages;
    if (visibleOnly(m, p)) return vis === res.numPages;
    if (invisibleOnly(m, p)) return vis === 0;
    return true;
  },
  // amdgpu_vram_mgr_intersects ("check each drm MM node"): some page inside the window
  intersects(man, res, p) {
    const m = man as AmdgpuManager;
    const vis = (res as AmdgpuResource).visPages;
    if (visibleOnly(m, p)) return vis > 0;
    if (invisibleOnly(m, p)) return vis < res.numPages;
    return true;
  },
};

// amdgpu_gtt_mgr_new: ttm_resource_init, then -ENOSPC if the usage would exceed the size —
// except TTM_PL_FLAG_TEMPORARY (multihop bounce) allocations, which are not limited
const gttFunc: TtmResourceManagerFunc = {
  alloc(man, bo, p) {
    const m = man as AmdgpuManager;
    const temp = (p.flags & TTM_PL_FLAG_TEMPORARY) !== 0;
    if (!temp && m.used + bo.numPages > m.size) return -Errno.ENOSPC;
    const res = newRes(bo, p, false);
    if (!temp) m.used += res.numPages;
    ttmResourceInit(bo, p, res);
    return res;
  },
  free(man, res) {
    if (!(res.placement & TTM_PL_FLAG_TEMPORARY)) (man as AmdgpuManager).used -= res.numPages;
    ttmResourceFini(man, res);
  },
  compatible: () => true,
  intersects: () => true,
};

// the on-chip managers (amdgpu_ttm_init_on_chip → ttm_range_man_init; sim: counting)
const onChipFunc: TtmResourceManagerFunc = {
  alloc(man, bo, p) {
    const m = man as AmdgpuManager;
    if (m.used + bo.numPages > m.size) return -Errno.ENOSPC;
    const res = newRes(bo, p, true);
    m.used += res.numPages;
    ttmResourceInit(bo, p, res);
    return res;
  },
  free(man, res) {
    (man as AmdgpuManager).used -= res.numPages;
    res.iomem?.release();
    ttmResourceFini(man, res);
  },
  compatible: () => true,
  intersects: () => true,
};

/** Creates and registers a manager; a size of 0 leaves the type unused (ttm_resource_manager
 * _set_used false: ttm_bo_mem_space skips it, amdgpu_ttm_init_on_chip with size 0). */
export function amdgpuManInit(bdev: TtmDevice, memType: number, kind: 'vram' | 'gtt' | 'onchip', pages: number, visPages = 0): AmdgpuManager {
  const func = kind === 'vram' ? vramFunc : kind === 'gtt' ? gttFunc : onChipFunc;
  const man = new AmdgpuManager(bdev, memType, kind === 'gtt', pages, func);
  man.vis = Math.min(visPages, pages);
  man.useType = pages > 0;
  bdev.managers[memType] = man;
  return man;
}
