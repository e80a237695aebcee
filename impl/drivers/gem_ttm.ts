/**
 * drm_gem_ttm_helper.c and the GEM side of a TTM buffer object: the glue every TTM driver
 * (drm_gem_vram_helper for bochs, amdgpu) shares. One kref story, as in the kernel:
 *  - the GEM object (obj->refcount) holds one TTM reference (bo->kref), dropped at GEM free
 *    (drm_gem_vram_object_free / amdgpu_gem_object_free → ttm_bo_put);
 *  - each CPU mapping holds a TTM reference, not a GEM one (ttm_bo_mmap_obj / ttm_bo_vm_close);
 *    drm_gem_ttm_mmap drops the GEM reference drm_gem_mmap_obj took;
 *  - the fake offset goes when the TTM bo is released (ttm_bo_release: drm_vma_offset_remove),
 *    the GEM object itself when the bo is destroyed (bo->destroy → drm_gem_object_release).
 * Faults go through impl/ttm/bo_vm.ts, whose per-mapping translation cache (the "PTEs") is
 * what a move zaps: impl/core/mm.ts caches nothing and asks VmOps.fault on every access.
 */
import { Errno, PAGE_SIZE } from '../../ir/uapi.ts';
import type { DriverDebug, GemObjectFuncs, VmOps } from '../hooks.ts';
import type { DrmDevice } from '../core/drm_device.ts';
import type { DrmFile } from '../core/drm_file.ts';
import { drmGemCreateMmapOffset, drmGemHandleCreateTail, drmGemObjectInit, drmGemObjectRelease, GemObject } from '../core/drm_gem.ts';
import { ERR_PTR, IS_ERR, type ErrPtr } from '../core/errptr.ts';
import type { Vma } from '../core/mm.ts';
import type { FaultName } from '../faults.ts';
import { ctxOf, ttmBoInitValidate, ttmBoPut, type TtmBoType, type TtmBufferObject, type TtmOperationCtx } from '../ttm/bo.ts';
import { ttmBoMmap, ttmBoVmClose, ttmVmaTranslate, TtmVma } from '../ttm/bo_vm.ts';
import { ttmDeviceInit, type TtmDevice, type TtmDeviceFuncs, type TtmFault } from '../ttm/device.ts';
import type { TtmPlacement } from '../ttm/resource.ts';

/** The kernel's ttm-* fault switches, as the TTM core's planted bugs. */
const TTM_FAULTS: Readonly<Partial<Record<FaultName, TtmFault>>> = {
  'ttm-evict-pinned': 'evict-pinned',
  'ttm-lose-contents': 'lose-contents',
  'ttm-no-zap': 'no-zap-on-move',
  'ttm-wrong-victim': 'wrong-victim',
  'ttm-ignore-busy': 'ignore-busy',
  'ttm-miscount-usage': 'leak-usage',
};

/**
 * ttm_device_init for a DRM device (drm_vram_mm_init, amdgpu_ttm_init): the TTM device with
 * its SYSTEM manager, held by the DrmDevice; the kernel's ttm-* fault switches are planted in
 * it and, when the kernel runs its self-checks, the debug observer is attached. Add the
 * driver's managers (ttmRangeManInit, …) on the returned device.
 */
export function gemTtmDeviceInit(dev: DrmDevice, funcs: TtmDeviceFuncs): TtmDevice {
  const bdev = ttmDeviceInit(funcs);
  for (const f of dev.kernel.faults) {
    const t = TTM_FAULTS[f];
    if (t) bdev.faults.add(t);
  }
  bdev.observer = dev.kernel.ttmObserver?.(bdev) ?? null;
  dev.ttm = bdev;
  return bdev;
}

/** The DrmDevice's TTM device (DriverDebug.ttmDevice for every driver on this glue). */
export const gemTtmDevice = (dev: DrmDevice): TtmDevice | null => dev.ttm;

/** The driver debug hooks of a TTM driver: its TTM device is checked after every call. */
export const gemTtmDriverDebug: DriverDebug = { ttmDevice: gemTtmDevice };

/** A GEM object embedding a TTM bo (struct drm_gem_vram_object, struct amdgpu_bo). */
export class GemTtmObject extends GemObject {
  /** &gbo->bo: set once ttm_bo_init_validate succeeded */
  bo!: TtmBufferObject;
  /** the driver's teardown before drm_gem_object_release (GemTtmCreateOptions.destroy) */
  driverDestroy: ((obj: GemTtmObject) => void) | null = null;
}

