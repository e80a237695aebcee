/**
 * NVDLA (nvdla/sw kmd/port/linux, HEAD 2019; spec §9), on this 6.1-shaped core: private GEM
 * objects backed by the device's exclusive DMA-coherent pool (pool.ts), the fake offset made
 * on demand by NVDLA_GEM_MMAP, an eager mapping of the whole object, PRIME export and
 * self-import (no import_sg_table, so a foreign dma-buf is EINVAL), and a synchronous submit
 * whose address list names dma-buf fds resolved in the submitter's file. The engine is
 * gemcheck's simulation of the firmware (ir/calls/nvdla.ts): one memory operation on the
 * resolved DMA addresses. The device's quirks (ir/quirks.ts) switch on upstream's bugs; code
 * here tests quirk flags only.
 */
import { DRM_RENDER_ALLOW } from '../../../ir/ioctls.ts';
import { i32, u32, u64 } from '../../../ir/ints.ts';
import type { QuirkName } from '../../../ir/quirks.ts';
import type { Profile } from '../../../ir/target.ts';
import { Errno, PAGE_SIZE } from '../../../ir/uapi.ts';
import type { DriverIoctl, DrmDriver, GemObjectFuncs, VmOps } from '../../hooks.ts';
import type { DrmDevice } from '../../core/drm_device.ts';
import { isDmaBufFile, type DmaBuf } from '../../core/dma_buf.ts';
import { drmGemCreateMmapOffset, drmGemHandleCreateTail, drmGemHandleDelete, drmGemObjectInit, drmGemObjectLookup, drmGemObjectRelease, drmGemVmClose, GemObject } from '../../core/drm_gem.ts';
import { drmPrimeFdToHandle } from '../../core/drm_prime.ts';
import { PageStore } from '../../core/pages.ts';
import { DmaPool, type PoolBlock } from './pool.ts';

/** nvdla_drm_probe: dma_declare_coherent_memory(dev, 0xC0000000, 0xC0000000, size, …). */
export const NVDLA_POOL_BASE = 0xc000_0000;
/** NVDLA_MAX_BUFFERS_PER_TASK (nvdla_ioctl.h). */
export const NVDLA_MAX_BUFFERS_PER_TASK = 6144;
/** sim: the program's address list has three entries, followed by unmapped memory. */
export const NVDLA_LIST_ENTRIES = 3;
/** sim: the simulated engine's largest transfer (bytes); longer → EINVAL. */
export const NVDLA_ENGINE_MAX_LEN = 0x10_0000;
export const NVDLA_OP = { COPY: 0, FILL: 1, ADD: 2 } as const;

const PAGE = BigInt(PAGE_SIZE);
const U64 = 1n << 64n;

/** struct nvdla_gem_object: the GEM object, its pool block and what it holds. */
export class NvdlaObject extends GemObject {
  /** the block's memory: its pages, by page within the block (the DMA memory itself) */
  readonly store: PageStore;
  constructor(
    dev: DrmDevice,
    size: number,
    readonly block: PoolBlock,
    readonly pool: DmaPool,
    funcs: GemObjectFuncs,
  ) {
    super(dev, size, funcs);
    this.store = new PageStore(2 ** block.order);
  }
  /** nobj->dma_addr */
  get dmaAddr(): number {
    return this.pool.base + this.block.page * PAGE_SIZE;
  }
}

/** Per-device driver state (struct nvdla_device): the pool and who owns each block. */
interface NvdlaDev {
  readonly pool: DmaPool;
  readonly byBlock: Map<number, NvdlaObject>;
  readonly q: (name: QuirkName) => boolean;
}

