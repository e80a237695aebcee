// Success criterion: thousands of random create / validate / pin / unpin / fence / signal /
// release / map / write / reclaim operations keep every TTM self-check quiet after every step,
// keep each bo's contents across all its moves, never move a pinned bo — and each planted bug
// (TtmFault) is caught by the same loop.
import { describe, expect, it } from 'vitest';
import { seededRand, type Rand } from '../../fuzz/rand.ts';
import { Errno } from '../../ir/uapi.ts';
import { ttmObserve, ttmViolations } from '../debug/ttm.ts';
import {
  ctxOf,
  ttmBoAddFence,
  ttmBoDelayedDelete,
  ttmBoInitValidate,
  ttmBoMoveToLruTail,
  ttmBoPut,
  ttmBoValidate,
  ttmFenceCreate,
  ttmLruBulkMoveInit,
  ttmLruBulkMoveTail,
  type TtmBufferObject,
  type TtmFence,
} from './bo.ts';
import { ttmBoMmap, ttmBoVmClose, ttmVmaRead, ttmVmaWrite, type TtmVma } from './bo_vm.ts';
import type { TtmFault } from './device.ts';
import { place, TTM_PL_FLAG_CONTIGUOUS, TTM_PL_FLAG_TOPDOWN, TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM, type TtmPlacement, type TtmResource } from './resource.ts';
import { pin, testDriver, unpin } from './test-driver.ts';

const PLACEMENTS: TtmPlacement[] = [
  { placement: [place(TTM_PL_VRAM)], busyPlacement: [place(TTM_PL_VRAM)] },
  { placement: [place(TTM_PL_VRAM)], busyPlacement: [place(TTM_PL_VRAM), place(TTM_PL_SYSTEM)] },
  { placement: [place(TTM_PL_VRAM, 0, 0, 24)], busyPlacement: [place(TTM_PL_VRAM, 0, 0, 24)] }, // CPU-visible window
  { placement: [place(TTM_PL_VRAM, TTM_PL_FLAG_TOPDOWN)], busyPlacement: [place(TTM_PL_VRAM, TTM_PL_FLAG_TOPDOWN), place(TTM_PL_TT)] },
  { placement: [place(TTM_PL_VRAM, TTM_PL_FLAG_CONTIGUOUS), place(TTM_PL_TT)], busyPlacement: [place(TTM_PL_TT)] },
  { placement: [place(TTM_PL_TT)], busyPlacement: [place(TTM_PL_TT)] },
  { placement: [place(TTM_PL_SYSTEM)], busyPlacement: [place(TTM_PL_SYSTEM)] },
  { placement: [place(TTM_PL_TT), place(TTM_PL_VRAM)], busyPlacement: [place(TTM_PL_VRAM), place(TTM_PL_TT)] },
];
const GUT: TtmPlacement = { placement: [], busyPlacement: [] };

interface Live {
  bo: TtmBufferObject;
  vma: TtmVma | null;
  data: Map<number, number>;
  pinnedAt: TtmResource | null;
}

/** Runs `steps` random operations; returns the first failure (a violation or a broken
 * expectation) as text, or null. */
interface Stats {
  evictions: number;
  hops: number;
  zombies: number;
  zombiesReclaimedByEviction: number;
  enomem: number;
  pinnedEinval: number;
  refaults: number;
}

