/**
 * struct amdgpu_bo on the drm_gem_ttm glue (gem_ttm.ts): creation (amdgpu_bo_create,
 * amdgpu_gem_object_create), the GEM object funcs (amdgpu_gem_object_open/close/mmap,
 * amdgpu_gem_prime_export's refusals, the dma-buf pin of a non-dynamic importer), the CPU
 * fault path and the legacy amdgpu_mmap → ttm_bo_mmap path of ≤5.13 kernels.
 */
import { Errno, PAGE_SIZE } from '../../../ir/uapi.ts';
import type { DebugReport, GemObjectFuncs, VmOps } from '../../hooks.ts';
import type { DrmDevice } from '../../core/drm_device.ts';
import type { DrmFile } from '../../core/drm_file.ts';
import type { GemObject } from '../../core/drm_gem.ts';
import type { DmaBuf } from '../../core/dma_buf.ts';
import { drmPrimeGemDestroy } from '../../core/drm_prime.ts';
import { ERR_PTR, IS_ERR, type ErrPtr } from '../../core/errptr.ts';
import { VM_MAYWRITE, type Vma } from '../../core/mm.ts';
import type { File } from '../../core/vfs.ts';
import { ttmBoGetUnlessZero, ttmBoMoveToLruTail, ttmBoPin, ttmBoPut, ttmBoUnpin, ttmBoValidate, TTM_TT_FLAG_EXTERNAL, type TtmBoType } from '../../ttm/bo.ts';
import { ttmBoMmap } from '../../ttm/bo_vm.ts';
import { TTM_PL_FLAG_CONTIGUOUS, TTM_PL_VRAM } from '../../ttm/resource.ts';
import { drmGemTtmMmap, gemTtmCreate, gemTtmDebugCheck, gemTtmFuncs, gemTtmVmOps, GemTtmObject, vmaTtm } from '../gem_ttm.ts';
import {
  both,
  CREATE_CPU_ACCESS_REQUIRED,
  CREATE_CPU_GTT_USWC,
  CREATE_DISCARDABLE,
  CREATE_NO_CPU_ACCESS,
  CREATE_VM_ALWAYS_VALID,
  CREATE_VRAM_CONTIGUOUS,
  DOMAIN_CPU,
  DOMAIN_GDS,
  DOMAIN_GTT,
  DOMAIN_GWS,
  DOMAIN_OA,
  DOMAIN_VRAM,
  memTypeToDomain,
  ON_CHIP,
  placementFromDomain,
  type AmdgpuBoState,
  type AmdgpuDevice,
} from './ttm.ts';

/** DRM_FILE_PAGE_OFFSET_SIZE: more pages than this never get a fake offset (drm_vma_offset_add → ENOSPC). */
const OFFSET_SPACE_PAGES = 0xfffff * 256;

/** struct amdgpu_bo: the GEM+TTM object with amdgpu's domains and flags. */
export class AmdgpuBo extends GemTtmObject implements AmdgpuBoState {
  flags = 0;
  preferred = 0;
  allowed = 0;
  userptr = false;
  /** tbo.page_alignment << PAGE_SHIFT as GET_GEM_CREATE_INFO reports it (u32 arithmetic) */
  alignment = 0n;
  /** VM_ALWAYS_VALID: the file whose VM root reservation the bo shares */
  vmFile: DrmFile | null = null;
  /** pins taken (the pin ioctl, dma-buf attachments) less unpins: debug bookkeeping */
  pinsTaken = 0;
  readonly adev: AmdgpuDevice;
  constructor(dev: DrmDevice, size: number, funcs: GemObjectFuncs, adev: AmdgpuDevice) {
    super(dev, size, funcs);
    this.adev = adev;
  }
}

export const isAmdgpuBo = (obj: GemObject): obj is AmdgpuBo => obj instanceof AmdgpuBo;

/** The unreserve at the end of every reserve/…/unreserve section: the bo's LRU tail. */
export function unreserveTail(abo: AmdgpuBo): void {
  if (abo.bo && !abo.bo.destroyed) ttmBoMoveToLruTail(abo.bo);
}

export interface BoCreateArgs {
  size: bigint;
  /** bp->byte_align, an int */
  byteAlign: number;
  domain: number;
  flags: number;
  type: TtmBoType;
  /** the dma-buf of an sg bo (its reservation object is shared) */
  sgBuf?: DmaBuf;
  vmFile?: DrmFile | null;
}

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);

/** amdgpu_bo_validate_size: with GTT in the domains, size < GTT size; else with VRAM, size <
 * VRAM size; no check for the other domains. */
