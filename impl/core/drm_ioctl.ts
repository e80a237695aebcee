/**
 * drm_ioctl: the core ioctl table with permission flags, drm_ioctl_permit, and dispatch to
 * core handlers or the driver's table. Handlers fill `out` and return 0 or -errno.
 */
import { DRM_AUTH, DRM_MASTER, DRM_RENDER_ALLOW, IOCTL_ALIASES, IOCTLS } from '../../ir/ioctls.ts';
import { i32, u32 } from '../../ir/ints.ts';
import { Errno } from '../../ir/uapi.ts';
import type { DumbArgs } from '../hooks.ts';
import { drmAuthMagic, drmGetMagic, drmIsCurrentMaster } from './drm_auth.ts';
import type { DrmFile } from './drm_file.ts';
import { drmGemFlinkIoctl, drmGemHandleDelete, drmGemObjectLookup, drmGemOpenIoctl } from './drm_gem.ts';
import { drmPrimeFdToHandle, drmPrimeHandleToFd } from './drm_prime.ts';
import type { FdTable } from './vfs.ts';

type Handler = (fds: FdTable, file: DrmFile, a: readonly bigint[], out: Record<string, bigint>) => number;

/** drm_mode_create_dumb: the core's u32 overflow checks, then the driver. */
function createDumb(_fds: FdTable, file: DrmFile, a: readonly bigint[], out: Record<string, bigint>): number {
  const drv = file.dev.driver;
  if (!drv.dumbCreate) return -Errno.ENOSYS;
  const width = u32(a[1]);
  const height = u32(a[2]);
  const bpp = u32(a[3]);
  if (!width || !height || !bpp) return -Errno.EINVAL;
  if (bpp > 0xffffffff - 8) return -Errno.EINVAL;
  const cpp = ((bpp + 7) / 8) >>> 0;
  if (cpp > Math.floor(0xffffffff / width)) return -Errno.EINVAL;
  const stride = cpp * width;
  if (height > Math.floor(0xffffffff / stride)) return -Errno.EINVAL;
  const size = height * stride;
  if (((size + 4095) & ~4095) >>> 0 === 0) return -Errno.EINVAL;
  const args: DumbArgs = { width, height, bpp, flags: u32(a[4]), handle: 0, pitch: 0, size: 0n };
  const ret = drv.dumbCreate(file, file.dev, args);
  if (ret) return ret;
  // debug: a buffer never smaller than pitch·height, and the object is as large as reported
  // ("drm/dumb-buffers: Integer overflow in drm_mode_create_ioctl()")
  const obj = file.objectIdr.find(args.handle);
  if (args.size < BigInt(args.pitch) * BigInt(height) || !obj || BigInt(obj.size) < args.size)
    file.dev.kernel.warn('dumb-size', `dumb ${width}x${height}x${bpp}: pitch ${args.pitch}, size ${args.size}, object ${obj ? `${obj.id} of ${obj.size} bytes` : 'missing'}`);
  out.handle = BigInt(args.handle);
  out.pitch = BigInt(args.pitch);
  out.size = args.size;
  return 0;
}

/** drm_gem_dumb_map_offset, unless the driver has its own. */
function mapDumb(_fds: FdTable, file: DrmFile, a: readonly bigint[], out: Record<string, bigint>): number {
  const drv = file.dev.driver;
  if (!drv.dumbCreate) return -Errno.ENOSYS;
  if (drv.dumbMapOffset) {
    const r = drv.dumbMapOffset(file, file.dev, u32(a[1]));
    if (typeof r !== 'bigint') return -r.errno;
    out.offset = r;
    return 0;
  }
  const obj = drmGemObjectLookup(file, u32(a[1]));
  if (!obj) return -Errno.ENOENT;
  let ret = 0;
  if (obj.importAttach) ret = -Errno.EINVAL; // no offset for imported objects
  else out.offset = BigInt(obj.vmaNode.start) * 4096n;
  obj.put();
  return ret;
}

const CORE: Readonly<Record<string, Handler>> = {
  gem_close: (_f, file, a) => drmGemHandleDelete(file, u32(a[1])),
  destroy_dumb: (_f, file, a) => (file.dev.driver.dumbCreate ? drmGemHandleDelete(file, u32(a[1])) : -Errno.ENOSYS),
  gem_flink: (_f, file, a, out) => {
    const r = drmGemFlinkIoctl(file, u32(a[1]));
    if (r > 0) out.name = BigInt(r);
    return r < 0 ? r : 0;
  },
  gem_open: (_f, file, a, out) => {
    const r = drmGemOpenIoctl(file, u32(a[1]));
    if (typeof r === 'number') return r;
    out.handle = BigInt(r.handle);
    out.size = BigInt(r.size);
    return 0;
  },
  prime_handle_to_fd: (fds, file, a, out) => {
    if (!file.dev.driver.features.prime) return -Errno.ENOSYS;
    const r = drmPrimeHandleToFd(fds, file, u32(a[1]), u32(a[2]));
    if (r >= 0) out.dmabuf = BigInt(r);
    return r < 0 ? r : 0;
  },
  prime_fd_to_handle: (fds, file, a, out) => {
    if (!file.dev.driver.features.prime) return -Errno.ENOSYS;
    const r = drmPrimeFdToHandle(fds, file, i32(a[1]));
    if (r > 0) out.handle = BigInt(r);
    return r < 0 ? r : 0;
  },
  create_dumb: createDumb,
  map_dumb: mapDumb,
  get_magic: (_f, file, _a, out) => {
    out.magic = BigInt(drmGetMagic(file));
    return 0;
  },
  auth_magic: (_f, file, a) => drmAuthMagic(file, u32(a[1])),
};

/** drm_ioctl_permit. */
function permit(file: DrmFile, flags: number): boolean {
  if (flags & DRM_AUTH && !file.render && !file.authenticated) return false;
  if (flags & DRM_MASTER && !drmIsCurrentMaster(file)) return false;
  if (!(flags & DRM_RENDER_ALLOW) && file.render) return false;
  return true;
}

/** drm_ioctl for an ioctl-type op. Returns 0 or -errno; outputs in `out`. */
export function drmIoctl(fds: FdTable, file: DrmFile, op: string, a: readonly bigint[], out: Record<string, bigint>): number {
  const def = IOCTLS[op as keyof typeof IOCTLS];
  if (!def) return -Errno.EINVAL;
  if (def.driver) {
    const d = file.dev.driver.ioctls[op];
    if (!d) {
      // drm_ioctl dispatches by number: the driver's own ioctl with this number runs on our struct
      const alias = IOCTL_ALIASES[op as keyof typeof IOCTL_ALIASES]?.find((x) => file.dev.driver.ioctls[x.runs]);
      return alias ? drmIoctl(fds, file, alias.runs, alias.args(a), {}) : -Errno.EINVAL; // else beyond the driver's table
    }
    if (!permit(file, d.flags)) return -Errno.EACCES;
    return d.handler(file.dev, file, a, out, fds);
  }
  if (!permit(file, def.flags)) return -Errno.EACCES;
  return CORE[op](fds, file, a, out);
}
