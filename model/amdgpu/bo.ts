/** amdgpu buffer objects as GEM objects: amdgpu_bo_create (amdgpu_object.c). */
import { Errno } from '../../ir/uapi.ts';
import type { MObject, MState } from '../state.ts';
import { CREATE, DOMAIN, placement, touch, validate, destroy, type AmdBo } from './ttm.ts';

const U32 = 0xffff_ffffn;
const U64 = (1n << 64n) - 1n;
export const ONCHIP = 0x38; // GDS | GWS | OA

export interface BoArgs {
  readonly size: bigint;
  /** amdgpu_gem_object_create's `int alignment`, then bp.byte_align (u32) */
  readonly align: bigint;
  readonly domains: number;
  readonly flags: number;
  readonly kind: AmdBo['kind'];
  /** import_attach->dmabuf (sg bos) */
  readonly importOf?: number;
}

/** amdgpu_bo_create → ttm_bo_init_reserved. Returns the object, or an errno. */
export function boCreate(s: MState, dev: number, a: BoArgs): MObject | number {
  const d = s.devices[dev].amd!;
  const ba = a.align & U32;
  let bytes: bigint;
  let pageAlign: bigint;
  if (a.domains & 0x30) {
    // GWS and OA: sizes and alignment in units (one unit = one page), no rounding
    bytes = (a.size << 12n) & U64;
    pageAlign = ba;
  } else if (a.domains & 0x8) {
    // GDS: "Both size and alignment must be a multiple of 4"
    bytes = (((a.size + 3n) & ~3n) << 12n) & U64;
    pageAlign = ((ba + 3n) & ~3n) & U32;
  } else {
    bytes = (a.size + 4095n) & ~4095n & U64; // ALIGN(size, PAGE_SIZE), unsigned long
    pageAlign = (((ba + 4095n) & ~4095n) & U32) >> 12n;
  }
  // amdgpu_bo_validate_size: strictly below the GTT size if GTT is requested, else VRAM's
  if (a.domains & 0x2 ? bytes >= BigInt(d.sizes.gtt) * 4096n : a.domains & 0x4 ? bytes >= BigInt(d.vram) * 4096n : false) return Errno.ENOMEM;
  const pages = Number(bytes / 4096n);
  // ttm_bo_init_reserved: drm_vma_offset_add (device and sg bos); 0 pages → ENOSPC
  const offsetPage = s.devices[dev].offsets.insert(pages);
  if (offsetPage === null) return Errno.ENOSPC;
  const discard = (a.flags & CREATE.DISCARDABLE) !== 0;
  const contents = new Map<number, Uint8Array>();
  const bo: AmdBo = {
    dev: d, kind: a.kind, pages, infoSize: bytes, infoAlign: (pageAlign << 12n) & U32,
    preferred: a.domains,
    // user bos that prefer VRAM may fall back to GTT, unless discardable
    allowed: a.domains === 0x4 && !discard ? 0x6 : a.domains,
    flags: a.flags, priority: discard ? 0 : 1, pins: 0, mem: 'sys', vis: 0, zombie: false, hasTt: a.kind === 'sg', contents,
  };
  d.bos.push(bo);
  touch(bo);
  // initialised in SYSTEM, then validated into its placement (evicting as needed); on-chip
  // bos are placed in CPU at creation and reach their manager at the first CS
  if (validate(bo, placement(d, bo.flags, a.domains & ONCHIP ? 0x1 : a.domains))) {
    destroy(bo);
    s.devices[dev].offsets.remove(offsetPage);
    return Errno.ENOMEM;
  }
  if (a.kind !== 'sg') bo.flags &= ~CREATE.CPU_ACCESS_REQUIRED; // a hint only (ttm_bo_type_device)
  const obj: MObject = { id: s.nextId++, dev, size: Number(bytes), readonly: false, name: 0, dmaBuf: null, importOf: a.importOf ?? null, offsetPage, pages: contents, amd: bo };
  s.objects.set(obj.id, obj);
  return obj;
}

/** amdgpu_mode_dumb_create: VRAM, CPU_ACCESS_REQUIRED|CPU_GTT_USWC|VRAM_CONTIGUOUS|
 * VRAM_CLEARED (buffer funcs are enabled), no retry; any failure is ENOMEM. */
export function dumbCreate(s: MState, dev: number, size: number): MObject | number {
  const flags = CREATE.CPU_ACCESS_REQUIRED | CREATE.CPU_GTT_USWC | CREATE.VRAM_CONTIGUOUS | CREATE.VRAM_CLEARED;
  const o = boCreate(s, dev, { size: BigInt(size), align: 0n, domains: 0x4, flags, kind: 'device' });
  return typeof o === 'number' ? Errno.ENOMEM : o;
}

/** amdgpu_dma_buf_create_obj: a foreign dma-buf becomes an sg bo, created in CPU with
 * preferred = allowed = GTT; another amdgpu's bo passes on its CPU_GTT_USWC. */
export function sgImport(s: MState, dev: number, bytes: number, dmabuf: number, exporter: AmdBo | undefined): MObject | number {
  const flags = exporter ? exporter.flags & CREATE.CPU_GTT_USWC : 0;
  const o = boCreate(s, dev, { size: BigInt(bytes), align: 4096n, domains: 0x1, flags, kind: 'sg', importOf: dmabuf });
  if (typeof o !== 'number') o.amd!.preferred = o.amd!.allowed = 0x2;
  return o;
}

/** amdgpu_bo_pin_restricted(bo, domain, 0, 0). */
export function boPin(bo: AmdBo, domain: number): 0 | number {
  if (bo.kind === 'userptr') return Errno.EPERM; // amdgpu_ttm_tt_get_usermm
  if (bo.preferred & domain) domain &= bo.preferred; // "Check domain to be pinned to against preferred domains"
  if (bo.kind === 'sg') {
    // "A shared bo cannot be migrated to VRAM"
    if (!(domain & 0x2)) return Errno.EINVAL;
    domain = 0x2;
  }
  if (bo.pins) {
    if (!(domain & DOMAIN[bo.mem])) return Errno.EINVAL;
    bo.pins++;
    touch(bo);
    return 0;
  }
  // "force to pin into visible video ram"
  if (!(bo.flags & CREATE.NO_CPU_ACCESS)) bo.flags |= CREATE.CPU_ACCESS_REQUIRED;
  const r = validate(bo, placement(bo.dev, bo.flags, domain));
  if (r) return Errno[r];
  bo.pins = 1; // ttm_bo_pin: the unreserve after it puts the bo on bdev->pinned
  touch(bo);
  return 0;
}

/** amdgpu_bo_unpin → ttm_bo_unpin: back at its LRU tail when the count reaches 0. */
export function boUnpin(bo: AmdBo): void {
  if (!bo.pins) return; // "WARN_ON_ONCE(!bo->pin_count)": e.g. a detach after a user unpin
  bo.pins--;
  touch(bo);
}
