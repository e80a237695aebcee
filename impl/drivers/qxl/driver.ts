/**
 * qxl (drivers/gpu/drm/qxl, 6.1) as a drm_driver on the drm_gem_ttm glue, its TTM hooks in
 * ./ttm.ts: QXL_ALLOC (VRAM domain), QXL_ALLOC_SURF (surface domain: PRIV then VRAM),
 * QXL_MAP (qxl_mode_dumb_mmap), dumb buffers in the CPU domain, PRIME export and self-import
 * (get_sg_table and import_sg_table are ENOSYS; no gem_prime_mmap, so a dma-buf mmap is
 * ENOSYS). No render node; every ioctl DRM_AUTH.
 *
 * The probe leaves the device as the executor hands it to every program (executor/PROTOCOL.md,
 * "qxl"): the fbdev console's buffer (evicted, holding the first fake offset), the driver's
 * pinned bos — the 768-page primary surface at page 0x301 and the two highest one-page bos —
 * and every free hole scrubbed by an exact-size bo, the largest first, then freed in that order.
 */
import { DRM_AUTH } from '../../../ir/ioctls.ts';
import { i32, u32 } from '../../../ir/ints.ts';
import { Errno, PAGE_SIZE } from '../../../ir/uapi.ts';
import type { DriverIoctl, DrmDriver, GemObjectFuncs } from '../../hooks.ts';
import type { DrmDevice } from '../../core/drm_device.ts';
import type { DrmFile } from '../../core/drm_file.ts';
import { isDmaBufFile } from '../../core/dma_buf.ts';
import { drmGemObjectLookup } from '../../core/drm_gem.ts';
import { ERR_PTR, IS_ERR } from '../../core/errptr.ts';
import { ctxOf, ttmBoInitValidate, ttmBoPin, ttmBoPut, ttmBoReserve, ttmBoUnreserve } from '../../ttm/bo.ts';
import { place, placementOf, ttmRangeManInit, TTM_PL_PRIV, TTM_PL_VRAM } from '../../ttm/resource.ts';
import { drmGemTtmMmap, gemTtmCreate, gemTtmCreateWithHandle, gemTtmDeviceInit, gemTtmDriverDebug, gemTtmFuncs } from '../gem_ttm.ts';
import { QXL_GEM_DOMAIN_CPU, QXL_GEM_DOMAIN_SURFACE, QXL_GEM_DOMAIN_VRAM, qxlBoDriver, qxlPlacementFromDomain } from './ttm.ts';

/** QEMU rounds the BARs up to a power of two (qxl_init_ramsize). */
const pow2ceil = (x: number) => 2 ** Math.ceil(Math.log2(x));

const qxlFuncs: GemObjectFuncs = {
  ...gemTtmFuncs,
  // drm_gem_dmabuf_mmap (6.1): qxl has no gem_prime_mmap → ENOSYS (here the object's mmap is
  // reached through drm_gem_prime_mmap with the dma-buf as the vma's file)
  mmap: (obj, vma) => (isDmaBufFile(vma.file) ? -Errno.ENOSYS : drmGemTtmMmap(obj, vma)),
  // a foreign importer's attach: qxl_gem_prime_pin, then the map's qxl_gem_prime_get_sg_table
  // is ENOSYS and the detach unpins. sim: the pin's validate into the bo's domain is not done
  // (as in the model; KNOWN-DIVERGENCES.md) — only the ENOSYS is.
  pin: () => -Errno.ENOSYS,
};

/**
 * qxl_gem_object_create_with_handle: qxl_gem_object_create takes an int size (2 GiB and more is
 * negative and refused), qxl_bo_create a ttm device bo in the domain's placement; any failure
 * is ENOMEM. 0 and the handle, or -errno.
 */
function createWithHandle(file: DrmFile, dev: DrmDevice, size: number, domain: number): number {
  if (size <= 0) return -Errno.ENOMEM;
  const bytes = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
  const r = gemTtmCreateWithHandle(file, dev, dev.ttm!, bytes, qxlPlacementFromDomain(bytes, domain), { funcs: qxlFuncs, ctx: ctxOf(false, true) });
  return IS_ERR(r) ? -Errno.ENOMEM : r.handle;
}

const ioctl = (handler: DriverIoctl['handler']): DriverIoctl => ({ flags: DRM_AUTH, handler });

