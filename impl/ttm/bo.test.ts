// Success criterion: the TTM core follows 6.1's ttm_bo_validate / ttm_mem_evict_first rules,
// case by case as drivers/gpu/drm/ttm/tests/ttm_bo_validate_test.c tests them (over a 1 MiB
// VRAM range manager), and the self-checks stay quiet on every sound state.
import { describe, expect, it } from 'vitest';
import { Errno } from '../../ir/uapi.ts';
import { ttmViolations } from '../debug/ttm.ts';
import {
  ctxOf,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
  ttmBoAddFence,
  ttmBoDelayedDelete,
  ttmBoInitValidate,
  ttmBoMoveToLruTail,
  ttmBoOnLru,
  ttmBoPin,
  ttmBoReserve,
  ttmBoUnpin,
  ttmBoUnreserve,
  ttmBoPut,
  ttmBoSetBulkMove,
  ttmBoValidate,
  ttmFenceCreate,
  ttmLruBulkMoveInit,
  ttmLruBulkMoveTail,
  type TtmBufferObject,
  type TtmBoInitOptions,
} from './bo.ts';
import { ttmBoMmap, ttmBoVmClose, ttmBoVmFault, ttmVmaRead, ttmVmaWrite } from './bo_vm.ts';
import { place, placementOf, TTM_PL_FLAG_CONTIGUOUS, TTM_PL_FLAG_TOPDOWN, TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM, type TtmPlacement } from './resource.ts';
import { pin, SYSTEM, testDriver, TT, unpin, VRAM, type TestDriver } from './test-driver.ts';

const MIB = 1 << 20;
const HALF = MIB / 2;

function mk(d: TestDriver, size: number, pl: TtmPlacement = VRAM, opts?: TtmBoInitOptions, noWait = false): TtmBufferObject {
  const bo = ttmBoInitValidate(d.bdev, size, 'device', pl, ctxOf(noWait), opts);
  if (typeof bo === 'number') throw new Error(`init failed: ${bo}`);
  return bo;
}
const clean = (d: TestDriver) => expect(ttmViolations(d.bdev)).toEqual([]);
const vram = (d: TestDriver) => d.bdev.managers[TTM_PL_VRAM]!;
const memType = (bo: TtmBufferObject) => bo.resource!.memType;

describe('ttm_bo_validate: init and placement', () => {
  it('a bo lands in its placement, accounted and on the LRU (ttm_bo_init_reserved, ttm_resource_init)', () => {
    const d = testDriver();
    const a = mk(d, 8192);
    expect(memType(a)).toBe(TTM_PL_VRAM);
    expect(a.resource!.start).toBe(0);
    expect(vram(d).usage).toBe(8192);
    expect(ttmBoOnLru(a)).toBe(true);
    const s = mk(d, 4096, SYSTEM);
    expect(memType(s)).toBe(TTM_PL_SYSTEM);
    clean(d);
    // compatible → no move
    const moves = d.moves.length;
    expect(ttmBoValidate(a, VRAM, ctxOf())).toBe(0);
    expect(d.moves.length).toBe(moves);
  });

  it('windows, TOPDOWN and CONTIGUOUS as the range manager handles them (ttm_range_man_alloc)', () => {
    const d = testDriver({ vramPages: 256 });
    const top = mk(d, 4 * 4096, placementOf(place(TTM_PL_VRAM, TTM_PL_FLAG_TOPDOWN)));
    expect(top.resource!.start).toBe(252);
    const win = mk(d, 4096, placementOf(place(TTM_PL_VRAM, 0, 100, 128)));
    expect(win.resource!.start).toBeGreaterThanOrEqual(100);
    expect(win.resource!.start + 1).toBeLessThanOrEqual(128);
    // a window that cannot hold the bo: -ENOSPC from drm_mm, answered as -ENOMEM
    expect(ttmBoInitValidate(d.bdev, 64 * 4096, 'device', placementOf(place(TTM_PL_VRAM, 0, 0, 32)), ctxOf())).toBe(-Errno.ENOMEM);
    // CONTIGUOUS asked of a non-contiguous resource forces a move (ttm_resource_places_compat)
    const c = mk(d, 4096);
    const moves = d.moves.length;
    expect(ttmBoValidate(c, placementOf(place(TTM_PL_VRAM, TTM_PL_FLAG_CONTIGUOUS)), ctxOf())).toBe(0);
    expect(d.moves.length).toBe(moves + 1);
    expect(c.resource!.placement & TTM_PL_FLAG_CONTIGUOUS).toBeTruthy();
    clean(d);
  });

  it('bad arguments are errnos, never exceptions', () => {
    const d = testDriver();
    expect(ttmBoInitValidate(d.bdev, 0, 'device', VRAM, ctxOf())).toBe(-Errno.EINVAL);
    expect(ttmBoInitValidate(d.bdev, 4096, 'device', VRAM, ctxOf(), { priority: 9 })).toBe(-Errno.EINVAL);
    // no manager for the type at all → "No compatible memory type found" → -EINVAL
    expect(ttmBoInitValidate(d.bdev, 4096, 'device', placementOf(place(5)), ctxOf())).toBe(-Errno.EINVAL);
    clean(d);
  });

  it('an empty placement guts the bo: back to an empty SYSTEM resource (ttm_bo_pipeline_gutting)', () => {
    const d = testDriver();
    const a = mk(d, 8192);
    const m = ttmBoMmap(a);
    ttmVmaWrite(m, 0, 7);
    expect(ttmBoValidate(a, { placement: [], busyPlacement: [] }, ctxOf())).toBe(0);
    expect(memType(a)).toBe(TTM_PL_SYSTEM);
    expect(vram(d).usage).toBe(0);
    expect(ttmVmaRead(m, 0)).toBe(0);
    clean(d);
  });
});

