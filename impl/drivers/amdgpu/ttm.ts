/**
 * amdgpu's TTM side (amdgpu_ttm.c, amdgpu_object.c): the device with its managers, the
 * ttm_device_funcs hooks (evict_flags, eviction_valuable, move with the VRAM↔SYSTEM multihop
 * through GTT, the fault-reserve notify) and amdgpu_bo_placement_from_domain. The rules are
 * docs/amdgpu.md's; each cites the kernel function it encodes.
 */
import { PAGE_SIZE } from '../../../ir/uapi.ts';
import { EMULTIHOP, ttmBoWaitForMove, ttmBoMoveAccel, ttmBoMoveToLruTail, ttmBoValidate, ttmBoEvictionValuable, type TtmBufferObject, type TtmOperationCtx } from '../../ttm/bo.ts';
import type { TtmDevice, TtmDeviceFuncs } from '../../ttm/device.ts';
import type { DrmDevice } from '../../core/drm_device.ts';
import { gemTtmDeviceInit } from '../gem_ttm.ts';
import {
  AMDGPU_PL_GDS,
  AMDGPU_PL_GWS,
  AMDGPU_PL_OA,
  TTM_PL_FLAG_CONTIGUOUS,
  TTM_PL_FLAG_TEMPORARY,
  TTM_PL_FLAG_TOPDOWN,
  TTM_PL_SYSTEM,
  TTM_PL_TT,
  TTM_PL_VRAM,
  place,
  ttmResourceFree,
  type TtmPlace,
  type TtmPlacement,
  type TtmResource,
} from '../../ttm/resource.ts';
import { amdgpuManInit, type AmdgpuManager, type AmdgpuResource } from './mgr.ts';

// include/uapi/drm/amdgpu_drm.h
export const DOMAIN_CPU = 0x1;
export const DOMAIN_GTT = 0x2;
export const DOMAIN_VRAM = 0x4;
export const DOMAIN_GDS = 0x8;
export const DOMAIN_GWS = 0x10;
export const DOMAIN_OA = 0x20;
export const DOMAIN_MASK = 0x3f;
export const CREATE_CPU_ACCESS_REQUIRED = 1 << 0;
export const CREATE_NO_CPU_ACCESS = 1 << 1;
export const CREATE_CPU_GTT_USWC = 1 << 2;
export const CREATE_VRAM_CLEARED = 1 << 3;
export const CREATE_VRAM_CONTIGUOUS = 1 << 5;
export const CREATE_VM_ALWAYS_VALID = 1 << 6;
export const CREATE_EXPLICIT_SYNC = 1 << 7;
export const CREATE_ENCRYPTED = 1 << 10;
export const CREATE_DISCARDABLE = 1 << 12;
export const ON_CHIP = DOMAIN_GDS | DOMAIN_GWS | DOMAIN_OA;

/** The amdgpu side of a TTM bo (struct amdgpu_bo minus the embedded tbo). */
export interface AmdgpuBoState {
  flags: number;
  preferred: number;
  allowed: number;
  readonly userptr: boolean;
}

export interface AmdgpuDevice {
  readonly bdev: TtmDevice;
  readonly vram: AmdgpuManager;
  readonly gtt: AmdgpuManager;
  /** visible VRAM pages (visible_vram_size >> PAGE_SHIFT) */
  readonly vis: number;
  readonly vramPages: number;
  readonly gttPages: number;
}

/** container_of(bo, struct amdgpu_bo, tbo): the GEM object the glue hangs on bo.base. */
export const boState = (bo: TtmBufferObject): AmdgpuBoState => bo.base as AmdgpuBoState;

/** amdgpu_mem_type_to_domain. */
export function memTypeToDomain(memType: number): number {
  switch (memType) {
    case TTM_PL_VRAM: return DOMAIN_VRAM;
    case TTM_PL_TT: return DOMAIN_GTT;
    case TTM_PL_SYSTEM: return DOMAIN_CPU;
    case AMDGPU_PL_GDS: return DOMAIN_GDS;
    case AMDGPU_PL_GWS: return DOMAIN_GWS;
    case AMDGPU_PL_OA: return DOMAIN_OA;
    default: return 0;
  }
}

/** amdgpu_bo_placement_from_domain: VRAM, GTT, CPU, GDS, GWS, OA for each bit; VRAM gets
 * lpfn = visible with CPU_ACCESS_REQUIRED, else TOPDOWN; no bit → CPU; one list for both
 * passes; VRAM_CONTIGUOUS adds TTM_PL_FLAG_CONTIGUOUS (every resource of the counting VRAM
 * manager satisfies it: no fragmentation, sim). */