const vmOps: VmOps = {
  // dma_mmap_attrs mapped the whole vma at mmap time: page i of the vma is object page
  // vm_pgoff + i (nvdla_drm_gem_object_mmap set vm_pgoff)
  fault(vma, page) {
    const obj = vma.privateData as NvdlaObject;
    if (!obj.touch('fault')) return 'SIGBUS';
    const i = Number(vma.pgoff) + page;
    if (i >= obj.size / PAGE_SIZE) return 'SIGBUS';
    return { store: obj.store, index: i };
  },
  close: drmGemVmClose,
  debugBacking: (vma) => ({ obj: vma.privateData as NvdlaObject, gemRef: true, firstPage: Number(vma.pgoff) }),
};

function objectFuncs(st: NvdlaDev): GemObjectFuncs {
  return {
    // nvdla_gem_free_object: the offset and the DMA memory go (upstream never calls
    // drm_gem_object_release, so its resv is not finalized — not observable; the simulated
    // core's release keeps its own bookkeeping)
    free(o) {
      const obj = o as NvdlaObject;
      st.byBlock.delete(obj.block.page);
      if (!st.pool.release(obj.block)) obj.dev.kernel.warn('nvdla-pool', `object ${obj.id}: pool block at page ${obj.block.page} was not allocated`);
      obj.store.release();
      drmGemObjectRelease(obj);
    },
    // nvdla_drm_gem_object_mmap (from drm_gem_mmap and, through drm_gem_prime_mmap, from a
    // dma-buf mmap): clear VM_PFNMAP, set vm_pgoff, dma_mmap_attrs of the whole object.
    // vm_pgoff arrives as the fake offset (DRM fd) or the user's page offset plus the
    // node's start (dma-buf), so the page the mapping starts at is vm_pgoff − start.
    mmap(o, vma) {
      // sim: a private writable (COW) mapping is refused, as the other helpers refuse it
      // (remap_pfn_range would accept a whole-vma COW mapping; unverified for NVDLA)
      if (vma.isCow) return -Errno.EINVAL;
      vma.pgoff = st.q('nvdla-dmabuf-mmap-pgoff') ? 0n : vma.pgoff - BigInt(o.vmaNode.start);
      return 0;
    },
    vmOps,
    debug: {
      check(o, _mappings, report) {
        const obj = o as NvdlaObject;
        if (st.byBlock.get(obj.block.page) !== obj || st.pool.allocated.get(obj.block.page) !== obj.block.order)
          report('nvdla-pool', `object ${obj.id}: its block (page ${obj.block.page}, order ${obj.block.order}) is not allocated to it`);
        if (2 ** obj.block.order * PAGE_SIZE < obj.size) report('nvdla-pool', `object ${obj.id}: block of ${2 ** obj.block.order} pages for ${obj.size} bytes`);
      },
    },
  };
}

/** nvdla_gem_create → nvdla_gem_create_with_handle → nvdla_gem_create_object → nvdla_gem_alloc. */
function gemCreate(st: NvdlaDev, funcs: GemObjectFuncs): DriverIoctl {
  return {
    flags: DRM_RENDER_ALLOW,
    handler(dev, file, a, out) {
      const asked = u64(a[1]);
      let size: bigint;
      if (st.q('nvdla-size-u32')) {
        // the size parameter is uint32_t, and round_up(size, PAGE_SIZE) is computed in it
        size = (BigInt.asUintN(32, asked) + PAGE - 1n) & 0xffff_f000n;
      } else size = ((asked + PAGE - 1n) / PAGE) * PAGE;
      if (size === 0n && !st.q('nvdla-size-zero')) return -Errno.EINVAL;
      // dma_alloc_attrs from the exclusive pool: get_order(0) asks for more than any pool
      // (ENOMEM; unverified), and nothing falls back to system memory
      if (size === 0n || size > BigInt(st.pool.pages * PAGE_SIZE)) return -Errno.ENOMEM;
      const block = st.pool.alloc(Number(size));
      if (!block) return -Errno.ENOMEM;
      const obj = new NvdlaObject(dev, Number(size), block, st.pool, funcs);
      st.byBlock.set(block.page, obj);
      drmGemObjectInit(obj); // drm_gem_private_object_init: no mmap offset yet
      const handle = drmGemHandleCreateTail(file, obj);
      obj.put(); // the creation reference goes once the handle holds the object
      if (handle < 0) return handle;
      out.handle = BigInt(handle);
      return 0;
    },
  };
}

