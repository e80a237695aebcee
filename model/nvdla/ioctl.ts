/**
 * NVDLA as a correct driver should be (nvdla/sw kmd/port/linux, spec §9; ir/calls/nvdla.ts):
 * objects from the device's exclusive DMA pool, the fake offset made by NVDLA_GEM_MMAP, and a
 * synchronous submit whose address entries name dma-buf fds, each resolved to a buffer of this
 * device without leaving anything behind, then one memory operation of the simulated engine.
 * Both NVDLA devices are described by these rules: the model has no upstream bugs.
 */
import type { OpName } from '../../ir/calls.ts';
import { i32, u32, u64 } from '../../ir/ints.ts';
import { ok, err, type Outcome } from '../../ir/outcome.ts';
import { Errno, PAGE_SIZE } from '../../ir/uapi.ts';
import { handleCreate, handleDelete, lookup } from '../gem.ts';
import type { MDevice, MDrmFile, MObject, MState } from '../state.ts';

/** nvdla_drm_probe: the pool is declared at device address 0xC0000000. */
export const POOL_BASE = 0xc000_0000;
const MAX_BUFFERS_PER_TASK = 6144; // nvdla_ioctl.h
const LIST_ENTRIES = 3; // sim: the program's address list, then unmapped memory
const ENGINE_MAX_LEN = 0x10_0000; // sim: the engine's largest transfer
const P = BigInt(PAGE_SIZE);

/**
 * __dma_alloc_from_coherent: 2^order pages (the smallest power of two that holds the size),
 * at the lowest naturally aligned position no live buffer of the device overlaps
 * (bitmap_find_free_region); null when there is none.
 */
function poolAlloc(s: MState, dev: number, pool: NonNullable<MDevice['pool']>, pages: number): { page: number; pages: number } | null {
  let block = 1;
  while (block < pages) block *= 2;
  const live = [...s.objects.values()].filter((o) => o.dev === dev && o.dmaPage !== undefined);
  for (let pos = 0; pos + block <= pool.pages; ) {
    const hit = live.find((o) => o.dmaPage! < pos + block && pos < o.dmaPage! + o.poolPages!);
    if (!hit) return { page: pos, pages: block };
    pos = Math.ceil((hit.dmaPage! + hit.poolPages!) / block) * block; // the next aligned position past it
  }
  return null;
}

/** nvdla_gem_create: size rounded up to pages, 0 refused, no fallback when the pool is full. */
function gemCreate(s: MState, f: MDrmFile, sizeArg: bigint): Outcome {
  const pool = s.devices[f.dev].pool!;
  const size = ((sizeArg + P - 1n) / P) * P;
  if (size === 0n) return err(Errno.EINVAL);
  if (size > BigInt(pool.pages) * P) return err(Errno.ENOMEM);
  const b = poolAlloc(s, f.dev, pool, Number(size / P));
  if (!b) return err(Errno.ENOMEM);
  const obj: MObject = { id: s.nextId++, dev: f.dev, size: Number(size), readonly: false, name: 0, dmaBuf: null, importOf: null, offsetPage: null, pages: new Map(), dmaPage: b.page, poolPages: b.pages };
  s.objects.set(obj.id, obj);
  return ok({ handle: BigInt(handleCreate(f, obj)) });
}

/** nvdla_gem_map_offset: EINVAL for a bad handle; the offset is made on first use. */
function gemMmap(s: MState, f: MDrmFile, h: number): Outcome {
  const obj = lookup(s, f, h);
  if (!obj) return err(Errno.EINVAL);
  if (obj.offsetPage === null) {
    const page = s.devices[f.dev].offsets.insert(obj.size / PAGE_SIZE);
    if (page === null) return err(Errno.ENOSPC);
    obj.offsetPage = page;
  }
  return ok({ offset: BigInt(obj.offsetPage) * P });
}

interface Entry {
  readonly obj: MObject;
  readonly offset: number;
}

