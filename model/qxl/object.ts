/** A qxl GEM object in the model: a TTM device bo with its fake offset (model/qxl/vram.ts). */
import { Errno, PAGE_SIZE } from '../../ir/uapi.ts';
import type { MObject, MState } from '../state.ts';
import { qxlBoCreate, type QxlDomain } from './vram.ts';

/**
 * qxl_gem_object_create(int size, …) → qxl_bo_create: the size passes through an int, so
 * 2 GiB and more is negative, sign-extended and refused; the bo with its offset, or an errno.
 */
export function qxlObjectCreate(s: MState, dev: number, size: number, domain: QxlDomain): MObject | number {
  const q = s.devices[dev].qxl!;
  if (size <= 0 || size > 0x7fff_ffff) return Errno.ENOMEM;
  const bytes = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
  const offsetPage = s.devices[dev].offsets.insert(bytes / PAGE_SIZE);
  if (offsetPage === null) return Errno.ENOMEM;
  const pages = new Map<number, Uint8Array>();
  const bo = qxlBoCreate(q, bytes, domain, pages);
  if (!bo) {
    s.devices[dev].offsets.remove(offsetPage);
    return Errno.ENOMEM;
  }
  const obj: MObject = { id: s.nextId++, dev, size: bytes, readonly: false, name: 0, dmaBuf: null, importOf: null, offsetPage, pages, qxl: bo };
  s.objects.set(obj.id, obj);
  return obj;
}

