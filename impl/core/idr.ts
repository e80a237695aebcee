/**
 * Integer id allocator: the lowest free id ≥ base, like idr_alloc(…, base, 0) and
 * get_unused_fd. Freed ids go to a min-heap, so allocation and removal are O(log n).
 * An entry may hold null (idr_replace(…, NULL, id)): the id stays taken.
 */
export class Idr<T> {
  private readonly map = new Map<number, T | null>();
  private readonly free: number[] = []; // min-heap of ids below `high`
  private high: number;

  constructor(readonly base: number, readonly limit = 0x7fffffff) {
    this.high = base;
  }

  private push(id: number): void {
    const h = this.free;
    h.push(id);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (h[p] <= h[i]) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): number {
    const h = this.free;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l] < h[m]) m = l;
        if (r < h.length && h[r] < h[m]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }

  /** Allocates the lowest free id for value; -1 when the range is exhausted (ENOSPC). */
  alloc(value: T | null): number {
    let id: number;
    if (this.free.length) id = this.pop();
    else {
      if (this.high > this.limit) return -1;
      id = this.high++;
    }
    this.map.set(id, value);
    return id;
  }

  /** The id that alloc() would return next, without allocating. */
  peek(): number {
    return this.free.length ? this.free[0] : this.high;
  }

  has(id: number): boolean {
    return this.map.has(id);
  }
  find(id: number): T | null | undefined {
    return this.map.get(id);
  }
  replace(id: number, value: T | null): T | null | undefined {
    if (!this.map.has(id)) return undefined;
    const old = this.map.get(id);
    this.map.set(id, value);
    return old;
  }
  remove(id: number): T | null | undefined {
    if (!this.map.has(id)) return undefined;
    const old = this.map.get(id);
    this.map.delete(id);
    this.push(id);
    return old;
  }
  get size(): number {
    return this.map.size;
  }
  entries(): IterableIterator<[number, T | null]> {
    return this.map.entries();
  }
}
