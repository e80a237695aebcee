/**
 * amdgpu (simulated; docs/amdgpu.md): the drm_driver table — driver ioctls (amdgpu_gem.c,
 * amdgpu_ctx.c, amdgpu_cs.c, amdgpu_kms.c and gemcheck's test ioctls), dumb buffers, PRIME,
 * the legacy mmap path per profile. Argument vectors are the ir/calls/amdgpu.ts ones with the
 * fd first. Nothing here throws: bad arguments give the kernel's errno.
 */
import { DRM_AUTH, DRM_RENDER_ALLOW } from '../../../ir/ioctls.ts';
import { i32, u32, u64 } from '../../../ir/ints.ts';
import type { Profile } from '../../../ir/target.ts';
import { Errno, PAGE_SIZE } from '../../../ir/uapi.ts';
import type { DriverIoctl, DrmDriver } from '../../hooks.ts';
import type { DrmDevice } from '../../core/drm_device.ts';
import type { DrmFile } from '../../core/drm_file.ts';
import { drmGemHandleCreateTail, drmGemObjectLookup } from '../../core/drm_gem.ts';
import { ERR_PTR, IS_ERR } from '../../core/errptr.ts';
import { Idr } from '../../core/idr.ts';
import { ttmBoAddFence, ttmBoDelayedDelete, ttmBoIdle, ttmBoValidate, ttmBoWaitCtx, TtmFence, type TtmBufferObject } from '../../ttm/bo.ts';
import { ttmResourceCompat } from '../../ttm/resource.ts';
import type { TtmDevice } from '../../ttm/device.ts';
import { gemTtmDriverDebug } from '../gem_ttm.ts';
import { amdgpuBoCreate, amdgpuBoPin, amdgpuBoUnpin, amdgpuGemPrimeImport, amdgpuLegacyMmap, isAmdgpuBo, unreserveTail, type AmdgpuBo } from './bo.ts';
import {
  amdgpuTtmInit,
  both,
  CREATE_CPU_ACCESS_REQUIRED,
  CREATE_CPU_GTT_USWC,
  CREATE_DISCARDABLE,
  CREATE_ENCRYPTED,
  CREATE_EXPLICIT_SYNC,
  CREATE_NO_CPU_ACCESS,
  CREATE_VM_ALWAYS_VALID,
  CREATE_VRAM_CLEARED,
  CREATE_VRAM_CONTIGUOUS,
  DOMAIN_CPU,
  DOMAIN_GTT,
  DOMAIN_MASK,
  DOMAIN_VRAM,
  memTypeToDomain,
  ON_CHIP,
  placementFromDomain,
  wholyVisible,
  type AmdgpuDevice,
} from './ttm.ts';

/** amdgpu_sched_jobs: the ring window of amdgpu_ctx_get_fence. */
const SCHED_JOBS = 32n;
/** AMDGPU_VM_MAX_NUM_CTX */
const MAX_NUM_CTX = 4096;
const MAX_U64 = (1n << 64n) - 1n;
/** sim: CLOCK_MONOTONIC reads 2^40 ns for the whole program (docs/amdgpu.md "Timeouts") */
const NOW_NS = 1n << 40n;
/** amdgpu_gem_timeout: an absolute time; one in the past polls (0), a later one waits */
const waits = (timeout: bigint): boolean => timeout >= NOW_NS;

/** One submitted job: its fence (on every bo of its list) and its place on the ring. */
interface Job {
  readonly seq: bigint;
  readonly fence: JobFence;
  /** submission order across every context of the device */
  readonly ringPos: number;
}

/** A job's fence on the gfx ring. The ring is in order across contexts (sim: one gfx ring,
 * docs/amdgpu.md "Jobs"), so signalling one (a TTM wait, WAIT_CS, cs_complete) completes
 * every job submitted before it first; then the zombies left idle are reclaimed
 * (ttm_bo_delayed_delete). */
class JobFence extends TtmFence {
  constructor(
    bdev: TtmDevice,
    readonly ctx: AmdgpuCtx,
    readonly seq: bigint,
  ) {
    super(bdev, bdev.nextFence++);
  }
  override signal(): boolean {
    if (this.signaled) return false;
    completeUpTo(this.ctx, this.seq);
    return true;
  }
  signalRaw(): boolean {
    return super.signal();
  }
}

