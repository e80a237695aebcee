/**
 * The fake-offset space of one device (drm_vma_manager.c over drm_mm.c), in pages.
 * drm_vma_offset_manager_init: 64-bit space starts at page 0x100000 (byte offset 4 GiB) and
 * spans 0xFFFFF * 256 pages.
 * drm_mm_insert_node(DRM_MM_INSERT_BEST): the smallest hole that fits, placed at its start;
 * among holes of that size, the one whose hole was (re)inserted last (best_hole walks the
 * size-ordered tree where equal sizes are kept in insertion order).
 */
export const OFFSET_START_PAGE = 0x100000;
export const OFFSET_SPACE_PAGES = 0xfffff * 256;

interface Node {
  start: number;
  size: number;
  /** when the hole that follows this node was last inserted (add_hole); 0 = no hole. */
  holeStamp: number;
}

export class OffsetSpace {
  /** allocated nodes sorted by start; `head` stands for drm_mm's head_node (owner of the
   * hole before the first node). */
  private nodes: Node[] = [];
  private head: Node;
  private clock = 0;

  constructor(readonly startPage = OFFSET_START_PAGE, readonly pages = OFFSET_SPACE_PAGES) {
    this.head = { start: startPage + pages, size: 0, holeStamp: ++this.clock };
  }

  /** Holes with their owner: [start, size, owner]. */
  private holes(): { start: number; size: number; owner: Node }[] {
    const out: { start: number; size: number; owner: Node }[] = [];
    let prevEnd = this.startPage;
    let owner = this.head;
    for (const n of this.nodes) {
      if (n.start > prevEnd) out.push({ start: prevEnd, size: n.start - prevEnd, owner });
      prevEnd = n.start + n.size;
      owner = n;
    }
    const end = this.startPage + this.pages;
    if (end > prevEnd) out.push({ start: prevEnd, size: end - prevEnd, owner });
    return out;
  }

  /** drm_mm_insert_node: returns the start page, or null (ENOSPC). */
  insert(size: number): number | null {
    if (size <= 0) return null; // drm_mm_insert_node_in_range: size 0 → ENOSPC
    let best: { start: number; size: number; owner: Node } | undefined;
    for (const h of this.holes()) {
      if (h.size < size) continue;
      if (!best || h.size < best.size || (h.size === best.size && h.owner.holeStamp > best.owner.holeStamp)) best = h;
    }
    if (!best) return null;
    const node: Node = { start: best.start, size, holeStamp: 0 };
    best.owner.holeStamp = 0; // rm_hole(hole); placed at the hole's start, so nothing before it
    if (size < best.size) node.holeStamp = ++this.clock; // add_hole(node)
    this.nodes.push(node);
    this.nodes.sort((a, b) => a.start - b.start);
    return node.start;
  }

  /** drm_mm_remove_node: the previous node's hole grows and is re-inserted. */
  remove(start: number): void {
    const i = this.nodes.findIndex((n) => n.start === start);
    if (i < 0) return;
    const prev = i === 0 ? this.head : this.nodes[i - 1];
    this.nodes.splice(i, 1);
    prev.holeStamp = ++this.clock;
  }

  /** drm_vma_offset_exact_lookup_locked: node starting exactly at `page` and covering `pages`. */
  lookupExact(page: number, pages: number): { start: number; size: number } | null {
    const n = this.nodes.find((x) => x.start === page);
    return n && n.size >= pages ? { start: n.start, size: n.size } : null;
  }

  get allocated(): readonly { start: number; size: number }[] {
    return this.nodes;
  }
}
