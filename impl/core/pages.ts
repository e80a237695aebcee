/** Sparse page-granular backing memory: only pages that were written cost memory. The page
 * map itself is made at the first write (most stores of a moving bo are never written). */
import { PAGE_SIZE } from '../../ir/uapi.ts';

export class PageStore {
  private pages: Map<number, Uint8Array> | null = null;
  constructor(readonly npages: number) {}
  /** The page for writing (allocated zeroed on first touch). */
  writable(i: number): Uint8Array {
    const m = (this.pages ??= new Map());
    let p = m.get(i);
    if (!p) m.set(i, (p = new Uint8Array(PAGE_SIZE)));
    return p;
  }
  /** The page for reading, or undefined for a never-written (zero) page. */
  readable(i: number): Uint8Array | undefined {
    return this.pages?.get(i);
  }
  /** The written pages' indices, ascending (for digests that skip the zero pages). */
  residentIndices(): number[] {
    return this.pages ? [...this.pages.keys()].sort((a, b) => a - b) : [];
  }
  get residentPages(): number {
    return this.pages ? this.pages.size : 0;
  }
  release(): void {
    this.pages = null;
  }
}
