/**
 * struct ttm_buffer_object and the validate / evict / move / delayed-destroy paths of
 * drivers/gpu/drm/ttm/ttm_bo.c and ttm_bo_util.c, 6.1 semantics (spec §7.2). Single-threaded:
 * every dma_resv trylock succeeds, so the kernel's "busy" of a failed trylock does not arise;
 * a bo is busy while one of its fences is unsignalled, and waiting for a fence (no_wait_gpu
 * false) completes it — the GPU finishes. Errors are negative errnos, never exceptions.
 */
import { Errno, PAGE_SIZE } from '../../ir/uapi.ts';
import { Kref } from '../core/kref.ts';
import { PageStore } from '../core/pages.ts';
import type { TtmDevice, TtmHop } from './device.ts';
import { TtmLruBulkMove } from './lru.ts';
import {
  TTM_MAX_BO_PRIORITY,
  TTM_NUM_MEM_TYPES,
  TTM_PL_FLAG_TEMPORARY,
  TTM_PL_SYSTEM,
  place,
  ttmResourceAddBulkMove,
  ttmResourceAlloc,
  ttmResourceCompat,
  ttmResourceDelBulkMove,
  ttmResourceFree,
  ttmResourceManagerUsed,
  ttmResourceMoveToLruTail,
  type TtmPlace,
  type TtmPlacement,
  type TtmResource,
} from './resource.ts';
import { cover } from '../cover.ts';

/** Linux's EMULTIHOP (not a uapi answer here, so not in ir/uapi.ts). */
export const EMULTIHOP = 72;

/** struct ttm_operation_ctx. interruptible has no effect: nothing here sleeps on a signal. */
export interface TtmOperationCtx {
  interruptible: boolean;
  noWaitGpu: boolean;
  /** allow_res_evict: bos sharing ctx.resv may be evicted (no shared resvs here yet) */
  allowResEvict?: boolean;
  bytesMoved?: number;
}
export const ctxOf = (noWaitGpu = false, interruptible = false): TtmOperationCtx => ({ interruptible, noWaitGpu, bytesMoved: 0 });

/** A minimal dma_fence: unsignalled until signal() (or a wait) completes it, once. */
export class TtmFence {
  signaled = false;
  signalledAt = -1;
  constructor(
    readonly bdev: TtmDevice,
    readonly seqno: number,
  ) {}
  /** dma_fence_signal: false when it already was */
  signal(): boolean {
    if (this.signaled) return false;
    this.signaled = true;
    this.signalledAt = ++this.bdev.clock;
    return true;
  }
}
export const ttmFenceCreate = (bdev: TtmDevice): TtmFence => new TtmFence(bdev, bdev.nextFence++);

/** ttm_bo_type. */
export type TtmBoType = 'device' | 'kernel' | 'sg';

// ttm_tt.page_flags (6.1)
export const TTM_TT_FLAG_SWAPPED = 1 << 0;
export const TTM_TT_FLAG_ZERO_ALLOC = 1 << 1;
export const TTM_TT_FLAG_EXTERNAL = 1 << 2;
export const TTM_TT_FLAG_EXTERNAL_MAPPABLE = 1 << 3;

/** struct ttm_tt: the system pages of a bo in a use_tt placement (SYSTEM, TT). */
export class TtmTt {
  populated = false;
  readonly store: PageStore;
  constructor(
    npages: number,
    public pageFlags: number,
  ) {
    this.store = new PageStore(npages);
  }
}

/** What a CPU mapping caches; ttm_bo_unmap_virtual zaps it (bo_vm.ts implements it). */
export interface TtmMapping {
  zap(): void;
}

/** The mapping set of every never-mapped bo: never added to (ttmBoAddMapping makes a bo its own). */
const NO_MAPPINGS: Set<TtmMapping> = new Set();

/** Records a CPU mapping of bo (ttm_bo_mmap_obj's vma on the bo's address space). */
export function ttmBoAddMapping(bo: TtmBufferObject, m: TtmMapping): void {
  if (bo.mappings === NO_MAPPINGS) bo.mappings = new Set();
  bo.mappings.add(m);
}