export function placementFromDomain(adev: AmdgpuDevice, flags: number, domain: number): TtmPlace[] {
  const places: TtmPlace[] = [];
  if (domain & DOMAIN_VRAM) {
    const contig = flags & CREATE_VRAM_CONTIGUOUS ? TTM_PL_FLAG_CONTIGUOUS : 0;
    places.push(flags & CREATE_CPU_ACCESS_REQUIRED ? place(TTM_PL_VRAM, contig, 0, adev.vis) : place(TTM_PL_VRAM, TTM_PL_FLAG_TOPDOWN | contig));
  }
  if (domain & DOMAIN_GTT) places.push(place(TTM_PL_TT));
  if (domain & DOMAIN_CPU) places.push(place(TTM_PL_SYSTEM));
  if (domain & DOMAIN_GDS) places.push(place(AMDGPU_PL_GDS));
  if (domain & DOMAIN_GWS) places.push(place(AMDGPU_PL_GWS));
  if (domain & DOMAIN_OA) places.push(place(AMDGPU_PL_OA));
  if (!places.length) places.push(place(TTM_PL_SYSTEM));
  return places;
}
export const both = (places: TtmPlace[]): TtmPlacement => ({ placement: places, busyPlacement: places });

/** Is the resource in VRAM with every page visible (amdgpu_bo_in_cpu_visible_vram, as
 * docs/amdgpu.md reads it: wholly)? */
export function wholyVisible(res: TtmResource | null): boolean {
  return !!res && res.memType === TTM_PL_VRAM && (res as AmdgpuResource).visPages === res.numPages;
}

/** ttm_bo_move_null: the new resource replaces the old; nothing is copied or waited for (so,
 * for the self-checks, it may move a busy bo, as a pipelined move may). */
function moveNull(bo: TtmBufferObject, newMem: TtmResource): void {
  bo.movePipelined = true;
  ttmResourceFree(bo, bo.resource);
  bo.resource = newMem;
}

const isOnChip = (t: number): boolean => t === AMDGPU_PL_GDS || t === AMDGPU_PL_GWS || t === AMDGPU_PL_OA;

