/**
 * dma_fence and dma_resv (drivers/dma-buf/dma-fence.c, dma-resv.c), reduced to what vgem
 * fences need: a fence signals once, for good; a reservation object lists fences with their
 * usage. Every GEM object embeds one (obj->_resv); obj->resv points at it, or, for a foreign
 * import, at the dma-buf's (drm_gem_prime_import_dev), so fences through an import land on
 * the exporter's object.
 */
import type { GemObject } from './drm_gem.ts';

export class DmaFence {
  signalled = false;
  /** the reservation object it was added to (debug back-link; the kernel's fence keeps none) */
  resv: DmaResv | null = null;
  constructor(
    /** dma_fence.context, unique per kernel (vgem allocates one per fence) */
    readonly context: number,
    readonly write: boolean,
  ) {}
  /** dma_fence_signal: false if it was signalled already. */
  signal(): boolean {
    const was = this.signalled;
    this.signalled = true;
    return !was;
  }
}

export class DmaResv {
  readonly fences: DmaFence[] = [];
  /** the object that embeds it (container_of(resv, struct drm_gem_object, _resv)) */
  constructor(readonly owner: GemObject) {}
  /** dma_resv_test_signaled(resv, usage): WRITE usage looks at write fences only. */
  testSignaled(writeOnly: boolean): boolean {
    return this.fences.every((f) => f.signalled || (writeOnly && !f.write));
  }
  /** dma_resv_add_fence. */
  add(f: DmaFence): void {
    // signalled fences can be pruned: they never conflict again
    for (let i = this.fences.length - 1; i >= 0; i--) if (this.fences[i].signalled) this.fences.splice(i, 1);
    this.fences.push(f);
    f.resv = this;
  }
  /** dma_resv_fini: the fence references go with the object (drm_gem_object_release). */
  fini(): void {
    this.fences.length = 0;
  }
}
