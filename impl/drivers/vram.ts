/**
 * drm_gem_vram_helper.c over a minimal TTM buffer object, as far as userspace can see it:
 * BOs are created in system memory, their offset exists from ttm_bo_init, a mapping holds
 * a TTM reference (drm_gem_ttm_mmap drops the GEM one), and the offset goes only when the
 * TTM reference count reaches zero (ttm_bo_release). Placement and eviction come with TTM.
 */
import { Errno, PAGE_SIZE } from '../../ir/uapi.ts';
import type { GemObjectFuncs, VmOps } from '../hooks.ts';
import type { DrmDevice } from '../core/drm_device.ts';
import type { DrmFile } from '../core/drm_file.ts';
import { drmGemCreateMmapOffset, drmGemHandleCreateTail, drmGemObjectInit, drmGemObjectRelease, GemObject } from '../core/drm_gem.ts';
import { ERR_PTR, type ErrPtr } from '../core/errptr.ts';
import { Kref } from '../core/kref.ts';
import { PageStore } from '../core/pages.ts';

/** struct ttm_buffer_object, reduced: its own kref and the backing pages. */
export class TtmBo {
  readonly kref: Kref;
  readonly store: PageStore;
  released = false;
  constructor(readonly gem: VramObject) {
    this.store = new PageStore(gem.size / PAGE_SIZE);
    this.kref = new Kref(() => this.release(), (m) => gem.dev.kernel.report(`ttm bo of object ${gem.id}: ${m}`));
  }
  /** ttm_bo_release → drm_gem_vram_destroy: the offset, the GEM object and the memory go. */
  private release(): void {
    this.released = true;
    this.store.release();
    drmGemObjectRelease(this.gem);
  }
}

export class VramObject extends GemObject {
  readonly bo: TtmBo;
  constructor(dev: DrmDevice, size: number) {
    super(dev, size, vramFuncs);
    this.bo = new TtmBo(this);
  }
}

const ttmVmOps: VmOps = {
  // ttm_bo_vm_fault: page_offset >= PFN_UP(size) → SIGBUS; pages are populated on demand
  fault(vma, page) {
    const bo = vma.privateData as TtmBo;
    if (bo.released) {
      bo.gem.dev.kernel.report(`use after free: fault on released ttm bo of object ${bo.gem.id}`);
      return 'SIGBUS';
    }
    const index = page + Number(vma.pgoff) - bo.gem.vmaNode.start;
    if (index < 0 || index >= bo.gem.size / PAGE_SIZE) return 'SIGBUS';
    return { store: bo.store, index };
  },
  // ttm_bo_vm_close
  close(vma) {
    (vma.privateData as TtmBo).kref.put();
  },
  // the vma holds the TTM bo, not the GEM object; its pages count from the node's start
  debugBacking(vma) {
    const bo = vma.privateData as TtmBo;
    return { obj: bo.gem, gemRef: false, firstPage: Number(vma.pgoff) - bo.gem.vmaNode.start };
  },
};

const vramFuncs: GemObjectFuncs = {
  // drm_gem_vram_object_free → ttm_bo_put: the GEM side's TTM reference goes
  free(obj) {
    (obj as VramObject).bo.kref.put();
  },
  // drm_gem_ttm_mmap → ttm_bo_mmap_obj: no COW; the vma holds the TTM bo, not the GEM object
  mmap(obj, vma) {
    if (vma.isCow) return -Errno.EINVAL;
    const bo = (obj as VramObject).bo;
    bo.kref.get();
    vma.privateData = bo;
    obj.put(); // drop the reference drm_gem_mmap_obj took
    return 0;
  },
  vmOps: ttmVmOps,
  debug: {
    // ttm_buffer_object.kref: one reference while the GEM object lives (dropped by
    // drm_gem_vram_object_free), one per mapping (ttm_bo_mmap_obj, ttm_bo_vm_close)
    check(obj, mappings, report) {
      const bo = (obj as VramObject).bo;
      let want = obj.refcount.count > 0 ? 1 : 0;
      for (const vma of mappings) if (vma.privateData === bo) want++;
      if (bo.kref.count !== want) report('refcount-balance', `ttm bo of object ${obj.id}: refcount ${bo.kref.count}, holders ${want}`);
      if (bo.released) report('no-use-after-free', `object ${obj.id} is registered but its ttm bo was released`);
    },
  },
};

/** drm_gem_vram_create: TTM init in system memory, with its fake offset. */
export function vramCreate(dev: DrmDevice, size: number): VramObject | ErrPtr {
  const obj = new VramObject(dev, Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
  drmGemObjectInit(obj);
  const ret = drmGemCreateMmapOffset(obj);
  if (ret) {
    obj.put();
    return ERR_PTR(-ret);
  }
  return obj;
}

export function vramCreateWithHandle(file: DrmFile, dev: DrmDevice, size: number): { obj: VramObject; handle: number } | ErrPtr {
  const obj = vramCreate(dev, size);
  if (!(obj instanceof VramObject)) return obj;
  const handle = drmGemHandleCreateTail(file, obj);
  obj.put();
  return handle < 0 ? ERR_PTR(-handle) : { obj, handle };
}
