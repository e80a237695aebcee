/** Contexts, command submission and fences (amdgpu_ctx.c, amdgpu_cs.c; sim: one in-order gfx
 * ring for the device, whose jobs finish only when gemcheck completes them or the kernel waits). */
import { ok, err, type Outcome } from '../../ir/outcome.ts';
import { Errno } from '../../ir/uapi.ts';
import { lookup } from '../gem.ts';
import { lowestFree, type MDrmFile, type MState } from '../state.ts';
import { compatibleWith, polls, completeJob, placement, touch, validate, type AmdBo, type AmdDev, type Job } from './ttm.ts';

const LATEST = 0xffff_ffff_ffff_ffffn;
const SCHED_JOBS = 32n; // amdgpu_sched_jobs: the ring window of amdgpu_ctx_get_fence

function ctxs(d: AmdDev, f: MDrmFile) {
  let m = d.ctxs.get(f.id);
  if (!m) d.ctxs.set(f.id, (m = new Map()));
  return m;
}

/** amdgpu_ctx_alloc: idr_alloc(…, 1, 0). */
export function ctxAlloc(d: AmdDev, f: MDrmFile): Outcome {
  const m = ctxs(d, f);
  const id = lowestFree(m, 1);
  m.set(id, { next: 1 });
  return ok({ ctx: BigInt(id) });
}

/** amdgpu_ctx_free: the id goes; its jobs stay pending on the ring. */
export function ctxFree(d: AmdDev, f: MDrmFile, id: number): Outcome {
  return ctxs(d, f).delete(id) ? ok() : err(Errno.EINVAL);
}

/** amdgpu_cs_bo_validate: pinned → skip; preferred, then allowed on ENOMEM. */
function csValidate(d: AmdDev, bo: AmdBo, reserved: ReadonlySet<AmdBo>): 0 | 'EINVAL' | 'ENOMEM' {
  if (bo.pins) return 0;
  const r = validate(bo, placement(d, bo.flags, bo.preferred), undefined, reserved);
  if (r !== 'ENOMEM' || bo.allowed === bo.preferred) return r;
  return validate(bo, placement(d, bo.flags, bo.allowed), undefined, reserved);
}

/** amdgpu_cs_ioctl → amdgpu_cs_parser_bos: the list is reserved, validated in the kernel's
 * order, then one job fences it and the file's VM_ALWAYS_VALID bos. */
export function csSubmit(s: MState, d: AmdDev, f: MDrmFile, ctxId: number, handles: readonly number[]): Outcome {
  const ctx = ctxs(d, f).get(ctxId);
  if (!ctx) return err(Errno.EINVAL);
  const entries: AmdBo[] = [];
  for (const h of handles) {
    if (h === 0) continue;
    const o = lookup(s, f, h);
    if (!o) return err(Errno.ENOENT); // amdgpu_bo_list_create: nothing validated
    entries.push(o.amd!);
  }
  // amdgpu_bo_list_create: userptr entries fill the array from its end (reverse list order)
  const array = [...entries.filter((b) => b.kind !== 'userptr'), ...entries.filter((b) => b.kind === 'userptr').reverse()];
  // ttm_eu_reserve_buffers after the VM root PD: an entry whose resv is already held (a repeat,
  // or a VM_ALWAYS_VALID bo: the root's resv) goes to the head of the duplicates list
  const validated: AmdBo[] = [];
  const dups: AmdBo[] = [];
  for (const b of array) {
    if (b.vmFile !== null || validated.includes(b)) dups.unshift(b);
    else validated.push(b);
  }
  const alwaysValid = d.bos.filter((b) => b.vmFile === f.id && !b.zombie); // this VM's per-VM bos
  const reserved = new Set([...validated, ...alwaysValid]); // all locked under the CS ticket
  const evicted = alwaysValid.filter((b) => !placement(d, b.flags, b.preferred).some((p) => compatibleWith(b, p)));
  // amdgpu_vm_validate_pt_bos (sim: "evicted" = not where it prefers), then the duplicates,
  // then the validated list (amdgpu_cs_list_validate)
  for (const bo of [...evicted, ...dups, ...validated]) {
    const r = csValidate(d, bo, reserved);
    if (r) {
      validated.forEach(touch); // ttm_eu_backoff_reservation
      return err(Errno[r]);
    }
  }
  const job: Job = { ctx, seq: ctx.next++, bos: [...validated, ...alwaysValid], done: false };
  d.jobs.push(job);
  validated.forEach(touch); // ttm_eu_fence_buffer_objects: each to its LRU tail, in list order
  return ok({ seq: BigInt(job.seq) });
}