/** nvdla_gem_map_offset: EINVAL for a bad handle; the offset is made on first use. */
const gemMmap = (st: NvdlaDev): DriverIoctl => ({
  flags: DRM_RENDER_ALLOW,
  handler(_dev, file, a, out) {
    const obj = drmGemObjectLookup(file, u32(a[1]));
    if (!obj) return -Errno.EINVAL;
    const ret = drmGemCreateMmapOffset(obj);
    if (!ret) out.offset = BigInt(obj.vmaNode.start) * PAGE;
    else if (st.q('nvdla-map-offset-swallow')) out.offset = 0n; // args->offset as passed in (the executor passes 0)
    obj.put();
    return ret && !st.q('nvdla-map-offset-swallow') ? ret : 0;
  },
});

/** nvdla_gem_destroy → drm_gem_dumb_destroy → drm_gem_handle_delete. */
const gemDestroy: DriverIoctl = { flags: DRM_RENDER_ALLOW, handler: (_dev, file, a) => drmGemHandleDelete(file, u32(a[1])) };

/** gemcheck's debug query: nobj->dma_addr, as nvdla_gem_dma_addr reads it. */
const boInfo: DriverIoctl = {
  flags: DRM_RENDER_ALLOW,
  handler(_dev, file, a, out) {
    const obj = drmGemObjectLookup(file, u32(a[1]));
    if (!obj) return -Errno.ENOENT;
    out.dma_addr = BigInt((obj as NvdlaObject).dmaAddr);
    obj.put();
    return 0;
  },
};

/** One resolved address-list entry: the object it names and the DMA address. */
interface Resolved {
  readonly obj: NvdlaObject;
  readonly addr: bigint;
  readonly index: number;
}

