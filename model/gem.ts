/** GEM handles, flink names, GEM_OPEN and dumb buffers (drm_gem.c, drm_dumb_buffers.c). */
import { ok, err, type Outcome } from '../ir/outcome.ts';
import { Errno, PAGE_SIZE } from '../ir/uapi.ts';
import { DEVICES } from './devices.ts';
import { dumbCreate } from './amdgpu/bo.ts';
import { CREATE, touch } from './amdgpu/ttm.ts';
import { qxlObjectCreate } from './qxl/object.ts';
import { handleCount, lowestFree, type MDrmFile, type MObject, type MState } from './state.ts';

/** drm_gem_handle_create_tail: lowest free handle ≥ 1 in this file (idr_alloc(…, 1, 0)). */
export function handleCreate(f: MDrmFile, obj: MObject): number {
  const h = lowestFree(f.handles, 1);
  f.handles.set(h, obj.id);
  if (obj.amd) touch(obj.amd); // amdgpu_gem_object_open: the unreserve puts the bo at its LRU tail
  return h;
}

/** drm_gem_handle_delete → drm_gem_object_release_handle → drm_gem_object_handle_put_unlocked. */
export function handleDelete(s: MState, f: MDrmFile, h: number): Outcome {
  const id = f.handles.get(h);
  if (id === undefined) return err(Errno.EINVAL); // idr_replace found nothing
  f.prime = f.prime.filter((e) => e.handle !== h); // drm_prime_remove_buf_handle: by handle
  f.handles.delete(h);
  const obj = s.objects.get(id)!;
  if (obj.amd) touch(obj.amd); // amdgpu_gem_object_close: ttm_eu_backoff_reservation
  if (handleCount(s, id) === 0) {
    // drm_gem_object_handle_free: the flink name goes with the last handle, not at free.
    if (obj.name) s.devices[obj.dev].names.delete(obj.name);
    obj.name = 0;
    // drm_gem_object_exported_dma_buf_free: breaks the obj ↔ dma-buf loop.
    obj.dmaBuf = null;
  }
  return ok();
}

/** A new object with its fake offset (drm_gem_shmem_create: drm_gem_create_mmap_offset). */
export function createObject(s: MState, dev: number, size: number, readonly = false, importOf: number | null = null): MObject | number {
  const offsetPage = s.devices[dev].offsets.insert(size / PAGE_SIZE);
  if (offsetPage === null) return Errno.ENOSPC;
  const obj: MObject = { id: s.nextId++, dev, size, readonly, name: 0, dmaBuf: null, importOf, offsetPage, pages: new Map() };
  s.objects.set(obj.id, obj);
  return obj;
}

/** Looks up a handle (drm_gem_object_lookup). */
export function lookup(s: MState, f: MDrmFile, h: number): MObject | undefined {
  const id = f.handles.get(h);
  return id === undefined ? undefined : s.objects.get(id);
}

export function gemClose(s: MState, f: MDrmFile, h: number): Outcome {
  return handleDelete(s, f, h); // drm_gem_close_ioctl
}

/** drm_gem_flink_ioctl: idempotent; names are the lowest free id ≥ 1, device-wide. */
export function gemFlink(s: MState, f: MDrmFile, h: number): Outcome {
  const obj = lookup(s, f, h);
  if (!obj) return err(Errno.ENOENT);
  const dev = s.devices[obj.dev];
  if (!obj.name) {
    obj.name = lowestFree(dev.names, 1);
    dev.names.set(obj.name, obj.id);
  }
  return ok({ name: BigInt(obj.name) });
}

/** drm_gem_open_ioctl: always a new handle, even in the same file. Name cast to int. */
export function gemOpen(s: MState, f: MDrmFile, name: number): Outcome {
  const id = name > 0x7fffffff ? undefined : s.devices[f.dev].names.get(name);
  if (id === undefined) return err(Errno.ENOENT);
  const obj = s.objects.get(id)!;
  // amdgpu_gem_object_open: a VM_ALWAYS_VALID bo of another file's VM → EPERM, no handle
  if (obj.amd && obj.amd.vmFile !== null && obj.amd.vmFile !== f.id) return err(Errno.EPERM);
  return ok({ handle: BigInt(handleCreate(f, obj)), size: BigInt(obj.size) });
}

/** drm_mode_create_dumb: core checks in u32, then the driver's layout. */
export function createDumb(s: MState, f: MDrmFile, width: number, height: number, bpp: number): Outcome {
  if (!width || !height || !bpp) return err(Errno.EINVAL);
  if (bpp > 0xffffffff - 8) return err(Errno.EINVAL);
  const cpp = Math.ceil(bpp / 8);
  if (cpp > Math.floor(0xffffffff / width)) return err(Errno.EINVAL);
  const stride = cpp * width;
  if (height > Math.floor(0xffffffff / stride)) return err(Errno.EINVAL);
  const size = height * stride;
  if ((Math.ceil(size / PAGE_SIZE) * PAGE_SIZE) >>> 0 === 0) return err(Errno.EINVAL); // PAGE_ALIGN wraps
  const desc = DEVICES[s.devices[f.dev].kind];
  if (desc.dumbBpp && !desc.dumbBpp.includes(bpp)) return err(Errno.EINVAL);
  const layout = desc.dumbLayout(width, height, bpp);
  // qxl: a bo in the CPU domain (SYSTEM)
  const obj = s.devices[f.dev].amd ? dumbCreate(s, f.dev, layout.size) : s.devices[f.dev].qxl ? qxlObjectCreate(s, f.dev, layout.size, 'cpu') : createObject(s, f.dev, layout.size);
  if (typeof obj === 'number') return err(obj);
  const handle = handleCreate(f, obj); // drm_gem_shmem_create_with_handle, then the creation ref goes
  return ok({ handle: BigInt(handle), pitch: BigInt(layout.pitch), size: BigInt(layout.size) });
}

/** drm_gem_dumb_map_offset: imported objects have no usable offset. */
export function mapDumb(s: MState, f: MDrmFile, h: number): Outcome {
  const obj = lookup(s, f, h);
  if (!obj) return err(Errno.ENOENT);
  // amdgpu: .dumb_map_offset = amdgpu_mode_dumb_mmap, the GEM_MMAP rules
  if (obj.amd && (obj.amd.kind === 'userptr' || obj.amd.flags & CREATE.NO_CPU_ACCESS)) return err(Errno.EPERM);
  if (obj.importOf !== null && !obj.amd) return err(Errno.EINVAL);
  return ok({ offset: BigInt(obj.offsetPage!) * BigInt(PAGE_SIZE) });
}

/** gemcheck's RO_CREATE (linux-5.10 profile): a read-only shmem object, like i915 userptr
 * with I915_USERPTR_READ_ONLY (drm_vma_node_set_readonly). Size must be page aligned. */
export function roCreate(s: MState, f: MDrmFile, size: bigint): Outcome {
  if (size === 0n || size % BigInt(PAGE_SIZE) !== 0n || size > 0x1_0000_0000n) return err(Errno.EINVAL);
  const obj = createObject(s, f.dev, Number(size), true);
  if (typeof obj === 'number') return err(obj);
  return ok({ handle: BigInt(handleCreate(f, obj)) });
}