/** The bo behind a GEM object on this glue. */
export const gemTtmBo = (obj: GemObject): TtmBufferObject => (obj as GemTtmObject).bo;

/** The GEM object behind a TTM bo (container_of(bo, …, bo)->base). */
export const ttmBoGem = (bo: TtmBufferObject): GemTtmObject => bo.base as GemTtmObject;

/** The mapping's TTM side (vma->vm_private_data = bo, here with its translation cache). */
export const vmaTtm = (vma: Vma): TtmVma => vma.privateData as TtmVma;

/** GEM free (drm_gem_vram_object_free, amdgpu_gem_object_free): the GEM side's TTM reference. */
export function drmGemTtmFree(obj: GemObject): void {
  ttmBoPut(gemTtmBo(obj));
}

/**
 * drm_gem_ttm_mmap → ttm_bo_mmap_obj: no COW mappings ("would have really strange behavior")
 * → EINVAL; the vma holds the TTM bo, not the GEM object, so the reference drm_gem_mmap_obj
 * took is dropped. Drivers with their own mmap checks (amdgpu_gem_object_mmap) call this last.
 */
export function drmGemTtmMmap(obj: GemObject, vma: Vma): number {
  if (vma.isCow) return -Errno.EINVAL;
  vma.privateData = ttmBoMmap(gemTtmBo(obj));
  obj.put();
  return 0;
}

/** ttm_bo_vm_ops as drm_gem_ttm's vmas use them. */
export const gemTtmVmOps: VmOps = {
  // ttm_bo_vm_fault: page_offset = page + vm_pgoff - drm_vma_node_start(&bo->base.vma_node),
  // SIGBUS outside [0, num_pages); a cached translation is used as is, else
  // ttm_bo_vm_fault_reserved resolves the current placement
  fault(vma, page) {
    const tv = vmaTtm(vma);
    const bo = tv.bo;
    const obj = ttmBoGem(bo);
    if (bo.destroyed) {
      obj.dev.kernel.report(`use after free: fault on destroyed ttm bo of object ${obj.id}`);
      return 'SIGBUS';
    }
    const index = page + Number(vma.pgoff) - obj.vmaNode.start;
    if (index < 0 || index >= bo.numPages) return 'SIGBUS';
    const b = ttmVmaTranslate(tv, index, vma.pages + Number(vma.pgoff) - obj.vmaNode.start);
    return b === 'SIGBUS' ? b : { store: b.store, index: b.index };
  },
  // ttm_bo_vm_close
  close(vma) {
    ttmBoVmClose(vmaTtm(vma));
  },
  // the vma holds the TTM bo, not the GEM object; its pages count from the node's start
  debugBacking(vma) {
    const obj = ttmBoGem(vmaTtm(vma).bo);
    return { obj, gemRef: false, firstPage: Number(vma.pgoff) - obj.vmaNode.start };
  },
};

/**
 * bo->kref (ttm_buffer_object): one reference while the GEM object lives, one per mapping
 * (ttm_bo_mmap_obj, ttm_bo_vm_close), the delayed-destroy list's for a zombie.
 */
export function gemTtmDebugCheck(obj: GemObject, mappings: readonly Vma[], report: (invariant: string, message: string) => void): void {
  const bo = gemTtmBo(obj);
  let want = (obj.refcount.count > 0 ? 1 : 0) + (bo.deleted && bo.bdev.ddestroy.has(bo) ? 1 : 0);
  for (const vma of mappings) {
    const tv = vma.privateData;
    if (!(tv instanceof TtmVma) || tv.bo !== bo) continue;
    want++;
    if (!bo.mappings.has(tv)) report('ttm-stale-mapping', `object ${obj.id}: a mapping is not on its ttm bo's mapping list (a move would not zap it)`);
  }
  if (bo.kref.count !== want) report('refcount-balance', `ttm bo of object ${obj.id}: refcount ${bo.kref.count}, holders ${want}`);
  if (bo.destroyed) report('no-use-after-free', `object ${obj.id} is registered but its ttm bo was destroyed`);
}

