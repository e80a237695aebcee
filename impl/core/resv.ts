/** dma_resv, reduced to what vgem fences need: a list of fences with their usage. */
export interface DmaFence {
  readonly write: boolean;
  signalled: boolean;
}

export class DmaResv {
  readonly fences: DmaFence[] = [];
  /** dma_resv_test_signaled(resv, usage): WRITE usage looks at write fences only. */
  testSignaled(writeOnly: boolean): boolean {
    return this.fences.every((f) => f.signalled || (writeOnly && !f.write));
  }
  add(f: DmaFence): void {
    // signalled fences can be pruned: they never conflict again
    for (let i = this.fences.length - 1; i >= 0; i--) if (this.fences[i].signalled) this.fences.splice(i, 1);
    this.fences.push(f);
  }
}
