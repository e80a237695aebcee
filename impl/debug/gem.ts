/**
 * GEM self-checks (drm_gem.c, drm_vma_manager.c): handles, handle_count, the object kref,
 * flink names and fake offsets. Spec §10 core invariants 1, 2, 3, 6 and the handle rows of
 * the historical-bug table.
 */
import type { GemObject } from '../core/drm_gem.ts';
import type { DebugReport } from '../hooks.ts';
import type { World } from './world.ts';

const INT_MAX = 0x7fffffff;

export function checkGem(w: World, v: DebugReport): void {
  // handles: published only when set up, freed only after release, int-ranged
  for (const f of w.drmFiles)
    for (const [h, o] of f.objectIdr.entries()) {
      // drm_gem_handle_delete / drm_gem_handle_create_tail ("Fix race in
      // drm_gem_handle_create_tail()"): an entry is NULL only inside the ioctl
      if (!o) v('handle-published', `file ${f.id}: handle ${h} is reserved but empty after the call`);
      else if (o.freed) v('no-use-after-free', `file ${f.id}: handle ${h} refers to freed object ${o.id}`);
      // idr_alloc(…, 1, 0): ids are 1..INT_MAX (CVE-2026-23149)
      if (h < 1 || h > INT_MAX) v('handle-range', `file ${f.id}: handle ${h} is outside 1..INT_MAX`);
    }
  for (const [o] of w.handles) if (!o.freed && !o.dev.objects.has(o)) v('no-use-after-free', `object ${o.id} is held but not registered`);

  const firstOffset = w.kernel.debug.firstOffset;
  for (const o of w.objects) {
    const hc = w.handles.get(o) ?? 0;
    // §10.2: hc = Σ files #handles (drm_gem_handle_create_tail / drm_gem_object_handle_put_unlocked)
    if (o.handleCount !== hc) v('handle-count', `object ${o.id}: handle_count ${o.handleCount}, handles ${hc}`);
    // §10.1: all handles together hold one reference; each GEM vma one (drm_gem_vm_open);
    // each dma-buf one (drm_gem_prime_export); an in-kernel client (fbdev) one
    const want = (hc > 0 ? 1 : 0) + (w.vmaRefs.get(o) ?? 0) + (w.exports.get(o) ?? 0) + (o.dev.kernelRefs.has(o) ? 1 : 0);
    if (o.refcount.count !== want) v('refcount-balance', `object ${o.id}: refcount ${o.refcount.count}, holders ${want}`);
    // §10.3: drm_gem_object_handle_free drops the name with the last handle
    if (o.name && hc === 0) v('name-needs-handle', `object ${o.id} keeps name ${o.name} with no handle`);
    if (o.name && o.dev.objectNameIdr.find(o.name) !== o) v('name-table', `name ${o.name} does not map to object ${o.id}`);
    // §10.6: once made (at creation for most helpers, by NVDLA_GEM_MMAP on NVDLA) the offset
    // stays until release and never moves
    const node = o.vmaNode;
    // a TTM zombie (GEM references gone, the bo still busy) lost its offset in ttm_bo_release
    if (!node.mm) {
      if (o.refcount.count > 0 && firstOffset.has(o)) v('offset-stable', `live object ${o.id} lost its offset`);
    }
    else {
      const seen = firstOffset.get(o);
      if (seen === undefined) firstOffset.set(o, node.start);
      else if (seen !== node.start) v('offset-stable', `object ${o.id} moved from page ${seen} to ${node.start}`);
      // drm_vma_offset_exact_lookup_locked must find this object at its own offset
      if (o.dev.vmaOffsetManager.exactLookup(node.start, node.pages) !== node) v('offset-unique', `the offset of object ${o.id} (page ${node.start}) does not look up to it`);
    }
    // the helper's own checks (TTM refcounts, read-only pages, …)
    o.funcs.debug?.check?.(o, w.mappings.get(o) ?? [], v);
  }
  for (const d of w.kernel.devices)
    for (const [name, o] of d.objectNameIdr.entries())
      if (o && (o.freed || o.name !== name)) v('name-table', `device ${d.index}: name ${name} maps to a stale object ${o.id}`);

  // §10.6: live offsets are unique — nodes never overlap
  for (const d of w.kernel.devices) {
    const nodes: GemObject[] = [];
    for (const o of d.objects) if (o.vmaNode.mm) nodes.push(o);
    nodes.sort((a, b) => a.vmaNode.start - b.vmaNode.start);
    for (let i = 1; i < nodes.length; i++) {
      const prev = nodes[i - 1].vmaNode;
      if (nodes[i].vmaNode.start < prev.start + prev.pages) v('offset-unique', `objects ${nodes[i - 1].id} and ${nodes[i].id} overlap at page ${nodes[i].vmaNode.start}`);
    }
  }
}
