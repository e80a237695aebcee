/** PRIME export and import (drm_prime.c). */
import { ok, err, type Outcome } from '../ir/outcome.ts';
import { DRM_CLOEXEC, DRM_RDWR, Errno } from '../ir/uapi.ts';
import { createObject, handleCreate, lookup } from './gem.ts';
import { installFd } from './files.ts';
import type { MDmaBuf, MDrmFile, MState } from './state.ts';
import { DEVICES } from './devices.ts';
import { boPin, boUnpin, sgImport } from './amdgpu/bo.ts';
import { CREATE } from './amdgpu/ttm.ts';

/** drm_prime_handle_to_fd_ioctl → drm_gem_prime_handle_to_fd. */
export function handleToFd(s: MState, f: MDrmFile, h: number, flags: number): Outcome {
  if (!DEVICES[s.devices[f.dev].kind].prime) return err(Errno.ENOSYS); // no driver hook (pre-6.6)
  if (flags & ~(DRM_CLOEXEC | DRM_RDWR)) return err(Errno.EINVAL);
  const obj = lookup(s, f, h);
  if (!obj) return err(Errno.ENOENT);
  // In order: this handle's cached dma-buf; the original dma-buf of a foreign import;
  // obj->dma_buf; a new export whose file mode is fixed by these flags (dma_buf_getfile).
  let dmabuf = f.prime.find((e) => e.handle === h)?.dmabuf;
  if (dmabuf === undefined) {
    dmabuf = obj.importOf ?? obj.dmaBuf ?? undefined;
    if (dmabuf === undefined) {
      // amdgpu_gem_prime_export: userptr and per-VM bos are not exported
      if (obj.amd && (obj.amd.kind === 'userptr' || obj.amd.flags & CREATE.VM_ALWAYS_VALID)) return err(Errno.EPERM);
      const d: MDmaBuf = { kind: 'dmabuf', id: s.nextId++, exporter: obj.id, size: obj.size, writable: (flags & DRM_RDWR) !== 0 };
      s.files.set(d.id, d);
      obj.dmaBuf = d.id;
      dmabuf = d.id;
    }
    f.prime.push({ dmabuf, handle: h });
  }
  const fd = installFd(s, dmabuf); // dma_buf_fd: a new fd for the same file every time
  return fd === null ? err(Errno.EMFILE) : ok({ dmabuf: BigInt(fd) });
}

/** drm_prime_fd_to_handle_ioctl → drm_gem_prime_fd_to_handle. */
export function fdToHandle(s: MState, f: MDrmFile, fd: number): Outcome {
  if (!DEVICES[s.devices[f.dev].kind].prime) return err(Errno.ENOSYS); // no driver hook (pre-6.6)
  const file = s.fds.get(fd);
  if (file === undefined) return err(Errno.EBADF); // dma_buf_get
  const d = s.files.get(file)!;
  if (d.kind !== 'dmabuf') return err(Errno.EINVAL);
  // Cache hit: the handle already paired with this dma-buf in this file (no new handle).
  // Several pairs can exist (two handles to one object, both exported); the kernel's pick
  // depends on rb-tree shape (unspecified) — the model takes the oldest pair.
  const hit = f.prime.find((e) => e.dmabuf === d.id);
  if (hit) return ok({ handle: BigInt(hit.handle) });
  const exporter = s.objects.get(d.exporter)!;
  let obj = exporter;
  if (exporter.dev !== f.dev) {
    // drm_gem_prime_import_dev: a driver without gem_prime_import_sg_table refuses
    if (DEVICES[s.devices[f.dev].kind].noForeignImport) return err(Errno.EINVAL);
    // the attach's map (the exporter's get_sg_table), then the importer's import_sg_table:
    // qxl has neither (ENOSYS). sim: qxl_gem_prime_pin's validate into the bo's domain before
    // the map fails is not modelled (KNOWN-DIVERGENCES.md: no qxl pair runs on the kernel).
    const refused = DEVICES[s.devices[exporter.dev].kind].foreignExportErrno ?? DEVICES[s.devices[f.dev].kind].foreignImportErrno;
    if (refused) return err(refused);
    // drm_gem_prime_import_dev, foreign: a new object every time, holding the dma-buf
    // (import_attach) and getting its own fake offset (__drm_gem_shmem_create).
    if (s.devices[f.dev].amd) {
      // amdgpu_dma_buf_create_obj: an sg bo over the foreign pages
      const created = sgImport(s, f.dev, d.size, d.id, exporter.amd);
      if (typeof created === 'number') return err(created);
      obj = created;
    } else {
      // dma_buf_attach of a dynamic exporter by a static importer pins it: amdgpu_dma_buf_pin
      // → amdgpu_bo_pin(bo, GTT), until the importer's object is freed (dma_buf_detach)
      const pin = exporter.amd;
      if (pin) {
        const r = boPin(pin, 0x2);
        if (r) return err(r);
      }
      const created = createObject(s, f.dev, d.size, false, d.id);
      if (typeof created === 'number') {
        if (pin) boUnpin(pin);
        return err(created);
      }
      if (pin) created.pinsAmd = pin;
      obj = created;
    }
  } // else self-import: the same object (drm_gem_prime_import_dev: obj->dev == dev)
  if (obj.dmaBuf === null) obj.dmaBuf = d.id;
  const h = handleCreate(f, obj);
  f.prime.push({ dmabuf: d.id, handle: h }); // drm_prime_add_buf_handle
  return ok({ handle: BigInt(h) });
}