/** nvdla_submit → nvdla_fill_task_desc → nvdla_task_submit (dla_execute_task: the engine). */
function submit(st: NvdlaDev): DriverIoctl {
  return {
    flags: DRM_RENDER_ALLOW,
    handler(dev, file, a, _out, fds) {
      if (!fds) return -Errno.EFAULT;
      const num = u32(a[1]);
      // nvdla_fill_task_desc (its limit check is gone at HEAD), then copy_from_user of
      // num × 16 bytes: past the program's three entries lies unmapped memory (sim)
      if (!st.q('nvdla-no-buffer-limit') && num > NVDLA_MAX_BUFFERS_PER_TASK) return -Errno.EINVAL;
      if (num > NVDLA_LIST_ENTRIES) return -Errno.EFAULT;
      const list = [0, 1, 2].slice(0, num).map((i) => ({ fd: i32(a[2 + 2 * i]), offset: u64(a[3 + 2 * i]) }));
      const op = u32(a[8]);
      const dst = Number(BigInt.asIntN(16, a[9])); // int16_t index (dla_get_dma_address)
      const src = Number(BigInt.asIntN(16, a[10]));
      const len = u32(a[11]);
      const value = u32(a[12]) & 0xff;
      // the simulated firmware reads its descriptor before it resolves addresses
      if (op > NVDLA_OP.ADD || len > NVDLA_ENGINE_MAX_LEN) return -Errno.EINVAL;
      const handlesBefore = file.objectIdr.size;
      const made: number[] = []; // handles address resolution created in this file
      const held: GemObject[] = [];
      const resolve = (index: number): Resolved | number => {
        // dla_read_dma_address: index == -1 or past the list → EINVAL (a negative int16
        // compares as a huge unsigned value)
        if (index < 0 || index > num || (index === num && !st.q('nvdla-index-off-by-one'))) return -Errno.EINVAL;
        if (index === num) {
          // handles[num]: one entry past the kzalloc'ed list (KASAN: slab-out-of-bounds)
          dev.kernel.warn('nvdla-address-list-bounds', `submit reads address_list[${index}] of a ${num}-entry list`);
          return -Errno.EINVAL; // sim: the word past the list names no dma-buf
        }
        const e = list[index];
        // nvdla_gem_dma_addr: drm_gem_prime_fd_to_handle in the submitter's file, then a lookup
        const f = fds.lookup(e.fd);
        const buf = f && isDmaBufFile(f) ? (f.priv as DmaBuf) : undefined;
        const cached = buf !== undefined && file.prime.lookupByDmaBuf(buf) !== undefined;
        const h = drmPrimeFdToHandle(fds, file, e.fd);
        if (h < 0) return h;
        if (!cached) made.push(h);
        const obj = drmGemObjectLookup(file, h);
        if (!obj) return -Errno.EINVAL;
        // a correct driver holds the reference while the engine runs; upstream puts it at
        // once (only the hidden handle then keeps the buffer alive)
        if (st.q('nvdla-no-exec-ref')) obj.put();
        else held.push(obj);
        if (!(obj instanceof NvdlaObject)) return -Errno.EINVAL;
        if (!st.q('nvdla-offset-unchecked') && e.offset + BigInt(len) > BigInt(obj.size)) return -Errno.EINVAL;
        return { obj, addr: (BigInt(obj.dmaAddr) + e.offset) % U64, index };
      };
      let ret = 0;
      const d = resolve(dst);
      if (typeof d === 'number') ret = d;
      let s: Resolved | number | undefined;
      if (!ret && op !== NVDLA_OP.FILL) {
        s = resolve(src);
        if (typeof s === 'number') ret = s;
      }
      if (!ret) execute(st, op, d as Resolved, s as Resolved | undefined, len, value);
      // a correct driver closes what resolution made; upstream leaves it (nvdla_gem_dma_addr)
      if (!st.q('nvdla-hidden-handle')) for (const h of made) drmGemHandleDelete(file, h);
      for (const o of held) o.put();
      // "handle count stable across submits" (spec §10): a submit leaves the file's handles as it found them
      if (file.objectIdr.size !== handlesBefore)
        dev.kernel.warn('nvdla-hidden-handle', `submit left ${file.objectIdr.size - handlesBefore} handle(s) in file ${file.id} (${made.join(', ')})`);
      return ret;
    },
  };
}

/** The engine's view of a device address range: each page's backing (an object's DMA
 * memory) or null (free pool memory or outside the pool), with the self-check that the
 * access stays inside the live buffer the address-list entry named. */
function access(st: NvdlaDev, r: Resolved, off: number, len: number, visit: (store: PageStore | null, page: number, inPage: number, n: number, done: number) => void): void {
  const start = r.addr + BigInt(off);
  const objStart = BigInt(r.obj.dmaAddr);
  if (r.obj.freed || start < objStart || start + BigInt(len) > objStart + BigInt(r.obj.size))
    r.obj.dev.kernel.warn('nvdla-engine-bounds', `engine access 0x${start.toString(16)}+${len} (entry ${r.index}) outside object ${r.obj.id} at 0x${objStart.toString(16)}+${r.obj.size}`);
  const base = BigInt(st.pool.base);
  for (let done = 0; done < len; ) {
    const at = start + BigInt(done);
    const inPage = Number(at % PAGE);
    const n = Math.min(len - done, PAGE_SIZE - inPage);
    const rel = at - base;
    const page = rel < 0n ? -1 : Number(rel / PAGE);
    const b = st.pool.blockAt(page);
    const owner = b ? st.byBlock.get(b.page) : undefined;
    visit(owner ? owner.store : null, owner ? page - b!.page : 0, inPage, n, done);
    done += n;
  }
}

