/** bochs (drivers/gpu/drm/tiny/bochs.c): a modesetting driver over the VRAM helpers. No
 * render node, no PRIME hooks in 6.1, no driver ioctls. */
import { Errno, PAGE_SIZE } from '../../../ir/uapi.ts';
import type { DrmDriver } from '../../hooks.ts';
import { IS_ERR } from '../../core/errptr.ts';
import { gemTtmDriverDebug } from '../gem_ttm.ts';
import { drmGemVramCreate, drmGemVramCreateWithHandle, drmVramHelperInit } from '../vram.ts';

/** drm_fbdev_generic_setup: the console buffer at QEMU's default 1280x800, XRGB8888. */
const FBDEV_BYTES = 1280 * 800 * 4;
/** bochs_hw_init: the framebuffer BAR, QEMU's default 16 MiB of VGA memory (drmm_vram_helper_init). */
const VRAM_BYTES = 16 << 20;

export function bochsDriver(): DrmDriver {
  return {
    name: 'bochs',
    features: { render: false, prime: false },
    // drm_gem_vram_fill_create_dumb(pg_align 0, pitch_align 0)
    dumbCreate(file, dev, args) {
      const pitch = args.width * Math.ceil(args.bpp / 8);
      const size = Math.ceil((pitch * args.height) / PAGE_SIZE) * PAGE_SIZE;
      if (!size) return -Errno.EINVAL;
      const r = drmGemVramCreateWithHandle(file, dev, size);
      if (IS_ERR(r)) return -r.errno;
      args.pitch = pitch;
      args.size = BigInt(size);
      args.handle = r.handle;
      return 0;
    },
    ioctls: {},
    probe(dev) {
      drmVramHelperInit(dev, VRAM_BYTES);
      const fb = drmGemVramCreate(dev, FBDEV_BYTES);
      if (!IS_ERR(fb)) dev.kernelRefs.add(fb); // the fbdev client keeps its reference (not pinned)
    },
    debug: gemTtmDriverDebug,
  };
}
