/**
 * TTM self-checks (spec §7) over one ttm_device: the state after a call, counted from the
 * holders' side (the live bos) against the managers' own counters and lists, and the core's
 * decisions as they happen, through a debug observer (ttmObserve) that judges each move,
 * purge, eviction and out-of-space answer against a naive recomputation. impl/debug/index.ts
 * runs checkTtm for every device whose driver reports a TTM device (DriverDebug.ttmDevice).
 */
import { fnv1a, FNV_BASIS } from '../../ir/pattern.ts';
import type { DebugReport } from '../hooks.ts';
import type { PageStore } from '../core/pages.ts';
import { ttmBoEvictionValuable, ttmResourceBacking, type TtmBufferObject, type TtmFence, type TtmOperationCtx } from '../ttm/bo.ts';
import type { TtmDevice, TtmObserver } from '../ttm/device.ts';
import { TTM_MAX_BO_PRIORITY, ttmResourceManagerUsed, type TtmPlace, type TtmPlacement, type TtmResource, type TtmResourceManager } from '../ttm/resource.ts';
import type { TtmVma } from '../ttm/bo_vm.ts';

/** A digest of a bo's contents in one backing, over the pages that hold a nonzero byte (a
 * never-written page and a zeroed one are the same contents), in O(written pages). */
function contentsDigest(store: PageStore | null, pages: number): number {
  let h = FNV_BASIS;
  if (!store) return h;
  const index = new Uint8Array(4);
  for (const i of store.residentIndices()) {
    if (i >= pages) break;
    const p = store.readable(i)!;
    if (!p.some((b) => b !== 0)) continue;
    new DataView(index.buffer).setUint32(0, i);
    h = fnv1a(fnv1a(h, index), p);
  }
  return h;
}

const busy = (bo: TtmBufferObject): boolean => bo.fences.some((f) => !f.signaled);

/**
 * The candidate ttm_mem_evict_first (6.1) must take, recomputed naively: priorities 0→3, each
 * LRU from its head; skipped: pinned bos, resources of another type or that eviction_valuable
 * refuses, reserved bos (the failed trylock), busy bos under no_wait_gpu, dying bos.
 */
export function naiveEvictionVictim(bdev: TtmDevice, man: TtmResourceManager, p: TtmPlace, ctx: TtmOperationCtx): TtmBufferObject | null {
  const valuable = bdev.funcs.evictionValuable ?? ttmBoEvictionValuable;
  for (let prio = 0; prio < TTM_MAX_BO_PRIORITY; prio++) {
    for (const res of man.lru[prio]) {
      const bo = res.bo;
      if (bo.pinCount || res.memType !== p.memType || !valuable(bo, p)) continue;
      if (bdev.reserved.has(bo) || (ctx.noWaitGpu && busy(bo)) || bo.kref.count <= 0) continue;
      return bo;
    }
  }
  return null;
}

interface MoveWatch {
  readonly from: TtmResource | null;
  readonly digest: number | null;
  readonly fences: readonly TtmFence[];
}

