/** The DRM node's file operations (drm_file.c): open, release → drm_file_free, mmap. */
import { drmMasterOpen, drmMasterRelease } from './drm_auth.ts';
import type { DrmDevice } from './drm_device.ts';
import { DrmFile } from './drm_file.ts';
import { drmGemMmap, drmGemRelease } from './drm_gem.ts';
import { File, FMODE_READ, FMODE_UNSIGNED_OFFSET, FMODE_WRITE, type FileOps } from './vfs.ts';

export const drmFops: FileOps = {
  /** drm_release → drm_file_free: handles, master, driver postclose, prime cache. */
  release(filp: File): void {
    const file = filp.priv as DrmFile;
    drmGemRelease(file);
    if (!file.render) drmMasterRelease(file);
    file.dev.driver.postclose?.(file.dev, file);
    // drm_prime_destroy_file_private: WARN_ON(!RB_EMPTY_ROOT(&prime_fpriv->dmabufs))
    if (file.prime.byHandle.size) file.dev.kernel.warn('prime-cache', `file ${file.id}: PRIME cache not empty at close`);
  },
  // the driver's fops->mmap (amdgpu_mmap ≤5.13), else drm_gem_mmap
  mmap(filp, vma) {
    const drv = (filp.priv as DrmFile).dev.driver;
    return drv.fopsMmap ? drv.fopsMmap(filp, vma) : drmGemMmap(filp, vma);
  },
};

export function isDrmFile(f: File): boolean {
  return f.ops === drmFops;
}

/** drm_open → drm_open_helper: a new drm_file, O_RDWR. Returns the file or -errno. */
export function drmOpen(dev: DrmDevice, render: boolean): File | number {
  const file = new DrmFile(dev, render);
  const ret = dev.driver.open?.(dev, file) ?? 0;
  if (ret) return ret;
  if (!render) drmMasterOpen(dev, file);
  return new File(FMODE_READ | FMODE_WRITE | FMODE_UNSIGNED_OFFSET, drmFops, file, dev.kernel.report);
}