function validateSize(adev: AmdgpuDevice, bytes: bigint, domain: number): boolean {
  if (domain & DOMAIN_GTT) return bytes < BigInt(adev.gttPages) * BigInt(PAGE_SIZE);
  if (domain & DOMAIN_VRAM) return bytes < BigInt(adev.vramPages) * BigInt(PAGE_SIZE);
  return true;
}

/** amdgpu_bo_create + amdgpu_gem_object_create (6.1): sizes and alignment, validate_size,
 * the object initialised in SYSTEM and validated to its domains' placement, preferred and
 * allowed domains, priority, and CPU_ACCESS_REQUIRED dropped for device bos afterwards. */
export function amdgpuBoCreate(adev: AmdgpuDevice, dev: DrmDevice, a: BoCreateArgs): AmdgpuBo | ErrPtr {
  let bytes: bigint;
  let pageAlign: bigint;
  if (a.domain & (DOMAIN_GWS | DOMAIN_OA)) {
    // "GWS and OA don't need any alignment": sizes in units
    pageAlign = BigInt(a.byteAlign);
    bytes = u64(a.size << 12n);
  } else if (a.domain & DOMAIN_GDS) {
    // "Both size and alignment must be a multiple of 4"
    pageAlign = BigInt((a.byteAlign + 3) & ~3);
    bytes = u64(((a.size + 3n) & ~3n) << 12n);
  } else {
    pageAlign = u64(BigInt(a.byteAlign) + 4095n) >> 12n;
    bytes = u64(a.size + 4095n) & ~4095n;
  }
  if (!validateSize(adev, bytes, a.domain)) return ERR_PTR(Errno.ENOMEM);
  // drm_vma_offset_add of 0 pages or of more than the offset space: -ENOSPC (unverified for 0)
  const pages = bytes >> 12n;
  if (pages === 0n || pages > BigInt(OFFSET_SPACE_PAGES)) return ERR_PTR(Errno.ENOSPC);
  const preferred = a.domain;
  let allowed = preferred;
  if (a.type !== 'kernel' && !(a.flags & CREATE_DISCARDABLE) && allowed === DOMAIN_VRAM) allowed |= DOMAIN_GTT;
  const flags = a.flags;
  // amdgpu_bo_create: on-chip bos start in CPU ("if (bp->domain & (GWS|OA|GDS))
  // amdgpu_bo_placement_from_domain(bo, CPU)"): their manager is reached at the first CS
  const initial = a.domain & ON_CHIP ? DOMAIN_CPU : a.domain;
  const obj = gemTtmCreate<AmdgpuBo>(dev, adev.bdev, Number(bytes), both(placementFromDomain(adev, flags, initial)), {
    type: a.type,
    // DISCARDABLE 0, user bos 1 (kernel bos 2: none here)
    priority: a.flags & CREATE_DISCARDABLE ? 0 : 1,
    funcs: amdgpuGemFuncs,
    ttmFlags: a.type === 'sg' ? TTM_TT_FLAG_EXTERNAL : 0,
    make: (d, sz, f) => {
      const o = new AmdgpuBo(d, sz, f, adev);
      o.flags = flags;
      o.preferred = preferred;
      o.allowed = allowed;
      o.alignment = u32(u32(pageAlign) << 12n);
      o.vmFile = a.vmFile ?? null;
      if (a.sgBuf) {
        o.importAttach = null;
        o.resv = a.sgBuf.resv; // amdgpu_dma_buf_create_obj: resv = dma_buf->resv
      }
      return o;
    },
    destroy: amdgpuBoDestroy,
  });
  if (IS_ERR(obj)) return obj;
  // amdgpu_bo_create: "if (bp->type == ttm_bo_type_device) bo->flags &= ~CPU_ACCESS_REQUIRED"
  if (a.type === 'device') obj.flags &= ~CREATE_CPU_ACCESS_REQUIRED;
  return obj;
}

/** amdgpu_bo_destroy: an import's attachment goes (drm_prime_gem_destroy). */
function amdgpuBoDestroy(o: AmdgpuBo): void {
  if (o.importAttach) drmPrimeGemDestroy(o);
}

