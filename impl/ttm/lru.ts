/**
 * TTM's LRU lists (include/linux/list.h as ttm_resource.c uses it): an intrusive, circular,
 * doubly linked list through a sentinel, so add, move-to-tail, delete and the bulk move of a
 * contiguous range are all O(1) — no array scans. Each link remembers its list so "on which
 * list is it" is O(1) too (the kernel infers that from list_empty(&res->lru)).
 */

export class LruLink {
  lruPrev: LruLink = this;
  lruNext: LruLink = this;
  lruList: LruList<LruLink> | null = null;
}

export class LruList<T extends LruLink> {
  readonly head = new LruLink();
  private n = 0;

  get length(): number {
    return this.n;
  }
  get empty(): boolean {
    return this.n === 0;
  }

  private linkBefore(e: T, at: LruLink): void {
    e.lruPrev = at.lruPrev;
    e.lruNext = at;
    at.lruPrev.lruNext = e;
    at.lruPrev = e;
    e.lruList = this as LruList<LruLink>;
    this.n++;
  }

  /** list_del_init on whichever list holds e (a no-op when it is on none). */
  static del(e: LruLink): void {
    const l = e.lruList;
    if (!l) return;
    e.lruPrev.lruNext = e.lruNext;
    e.lruNext.lruPrev = e.lruPrev;
    e.lruPrev = e.lruNext = e;
    e.lruList = null;
    l.n--;
  }

  /** list_move_tail(&e->lru, this). */
  moveTail(e: T): void {
    LruList.del(e);
    this.linkBefore(e, this.head);
  }

  /** list_move(&e->lru, &pos->lru): e right after pos, on pos's list. */
  static moveAfter<U extends LruLink>(e: U, pos: U): void {
    const l = pos.lruList;
    if (!l || e === pos) return;
    LruList.del(e);
    l.linkBefore(e, pos.lruNext);
  }

  /** list_bulk_move_tail: the contiguous run first..last (on this list) to the tail, O(1). */
  bulkMoveTail(first: T, last: T): void {
    if (first.lruList !== this || last.lruList !== this) return;
    if (last.lruNext === this.head) return; // already the tail
    // unlink the run
    first.lruPrev.lruNext = last.lruNext;
    last.lruNext.lruPrev = first.lruPrev;
    // splice before the head
    const tail = this.head.lruPrev;
    tail.lruNext = first;
    first.lruPrev = tail;
    last.lruNext = this.head;
    this.head.lruPrev = last;
  }

  first(): T | null {
    return this.head.lruNext === this.head ? null : (this.head.lruNext as T);
  }
  last(): T | null {
    return this.head.lruPrev === this.head ? null : (this.head.lruPrev as T);
  }
  next(e: T): T | null {
    return e.lruNext === this.head ? null : (e.lruNext as T);
  }
  prev(e: T): T | null {
    return e.lruPrev === this.head ? null : (e.lruPrev as T);
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let e = this.head.lruNext; e !== this.head; ) {
      const nx = e.lruNext; // safe against removal of e
      yield e as T;
      e = nx;
    }
  }
}

/** struct ttm_lru_bulk_move_pos: the first and last entry of a contiguous run. */
export interface TtmLruBulkMovePos<T> {
  first: T | null;
  last: T | null;
}

/**
 * struct ttm_lru_bulk_move (6.1: pos[TTM_NUM_MEM_TYPES][TTM_MAX_BO_PRIORITY]): the entries of
 * a group (amdgpu: a VM's always-valid BOs) are kept contiguous on each of their LRU lists so
 * the whole group moves to the tail in O(mem types × priorities).
 */
export class TtmLruBulkMove<T extends LruLink> {
  readonly pos: TtmLruBulkMovePos<T>[][];
  constructor(memTypes: number, priorities: number) {
    this.pos = Array.from({ length: memTypes }, () => Array.from({ length: priorities }, () => ({ first: null, last: null })));
  }
}

/** ttm_lru_bulk_move_pos_tail: e becomes the last of the run (list_move after pos->last). */
export function ttmLruBulkMovePosTail<T extends LruLink>(pos: TtmLruBulkMovePos<T>, e: T): void {
  if (pos.last === e || !pos.last) return;
  if (pos.first === e) pos.first = nextOnList(e);
  LruList.moveAfter(e, pos.last);
  pos.last = e;
}

/** ttm_lru_bulk_move_add: e (already on its manager's list) joins the run's tail. */
export function ttmLruBulkMoveAdd<T extends LruLink>(pos: TtmLruBulkMovePos<T>, e: T): void {
  if (!pos.first) {
    pos.first = e;
    pos.last = e;
  } else ttmLruBulkMovePosTail(pos, e);
}

/** ttm_lru_bulk_move_del: e leaves the run (the run stays contiguous). */
export function ttmLruBulkMoveDel<T extends LruLink>(pos: TtmLruBulkMovePos<T>, e: T): void {
  if (!pos.first || !pos.last || (pos.first === e && pos.last === e)) {
    pos.first = null;
    pos.last = null;
  } else if (pos.first === e) pos.first = nextOnList(e);
  else if (pos.last === e) pos.last = prevOnList(e);
  else LruList.moveAfter(e, pos.last); // out of the middle: just past the run
}

function nextOnList<T extends LruLink>(e: T): T | null {
  const l = e.lruList;
  return l && e.lruNext !== l.head ? (e.lruNext as T) : null;
}
function prevOnList<T extends LruLink>(e: T): T | null {
  const l = e.lruList;
  return l && e.lruPrev !== l.head ? (e.lruPrev as T) : null;
}