export class TtmBufferObject {
  readonly id: number;
  readonly kref: Kref<TtmBufferObject>;
  readonly numPages: number;
  resource: TtmResource | null = null;
  pinCount = 0;
  /** the dma_resv's fences */
  fences: TtmFence[] = [];
  /** the latest signal time of fences already dropped from `fences` */
  lastSignalAt = -1;
  /** released while busy: a zombie on bdev->ddestroy */
  deleted = false;
  /** destroyed: every reference and the backing gone */
  destroyed = false;
  ttm: TtmTt | null = null;
  bulkMove: TtmLruBulkMove<TtmResource> | null = null;
  /** the CPU mappings (one shared empty set until the first: most bos are never mapped) */
  mappings: Set<TtmMapping> = NO_MAPPINGS;
  /** pinned or unpinned without an unreserve since (6.1's lazy bdev->pinned): its resource is
   * on the list it was on before, until the next ttm_resource_move_to_lru_tail */
  lruLazy = false;
  /** the current move is pipelined behind the bo's fences (ttmBoMoveAccel): it may move busy */
  movePipelined = false;
  /** bo->moving: a pipelined move of this bo ran while it was busy, queued behind these fences
   * (the bo's at the time of the move, not later ones); its data is in transit until they
   * signal, and a CPU fault waits for them (ttm_bo_vm_fault_reserved) */
  moving: TtmFence[] | null = null;
  /** bo->base: the GEM object embedding this bo (opaque to TTM; null for a bare bo) */
  base: unknown = null;
  /** bo->destroy: called once the bo is gone (ttm_bo_release's last step) */
  destroy: ((bo: TtmBufferObject) => void) | null = null;
  /** drm_vma_offset_remove(bdev->vma_manager, &bo->base.vma_node): the fake offset goes at the
   * first release, before a busy bo becomes a zombie (ttm_bo_release) */
  vmaOffsetRemove: ((bo: TtmBufferObject) => void) | null = null;
  constructor(
    readonly bdev: TtmDevice,
    size: number,
    readonly type: TtmBoType,
    readonly priority: number,
    readonly ttmFlags: number,
  ) {
    this.id = bdev.nextBoId++;
    this.numPages = Math.ceil(size / PAGE_SIZE);
    this.kref = new Kref<TtmBufferObject>(this, ttmBoRelease, ttmBoKrefReport);
  }
  get size(): number {
    return this.numPages * PAGE_SIZE;
  }
}

const ttmBoKrefReport = (bo: TtmBufferObject, m: string): void => bo.bdev.warn(`bo ${bo.id}: ${m}`);

const SYS_PLACE = place(TTM_PL_SYSTEM);

export interface TtmBoInitOptions {
  priority?: number;
  /** ttm_tt page flags for an sg bo (TTM_TT_FLAG_EXTERNAL[_MAPPABLE]) */
  ttmFlags?: number;
  bulkMove?: TtmLruBulkMove<TtmResource> | null;
  /** bo->base (the embedding GEM object), bo->destroy and the fake offset's removal */
  base?: unknown;
  destroy?: (bo: TtmBufferObject) => void;
  vmaOffsetRemove?: (bo: TtmBufferObject) => void;
}

/**
 * ttm_bo_init_validate = ttm_bo_init_reserved + ttm_bo_unreserve (6.1): the bo starts in a
 * SYSTEM resource (the sys_mem dummy of 6.1; newer kernels start with bo->resource NULL), then
 * ttm_bo_validate to `placement`, reserved throughout. On failure the bo is put and the errno
 * returned.
 */
export function ttmBoInitValidate(bdev: TtmDevice, size: number, type: TtmBoType, placement: TtmPlacement, ctx: TtmOperationCtx, opts: TtmBoInitOptions = {}): TtmBufferObject | number {
  const priority = opts.priority ?? 0;
  if (!(size > 0) || !Number.isFinite(size) || !Number.isInteger(priority) || priority < 0 || priority >= TTM_MAX_BO_PRIORITY) return -Errno.EINVAL;
  const bo = new TtmBufferObject(bdev, size, type, priority, opts.ttmFlags ?? 0);
  bo.bulkMove = opts.bulkMove ?? null;
  bo.base = opts.base ?? null;
  bo.destroy = opts.destroy ?? null;
  bo.vmaOffsetRemove = opts.vmaOffsetRemove ?? null;
  bdev.bos.add(bo);
  bdev.reserved.add(bo);
  if (type === 'sg') bo.ttm = new TtmTt(bo.numPages, bo.ttmFlags | TTM_TT_FLAG_EXTERNAL);
  const res = ttmResourceAlloc(bo, SYS_PLACE);
  if (typeof res === 'number') {
    bdev.reserved.delete(bo);
    ttmBoPut(bo);
    return res;
  }
  bo.resource = res;
  const ret = ttmBoValidate(bo, placement, ctx);
  ttmBoUnreserve(bo);
  if (ret) {
    ttmBoPut(bo);
    return ret;
  }
  return bo;
}

