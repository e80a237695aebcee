/** The process fd table, DRM file open, and authentication (drm_file.c, drm_auth.c). */
import { ok, err, type Outcome } from '../ir/outcome.ts';
import { Errno, FD_LIMIT, FIRST_FD } from '../ir/uapi.ts';
import { DEVICES } from './devices.ts';
import { lowestFree, type MDrmFile, type MState } from './state.ts';

function installFd(s: MState, file: number): number | null {
  const fd = lowestFree(s.fds, FIRST_FD); // get_unused_fd_flags: lowest free
  if (fd >= FD_LIMIT) return null;
  s.fds.set(fd, file);
  return fd;
}
export { installFd };

/** open("/dev/dri/card<dev>" or "renderD<128+dev>"): drm_open → drm_open_helper. */
export function openDevice(s: MState, devArg: bigint, node: bigint): Outcome {
  // the device index and node are harness values: anything but an existing path is ENOENT
  const dev = Number(devArg);
  const d = devArg >= 0n && devArg < BigInt(s.devices.length) ? s.devices[dev] : undefined;
  if (!d || (node !== 0n && node !== 1n) || (node === 1n && !DEVICES[d.kind].renderNode)) return err(Errno.ENOENT);
  if (lowestFree(s.fds, FIRST_FD) >= FD_LIMIT) return err(Errno.EMFILE);
  const render = node === 1n;
  // drm_master_open: the first primary opener with no master present becomes master and is
  // authenticated (drm_new_set_master); others are authenticated only with CAP_SYS_ADMIN,
  // which gemcheck's processes do not have.
  let master: number | null = null;
  let isMaster = false;
  if (!render) {
    if (d.master === null) {
      d.master = s.nextId++;
      d.magics.set(d.master, new Map());
      isMaster = true;
    }
    master = d.master;
  }
  const f: MDrmFile = {
    kind: 'drm', id: s.nextId++, dev, render, handles: new Map(), prime: [],
    authenticated: isMaster, master, isMaster, magic: 0, fences: new Map(),
  };
  s.files.set(f.id, f);
  return ok({ fd: BigInt(installFd(s, f.id)!) });
}

export function closeFd(s: MState, fd: number): Outcome {
  if (!s.fds.delete(fd)) return err(Errno.EBADF);
  return ok(); // the file goes when nothing refers to it any more (lifetime.ts)
}

export function dupFd(s: MState, fd: number): Outcome {
  const file = s.fds.get(fd);
  if (file === undefined) return err(Errno.EBADF);
  const nfd = installFd(s, file);
  return nfd === null ? err(Errno.EMFILE) : ok({ fd: BigInt(nfd) });
}

/** drm_getmagic: a file keeps its magic; new ones are the lowest free id ≥ 1 in its master's map. */
export function getMagic(s: MState, f: MDrmFile): Outcome {
  if (!f.magic && f.master !== null) {
    const map = s.devices[f.dev].magics.get(f.master)!;
    f.magic = lowestFree(map, 1);
    map.set(f.magic, f.id);
  }
  return ok({ magic: BigInt(f.magic) });
}

/** drm_authmagic: the entry is replaced by NULL (the id stays taken until that file closes). */
export function authMagic(s: MState, f: MDrmFile, magic: number): Outcome {
  const map = s.devices[f.dev].magics.get(f.master!)!;
  const target = magic > 0x7fffffff ? undefined : map.get(magic);
  if (target === undefined || target === null) return err(Errno.EINVAL);
  (s.files.get(target) as MDrmFile).authenticated = true;
  map.set(magic, null);
  return ok();
}
