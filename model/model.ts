/** The model as a target: drm_ioctl's dispatch and permission checks, then the rules. */
import type { OpName } from '../ir/calls.ts';
import { IOCTLS, IOCTL_ALIASES, DRM_AUTH, DRM_MASTER, DRM_RENDER_ALLOW } from '../ir/ioctls.ts';
import { i32, u32, u64 } from '../ir/ints.ts';
import { err, type Outcome } from '../ir/outcome.ts';
import type { Session, Target, TargetConfig } from '../ir/target.ts';
import { sessionTarget } from '../ir/session-target.ts';
import { Errno } from '../ir/uapi.ts';
import { DEVICES } from './devices.ts';
import { fenceAttach, fenceSignal } from './fence.ts';
import { authMagic, closeFd, dupFd, getMagic, openDevice } from './files.ts';
import { createDumb, gemClose, gemFlink, gemOpen, handleDelete, mapDumb, roCreate } from './gem.ts';
import { collect } from './lifetime.ts';
import { access, mmap, mprotect, munmap } from './mmap.ts';
import { fdToHandle, handleToFd } from './prime.ts';
import { newState, type MDrmFile, type MState } from './state.ts';
import { AMDGPU_CALLS } from '../ir/calls/amdgpu.ts';
import { deviceParams } from '../ir/devices.ts';
import { amdgpuIoctl } from './amdgpu/ioctl.ts';
import { newAmdDev } from './amdgpu/ttm.ts';
import { NVDLA_CALLS } from '../ir/calls/nvdla.ts';
import { nvdlaIoctl, POOL_BASE } from './nvdla/ioctl.ts';
import { QXL_CALLS } from '../ir/calls/qxl.ts';
import { qxlIoctl } from './qxl/ioctl.ts';
import { newQxlDev } from './qxl/vram.ts';

/** Whether the device's driver table has this driver ioctl. */
function driverHas(s: MState, f: MDrmFile, op: OpName): boolean {
  const dev = DEVICES[s.devices[f.dev].kind];
  if (op === 'fence_attach' || op === 'fence_signal') return dev.fences;
  if (op === 'ro_create') return s.profile.roCreateIoctl && dev.roCreate;
  if (Object.prototype.hasOwnProperty.call(AMDGPU_CALLS, op)) return s.devices[f.dev].amd !== undefined;
  if (Object.prototype.hasOwnProperty.call(NVDLA_CALLS, op)) return s.devices[f.dev].pool !== undefined;
  if (Object.prototype.hasOwnProperty.call(QXL_CALLS, op)) return s.devices[f.dev].qxl !== undefined;
  return false;
}

/** drm_ioctl_permit (without DRM_ROOT_ONLY: no gemcheck ioctl uses it). */
function permitted(s: MState, f: MDrmFile, flags: number): boolean {
  if (flags & DRM_AUTH && !f.render && !f.authenticated) return false;
  if (flags & DRM_MASTER && !(f.isMaster && s.devices[f.dev].master === f.master)) return false;
  if (!(flags & DRM_RENDER_ALLOW) && f.render) return false;
  return true;
}

