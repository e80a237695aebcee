/** Masters and magic authentication (drm_auth.c). */
import { Errno } from '../../ir/uapi.ts';
import { DrmMaster, type DrmDevice } from './drm_device.ts';
import type { DrmFile } from './drm_file.ts';
import { cover } from '../cover.ts';

/** drm_master_open: the first primary opener with no master becomes master (authenticated);
 * the others join the current master, unauthenticated (no CAP_SYS_ADMIN). */
export function drmMasterOpen(dev: DrmDevice, file: DrmFile): void {
  if (!dev.master) {
    cover('drm_master_open:new-master');
    dev.master = new DrmMaster();
    file.isMaster = true;
    file.authenticated = true;
  }
  else cover('drm_master_open:join');
  file.master = dev.master;
}

export function drmIsCurrentMaster(file: DrmFile): boolean {
  return file.isMaster && file.master === file.dev.master;
}

/** drm_master_release: the magic goes; the current master's departure leaves no master. */
export function drmMasterRelease(file: DrmFile): void {
  if (file.magic && file.master) file.master.magicMap.remove(file.magic);
  if (drmIsCurrentMaster(file)) {
    cover('drm_master_release:master-gone');
    file.dev.master = null;
    file.isMaster = false;
  }
  file.master = null;
}

/** drm_getmagic. */
export function drmGetMagic(file: DrmFile): number {
  if (!file.magic && file.master) {
    const m = file.master.magicMap.alloc(file);
    if (m > 0) file.magic = (cover('drm_getmagic:new-magic'), m);
  } else if (file.magic) cover('drm_getmagic:same-magic');
  return file.magic;
}

/** drm_authmagic: the entry becomes NULL, so a magic authenticates once. */
export function drmAuthMagic(file: DrmFile, magic: number): number {
  const map = file.master!.magicMap;
  const target = magic > 0x7fffffff ? null : (map.find(magic) as DrmFile | null | undefined);
  if (!target) return -Errno.EINVAL;
  cover(target.authenticated ? 'drm_authmagic:already-authenticated' : target === file ? 'drm_authmagic:self' : 'drm_authmagic:authenticate');
  target.authenticated = true;
  map.replace(magic, null);
  return 0;
}