/** drm_gem_object_funcs of a TTM GEM object; drivers spread it and override (e.g. mmap). */
export const gemTtmFuncs: GemObjectFuncs = {
  free: drmGemTtmFree,
  mmap: drmGemTtmMmap,
  vmOps: gemTtmVmOps,
  debug: { check: gemTtmDebugCheck },
};

export interface GemTtmCreateOptions<T extends GemTtmObject> {
  /** ttm_bo_type (default 'device': with a fake offset; 'kernel' has none) */
  readonly type?: TtmBoType;
  readonly priority?: number;
  readonly ctx?: TtmOperationCtx;
  /** the object's funcs (default gemTtmFuncs) */
  readonly funcs?: GemObjectFuncs;
  /** builds the (driver's subclass of the) object, before any TTM state exists */
  readonly make?: (dev: DrmDevice, size: number, funcs: GemObjectFuncs) => T;
  /** driver teardown before drm_gem_object_release (bo->destroy: amdgpu_bo_destroy, …) */
  readonly destroy?: (obj: T) => void;
  /** ttm_bo_init options passed through (ttm_tt flags of an sg bo, bulk move) */
  readonly ttmFlags?: number;
}

/**
 * A TTM-backed GEM object: drm_gem_object_init, the fake offset (ttm_bo_init_reserved's
 * drm_vma_offset_add, device and sg bos), then ttm_bo_init_validate in `placement`. On failure
 * the bo was put (its destroy released the GEM object) and the errno comes back.
 */
export function gemTtmCreate<T extends GemTtmObject = GemTtmObject>(dev: DrmDevice, bdev: TtmDevice, size: number, placement: TtmPlacement, o: GemTtmCreateOptions<T> = {}): T | ErrPtr {
  const bytes = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
  const funcs = o.funcs ?? gemTtmFuncs;
  const obj = o.make ? o.make(dev, bytes, funcs) : (new GemTtmObject(dev, bytes, funcs) as T);
  drmGemObjectInit(obj);
  const type = o.type ?? 'device';
  if (type !== 'kernel') {
    const ret = drmGemCreateMmapOffset(obj);
    if (ret) {
      drmGemObjectRelease(obj);
      return ERR_PTR(-ret);
    }
  }
  // the driver's destroy rides on the object (no per-object closures: 100 000 bos keep lean)
  obj.driverDestroy = (o.destroy as ((obj: GemTtmObject) => void) | undefined) ?? null;
  const bo = ttmBoInitValidate(bdev, bytes, type, placement, o.ctx ?? ctxOf(), {
    priority: o.priority,
    ttmFlags: o.ttmFlags,
    base: obj,
    destroy: gemTtmBoDestroy,
    vmaOffsetRemove: gemTtmVmaOffsetRemove,
  });
  if (typeof bo === 'number') {
    if (!obj.freed) gemTtmObjectDestroy(obj); // refused before a bo existed (bad size or priority)
    return ERR_PTR(-bo);
  }
  obj.bo = bo;
  return obj;
}

/** bo->destroy of a GEM-embedded bo: the driver's teardown, then drm_gem_object_release. */
function gemTtmObjectDestroy(obj: GemTtmObject): void {
  obj.driverDestroy?.(obj);
  drmGemObjectRelease(obj);
}
const gemTtmBoDestroy = (bo: TtmBufferObject): void => gemTtmObjectDestroy(ttmBoGem(bo));
/** ttm_bo_release's drm_vma_offset_remove(bdev->vma_manager, &bo->base.vma_node). */
const gemTtmVmaOffsetRemove = (bo: TtmBufferObject): void => {
  const obj = ttmBoGem(bo);
  obj.dev.vmaOffsetManager.remove(obj.vmaNode);
};

/** gemTtmCreate plus a handle; the creation reference goes once the handle exists. */
export function gemTtmCreateWithHandle<T extends GemTtmObject = GemTtmObject>(
  file: DrmFile,
  dev: DrmDevice,
  bdev: TtmDevice,
  size: number,
  placement: TtmPlacement,
  o: GemTtmCreateOptions<T> = {},
): { obj: T; handle: number } | ErrPtr {
  const obj = gemTtmCreate(dev, bdev, size, placement, o);
  if (IS_ERR(obj)) return obj;
  const handle = drmGemHandleCreateTail(file, obj);
  obj.put();
  return handle < 0 ? ERR_PTR(-handle) : { obj, handle };
}
