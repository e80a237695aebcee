/**
 * TTM resources and their managers (include/drm/ttm/ttm_placement.h, ttm_resource.c,
 * ttm_sys_manager.c, ttm_range_manager.c), 6.1 shape. A resource is one allocation of a
 * buffer in one memory type; a manager hands them out (alloc/free per
 * ttm_resource_manager_func), accounts usage and owns one LRU list per priority.
 */
import { Errno, PAGE_SIZE } from '../../ir/uapi.ts';
import { DrmMm, type MmNode } from '../core/drm_mm.ts';
import { PageStore, PageWindow } from '../core/pages.ts';
import { LruLink, LruList, ttmLruBulkMoveAdd, ttmLruBulkMoveDel, ttmLruBulkMovePosTail } from './lru.ts';
import type { TtmBufferObject } from './bo.ts';
import type { TtmDevice } from './device.ts';

// include/drm/ttm/ttm_placement.h (6.1); amdgpu's private types from amdgpu_ttm.h
export const TTM_PL_SYSTEM = 0;
export const TTM_PL_TT = 1;
export const TTM_PL_VRAM = 2;
export const TTM_PL_PRIV = 3;
export const AMDGPU_PL_GDS = TTM_PL_PRIV + 0;
export const AMDGPU_PL_GWS = TTM_PL_PRIV + 1;
export const AMDGPU_PL_OA = TTM_PL_PRIV + 2;
export const TTM_NUM_MEM_TYPES = 8;
export const TTM_MAX_BO_PRIORITY = 4;

/** ttm_place.flags (6.1). Newer kernels add TTM_PL_FLAG_DESIRED (1 << 3) and FALLBACK
 * (1 << 4) and drop ttm_placement.busy_placement; this library implements 6.1's two lists. */
export const TTM_PL_FLAG_CONTIGUOUS = 1 << 0;
export const TTM_PL_FLAG_TOPDOWN = 1 << 1;
export const TTM_PL_FLAG_TEMPORARY = 1 << 2;

/** struct ttm_place: a memory type, a page window [fpfn, lpfn) (lpfn 0 = to the end), flags. */
export interface TtmPlace {
  readonly fpfn: number;
  readonly lpfn: number;
  readonly memType: number;
  readonly flags: number;
}

/** struct ttm_placement (6.1): the idle list (no eviction) and the busy list (evicting). */
export interface TtmPlacement {
  readonly placement: readonly TtmPlace[];
  readonly busyPlacement: readonly TtmPlace[];
}

export const place = (memType: number, flags = 0, fpfn = 0, lpfn = 0): TtmPlace => ({ memType, flags, fpfn, lpfn });
/** The common driver idiom: the same places for both passes. */
export const placementOf = (...places: TtmPlace[]): TtmPlacement => ({ placement: places, busyPlacement: places });

/** struct ttm_resource. On the manager's LRU (or bdev->pinned) through its intrusive link. */
export class TtmResource extends LruLink {
  start = 0;
  readonly numPages: number;
  readonly memType: number;
  /** res->placement: the place flags it was allocated with */
  readonly placement: number;
  mmNode: MmNode | null = null;
  /** the contents while the resource is I/O memory (managers without use_tt, e.g. VRAM) */
  iomem: PageStore | null = null;
  freed = false;
  constructor(
    readonly bo: TtmBufferObject,
    p: TtmPlace,
  ) {
    super();
    this.numPages = bo.numPages;
    this.memType = p.memType;
    this.placement = p.flags;
  }
  get size(): number {
    return this.numPages * PAGE_SIZE;
  }
}

/** struct ttm_resource_manager_func (6.1: alloc, free, debug). */
export interface TtmResourceManagerFunc {
  /** a resource, or a negative errno (-ENOSPC when nothing fits) */
  alloc(man: TtmResourceManager, bo: TtmBufferObject, p: TtmPlace): TtmResource | number;
  free(man: TtmResourceManager, res: TtmResource): void;
  /** (6.2+ ttm_resource_manager_func.compatible) does res lie wholly inside p's window?
   * Absent: the range check on res->start of 6.1's ttm_resource_places_compat. Managers that
   * do not place by start (amdgpu's counting managers) answer here. */
  compatible?(man: TtmResourceManager, res: TtmResource, p: TtmPlace): boolean;
  /** (6.2+ ttm_resource_manager_func.intersects) does res have a page inside p's window? */
  intersects?(man: TtmResourceManager, res: TtmResource, p: TtmPlace): boolean;
}

