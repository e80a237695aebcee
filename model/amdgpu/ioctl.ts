/** amdgpu's driver ioctls and gemcheck's test ioctls (ir/calls/amdgpu.ts, docs/amdgpu.md). */
import type { OpName } from '../../ir/calls.ts';
import { u32, u64 } from '../../ir/ints.ts';
import { ok, err, type Outcome } from '../../ir/outcome.ts';
import { Errno } from '../../ir/uapi.ts';
import { handleCreate, lookup } from '../gem.ts';
import type { MDrmFile, MObject, MState } from '../state.ts';
import { boCreate, boPin, boUnpin, ONCHIP } from './bo.ts';
import { csComplete, csSubmit, ctxAlloc, ctxFree, waitCs, waitFences } from './cs.ts';
import { busy, CREATE, destroy, DOMAIN, placement, polls, touch, used, validate, waitIdle } from './ttm.ts';

const ALL_FLAGS = CREATE.CPU_ACCESS_REQUIRED | CREATE.NO_CPU_ACCESS | CREATE.CPU_GTT_USWC | CREATE.VRAM_CLEARED | CREATE.VM_ALWAYS_VALID | CREATE.EXPLICIT_SYNC | CREATE.ENCRYPTED;

/** amdgpu_gem_create_ioctl. */
function gemCreate(s: MState, f: MDrmFile, size: bigint, align: bigint, domainsArg: bigint, flagsArg: bigint): Outcome {
  const whitelist = BigInt(ALL_FLAGS | (s.profile.amdgpuDiscardable ? CREATE.DISCARDABLE : 0)); // DISCARDABLE: 5.19+
  if (flagsArg & ~whitelist) return err(Errno.EINVAL); // reject invalid gem flags
  if (domainsArg & ~0x3fn) return err(Errno.EINVAL); // AMDGPU_GEM_DOMAIN_MASK (no DOORBELL)
  let flags = Number(flagsArg);
  if (flags & CREATE.ENCRYPTED) return err(Errno.EINVAL); // no TMZ
  let domains = Number(domainsArg);
  if (domains & ONCHIP) {
    if (flags & CREATE.VM_ALWAYS_VALID) return err(Errno.EINVAL); // "GDS bo cannot be per-vm-bo"
    flags |= CREATE.NO_CPU_ACCESS;
  }
  for (;;) {
    const o = boCreate(s, f.dev, { size, align, domains, flags, kind: 'device', file: f.id });
    if (typeof o !== 'number') return ok({ handle: BigInt(handleCreate(f, o)) });
    // retry: without CPU_ACCESS_REQUIRED, then VRAM-only as VRAM|GTT
    if (flags & CREATE.CPU_ACCESS_REQUIRED) flags &= ~CREATE.CPU_ACCESS_REQUIRED;
    else if (domains === 0x4) domains = 0x6;
    else return err(o);
  }
}

/** amdgpu_gem_userptr_ioctl (sim: no user memory behind it; its pages are taken as present). */
function gemUserptr(s: MState, f: MDrmFile, addr: bigint, size: bigint, flags: number): Outcome {
  if ((addr | size) & 0xfffn) return err(Errno.EINVAL);
  if (flags & ~0xf) return err(Errno.EINVAL); // READONLY | ANONONLY | VALIDATE | REGISTER
  if (!(flags & 1) && !(flags & 8)) return err(Errno.EACCES); // writable needs an MMU notifier
  const o = boCreate(s, f.dev, { size, align: 0n, domains: 0x1, flags: 0, kind: 'userptr' });
  if (typeof o === 'number') return err(o);
  const bo = o.amd!;
  bo.preferred = bo.allowed = 0x2;
  if (flags & 4) {
    // AMDGPU_GEM_USERPTR_VALIDATE: ttm_bo_validate into GTT under the reservation; on failure
    // the object is released and no handle is made
    const r = validate(bo, placement(bo.dev, bo.flags, 0x2));
    touch(bo);
    if (r) {
      destroy(bo);
      s.devices[f.dev].offsets.remove(o.offsetPage!);
      s.objects.delete(o.id);
      return err(Errno[r]);
    }
  }
  return ok({ handle: BigInt(handleCreate(f, o)) });
}