function ioctl(s: MState, op: OpName, a: readonly bigint[]): Outcome {
  const fileId = s.fds.get(i32(a[0]));
  if (fileId === undefined) return err(Errno.EBADF);
  const f = s.files.get(fileId)!;
  if (f.kind !== 'drm') return err(Errno.ENOTTY); // dma_buf_ioctl: unknown command
  const def = IOCTLS[op]!;
  if (def.driver && !driverHas(s, f, op)) {
    // another driver ioctl with this number runs on our struct (drm_ioctl dispatches by number)
    const alias = IOCTL_ALIASES[op]?.find((x) => driverHas(s, f, x.runs));
    return alias ? ioctl(s, alias.runs, alias.args(a)) : err(Errno.EINVAL); // else no table entry
  }
  if (!permitted(s, f, def.flags)) return err(Errno.EACCES);
  // drm_mode_create_dumb_ioctl and friends: no dumb_create → ENOSYS
  if ((op === 'create_dumb' || op === 'map_dumb' || op === 'destroy_dumb') && DEVICES[s.devices[f.dev].kind].noDumb) return err(Errno.ENOSYS);
  switch (op) {
    case 'gem_close': return gemClose(s, f, u32(a[1]));
    case 'destroy_dumb': return handleDelete(s, f, u32(a[1])); // drm_gem_dumb_destroy
    case 'gem_flink': return gemFlink(s, f, u32(a[1]));
    case 'gem_open': return gemOpen(s, f, u32(a[1]));
    case 'prime_handle_to_fd': return handleToFd(s, f, u32(a[1]), u32(a[2]));
    case 'prime_fd_to_handle': return fdToHandle(s, f, i32(a[1]));
    case 'create_dumb': return createDumb(s, f, u32(a[1]), u32(a[2]), u32(a[3]));
    case 'map_dumb': return mapDumb(s, f, u32(a[1]));
    case 'get_magic': return getMagic(s, f);
    case 'auth_magic': return authMagic(s, f, u32(a[1]));
    case 'fence_attach': return fenceAttach(s, f, u32(a[1]), u32(a[2]));
    case 'fence_signal': return fenceSignal(s, f, BigInt(u32(a[1])), u32(a[2]));
    case 'ro_create': return roCreate(s, f, u64(a[1]));
    default: return s.devices[f.dev].amd ? amdgpuIoctl(s, f, op, a) : s.devices[f.dev].pool ? nvdlaIoctl(s, f, op, a) : s.devices[f.dev].qxl ? qxlIoctl(s, f, op, a) : err(Errno.EINVAL);
  }
}

function step(s: MState, op: OpName, a: readonly bigint[]): Outcome {
  switch (op) {
    case 'open': return openDevice(s, a[0], a[1]);
    case 'close': return closeFd(s, i32(a[0]));
    case 'dup': return dupFd(s, i32(a[0]));
    // prot and flags are C ints: truncated first, then the harness rules see them (PROTOCOL.md)
    case 'mmap': return mmap(s, i32(a[0]), u64(a[1]), u64(a[2]), i32(a[3]), i32(a[4]));
    case 'munmap': return munmap(s, u64(a[0]));
    case 'mprotect': return mprotect(s, u64(a[0]), i32(a[1]));
    case 'write': return access(s, u64(a[0]), u64(a[1]), u64(a[2]), true, u32(a[3]));
    case 'read': return access(s, u64(a[0]), u64(a[1]), u64(a[2]), false, 0);
    default: return ioctl(s, op, a);
  }
}

export class ModelSession implements Session {
  readonly state: MState;
  constructor(cfg: TargetConfig) {
    this.state = newState(cfg.profile, cfg.devices, (k) => DEVICES[k].offsetStartPage);
    // driver probe: boot buffers take their offsets before any program runs
    this.state.devices.forEach((d, dev) => {
      if (d.kind === 'amdgpu') d.amd = newAmdDev(deviceParams('amdgpu', cfg.deviceParams?.[dev]));
      if (DEVICES[d.kind].qxlVram) d.qxl = newQxlDev(deviceParams(d.kind, cfg.deviceParams?.[dev]));
      if (DEVICES[d.kind].dmaPool) d.pool = { base: POOL_BASE, pages: Math.max(1, Math.floor((deviceParams(d.kind, cfg.deviceParams?.[dev]).pool_kib * 1024) / 4096)) };
      for (const bytes of DEVICES[d.kind].bootBuffers) {
        const size = Math.ceil(bytes / 4096) * 4096;
        const offsetPage = d.offsets.insert(size / 4096);
        const id = this.state.nextId++;
        this.state.objects.set(id, { id, dev, size, readonly: false, kernelHeld: true, name: 0, dmaBuf: null, importOf: null, offsetPage, pages: new Map() });
      }
    });
  }
  exec(op: OpName, args: readonly bigint[]): Outcome {
    const o = step(this.state, op, args);
    collect(this.state);
    return o;
  }
}

/** qxl evictions over every session of the run, for the summary (impl prints its TTM's). */
let qxlEvictions = 0;
let lastSession: ModelSession | null = null;
function foldQxl(): void {
  for (const d of lastSession?.state.devices ?? []) qxlEvictions += d.qxl?.evictions ?? 0;
  lastSession = null;
}

export const modelTarget: Target = sessionTarget({
  name: 'model',
  open: (cfg) => {
    foldQxl();
    return (lastSession = new ModelSession(cfg));
  },
  notes: () => {
    foldQxl();
    return qxlEvictions ? [`model: ${qxlEvictions.toLocaleString('en-US')} qxl evictions`] : [];
  },
});
