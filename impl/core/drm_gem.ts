/**
 * GEM objects and handles (drivers/gpu/drm/drm_gem.c): kref lifetime, handle_count, flink
 * names, the handle table, and mmap of the DRM fd.
 */
import type { GemObjectFuncs } from '../hooks.ts';
import { Errno, PAGE_SIZE, PROT_WRITE } from '../../ir/uapi.ts';
import type { DrmDevice } from './drm_device.ts';
import type { DrmFile } from './drm_file.ts';
import type { DmaBuf } from './dma_buf.ts';
import { Kref } from './kref.ts';
import { VmaNode } from './drm_vma_manager.ts';
import { DmaResv } from './resv.ts';
import type { Vma } from './mm.ts';
import { VM_MAYWRITE } from './mm.ts';
import type { File } from './vfs.ts';
import { cover } from '../cover.ts';

export class GemObject {
  /** per kernel instance, for reports */
  readonly id: number;
  readonly refcount: Kref<GemObject>;
  handleCount = 0;
  name = 0;
  dmaBuf: DmaBuf | null = null;
  importAttach: DmaBuf | null = null;
  /** the import's attachment pinned the exporter's buffer (a non-dynamic importer) */
  importPinned = false;
  readonly vmaNode = new VmaNode(this);
  /** obj->_resv, embedded */
  readonly ownResv = new DmaResv(this);
  /** obj->resv: &obj->_resv, or a foreign import's dma_buf->resv */
  resv = this.ownResv;
  freed = false;
  constructor(
    readonly dev: DrmDevice,
    readonly size: number,
    readonly funcs: GemObjectFuncs,
  ) {
    this.id = dev.kernel.nextId('object');
    this.refcount = new Kref<GemObject>(this, gemFree, gemKrefReport);
  }
  /** Any use of a freed object is recorded as a violation (the object stays poisoned). */
  touch(what: string): boolean {
    if (this.freed) this.dev.kernel.report(`use after free: ${what} on object ${this.id}`);
    return !this.freed;
  }
  get(): void {
    this.touch('get');
    this.refcount.get();
  }
  put(): void {
    this.touch('put');
    this.refcount.put();
  }
}

const gemFree = (obj: GemObject): void => obj.funcs.free(obj);
const gemKrefReport = (obj: GemObject, m: string): void => obj.dev.kernel.report(`object ${obj.id}: ${m}`);

/** drm_gem_private_object_init: kref 1, registered with the device. */
export function drmGemObjectInit(obj: GemObject): void {
  obj.dev.objects.add(obj);
}

/** drm_gem_create_mmap_offset: 0 or -ENOSPC. */
export function drmGemCreateMmapOffset(obj: GemObject): number {
  return obj.dev.vmaOffsetManager.add(obj.vmaNode, obj.size / PAGE_SIZE) ? 0 : -Errno.ENOSPC;
}

/** drm_gem_object_release: offset and own reservation object freed, object poisoned.
 * Drivers call it from free. */
export function drmGemObjectRelease(obj: GemObject): void {
  // drm_gem_private_object_fini: WARN_ON(obj->dma_buf)
  if (obj.dmaBuf) obj.dev.kernel.warn('dma-buf-needs-handle', `object ${obj.id} freed with obj->dma_buf set`);
  obj.dev.vmaOffsetManager.remove(obj.vmaNode);
  obj.ownResv.fini();
  obj.dev.objects.delete(obj);
  obj.freed = true;
}

/** drm_gem_handle_create_tail: the first handle takes the handles' single reference. */
export function drmGemHandleCreateTail(file: DrmFile, obj: GemObject): number {
  obj.touch('handle create');
  if (obj.handleCount++ === 0) {
    cover('drm_gem_handle_create_tail:first-handle');
    obj.get();
  } else cover('drm_gem_handle_create_tail:another-handle');
  const handle = file.objectIdr.alloc(obj);
  if (handle < 0) {
    cover('drm_gem_handle_create_tail:enospc');
    drmGemObjectHandlePut(obj);
    return -Errno.ENOSPC;
  }
  obj.dev.vmaOffsetManager.allow(obj.vmaNode, file);
  if (obj.funcs.open) {
    const ret = obj.funcs.open(obj, file);
    if (ret) {
      obj.dev.vmaOffsetManager.revoke(obj.vmaNode, file);
      file.objectIdr.remove(handle);
      drmGemObjectHandlePut(obj);
      return ret;
    }
  }
  return handle;
}

/** drm_gem_object_handle_put_unlocked: the last handle drops name, dma-buf and its ref. */
function drmGemObjectHandlePut(obj: GemObject): void {
  const faults = obj.dev.kernel.faults;
  if (obj.handleCount === 0) {
    obj.dev.kernel.warn('handle-count', `object ${obj.id}: handle_count underflow`);
    return;
  }
  if (!faults.has('skip-handle-count-decrement')) obj.handleCount--;
  if (obj.handleCount > 0) return cover('drm_gem_object_handle_put_unlocked:handles-left');
  cover('drm_gem_object_handle_put_unlocked:last-handle');
  // drm_gem_object_handle_free
  if (obj.name && !faults.has('keep-name')) {
    cover('drm_gem_object_handle_free:name');
    obj.dev.objectNameIdr.remove(obj.name);
    obj.name = 0;
  }
  // drm_gem_object_exported_dma_buf_free
  if (obj.dmaBuf && !faults.has('keep-dma-buf')) {
    cover('drm_gem_object_exported_dma_buf_free:dma-buf');
    const buf = obj.dmaBuf;
    obj.dmaBuf = null;
    buf.file.put();
  }
  obj.put();
}