export function ttmBoGet(bo: TtmBufferObject): void {
  bo.kref.get();
}
/** ttm_bo_get_unless_zero. */
export function ttmBoGetUnlessZero(bo: TtmBufferObject): boolean {
  return bo.kref.getUnlessZero();
}
/** ttm_bo_put. */
export function ttmBoPut(bo: TtmBufferObject): void {
  bo.kref.put();
}

/** dma_resv_test_signaled(BOOKKEEP): no unsignalled fence. Drops signalled ones. */
export function ttmBoIdle(bo: TtmBufferObject): boolean {
  const fences = bo.fences;
  if (fences.length === 0) return true;
  // a new array only when a fence went (callers may be iterating the old one); none when
  // nothing signalled (this runs on every validate and eviction)
  let gone = 0;
  for (const f of fences) {
    if (!f.signaled) continue;
    gone++;
    bo.lastSignalAt = Math.max(bo.lastSignalAt, f.signalledAt);
  }
  if (gone) bo.fences = gone === fences.length ? [] : fences.filter((f) => !f.signaled);
  return gone === fences.length;
}

/** dma_resv_add_fence. */
export function ttmBoAddFence(bo: TtmBufferObject, fence: TtmFence): void {
  if (!fence.signaled) bo.fences.push(fence);
  if (bo.fences.length > 8) ttmBoIdle(bo); // keep the list short (dma_resv replaces signalled fences)
}

/** ttm_bo_wait_ctx: idle → 0; no_wait_gpu → -EBUSY; otherwise wait (the fences complete). */
export function ttmBoWaitCtx(bo: TtmBufferObject, ctx: TtmOperationCtx): number {
  if (ttmBoIdle(bo)) return 0;
  if (ctx.noWaitGpu) return -Errno.EBUSY;
  for (const f of bo.fences) f.signal();
  return ttmBoIdle(bo) ? 0 : -Errno.EBUSY;
}

/** The wait before a synchronous move or a purge (ttm_bo_wait_ctx in ttm_bo_move_memcpy,
 * ttm_bo_pipeline_gutting, a driver's unbind): the `ignore-busy` fault skips it. */
export function ttmBoWaitForMove(bo: TtmBufferObject, ctx: TtmOperationCtx): number {
  return bo.bdev.faults.has('ignore-busy') ? 0 : ttmBoWaitCtx(bo, ctx);
}

/** ttm_bo_vm_fault_reserved: "Wait for buffer data in transit, due to a pipelined move" —
 * the move's fences only; jobs submitted after the move keep running. The `ignore-busy`
 * fault skips the wait. */
export function ttmBoWaitMoving(bo: TtmBufferObject): void {
  const fences = bo.moving;
  if (!fences) return;
  bo.moving = null;
  if (bo.bdev.faults.has('ignore-busy')) return;
  for (const f of fences) f.signal();
  ttmBoIdle(bo);
}

/** ttm_bo_move_to_lru_tail: on use, the bo is the most recently used of its list. */
export function ttmBoMoveToLruTail(bo: TtmBufferObject): void {
  if (bo.resource) ttmResourceMoveToLruTail(bo.resource);
}

/** ttm_bo_set_bulk_move: leave the old group, join the new one (resource permitting). */
export function ttmBoSetBulkMove(bo: TtmBufferObject, bulk: TtmLruBulkMove<TtmResource> | null): void {
  if (bo.bulkMove === bulk) return;
  if (bo.resource) ttmResourceDelBulkMove(bo.resource, bo);
  bo.bulkMove = bulk;
  if (bo.resource) ttmResourceAddBulkMove(bo.resource, bo);
}

/** ttm_lru_bulk_move_init. */
export const ttmLruBulkMoveInit = (): TtmLruBulkMove<TtmResource> => new TtmLruBulkMove<TtmResource>(TTM_NUM_MEM_TYPES, TTM_MAX_BO_PRIORITY);

/** ttm_lru_bulk_move_tail: every run of the group to its list's tail, O(types × priorities). */
export function ttmLruBulkMoveTail(bdev: TtmDevice, bulk: TtmLruBulkMove<TtmResource>): void {
  for (let i = 0; i < TTM_NUM_MEM_TYPES; i++) {
    const man = bdev.managers[i];
    for (let j = 0; j < TTM_MAX_BO_PRIORITY; j++) {
      const pos = bulk.pos[i][j];
      if (!pos.first || !pos.last || !man) continue;
      man.lru[j].bulkMoveTail(pos.first, pos.last);
    }
  }
}

/** ttm_bo_reserve (trylock form): -EBUSY when the reservation is already held. */
export function ttmBoReserve(bo: TtmBufferObject): number {
  if (bo.bdev.reserved.has(bo)) return -Errno.EBUSY;
  bo.bdev.reserved.add(bo);
  return 0;
}

