/**
 * One snapshot of who holds what, built once per self-check and shared by every subsystem's
 * checks. It counts holders from the holders' side (fd tables, handle idrs, vmas, the dma-buf
 * list), never from the counters the checks compare against. What a helper holds comes
 * through hooks (VmOps.debugBacking); this module never imports a driver or helper.
 */
import type { DrmFile } from '../core/drm_file.ts';
import { isDrmFile } from '../core/drm_fops.ts';
import { GemObject } from '../core/drm_gem.ts';
import type { Kernel } from '../core/kernel.ts';
import type { AddressSpace, Vma } from '../core/mm.ts';
import type { FdTable, File } from '../core/vfs.ts';
import type { VmaBacking } from '../hooks.ts';

/** What the self-checks look at: one process on one kernel (an ImplSession). */
export interface DebugSubject {
  readonly kernel: Kernel;
  readonly fds: FdTable;
  readonly mm: AddressSpace;
}

/** The core's default (drm_gem_mmap_obj): vm_private_data is the object, holding a reference. */
function backingOf(vma: Vma): VmaBacking | null {
  if (vma.ops?.debugBacking) return vma.ops.debugBacking(vma);
  return vma.privateData instanceof GemObject ? { obj: vma.privateData, gemRef: true, firstPage: 0 } : null;
}

const inc = <K>(m: Map<K, number>, k: K): void => {
  m.set(k, (m.get(k) ?? 0) + 1);
};

export class World {
  readonly kernel: Kernel;
  readonly fds: FdTable;
  readonly mm: AddressSpace;
  /** references to each file, counted from its holders: fds and vm_file (the open files,
   * which hold every DRM file), then obj->dma_buf, import attachments and PRIME cache entries */
  readonly fileRefs = new Map<File, number>();
  readonly drmFiles: DrmFile[] = [];
  /** every registered (live) object, device by device */
  readonly objects: GemObject[] = [];
  /** handles per object, over every open file */
  readonly handles = new Map<GemObject, number>();
  /** every vma with what it maps (null: nothing the checks recognise) */
  readonly vmas: { readonly vma: Vma; readonly backing: VmaBacking | null }[] = [];
  /** the vmas mapping each object */
  readonly mappings = new Map<GemObject, Vma[]>();
  /** GEM references vmas hold, per object */
  readonly vmaRefs = new Map<GemObject, number>();
  /** live GEM dma-bufs per exporting object (each holds the dma-buf's priv reference) */
  readonly exports = new Map<GemObject, number>();

  constructor(s: DebugSubject) {
    this.kernel = s.kernel;
    this.fds = s.fds;
    this.mm = s.mm;
    const refs = this.fileRefs;
    for (const [, f] of s.fds.fds.entries()) if (f) inc(refs, f);
    for (const vma of s.mm.vmas.values()) {
      inc(refs, vma.file);
      const backing = backingOf(vma);
      this.vmas.push({ vma, backing });
      if (!backing) continue;
      const list = this.mappings.get(backing.obj);
      if (list) list.push(vma);
      else this.mappings.set(backing.obj, [vma]);
      if (backing.gemRef) inc(this.vmaRefs, backing.obj);
    }
    for (const f of refs.keys()) if (isDrmFile(f)) this.drmFiles.push(f.priv as DrmFile);
    for (const d of s.kernel.devices)
      for (const o of d.objects) {
        this.objects.push(o);
        if (o.dmaBuf) inc(refs, o.dmaBuf.file);
        if (o.importAttach) inc(refs, o.importAttach.file);
      }
    for (const f of this.drmFiles) {
      for (const [, o] of f.objectIdr.entries()) if (o) inc(this.handles, o);
      for (const b of f.prime.byHandle.values()) inc(refs, b.file);
    }
    for (const b of s.kernel.dmabufs) inc(this.exports, b.priv);
  }
}
