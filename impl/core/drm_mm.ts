/**
 * A drm_mm-like range allocator (drivers/gpu/drm/drm_mm.c), DRM_MM_INSERT_BEST only.
 * Nodes form an address-ordered circular list through a head sentinel; every node owns the
 * hole that follows it (the head owns the hole before the first node). Holes sit in a treap
 * ordered by (size asc, insertion desc), so best_hole is one O(log n) lower-bound: the
 * smallest hole that fits, and among equal sizes the most recently inserted one.
 */
import { Treap } from './treap.ts';

export class MmNode {
  prev: MmNode = this;
  next: MmNode = this;
  hole: HoleKey | null = null;
  constructor(
    public start: number,
    public size: number,
  ) {}
}

interface HoleKey {
  readonly size: number;
  readonly seq: number;
  readonly owner: MmNode;
}

export class DrmMm {
  private readonly head: MmNode;
  private readonly holes = new Treap<HoleKey>((a, b) => a.size - b.size || b.seq - a.seq);
  private seq = 0;
  private count = 0;

  constructor(
    readonly start: number,
    readonly size: number,
  ) {
    this.head = new MmNode(start + size, 0);
    this.addHole(this.head);
  }

  private holeStart(n: MmNode): number {
    return n === this.head ? this.start : n.start + n.size;
  }
  private holeEnd(n: MmNode): number {
    return n.next === this.head ? this.start + this.size : n.next.start;
  }

  /** add_hole: (re)inserts the hole after n, stamped as the newest of its size. */
  private addHole(n: MmNode): void {
    const size = this.holeEnd(n) - this.holeStart(n);
    if (size <= 0) return;
    n.hole = { size, seq: ++this.seq, owner: n };
    this.holes.insert(n.hole);
  }
  private rmHole(n: MmNode): void {
    if (n.hole) this.holes.delete(n.hole);
    n.hole = null;
  }

  /** drm_mm_insert_node_in_range(BEST): the new node, or null for ENOSPC. */
  insert(size: number): MmNode | null {
    if (size <= 0 || size > this.size) return null;
    const best = this.holes.lowerBound({ size, seq: Number.POSITIVE_INFINITY, owner: this.head });
    if (!best) return null;
    const hole = best.owner;
    const node = new MmNode(this.holeStart(hole), size);
    this.rmHole(hole);
    node.prev = hole;
    node.next = hole.next;
    hole.next.prev = node;
    hole.next = node;
    this.addHole(node); // the rest of the hole, if any
    this.count++;
    return node;
  }

  /**
   * drm_mm_insert_node_in_range restricted to [rangeStart, rangeEnd): the smallest hole whose
   * part inside the window fits (BEST), the node at the window part's start — or, for `high`
   * (DRM_MM_INSERT_HIGH), the highest-addressed hole whose window part fits, the node at its
   * top (drm_mm.c: first_hole → find_hole_addr, next_hole → the previous hole by address;
   * qxl's one-page bos showed it on the real kernel, kernel/probes/qxl-evict.expected).
   * BEST is O(log n) when the first fitting hole lies in the window (always, for the whole
   * range), otherwise proportional to the holes skipped; HIGH walks the holes from the top.
   * Null for ENOSPC. (Additive, for TTM.)
   */
  insertInRange(size: number, rangeStart: number, rangeEnd: number, high = false): MmNode | null {
    if (size <= 0 || size > this.size) return null;
    const lo = Math.max(rangeStart, this.start);
    const hi = Math.min(rangeEnd, this.start + this.size);
    if (hi - lo < size) return null;
    if (high) {
      for (let hole = this.head.prev; ; hole = hole.prev) {
        if (hole.hole) {
          const cs = Math.max(this.holeStart(hole), lo);
          const ce = Math.min(this.holeEnd(hole), hi);
          if (ce - cs >= size) return this.insertAfter(hole, ce - size, size);
        }
        if (hole === this.head) return null;
      }
    }
    for (const key of this.holes.from({ size, seq: Number.POSITIVE_INFINITY, owner: this.head })) {
      const hole = key.owner;
      const cs = Math.max(this.holeStart(hole), lo);
      const ce = Math.min(this.holeEnd(hole), hi);
      if (ce - cs < size) continue;
      return this.insertAfter(hole, cs, size);
    }
    return null;
  }

  /** The node [start, start + size) inside the hole after `hole`. */
  private insertAfter(hole: MmNode, start: number, size: number): MmNode {
    const node = new MmNode(start, size);
    this.rmHole(hole);
    node.prev = hole;
    node.next = hole.next;
    hole.next.prev = node;
    hole.next = node;
    this.addHole(hole); // what is left before the node
    this.addHole(node); // and after it
    this.count++;
    return node;
  }

  /** drm_mm_remove_node: the previous node's hole absorbs this node and its hole. */
  remove(node: MmNode): void {
    if (node.next.prev !== node) return; // not in this list
    this.rmHole(node);
    const prev = node.prev;
    prev.next = node.next;
    node.next.prev = prev;
    node.next = node.prev = node;
    this.rmHole(prev);
    this.addHole(prev);
    this.count--;
  }

  get nodeCount(): number {
    return this.count;
  }

  *nodes(): IterableIterator<MmNode> {
    for (let n = this.head.next; n !== this.head; n = n.next) yield n;
  }
}
