/**
 * An ordered set with O(log n) expected insert, delete and lower-bound: a treap whose
 * priorities come from a deterministic xorshift (no Math.random: runs replay exactly).
 */
interface TNode<K> {
  key: K;
  prio: number;
  left: TNode<K> | null;
  right: TNode<K> | null;
}

export class Treap<K> {
  private root: TNode<K> | null = null;
  private rng = 0x2545f491;
  private n = 0;

  constructor(private readonly cmp: (a: K, b: K) => number) {}

  get size(): number {
    return this.n;
  }

  private nextPrio(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  /** Splits t into (< key, >= key). */
  private split(t: TNode<K> | null, key: K): [TNode<K> | null, TNode<K> | null] {
    if (!t) return [null, null];
    if (this.cmp(t.key, key) < 0) {
      const [l, r] = this.split(t.right, key);
      t.right = l;
      return [t, r];
    }
    const [l, r] = this.split(t.left, key);
    t.left = r;
    return [l, t];
  }

  private merge(a: TNode<K> | null, b: TNode<K> | null): TNode<K> | null {
    if (!a) return b;
    if (!b) return a;
    if (a.prio > b.prio) {
      a.right = this.merge(a.right, b);
      return a;
    }
    b.left = this.merge(a, b.left);
    return b;
  }

  insert(key: K): void {
    const [l, r] = this.split(this.root, key);
    this.root = this.merge(this.merge(l, { key, prio: this.nextPrio(), left: null, right: null }), r);
    this.n++;
  }

  /** Removes one element comparing equal to key; returns whether one was found. */
  delete(key: K): boolean {
    let parent: TNode<K> | null = null;
    let t = this.root;
    while (t) {
      const c = this.cmp(key, t.key);
      if (c === 0) break;
      parent = t;
      t = c < 0 ? t.left : t.right;
    }
    if (!t) return false;
    const joined = this.merge(t.left, t.right);
    if (!parent) this.root = joined;
    else if (parent.left === t) parent.left = joined;
    else parent.right = joined;
    this.n--;
    return true;
  }

  /** The smallest element >= key. */
  lowerBound(key: K): K | undefined {
    let t = this.root;
    let best: K | undefined;
    while (t) {
      if (this.cmp(t.key, key) >= 0) {
        best = t.key;
        t = t.left;
      } else t = t.right;
    }
    return best;
  }

  /** In order from the smallest element >= key (additive, for drm_mm's in-range search). */
  *from(key: K): IterableIterator<K> {
    const stack: TNode<K>[] = [];
    let t = this.root;
    while (t) {
      if (this.cmp(t.key, key) >= 0) {
        stack.push(t);
        t = t.left;
      } else t = t.right;
    }
    while (stack.length) {
      const n = stack.pop()!;
      yield n.key;
      for (let c = n.right; c; c = c.left) stack.push(c);
    }
  }

  *[Symbol.iterator](): IterableIterator<K> {
    const stack: TNode<K>[] = [];
    let t = this.root;
    while (stack.length || t) {
      while (t) {
        stack.push(t);
        t = t.left;
      }
      t = stack.pop()!;
      yield t.key;
      t = t.right;
    }
  }
}