/** ttm_bo_unreserve (6.1): ttm_bo_move_to_lru_tail_unlocked, then the unlock — this is where
 * a freshly pinned bo reaches bdev->pinned and an unpinned one its manager's LRU. */
export function ttmBoUnreserve(bo: TtmBufferObject): void {
  if (!bo.bdev.reserved.delete(bo)) bo.bdev.warn(`ttm_bo_unreserve of unreserved bo ${bo.id}`);
  if (!bo.destroyed) ttmBoMoveToLruTail(bo);
}

/**
 * ttm_bo_pin (6.1): out of its bulk move and count up. 6.1 does not move the resource: it
 * stays on its manager's LRU (where ttm_mem_evict_first skips it by pin_count) until the next
 * ttm_resource_move_to_lru_tail — in practice ttm_bo_unreserve — puts it on bdev->pinned.
 * (6.12, "drm/ttm: Move pinned objects off LRU lists when pinning", moves it at once.)
 */
export function ttmBoPin(bo: TtmBufferObject): void {
  if (bo.kref.count <= 0) bo.bdev.warn(`ttm_bo_pin on bo ${bo.id} with no reference`);
  if (bo.resource) ttmResourceDelBulkMove(bo.resource, bo);
  ++bo.pinCount;
}

/** ttm_bo_unpin (6.1): WARN_ON_ONCE(!pin_count); count down, back into the bulk move; the LRU
 * tail follows at unreserve. */
export function ttmBoUnpin(bo: TtmBufferObject): number {
  if (!bo.pinCount) {
    bo.bdev.warn(`ttm_bo_unpin on unpinned bo ${bo.id}`);
    return -Errno.EINVAL;
  }
  --bo.pinCount;
  if (bo.resource) ttmResourceAddBulkMove(bo.resource, bo);
  return 0;
}

/** ttm_bo_unmap_virtual: every CPU mapping's cached translation is zapped. */
export function ttmBoUnmapVirtual(bo: TtmBufferObject): void {
  if (bo.bdev.faults.has('no-zap-on-move')) return;
  for (const m of bo.mappings) m.zap();
}

/** ttm_bo_eviction_valuable (6.1): only a bo intersecting place's [fpfn, lpfn) helps. */
export function ttmBoEvictionValuable(bo: TtmBufferObject, p: TtmPlace): boolean {
  const res = bo.resource;
  if (!res) return false;
  if (p.fpfn >= res.start + res.numPages || (p.lpfn && p.lpfn <= res.start)) return false;
  return true;
}

/** The page store a resource's contents live in: the ttm_tt for use_tt managers, else I/O memory. */
export function ttmResourceBacking(bo: TtmBufferObject, res: TtmResource): PageStore | null {
  const man = bo.bdev.managers[res.memType];
  if (man?.useTt) return bo.ttm?.store ?? null;
  return res.iomem;
}

/** ttm_bo_tt_destroy. */
function ttmBoTtDestroy(bo: TtmBufferObject): void {
  if (bo.type === 'sg') return; // the importer's sg table is not ours to drop
  bo.ttm?.store.release();
  bo.ttm = null;
}

/** ttm_bo_assign_mem. */
function ttmBoAssignMem(bo: TtmBufferObject, mem: TtmResource): void {
  bo.resource = mem;
}

/**
 * ttm_bo_move_memcpy (ttm_bo_util.c) as a driver's move would call it: wait idle (-EBUSY
 * under no_wait_gpu), copy the pages between I/O memory and the ttm_tt (nothing to copy
 * between two use_tt placements: the tt is shared), then ttm_bo_move_sync_cleanup — the old
 * resource is freed, a tt is destroyed when the new manager does not use one.
 */
export function ttmBoMoveMemcpy(bo: TtmBufferObject, ctx: TtmOperationCtx, newMem: TtmResource): number {
  const bdev = bo.bdev;
  const ret = ttmBoWaitForMove(bo, ctx);
  if (ret) return ret;
  return ttmBoMoveCopy(bo, newMem);
}

/**
 * A driver's copy engine move finished by ttm_bo_move_accel_cleanup with pipelining (amdgpu
 * amdgpu_move_blit): the copy is queued on the GPU behind the bo's fences, so the CPU does not
 * wait; the contents arrive as with ttm_bo_move_memcpy (synchronous here, and jobs write no
 * contents), the old resource goes, a tt is dropped when the new manager does not use one.
 */