/** amdgpu_bo_pin_restricted(bo, domain, 0, 0) (6.1). */
export function amdgpuBoPin(abo: AmdgpuBo, domainIn: number): number {
  const bo = abo.bo;
  const adev = abo.adev;
  // amdgpu_bo_pin: "bo->flags |= AMDGPU_GEM_CREATE_VRAM_CONTIGUOUS" before anything else
  abo.flags |= CREATE_VRAM_CONTIGUOUS;
  if (abo.userptr) return -Errno.EPERM;
  let domain = domainIn;
  // "Check domain to be pinned to against preferred domains"
  if (abo.preferred & domain) domain = abo.preferred & domain;
  // "A shared bo cannot be migrated to VRAM"
  if (abo.importAttach) {
    if (domain & DOMAIN_GTT) domain = DOMAIN_GTT;
    else return -Errno.EINVAL;
  }
  if (bo.pinCount) {
    const res = bo.resource!;
    if (!(domain & memTypeToDomain(res.memType))) return -Errno.EINVAL;
    if (res.memType === TTM_PL_VRAM && abo.flags & CREATE_VRAM_CONTIGUOUS && !(res.placement & TTM_PL_FLAG_CONTIGUOUS)) return -Errno.EINVAL;
    ttmBoPin(bo);
    abo.pinsTaken++;
    return 0;
  }
  // the importer side's dma_buf_pin(import_attach) pins nothing here: the exporters that
  // reach amdgpu (vgem) are not dynamic
  // "force to pin into visible video ram"
  if (!(abo.flags & CREATE_NO_CPU_ACCESS)) abo.flags |= CREATE_CPU_ACCESS_REQUIRED;
  const r = ttmBoValidate(bo, both(placementFromDomain(adev, abo.flags, domain)), { interruptible: false, noWaitGpu: false });
  if (r) return r;
  ttmBoPin(bo);
  abo.pinsTaken++;
  return 0;
}

/** amdgpu_bo_unpin. */
export function amdgpuBoUnpin(abo: AmdgpuBo): void {
  if (!ttmBoUnpin(abo.bo)) abo.pinsTaken--;
}

/** amdgpu_gem_object_mmap (6.1) / the legacy amdgpu_verify_access checks (≤5.13). */
function amdgpuGemObjectMmap(obj: GemObject, vma: Vma): number {
  const abo = obj as AmdgpuBo;
  const k = obj.dev.kernel;
  if (abo.userptr && !k.faults.has('amdgpu-userptr-mmap')) return -Errno.EPERM;
  if (k.profile.amdgpuLegacyMmap) {
    // ttm_bo_mmap through drm_gem_prime_mmap's fake file (5.10): no NO_CPU_ACCESS check
    return drmGemTtmMmap(obj, vma);
  }
  if (abo.flags & CREATE_NO_CPU_ACCESS) return -Errno.EPERM;
  // "Workaround for Thunk bug creating PROT_NONE,MAP_PRIVATE mappings"
  if (vma.isCow && !(vma.flags & 7)) vma.flags &= ~VM_MAYWRITE;
  return drmGemTtmMmap(obj, vma);
}

/** amdgpu_gem_fault: ttm_bo_vm_reserve refuses imported (sg) pages, then the glue's fault
 * (amdgpu_bo_fault_reserve_notify is the TTM device's faultReserveNotify). */
export const amdgpuVmOps: VmOps = {
  ...gemTtmVmOps,
  fault(vma, page) {
    if (vmaTtm(vma).bo.type === 'sg') return 'SIGBUS';
    return gemTtmVmOps.fault(vma, page);
  },
};

/** The dma-buf pin of a non-dynamic importer (amdgpu_dma_buf_pin: pin into GTT) under a
 * plain dma_resv_lock/unlock: no LRU move, so 6.1's lazy pinned list shows — the bo stays on
 * its LRU (skipped, pinned) until its next unreserve; an unpinned one stays on bdev->pinned. */
function amdgpuDmaBufPin(obj: GemObject): number {
  const abo = obj as AmdgpuBo;
  const r = amdgpuBoPin(abo, DOMAIN_GTT);
  if (!r) abo.bo.lruLazy = true;
  return r;
}
function amdgpuDmaBufUnpin(obj: GemObject): void {
  const abo = obj as AmdgpuBo;
  if (!abo.bo.pinCount) return; // WARN_ON_ONCE(!pin_count): a detach after a user unpin
  amdgpuBoUnpin(abo);
  abo.bo.lruLazy = true;
}

/** amdgpu-specific self-checks beside the glue's. */
function amdgpuDebugCheck(obj: GemObject, mappings: readonly Vma[], report: DebugReport): void {
  gemTtmDebugCheck(obj, mappings, report);
  const abo = obj as AmdgpuBo;
  const bo = abo.bo;
  if (!bo) return;
  const k = obj.dev.kernel;
  if (abo.userptr && mappings.length) report('amdgpu-userptr', `userptr object ${obj.id} is mapped`);
  if (!bo.deleted && bo.pinCount !== abo.pinsTaken) report('amdgpu-pins', `object ${obj.id}: pin_count ${bo.pinCount}, pins taken less unpins ${abo.pinsTaken}`);
  if (bo.type === 'sg' && bo.resource?.memType === TTM_PL_VRAM) report('amdgpu-sg', `imported object ${obj.id} is in VRAM`);
  if (!k.profile.amdgpuLegacyMmap && abo.flags & CREATE_NO_CPU_ACCESS && mappings.length) report('amdgpu-no-cpu-access', `NO_CPU_ACCESS object ${obj.id} is mapped`);
}

