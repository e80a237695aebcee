/** CPU mappings of amdgpu bos: mmap on the DRM fd and on dma-bufs, and the TTM fault path
 * (amdgpu_gem.c amdgpu_gem_object_mmap / amdgpu_gem_fault, ttm_bo_vm.c, 5.10 amdgpu_mmap). */
import { ok, err, type Outcome } from '../../ir/outcome.ts';
import { Errno } from '../../ir/uapi.ts';
import type { MObject, MState } from '../state.ts';
import { CREATE, placement, validate, vramPlace, type AmdBo } from './ttm.ts';

/** amdgpu_gem_object_mmap (6.1) or amdgpu_verify_access + ttm_bo_mmap (5.10), after the
 * lookup; then the mapping, whose page i shows bo page pageBase + i. */
function objMmap(s: MState, vmFile: number, obj: MObject, pageBase: number, pages: number, prot: number, shared: boolean, mayWrite: boolean): Outcome {
  const bo = obj.amd!;
  if (bo.kind === 'userptr') return err(Errno.EPERM);
  if (!s.profile.amdgpuLegacyMmap) {
    if (bo.flags & CREATE.NO_CPU_ACCESS) return err(Errno.EPERM);
    // the Thunk workaround: a private mapping with no access loses VM_MAYWRITE
    if (!shared && mayWrite && (prot & 7) === 0) mayWrite = false;
  }
  if (!shared && mayWrite) return err(Errno.EINVAL); // ttm_bo_mmap_obj: COW mappings refused
  const id = ++s.mapCount;
  s.mappings.set(id, { id, file: vmFile, obj: obj.id, pages, pageBase, prot, mayWrite });
  return ok({ map: BigInt(id) });
}

/** mmap on an amdgpu DRM fd. 6.1: drm_gem_mmap's exact lookup (and GEM liveness, the allow
 * list) already passed — `obj` is the node's object. 5.10: ttm_bo_vm_lookup finds the node
 * containing the range (EINVAL if none), amdgpu_verify_access: userptr → EPERM, then
 * drm_vma_node_verify_access → EACCES. */
export function drmMmap(s: MState, fileId: number, handles: Iterable<number>, obj: MObject, pgoff: number, pages: number, prot: number, shared: boolean, mayWrite: boolean): Outcome {
  if (s.profile.amdgpuLegacyMmap) {
    if (obj.amd!.kind === 'userptr') return err(Errno.EPERM);
    if (![...handles].includes(obj.id)) return err(Errno.EACCES);
  }
  return objMmap(s, fileId, obj, pgoff - obj.offsetPage!, pages, prot, shared, mayWrite);
}

/** 5.10's non-exact lookup (drm_vma_offset_lookup_locked): the object whose node holds
 * [pgoff, pgoff + pages). */
export function legacyLookup(s: MState, dev: number, pgoff: bigint, pages: number): MObject | undefined {
  return [...s.objects.values()].find((o) => o.dev === dev && o.offsetPage !== null && BigInt(o.offsetPage) <= pgoff && pgoff + BigInt(pages) <= BigInt(o.offsetPage + o.size / 4096));
}

/** drm_gem_prime_mmap: the fake offset is added, so page i shows bo page pgoff + i; then the
 * object's mmap (5.10: amdgpu_mmap on a faked file that is allowed). */
export function dmaBufMmap(s: MState, dmabuf: number, obj: MObject, pgoff: number, pages: number, prot: number, shared: boolean, mayWrite: boolean): Outcome {
  return objMmap(s, dmabuf, obj, pgoff, pages, prot, shared, mayWrite);
}

/** amdgpu_gem_fault for bo page `pi`: ttm_bo_vm_reserve refuses imported (sg) pages;
 * amdgpu_bo_fault_reserve_notify marks CPU access and moves a bo with no visible page out of
 * invisible VRAM (pinned → SIGBUS; [visible VRAM, GTT] without eviction, then [GTT] with);
 * amdgpu_ttm_io_mem_reserve refuses a VRAM resource reaching past the BAR; a page past the
 * end is SIGBUS (ttm_bo_vm_fault_reserved). null = the page is mapped. */
export function fault(bo: AmdBo, pi: number): 'SIGBUS' | null {
  if (bo.kind === 'sg') return 'SIGBUS';
  bo.flags |= CREATE.CPU_ACCESS_REQUIRED;
  if (bo.mem === 'vram' && bo.vis === 0) {
    if (bo.pins) return 'SIGBUS';
    const gtt = placement(bo.dev, 0, 0x2);
    if (validate(bo, [vramPlace(bo.dev, 'vis', false), ...gtt], gtt)) return 'SIGBUS';
  }
  if (bo.mem === 'vram' && bo.vis < bo.pages) return 'SIGBUS';
  if (pi >= bo.pages) return 'SIGBUS';
  if (bo.mem !== 'vram') bo.hasTt = true; // ttm_tt_populate of a use_tt manager's bo
  return null;
}