/** amdgpu_ctx_get_fence: EINVAL for the future, null = no fence (older than the window, or
 * seq 0: signalled), else the job (possibly done). */
function getFence(d: AmdDev, f: MDrmFile, ctxId: number, seqArg: bigint): Job | null | 'EINVAL' {
  const ctx = ctxs(d, f).get(ctxId);
  if (!ctx) return 'EINVAL';
  const next = BigInt(ctx.next);
  const seq = seqArg === LATEST ? next - 1n : seqArg;
  if (seq >= next) return 'EINVAL';
  if (seq === 0n || seq + SCHED_JOBS < next) return null;
  return d.jobs.find((j) => j.ctx === ctx && BigInt(j.seq) === seq)!;
}

/** gemcheck: the GPU finishes the context's jobs up to seq. */
export function csComplete(d: AmdDev, f: MDrmFile, ctxId: number, seqArg: bigint): Outcome {
  const ctx = ctxs(d, f).get(ctxId);
  if (!ctx) return err(Errno.EINVAL);
  const seq = seqArg === LATEST ? BigInt(ctx.next - 1) : seqArg;
  if (seq >= BigInt(ctx.next)) return err(Errno.EINVAL);
  const last = d.jobs.filter((j) => j.ctx === ctx && BigInt(j.seq) <= seq).pop();
  if (last) completeJob(d, last);
  return ok();
}

/** amdgpu_cs_wait_ioctl: status 1 = still busy (poll); a timeout not in the past waits. */
export function waitCs(d: AmdDev, f: MDrmFile, ctxId: number, seq: bigint, timeout: bigint): Outcome {
  const fe = getFence(d, f, ctxId, seq);
  if (fe === 'EINVAL') return err(Errno.EINVAL);
  if (fe && !fe.done && polls(timeout)) return ok({ status: 1n });
  if (fe) completeJob(d, fe);
  return ok({ status: 0n });
}

/** amdgpu_cs_wait_fences_ioctl over two fences of one context: the lookups run inside the
 * loops, so a fence after the one that decides is never looked up. */
export function waitFences(d: AmdDev, f: MDrmFile, ctxId: number, s0: bigint, s1: bigint, waitAll: number, timeout: bigint): Outcome {
  if (waitAll) {
    // amdgpu_cs_wait_all_fences: r = 1; NULL fences are skipped; a poll of a busy one stops (r = 0)
    for (const sq of [s0, s1]) {
      const fe = getFence(d, f, ctxId, sq);
      if (fe === 'EINVAL') return err(Errno.EINVAL);
      if (!fe || fe.done) continue;
      if (polls(timeout)) return ok({ status: 0n, first: 0n });
      completeJob(d, fe);
    }
    return ok({ status: 1n, first: 0n });
  }
  // amdgpu_cs_wait_any_fence: first = ~0; a NULL fence (seq 0, or older than the ring window)
  // returns at once with its index; then dma_fence_wait_any_timeout
  const fs: Job[] = [];
  for (const [i, sq] of [s0, s1].entries()) {
    const fe = getFence(d, f, ctxId, sq);
    if (fe === 'EINVAL') return err(Errno.EINVAL);
    if (!fe) return ok({ status: 1n, first: BigInt(i) });
    fs.push(fe);
  }
  const i = fs.findIndex((j) => j.done);
  if (i >= 0) return ok({ status: 1n, first: BigInt(i) });
  if (polls(timeout)) return ok({ status: 0n, first: 0xffff_ffffn }); // idx not set
  // the ring is in order: of two jobs of one context, the lower sequence finishes first
  const k = fs.length > 1 && fs[1].seq < fs[0].seq ? 1 : 0;
  completeJob(d, fs[k]);
  return ok({ status: 1n, first: BigInt(k) });
}
