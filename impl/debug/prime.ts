/**
 * PRIME self-checks (drm_prime.c, dma-buf.c): obj->dma_buf, one dma-buf per exported object,
 * the per-file PRIME caches, and the file references that fds, vmas, obj->dma_buf, import
 * attachments and cache entries hold. Spec §10 core invariants 4, 7, 8 and the PRIME rows
 * of the historical-bug table.
 */
import type { DmaBuf } from '../core/dma_buf.ts';
import type { DrmFile } from '../core/drm_file.ts';
import { isDrmFile } from '../core/drm_fops.ts';
import type { GemObject } from '../core/drm_gem.ts';
import type { File } from '../core/vfs.ts';
import type { DebugReport } from '../hooks.ts';
import type { World } from './world.ts';

export function checkPrime(w: World, v: DebugReport): void {
  for (const o of w.objects) {
    // §10.4: drm_gem_object_exported_dma_buf_free drops obj->dma_buf with the last handle
    if (o.dmaBuf && !w.handles.get(o)) v('dma-buf-needs-handle', `object ${o.id} keeps obj->dma_buf with no handle`);
    // §10.7: an object is exported once (export_and_register_object caches it in
    // obj->dma_buf; a surviving dma-buf is re-found by self-import), so every export of it
    // is the same dma-buf file
    const exports = w.exports.get(o) ?? 0;
    if (exports > 1) v('export-unique', `object ${o.id} has ${exports} dma-bufs (${exportIds(w, o)})`);
    if (o.dmaBuf) {
      if (o.importAttach) {
        // drm_gem_prime_fd_to_handle: WARN_ON(obj->dma_buf != dma_buf) for an import
        if (o.dmaBuf !== o.importAttach) v('export-unique', `import ${o.id}: obj->dma_buf is dma-buf ${o.dmaBuf.id}, not the imported ${o.importAttach.id}`);
      } else if (o.dmaBuf.priv !== o) v('export-unique', `object ${o.id}: obj->dma_buf is dma-buf ${o.dmaBuf.id} of object ${o.dmaBuf.priv.id}`);
    }
  }
  for (const b of w.kernel.dmabufs) if (b.priv.freed) v('no-use-after-free', `dma-buf ${b.id} holds freed object ${b.priv.id}`);

  // §10.8 and "Fix GEM handle release errors": the cache is keyed by handle, each entry
  // names a live handle of the dma-buf's own object (an export, a self-import, or a foreign
  // import of that dma-buf), and the two lookups agree, so an import in the same file finds
  // the same handle
  for (const f of w.drmFiles) {
    let inLists = 0;
    for (const [buf, hs] of f.prime.byDmaBuf) {
      inLists += hs.length;
      for (const h of hs) if (f.prime.byHandle.get(h) !== buf) v('prime-cache', `file ${f.id}: dma-buf ${buf.id} lists handle ${h}, which maps elsewhere`);
    }
    if (inLists !== f.prime.byHandle.size) v('prime-cache', `file ${f.id}: ${f.prime.byHandle.size} entries by handle, ${inLists} by dma-buf`);
    for (const [h, buf] of f.prime.byHandle) {
      const o = f.objectIdr.find(h);
      if (!o) v('prime-cache', `file ${f.id}: cache entry for closed handle ${h}`);
      else if (buf.priv !== o && o.importAttach !== buf) v('prime-cache', `file ${f.id}: handle ${h} (object ${o.id}) is cached with dma-buf ${buf.id} of object ${buf.priv.id}`);
    }
  }

  // file references: each file's f_count is the number of its holders
  for (const [f, n] of w.fileRefs) checkFile(v, f, n);
  for (const b of w.kernel.dmabufs) if (!w.fileRefs.has(b.file)) checkFile(v, b.file, 0);
}

function exportIds(w: World, o: GemObject): string {
  const ids: number[] = [];
  for (const b of w.kernel.dmabufs) if (b.priv === o) ids.push(b.id);
  return ids.join(', ');
}

function checkFile(v: DebugReport, f: File, holders: number): void {
  if (f.released) v('no-use-after-free', `${fileName(f)} is released but still referenced`);
  else if (f.fCount !== holders) v('file-refcount', `${fileName(f)}: f_count ${f.fCount}, holders ${holders}`);
}

function fileName(f: File): string {
  return isDrmFile(f) ? `DRM file ${(f.priv as DrmFile).id}` : `dma-buf ${(f.priv as DmaBuf).id}`;
}