function makeFuncs(get: () => AmdgpuDevice): TtmDeviceFuncs {
  return {
    // amdgpu_evict_flags
    evictFlags(bo) {
      const adev = get();
      const abo = boState(bo);
      const none: TtmPlacement = { placement: [], busyPlacement: [] };
      if (bo.type === 'sg') return none; // "Don't handle scatter gather BOs"
      if (abo.flags & CREATE_DISCARDABLE) return none;
      const t = bo.resource?.memType ?? TTM_PL_SYSTEM;
      if (isOnChip(t)) return none;
      if (t === TTM_PL_VRAM) {
        // amdgpu_bo_in_cpu_visible_vram (6.1, buddy cursor): some block starts below the BAR
        if (adev.vis < adev.vramPages && !(abo.flags & CREATE_CPU_ACCESS_REQUIRED) && (bo.resource as AmdgpuResource).visPages > 0) {
          // "Try evicting to the CPU inaccessible part of VRAM first, but only set GTT as busy placement"
          const pl = placementFromDomain(adev, abo.flags, DOMAIN_VRAM | DOMAIN_GTT | DOMAIN_CPU);
          pl[0] = { ...pl[0], fpfn: adev.vis, lpfn: 0 };
          return { placement: pl, busyPlacement: [pl[1]] };
        }
        return both(placementFromDomain(adev, abo.flags, DOMAIN_GTT | DOMAIN_CPU));
      }
      return both(placementFromDomain(adev, abo.flags, DOMAIN_CPU));
    },
    // amdgpu_ttm_bo_eviction_valuable: GTT always; VRAM "check each drm MM node" (the
    // manager's intersects); others ttm_bo_eviction_valuable
    evictionValuable(bo, p) {
      const res = bo.resource;
      if (!res) return false;
      if (res.memType === TTM_PL_TT) return true;
      if (res.memType === TTM_PL_VRAM) {
        const man = bo.bdev.managers[TTM_PL_VRAM]!;
        return man.func.intersects!(man, res, p);
      }
      return ttmBoEvictionValuable(bo, p);
    },
    // amdgpu_bo_move (6.1)
    move(bo, _evict, ctx: TtmOperationCtx, newMem, hop) {
      const old = bo.resource;
      const abo = boState(bo);
      const from = old?.memType ?? TTM_PL_SYSTEM;
      const to = newMem.memType;
      // "!old_mem || (SYSTEM && bo->ttm == NULL)": nothing to copy
      if (!old || (from === TTM_PL_SYSTEM && !bo.ttm)) {
        moveNull(bo, newMem);
        return 0;
      }
      if (from === TTM_PL_SYSTEM && to === TTM_PL_TT) {
        moveNull(bo, newMem); // the tt is bound, its pages stay
        return 0;
      }
      if (from === TTM_PL_TT && to === TTM_PL_SYSTEM) {
        const r = ttmBoWaitForMove(bo, ctx);
        if (r) return r;
        moveNull(bo, newMem); // unbind; the tt keeps the pages
        return 0;
      }
      if (isOnChip(from) || isOnChip(to)) {
        moveNull(bo, newMem); // "Nothing to save here"
        return 0;
      }
      // "amdgpu_bo_fault_reserve_notify will re-set this if the CPU accesses the BO after it's moved"
      if (bo.type === 'device' && to === TTM_PL_VRAM && from !== TTM_PL_VRAM) abo.flags &= ~CREATE_CPU_ACCESS_REQUIRED;
      if (hop && ((from === TTM_PL_SYSTEM && to === TTM_PL_VRAM) || (from === TTM_PL_VRAM && to === TTM_PL_SYSTEM))) {
        hop.place = place(TTM_PL_TT, TTM_PL_FLAG_TEMPORARY);
        return -EMULTIHOP;
      }
      // amdgpu_move_blit → ttm_bo_move_accel_cleanup(pipeline): no CPU wait for the bo's jobs
      return ttmBoMoveAccel(bo, newMem);
    },
    // amdgpu_bo_fault_reserve_notify (6.1)
    faultReserveNotify(bo) {
      const adev = get();
      const abo = boState(bo);
      abo.flags |= CREATE_CPU_ACCESS_REQUIRED; // "Remember that this BO was accessed by the CPU"
      const res = bo.resource;
      if (!res || res.memType !== TTM_PL_VRAM) return 0;
      if (wholyVisible(res)) return 0;
      if (bo.pinCount > 0) return 1; // "Can't move a pinned BO to visible VRAM" → SIGBUS
      const pl = placementFromDomain(adev, abo.flags, DOMAIN_VRAM | DOMAIN_GTT);
      // "Avoid costly evictions; only set GTT as a busy placement"
      const r = ttmBoValidate(bo, { placement: pl, busyPlacement: [pl[1]] }, { interruptible: false, noWaitGpu: false });
      if (r) return 1;
      if (bo.resource!.memType === TTM_PL_VRAM && !wholyVisible(bo.resource)) return 1;
      ttmBoMoveToLruTail(bo);
      return 0;
    },
  };
}

/** amdgpu_ttm_init: the device with VRAM, GTT and the on-chip managers, sized by params. */
export function amdgpuTtmInit(dev: DrmDevice, params: Readonly<Record<string, number>>): AmdgpuDevice {
  const kib = (k: string, d: number): number => Math.max(0, Math.floor((params[k] ?? d) / (PAGE_SIZE / 1024)));
  const vramPages = kib('vram_kib', 8192);
  const vis = Math.min(kib('visible_kib', 2048), vramPages);
  const gttPages = kib('gtt_kib', 16384);
  let adev: AmdgpuDevice | null = null;
  const bdev = gemTtmDeviceInit(dev, makeFuncs(() => adev!));
  const vram = amdgpuManInit(bdev, TTM_PL_VRAM, 'vram', vramPages, vis);
  const gtt = amdgpuManInit(bdev, TTM_PL_TT, 'gtt', gttPages);
  // amdgpu_ttm_init_on_chip(adev, AMDGPU_PL_GDS, adev->gds.gds_size) … in units = pages
  amdgpuManInit(bdev, AMDGPU_PL_GDS, 'onchip', Math.max(0, Math.floor(params.gds ?? 64)));
  amdgpuManInit(bdev, AMDGPU_PL_GWS, 'onchip', Math.max(0, Math.floor(params.gws ?? 16)));
  amdgpuManInit(bdev, AMDGPU_PL_OA, 'onchip', Math.max(0, Math.floor(params.oa ?? 16)));
  adev = { bdev, vram, gtt, vis, vramPages, gttPages };
  return adev;
}
