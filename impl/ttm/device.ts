/**
 * struct ttm_device and struct ttm_device_funcs (include/drm/ttm/ttm_device.h, ttm_device.c),
 * 6.1 shape: the driver's hook table, the managers per memory type (SYSTEM created by
 * ttm_device_init), bdev->pinned, and the delayed-destroy list of zombies.
 */
import type { TtmBufferObject, TtmOperationCtx } from './bo.ts';
import { LruList } from './lru.ts';
import { ttmSysManInit, TTM_NUM_MEM_TYPES, type TtmPlace, type TtmPlacement, type TtmResource, type TtmResourceManager } from './resource.ts';

/** The hop a driver's move asks for with -EMULTIHOP (ttm_bo_handle_move_mem's `hop`). */
export interface TtmHop {
  place: TtmPlace | null;
}

/**
 * struct ttm_device_funcs (6.1). Required: evictFlags and move. Optional hooks fall back to
 * the core's defaults as drivers wire them in the kernel (eviction_valuable =
 * ttm_bo_eviction_valuable, io_mem_reserve = "system memory needs nothing", notifies absent).
 */
export interface TtmDeviceFuncs {
  /** evict_flags: where an evicted bo goes; an empty placement purges it (ttm_bo_evict) */
  evictFlags(bo: TtmBufferObject): TtmPlacement;
  /** eviction_valuable: may this bo be evicted for `place`? (default ttm_bo_eviction_valuable) */
  evictionValuable?(bo: TtmBufferObject, place: TtmPlace): boolean;
  /** move: 0, a negative errno, or -EMULTIHOP with hop.place set (bounce through it) */
  move(bo: TtmBufferObject, evict: boolean, ctx: TtmOperationCtx, newMem: TtmResource, hop: TtmHop | null): number;
  /** io_mem_reserve: make a resource CPU-accessible; an error makes the fault SIGBUS */
  ioMemReserve?(bdev: TtmDevice, res: TtmResource): number;
  /** delete_mem_notify: the backing is about to go (ttm_bo_cleanup_memtype_use) */
  deleteMemNotify?(bo: TtmBufferObject): void;
  /** release_notify: the last reference is gone (ttm_bo_release) */
  releaseNotify?(bo: TtmBufferObject): void;
  /** the driver's fault hook before ttm_bo_vm_fault_reserved (amdgpu_bo_fault_reserve_notify,
   * called from amdgpu_gem_fault); not in ttm_device_funcs proper; an error → SIGBUS */
  faultReserveNotify?(bo: TtmBufferObject): number;
  /** observation only (not a kernel hook): a move completed (for tests and later wiring) */
  moveNotify?(bo: TtmBufferObject, oldMemType: number, newMemType: number): void;
}

/** Planted bugs, off by default (impl/faults.ts maps the ttm-* switches onto them); each one
 * must be caught by impl/debug/ttm.ts. */
export type TtmFault = 'evict-pinned' | 'no-zap-on-move' | 'leak-usage' | 'lose-contents' | 'wrong-victim' | 'ignore-busy';

/**
 * A debug observer of the TTM core's decisions (impl/debug/ttm.ts implements it): null unless
 * someone watches, so an unwatched device pays one null test per event.
 */
export interface TtmObserver {
  /** ttm_bo_handle_move_mem is about to call the driver's move (the bo still in its old
   * resource, mappings zapped); what it returns comes back to moveEnd */
  moveBegin(bo: TtmBufferObject, newMem: TtmResource, evict: boolean): unknown;
  /** the move succeeded: the bo is in its new resource */
  moveEnd(bo: TtmBufferObject, begun: unknown): void;
  /** ttm_bo_pipeline_gutting dropped the backing (contents go by design) */
  purge(bo: TtmBufferObject): void;
  /** ttm_mem_evict_first picked `victim` (null: no candidate) in `man` for place `p` */
  evictChoice(man: TtmResourceManager, p: TtmPlace, ctx: TtmOperationCtx, victim: TtmBufferObject | null): void;
  /** ttm_bo_mem_space begins / ends (they nest: an eviction allocates in turn) */
  memSpaceBegin(bo: TtmBufferObject): void;
  memSpaceEnd(bo: TtmBufferObject): void;
  /** ttm_bo_mem_space found no space after both passes (the ENOMEM it returns) */
  noSpace(bo: TtmBufferObject, placement: TtmPlacement, ctx: TtmOperationCtx): void;
}

/** Cumulative counters (not kernel state: for `gemcheck check`'s summary). */
export interface TtmStats {
  moves: number;
  evictions: number;
  /** pipeline gutting: the backing dropped (ttm_bo_pipeline_gutting) */
  purges: number;
  /** CPU faults (ttm_bo_vm_fault) */
  faults: number;
  /** faults on a page whose translation a zap removed (ttm_bo_unmap_virtual) */
  refaults: number;
}
export const noTtmStats = (): TtmStats => ({ moves: 0, evictions: 0, purges: 0, faults: 0, refaults: 0 });

export class TtmDevice {
  readonly managers: (TtmResourceManager | null)[] = Array.from({ length: TTM_NUM_MEM_TYPES }, () => null);
  /** bdev->pinned: resources of pinned bos (6.1 keeps them off the managers' LRUs) */
  readonly pinned = new LruList<TtmResource>();
  /** bdev->ddestroy: released bos that were still busy (zombies) */
  readonly ddestroy = new Set<TtmBufferObject>();
  /** every bo not yet destroyed (zombies included): the self-checks' holder side */
  readonly bos = new Set<TtmBufferObject>();
  readonly faults = new Set<TtmFault>();
  readonly stats: TtmStats = noTtmStats();
  /** the debug observer, when one watches (ttmObserve in impl/debug/ttm.ts) */
  observer: TtmObserver | null = null;
  /** bos whose dma_resv is held (the validating bo, an eviction victim): their trylock fails */
  readonly reserved = new Set<TtmBufferObject>();
  /** the core's WARN_ONs, recorded */
  readonly warnings: string[] = [];
  /** a logical clock: fences stamp it when they signal, the delayed delete when it runs */
  clock = 0;
  lastReclaim = -1;
  nextBoId = 1;
  nextFence = 1;
  constructor(readonly funcs: TtmDeviceFuncs) {}
  warn(msg: string): void {
    this.warnings.push(msg);
  }
}

/** ttm_device_init: the SYSTEM manager comes with the device. */
export function ttmDeviceInit(funcs: TtmDeviceFuncs): TtmDevice {
  const bdev = new TtmDevice(funcs);
  ttmSysManInit(bdev);
  return bdev;
}

/** ttm_manager_type. */
export function ttmManagerType(bdev: TtmDevice, memType: number): TtmResourceManager | null {
  return bdev.managers[memType] ?? null;
}
