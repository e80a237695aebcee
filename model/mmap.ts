/**
 * mmap on DRM and dma-buf fds, munmap, mprotect, and memory access through mappings
 * (mm/mmap.c do_mmap, drm_gem.c drm_gem_mmap, dma-buf.c, drm_gem_shmem_helper.c).
 * Mapping ids and the access rules for bad ids are harness rules (executor/PROTOCOL.md).
 */
import { ok, err, sig, type Outcome } from '../ir/outcome.ts';
import { Errno, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MMAP_LEN_LIMIT, PAGE_SIZE, PROT_WRITE } from '../ir/uapi.ts';
import { FNV_BASIS, fnv1a, fnv1aZeros, patternByte } from '../ir/pattern.ts';
import { handleCount, type MFile, type MObject, type MState } from './state.ts';
import { DEVICES } from './devices.ts';
import * as amd from './amdgpu/vm.ts';
import { qxlPage } from './qxl/vram.ts';

const P = BigInt(PAGE_SIZE);

/** The object whose pages a mapping of `obj` shows: the exporter for a foreign import. */
function backing(s: MState, obj: MObject): MObject {
  if (obj.importOf === null) return obj;
  const d = s.files.get(obj.importOf)!;
  return s.objects.get((d as { exporter: number }).exporter)!;
}

export function mmap(s: MState, fd: number, offset: bigint, length: bigint, prot: number, flags: number): Outcome {
  if (prot & ~7 || flags & ~3) return err(Errno.EINVAL); // harness rule
  if (offset % P !== 0n) return err(Errno.EINVAL); // sys_mmap: offset_in_page
  const fileId = s.fds.get(fd);
  if (fileId === undefined) return err(Errno.EBADF);
  if (length === 0n) return err(Errno.EINVAL);
  const alen = ((length + P - 1n) / P) * P;
  if (alen > 0xffff_ffff_ffff_ffffn) return err(Errno.ENOMEM); // PAGE_ALIGN wrapped
  if (alen >= MMAP_LEN_LIMIT) return err(Errno.ENOMEM); // get_unmapped_area (harness bound)
  const file = s.files.get(fileId)!;
  // file_mmap_ok: maxsize is 0 for FMODE_UNSIGNED_OFFSET files (DRM nodes) and ULONG_MAX
  // otherwise (dma-bufs); `maxsize -= len` wraps, then pgoff > maxsize >> PAGE_SHIFT is
  // EOVERFLOW. So a DRM mapping may end exactly at 2^64, a dma-buf one a byte earlier
  // (seen on 6.1: offset 2^64-4096 is EINVAL for 4096 bytes, EOVERFLOW for 8192).
  const maxsize = (file.kind === 'drm' ? 1n << 64n : (1n << 64n) - 1n) - alen;
  if (offset / P > maxsize / P) return err(Errno.EOVERFLOW);
  const fmodeWrite = file.kind === 'drm' || file.writable;
  let shared: boolean;
  let mayWrite: boolean;
  if (flags === MAP_SHARED || flags === MAP_SHARED_VALIDATE) {
    if (prot & PROT_WRITE && !fmodeWrite) return err(Errno.EACCES);
    shared = fmodeWrite; // do_mmap clears VM_SHARED|VM_MAYWRITE without FMODE_WRITE
    mayWrite = fmodeWrite;
  } else if (flags === MAP_PRIVATE) {
    shared = false;
    mayWrite = true;
  } else return err(Errno.EINVAL);
  const pgoff = offset / P;
  const pages = Number(alen / P);
  return file.kind === 'drm'
    ? drmGemMmap(s, file, pgoff, pages, prot, shared, mayWrite)
    : dmaBufMmap(s, file, pgoff, pages, prot, shared, mayWrite);
}

