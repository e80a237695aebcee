/** PRIME (drivers/gpu/drm/drm_prime.c): export and import through per-file caches. */
import { DRM_CLOEXEC, DRM_RDWR, Errno } from '../../ir/uapi.ts';
import type { DrmDevice } from './drm_device.ts';
import type { DrmFile } from './drm_file.ts';
import { DmaBuf, isDmaBufFile, type DmaBufOps } from './dma_buf.ts';
import { ERR_PTR, IS_ERR, type ErrPtr } from './errptr.ts';
import { drmGemHandleCreateTail, drmGemObjectLookup, drmVmaNodeReadonlyCheck, type GemObject } from './drm_gem.ts';
import type { Vma } from './mm.ts';
import type { FdTable } from './vfs.ts';
import { cover } from '../cover.ts';

/** drm_gem_prime_dmabuf_ops. */
const gemDmaBufOps: DmaBufOps = {
  // drm_gem_dmabuf_release: the exporter's reference goes with the dma-buf.
  release(buf) {
    buf.priv.put();
  },
  // drm_gem_dmabuf_mmap → drm_gem_prime_mmap: add the fake offset, the vma holds the object.
  mmap(buf, vma) {
    return drmGemPrimeMmap(buf.priv, vma);
  },
  // drm_gem_map_attach → drm_gem_pin → obj->funcs->pin (amdgpu: amdgpu_dma_buf_pin)
  pin(buf) {
    return buf.priv.funcs.pin ? buf.priv.funcs.pin(buf.priv) : 0;
  },
  unpin(buf) {
    buf.priv.funcs.unpin?.(buf.priv);
  },
};

export function drmGemPrimeMmap(obj: GemObject, vma: Vma): number {
  vma.pgoff += BigInt(obj.vmaNode.start);
  if (!obj.funcs.mmap) return -Errno.EINVAL;
  let ret = drmVmaNodeReadonlyCheck(obj, vma);
  if (ret) return ret;
  vma.ops = obj.funcs.vmOps ?? null;
  obj.get();
  vma.privateData = obj;
  ret = obj.funcs.mmap(obj, vma);
  if (ret) obj.put();
  return ret;
}

/** drm_gem_prime_export: the dma-buf takes a reference on the object. */
function drmGemPrimeExport(obj: GemObject, flags: number): DmaBuf {
  obj.get();
  return new DmaBuf(obj.dev.kernel, obj.size, gemDmaBufOps, obj, obj.resv, (flags & DRM_RDWR) !== 0);
}

/** export_and_register_object: obj->dma_buf takes its own dma-buf reference. */
function exportAndRegisterObject(obj: GemObject, flags: number): DmaBuf | ErrPtr {
  if (obj.handleCount === 0) return ERR_PTR(Errno.ENOENT);
  // obj->funcs->export (amdgpu_gem_prime_export) refuses some objects before exporting
  const refused = obj.funcs.exportCheck?.(obj) ?? 0;
  if (refused) return ERR_PTR(-refused);
  const buf = drmGemPrimeExport(obj, flags); // the new file's first reference is ours
  obj.dmaBuf = buf;
  buf.file.get();
  return buf;
}

/** drm_prime_handle_to_fd_ioctl + drm_gem_prime_handle_to_fd. Returns the fd or -errno. */
export function drmPrimeHandleToFd(fds: FdTable, file: DrmFile, handle: number, flags: number): number {
  if (flags & ~(DRM_CLOEXEC | DRM_RDWR)) return -Errno.EINVAL;
  const obj = drmGemObjectLookup(file, handle);
  if (!obj) return -Errno.ENOENT;
  // fault export-twice: a repeated export of a native object forgets both caches (their
  // references put), so it makes a second dma-buf
  const twice = obj.dev.kernel.faults.has('export-twice') && !obj.importAttach;
  if (twice) {
    file.prime.remove(handle);
    if (obj.dmaBuf) {
      obj.dmaBuf.file.put();
      obj.dmaBuf = null;
    }
  }
  let buf = file.prime.lookupByHandle(handle);
  if (buf) {
    cover('drm_gem_prime_handle_to_fd:file-cache');
    buf.file.get();
  } else {
    const reuse = obj.importAttach ?? obj.dmaBuf; // re-export the original, or the cached one
    if (reuse) {
      cover(obj.importAttach ? 'drm_gem_prime_handle_to_fd:reexport-import' : 'drm_gem_prime_handle_to_fd:obj-dma-buf');
      buf = reuse;
      buf.file.get();
    } else {
      cover('drm_gem_prime_handle_to_fd:export');
      const made = exportAndRegisterObject(obj, flags);
      if (IS_ERR(made)) {
        obj.put();
        return -made.errno;
      }
      buf = made;
    }
    file.prime.add(buf, handle);
  }
  const fd = fds.install(buf.file); // our reference moves into the fd
  if (fd < 0) buf.file.put();
  obj.put();
  return fd < 0 ? -Errno.EMFILE : fd;
}

