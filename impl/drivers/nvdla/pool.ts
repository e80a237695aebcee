/**
 * The device's DMA-coherent pool (kernel/dma/coherent.c as nvdla_drm_probe declares it:
 * dma_declare_coherent_memory(…, DMA_MEMORY_EXCLUSIVE), no fallback to system memory).
 * __dma_alloc_from_coherent takes 2^get_order(size) pages at the lowest naturally aligned
 * free position (bitmap_find_free_region) and zeroes them (spec §9; coherent.c itself was not
 * re-read for this, so the placement rule is unverified). The bitmap scan is linear in the
 * kernel; this is a buddy allocator that gives the same answer in O(orders · log n): with
 * only aligned power-of-two blocks ever taken, free space is a set of maximal free buddy
 * blocks, and the lowest free aligned 2^k region is the start of the lowest free block of
 * order ≥ k (then split down, keeping the low halves).
 */

/** A min-heap of block starts with lazy deletion (membership lives in the order's set). */
class StartHeap {
  private readonly a: number[] = [];
  push(x: number): void {
    const a = this.a;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  /** The smallest start still in `live`, dropping stale ones on the way. */
  peek(live: ReadonlySet<number>): number | undefined {
    while (this.a.length && !live.has(this.a[0])) this.pop();
    return this.a[0];
  }
  private pop(): void {
    const a = this.a;
    const last = a.pop()!;
    if (!a.length) return;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l] < a[m]) m = l;
      if (r < a.length && a[r] < a[m]) m = r;
      if (m === i) break;
      [a[m], a[i]] = [a[i], a[m]];
      i = m;
    }
  }
}

export interface PoolBlock {
  /** first page, relative to the pool's base */
  readonly page: number;
  readonly order: number;
}

/** get_order(size) for size ≥ 1 (bytes): the smallest k with 2^k pages ≥ size. */
export function getOrder(size: number): number {
  let k = 0;
  while (2 ** k * 4096 < size) k++;
  return k;
}

export class DmaPool {
  private readonly free: Set<number>[] = [];
  private readonly heaps: StartHeap[] = [];
  /** allocated blocks: start page → order */
  readonly allocated = new Map<number, number>();
  usedPages = 0;
  constructor(
    /** the pool's device (and physical) address */
    readonly base: number,
    readonly pages: number,
  ) {
    // the initial free blocks: the pool split into maximal aligned power-of-two blocks
    for (let p = 0; p < pages; ) {
      let k = 0;
      while (p % 2 ** (k + 1) === 0 && p + 2 ** (k + 1) <= pages) k++;
      this.addFree(p, k);
      p += 2 ** k;
    }
  }
  private set(k: number): Set<number> {
    while (this.free.length <= k) {
      this.free.push(new Set());
      this.heaps.push(new StartHeap());
    }
    return this.free[k];
  }
  private addFree(page: number, k: number): void {
    this.set(k).add(page);
    this.heaps[k].push(page);
  }

  /** __dma_alloc_from_coherent: the block, or null (ENOMEM). `size` in bytes, ≥ 1. */
  alloc(size: number): PoolBlock | null {
    if (size > this.pages * 4096) return null;
    const order = getOrder(size);
    let best: number | undefined;
    let bestK = -1;
    for (let k = order; k < this.free.length; k++) {
      const s = this.heaps[k].peek(this.free[k]);
      if (s !== undefined && (best === undefined || s < best)) {
        best = s;
        bestK = k;
      }
    }
    if (best === undefined) return null;
    this.free[bestK].delete(best);
    // split: the low half is kept, each high half goes back free
    for (let k = bestK; k > order; k--) this.addFree(best + 2 ** (k - 1), k - 1);
    this.allocated.set(best, order);
    this.usedPages += 2 ** order;
    return { page: best, order };
  }

  /** __dma_release_from_coherent: the block goes back, merged with its free buddies. */
  release(b: PoolBlock): boolean {
    if (this.allocated.get(b.page) !== b.order) return false;
    this.allocated.delete(b.page);
    this.usedPages -= 2 ** b.order;
    let page = b.page;
    let k = b.order;
    for (;;) {
      const buddy = page ^ (2 ** k);
      const set = this.free[k];
      // a buddy past the pool's end (or not wholly inside it) never merges
      if (!set || !set.has(buddy) || Math.max(page, buddy) + 2 ** k > this.pages) break;
      set.delete(buddy);
      page = Math.min(page, buddy);
      k++;
    }
    this.addFree(page, k);
    return true;
  }

  /** The allocated block containing a pool page, or undefined (free, or outside the pool). */
  blockAt(page: number): PoolBlock | undefined {
    if (page < 0 || page >= this.pages) return undefined;
    for (let k = 0; 2 ** k <= this.pages; k++) {
      const start = page - (page % 2 ** k);
      if (this.allocated.get(start) === k) return { page: start, order: k };
    }
    return undefined;
  }

  /** Debug: free blocks, ascending (for the self-checks' overlap and accounting checks). */
  freeBlocks(): PoolBlock[] {
    const out: PoolBlock[] = [];
    this.free.forEach((s, k) => s.forEach((page) => out.push({ page, order: k })));
    return out.sort((a, b) => a.page - b.page);
  }
}