/** The device's gfx ring: every unsignalled job, in submission order (the head may have been
 * signalled meanwhile). */
class GfxRing {
  readonly jobs: Job[] = [];
  head = 0;
  nextPos = 0;
  constructor(readonly bdev: TtmDevice) {}
}

/** The ring's jobs up to ringPos `through` complete, in order; then the delayed delete. O(jobs completed). */
function ringCompleteThrough(ring: GfxRing, through: number): void {
  let any = false;
  while (ring.head < ring.jobs.length && ring.jobs[ring.head].ringPos <= through) any = ring.jobs[ring.head++].fence.signalRaw() || any;
  if (ring.head > 64 && ring.head * 2 > ring.jobs.length) {
    ring.jobs.splice(0, ring.head);
    ring.head = 0;
  }
  if (any && ring.bdev.ddestroy.size) ttmBoDelayedDelete(ring.bdev);
}

/** struct amdgpu_ctx (the gfx ring entity): the next sequence and its jobs in flight. */
class AmdgpuCtx {
  constructor(readonly ring: GfxRing) {}
  /** centity->sequence */
  next = 1n;
  /** the ring window: seq → job (only the last SCHED_JOBS are kept, as centity->fences) */
  readonly window = new Map<bigint, Job>();
  /** this context's jobs in submission order, from the first that may be unsignalled */
  readonly pending: Job[] = [];
  head = 0;
}

/** struct amdgpu_fpriv: the context manager. */
class AmdgpuFpriv {
  readonly ctxs = new Idr<AmdgpuCtx>(1, MAX_NUM_CTX - 1);
  /** the VM's always-valid bos, in creation order (dropped when freed) */
  vmBos: AmdgpuBo[] = [];
}
const fpriv = (file: DrmFile): AmdgpuFpriv => file.driverPriv as AmdgpuFpriv;

/** The context's jobs with seq ≤ upTo complete — and, the ring being in order, every job of
 * any context submitted before the last of them. O(log jobs + jobs completed). */
function completeUpTo(ctx: AmdgpuCtx, upTo: bigint): void {
  const p = ctx.pending;
  while (ctx.head < p.length && p[ctx.head].fence.signaled) ctx.head++;
  // the last pending job with seq ≤ upTo (seqs ascend)
  let lo = ctx.head;
  let hi = p.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (p[mid].seq <= upTo) lo = mid + 1;
    else hi = mid;
  }
  if (lo > ctx.head) ringCompleteThrough(ctx.ring, p[lo - 1].ringPos);
  while (ctx.head < p.length && p[ctx.head].fence.signaled) ctx.head++;
  if (ctx.head > 64 && ctx.head * 2 > p.length) {
    p.splice(0, ctx.head);
    ctx.head = 0;
  }
}

/** amdgpu_ctx_get_fence: 'einval', null (signalled and gone), or the job. */
function ctxGetFence(ctx: AmdgpuCtx, seqIn: bigint): 'einval' | Job | null {
  const seq = seqIn === MAX_U64 ? ctx.next - 1n : seqIn;
  if (seq >= ctx.next) return 'einval';
  if (seq + SCHED_JOBS < ctx.next) return null;
  return ctx.window.get(seq) ?? null;
}

const lookupCtx = (file: DrmFile, id: bigint): AmdgpuCtx | null => {
  const v = u32(id);
  return fpriv(file).ctxs.find(v) ?? null;
};

/** The bo behind a handle: +1 GEM reference (drm_gem_object_lookup), only amdgpu bos. */
function lookupBo(file: DrmFile, handle: bigint): AmdgpuBo | null {
  const obj = drmGemObjectLookup(file, u32(handle));
  if (!obj) return null;
  if (!isAmdgpuBo(obj) || !obj.bo) {
    obj.put();
    return null;
  }
  return obj;
}

const ioctl = (handler: DriverIoctl['handler'], flags = DRM_AUTH | DRM_RENDER_ALLOW): DriverIoctl => ({ flags, handler });

