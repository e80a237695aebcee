/** vgem fences (vgem_fence.c): attach to a reservation object, signal by id. The 10 s
 * auto-signal timer is not simulated (programs carry no time). */
import { Errno, VGEM_FENCE_WRITE } from '../../../ir/uapi.ts';
import type { DriverIoctl } from '../../hooks.ts';
import type { DrmFile } from '../../core/drm_file.ts';
import { drmGemObjectLookup } from '../../core/drm_gem.ts';
import { Idr } from '../../core/idr.ts';
import { DmaFence } from '../../core/resv.ts';
import { DRM_RENDER_ALLOW } from '../../../ir/ioctls.ts';
import { u32 } from '../../../ir/ints.ts';
import { cover } from '../../cover.ts';

/** vgem_file: the per-file fence idr. */
export function fenceIdr(file: DrmFile): Idr<DmaFence> {
  if (!file.driverPriv) file.driverPriv = new Idr<DmaFence>(1);
  return file.driverPriv as Idr<DmaFence>;
}

export const fenceAttach: DriverIoctl = {
  flags: DRM_RENDER_ALLOW,
  handler(_dev, file, a, out) {
    const flags = u32(a[2]);
    if (flags & ~VGEM_FENCE_WRITE) return -Errno.EINVAL;
    const obj = drmGemObjectLookup(file, u32(a[1]));
    if (!obj) return -Errno.ENOENT;
    const write = (flags & VGEM_FENCE_WRITE) !== 0;
    let ret: number;
    // dma_resv_usage_rw: a writer waits for everything, a reader for writers only
    if (!obj.resv.testSignaled(!write)) ret = -Errno.EBUSY;
    else {
      cover(obj.importAttach ? 'vgem_fence_attach_ioctl:imported-resv' : write ? 'vgem_fence_attach_ioctl:write' : 'vgem_fence_attach_ioctl:read');
      // vgem_fence_create: a context of its own; added to obj->resv (the exporter's for imports)
      const fence = new DmaFence(obj.dev.kernel.nextId('fence'), write);
      obj.resv.add(fence);
      const id = fenceIdr(file).alloc(fence);
      if (id > 0) {
        out.fence = BigInt(id);
        ret = 0;
      } else {
        fence.signal();
        ret = -Errno.ENOSPC;
      }
    }
    obj.put();
    return ret;
  },
};

export const fenceSignal: DriverIoctl = {
  flags: DRM_RENDER_ALLOW,
  handler(_dev, file, a) {
    if (u32(a[2]) !== 0) return -Errno.EINVAL;
    const id = u32(a[1]);
    const fence = id > 0x7fffffff ? undefined : fenceIdr(file).replace(id, null);
    if (!fence) return -Errno.ENOENT;
    return fence.signal() ? 0 : -Errno.ETIMEDOUT;
  },
};

/** vgem_fence_close (postclose): every outstanding fence is signalled. */
export function fenceClose(file: DrmFile): void {
  if (!file.driverPriv || file.dev.kernel.faults.has('fence-close-no-signal')) return;
  for (const [, f] of fenceIdr(file).entries()) if (f?.signal()) cover('vgem_fence_close:signal-outstanding');
}

/** Debug: the fences a vgem file still holds (signalled ones are replaced by NULL). */
export function fileFences(file: DrmFile): readonly DmaFence[] {
  if (!file.driverPriv) return NONE;
  const out: DmaFence[] = [];
  for (const [, f] of fenceIdr(file).entries()) if (f) out.push(f);
  return out;
}
const NONE: readonly DmaFence[] = [];