describe('ttm_mem_evict_first', () => {
  it('happy evict: the LRU head goes to its evict_flags destination, contents intact', () => {
    const d = testDriver();
    const a = mk(d, HALF);
    const b = mk(d, HALF);
    const m = ttmBoMmap(a);
    expect(ttmVmaWrite(m, 3, 0x5a)).toBe(0);
    const c = mk(d, HALF);
    expect(memType(a)).toBe(TTM_PL_SYSTEM);
    expect(memType(b)).toBe(TTM_PL_VRAM);
    expect(memType(c)).toBe(TTM_PL_VRAM);
    expect(d.moves.at(-2)).toEqual({ bo: a.id, from: TTM_PL_VRAM, to: TTM_PL_SYSTEM, evict: true });
    expect(ttmVmaRead(m, 3)).toBe(0x5a);
    clean(d);
    // evict_flags elsewhere: b goes to TT
    d.evictTo.set(TTM_PL_VRAM, TT);
    mk(d, HALF);
    expect(memType(b)).toBe(TTM_PL_TT);
    clean(d);
  });

  it('evict gutting: an empty evict_flags placement waits for the fence and purges (ttm_bo_evict)', () => {
    const d = testDriver();
    d.evictTo.set(TTM_PL_VRAM, { placement: [], busyPlacement: [] });
    const a = mk(d, HALF);
    mk(d, HALF);
    const m = ttmBoMmap(a);
    ttmVmaWrite(m, 0, 4);
    const f = ttmFenceCreate(d.bdev);
    ttmBoAddFence(a, f);
    mk(d, HALF);
    expect(f.signaled).toBe(true); // ttm_bo_wait(bo, true, false): waits even without being asked
    expect(memType(a)).toBe(TTM_PL_SYSTEM);
    expect(ttmVmaRead(m, 0)).toBe(0); // the contents went with the backing
    clean(d);
  });

  it('recursive evict: VRAM evicts to TT, which evicts to SYSTEM to make room', () => {
    const d = testDriver({ ttPages: 128 });
    d.evictTo.set(TTM_PL_VRAM, TT);
    const t = mk(d, HALF, TT); // TT full
    const a = mk(d, HALF);
    const b = mk(d, HALF);
    const m = ttmBoMmap(a);
    ttmVmaWrite(m, 5, 0x77);
    mk(d, HALF);
    expect(memType(a)).toBe(TTM_PL_TT);
    expect(memType(t)).toBe(TTM_PL_SYSTEM);
    expect(memType(b)).toBe(TTM_PL_VRAM);
    expect(ttmVmaRead(m, 5)).toBe(0x77);
    clean(d);
  });

  it('all pinned → -ENOMEM; a pinned bo that must move → -EINVAL', () => {
    const d = testDriver();
    const a = mk(d, HALF);
    const b = mk(d, HALF);
    pin(a);
    pin(b);
    expect(ttmBoInitValidate(d.bdev, HALF, 'device', VRAM, ctxOf())).toBe(-Errno.ENOMEM);
    expect(ttmBoValidate(a, SYSTEM, ctxOf())).toBe(-Errno.EINVAL);
    expect(ttmBoValidate(a, VRAM, ctxOf())).toBe(0); // compatible: allowed while pinned
    expect(memType(a)).toBe(TTM_PL_VRAM);
    clean(d);
    // a fallback list still works: VRAM full of pinned bos, SYSTEM in the busy list
    const c = mk(d, HALF, { placement: [place(TTM_PL_VRAM)], busyPlacement: [place(TTM_PL_VRAM), place(TTM_PL_SYSTEM)] });
    expect(memType(c)).toBe(TTM_PL_SYSTEM);
    clean(d);
  });

  it('pass 1 never evicts: the idle list alone falls through to SYSTEM (6.1 placement vs busy_placement)', () => {
    const d = testDriver();
    const a = mk(d, HALF);
    mk(d, HALF);
    const c = mk(d, HALF, { placement: [place(TTM_PL_VRAM), place(TTM_PL_SYSTEM)], busyPlacement: [place(TTM_PL_VRAM)] });
    expect(memType(c)).toBe(TTM_PL_SYSTEM);
    expect(memType(a)).toBe(TTM_PL_VRAM);
    clean(d);
  });

  it('only-allowed evict: eviction_valuable false is skipped', () => {
    const d = testDriver();
    const a = mk(d, HALF);
    const b = mk(d, HALF);
    d.protected.add(a);
    mk(d, HALF);
    expect(memType(a)).toBe(TTM_PL_VRAM);
    expect(memType(b)).toBe(TTM_PL_SYSTEM);
    d.protected.add(b);
    clean(d);
  });

  it('the default eviction_valuable: only bos intersecting the requested window (ttm_bo_eviction_valuable)', () => {
    const d = testDriver({ vramPages: 256 });
    const lo = mk(d, HALF); // pages 0..127
    const hi = mk(d, HALF); // pages 128..255
    d.bdev.funcs.evictionValuable = undefined;
    mk(d, 4096, placementOf(place(TTM_PL_VRAM, 0, 128, 256)));
    expect(memType(lo)).toBe(TTM_PL_VRAM);
    expect(memType(hi)).toBe(TTM_PL_SYSTEM);
    clean(d);
  });

  it('busy domain: no_wait_gpu skips busy bos; waiting signals the fence', () => {
    const d = testDriver();
    const a = mk(d, HALF);
    const b = mk(d, HALF);
    const fa = ttmFenceCreate(d.bdev);
    ttmBoAddFence(a, fa);
    mk(d, HALF, VRAM, undefined, true);
    expect(memType(a)).toBe(TTM_PL_VRAM);
    expect(memType(b)).toBe(TTM_PL_SYSTEM);
    expect(fa.signaled).toBe(false);
    // everything busy + no_wait_gpu → nothing to evict → -ENOMEM
    const c = [...d.bdev.bos].find((x) => x !== a && x !== b)!;
    ttmBoAddFence(c, ttmFenceCreate(d.bdev));
    expect(ttmBoInitValidate(d.bdev, HALF, 'device', VRAM, ctxOf(true))).toBe(-Errno.ENOMEM);
    clean(d);
    // waiting allowed: the LRU head (a) is evicted after its fence is waited for
    mk(d, HALF);
    expect(fa.signaled).toBe(true);
    expect(memType(a)).toBe(TTM_PL_SYSTEM);
    clean(d);
  });

  it('multihop: SYSTEM ↔ VRAM bounces through TT (-EMULTIHOP, ttm_bo_bounce_temp_buffer)', () => {
    const d = testDriver({ multihop: true });
    const a = mk(d, 8192, SYSTEM);
    const m = ttmBoMmap(a);
    ttmVmaWrite(m, 1, 0x33);
    expect(ttmBoValidate(a, VRAM, ctxOf())).toBe(0);
    expect(memType(a)).toBe(TTM_PL_VRAM);
    expect(d.hops).toBe(1);
    expect(d.moves.map((x) => [x.from, x.to])).toEqual([[TTM_PL_SYSTEM, TTM_PL_TT], [TTM_PL_TT, TTM_PL_VRAM]]);
    expect(d.bdev.managers[TTM_PL_TT]!.usage).toBe(0); // the hop's resource went with the move
    expect(ttmVmaRead(m, 1)).toBe(0x33);
    // eviction VRAM → SYSTEM hops too
    mk(d, MIB - 8192);
    mk(d, 8192);
    expect(memType(a)).toBe(TTM_PL_SYSTEM);
    expect(d.hops).toBe(4); // two creations SYSTEM → VRAM, and a's eviction VRAM → SYSTEM
    expect(ttmVmaRead(m, 1)).toBe(0x33);
    clean(d);
  });

  it('delete while busy: a zombie keeps its memory and LRU place, and is reclaimed first', () => {
    const d = testDriver();
    const a = mk(d, HALF);
    const b = mk(d, HALF);
    const fa = ttmFenceCreate(d.bdev);
    ttmBoAddFence(a, fa);
    ttmBoPut(a);
    expect(a.deleted).toBe(true);
    expect(a.destroyed).toBe(false);
    expect(ttmBoOnLru(a)).toBe(true);
    expect(vram(d).usage).toBe(MIB);
    clean(d);
    // eviction meets the zombie first: it is reclaimed (its fence waited), b stays
    const c = mk(d, HALF);
    expect(a.destroyed).toBe(true);
    expect(fa.signaled).toBe(true);
    expect(memType(b)).toBe(TTM_PL_VRAM);
    expect(memType(c)).toBe(TTM_PL_VRAM);
    clean(d);
    // a zombie whose fence signals is gone once the delayed delete runs
    const f = ttmFenceCreate(d.bdev);
    ttmBoAddFence(b, f);
    ttmBoPut(b);
    expect(ttmBoDelayedDelete(d.bdev)).toBe(false); // still busy: stays
    clean(d);
    f.signal();
    clean(d); // signalled, but no reclaim ran since: fine
    expect(ttmBoDelayedDelete(d.bdev)).toBe(true);
    expect(b.destroyed).toBe(true);
    clean(d);
  });

  it('a pinned bo released while busy is unpinned onto the LRU as a zombie (6.1 ttm_bo_release)', () => {
    const d = testDriver();
    const a = mk(d, HALF);
    pin(a);
    ttmBoAddFence(a, ttmFenceCreate(d.bdev));
    ttmBoPut(a);
    expect(a.pinCount).toBe(0);
    expect(ttmBoOnLru(a)).toBe(true);
    clean(d);
  });
});