export function amdgpuDriver(profile: Profile, params: Readonly<Record<string, number>> = {}): DrmDriver {
  let adevRef: AmdgpuDevice | null = null;
  let ring: GfxRing | null = null;
  const ringOf = (dev: DrmDevice): GfxRing => (ring ??= new GfxRing(devOf(dev).bdev));
  let openFiles = 0;
  /** The GPU finishes every job of closed files; the delayed delete reclaims every zombie. */
  const gpuIdle = (dev: DrmDevice): void => {
    ringCompleteThrough(ringOf(dev), Infinity);
    const bdev = devOf(dev).bdev;
    if (bdev.ddestroy.size) ttmBoDelayedDelete(bdev, true);
  };
  const devOf = (dev: DrmDevice): AmdgpuDevice => {
    if (!adevRef) adevRef = amdgpuTtmInit(dev, params);
    return adevRef;
  };

  /** The GEM_CREATE flag whitelist (6.1; 5.10 has no DISCARDABLE). */
  const whitelist =
    CREATE_CPU_ACCESS_REQUIRED | CREATE_NO_CPU_ACCESS | CREATE_CPU_GTT_USWC | CREATE_VRAM_CLEARED | CREATE_VM_ALWAYS_VALID | CREATE_EXPLICIT_SYNC | CREATE_ENCRYPTED | (profile.amdgpuDiscardable ? CREATE_DISCARDABLE : 0);

  const ioctls: Record<string, DriverIoctl> = {
    // amdgpu_gem_create_ioctl
    amdgpu_gem_create: ioctl((dev, file, a, out) => {
      const adev = devOf(dev);
      const size = u64(a[1]);
      const alignment = i32(a[2]); // amdgpu_gem_object_create's int alignment
      const domains = u64(a[3]);
      const flags64 = u64(a[4]);
      if (flags64 & ~BigInt(whitelist) && !dev.kernel.faults.has('amdgpu-flag-whitelist')) return -Errno.EINVAL;
      if (domains & ~BigInt(DOMAIN_MASK)) return -Errno.EINVAL;
      let flags = Number(flags64 & 0xffff_ffffn);
      if (flags & CREATE_ENCRYPTED) return -Errno.EINVAL; // !amdgpu_is_tmz(adev)
      let domain = Number(domains);
      if (domain & ON_CHIP) {
        // "if gds bo is created from user space, it must be passed to bo list"
        if (flags & CREATE_VM_ALWAYS_VALID) return -Errno.EINVAL;
        flags |= CREATE_NO_CPU_ACCESS;
      }
      const vmFile = flags & CREATE_VM_ALWAYS_VALID ? file : null;
      for (;;) {
        const r = amdgpuBoCreate(adev, dev, { size, byteAlign: alignment, domain, flags, type: 'device', vmFile });
        if (!IS_ERR(r)) {
          if (vmFile) {
            const fp = fpriv(file);
            fp.vmBos = fp.vmBos.filter((b) => !b.freed);
            fp.vmBos.push(r);
          }
          const h = drmGemHandleCreateTail(file, r);
          r.put();
          if (h < 0) return h;
          out.handle = BigInt(h);
          return 0;
        }
        // the retry rules of amdgpu_gem_create_ioctl
        if (flags & CREATE_CPU_ACCESS_REQUIRED) flags &= ~CREATE_CPU_ACCESS_REQUIRED;
        else if (domain === DOMAIN_VRAM) domain |= DOMAIN_GTT;
        else return -r.errno;
      }
    }),

    // amdgpu_gem_mmap_ioctl → amdgpu_mode_dumb_mmap
    amdgpu_gem_mmap: ioctl((_dev, file, a, out) => {
      const abo = lookupBo(file, a[1]);
      if (!abo) return -Errno.ENOENT;
      const r = mmapOffset(abo);
      abo.put();
      if (r < 0n) return Number(r);
      out.offset = r;
      return 0;
    }),

    // amdgpu_gem_userptr_ioctl
    amdgpu_gem_userptr: ioctl((dev, file, a, out) => {
      const adev = devOf(dev);
      const addr = u64(a[1]);
      const size = u64(a[2]);
      const flags = u32(a[3]);
      if ((addr | size) & BigInt(PAGE_SIZE - 1)) return -Errno.EINVAL;
      if (flags & ~0xf) return -Errno.EINVAL;
      // "if we want to write to it we must install a MMU notifier"
      if (!(flags & 1) && !(flags & 8)) return -Errno.EACCES;
      const r = amdgpuBoCreate(adev, dev, { size, byteAlign: 0, domain: DOMAIN_CPU, flags: 0, type: 'device' });
      if (IS_ERR(r)) return -r.errno;
      r.userptr = true; // amdgpu_ttm_tt_set_userptr
      r.preferred = DOMAIN_GTT;
      r.allowed = DOMAIN_GTT;
      // AMDGPU_GEM_USERPTR_VALIDATE: into GTT at once (sim: the user pages are taken as present)
      if (flags & 4) {
        const v = ttmBoValidate(r.bo, both(placementFromDomain(adev, r.flags, DOMAIN_GTT)), { interruptible: true, noWaitGpu: false });
        unreserveTail(r);
        if (v) {
          r.put();
          return v;
        }
      }
      const h = drmGemHandleCreateTail(file, r);
      r.put();
      if (h < 0) return h;
      out.handle = BigInt(h);
      return 0;
    }),

    // amdgpu_gem_op_ioctl: every op after the lookup runs reserved (LRU tail at unreserve)
    amdgpu_gem_op: ioctl((_dev, file, a, out) => {
      const abo = lookupBo(file, a[1]);
      if (!abo) return -Errno.ENOENT;
      const op = u32(a[2]);
      const value = u64(a[3]);
      let ret = 0;
      if (op === 0) {
        // AMDGPU_GEM_OP_GET_GEM_CREATE_INFO
        out.size = BigInt(abo.size);
        out.alignment = abo.alignment;
        out.domains = BigInt(abo.preferred);
        out.flags = BigInt(abo.flags);
      } else if (op === 1) {
        // AMDGPU_GEM_OP_SET_PLACEMENT
        if (abo.importAttach && value & BigInt(DOMAIN_VRAM)) ret = -Errno.EINVAL;
        else if (abo.userptr) ret = -Errno.EPERM;
        else {
          abo.preferred = Number(value & BigInt(DOMAIN_VRAM | DOMAIN_GTT | DOMAIN_CPU));
          abo.allowed = abo.preferred;
          if (abo.allowed === DOMAIN_VRAM) abo.allowed |= DOMAIN_GTT;
          out.size = 0n;
          out.alignment = 0n;
          out.domains = 0n;
          out.flags = 0n;
        }
      } else ret = -Errno.EINVAL;
      unreserveTail(abo);
      abo.put();
      return ret;
    }),

    // amdgpu_gem_wait_idle_ioctl (sim: any nonzero timeout waits until the jobs complete)
    amdgpu_gem_wait_idle: ioctl((_dev, file, a, out) => {
      const abo = lookupBo(file, a[1]);
      if (!abo) return -Errno.ENOENT;
      const timeout = u64(a[2]);
      if (!waits(timeout)) out.status = ttmBoIdle(abo.bo) ? 0n : 1n;
      else {
        ttmBoWaitCtx(abo.bo, { interruptible: true, noWaitGpu: false });
        out.status = 0n;
      }
      abo.put();
      return 0;
    }),

    // amdgpu_ctx_ioctl AMDGPU_CTX_OP_ALLOC_CTX
    amdgpu_ctx_alloc: ioctl((_dev, file, _a, out) => {
      const ctx = new AmdgpuCtx(ringOf(_dev));
      const id = fpriv(file).ctxs.alloc(ctx);
      if (id < 0) return -Errno.ENOSPC;
      out.ctx = BigInt(id);
      return 0;
    }),
    // AMDGPU_CTX_OP_FREE_CTX: its jobs stay on the ring (their fences live on)
    amdgpu_ctx_free: ioctl((_dev, file, a) => {
      const id = u32(a[1]);
      const ctxs = fpriv(file).ctxs;
      if (!ctxs.find(id)) return -Errno.EINVAL;
      ctxs.remove(id);
      return 0;
    }),

    // amdgpu_cs_ioctl
    amdgpu_cs: ioctl((dev, file, a, out) => {
      const adev = devOf(dev);
      const ctx = lookupCtx(file, a[1]);
      if (!ctx) return -Errno.EINVAL; // amdgpu_cs_parser_init
      // amdgpu_bo_list_create: every handle looked up first (ENOENT)
      const entries: AmdgpuBo[] = [];
      for (const h of [a[2], a[3], a[4]]) {
        if (!u32(h ?? 0n)) continue;
        const abo = lookupBo(file, h);
        if (!abo) {
          for (const b of entries) b.put();
          return -Errno.ENOENT;
        }
        entries.push(abo);
      }
      // (3) the list by first occurrence, without VM_ALWAYS_VALID bos: non-userptr bos in list
      // order, then userptr bos in reverse list order (amdgpu_bo_list_create)
      const firsts = entries.filter((b, i) => entries.indexOf(b) === i && !(b.flags & CREATE_VM_ALWAYS_VALID));
      const list = [...firsts.filter((b) => !b.userptr), ...firsts.filter((b) => b.userptr).reverse()];
      // (2) repeated entries, in reverse order (ttm_eu_reserve_buffers: a repeat to the head of
      // the duplicates list)
      const dups = entries.filter((b, i) => entries.indexOf(b) !== i).reverse();
      // (1) the file's VM_ALWAYS_VALID bos not where they prefer (amdgpu_vm_validate_pt_bos)
      const vmBos = fpriv(file).vmBos.filter((b) => !b.freed && b.bo && !b.bo.destroyed);
      const evicted = vmBos.filter((b) => !b.bo.resource || !ttmResourceCompat(b.bo.resource, both(placementFromDomain(adev, b.flags, b.preferred))));
      // ttm_eu_reserve_buffers: every bo is reserved while any validates, so none is evicted
      // for another (ttm_bo_evict_swapout_allowable: the trylock fails)
      const reserved = adev.bdev.reserved;
      const all = new Set([...vmBos, ...dups, ...list].map((b) => b.bo));
      const took = [...all].filter((bo) => !reserved.has(bo));
      for (const bo of took) reserved.add(bo);
      let ret = 0;
      for (const abo of [...evicted, ...dups, ...list]) {
        ret = csBoValidate(adev, abo);
        if (ret) break;
      }
      for (const bo of took) reserved.delete(bo);
      if (!ret) {
        // amdgpu_cs_submit: the job's fence on every bo (ttm_eu_fence_buffer_objects) and on
        // the VM's always-valid bos
        const job: Job = { seq: ctx.next, fence: new JobFence(adev.bdev, ctx, ctx.next), ringPos: ctx.ring.nextPos++ };
        ctx.next++;
        ctx.window.set(job.seq, job);
        ctx.window.delete(job.seq - SCHED_JOBS);
        ctx.pending.push(job);
        ctx.ring.jobs.push(job);
        for (const abo of new Set([...list, ...vmBos])) ttmBoAddFence(abo.bo, job.fence);
        out.seq = job.seq;
      }
      // ttm_eu_fence_buffer_objects / ttm_eu_backoff_reservation: LRU tails in list order
      for (const abo of list) unreserveTail(abo);
      for (const abo of entries) abo.put();
      return ret;
    }),

    // gemcheck: the GPU finishes the context's jobs up to seq
    amdgpu_cs_complete: ioctl((_dev, file, a) => {
      const ctx = lookupCtx(file, a[1]);
      if (!ctx) return -Errno.EINVAL;
      const raw = u64(a[2]);
      const seq = raw === MAX_U64 ? ctx.next - 1n : raw;
      if (seq >= ctx.next) return -Errno.EINVAL;
      completeUpTo(ctx, seq);
      return 0;
    }, DRM_RENDER_ALLOW),

    // amdgpu_cs_wait_ioctl
    amdgpu_wait_cs: ioctl((_dev, file, a, out) => {
      const ctx = lookupCtx(file, a[1]);
      if (!ctx) return -Errno.EINVAL;
      const f = ctxGetFence(ctx, u64(a[2]));
      if (f === 'einval') return -Errno.EINVAL;
      out.status = waitJob(ctx, f, u64(a[3])) ? 0n : 1n;
      return 0;
    }),

    // amdgpu_cs_wait_fences_ioctl over two fences of one context
    amdgpu_wait_fences: ioctl((_dev, file, a, out) => {
      const ctx = lookupCtx(file, a[1]);
      if (!ctx) return -Errno.EINVAL; // amdgpu_cs_get_fence, for the first fence already
      const seqs = [u64(a[2]), u64(a[3])];
      const waitAll = u32(a[4]) !== 0;
      const timeout = u64(a[5]);
      if (waitAll) {
        // amdgpu_cs_wait_all_fences: r = 1; an unsignalled fence after a zero wait breaks out
        let signalled = true;
        for (const s of seqs) {
          const f = ctxGetFence(ctx, s);
          if (f === 'einval') return -Errno.EINVAL;
          if (!f) continue;
          if (!waitJob(ctx, f, timeout)) {
            signalled = false;
            break;
          }
        }
        out.status = signalled ? 1n : 0n;
        out.first = 0n;
        return 0;
      }
      // amdgpu_cs_wait_any_fence: a NULL (long signalled) fence answers at once
      const jobs: Job[] = [];
      for (const [i, s] of seqs.entries()) {
        const f = ctxGetFence(ctx, s);
        if (f === 'einval') return -Errno.EINVAL;
        if (!f) {
          out.status = 1n;
          out.first = BigInt(i);
          return 0;
        }
        jobs.push(f);
      }
      // dma_fence_wait_any_timeout: the first signalled in order
      const idx = jobs.findIndex((j) => j.fence.signaled);
      if (idx >= 0) {
        out.status = 1n;
        out.first = BigInt(idx);
      } else if (!waits(timeout)) {
        out.status = 0n;
        out.first = 0xffff_ffffn; // first = ~0 untouched
      } else {
        // the ring is in order: the earlier-submitted job signals first
        const i = jobs[1].seq < jobs[0].seq ? 1 : 0;
        waitJob(ctx, jobs[i], timeout);
        out.status = 1n;
        out.first = BigInt(i);
      }
      return 0;
    }),

    // amdgpu_info_ioctl (the memory usage queries)
    amdgpu_info: ioctl((dev, _file, a, out) => {
      const adev = devOf(dev);
      const q = u32(a[1]);
      if (q === 0x10) out.value = BigInt(adev.vram.usage);
      else if (q === 0x11) out.value = BigInt(adev.gtt.usage);
      else if (q === 0x17) out.value = BigInt(adev.vram.visUsed) * BigInt(PAGE_SIZE);
      else return -Errno.EINVAL;
      return 0;
    }),

    // gemcheck (debugfs amdgpu_gem_info): placement and pins
    amdgpu_bo_info: ioctl((_dev, file, a, out) => {
      const abo = lookupBo(file, a[1]);
      if (!abo) return -Errno.ENOENT;
      const res = abo.bo.resource;
      out.domain = BigInt(res ? memTypeToDomain(res.memType) : 0);
      out.visible = wholyVisible(res) ? 1n : 0n;
      out.pins = BigInt(abo.bo.pinCount);
      abo.put();
      return 0;
    }, DRM_RENDER_ALLOW),

    // gemcheck: amdgpu_bo_pin(bo, domain) under the reservation
    amdgpu_bo_pin: ioctl((_dev, file, a) => {
      const abo = lookupBo(file, a[1]);
      if (!abo) return -Errno.ENOENT;
      const ret = amdgpuBoPin(abo, u32(a[2]));
      // the caller's unreserve, whether the pin worked or not (amdgpu_display_crtc_page_flip_target:
      // amdgpu_bo_reserve, amdgpu_bo_pin, "goto unreserve" on failure): ttm_bo_unreserve moves
      // the bo to its LRU tail unconditionally (ttm_bo_move_to_lru_tail_unlocked)
      unreserveTail(abo);
      abo.put();
      return ret;
    }, DRM_RENDER_ALLOW),

    // gemcheck: amdgpu_bo_unpin
    amdgpu_bo_unpin: ioctl((_dev, file, a) => {
      const abo = lookupBo(file, a[1]);
      if (!abo) return -Errno.ENOENT;
      let ret = 0;
      if (!abo.bo.pinCount) ret = -Errno.EINVAL;
      else amdgpuBoUnpin(abo);
      unreserveTail(abo); // ttm_bo_unreserve: the LRU tail, refused or not (as for the pin)
      abo.put();
      return ret;
    }, DRM_RENDER_ALLOW),
  };

  return {
    name: 'amdgpu',
    features: { render: true, prime: true },
    // amdgpu_mode_dumb_create
    dumbCreate(file, dev, args) {
      const adev = devOf(dev);
      const cpp = Math.floor((args.bpp + 7) / 8);
      const mask = cpp === 1 ? 255 : cpp === 2 ? 127 : cpp === 3 || cpp === 4 ? 63 : 0;
      const aligned = ((args.width | 0) + mask) & ~mask; // int arithmetic
      const pitch = Math.imul(aligned, cpp) >>> 0;
      const size = (BigInt(pitch) * BigInt(args.height) + BigInt(PAGE_SIZE - 1)) & ~BigInt(PAGE_SIZE - 1);
      const flags = CREATE_CPU_ACCESS_REQUIRED | CREATE_CPU_GTT_USWC | CREATE_VRAM_CONTIGUOUS | CREATE_VRAM_CLEARED;
      const r = amdgpuBoCreate(adev, dev, { size, byteAlign: 0, domain: DOMAIN_VRAM, flags, type: 'device' });
      if (IS_ERR(r)) return -Errno.ENOMEM;
      const h = drmGemHandleCreateTail(file, r);
      r.put();
      if (h < 0) return h;
      args.pitch = pitch;
      args.size = size;
      args.handle = h;
      return 0;
    },
    // amdgpu_mode_dumb_mmap (amdgpu_kms_driver.dumb_map_offset): as GEM_MMAP
    dumbMapOffset(file, _dev, handle) {
      const abo = lookupBo(file, BigInt(handle));
      if (!abo) return ERR_PTR(Errno.ENOENT);
      const r = mmapOffset(abo);
      abo.put();
      return r < 0n ? ERR_PTR(Number(-r)) : r;
    },
    gemPrimeImport: (dev, buf) => amdgpuGemPrimeImport(devOf(dev), dev, buf),
    ...(profile.amdgpuLegacyMmap ? { fopsMmap: amdgpuLegacyMmap } : {}),
    ioctls,
    open(_dev, file) {
      openFiles++;
      file.driverPriv = new AmdgpuFpriv();
      return 0;
    },
    probe(dev) {
      devOf(dev);
    },
    // amdgpu_driver_postclose_kms → amdgpu_ctx_mgr_fini: the contexts go, their jobs stay on
    // the ring (their fences live on: a later file can still see their bos busy)
    // — until the device's last file is released: then nothing can observe the GPU, which
    // finishes every job, and the zombies left idle are reclaimed (sim, docs/amdgpu.md)
    postclose(dev, file) {
      file.driverPriv = null;
      if (--openFiles === 0) gpuIdle(dev);
    },
    // device teardown at session exit (amdgpu_device_fini → ttm_device_fini): the GPU
    // finishes every job, the delayed delete reclaims every zombie (remove_all)
    unload: (dev) => gpuIdle(dev),
    debug: { ...gemTtmDriverDebug },
  };
}

