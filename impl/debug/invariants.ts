/**
 * Invariant checkers over impl's internal state, run after every call. Each counts the
 * holders of a reference independently of the counter it checks (spec §10 "Core invariants")
 * and returns named violations.
 */
import type { ImplSession } from '../process.ts';
import type { DrmFile } from '../core/drm_file.ts';
import type { DmaBuf } from '../core/dma_buf.ts';
import { isDrmFile } from '../core/drm_fops.ts';
import type { File } from '../core/vfs.ts';
import { VM_MAYWRITE, VM_WRITE } from '../core/mm.ts';
import { ShmemObject } from '../drivers/shmem.ts';
import { TtmBo, VramObject } from '../drivers/vram.ts';
import { GemObject } from '../core/drm_gem.ts';
import type { Violation } from '../../ir/target.ts';

/** Offsets seen per object, to check stability across the object's life. */
const firstOffset = new WeakMap<GemObject, number>();

interface World {
  files: Set<File>;
  drmFiles: DrmFile[];
  objects: GemObject[];
}

function world(s: ImplSession): World {
  const files = new Set<File>();
  for (const [, f] of s.fds.fds.entries()) if (f) files.add(f);
  for (const v of s.mm.vmas.values()) files.add(v.file);
  const drmFiles = [...files].filter(isDrmFile).map((f) => f.priv as DrmFile);
  const objects = s.kernel.devices.flatMap((d) => [...d.objects]);
  return { files, drmFiles, objects };
}