export function ttmBoMoveAccel(bo: TtmBufferObject, newMem: TtmResource): number {
  bo.movePipelined = true;
  // the move waits behind the unsignalled fences only (signalled ones of an earlier move are
  // dropped, so a bo moved again and again does not accumulate them)
  if (!ttmBoIdle(bo)) bo.moving = bo.moving ? [...bo.moving.filter((f) => !f.signaled), ...bo.fences] : [...bo.fences];
  return ttmBoMoveCopy(bo, newMem);
}

/** ttm_bo_move_null (ttm_bo_util.c): nothing is copied — the old resource goes and the new
 * one is assigned as it is (qxl_bo_move uses it for a bo in SYSTEM without a tt, so a new
 * qxl bo shows whatever its VRAM range held). */
export function ttmBoMoveNull(bo: TtmBufferObject, newMem: TtmResource): number {
  ttmResourceFree(bo, bo.resource);
  ttmBoAssignMem(bo, newMem);
  return 0;
}

/** The copy and cleanup shared by ttm_bo_move_memcpy and the pipelined move. */
function ttmBoMoveCopy(bo: TtmBufferObject, newMem: TtmResource): number {
  const bdev = bo.bdev;
  const old = bo.resource;
  const newMan = bdev.managers[newMem.memType]!;
  if (!bdev.faults.has('lose-contents')) {
    // ttm_move_memcpy: every page is copied; from a source without populated pages (no
    // resource yet, or SYSTEM without a tt) the destination is cleared instead — device
    // memory is not zero by itself (PageWindow), so a zero page must be written as zeros
    const src = old ? ttmResourceBacking(bo, old) : null;
    const dst = ttmResourceBacking(bo, newMem);
    if (dst && src !== dst) {
      for (let i = 0; i < bo.numPages; i++) {
        const p = src?.readable(i);
        if (p) dst.writable(i).set(p);
        else dst.clear(i);
      }
    }
  }
  // ttm_bo_move_sync_cleanup → ttm_bo_wait_free_node(bo, dst_use_tt)
  if (!newMan.useTt) ttmBoTtDestroy(bo);
  ttmResourceFree(bo, old);
  ttmBoAssignMem(bo, newMem);
  return 0;
}

/**
 * ttm_bo_handle_move_mem (6.1): zap the CPU mappings, create (and, outside SYSTEM, populate)
 * the tt for a use_tt destination, then the driver's move. -EMULTIHOP goes back to the caller
 * with hop filled in.
 */
export function ttmBoHandleMoveMem(bo: TtmBufferObject, mem: TtmResource, evict: boolean, ctx: TtmOperationCtx, hop: TtmHop | null): number {
  const bdev = bo.bdev;
  const oldType = bo.resource?.memType ?? TTM_PL_SYSTEM;
  const newMan = bdev.managers[mem.memType]!;
  ttmBoUnmapVirtual(bo);
  let created = false;
  if (newMan.useTt) {
    if (!bo.ttm) {
      bo.ttm = new TtmTt(bo.numPages, bo.ttmFlags);
      created = true;
    }
    if (mem.memType !== TTM_PL_SYSTEM) bo.ttm.populated = true; // ttm_tt_populate
  }
  bo.movePipelined = false;
  const watch = bdev.observer?.moveBegin(bo, mem, evict);
  const ret = bdev.funcs.move(bo, evict, ctx, mem, hop);
  if (ret) {
    if (ret === -EMULTIHOP) return ret;
    if (created && bo.resource && !bdev.managers[bo.resource.memType]!.useTt) ttmBoTtDestroy(bo);
    return ret;
  }
  if (ctx.bytesMoved !== undefined) ctx.bytesMoved += bo.size;
  bdev.funcs.moveNotify?.(bo, oldType, mem.memType);
  bdev.stats.moves++;
  cover(`ttm_bo_handle_move_mem:${oldType}->${mem.memType}`);
  bdev.observer?.moveEnd(bo, watch);
  return 0;
}

/** ttm_bo_bounce_temp_buffer: find room in the hop place and move there first. */
function ttmBoBounceTempBuffer(bo: TtmBufferObject, ctx: TtmOperationCtx, hop: TtmHop): number {
  const hp = hop.place;
  if (!hp) return -Errno.EINVAL;
  const tmp = { ...hp, flags: hp.flags | TTM_PL_FLAG_TEMPORARY };
  const hopPlacement: TtmPlacement = { placement: [tmp], busyPlacement: [tmp] };
  const hopMem = ttmBoMemSpace(bo, hopPlacement, ctx);
  if (typeof hopMem === 'number') return hopMem;
  const ret = ttmBoHandleMoveMem(bo, hopMem, false, ctx, null);
  if (ret) {
    ttmResourceFree(bo, hopMem);
    return ret;
  }
  return 0;
}