/** struct ttm_resource_manager. size is in pages (the kernel's man->size for range managers). */
export class TtmResourceManager {
  useType = false;
  /** usage in bytes (ttm_resource_manager_usage) */
  usage = 0;
  readonly lru: LruList<TtmResource>[] = Array.from({ length: TTM_MAX_BO_PRIORITY }, () => new LruList<TtmResource>());
  /** the drm_mm of a range manager (ttm_range_manager.c), null otherwise */
  mm: DrmMm | null = null;
  /** a range manager's I/O memory (VRAM), page by page: nothing clears it between
   * allocations, so a new resource reads what the last one left (kernel/FINDINGS.md, qxl) */
  memory: PageStore | null = null;
  constructor(
    readonly bdev: TtmDevice,
    readonly memType: number,
    readonly useTt: boolean,
    readonly size: number,
    readonly func: TtmResourceManagerFunc,
  ) {}
}

/** ttm_resource_init: fill in, account usage, and queue on the LRU (or bdev->pinned). */
export function ttmResourceInit(bo: TtmBufferObject, p: TtmPlace, res: TtmResource): void {
  const man = bo.bdev.managers[p.memType]!;
  man.usage += res.size;
  ttmResourceMoveToLruTail(res);
  ttmResourceAddBulkMove(res, bo);
}

/** ttm_resource_fini: off every list, usage returned. */
export function ttmResourceFini(man: TtmResourceManager, res: TtmResource): void {
  LruList.del(res);
  if (!man.bdev.faults.has('leak-usage')) man.usage -= res.size;
  res.freed = true;
}

/** ttm_resource_alloc: the manager's alloc for place->mem_type. */
export function ttmResourceAlloc(bo: TtmBufferObject, p: TtmPlace): TtmResource | number {
  const man = bo.bdev.managers[p.memType];
  if (!man) return -Errno.EINVAL;
  return man.func.alloc(man, bo, p);
}

/** ttm_resource_free: out of the bulk move, then the manager's free. */
export function ttmResourceFree(bo: TtmBufferObject, res: TtmResource | null): void {
  if (!res || res.freed) return;
  ttmResourceDelBulkMove(res, bo);
  const man = bo.bdev.managers[res.memType]!;
  man.func.free(man, res);
}

/** ttm_resource_move_to_lru_tail (6.1): pinned → bdev->pinned; in a bulk move → the run's tail;
 * else the tail of man->lru[bo->priority]. */
export function ttmResourceMoveToLruTail(res: TtmResource): void {
  const bo = res.bo;
  const bdev = bo.bdev;
  bo.lruLazy = false;
  if (bo.pinCount && !bdev.faults.has('evict-pinned')) {
    bdev.pinned.moveTail(res);
  } else if (bo.bulkMove && res.lruList && res.lruList !== bdev.pinned) {
    ttmLruBulkMovePosTail(bo.bulkMove.pos[res.memType][bo.priority], res);
  } else {
    bdev.managers[res.memType]!.lru[bo.priority].moveTail(res);
  }
}

/** ttm_resource_add_bulk_move: only unpinned resources take part. */
export function ttmResourceAddBulkMove(res: TtmResource, bo: TtmBufferObject): void {
  if (bo.bulkMove && !bo.pinCount) ttmLruBulkMoveAdd(bo.bulkMove.pos[res.memType][bo.priority], res);
}
/** ttm_resource_del_bulk_move. */
export function ttmResourceDelBulkMove(res: TtmResource, bo: TtmBufferObject): void {
  if (bo.bulkMove && !bo.pinCount) ttmLruBulkMoveDel(bo.bulkMove.pos[res.memType][bo.priority], res);
}

