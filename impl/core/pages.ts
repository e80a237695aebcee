/** Sparse page-granular backing memory: only pages that were written cost memory. */
import { PAGE_SIZE } from '../../ir/uapi.ts';

export class PageStore {
  private readonly pages = new Map<number, Uint8Array>();
  constructor(readonly npages: number) {}
  /** The page for writing (allocated zeroed on first touch). */
  writable(i: number): Uint8Array {
    let p = this.pages.get(i);
    if (!p) this.pages.set(i, (p = new Uint8Array(PAGE_SIZE)));
    return p;
  }
  /** The page for reading, or undefined for a never-written (zero) page. */
  readable(i: number): Uint8Array | undefined {
    return this.pages.get(i);
  }
  /** The written pages' indices, ascending (for digests that skip the zero pages). */
  residentIndices(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }
  get residentPages(): number {
    return this.pages.size;
  }
  release(): void {
    this.pages.clear();
  }
}