function readRange(st: NvdlaDev, r: Resolved, len: number): Uint8Array {
  const out = new Uint8Array(len);
  access(st, r, 0, len, (store, page, inPage, n, done) => {
    const bytes = store?.readable(page);
    if (bytes) out.set(bytes.subarray(inPage, inPage + n), done);
  });
  return out;
}

function writeRange(st: NvdlaDev, r: Resolved, len: number, byte: (i: number) => number): void {
  access(st, r, 0, len, (store, page, inPage, n, done) => {
    if (!store) return; // sim: a write outside every buffer is lost
    const bytes = store.writable(page);
    for (let k = 0; k < n; k++) bytes[inPage + k] = byte(done + k);
  });
}

/** The simulated engine: the whole source is read before the destination is written. */
function execute(st: NvdlaDev, op: number, d: Resolved, s: Resolved | undefined, len: number, value: number): void {
  if (!len) return;
  if (op === NVDLA_OP.FILL) return writeRange(st, d, len, () => value);
  const src = readRange(st, s!, len);
  if (op === NVDLA_OP.COPY) return writeRange(st, d, len, (i) => src[i]);
  const old = readRange(st, d, len);
  writeRange(st, d, len, (i) => (old[i] + src[i]) & 0xff);
}

/** Pool accounting (debug): blocks inside the pool and disjoint, free and allocated blocks
 * covering it exactly, usage = the live objects' blocks. */
function checkPool(st: NvdlaDev, dev: DrmDevice, report: (invariant: string, message: string) => void): void {
  const pool = st.pool;
  const blocks = [...pool.allocated].map(([page, order]) => ({ page, order, free: false }));
  const all = [...blocks, ...pool.freeBlocks().map((b) => ({ ...b, free: true }))].sort((x, y) => x.page - y.page);
  let at = 0;
  for (const b of all) {
    if (b.page % 2 ** b.order) report('nvdla-pool', `block at page ${b.page} of order ${b.order} is not naturally aligned`);
    if (b.page !== at) report('nvdla-pool', `${b.page < at ? 'overlapping' : 'missing'} pool pages at ${Math.min(at, b.page)}`);
    at = Math.max(at, b.page + 2 ** b.order);
  }
  if (at !== pool.pages) report('nvdla-pool', `pool blocks end at page ${at}, the pool has ${pool.pages}`);
  let used = 0;
  for (const b of blocks) used += 2 ** b.order;
  let live = 0;
  let livePages = 0;
  for (const o of dev.objects)
    if (o instanceof NvdlaObject) {
      live++;
      livePages += 2 ** o.block.order;
    }
  if (used !== pool.usedPages || used !== livePages || blocks.length !== live || st.byBlock.size !== live)
    report('nvdla-pool', `pool usage ${pool.usedPages} pages (${blocks.length} blocks, counted ${used}); live objects ${live} with ${livePages} pages; owners ${st.byBlock.size}`);
}

export function nvdlaDriver(_profile: Profile, params: Readonly<Record<string, number>>, quirks: readonly QuirkName[], name: string): DrmDriver {
  const on = new Set(quirks);
  const st: NvdlaDev = {
    pool: new DmaPool(NVDLA_POOL_BASE, Math.max(1, Math.floor((params.pool_kib * 1024) / PAGE_SIZE))),
    byBlock: new Map(),
    q: (name) => on.has(name),
  };
  const funcs = objectFuncs(st);
  return {
    name,
    // DRIVER_GEM | DRIVER_PRIME | DRIVER_RENDER; no dumb_create (MODE_*_DUMB: ENOSYS), no
    // gem_prime_import_sg_table (a foreign dma-buf: EINVAL)
    features: { render: true, prime: true },
    ioctls: {
      nvdla_submit: submit(st),
      nvdla_gem_create: gemCreate(st, funcs),
      nvdla_gem_mmap: gemMmap(st),
      nvdla_gem_destroy: gemDestroy,
      nvdla_bo_info: boInfo,
    },
    debug: { check: (dev, report) => checkPool(st, dev, report) },
  };
}


