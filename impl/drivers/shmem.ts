/**
 * drm_gem_shmem_helper.c, as vgem uses it: objects backed by sparse pages, created with their
 * fake offset, mmap refusing COW mappings and redirecting imports to the exporter.
 */
import { Errno, PAGE_SIZE } from '../../ir/uapi.ts';
import type { DumbArgs, GemObjectFuncs, VmOps } from '../hooks.ts';
import type { DrmDevice } from '../core/drm_device.ts';
import type { DrmFile } from '../core/drm_file.ts';
import { dmaBufMmap, type DmaBuf } from '../core/dma_buf.ts';
import { drmGemCreateMmapOffset, drmGemHandleCreateTail, drmGemObjectInit, drmGemObjectRelease, drmGemVmClose, GemObject } from '../core/drm_gem.ts';
import { drmPrimeGemDestroy } from '../core/drm_prime.ts';
import { ERR_PTR, IS_ERR, type ErrPtr } from '../core/errptr.ts';
import { PageStore } from '../core/pages.ts';

export class ShmemObject extends GemObject {
  readonly store: PageStore;
  constructor(dev: DrmDevice, size: number) {
    super(dev, size, shmemFuncs);
    this.store = new PageStore(size / PAGE_SIZE);
  }
}

const shmemVmOps: VmOps = {
  // drm_gem_shmem_fault: the page index comes from the address, not vm_pgoff (which holds
  // the fake offset), so any mapping shows the object from its first page.
  fault(vma, page) {
    const obj = vma.privateData as ShmemObject;
    if (!obj.touch('fault')) return 'SIGBUS';
    if (page >= obj.size / PAGE_SIZE) return 'SIGBUS';
    return { store: obj.store, index: page };
  },
  close: drmGemVmClose,
};

export const shmemFuncs: GemObjectFuncs = {
  // drm_gem_shmem_free (via the driver's free): imports drop their attachment.
  free(obj) {
    if (obj.importAttach) drmPrimeGemDestroy(obj);
    (obj as ShmemObject).store.release();
    drmGemObjectRelease(obj);
  },
  // drm_gem_shmem_mmap
  mmap(obj, vma) {
    if (obj.importAttach) {
      // the mapping's object reference is dropped; the exporter's mmap takes over
      obj.put();
      vma.privateData = null;
      vma.ops = null;
      return dmaBufMmap(obj.dmaBuf ?? obj.importAttach, vma, 0n);
    }
    if (vma.isCow) return -Errno.EINVAL;
    return 0; // drm_gem_shmem_get_pages: all pages pinned (sparse here, so free)
  },
  vmOps: shmemVmOps,
  debug: {
    // drm_gem_mmap refuses writable mappings of read-only nodes (v4.19..v5.13), so nothing
    // may ever have written a read-only object's pages
    check(obj, _mappings, report) {
      if (obj.vmaNode.readonly && obj.dev.kernel.profile.readonlyNodes && (obj as ShmemObject).store.residentPages > 0)
        report('read-only', `read-only object ${obj.id} has written pages`);
    },
  },
};

/** __drm_gem_shmem_create: object init plus its fake offset. */
export function shmemCreate(dev: DrmDevice, size: number): ShmemObject | ErrPtr {
  const obj = new ShmemObject(dev, Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
  drmGemObjectInit(obj);
  const ret = drmGemCreateMmapOffset(obj);
  if (ret) {
    obj.put();
    return ERR_PTR(-ret);
  }
  return obj;
}

/** drm_gem_shmem_create_with_handle: the creation reference goes once the handle exists. */
export function shmemCreateWithHandle(file: DrmFile, dev: DrmDevice, size: number): { obj: ShmemObject; handle: number } | ErrPtr {
  const obj = shmemCreate(dev, size);
  if (!(obj instanceof ShmemObject)) return obj;
  const handle = drmGemHandleCreateTail(file, obj);
  obj.put();
  return handle < 0 ? ERR_PTR(-handle) : { obj, handle };
}

/** drm_gem_shmem_prime_import_sg_table: a private object of the dma-buf's size. */
export function shmemImport(dev: DrmDevice, buf: DmaBuf): GemObject | ErrPtr {
  return shmemCreate(dev, buf.size);
}

/** drm_gem_shmem_dumb_create: min_pitch = DIV_ROUND_UP(width * bpp, 8), size =
 * PAGE_ALIGN(pitch * height), all in u32 (the __u32 args): the product wraps, and so does
 * DIV_ROUND_UP's `(n) + (d) - 1`, so width*bpp in 0xfffffff9..0xffffffff gives pitch 0. A
 * 0-byte object is then refused by the offset manager (drm_mm_insert_node_in_range: size 0
 * → ENOSPC). Seen on 6.1: corpus/regressions/dumb-pitch-wrap.prog. */
export function shmemDumbCreate(file: DrmFile, dev: DrmDevice, args: DumbArgs): number {
  const pitch = ((Math.imul(args.width, args.bpp) + 7) >>> 0) >>> 3;
  const bytes = Math.imul(pitch, args.height) >>> 0;
  const size = ((bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) >>> 0; // PAGE_ALIGN on a u32
  if (dev.kernel.faults.has('throw-on-huge-dumb') && args.width > 0x10000000) throw new RangeError('dumb too large');
  args.pitch = pitch;
  args.size = BigInt(size);
  const r = shmemCreateWithHandle(file, dev, size);
  if (IS_ERR(r)) return -r.errno;
  args.handle = r.handle;
  return 0;
}