/** The observer: violations wait here until checkTtm drains them. */
export class TtmDebugObserver implements TtmObserver {
  readonly violations: { invariant: string; message: string }[] = [];
  /** per open ttm_bo_mem_space: the places whose eviction found no candidate */
  private readonly gaveUp: Set<TtmPlace>[] = [];
  constructor(readonly bdev: TtmDevice) {}
  private v(invariant: string, message: string): void {
    this.violations.push({ invariant, message });
  }
  moveBegin(bo: TtmBufferObject, newMem: TtmResource, evict: boolean): MoveWatch {
    // ttm_bo_validate refuses to move a pinned bo; ttm_mem_evict_first skips it
    if (bo.pinCount) this.v('ttm-pinned-moved', `pinned bo ${bo.id} is being moved${evict ? ' (evicted)' : ''} to ${newMem.memType}`);
    const from = bo.resource;
    const src = from ? ttmResourceBacking(bo, from) : null;
    return {
      from,
      // no source pages at all (a new bo in SYSTEM without a tt): its contents are whatever
      // the move makes them — zeros by ttm_bo_move_memcpy, VRAM's old bytes by a driver's
      // ttm_bo_move_null (qxl_bo_move; kernel/FINDINGS.md, qxl)
      digest: src ? contentsDigest(src, bo.numPages) : null,
      fences: bo.fences.filter((f) => !f.signaled),
    };
  }
  moveEnd(bo: TtmBufferObject, begun: unknown): void {
    const w = begun as MoveWatch;
    const res = bo.resource;
    const to = res?.memType ?? -1;
    // ttm_bo_move_memcpy copies every page: the contents survive the move
    if (w.digest !== null && contentsDigest(res ? ttmResourceBacking(bo, res) : null, bo.numPages) !== w.digest)
      this.v('ttm-contents', `bo ${bo.id}: its contents changed moving from ${w.from?.memType ?? 'none'} to ${to}`);
    // ttm_bo_wait_ctx before the copy: nothing moves under a fence still pending — unless the
    // move was pipelined behind those fences (ttm_bo_move_accel_cleanup: amdgpu's blits)
    const pending = w.fences.filter((f) => !f.signaled);
    if (pending.length && !bo.movePipelined) this.v('ttm-busy-move', `bo ${bo.id} moved to ${to} with ${pending.length} fence(s) unsignalled (seqno ${pending[0].seqno})`);
    this.noStaleMapping(bo, 'after a move');
  }
  purge(bo: TtmBufferObject): void {
    if (busy(bo)) this.v('ttm-busy-move', `bo ${bo.id}'s backing was dropped with fences unsignalled`);
    this.noStaleMapping(bo, 'after a purge');
  }
  evictChoice(man: TtmResourceManager, p: TtmPlace, ctx: TtmOperationCtx, victim: TtmBufferObject | null): void {
    if (victim?.pinCount) this.v('ttm-pinned-moved', `pinned bo ${victim.id} chosen for eviction from ${man.memType}`);
    const want = naiveEvictionVictim(this.bdev, man, p, ctx);
    if (want !== victim) this.v('ttm-evict-victim', `eviction from manager ${man.memType} took ${victim ? `bo ${victim.id}` : 'nothing'}, the LRU rule picks ${want ? `bo ${want.id}` : 'nothing'}`);
    if (!victim) this.gaveUp.at(-1)?.add(p);
  }
  memSpaceBegin(): void {
    this.gaveUp.push(new Set());
  }
  memSpaceEnd(): void {
    this.gaveUp.pop();
  }
  noSpace(bo: TtmBufferObject, placement: TtmPlacement, _ctx: TtmOperationCtx): void {
    // ENOMEM only once eviction found nothing left for every usable busy place
    const gaveUp = this.gaveUp.at(-1);
    for (const p of placement.busyPlacement) {
      if (!ttmResourceManagerUsed(this.bdev.managers[p.memType] ?? null)) continue;
      if (!gaveUp?.has(p)) this.v('ttm-no-space', `bo ${bo.id}: no space answered for manager ${p.memType} before eviction ran out of candidates`);
    }
  }
  /** ttm_bo_unmap_virtual ran: no mapping keeps a translation */
  private noStaleMapping(bo: TtmBufferObject, when: string): void {
    for (const m of bo.mappings) {
      const ptes = (m as TtmVma).ptes;
      if (ptes?.size) this.v('ttm-stale-mapping', `bo ${bo.id}: a mapping keeps ${ptes.size} translation(s) ${when}`);
    }
  }
}

/** Attaches the debug observer (once); its findings surface in checkTtm. */
export function ttmObserve(bdev: TtmDevice): TtmDebugObserver {
  if (bdev.observer instanceof TtmDebugObserver) return bdev.observer;
  const o = new TtmDebugObserver(bdev);
  bdev.observer = o;
  return o;
}