export const amdgpuGemFuncs: GemObjectFuncs = {
  ...gemTtmFuncs,
  // amdgpu_gem_object_open: a userptr of another mm / a VM_ALWAYS_VALID bo of another VM →
  // EPERM before the reservation; otherwise reserve … unreserve (LRU tail)
  open(obj, file) {
    const abo = obj as AmdgpuBo;
    if (abo.flags & CREATE_VM_ALWAYS_VALID && abo.vmFile !== file) return -Errno.EPERM;
    unreserveTail(abo);
    return 0;
  },
  // amdgpu_gem_object_close: ttm_eu_reserve_buffers … ttm_eu_backoff_reservation
  close(obj) {
    unreserveTail(obj as AmdgpuBo);
  },
  mmap: amdgpuGemObjectMmap,
  pin: amdgpuDmaBufPin,
  unpin: amdgpuDmaBufUnpin,
  // amdgpu_gem_prime_export: userptr or VM_ALWAYS_VALID → EPERM
  exportCheck(obj) {
    const abo = obj as AmdgpuBo;
    return abo.userptr || abo.flags & CREATE_VM_ALWAYS_VALID ? -Errno.EPERM : 0;
  },
  vmOps: amdgpuVmOps,
  debug: { check: amdgpuDebugCheck },
};

/** amdgpu_gem_prime_import (6.1): an amdgpu dma-buf of this device is the same object; any
 * other becomes an sg bo (amdgpu_dma_buf_create_obj: domain CPU, preferred = allowed = GTT,
 * the dma-buf's resv) attached dynamically (no pin of the exporter). */
export function amdgpuGemPrimeImport(adev: AmdgpuDevice, dev: DrmDevice, buf: DmaBuf): GemObject | ErrPtr {
  if (buf.priv.dev === dev && isAmdgpuBo(buf.priv)) {
    buf.priv.get();
    return buf.priv;
  }
  // "flags |= other->flags & (CPU_GTT_USWC | COHERENT | UNCACHED)" for an amdgpu exporter
  const flags = isAmdgpuBo(buf.priv) ? buf.priv.flags & CREATE_CPU_GTT_USWC : 0;
  const obj = amdgpuBoCreate(adev, dev, { size: BigInt(buf.size), byteAlign: PAGE_SIZE, domain: DOMAIN_CPU, flags, type: 'sg', sgBuf: buf });
  if (IS_ERR(obj)) return obj;
  obj.preferred = DOMAIN_GTT;
  obj.allowed = DOMAIN_GTT;
  buf.file.get(); // get_dma_buf: the attachment's reference
  obj.importAttach = buf;
  return obj;
}

/** amdgpu_mmap → ttm_bo_mmap (≤5.13): the node containing the range (non-exact lookup) →
 * EINVAL if none; amdgpu_verify_access: userptr → EPERM, the allow list → EACCES; no COW. */
export function amdgpuLegacyMmap(filp: File, vma: Vma): number {
  const file = filp.priv as DrmFile;
  const mgr = file.dev.vmaOffsetManager;
  if (vma.pgoff > BigInt(Number.MAX_SAFE_INTEGER)) return -Errno.EINVAL;
  const node = mgr.lookup(Number(vma.pgoff), vma.pages);
  if (!node) return -Errno.EINVAL;
  const obj = node.owner as GemObject;
  if (!isAmdgpuBo(obj) || !obj.bo) return -Errno.EINVAL;
  const bo = obj.bo;
  if (!ttmBoGetUnlessZero(bo)) return -Errno.EINVAL; // ttm_bo_vm_lookup
  let ret = 0;
  if (obj.userptr && !obj.dev.kernel.faults.has('amdgpu-userptr-mmap')) ret = -Errno.EPERM;
  else if (!mgr.isAllowed(node, file)) ret = -Errno.EACCES;
  else if (vma.isCow) ret = -Errno.EINVAL;
  if (!ret) {
    vma.privateData = ttmBoMmap(bo);
    vma.ops = amdgpuVmOps;
  }
  ttmBoPut(bo);
  return ret;
}

