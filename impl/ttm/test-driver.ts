/**
 * A small TTM driver for the unit tests and the benchmark (the shape of the kernel's KUnit
 * helpers, ttm_kunit_helpers.c / ttm_mock_manager.c): SYSTEM, a range-managed TT and VRAM,
 * evictions to SYSTEM (or wherever `evictTo` says), moves by ttm_bo_move_memcpy, and
 * optionally amdgpu's rule that VRAM ↔ SYSTEM goes through TT (-EMULTIHOP).
 */
import { PAGE_SIZE } from '../../ir/uapi.ts';
import { EMULTIHOP, ttmBoMoveMemcpy, ttmBoPin, ttmBoReserve, ttmBoUnpin, ttmBoUnreserve, type TtmBufferObject } from './bo.ts';
import { ttmDeviceInit, type TtmDevice, type TtmDeviceFuncs } from './device.ts';
import { place, placementOf, ttmRangeManInit, TTM_PL_SYSTEM, TTM_PL_TT, TTM_PL_VRAM, type TtmPlacement } from './resource.ts';

export interface TestDriverOptions {
  vramPages?: number;
  ttPages?: number;
  multihop?: boolean;
}

export interface TestDriver {
  bdev: TtmDevice;
  /** bos eviction_valuable refuses */
  protected: Set<TtmBufferObject>;
  /** evict_flags per source memory type (default SYSTEM; an empty placement purges) */
  evictTo: Map<number, TtmPlacement>;
  moves: { bo: number; from: number; to: number; evict: boolean }[];
  hops: number;
}

export const SYSTEM = placementOf(place(TTM_PL_SYSTEM));
export const VRAM = placementOf(place(TTM_PL_VRAM));
export const TT = placementOf(place(TTM_PL_TT));

export function testDriver(o: TestDriverOptions = {}): TestDriver {
  const d: TestDriver = { bdev: null as unknown as TtmDevice, protected: new Set(), evictTo: new Map(), moves: [], hops: 0 };
  const funcs: TtmDeviceFuncs = {
    evictFlags: (bo) => d.evictTo.get(bo.resource!.memType) ?? SYSTEM,
    evictionValuable: (bo, p) => {
      if (d.protected.has(bo)) return false;
      const res = bo.resource!;
      return !(p.fpfn >= res.start + res.numPages || (p.lpfn && p.lpfn <= res.start));
    },
    move(bo, evict, ctx, newMem, hop) {
      const from = bo.resource!.memType;
      const to = newMem.memType;
      if (o.multihop && hop && ((from === TTM_PL_SYSTEM && to === TTM_PL_VRAM) || (from === TTM_PL_VRAM && to === TTM_PL_SYSTEM))) {
        hop.place = place(TTM_PL_TT);
        d.hops++;
        return -EMULTIHOP;
      }
      const ret = ttmBoMoveMemcpy(bo, ctx, newMem);
      if (!ret) d.moves.push({ bo: bo.id, from, to, evict });
      return ret;
    },
  };
  d.bdev = ttmDeviceInit(funcs);
  ttmRangeManInit(d.bdev, TTM_PL_TT, true, o.ttPages ?? 256);
  ttmRangeManInit(d.bdev, TTM_PL_VRAM, false, o.vramPages ?? (1 << 20) / PAGE_SIZE);
  return d;
}

/** What drivers do around a pin (drm_gem_vram_pin, amdgpu_bo_pin): reserve, pin, unreserve. */
export function pin(bo: TtmBufferObject): void {
  ttmBoReserve(bo);
  ttmBoPin(bo);
  ttmBoUnreserve(bo);
}
export function unpin(bo: TtmBufferObject): number {
  ttmBoReserve(bo);
  const ret = ttmBoUnpin(bo);
  ttmBoUnreserve(bo);
  return ret;
}
