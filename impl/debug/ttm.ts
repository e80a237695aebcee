/**
 * TTM self-checks (spec §7) over one ttm_device, counted from the holders' side (the live bos)
 * against the managers' own counters and lists. Not wired into ImplSession yet: the TTM core
 * in impl/ttm/ is not used by a device so far.
 */
import type { DebugReport } from '../hooks.ts';
import { ttmResourceBacking, type TtmBufferObject } from '../ttm/bo.ts';
import type { TtmDevice } from '../ttm/device.ts';
import { TTM_MAX_BO_PRIORITY, type TtmResource } from '../ttm/resource.ts';
import type { TtmVma } from '../ttm/bo_vm.ts';

export function checkTtm(bdev: TtmDevice, v: DebugReport): void {
  for (const w of bdev.warnings.splice(0)) v('ttm-warn', w);
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
    if (!bdev.reserved.has(bo) && res.lruList !== want)
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
