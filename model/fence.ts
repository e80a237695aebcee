/** vgem fences (vgem_fence.c). The 10 s auto-signal timer is not modelled: gemcheck
 * programs carry no wall-clock time, so a fence only signals through the ioctl or file close. */
import { ok, err, type Outcome } from '../ir/outcome.ts';
import { Errno, VGEM_FENCE_WRITE } from '../ir/uapi.ts';
import { lookup } from './gem.ts';
import { lowestFree, type MDrmFile, type MState } from './state.ts';

/** The object whose reservation object a handle's fences go to: imports share the
 * exporter's (drm_gem_prime_import_dev: obj->resv = dma_buf->resv). */
function resvOwner(s: MState, objId: number): number {
  const o = s.objects.get(objId)!;
  if (o.importOf === null) return objId;
  return (s.files.get(o.importOf) as { exporter: number }).exporter;
}

/** vgem_fence_attach_ioctl. */
export function fenceAttach(s: MState, f: MDrmFile, h: number, flags: number): Outcome {
  if (flags & ~VGEM_FENCE_WRITE) return err(Errno.EINVAL);
  const obj = lookup(s, f, h);
  if (!obj) return err(Errno.ENOENT);
  const write = (flags & VGEM_FENCE_WRITE) !== 0;
  const resvObj = resvOwner(s, obj.id);
  // dma_resv_test_signaled(resv, dma_resv_usage_rw(write)): a writer conflicts with any
  // unsignalled fence, a reader only with unsignalled write fences.
  for (const file of s.files.values()) {
    if (file.kind !== 'drm') continue;
    for (const fe of file.fences.values()) {
      if (fe && !fe.signalled && fe.resvObj === resvObj && (write || fe.write)) return err(Errno.EBUSY);
    }
  }
  const id = lowestFree(f.fences, 1);
  f.fences.set(id, { write, resvObj, signalled: false });
  return ok({ fence: BigInt(id) });
}

/** vgem_fence_signal_ioctl: the id is replaced by NULL, never freed before file close. */
export function fenceSignal(s: MState, f: MDrmFile, id: bigint, flags: number): Outcome {
  if (flags !== 0) return err(Errno.EINVAL);
  const fe = id > 0n && id <= 0x7fffffffn ? f.fences.get(Number(id)) : undefined;
  if (!fe) return err(Errno.ENOENT);
  f.fences.set(Number(id), null);
  const wasSignalled = fe.signalled;
  fe.signalled = true;
  return wasSignalled ? err(Errno.ETIMEDOUT) : ok();
}