export function checkInvariants(s: ImplSession): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: string, message: string) => out.push({ invariant, message });
  const w = world(s);

  // no access after free / refcount misuse, as recorded by the core itself
  for (const m of s.kernel.violations.splice(0)) v('no-use-after-free', m);

  // holders of each object, counted from the outside
  const handles = new Map<GemObject, number>();
  for (const f of w.drmFiles)
    for (const [, o] of f.objectIdr.entries()) {
      if (!o) continue;
      if (o.freed) v('no-use-after-free', `a handle refers to freed object ${o.id}`);
      handles.set(o, (handles.get(o) ?? 0) + 1);
    }
  const vmaRefs = new Map<GemObject, number>();
  const ttmRefs = new Map<TtmBo, number>();
  for (const vma of s.mm.vmas.values()) {
    if (vma.privateData instanceof TtmBo) ttmRefs.set(vma.privateData, (ttmRefs.get(vma.privateData) ?? 0) + 1);
    const o = vma.privateData instanceof GemObject ? vma.privateData : null;
    if (!o) continue;
    if (o.freed) v('no-use-after-free', `mapping ${vma.id} refers to freed object ${o.id}`);
    vmaRefs.set(o, (vmaRefs.get(o) ?? 0) + 1);
  }
  const bufRefs = new Map<GemObject, number>();
  for (const b of s.kernel.dmabufs) bufRefs.set(b.priv, (bufRefs.get(b.priv) ?? 0) + 1);

  for (const o of w.objects) {
    const hc = handles.get(o) ?? 0;
    if (o.handleCount !== hc) v('handle-count', `object ${o.id}: handle_count ${o.handleCount}, handles ${hc}`);
    const want = (hc > 0 ? 1 : 0) + (vmaRefs.get(o) ?? 0) + (bufRefs.get(o) ?? 0) + (o.dev.kernelRefs.has(o) ? 1 : 0);
    if (o.refcount.count !== want) v('refcount-balance', `object ${o.id}: refcount ${o.refcount.count}, holders ${want}`);
    if (o instanceof VramObject) {
      // ttm_buffer_object: one reference while the GEM object lives, one per mapping
      const ttmWant = (o.refcount.count > 0 ? 1 : 0) + (ttmRefs.get(o.bo) ?? 0);
      if (o.bo.kref.count !== ttmWant) v('refcount-balance', `ttm bo of object ${o.id}: refcount ${o.bo.kref.count}, holders ${ttmWant}`);
    }
    if (o.name && hc === 0) v('name-needs-handle', `object ${o.id} keeps name ${o.name} with no handle`);
    if (o.name && o.dev.objectNameIdr.find(o.name) !== o) v('name-table', `name ${o.name} does not map to object ${o.id}`);
    if (o.dmaBuf && hc === 0) v('dma-buf-needs-handle', `object ${o.id} keeps obj->dma_buf with no handle`);
    // offsets: stable, and released only at free
    if (!o.vmaNode.mm) v('offset-stable', `live object ${o.id} lost its offset`);
    else {
      const seen = firstOffset.get(o);
      if (seen === undefined) firstOffset.set(o, o.vmaNode.start);
      else if (seen !== o.vmaNode.start) v('offset-stable', `object ${o.id} moved from page ${seen} to ${o.vmaNode.start}`);
    }
    // read-only: nothing may ever have written an RO object's pages
    if (o.vmaNode.readonly && o instanceof ShmemObject && o.store.residentPages > 0 && s.kernel.profile.readonlyNodes)
      v('read-only', `read-only object ${o.id} has written pages`);
  }
  for (const [o] of handles) if (!o.freed && !o.dev.objects.has(o)) v('no-use-after-free', `object ${o.id} is held but not registered`);
  for (const [name, o] of s.kernel.devices.flatMap((d) => [...d.objectNameIdr.entries()]))
    if (o && (o.freed || o.name !== name)) v('name-table', `name ${name} maps to a stale object ${o.id}`);

  // offset uniqueness: live nodes never overlap
  for (const d of s.kernel.devices) {
    const nodes = [...d.objects].filter((o) => o.vmaNode.mm).map((o) => ({ id: o.id, start: o.vmaNode.start, end: o.vmaNode.start + o.vmaNode.pages }));
    nodes.sort((a, b) => a.start - b.start);
    for (let i = 1; i < nodes.length; i++)
      if (nodes[i].start < nodes[i - 1].end) v('offset-unique', `objects ${nodes[i - 1].id} and ${nodes[i].id} overlap at page ${nodes[i].start}`);
  }

  // read-only mappings: no VM_WRITE or VM_MAYWRITE on a read-only object
  for (const vma of s.mm.vmas.values()) {
    const o = vma.privateData instanceof GemObject ? vma.privateData : null;
    if (o && o.vmaNode.readonly && s.kernel.profile.readonlyNodes && vma.flags & (VM_WRITE | VM_MAYWRITE))
      v('read-only', `mapping ${vma.id} of read-only object ${o.id} may write`);
  }

  // file references: fds + vm_file, plus (dma-bufs) obj->dma_buf, cache entries, attachments
  const fileRefs = new Map<File, number>();
  const add = (f: File) => fileRefs.set(f, (fileRefs.get(f) ?? 0) + 1);
  for (const [, f] of s.fds.fds.entries()) if (f) add(f);
  for (const vma of s.mm.vmas.values()) add(vma.file);
  for (const o of w.objects) {
    if (o.dmaBuf) add(o.dmaBuf.file);
    if (o.importAttach) add(o.importAttach.file);
  }
  for (const f of w.drmFiles) for (const b of f.prime.byHandle.values()) add(b.file);
  const allFiles = new Set<File>([...w.files, ...[...s.kernel.dmabufs].map((b: DmaBuf) => b.file)]);
  for (const f of allFiles) {
    const want = fileRefs.get(f) ?? 0;
    if (f.released) v('no-use-after-free', 'a released file is still referenced');
    else if (f.fCount !== want) v('file-refcount', `${isDrmFile(f) ? 'DRM file' : 'dma-buf'}: f_count ${f.fCount}, holders ${want}`);
  }
  for (const f of w.drmFiles)
    for (const h of f.prime.byHandle.keys()) if (!f.objectIdr.find(h)) v('prime-cache', `cache entry for closed handle ${h}`);
  return out;
}

/** After process teardown: nothing may remain. */
export function checkNoLeaks(s: ImplSession): Violation[] {
  const out: Violation[] = [];
  for (const d of s.kernel.devices) {
    const left = d.objects.size - d.kernelRefs.size;
    if (left) out.push({ invariant: 'no-leaks', message: `device ${d.index}: ${left} objects left` });
    const nodes = [...d.vmaOffsetManager.liveNodes()].length - d.kernelRefs.size;
    if (nodes) out.push({ invariant: 'no-leaks', message: `device ${d.index}: ${nodes} offsets left` });
    if (d.objectNameIdr.size) out.push({ invariant: 'no-leaks', message: `device ${d.index}: ${d.objectNameIdr.size} names left` });
  }
  if (s.kernel.dmabufs.size) out.push({ invariant: 'no-leaks', message: `${s.kernel.dmabufs.size} dma-bufs left` });
  for (const m of s.kernel.violations.splice(0)) out.push({ invariant: 'no-use-after-free', message: m });
  return out;
}
