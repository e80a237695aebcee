/** struct drm_device: a driver instance with its name table, offsets and master. */
import type { DrmDriver } from '../hooks.ts';
import { Idr } from './idr.ts';
import type { GemObject } from './drm_gem.ts';
import type { Kernel } from './kernel.ts';
import { VmaOffsetManager } from './drm_vma_manager.ts';
import type { TtmDevice } from '../ttm/device.ts';

export class DrmMaster {
  /** magic → file; null once authenticated (idr_replace(…, NULL, magic)). */
  readonly magicMap = new Idr<object>(1);
}

export class DrmDevice {
  readonly objectNameIdr = new Idr<GemObject>(1);
  readonly vmaOffsetManager: VmaOffsetManager;
  master: DrmMaster | null = null;
  /** Live objects (debug bookkeeping for the leak and refcount checkers). */
  readonly objects = new Set<GemObject>();
  /** Objects the kernel itself holds a reference to (in-kernel clients such as fbdev). */
  readonly kernelRefs = new Set<GemObject>();
  /** The device's ttm_device, for drivers over TTM (drm_device.vram_mm->bdev, amdgpu's
   * adev->mman.bdev); set by gemTtmDeviceInit (drivers/gem_ttm.ts). */
  ttm: TtmDevice | null = null;
  constructor(
    readonly kernel: Kernel,
    readonly index: number,
    readonly driver: DrmDriver,
  ) {
    this.vmaOffsetManager = new VmaOffsetManager(kernel.faults);
  }
}
