/**
 * Lifetime by reachability. Roots are the fd table and the mappings. A DRM file lives while
 * an fd or a mapping (vma->vm_file) refers to it; when it goes, drm_file_free runs. Objects
 * and dma-bufs live while reachable: file → handles → objects, file → prime cache → dma-bufs,
 * dma-buf → exporter object, object → obj->dma_buf and import_attach->dmabuf, mapping →
 * file and backing object. This is what the kernel's krefs add up to (spec §1.2–1.3) with no
 * unrooted cycle: obj->dma_buf is only set while the object has handles.
 */
import { handleDelete } from './gem.ts';
import { boUnpin } from './amdgpu/bo.ts';
import { gpuIdle, release } from './amdgpu/ttm.ts';
import { qxlBoFree } from './qxl/vram.ts';
import type { MDrmFile, MState } from './state.ts';

/** drm_file_free: drm_gem_release (every handle, as GEM_CLOSE), drm_master_release,
 * vgem postclose (fences signalled), prime cache expected empty. */
function releaseDrmFile(s: MState, f: MDrmFile): void {
  for (const h of [...f.handles.keys()].sort((a, b) => a - b)) handleDelete(s, f, h);
  const dev = s.devices[f.dev];
  // drm_master_release: the magic goes; if this file is the current master, dev->master = NULL.
  if (f.magic && f.master !== null) dev.magics.get(f.master)?.delete(f.magic);
  if (f.isMaster && dev.master === f.master) dev.master = null;
  s.files.delete(f.id);
  // amdgpu postclose (sim): with the device's last file gone nothing can observe the GPU,
  // which finishes every job; idle zombies are reclaimed
  if (dev.amd && ![...s.files.values()].some((g) => g.kind === 'drm' && g.dev === f.dev)) gpuIdle(dev.amd);
}

export function collect(s: MState): void {
  const openFiles = new Set<number>([...s.fds.values()]);
  for (const m of s.mappings.values()) openFiles.add(m.file);
  for (const f of [...s.files.values()]) if (f.kind === 'drm' && !openFiles.has(f.id)) releaseDrmFile(s, f);

  const liveFiles = new Set<number>();
  const liveObjs = new Set<number>();
  const stack: ['file' | 'obj', number][] = [...openFiles].map((id): ['file', number] => ['file', id]);
  for (const m of s.mappings.values()) stack.push(['obj', m.obj]);
  for (const o of s.objects.values()) if (o.kernelHeld) stack.push(['obj', o.id]);
  while (stack.length) {
    const [kind, id] = stack.pop()!;
    if (kind === 'file') {
      const f = s.files.get(id);
      if (!f || liveFiles.has(id)) continue;
      liveFiles.add(id);
      if (f.kind === 'dmabuf') stack.push(['obj', f.exporter]);
      else {
        for (const o of f.handles.values()) stack.push(['obj', o]);
        for (const e of f.prime) stack.push(['file', e.dmabuf]);
      }
    } else {
      const o = s.objects.get(id);
      if (!o || liveObjs.has(id)) continue;
      liveObjs.add(id);
      if (o.dmaBuf !== null) stack.push(['file', o.dmaBuf]);
      if (o.importOf !== null) stack.push(['file', o.importOf]);
    }
  }
  for (const f of [...s.files.values()]) if (f.kind === 'dmabuf' && !liveFiles.has(f.id)) s.files.delete(f.id);
  // dma_buf_detach of a non-amdgpu importer first: amdgpu_dma_buf_unpin
  for (const o of s.objects.values()) if (!liveObjs.has(o.id) && o.pinsAmd) boUnpin(o.pinsAmd);
  for (const o of [...s.objects.values()]) {
    if (liveObjs.has(o.id)) continue;
    if (o.amd) release(o.amd); // ttm_bo_release: freed, or a zombie while busy
    if (o.qxl) qxlBoFree(s.devices[o.dev].qxl!, o.qxl); // ttm_bo_release: its range is free (the bytes stay)
    // drm_gem_object_release → drm_gem_free_mmap_offset: the offset is reused from now on.
    if (o.offsetPage !== null) s.devices[o.dev].offsets.remove(o.offsetPage);
    s.objects.delete(o.id);
  }
}