describe('LRU, pin and bulk moves', () => {
  it('LRU order follows use: ttm_bo_move_to_lru_tail makes the bo the last victim', () => {
    const d = testDriver({ vramPages: 3 });
    const [a, b, c] = [mk(d, 4096), mk(d, 4096), mk(d, 4096)];
    ttmBoMoveToLruTail(a);
    expect([...vram(d).lru[0]].map((r) => r.bo)).toEqual([b, c, a]);
    mk(d, 4096);
    expect(memType(b)).toBe(TTM_PL_SYSTEM);
    expect(memType(a)).toBe(TTM_PL_VRAM);
    mk(d, 4096);
    expect(memType(c)).toBe(TTM_PL_SYSTEM);
    clean(d);
  });

  it('priorities: lower priority lists are scanned first', () => {
    const d = testDriver({ vramPages: 2 });
    const hi = mk(d, 4096, VRAM, { priority: 2 });
    const lo = mk(d, 4096, VRAM, { priority: 1 });
    mk(d, 4096);
    expect(memType(lo)).toBe(TTM_PL_SYSTEM);
    expect(memType(hi)).toBe(TTM_PL_VRAM);
    clean(d);
  });

  it('pin/unpin count; pinned bos are on bdev->pinned, never an LRU; unpin of an unpinned bo warns', () => {
    const d = testDriver();
    const a = mk(d, 4096);
    pin(a);
    pin(a);
    expect(a.pinCount).toBe(2);
    expect(ttmBoOnLru(a)).toBe(false);
    expect(a.resource!.lruList).toBe(d.bdev.pinned);
    expect(unpin(a)).toBe(0);
    expect(ttmBoOnLru(a)).toBe(false);
    clean(d);
    expect(unpin(a)).toBe(0);
    expect(ttmBoOnLru(a)).toBe(true);
    clean(d);
    expect(unpin(a)).toBe(-Errno.EINVAL);
    expect(ttmViolations(d.bdev).map((x) => x.invariant)).toEqual(['ttm-warn']);
  });

  it('6.1: ttm_bo_pin leaves the resource on its LRU until ttm_bo_unreserve moves it to bdev->pinned', () => {
    const d = testDriver();
    const a = mk(d, 4096);
    expect(ttmBoReserve(a)).toBe(0);
    expect(ttmBoReserve(a)).toBe(-Errno.EBUSY); // the trylock of a held reservation
    ttmBoPin(a);
    expect(ttmBoOnLru(a)).toBe(true);
    clean(d); // legitimate while reserved
    ttmBoUnreserve(a);
    expect(a.resource!.lruList).toBe(d.bdev.pinned);
    clean(d);
    ttmBoReserve(a);
    ttmBoUnpin(a);
    expect(a.resource!.lruList).toBe(d.bdev.pinned);
    ttmBoUnreserve(a);
    expect(ttmBoOnLru(a)).toBe(true);
    clean(d);
  });

  it('bulk move: the group stays contiguous and moves to the tail at once (ttm_lru_bulk_move_tail)', () => {
    const d = testDriver();
    const bulk = ttmLruBulkMoveInit();
    const g1 = mk(d, 4096, VRAM, { bulkMove: bulk });
    const x = mk(d, 4096);
    const g2 = mk(d, 4096, VRAM, { bulkMove: bulk });
    const y = mk(d, 4096);
    const order = () => [...vram(d).lru[0]].map((r) => r.bo);
    expect(order()).toEqual([g1, g2, x, y]);
    ttmLruBulkMoveTail(d.bdev, bulk);
    expect(order()).toEqual([x, y, g1, g2]);
    const g3 = mk(d, 4096);
    ttmBoSetBulkMove(g3, bulk);
    expect(order()).toEqual([x, y, g1, g2, g3]);
    ttmBoMoveToLruTail(x);
    ttmLruBulkMoveTail(d.bdev, bulk);
    expect(order()).toEqual([y, x, g1, g2, g3]);
    // a pinned member leaves the group; unpinned it rejoins at the run's end
    pin(g1);
    expect(order()).toEqual([y, x, g2, g3]);
    unpin(g1);
    expect(order()).toEqual([y, x, g2, g3, g1]);
    ttmBoMoveToLruTail(y);
    expect(order()).toEqual([x, g2, g3, g1, y]);
    ttmLruBulkMoveTail(d.bdev, bulk);
    expect(order()).toEqual([x, y, g2, g3, g1]);
    clean(d);
  });
});