/** drm_gem_prime_import_dev: self-import returns the same object; foreign ones attach. */
function drmGemPrimeImport(dev: DrmDevice, buf: DmaBuf): GemObject | ErrPtr {
  if (buf.ops === gemDmaBufOps && buf.priv.dev === dev) {
    cover('drm_gem_prime_import_dev:self-import');
    buf.priv.get();
    return buf.priv;
  }
  if (!dev.driver.gemPrimeImportSgTable) return ERR_PTR(Errno.EINVAL);
  cover(buf.ops.pin ? 'drm_gem_prime_import_dev:foreign-pinned' : 'drm_gem_prime_import_dev:foreign');
  // dma_buf_attach of a non-dynamic importer: a dynamic exporter pins its buffer
  // (dma_buf_dynamic_attach → ops->pin) until the detach in drm_prime_gem_destroy
  const pinned = !!buf.ops.pin;
  if (buf.ops.pin) {
    const r = buf.ops.pin(buf);
    if (r) return ERR_PTR(-r);
  }
  const obj = dev.driver.gemPrimeImportSgTable(dev, buf);
  if (IS_ERR(obj)) {
    if (pinned) buf.ops.unpin?.(buf);
    return obj;
  }
  obj.importPinned = pinned;
  buf.file.get(); // the attachment's dma-buf reference (get_dma_buf)
  obj.importAttach = buf;
  // the importer shares the exporter's reservation object, so fences meet there
  if (!dev.kernel.faults.has('import-own-resv')) obj.resv = buf.resv;
  return obj;
}

/** drm_prime_fd_to_handle_ioctl + drm_gem_prime_fd_to_handle. Returns the handle or -errno. */
export function drmPrimeFdToHandle(fds: FdTable, file: DrmFile, fd: number): number {
  const f = fds.lookup(fd);
  if (!f) return -Errno.EBADF;
  if (!isDmaBufFile(f)) return -Errno.EINVAL;
  const buf = f.priv as DmaBuf;
  buf.file.get(); // dma_buf_get
  try {
    const cached = file.prime.lookupByDmaBuf(buf);
    if (cached !== undefined) return cover('drm_gem_prime_fd_to_handle:cache-hit'), cached;
    const dev = file.dev;
    const obj = dev.driver.gemPrimeImport ? dev.driver.gemPrimeImport(dev, buf) : drmGemPrimeImport(dev, buf);
    if (IS_ERR(obj)) return -obj.errno;
    if (!obj.dmaBuf) {
      cover('drm_gem_prime_fd_to_handle:set-dma-buf');
      obj.dmaBuf = buf;
      buf.file.get();
    }
    const handle = drmGemHandleCreateTail(file, obj);
    obj.put();
    if (handle < 0) return handle;
    file.prime.add(buf, handle);
    return handle;
  } finally {
    buf.file.put(); // dma_buf_put
  }
}

/** drm_prime_gem_destroy: an import's attachment reference goes at free. */
export function drmPrimeGemDestroy(obj: GemObject): void {
  const buf = obj.importAttach;
  obj.importAttach = null;
  // dma_buf_detach: a pinning attach unpins
  if (buf && obj.importPinned) buf.ops.unpin?.(buf);
  obj.importPinned = false;
  buf?.file.put();
}
