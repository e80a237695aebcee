/**
 * The TTM CPU-mapping path (drivers/gpu/drm/ttm/ttm_bo_vm.c, spec §7.3) as functions: a
 * mapping holds a bo reference (ttm_bo_mmap_obj / ttm_bo_vm_close) and caches one translation
 * per faulted page, like the PTEs; every move zaps them (ttm_bo_unmap_virtual) so the next
 * access refaults to the new placement.
 */
import type { PageStore } from '../core/pages.ts';
import {
  TTM_TT_FLAG_EXTERNAL,
  TTM_TT_FLAG_EXTERNAL_MAPPABLE,
  TtmTt,
  ttmBoAddMapping,
  ttmBoGet,
  ttmBoWaitMoving,
  ttmBoPut,
  ttmResourceBacking,
  type TtmBufferObject,
  type TtmMapping,
} from './bo.ts';
import { TTM_PL_SYSTEM } from './resource.ts';
import { cover } from '../cover.ts';

/** What a fault resolves to: the store and page holding the data, and where that is. */
export interface TtmBacking {
  readonly store: PageStore;
  readonly index: number;
  readonly memType: number;
  /** the page frame inside the manager (resource start + index) */
  readonly pfn: number;
}
export type TtmFaultResult = 'SIGBUS' | TtmBacking;

/** TTM_BO_VM_NUM_PREFAULT: pages a fault maps (the faulting one and those after it). */
export const TTM_BO_VM_NUM_PREFAULT = 16;

export class TtmVma implements TtmMapping {
  /** the cached translations ("PTEs"), page index → backing */
  readonly ptes = new Map<number, TtmBacking>();
  /** pages whose translation a zap removed and that have not faulted since (the refaults) */
  readonly zapped = new Set<number>();
  faults = 0;
  closed = false;
  constructor(readonly bo: TtmBufferObject) {}
  zap(): void {
    for (const page of this.ptes.keys()) this.zapped.add(page);
    this.ptes.clear();
  }
}

/** ttm_bo_mmap_obj: the mapping holds a bo reference and is on the bo's mapping list. */
export function ttmBoMmap(bo: TtmBufferObject): TtmVma {
  ttmBoGet(bo);
  const vma = new TtmVma(bo);
  ttmBoAddMapping(bo, vma);
  return vma;
}

/** ttm_bo_vm_close: its reference goes. */
export function ttmBoVmClose(vma: TtmVma): void {
  if (vma.closed) return;
  vma.closed = true;
  vma.zap();
  vma.zapped.clear();
  vma.bo.mappings.delete(vma);
  ttmBoPut(vma.bo);
}

/**
 * ttm_bo_vm_fault → ttm_bo_vm_reserve + ttm_bo_vm_fault_reserved (6.1):
 *   an imported SG bo (TTM_TT_FLAG_EXTERNAL without _MAPPABLE) → SIGBUS (ttm_bo_vm_reserve:
 *   "Refuse to fault imported pages");
 *   the driver's fault-reserve notify may fail → SIGBUS (amdgpu_gem_fault);
 *   a pipelined move still in transit is waited for (its fences complete);
 *   ttm_mem_io_reserve failure → SIGBUS;
 *   page_offset >= num_pages → SIGBUS;
 *   a use_tt placement is populated (ttm_tt_populate), then the page is inserted, and after
 *   it up to TTM_BO_VM_NUM_PREFAULT − 1 more, speculatively, while they are in the bo and in
 *   the mapping (`end`: the mapping's last bo page + 1); a page already mapped is skipped.
 */
export function ttmBoVmFault(vma: TtmVma, page: number, end = Infinity): TtmFaultResult {
  const bo = vma.bo;
  const bdev = bo.bdev;
  if (bo.destroyed || vma.closed) {
    bdev.warn(`fault on ${bo.destroyed ? 'destroyed' : 'closed'} mapping of bo ${bo.id}`);
    return 'SIGBUS';
  }
  if (bo.ttm && bo.ttm.pageFlags & TTM_TT_FLAG_EXTERNAL && !(bo.ttm.pageFlags & TTM_TT_FLAG_EXTERNAL_MAPPABLE)) return 'SIGBUS';
  if (bdev.funcs.faultReserveNotify && bdev.funcs.faultReserveNotify(bo)) return 'SIGBUS';
  // ttm_bo_vm_fault_reserved: "Wait for buffer data in transit, due to a pipelined move"
  ttmBoWaitMoving(bo);
  const res = bo.resource;
  if (!res) return 'SIGBUS';
  if (bdev.funcs.ioMemReserve && bdev.funcs.ioMemReserve(bdev, res)) return 'SIGBUS';
  if (!Number.isInteger(page) || page < 0 || page >= res.numPages) return 'SIGBUS';
  const man = bdev.managers[res.memType]!;
  if (man.useTt) {
    if (!bo.ttm) bo.ttm = new TtmTt(bo.numPages, bo.ttmFlags);
    bo.ttm.populated = true;
  }
  const store = ttmResourceBacking(bo, res);
  if (!store) return 'SIGBUS';
  const backing = (p: number): TtmBacking => ({ store, index: p, memType: res.memType, pfn: res.memType === TTM_PL_SYSTEM ? p : res.start + p });
  const b = backing(page);
  vma.ptes.set(page, b);
  vma.faults++;
  bdev.stats.faults++;
  if (vma.zapped.delete(page)) {
    bdev.stats.refaults++;
    cover('ttm_bo_vm_fault_reserved:refault');
  } else cover(`ttm_bo_vm_fault_reserved:fault-${res.memType}`);
  // the prefault loop: "Never error on prefaulted PTEs"; it stops at the bo's or the vma's end
  const last = Math.min(res.numPages, end);
  for (let p = page + 1; p < page + TTM_BO_VM_NUM_PREFAULT && p < last; p++) {
    if (vma.ptes.has(p)) continue; // vmf_insert_pfn_prot on a present PTE: nothing to do
    vma.ptes.set(p, backing(p));
    vma.zapped.delete(p);
  }
  return b;
}

/** A CPU access through the mapping: the cached translation, or a fault. */
export function ttmVmaTranslate(vma: TtmVma, page: number, end = Infinity): TtmFaultResult {
  return vma.ptes.get(page) ?? ttmBoVmFault(vma, page, end);
}

/** Writes one byte value over a page through the mapping; 0 or 'SIGBUS'. */
export function ttmVmaWrite(vma: TtmVma, page: number, value: number): 0 | 'SIGBUS' {
  const b = ttmVmaTranslate(vma, page);
  if (b === 'SIGBUS') return b;
  b.store.writable(b.index).fill(value);
  return 0;
}

/** Reads the first byte of a page through the mapping (0 for a never-written page). */
export function ttmVmaRead(vma: TtmVma, page: number): number | 'SIGBUS' {
  const b = ttmVmaTranslate(vma, page);
  if (b === 'SIGBUS') return b;
  return b.store.readable(b.index)?.[0] ?? 0;
}
