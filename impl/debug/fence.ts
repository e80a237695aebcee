/**
 * Fence and reservation-object self-checks (dma-fence.c, dma-resv.c, drm_prime.c, vgem_fence.c):
 * imports share the exporter's dma_resv, fences signal once, and every unsignalled fence on
 * a live object can still be signalled by the open file that made it. The files' fences come
 * from the driver (DrmDriver.debug.fileFences); this module does not know which driver that is.
 */
import type { DrmFile } from '../core/drm_file.ts';
import type { DmaFence } from '../core/resv.ts';
import type { DebugReport } from '../hooks.ts';
import type { World } from './world.ts';

export function checkFences(w: World, v: DebugReport): void {
  const signalled = w.kernel.debug.signalled;
  // the fences each open file holds; a fence belongs to exactly one file (vgem_fence_attach_ioctl)
  let holder: Map<DmaFence, DrmFile> | null = null;
  for (const file of w.drmFiles) {
    const fences = file.dev.driver.debug?.fileFences?.(file);
    if (!fences?.length) continue;
    holder ??= new Map();
    for (const f of fences) {
      const other = holder.get(f);
      if (other) v('fence-accounted', `fence ${f.context} is held by files ${other.id} and ${file.id}`);
      holder.set(f, file);
      seen(v, signalled, f);
      const r = f.resv;
      if (!r) continue;
      // "no fence on a freed object": drm_gem_object_release → dma_resv_fini drops them
      if (r.owner.freed) {
        if (r.fences.includes(f)) v('fence-freed-object', `fence ${f.context} is still on freed object ${r.owner.id}`);
      } else if (!f.signalled && !r.fences.includes(f))
        // dma_resv_add_fence only prunes signalled fences
        v('fence-accounted', `unsignalled fence ${f.context} of file ${file.id} is missing from object ${r.owner.id}'s reservation object`);
    }
  }

  for (const o of w.objects) {
    // drm_gem_prime_import_dev: a foreign import's obj->resv is the dma-buf's; everything
    // else uses its own (drm_gem_private_object_init); a GEM dma-buf carries its exporter's
    // (drm_gem_prime_export: exp_info.resv = obj->resv), so a fence attached through an
    // import lands on the exporter's object
    if (o.importAttach) {
      if (o.resv !== o.importAttach.resv) v('import-resv', `import ${o.id} of dma-buf ${o.importAttach.id} does not share its reservation object`);
      if (o.ownResv.fences.length) v('import-resv', `import ${o.id} holds fences on its own reservation object, not the exporter's`);
    } else if (o.resv !== o.ownResv) v('import-resv', `object ${o.id} is not an import but uses another object's reservation object`);
    for (const f of o.ownResv.fences) {
      seen(v, signalled, f);
      if (f.resv !== o.ownResv) v('fence-accounted', `fence ${f.context} on object ${o.id} was added elsewhere`);
      // vgem_fence_close signals a closing file's fences: an unsignalled one nobody holds
      // would keep the object busy for ever
      else if (!f.signalled && !holder?.has(f)) v('fence-accounted', `unsignalled fence ${f.context} on object ${o.id} is held by no open file`);
    }
  }
  for (const b of w.kernel.dmabufs)
    if (b.resv !== b.priv.resv) v('import-resv', `dma-buf ${b.id} does not carry its exporter ${b.priv.id}'s reservation object`);
}

/** dma_fence_signal sets DMA_FENCE_FLAG_SIGNALED_BIT for good. */
function seen(v: DebugReport, signalled: Set<DmaFence>, f: DmaFence): void {
  if (f.signalled) signalled.add(f);
  else if (signalled.has(f)) v('fence-signalled', `fence ${f.context} was signalled and is unsignalled again`);
}
