/**
 * qxl's ioctls in the model (drivers/gpu/drm/qxl/qxl_ioctl.c, qxl_gem.c, qxl_dumb.c, 6.1;
 * ir/calls/qxl.ts) over the memory of ./vram.ts. Every bo is a TTM device bo: its fake offset
 * is made before it is placed and goes with it when placement fails (ttm_bo_init_reserved).
 */
import type { OpName } from '../../ir/calls.ts';
import { i32, u32 } from '../../ir/ints.ts';
import { ok, err, type Outcome } from '../../ir/outcome.ts';
import { Errno, PAGE_SIZE } from '../../ir/uapi.ts';
import { handleCreate, lookup } from '../gem.ts';
import type { MDrmFile, MState } from '../state.ts';
import { qxlObjectCreate } from './object.ts';
import type { QxlDomain } from './vram.ts';

function withHandle(s: MState, f: MDrmFile, size: number, domain: QxlDomain): Outcome {
  const obj = qxlObjectCreate(s, f.dev, size, domain);
  if (typeof obj === 'number') return err(Errno.ENOMEM); // qxl_gem_object_create_with_handle: any failure
  return ok({ handle: BigInt(handleCreate(f, obj)) });
}

export function qxlIoctl(s: MState, f: MDrmFile, op: OpName, a: readonly bigint[]): Outcome {
  switch (op) {
    case 'qxl_alloc': {
      const size = u32(a[1]);
      if (size === 0) return err(Errno.EINVAL);
      return withHandle(s, f, i32(BigInt(size)), 'vram');
    }
    case 'qxl_map': {
      // qxl_mode_dumb_mmap: the handle's fake offset
      const obj = lookup(s, f, u32(a[1]));
      if (!obj) return err(Errno.ENOENT);
      return ok({ offset: BigInt(obj.offsetPage!) * BigInt(PAGE_SIZE) });
    }
    case 'qxl_alloc_surf': {
      // actual_stride = |stride| (int); size = actual_stride * height + actual_stride, the
      // product in unsigned (height is u32), stored in an int
      const stride = i32(a[4]);
      const actual = stride < 0 ? i32(BigInt(-stride)) : stride;
      const size = i32(BigInt((Math.imul(actual, u32(a[3])) + actual) >>> 0));
      return withHandle(s, f, size, 'surface');
    }
    default:
      return err(Errno.EINVAL);
  }
}