function runRandom(seed: string, steps: number, faults: TtmFault[] = [], stats?: Stats): string | null {
  const r: Rand = seededRand(seed);
  const d = testDriver({ vramPages: 64, ttPages: 32, multihop: r.int(2) === 1 });
  for (const f of faults) d.bdev.faults.add(f);
  ttmObserve(d.bdev); // the event checks judge every move, purge and eviction as it happens
  const bulk = ttmLruBulkMoveInit();
  const live: Live[] = [];
  const fences: TtmFence[] = [];
  const orphans: TtmVma[] = [];
  const zombieSeen = new Set<TtmBufferObject>();
  const any = () => live[r.int(live.length)];
  const ctx = () => ctxOf(r.int(3) === 0, r.int(2) === 0);
  for (let step = 0; step < steps; step++) {
    const op = r.int(14);
    let what = `op ${op}`;
    if (op <= 1 || live.length === 0) {
      const pl = PLACEMENTS[r.int(PLACEMENTS.length)];
      const bo = ttmBoInitValidate(d.bdev, (1 + r.int(10)) * 4096 - r.int(100), 'device', pl, ctx(), { priority: r.int(4), bulkMove: r.int(4) === 0 ? bulk : null });
      what = 'create';
      if (typeof bo === 'number') {
        if (bo !== -Errno.ENOMEM && bo !== -Errno.EBUSY) return `step ${step}: create → ${bo}`;
      } else live.push({ bo, vma: null, data: new Map(), pinnedAt: null });
    } else if (op <= 3) {
      const l = any();
      const gut = r.int(20) === 0;
      const ret = ttmBoValidate(l.bo, gut ? GUT : PLACEMENTS[r.int(PLACEMENTS.length)], ctx());
      what = `validate bo ${l.bo.id}`;
      if (stats && ret === -Errno.ENOMEM) stats.enomem++;
      if (stats && ret === -Errno.EINVAL) stats.pinnedEinval++;
      if (ret === -Errno.EINVAL && !l.bo.pinCount) return `step ${step}: validate of unpinned bo → EINVAL`;
      if (ret && ret !== -Errno.EINVAL && ret !== -Errno.ENOMEM && ret !== -Errno.EBUSY) return `step ${step}: validate → ${ret}`;
      if (!ret && gut) {
        // 6.1 checks the empty placement before pin_count: even a pinned bo is gutted
        l.data.clear();
        if (l.pinnedAt) l.pinnedAt = l.bo.resource;
      }
    } else if (op === 4) {
      const l = any();
      what = `pin bo ${l.bo.id}`;
      if (l.bo.pinCount || ttmBoValidate(l.bo, PLACEMENTS[r.int(PLACEMENTS.length)], ctx()) === 0) {
        pin(l.bo);
        l.pinnedAt ??= l.bo.resource;
      }
    } else if (op === 5) {
      const l = any();
      what = `unpin bo ${l.bo.id}`;
      if (l.bo.pinCount) {
        unpin(l.bo);
        if (!l.bo.pinCount) l.pinnedAt = null;
      }
    } else if (op === 6) {
      const l = any();
      const f = ttmFenceCreate(d.bdev);
      ttmBoAddFence(l.bo, f);
      fences.push(f);
      what = `fence bo ${l.bo.id}`;
    } else if (op === 7 && fences.length) {
      const i = r.int(fences.length);
      fences[i].signal();
      fences[i] = fences[fences.length - 1];
      fences.pop();
      what = 'signal';
    } else if (op === 8) {
      const i = r.int(live.length);
      const l = live[i];
      what = `release bo ${l.bo.id}`;
      if (l.vma && r.int(2) === 0) ttmBoVmClose(l.vma);
      else if (l.vma) orphans.push(l.vma); // the mapping outlives the creator's reference
      ttmBoPut(l.bo);
      if (stats && l.bo.deleted && !l.bo.destroyed) stats.zombies++;
      live[i] = live[live.length - 1];
      live.pop();
    } else if (op <= 10) {
      const l = any();
      l.vma ??= ttmBoMmap(l.bo);
      const page = r.int(l.bo.numPages + 1);
      const value = 1 + r.int(255);
      const ret = ttmVmaWrite(l.vma, page, value);
      what = `write bo ${l.bo.id} page ${page}`;
      if ((ret === 'SIGBUS') !== (page >= l.bo.numPages)) return `step ${step}: write page ${page} of ${l.bo.numPages} → ${ret}`;
      if (ret === 0) l.data.set(page, value);
    } else if (op === 11) {
      ttmBoDelayedDelete(d.bdev);
      what = 'reclaim';
    } else if (op === 12) {
      ttmBoMoveToLruTail(any().bo);
      what = 'lru tail';
    } else {
      ttmLruBulkMoveTail(d.bdev, bulk);
      what = 'bulk tail';
    }
    if (stats) {
      for (const z of d.bdev.ddestroy) zombieSeen.add(z);
      for (const z of zombieSeen)
        if (z.destroyed) {
          zombieSeen.delete(z);
          if (what.startsWith('create') || what.startsWith('validate') || what.startsWith('pin')) stats.zombiesReclaimedByEviction++;
        }
    }
    const v = ttmViolations(d.bdev);
    if (v.length) return `step ${step} (${what}): ${v[0].invariant}: ${v[0].message}`;
    for (const l of live) {
      if (l.pinnedAt && l.bo.resource !== l.pinnedAt) return `step ${step} (${what}): pinned bo ${l.bo.id} moved`;
      if (r.int(8) !== 0 || !l.data.size) continue;
      l.vma ??= ttmBoMmap(l.bo);
      for (const [page, value] of l.data) {
        const got = ttmVmaRead(l.vma, page);
        if (got !== value) return `step ${step} (${what}): bo ${l.bo.id} page ${page} reads ${got}, wrote ${value}`;
      }
    }
  }
  if (stats) {
    stats.evictions += d.moves.filter((m) => m.evict).length;
    stats.hops += d.hops;
    for (const l of live) if (l.vma) stats.refaults += l.vma.faults;
  }
  // teardown: every reference goes, every fence signals, the reclaim empties the list
  for (const l of live) {
    if (l.vma) ttmBoVmClose(l.vma);
    ttmBoPut(l.bo);
  }
  for (const m of orphans) ttmBoVmClose(m);
  for (const f of fences) f.signal();
  ttmBoDelayedDelete(d.bdev);
  const v = ttmViolations(d.bdev);
  if (v.length) return `teardown: ${v[0].invariant}: ${v[0].message}`;
  if (d.bdev.bos.size) return `teardown: ${d.bdev.bos.size} bos left`;
  for (const man of d.bdev.managers) if (man && man.usage) return `teardown: manager ${man.memType} usage ${man.usage}`;
  return null;
}

describe('random TTM operations', () => {
  const total: Stats = { evictions: 0, hops: 0, zombies: 0, zombiesReclaimedByEviction: 0, enomem: 0, pinnedEinval: 0, refaults: 0 };
  for (const seed of ['ttm-1', 'ttm-2', 'ttm-3', 'ttm-4']) {
    it(`seed ${seed}: 4000 steps, every self-check holds after every step`, () => {
      expect(runRandom(seed, 4000, [], total)).toBeNull();
    });
  }
  it('the loop reaches the interesting paths: evictions, hops, zombies reclaimed by eviction, ENOMEM, EINVAL', () => {
    if (process.env.TTM_STATS) console.log(JSON.stringify(total));
    for (const k of Object.keys(total) as (keyof Stats)[]) expect(total[k], k).toBeGreaterThan(0);
  });

  it.each([
    ['evict-pinned', /ttm-pinned-moved|ttm-lru: pinned bo \d+ is on an LRU list/],
    ['leak-usage', /ttm-usage/],
    ['no-zap-on-move', /ttm-stale-mapping|reads/],
    ['lose-contents', /ttm-contents|reads/],
    ['wrong-victim', /ttm-evict-victim/],
    ['ignore-busy', /ttm-busy-move/],
  ] as const)('the planted bug %s is caught', (fault, want) => {
    const got = runRandom('ttm-1', 4000, [fault]);
    expect(got).toMatch(want);
  });
});
