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
  /** The page reads as zero again (memset 0 of a whole page). */
  clear(i: number): void {
    this.pages?.delete(i);
  }
  release(): void {
    this.pages = null;
  }
}

/**
 * A run of pages inside a larger store: device memory seen through one allocation (a VRAM
 * resource's range in its manager's memory). Releasing the window keeps the bytes — the next
 * allocation over those pages reads what was left there (kernel/FINDINGS.md, qxl).
 */
export class PageWindow extends PageStore {
  constructor(
    readonly backing: PageStore,
    readonly first: number,
    npages: number,
  ) {
    super(npages);
  }
  override writable(i: number): Uint8Array {
    return this.backing.writable(this.first + i);
  }
  override readable(i: number): Uint8Array | undefined {
    return this.backing.readable(this.first + i);
  }
  override residentIndices(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.npages; i++) if (this.backing.readable(this.first + i)) out.push(i);
    return out;
  }
  override get residentPages(): number {
    return this.residentIndices().length;
  }
  override clear(i: number): void {
    this.backing.clear(this.first + i);
  }
  /** the memory stays as it is */
  override release(): void {}
}
