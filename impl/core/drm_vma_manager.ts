/**
 * Fake mmap offsets (drivers/gpu/drm/drm_vma_manager.c): page-granular nodes in a DrmMm,
 * an O(1) exact lookup by start page, and the per-file allow counts that gate mmap.
 */
import { DrmMm, type MmNode } from './drm_mm.ts';
import { Treap } from './treap.ts';
import type { FaultSet } from '../faults.ts';

/** drm_vma_offset_manager_init with DRM_FILE_PAGE_OFFSET_START / _SIZE (64-bit). */
export const DRM_FILE_PAGE_OFFSET_START = (0xffffffff >>> 12) + 1; // byte offset 4 GiB
export const DRM_FILE_PAGE_OFFSET_SIZE = 0xfffff * 256;

export class VmaNode {
  mm: MmNode | null = null;
  constructor(readonly owner: unknown) {}
  /** drm_file → number of handles it holds (drm_vma_node_allow is counted). */
  readonly allow = new Map<object, number>();
  readonly: boolean = false;
  get start(): number {
    return this.mm ? this.mm.start : 0;
  }
  get pages(): number {
    return this.mm ? this.mm.size : 0;
  }
}

export class VmaOffsetManager {
  private readonly mm: DrmMm;
  private readonly byStart = new Map<number, VmaNode>();
  /** the nodes by descending start, for drm_vma_offset_lookup_locked's O(log n) search */
  private readonly ordered = new Treap<{ readonly start: number; readonly node: VmaNode | null }>((a, b) => b.start - a.start);
  private readonly keys = new Map<VmaNode, { readonly start: number; readonly node: VmaNode | null }>();
  private last: VmaNode | null = null;

  constructor(
    private readonly faults: FaultSet,
    start = DRM_FILE_PAGE_OFFSET_START,
    pages = DRM_FILE_PAGE_OFFSET_SIZE,
  ) {
    this.mm = new DrmMm(start, pages);
  }

  /** drm_vma_offset_add: idempotent; 0 or -ENOSPC (as a positive errno flag: false). */
  add(node: VmaNode, pages: number): boolean {
    if (node.mm) return true;
    if (this.faults.has('shared-offset') && this.last?.mm) {
      // fault: hand out the previous node's range again without reserving it
      node.mm = { ...this.last.mm } as MmNode;
      node.mm.next = node.mm.prev = node.mm;
      return true;
    }
    const n = this.mm.insert(pages);
    if (!n) return false;
    node.mm = n;
    this.byStart.set(n.start, node);
    const key = { start: n.start, node };
    this.keys.set(node, key);
    this.ordered.insert(key);
    this.last = node;
    return true;
  }

  /** drm_vma_offset_remove. */
  remove(node: VmaNode): void {
    if (!node.mm) return;
    if (this.byStart.get(node.mm.start) === node) {
      this.byStart.delete(node.mm.start);
      const key = this.keys.get(node);
      if (key) this.ordered.delete(key);
      this.keys.delete(node);
      this.mm.remove(node.mm);
    }
    if (this.last === node) this.last = null;
    node.mm = null;
  }

  /** drm_vma_offset_exact_lookup_locked: starts at pgoff and spans at least `pages`. */
  exactLookup(pgoff: number, pages: number): VmaNode | null {
    const n = this.byStart.get(pgoff);
    return n && n.pages >= pages ? n : null;
  }

  /** drm_vma_offset_lookup_locked: the node with the greatest start ≤ pgoff, if it covers
   * [pgoff, pgoff + pages) (the legacy ttm_bo_mmap path's non-exact lookup). */
  lookup(pgoff: number, pages: number): VmaNode | null {
    const best = this.ordered.lowerBound({ start: pgoff, node: null })?.node ?? null;
    if (!best || best.start + best.pages < pgoff + pages) return null;
    return best;
  }

  /** drm_vma_node_allow: counted, once per handle created. */
  allow(node: VmaNode, file: object): void {
    node.allow.set(file, (node.allow.get(file) ?? 0) + 1);
  }
  /** drm_vma_node_revoke: one count per handle deleted; the entry goes at zero. */
  revoke(node: VmaNode, file: object): void {
    const c = node.allow.get(file) ?? 0;
    if (c <= 1) node.allow.delete(file);
    else if (!this.faults.has('revoke-keeps-count')) node.allow.set(file, c - 1);
  }
  isAllowed(node: VmaNode, file: object): boolean {
    return (node.allow.get(file) ?? 0) > 0;
  }

  /** Every node the manager believes is live, for the self-checks. */
  *liveNodes(): IterableIterator<VmaNode> {
    yield* this.byStart.values();
  }
}