/** ttm_resource_places_compat (6.1): inside a place's window, same type, contiguous if asked. */
export function ttmResourcePlacesCompat(res: TtmResource, places: readonly TtmPlace[]): boolean {
  for (const heap of places) {
    const man = res.bo.bdev.managers[res.memType];
    if (man?.func.compatible && res.memType === heap.memType) {
      if (!man.func.compatible(man, res, heap)) continue;
    } else if (res.start < heap.fpfn || (heap.lpfn && res.start + res.numPages > heap.lpfn)) continue;
    if (res.memType === heap.memType && (!(heap.flags & TTM_PL_FLAG_CONTIGUOUS) || res.placement & TTM_PL_FLAG_CONTIGUOUS)) return true;
  }
  return false;
}

/** ttm_resource_compat (6.1): compatible with the idle list, or with a distinct busy list. */
export function ttmResourceCompat(res: TtmResource, pl: TtmPlacement): boolean {
  if (ttmResourcePlacesCompat(res, pl.placement)) return true;
  if ((pl.busyPlacement !== pl.placement || pl.busyPlacement.length > pl.placement.length) && ttmResourcePlacesCompat(res, pl.busyPlacement)) return true;
  return false;
}

// ttm_sys_manager.c: allocation never fails at the manager (only page allocation can)
const sysFunc: TtmResourceManagerFunc = {
  alloc(_man, bo, p) {
    const res = new TtmResource(bo, p);
    ttmResourceInit(bo, p, res);
    return res;
  },
  free(man, res) {
    ttmResourceFini(man, res);
  },
};

/** ttm_sys_man_init: SYSTEM is always used and always use_tt. */
export function ttmSysManInit(bdev: TtmDevice): TtmResourceManager {
  const man = new TtmResourceManager(bdev, TTM_PL_SYSTEM, true, 0, sysFunc);
  man.useType = true;
  bdev.managers[TTM_PL_SYSTEM] = man;
  return man;
}

// ttm_range_manager.c over drm_mm: always one contiguous node
const rangeFunc: TtmResourceManagerFunc = {
  // ttm_range_man_alloc: lpfn 0 means man->size; TOPDOWN → DRM_MM_INSERT_HIGH else BEST;
  // drm_mm_insert_node_in_range's -ENOSPC passes through (validate turns it into ENOMEM);
  // bo->page_alignment is not modelled (every bo is page-aligned, alignment 0)
  alloc(man, bo, p) {
    const lpfn = p.lpfn || man.size;
    const node = man.mm!.insertInRange(bo.numPages, p.fpfn, lpfn, (p.flags & TTM_PL_FLAG_TOPDOWN) !== 0);
    if (!node) return -Errno.ENOSPC;
    const res = new TtmResource(bo, p);
    res.mmNode = node;
    res.start = node.start;
    if (!man.useTt) res.iomem = man.memory ? new PageWindow(man.memory, node.start, res.numPages) : new PageStore(res.numPages);
    ttmResourceInit(bo, p, res);
    return res;
  },
  // ttm_range_man_free
  free(man, res) {
    if (res.mmNode) man.mm!.remove(res.mmNode);
    res.mmNode = null;
    res.iomem?.release();
    ttmResourceFini(man, res);
  },
};

/** ttm_range_man_init(bdev, type, use_tt, p_size): a drm_mm over [0, pages). */
export function ttmRangeManInit(bdev: TtmDevice, memType: number, useTt: boolean, pages: number): TtmResourceManager | number {
  if (memType <= TTM_PL_SYSTEM || memType >= TTM_NUM_MEM_TYPES || pages <= 0 || !Number.isInteger(pages)) return -Errno.EINVAL;
  const man = new TtmResourceManager(bdev, memType, useTt, pages, rangeFunc);
  man.mm = new DrmMm(0, pages);
  if (!useTt) man.memory = new PageStore(pages);
  man.useType = true; // ttm_resource_manager_set_used
  bdev.managers[memType] = man;
  return man;
}

/** ttm_resource_manager_used. */
export const ttmResourceManagerUsed = (man: TtmResourceManager | null): man is TtmResourceManager => !!man && man.useType;