/** Wait for a job (dma_fence_wait_timeout): true when signalled. timeout 0 polls; any other
 * timeout waits (sim), and the ring completes the job and all before it on the context. */
function waitJob(ctx: AmdgpuCtx, job: Job | null, timeout: bigint): boolean {
  if (!job || job.fence.signaled) return true;
  if (!waits(timeout)) return false;
  completeUpTo(ctx, job.seq);
  return true;
}

/** amdgpu_mode_dumb_mmap: userptr or NO_CPU_ACCESS → EPERM; else amdgpu_bo_mmap_offset. */
function mmapOffset(abo: AmdgpuBo): bigint {
  if ((abo.userptr && !abo.dev.kernel.faults.has('amdgpu-userptr-mmap')) || abo.flags & CREATE_NO_CPU_ACCESS) return BigInt(-Errno.EPERM);
  return BigInt(abo.vmaNode.start) * BigInt(PAGE_SIZE);
}

/** amdgpu_cs_bo_validate (sim: no bytes-moved throttle, preferred first): pinned → skip;
 * preferred, then on ENOMEM allowed if it differs. */
function csBoValidate(adev: AmdgpuDevice, abo: AmdgpuBo): number {
  const bo: TtmBufferObject = abo.bo;
  if (bo.pinCount) return 0;
  let domain = abo.preferred;
  for (;;) {
    const r = ttmBoValidate(bo, both(placementFromDomain(adev, abo.flags, domain)), { interruptible: true, noWaitGpu: false });
    if (r === -Errno.ENOMEM && domain !== abo.allowed) {
      domain = abo.allowed;
      continue;
    }
    return r;
  }
}