/** drm_gem_object_release_handle. */
function drmGemObjectReleaseHandle(handle: number, obj: GemObject, file: DrmFile): void {
  obj.funcs.close?.(obj, file);
  if (!obj.dev.kernel.faults.has('prime-cache-stale')) file.prime.remove(handle);
  if (!obj.dev.kernel.faults.has('no-revoke')) obj.dev.vmaOffsetManager.revoke(obj.vmaNode, file);
  drmGemObjectHandlePut(obj);
}

/** drm_gem_handle_delete: the id is freed only after the release completed. */
export function drmGemHandleDelete(file: DrmFile, handle: number): number {
  const obj = file.objectIdr.replace(handle, null);
  if (!obj) return cover('drm_gem_handle_delete:einval'), -Errno.EINVAL;
  drmGemObjectReleaseHandle(handle, obj, file);
  file.objectIdr.remove(handle);
  return 0;
}

/** drm_gem_object_lookup: +1 reference for the caller. */
export function drmGemObjectLookup(file: DrmFile, handle: number): GemObject | null {
  const obj = file.objectIdr.find(handle);
  if (!obj) return null;
  obj.get();
  return obj;
}

/** drm_gem_release: at file close, every handle goes as with GEM_CLOSE. */
export function drmGemRelease(file: DrmFile): void {
  const handles = [...file.objectIdr.entries()].sort((a, b) => a[0] - b[0]);
  for (const [h, obj] of handles) {
    if (obj) drmGemObjectReleaseHandle(h, obj, file);
    file.objectIdr.remove(h);
  }
}

/** drm_gem_flink_ioctl. */
export function drmGemFlinkIoctl(file: DrmFile, handle: number): number {
  const obj = drmGemObjectLookup(file, handle);
  if (!obj) return -Errno.ENOENT;
  let ret: number;
  if (obj.handleCount === 0) ret = -Errno.ENOENT;
  else {
    if (!obj.name) {
      cover('drm_gem_flink_ioctl:new-name');
      const name = obj.dev.objectNameIdr.alloc(obj);
      if (name > 0) obj.name = name;
    }
    ret = obj.name || -Errno.ENOSPC;
  }
  obj.put();
  return ret;
}

/** drm_gem_open_ioctl: the name is looked up as an int, and a new handle is always made. */
export function drmGemOpenIoctl(file: DrmFile, name: number): { handle: number; size: number } | number {
  const obj = name > 0x7fffffff ? null : file.dev.objectNameIdr.find(name);
  if (!obj) return cover('drm_gem_open_ioctl:enoent'), -Errno.ENOENT;
  obj.get();
  const handle = drmGemHandleCreateTail(file, obj);
  const size = obj.size;
  obj.put();
  return handle < 0 ? handle : { handle, size };
}

/** drm_gem_vm_close: the mapping's object reference goes. */
export function drmGemVmClose(vma: Vma): void {
  (vma.privateData as GemObject).put();
}

/**
 * Read-only vma nodes (v4.19..v5.13 drm_gem_mmap; drm_gem_prime_mmap reached it through a
 * fake file): VM_WRITE → EINVAL, otherwise VM_MAYWRITE is cleared.
 */
export function drmVmaNodeReadonlyCheck(obj: GemObject, vma: Vma): number {
  if (!obj.dev.kernel.profile.readonlyNodes || !obj.vmaNode.readonly || obj.dev.kernel.faults.has('ro-ignored')) return 0;
  if (vma.flags & PROT_WRITE) return cover('drm_vma_node_readonly:write'), -Errno.EINVAL;
  cover('drm_vma_node_readonly:clear-maywrite');
  vma.flags &= ~VM_MAYWRITE;
  return 0;
}

/** drm_gem_mmap_obj: the vma takes an object reference, then the object's mmap runs. */
export function drmGemMmapObj(obj: GemObject, objSize: number, vma: Vma): number {
  if (objSize < vma.pages * PAGE_SIZE) return cover('drm_gem_mmap_obj:too-big'), -Errno.EINVAL;
  if (!obj.dev.kernel.faults.has('mmap-no-ref')) obj.get();
  vma.privateData = obj;
  vma.ops = obj.funcs.vmOps ?? null;
  const ret = obj.funcs.mmap ? obj.funcs.mmap(obj, vma) : vma.ops ? 0 : -Errno.EINVAL;
  if (ret && vma.privateData === obj) obj.put();
  return ret;
}

/** drm_gem_mmap: the DRM fd's f_op->mmap. */
export function drmGemMmap(filp: File, vma: Vma): number {
  const file = filp.priv as DrmFile;
  const mgr = file.dev.vmaOffsetManager;
  const node = vma.pgoff > BigInt(Number.MAX_SAFE_INTEGER) ? null : mgr.exactLookup(Number(vma.pgoff), vma.pages);
  let obj: GemObject | null = null;
  if (node) {
    obj = node.owner as GemObject; // container_of(node, struct drm_gem_object, vma_node)
    if (!obj.refcount.getUnlessZero()) obj = null;
  }
  if (!obj) return cover('drm_gem_mmap:no-node'), -Errno.EINVAL;
  if (!mgr.isAllowed(node!, file)) {
    cover('drm_gem_mmap:eacces');
    obj.put();
    return -Errno.EACCES;
  }
  let ret = drmVmaNodeReadonlyCheck(obj, vma);
  if (!ret) ret = drmGemMmapObj(obj, node!.pages * PAGE_SIZE, vma);
  obj.put();
  return ret;
}