describe('ttm_bo_vm_fault', () => {
  it('a refault after a move sees the new placement and the same data', () => {
    const d = testDriver({ vramPages: 4 });
    const a = mk(d, 4 * 4096);
    const m = ttmBoMmap(a);
    expect(ttmVmaWrite(m, 2, 9)).toBe(0);
    const f1 = ttmBoVmFault(m, 2);
    expect(f1 !== 'SIGBUS' && f1.memType).toBe(TTM_PL_VRAM);
    expect([...m.ptes.keys()]).toEqual([2, 3]); // the faulting page and the prefault after it, to the bo's end
    mk(d, 4096); // evicts a
    expect(m.ptes.size).toBe(0); // zapped by ttm_bo_unmap_virtual
    const faults = m.faults;
    expect(ttmVmaRead(m, 2)).toBe(9);
    expect(m.faults).toBe(faults + 1);
    const f2 = ttmBoVmFault(m, 2);
    expect(f2 !== 'SIGBUS' && f2.memType).toBe(TTM_PL_SYSTEM);
    clean(d);
    // past the end → SIGBUS
    expect(ttmBoVmFault(m, 4)).toBe('SIGBUS');
    expect(ttmBoVmFault(m, -1)).toBe('SIGBUS');
    // the mapping's reference keeps the bo alive past its creator's put
    ttmBoPut(a);
    expect(a.destroyed).toBe(false);
    ttmBoVmClose(m);
    expect(a.destroyed).toBe(true);
    clean(d);
  });

  it('a fault prefaults up to 16 pages after it, within the bo and the mapping; a move zaps them all', () => {
    const d = testDriver({ vramPages: 64 });
    const a = mk(d, 40 * 4096);
    const m = ttmBoMmap(a);
    expect(ttmBoVmFault(m, 0, 20)).not.toBe('SIGBUS');
    expect([...m.ptes.keys()]).toEqual([...Array(16).keys()]);
    expect(ttmBoVmFault(m, 17, 20)).not.toBe('SIGBUS');
    expect(m.ptes.size).toBe(19); // 17, 18, 19: the mapping ends at bo page 20
    mk(d, 60 * 4096); // evicts a: every translation goes
    expect(m.ptes.size).toBe(0);
    const { faults, refaults } = d.bdev.stats;
    expect(ttmVmaRead(m, 5)).toBe(0); // a refault, which prefaults 6..20
    expect([d.bdev.stats.faults - faults, d.bdev.stats.refaults - refaults]).toEqual([1, 1]);
    expect(ttmVmaRead(m, 6)).toBe(0); // prefaulted: no fault
    expect(d.bdev.stats.faults - faults).toBe(1);
    ttmBoVmClose(m);
    ttmBoPut(a);
    clean(d);
  });

  it('imported SG bos are refused unless EXTERNAL_MAPPABLE; io_mem_reserve failure → SIGBUS', () => {
    const d = testDriver();
    const sg = ttmBoInitValidate(d.bdev, 4096, 'sg', TT, ctxOf());
    if (typeof sg === 'number') throw new Error();
    expect(ttmBoVmFault(ttmBoMmap(sg), 0)).toBe('SIGBUS');
    const sgm = ttmBoInitValidate(d.bdev, 4096, 'sg', TT, ctxOf(), { ttmFlags: TTM_TT_FLAG_EXTERNAL_MAPPABLE });
    if (typeof sgm === 'number') throw new Error();
    expect(ttmBoVmFault(ttmBoMmap(sgm), 0)).not.toBe('SIGBUS');
    const a = mk(d, 4096);
    d.bdev.funcs.ioMemReserve = () => -Errno.EINVAL;
    expect(ttmBoVmFault(ttmBoMmap(a), 0)).toBe('SIGBUS');
    clean(d);
  });
});

describe('the self-checks name what is corrupted', () => {
  it('usage, overlap, LRU membership, stale mappings', () => {
    const inv = (d: TestDriver) => ttmViolations(d.bdev).map((x) => x.invariant);
    let d = testDriver();
    const a = mk(d, 8192);
    vram(d).usage += 4096;
    expect(inv(d)).toContain('ttm-usage');
    d = testDriver();
    const b = mk(d, 8192);
    const c = mk(d, 8192);
    c.resource!.mmNode!.start = b.resource!.start + 1;
    expect(inv(d)).toContain('ttm-overlap');
    d = testDriver();
    const e = mk(d, 8192);
    e.pinCount = 1; // pinned behind the core's back: still on the LRU
    expect(inv(d)).toContain('ttm-lru');
    d = testDriver({ vramPages: 2 });
    d.bdev.faults.add('no-zap-on-move');
    const f = mk(d, 8192);
    const m = ttmBoMmap(f);
    ttmVmaWrite(m, 0, 1);
    mk(d, 4096);
    expect(inv(d)).toContain('ttm-stale-mapping');
    void a;
  });
});