/** amdgpu_gem_op_ioctl: every op after the lookup reserves and unreserves the bo (LRU tail). */
function gemOp(obj: MObject, op: number, value: bigint): Outcome {
  const bo = obj.amd!;
  touch(bo);
  const zero = { size: 0n, alignment: 0n, domains: 0n, flags: 0n };
  if (op === 0) return ok({ size: bo.infoSize, alignment: bo.infoAlign, domains: BigInt(bo.preferred), flags: BigInt(bo.flags) });
  if (op !== 1) return err(Errno.EINVAL);
  if (bo.kind === 'sg' && value & 0x4n) return err(Errno.EINVAL); // imported: no VRAM
  if (bo.kind === 'userptr') return err(Errno.EPERM);
  bo.preferred = Number(value & 0x7n);
  bo.allowed = bo.preferred === 0x4 ? 0x6 : bo.preferred;
  return ok(zero);
}

function boOf(s: MState, f: MDrmFile, h: bigint) {
  return lookup(s, f, u32(h));
}

export function amdgpuIoctl(s: MState, f: MDrmFile, op: OpName, a: readonly bigint[]): Outcome {
  const d = s.devices[f.dev].amd!;
  switch (op) {
    case 'amdgpu_gem_create': return gemCreate(s, f, u64(a[1]), u64(a[2]), u64(a[3]), u64(a[4]));
    case 'amdgpu_gem_userptr': return gemUserptr(s, f, u64(a[1]), u64(a[2]), u32(a[3]));
    case 'amdgpu_ctx_alloc': return ctxAlloc(d, f);
    case 'amdgpu_ctx_free': return ctxFree(d, f, u32(a[1]));
    case 'amdgpu_cs': return csSubmit(s, d, f, u32(a[1]), [u32(a[2]), u32(a[3]), u32(a[4])]);
    case 'amdgpu_cs_complete': return csComplete(d, f, u32(a[1]), u64(a[2]));
    case 'amdgpu_wait_cs': return waitCs(d, f, u32(a[1]), u64(a[2]), u64(a[3]));
    case 'amdgpu_wait_fences': return waitFences(d, f, u32(a[1]), u64(a[2]), u64(a[3]), u32(a[4]), u64(a[5]));
    case 'amdgpu_info': {
      // amdgpu_info_ioctl: AMDGPU_INFO_VRAM_USAGE, GTT_USAGE, VIS_VRAM_USAGE (bytes)
      const q = u32(a[1]);
      const v = q === 0x10 ? used(d, 'vram').pages : q === 0x11 ? used(d, 'gtt').pages : q === 0x17 ? used(d, 'vram').vis : -1;
      return v < 0 ? err(Errno.EINVAL) : ok({ value: BigInt(v) * 4096n });
    }
    default: break;
  }
  const obj = boOf(s, f, a[1]);
  if (!obj || !obj.amd) return err(Errno.ENOENT);
  const bo = obj.amd;
  switch (op) {
    case 'amdgpu_gem_mmap':
      // amdgpu_mode_dumb_mmap: userptr or NO_CPU_ACCESS → EPERM
      if (bo.kind === 'userptr' || bo.flags & CREATE.NO_CPU_ACCESS) return err(Errno.EPERM);
      return ok({ offset: BigInt(obj.offsetPage!) * 4096n });
    case 'amdgpu_gem_op': return gemOp(obj, u32(a[2]), u64(a[3]));
    case 'amdgpu_gem_wait_idle': {
      // amdgpu_gem_wait_idle_ioctl: a timeout in the past polls; any other waits (the GPU finishes, sim)
      if (polls(u64(a[2]))) return ok({ status: busy(bo) ? 1n : 0n });
      waitIdle(bo);
      return ok({ status: 0n });
    }
    case 'amdgpu_bo_info':
      return ok({ domain: BigInt(DOMAIN[bo.mem]), visible: bo.mem === 'vram' && bo.vis === bo.pages ? 1n : 0n, pins: BigInt(bo.pins) });
    case 'amdgpu_bo_pin': {
      // gemcheck: amdgpu_bo_pin under the reservation; the unreserve moves it (bdev->pinned if pinned)
      const r = boPin(bo, u32(a[2]));
      touch(bo);
      return r ? err(r) : ok();
    }
    case 'amdgpu_bo_unpin': {
      // gemcheck: amdgpu_bo_unpin under the reservation; the unreserve puts it at its LRU tail at 0
      const r = bo.pins ? 0 : Errno.EINVAL;
      boUnpin(bo);
      touch(bo);
      return r ? err(r) : ok();
    }
    default: return err(Errno.EINVAL);
  }
}