/** Whether the GEM refcount is nonzero: handles, an exported dma-buf, or GEM-holding mappings. */
function gemAlive(s: MState, obj: MObject): boolean {
  if (obj.kernelHeld || handleCount(s, obj.id) > 0) return true;
  for (const f of s.files.values()) if (f.kind === 'dmabuf' && f.exporter === obj.id) return true;
  if (!DEVICES[s.devices[obj.dev].kind].mmapHoldsGemRef) return false;
  for (const m of s.mappings.values()) if (m.obj === obj.id) return true;
  return false;
}

/** drm_gem_mmap: exact lookup, allow list, then drm_gem_mmap_obj and the object's mmap. */
function drmGemMmap(s: MState, file: MFile & { kind: 'drm' }, pgoff: bigint, pages: number, prot: number, shared: boolean, mayWrite: boolean): Outcome {
  if (s.devices[file.dev].amd && s.profile.amdgpuLegacyMmap) {
    // 5.10 amdgpu_mmap → ttm_bo_mmap: a non-exact lookup, no GEM liveness check
    const o = amd.legacyLookup(s, file.dev, pgoff, pages);
    return o ? amd.drmMmap(s, file.id, file.handles.values(), o, Number(pgoff), pages, prot, shared, mayWrite) : err(Errno.EINVAL);
  }
  const node = pgoff > BigInt(Number.MAX_SAFE_INTEGER) ? null : s.devices[file.dev].offsets.lookupExact(Number(pgoff), pages);
  if (!node) return err(Errno.EINVAL);
  const obj = [...s.objects.values()].find((o) => o.dev === file.dev && o.offsetPage === node.start)!;
  // kref_get_unless_zero: an object only mappings keep (TTM mappings hold no GEM reference)
  // is dying as far as GEM is concerned.
  if (!gemAlive(s, obj)) return err(Errno.EINVAL);
  // drm_vma_node_is_allowed: the file must hold a handle to the object.
  if (![...file.handles.values()].includes(obj.id)) return err(Errno.EACCES);
  if (obj.amd) return amd.drmMmap(s, file.id, file.handles.values(), obj, Number(pgoff), pages, prot, shared, mayWrite);
  if (obj.importOf !== null) {
    // drm_gem_shmem_mmap: imports are redirected to dma_buf_mmap(obj->dma_buf, vma, 0);
    // vm_file becomes the dma-buf's file.
    const d = s.files.get(obj.dmaBuf ?? obj.importOf)! as MFile & { kind: 'dmabuf' };
    return dmaBufMmap(s, d, 0n, pages, prot, shared, mayWrite);
  }
  return finishMmap(s, file.id, obj, pages, prot, shared, mayWrite);
}

/** dma_buf_mmap_internal → drm_gem_dmabuf_mmap → drm_gem_prime_mmap → the object's mmap. */
function dmaBufMmap(s: MState, d: MFile & { kind: 'dmabuf' }, pgoff: bigint, pages: number, prot: number, shared: boolean, mayWrite: boolean): Outcome {
  if (pgoff + BigInt(pages) > BigInt(d.size / PAGE_SIZE)) return err(Errno.EINVAL);
  const exporter = s.objects.get(d.exporter)!;
  // drm_gem_dmabuf_mmap (6.1): no gem_prime_mmap in the driver (qxl) → ENOSYS
  if (DEVICES[s.devices[exporter.dev].kind].noDmaBufMmap) return err(Errno.ENOSYS);
  if (exporter.amd) return amd.dmaBufMmap(s, d.id, exporter, Number(pgoff), pages, prot, shared, mayWrite);
  // NVDLA (a correct nvdla_drm_gem_object_mmap): dma_mmap_attrs from the user's page offset
  if (exporter.dmaPage !== undefined) return finishMmap(s, d.id, exporter, pages, prot, shared, mayWrite, Number(pgoff));
  // drm_gem_shmem_fault ignores vm_pgoff (it holds the fake offset), so a dma-buf mapping at
  // a nonzero pgoff still shows the object from byte 0. (Observed rule to keep an eye on.)
  return finishMmap(s, d.id, s.objects.get(d.exporter)!, pages, prot, shared, mayWrite);
}

