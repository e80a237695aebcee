/** cirrus (drivers/gpu/drm/tiny/cirrus.c, 6.1): a modesetting driver over the shmem helpers
 * (DRM_GEM_SHMEM_DRIVER_OPS). No render node, no driver ioctls; PRIME export and import,
 * foreign imports included. The device that lets the real kernel check foreign imports. */
import type { DrmDriver } from '../../hooks.ts';
import { IS_ERR } from '../../core/errptr.ts';
import { shmemCreate, shmemDumbCreate, shmemImport } from '../shmem.ts';

/** drm_fbdev_generic_setup(dev, 16): the console buffer at QEMU's default 1024x768, RGB565. */
const FBDEV_BYTES = 1024 * 768 * 2;

export function cirrusDriver(): DrmDriver {
  return {
    name: 'cirrus',
    features: { render: false, prime: true },
    dumbCreate: shmemDumbCreate,
    gemPrimeImportSgTable: shmemImport,
    ioctls: {},
    probe(dev) {
      const fb = shmemCreate(dev, FBDEV_BYTES);
      if (!IS_ERR(fb)) dev.kernelRefs.add(fb); // the fbdev client keeps its reference
    },
  };
}
