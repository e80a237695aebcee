/**
 * Mapping self-checks (drm_gem_mmap, drm_vma_manager.c, mm/): what each vma maps, its bounds,
 * read-only enforcement, and the per-file allow counts that gate mmap. Spec §10 core
 * invariants 5 and 11 and the mmap rows of the historical-bug table.
 */
import { PAGE_SIZE } from '../../ir/uapi.ts';
import type { GemObject } from '../core/drm_gem.ts';
import { VM_MAYWRITE, VM_WRITE } from '../core/mm.ts';
import type { DebugReport } from '../hooks.ts';
import type { World } from './world.ts';

export function checkMm(w: World, v: DebugReport): void {
  const readonlyNodes = w.kernel.profile.readonlyNodes;
  for (const { vma, backing } of w.vmas) {
    if (!backing) {
      v('mapping-bounds', `mapping ${vma.id} maps no object`);
      continue;
    }
    const o = backing.obj;
    // "mmap keeps the object alive (GEM or TTM ref)"
    if (o.freed) {
      v('no-use-after-free', `mapping ${vma.id} refers to freed object ${o.id}`);
      continue;
    }
    // §10.11: drm_gem_mmap_obj / dma_buf_mmap_internal refuse a vma larger than the object,
    // so every page of a vma faults inside it (page_offset >= npages only ever SIGBUSes)
    const pages = o.size / PAGE_SIZE;
    if (backing.firstPage < 0 || backing.firstPage + vma.pages > pages)
      v('mapping-bounds', `mapping ${vma.id} spans object pages ${backing.firstPage}..${backing.firstPage + vma.pages} of object ${o.id} (${pages} pages)`);
    // drm_gem_mmap (v4.19..v5.13): no VM_WRITE, and VM_MAYWRITE cleared, on a read-only node
    if (readonlyNodes && o.vmaNode.readonly && vma.flags & (VM_WRITE | VM_MAYWRITE))
      v('read-only', `mapping ${vma.id} of read-only object ${o.id} may write`);
  }

  // §10.5: a file may mmap an object iff it holds a handle to it — drm_vma_node_allow on
  // every handle create, drm_vma_node_revoke on every delete, so the per-file allow count
  // equals the file's handles to the object ("drm/gem: implement vma access management")
  const mine = new Map<GemObject, number>();
  for (const f of w.drmFiles) {
    mine.clear();
    for (const [, o] of f.objectIdr.entries()) if (o) mine.set(o, (mine.get(o) ?? 0) + 1);
    for (const [o, n] of mine) {
      const allowed = o.vmaNode.allow.get(f) ?? 0;
      if (allowed !== n) v('mmap-allow', `object ${o.id}: file ${f.id} holds ${n} handles, allow count ${allowed}`);
    }
  }
  // the other direction: no allow entry without a handle (closed files included), counted
  // as a sum so it stays O(entries)
  for (const o of w.objects) {
    let sum = 0;
    for (const n of o.vmaNode.allow.values()) sum += n;
    const hc = w.handles.get(o) ?? 0;
    if (sum !== hc) v('mmap-allow', `object ${o.id}: allow counts sum to ${sum}, handles ${hc}`);
  }
}