/** dla_read_dma_address → nvdla_gem_dma_addr, as it should be: the index inside the list,
 * a dma-buf of this device, the range inside the buffer. */
function resolve(s: MState, f: MDrmFile, list: readonly { fd: number; offset: bigint }[], index: number, len: number): Entry | number {
  if (index < 0 || index >= list.length) return Errno.EINVAL;
  const e = list[index];
  const file = s.fds.get(e.fd);
  if (file === undefined) return Errno.EBADF; // dma_buf_get
  const d = s.files.get(file)!;
  if (d.kind !== 'dmabuf') return Errno.EINVAL;
  const obj = s.objects.get(d.exporter)!;
  if (obj.dev !== f.dev) return Errno.EINVAL; // drm_gem_prime_import_dev: no import_sg_table
  if (e.offset + BigInt(len) > BigInt(obj.size)) return Errno.EINVAL;
  return { obj, offset: Number(e.offset) };
}

function readBytes(e: Entry, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const at = e.offset + i;
    out[i] = e.obj.pages.get(Math.floor(at / PAGE_SIZE))?.[at % PAGE_SIZE] ?? 0;
  }
  return out;
}

function writeBytes(e: Entry, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) {
    const at = e.offset + i;
    const pi = Math.floor(at / PAGE_SIZE);
    let page = e.obj.pages.get(pi);
    if (!page) e.obj.pages.set(pi, (page = new Uint8Array(PAGE_SIZE)));
    page[at % PAGE_SIZE] = bytes[i];
  }
}

/** nvdla_submit: one task; the engine reads the whole source before writing. */
function submit(s: MState, f: MDrmFile, a: readonly bigint[]): Outcome {
  const num = u32(a[1]);
  if (num > MAX_BUFFERS_PER_TASK) return err(Errno.EINVAL); // nvdla_fill_task_desc
  if (num > LIST_ENTRIES) return err(Errno.EFAULT); // copy_from_user past the list
  const list = [0, 1, 2].slice(0, num).map((i) => ({ fd: i32(a[2 + 2 * i]), offset: u64(a[3 + 2 * i]) }));
  const op = u32(a[8]);
  const dst = Number(BigInt.asIntN(16, a[9]));
  const src = Number(BigInt.asIntN(16, a[10]));
  const len = u32(a[11]);
  const value = u32(a[12]) & 0xff;
  if (op > 2 || len > ENGINE_MAX_LEN) return err(Errno.EINVAL);
  const d = resolve(s, f, list, dst, len);
  if (typeof d === 'number') return err(d);
  if (op === 1) {
    writeBytes(d, new Uint8Array(len).fill(value));
    return ok();
  }
  const sr = resolve(s, f, list, src, len);
  if (typeof sr === 'number') return err(sr);
  const from = readBytes(sr, len);
  if (op === 0) writeBytes(d, from);
  else {
    const old = readBytes(d, len);
    writeBytes(d, old.map((x, i) => (x + from[i]) & 0xff));
  }
  return ok();
}

export function nvdlaIoctl(s: MState, f: MDrmFile, op: OpName, a: readonly bigint[]): Outcome {
  switch (op) {
    case 'nvdla_gem_create': return gemCreate(s, f, u64(a[1]));
    case 'nvdla_gem_mmap': return gemMmap(s, f, u32(a[1]));
    case 'nvdla_gem_destroy': return handleDelete(s, f, u32(a[1])); // drm_gem_dumb_destroy
    case 'nvdla_submit': return submit(s, f, a);
    case 'nvdla_bo_info': {
      const obj = lookup(s, f, u32(a[1]));
      if (!obj) return err(Errno.ENOENT);
      return ok({ dma_addr: BigInt(s.devices[f.dev].pool!.base + obj.dmaPage! * PAGE_SIZE) });
    }
    default: return err(Errno.EINVAL);
  }
}