export function qxlDriver(_profile: unknown, params: Readonly<Record<string, number>>): DrmDriver {
  const vramPages = pow2ceil(params.ram_size_mb!) * 256 - 2;
  const privPages = pow2ceil(params.vram_size_mb!) * 256;
  return {
    name: 'qxl',
    features: { render: false, prime: true },
    // qxl_mode_dumb_create: pitch = width * ((bpp + 1) / 8), bpp 16 or 32, the CPU domain
    dumbCreate(file, dev, args) {
      if (args.bpp !== 16 && args.bpp !== 32) return -Errno.EINVAL;
      const pitch = Math.imul(args.width, Math.floor((args.bpp + 1) / 8)) >>> 0;
      const size = Math.ceil((Math.imul(pitch, args.height) >>> 0) / PAGE_SIZE) * PAGE_SIZE;
      const h = createWithHandle(file, dev, size > 0x7fff_ffff ? -1 : size, QXL_GEM_DOMAIN_CPU);
      if (h < 0) return h;
      args.pitch = pitch;
      args.size = BigInt(size);
      args.handle = h;
      return 0;
    },
    gemPrimeImportSgTable: () => ERR_PTR(Errno.ENOSYS), // qxl_gem_prime_import_sg_table
    ioctls: {
      // qxl_alloc_ioctl
      qxl_alloc: ioctl((dev, file, a, out) => {
        const size = u32(a[1]);
        if (size === 0) return -Errno.EINVAL;
        const h = createWithHandle(file, dev, i32(BigInt(size)), QXL_GEM_DOMAIN_VRAM);
        if (h < 0) return h;
        out.handle = BigInt(h);
        return 0;
      }),
      // qxl_map_ioctl → qxl_mode_dumb_mmap
      qxl_map: ioctl((_dev, file, a, out) => {
        const obj = drmGemObjectLookup(file, u32(a[1]));
        if (!obj) return -Errno.ENOENT;
        out.offset = BigInt(obj.vmaNode.start) * BigInt(PAGE_SIZE);
        obj.put();
        return 0;
      }),
      // qxl_alloc_surf_ioctl: size = |stride| * height + |stride| (int, the product unsigned)
      qxl_alloc_surf: ioctl((dev, file, a, out) => {
        const stride = i32(a[4]);
        const actual = stride < 0 ? i32(BigInt(-stride)) : stride;
        const size = i32(BigInt((Math.imul(actual, u32(a[3])) + actual) >>> 0));
        const h = createWithHandle(file, dev, size, QXL_GEM_DOMAIN_SURFACE);
        if (h < 0) return h;
        out.handle = BigInt(h);
        return 0;
      }),
    },
    probe(dev) {
      const bdev = gemTtmDeviceInit(dev, qxlBoDriver);
      ttmRangeManInit(bdev, TTM_PL_VRAM, false, vramPages);
      ttmRangeManInit(bdev, TTM_PL_PRIV, false, privPages);
      // the driver's two device bos with fake offsets (seen on the kernel: one page at
      // 0x100000000, 769 pages — the fbdev console's — after it; corpus/regressions/
      // qxl-boot-offsets.prog), evicted to SYSTEM by the executor's over-sized QXL_ALLOC
      for (const bytes of [PAGE_SIZE, 769 * PAGE_SIZE]) {
        const fb = gemTtmCreate(dev, bdev, bytes, qxlPlacementFromDomain(bytes, QXL_GEM_DOMAIN_CPU), { funcs: qxlFuncs });
        if (!IS_ERR(fb)) dev.kernelRefs.add(fb);
      }
      // the pinned driver bos, where the kernel has them
      for (const [start, pages] of [[0x301, 768], [vramPages - 2, 1], [vramPages - 1, 1]] as const) {
        const b = ttmBoInitValidate(bdev, pages * PAGE_SIZE, 'kernel', placementOf(place(TTM_PL_VRAM, 0, start, start + pages)), ctxOf());
        if (typeof b === 'number') throw new Error(`qxl probe: cannot place ${pages} pages at ${start}`);
        ttmBoReserve(b);
        ttmBoPin(b);
        ttmBoUnreserve(b);
      }
      // the executor's scrub: every free hole taken by an exact-size bo, largest first, then
      // all freed in that order (which makes the holes again, the largest the oldest)
      const man = bdev.managers[TTM_PL_VRAM]!;
      const holes: number[] = [];
      let at = 0;
      for (const n of man.mm!.nodes()) {
        if (n.start > at) holes.push(n.start - at);
        at = n.start + n.size;
      }
      if (at < man.size) holes.push(man.size - at);
      const scrub = holes.sort((x, y) => y - x).map((pages) => {
        const b = ttmBoInitValidate(bdev, pages * PAGE_SIZE, 'kernel', qxlPlacementFromDomain(pages * PAGE_SIZE, QXL_GEM_DOMAIN_VRAM), ctxOf());
        if (typeof b === 'number') throw new Error(`qxl probe: scrub of ${pages} pages failed`);
        return b;
      });
      for (const b of scrub) ttmBoPut(b);
      bdev.stats.evictions = 0;
    },
    debug: gemTtmDriverDebug,
  };
}