export function checkTtm(bdev: TtmDevice, v: DebugReport): void {
  for (const w of bdev.warnings.splice(0)) v('ttm-warn', w);
  if (bdev.observer instanceof TtmDebugObserver) for (const o of bdev.observer.violations.splice(0)) v(o.invariant, o.message);
  for (const bo of bdev.reserved) if (bo.destroyed) v('ttm-no-use-after-free', `destroyed bo ${bo.id} is still reserved`);
  // usage == Σ resident sizes ≤ capacity, per manager (ttm_resource_init / ttm_resource_fini)
  const resident = new Map<number, number>();
  const byRes = new Map<TtmResource, TtmBufferObject>();
  for (const bo of bdev.bos) {
    if (bo.destroyed) v('ttm-no-use-after-free', `destroyed bo ${bo.id} is still listed`);
    const res = bo.resource;
    if (!res) continue;
    if (res.freed) v('ttm-no-use-after-free', `bo ${bo.id} holds a freed resource`);
    if (res.bo !== bo) v('ttm-resource', `bo ${bo.id}'s resource belongs to bo ${res.bo.id}`);
    byRes.set(res, bo);
    resident.set(res.memType, (resident.get(res.memType) ?? 0) + res.size);
    if (res.numPages !== bo.numPages) v('ttm-resource', `bo ${bo.id}: resource of ${res.numPages} pages, bo of ${bo.numPages}`);
    // pinned bos are never on an LRU (6.1 ttm_bo_pin → bdev->pinned); unpinned ones are on
    // exactly the list of their manager and priority (ttm_resource_move_to_lru_tail)
    // — once unreserved: 6.1's ttm_bo_pin leaves the resource where it is until unreserve
    const want = bo.pinCount ? bdev.pinned : bdev.managers[res.memType]?.lru[bo.priority];
    if (!bdev.reserved.has(bo) && !bo.lruLazy && res.lruList !== want)
      v('ttm-lru', bo.pinCount ? `pinned bo ${bo.id} is on an LRU list` : `unpinned bo ${bo.id} is not on the LRU of manager ${res.memType} priority ${bo.priority}`);
    if (bo.deleted && !bdev.ddestroy.has(bo)) v('ttm-zombie', `deleted bo ${bo.id} is not on the delayed-destroy list`);
  }
  for (const [i, man] of bdev.managers.entries()) {
    if (!man) continue;
    const sum = resident.get(i) ?? 0;
    if (man.usage !== sum) v('ttm-usage', `manager ${i}: usage ${man.usage}, resident bos ${sum}`);
    if (man.mm && man.usage > man.size * 4096) v('ttm-usage', `manager ${i}: usage ${man.usage} over capacity ${man.size * 4096}`);
    // every list entry is a live resident bo's resource, exactly once (walking the lists)
    let onLists = 0;
    for (let p = 0; p < TTM_MAX_BO_PRIORITY; p++) {
      for (const res of man.lru[p]) {
        onLists++;
        const bo = byRes.get(res);
        if (!bo) v('ttm-lru', `manager ${i} priority ${p}: a resource of no live bo (bo ${res.bo.id})`);
        else if (res.memType !== i || bo.priority !== p) v('ttm-lru', `bo ${bo.id} on manager ${i} priority ${p}, resident in ${res.memType} priority ${bo.priority}`);
      }
    }
    // the lists' own counts agree with a walk (an intrusive list corrupted by a bad unlink
    // shows up here)
    let counted = 0;
    for (let p = 0; p < TTM_MAX_BO_PRIORITY; p++) counted += man.lru[p].length;
    if (counted !== onLists) v('ttm-lru', `manager ${i}: LRU lengths sum to ${counted}, a walk finds ${onLists}`);
    // no two resources overlap inside a range manager, and each node is a live resource's
    if (man.mm) {
      const nodes = new Set<unknown>();
      let end = 0;
      for (const n of man.mm.nodes()) {
        if (n.start < end) v('ttm-overlap', `manager ${i}: node at ${n.start} overlaps the previous one ending at ${end}`);
        if (n.start < 0 || n.start + n.size > man.size) v('ttm-overlap', `manager ${i}: node ${n.start}+${n.size} outside 0..${man.size}`);
        end = Math.max(end, n.start + n.size);
        nodes.add(n);
      }
      let resCount = 0;
      for (const res of byRes.keys()) {
        if (res.memType !== i) continue;
        resCount++;
        if (!res.mmNode || !nodes.has(res.mmNode)) v('ttm-overlap', `bo ${res.bo.id}: resource in manager ${i} without its drm_mm node`);
        else if (res.mmNode.start !== res.start || res.mmNode.size !== res.numPages) v('ttm-overlap', `bo ${res.bo.id}: resource ${res.start}+${res.numPages} but node ${res.mmNode.start}+${res.mmNode.size}`);
      }
      if (resCount !== man.mm.nodeCount) v('ttm-overlap', `manager ${i}: ${man.mm.nodeCount} drm_mm nodes, ${resCount} resident resources`);
    }
  }
  // zombies: still busy, or their fences signalled after the last reclaim ran
  for (const bo of bdev.ddestroy) {
    if (!bdev.bos.has(bo)) v('ttm-zombie', `zombie bo ${bo.id} was destroyed but is still listed`);
    let lastSignal = bo.lastSignalAt;
    let busy = false;
    for (const f of bo.fences) {
      if (!f.signaled) busy = true;
      else lastSignal = Math.max(lastSignal, f.signalledAt);
    }
    if (!busy && lastSignal < bdev.lastReclaim) v('ttm-zombie', `zombie bo ${bo.id} is idle yet survived a reclaim`);
  }
  // mappings: every cached translation is the current placement's (ttm_bo_unmap_virtual on move)
  for (const bo of bdev.bos) {
    for (const m of bo.mappings) {
      const vma = m as TtmVma;
      if (!vma.ptes) continue;
      const res = bo.resource;
      const store = res ? ttmResourceBacking(bo, res) : null;
      for (const [page, b] of vma.ptes) {
        if (!res || b.store !== store || b.memType !== res.memType) {
          v('ttm-stale-mapping', `bo ${bo.id} page ${page}: a mapping still points at its old placement (${b.memType}), now ${res?.memType ?? 'none'}`);
          break;
        }
      }
    }
  }
}

/** The check as a list, for tests. */
export function ttmViolations(bdev: TtmDevice): { invariant: string; message: string }[] {
  const out: { invariant: string; message: string }[] = [];
  checkTtm(bdev, (invariant, message) => void out.push({ invariant, message }));
  return out;
}