function finishMmap(s: MState, vmFile: number, obj: MObject, pages: number, prot: number, shared: boolean, mayWrite: boolean, pageBase?: number): Outcome {
  if (s.profile.readonlyNodes && obj.readonly) {
    // drm_gem_mmap (v4.19..v5.13): a read-only node refuses VM_WRITE and clears VM_MAYWRITE.
    if (prot & PROT_WRITE) return err(Errno.EINVAL);
    mayWrite = false;
  }
  // drm_gem_shmem_mmap and ttm_bo_mmap_obj: COW mappings (private, may-write) are refused.
  if (!shared && mayWrite) return err(Errno.EINVAL);
  const id = ++s.mapCount;
  s.mappings.set(id, { id, file: vmFile, obj: backing(s, obj).id, pages, prot, mayWrite, ...(pageBase ? { pageBase } : {}) });
  return ok({ map: BigInt(id) });
}

function liveMapping(s: MState, map: bigint) {
  return map > 0n && map <= BigInt(s.mapCount) ? s.mappings.get(Number(map)) : undefined;
}

export function munmap(s: MState, map: bigint): Outcome {
  const m = liveMapping(s, map);
  if (!m) return err(Errno.EINVAL); // harness rule: not a live mapping
  s.mappings.delete(m.id);
  return ok();
}

/** mprotect_fixup: each new R/W/X needs its VM_MAYx; only VM_MAYWRITE can be missing here. */
export function mprotect(s: MState, map: bigint, prot: number): Outcome {
  const m = liveMapping(s, map);
  if (!m) return err(Errno.ENOMEM);
  if (prot & ~7) return err(Errno.EINVAL);
  if (prot & PROT_WRITE && !m.mayWrite) return err(Errno.EACCES);
  m.prot = prot;
  return ok();
}

/** Page-by-page access. x86: any of R/W/X makes a page readable; writes need PROT_WRITE. */
export function access(s: MState, map: bigint, offset: bigint, len: bigint, write: boolean, seed: number): Outcome {
  const m = liveMapping(s, map);
  if (!m) return sig('SIGSEGV');
  const obj = s.objects.get(m.obj)!;
  let h = FNV_BASIS;
  let done = 0n;
  while (done < len) {
    const at = offset + done;
    const page = at / P;
    const inPage = Number(at % P);
    const n = Number(len - done < P - BigInt(inPage) ? len - done : P - BigInt(inPage));
    if (page >= BigInt(m.pages)) return sig('SIGSEGV'); // outside the vma (harness rule)
    if (m.prot === 0 || (write && !(m.prot & PROT_WRITE))) return sig('SIGSEGV');
    const pi = Number(page) + (m.pageBase ?? 0);
    if (obj.amd) {
      const r = amd.fault(obj.amd, pi); // amdgpu_gem_fault
      if (r) return sig(r);
    } else if (pi >= obj.size / PAGE_SIZE) return sig('SIGBUS'); // drm_gem_shmem_fault
    // a qxl bo's page is where the bo is now: its manager's memory, or its own in SYSTEM
    const q = obj.qxl ? s.devices[obj.dev].qxl! : null;
    if (write) {
      let bytes = q ? qxlPage(q, obj.qxl!, pi, true) : obj.pages.get(pi);
      if (!bytes) obj.pages.set(pi, (bytes = new Uint8Array(PAGE_SIZE)));
      for (let k = 0; k < n; k++) bytes[inPage + k] = patternByte(seed, Number(done) + k);
    } else {
      const bytes = q ? qxlPage(q, obj.qxl!, pi, false) : obj.pages.get(pi);
      h = bytes ? fnv1a(h, bytes.subarray(inPage, inPage + n)) : fnv1aZeros(h, n);
    }
    done += BigInt(n);
  }
  return write ? ok() : ok({ digest: BigInt(h) });
}