/** ttm_bo_cleanup_memtype_use: delete_mem_notify, the tt and the resource go. */
function ttmBoCleanupMemtypeUse(bo: TtmBufferObject): void {
  bo.bdev.funcs.deleteMemNotify?.(bo);
  ttmBoTtDestroy(bo);
  if (bo.type === 'sg') bo.ttm = null;
  ttmResourceFree(bo, bo.resource);
  bo.resource = null;
}

/**
 * ttm_bo_pipeline_gutting: the backing goes and the bo is left in an empty SYSTEM resource.
 * 6.1 hands a busy bo's old resource to a ghost object until its fences signal; here a busy bo
 * is waited for first (the ghost's observable effect: the memory returns only when idle).
 */
function ttmBoPipelineGutting(bo: TtmBufferObject, ctx: TtmOperationCtx): number {
  const ret = ttmBoWaitForMove(bo, ctx);
  if (ret) return ret;
  ttmBoUnmapVirtual(bo);
  ttmBoCleanupMemtypeUse(bo);
  bo.bdev.stats.purges++;
  cover('ttm_bo_pipeline_gutting:purge');
  bo.bdev.observer?.purge(bo);
  const res = ttmResourceAlloc(bo, SYS_PLACE);
  if (typeof res === 'number') return res;
  bo.resource = res;
  // "if (!bo->ttm) ttm_tt_create(bo, true)": the bo keeps an empty, unpopulated tt
  if (!bo.ttm) bo.ttm = new TtmTt(bo.numPages, bo.ttmFlags | (bo.type === 'sg' ? TTM_TT_FLAG_EXTERNAL : 0));
  return 0;
}

/**
 * ttm_bo_evict (6.1): evict_flags picks the destination; an empty one means wait idle and purge;
 * otherwise ttm_bo_mem_space (which may evict elsewhere in turn) and the move, bouncing through
 * hops on -EMULTIHOP.
 */
function ttmBoEvict(bo: TtmBufferObject, ctx: TtmOperationCtx): number {
  const placement = bo.bdev.funcs.evictFlags(bo);
  if (!placement.placement.length && !placement.busyPlacement.length) {
    // ttm_bo_wait(bo, true, false): the purge always waits
    return ttmBoPipelineGutting(bo, { ...ctx, noWaitGpu: false });
  }
  const evictMem = ttmBoMemSpace(bo, placement, ctx);
  if (typeof evictMem === 'number') return evictMem;
  let ret: number;
  for (;;) {
    const hop: TtmHop = { place: null };
    ret = ttmBoHandleMoveMem(bo, evictMem, true, ctx, hop);
    if (ret !== -EMULTIHOP) break;
    ret = ttmBoBounceTempBuffer(bo, ctx, hop);
    if (ret) break;
  }
  if (ret) ttmResourceFree(bo, evictMem);
  return ret;
}

/**
 * ttm_bo_cleanup_refs (6.1) for a zombie met on the LRU or by the delayed delete: wait (or
 * -EBUSY under no_wait_gpu), then off ddestroy, the backing goes and the list's reference is
 * dropped — which destroys it.
 */
export function ttmBoCleanupRefs(bo: TtmBufferObject, ctx: TtmOperationCtx): number {
  const ret = ttmBoWaitCtx(bo, ctx);
  if (ret) return ret;
  if (!bo.bdev.ddestroy.delete(bo)) return 0; // already reclaimed
  ttmBoCleanupMemtypeUse(bo);
  ttmBoPut(bo); // the ddestroy list's reference
  return 0;
}

/**
 * ttm_bo_delayed_delete (6.1's delayed work; remove_all = wait for busy ones too): every idle
 * zombie is reclaimed. Returns whether the list is empty afterwards.
 */
export function ttmBoDelayedDelete(bdev: TtmDevice, removeAll = false): boolean {
  for (const bo of [...bdev.ddestroy]) {
    if (!removeAll && !ttmBoIdle(bo)) continue;
    ttmBoGet(bo);
    ttmBoCleanupRefs(bo, { interruptible: false, noWaitGpu: false });
    ttmBoPut(bo);
  }
  bdev.lastReclaim = ++bdev.clock;
  return bdev.ddestroy.size === 0;
}

/**
 * ttm_bo_release (6.1): the last reference. A bo that is not idle becomes a zombie: deleted,
 * unpinned (back on the LRU), a fresh reference held by bdev->ddestroy; it keeps its memory
 * and its place on the LRU. An idle bo (or a zombie's second release) is destroyed at once.
 */
