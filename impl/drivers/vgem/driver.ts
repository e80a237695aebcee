/** The vgem-like driver: shmem helpers, dumb buffers, PRIME, fences (vgem_drv.c ≥5.14),
 * plus gemcheck's read-only object ioctl where the profile has it. */
import { Errno, PAGE_SIZE } from '../../../ir/uapi.ts';
import type { Profile } from '../../../ir/target.ts';
import { DRM_RENDER_ALLOW } from '../../../ir/ioctls.ts';
import { u64 } from '../../../ir/ints.ts';
import type { DriverIoctl, DrmDriver } from '../../hooks.ts';
import { IS_ERR } from '../../core/errptr.ts';
import { shmemCreateWithHandle, shmemDumbCreate, shmemImport } from '../shmem.ts';
import { fenceAttach, fenceClose, fenceSignal, fileFences } from './fence.ts';

/** gemcheck RO_CREATE: a read-only shmem object (drm_vma_node_set_readonly, as i915
 * userptr READ_ONLY). Size: nonzero, page aligned, at most 4 GiB. */
const roCreate: DriverIoctl = {
  flags: DRM_RENDER_ALLOW,
  handler(dev, file, a, out) {
    const size = u64(a[1]);
    if (size === 0n || size % BigInt(PAGE_SIZE) || size > 1n << 32n) return -Errno.EINVAL;
    const r = shmemCreateWithHandle(file, dev, Number(size));
    if (IS_ERR(r)) return -r.errno;
    r.obj.vmaNode.readonly = true;
    out.handle = BigInt(r.handle);
    return 0;
  },
};

export function vgemDriver(profile: Profile): DrmDriver {
  return {
    name: 'vgem',
    features: { render: true, prime: true },
    dumbCreate: shmemDumbCreate,
    gemPrimeImportSgTable: shmemImport,
    ioctls: {
      fence_attach: fenceAttach,
      fence_signal: fenceSignal,
      ...(profile.roCreateIoctl ? { ro_create: roCreate } : {}),
    },
    postclose(_dev, file) {
      fenceClose(file);
    },
    debug: { fileFences },
  };
}