function ttmBoRelease(bo: TtmBufferObject): void {
  const bdev = bo.bdev;
  if (!bo.deleted) {
    bdev.funcs.releaseNotify?.(bo);
    bo.vmaOffsetRemove?.(bo);
    if (!ttmBoIdle(bo)) {
      cover('ttm_bo_release:zombie');
      bo.deleted = true;
      if (bo.pinCount) {
        bo.pinCount = 0;
        if (bo.resource) ttmResourceMoveToLruTail(bo.resource);
      }
      bo.kref.count = 1; // kref_init: the ddestroy list's reference
      bdev.ddestroy.add(bo);
      return;
    }
  }
  bdev.ddestroy.delete(bo);
  if (bo.resource) ttmBoCleanupMemtypeUse(bo);
  bo.destroyed = true;
  bdev.bos.delete(bo);
  bo.destroy?.(bo);
}

/**
 * ttm_mem_evict_first (6.1): the manager's LRUs by priority, head first. Skipped: pinned bos
 * (only seen under the evict-pinned fault: 6.1 keeps them on bdev->pinned), resources of
 * another type or that eviction_valuable rejects (ttm_bo_evict_swapout_allowable), and — the
 * single-threaded form of 6.1's failed trylock — busy bos when no_wait_gpu (their move would
 * fail -EBUSY in ttm_bo_wait_ctx; newer kernels skip them in the LRU walk the same way). The
 * first candidate is taken: a zombie is reclaimed (ttm_bo_cleanup_refs), anything else
 * evicted. No candidate → -EBUSY (ttm_mem_evict_wait_busy). Cost: the entries skipped.
 */
export function ttmMemEvictFirst(bdev: TtmDevice, memType: number, p: TtmPlace, ctx: TtmOperationCtx): number {
  const man = bdev.managers[memType];
  if (!man) return -Errno.EBUSY;
  const valuable = bdev.funcs.evictionValuable ?? ttmBoEvictionValuable;
  const evictPinned = bdev.faults.has('evict-pinned');
  let victim: TtmBufferObject | null = null;
  for (let prio = 0; prio < TTM_MAX_BO_PRIORITY && !victim; prio++) {
    const list = man.lru[prio];
    // the ttm-wrong-victim fault walks from the tail (the most recently used) instead
    const fromTail = bdev.faults.has('wrong-victim');
    for (let res = fromTail ? list.last() : list.first(); res; res = fromTail ? list.prev(res) : list.next(res)) {
      const bo = res.bo;
      if (bo.pinCount && !evictPinned) continue;
      if (res.memType !== p.memType || !valuable(bo, p)) continue;
      if (bdev.reserved.has(bo)) continue; // dma_resv_trylock fails: "busy"
      if (ctx.noWaitGpu && !ttmBoIdle(bo)) continue;
      if (!ttmBoGetUnlessZero(bo)) continue;
      victim = bo;
      break;
    }
  }
  bdev.observer?.evictChoice(man, p, ctx, victim);
  if (!victim) return cover('ttm_mem_evict_first:ebusy'), -Errno.EBUSY;
  let ret: number;
  if (victim.deleted) ret = (cover('ttm_mem_evict_first:zombie'), ttmBoCleanupRefs(victim, ctx));
  else {
    cover(victim.pinCount ? 'ttm_mem_evict_first:pinned' : 'ttm_mem_evict_first:evict');
    bdev.reserved.add(victim);
    ret = ttmBoEvict(victim, ctx);
    if (!ret) bdev.stats.evictions++;
    bdev.reserved.delete(victim);
    ttmBoMoveToLruTail(victim);
  }
  ttmBoPut(victim);
  return ret;
}

/** ttm_bo_mem_force_space: allocate, evicting the first candidate on -ENOSPC until it fits. */
function ttmBoMemForceSpace(bo: TtmBufferObject, p: TtmPlace, ctx: TtmOperationCtx): TtmResource | number {
  for (;;) {
    const res = ttmResourceAlloc(bo, p);
    if (typeof res !== 'number') return res;
    if (res !== -Errno.ENOSPC) return res;
    const ret = ttmMemEvictFirst(bo.bdev, p.memType, p, ctx);
    if (ret) return ret;
  }
}

/**
 * ttm_bo_mem_space (6.1): pass 1 tries placement->placement without evicting (-ENOSPC → the
 * next place); pass 2 tries placement->busy_placement with eviction (-EBUSY → the next place).
 * Unused managers are skipped; no usable type at all → -EINVAL; otherwise -ENOMEM. Managers'
 * move fences (ttm_bo_add_move_fence) are not modelled: moves here are synchronous. (6.9+: one
 * list, TTM_PL_FLAG_FALLBACK places skipped in pass 1 and DESIRED ones in pass 2.)
 */
export function ttmBoMemSpace(bo: TtmBufferObject, placement: TtmPlacement, ctx: TtmOperationCtx): TtmResource | number {
  const obs = bo.bdev.observer;
  if (!obs) return memSpace(bo, placement, ctx);
  obs.memSpaceBegin(bo);
  const r = memSpace(bo, placement, ctx);
  obs.memSpaceEnd(bo);
  return r;
}

function memSpace(bo: TtmBufferObject, placement: TtmPlacement, ctx: TtmOperationCtx): TtmResource | number {
  const bdev = bo.bdev;
  let typeFound = false;
  for (const p of placement.placement) {
    const man = bdev.managers[p.memType] ?? null;
    if (!ttmResourceManagerUsed(man)) continue;
    typeFound = true;
    const res = ttmResourceAlloc(bo, p);
    if (res === -Errno.ENOSPC) continue;
    return res;
  }
  for (const p of placement.busyPlacement) {
    const man = bdev.managers[p.memType] ?? null;
    if (!ttmResourceManagerUsed(man)) continue;
    typeFound = true;
    const res = ttmBoMemForceSpace(bo, p, ctx);
    if (typeof res !== 'number') return res;
    if (res !== -Errno.EBUSY && res !== -Errno.ENOSPC) return res;
  }
  if (typeFound) bdev.observer?.noSpace(bo, placement, ctx);
  return typeFound ? -Errno.ENOMEM : -Errno.EINVAL;
}

/** ttm_bo_move_buffer: space for the new placement, then the move, bouncing on -EMULTIHOP. */
function ttmBoMoveBuffer(bo: TtmBufferObject, placement: TtmPlacement, ctx: TtmOperationCtx): number {
  const mem = ttmBoMemSpace(bo, placement, ctx);
  if (typeof mem === 'number') return mem;
  let ret: number;
  for (let bounces = 0; ; bounces++) {
    const hop: TtmHop = { place: null };
    ret = ttmBoHandleMoveMem(bo, mem, false, ctx, hop);
    if (ret !== -EMULTIHOP) break;
    cover('ttm_bo_move_buffer:multihop');
    if (bounces >= TTM_NUM_MEM_TYPES) {
      bo.bdev.warn(`bo ${bo.id}: endless multihop`);
      ret = -Errno.EINVAL;
      break;
    }
    ret = ttmBoBounceTempBuffer(bo, ctx, hop);
    if (ret) break;
  }
  if (ret) ttmResourceFree(bo, mem);
  return ret;
}

/**
 * ttm_bo_validate (6.1): an empty placement drops the backing (pipeline gutting); a compatible
 * resource → 0, no move, the LRU untouched; a pinned bo that must move → -EINVAL; otherwise
 * the move, with -ENOSPC answered as -ENOMEM "for backward compatibility with userspace".
 */
export function ttmBoValidate(bo: TtmBufferObject, placement: TtmPlacement, ctx: TtmOperationCtx): number {
  if (bo.destroyed || bo.deleted) {
    bo.bdev.warn(`ttm_bo_validate on ${bo.destroyed ? 'destroyed' : 'deleted'} bo ${bo.id}`);
    return -Errno.EINVAL;
  }
  if (!placement.placement.length && !placement.busyPlacement.length) return ttmBoPipelineGutting(bo, ctx);
  if (!bo.resource || !ttmResourceCompat(bo.resource, placement)) {
    if (bo.pinCount) return -Errno.EINVAL;
    const held = bo.bdev.reserved.has(bo);
    bo.bdev.reserved.add(bo);
    const ret = ttmBoMoveBuffer(bo, placement, ctx);
    if (!held) bo.bdev.reserved.delete(bo);
    if (ret) return ret === -Errno.ENOSPC ? -Errno.ENOMEM : ret;
  }
  // "We might need to add a TTM": a bo left in SYSTEM gets its (unpopulated) ttm_tt
  if (bo.resource?.memType === TTM_PL_SYSTEM && !bo.ttm) bo.ttm = new TtmTt(bo.numPages, bo.ttmFlags);
  return 0;
}

/** For self-checks and tests: where the bo's resource is (or -1), and is it on an LRU list. */
export function ttmBoOnLru(bo: TtmBufferObject): boolean {
  const res = bo.resource;
  return !!res && !!res.lruList && res.lruList !== bo.bdev.pinned;
}
