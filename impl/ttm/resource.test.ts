// Success criterion: drm_mm's in-range insertion (the range manager's allocator) stays inside
// its window, never overlaps, fails only when no hole's part inside the window fits, and over
// the whole range picks exactly what the plain best-fit insert picks.
import { describe, expect, it } from 'vitest';
import { seededRand } from '../../fuzz/rand.ts';
import { DrmMm, type MmNode } from '../core/drm_mm.ts';
import { Treap } from '../core/treap.ts';

describe('drm_mm insertInRange', () => {
  it('random inserts and removals against a brute-force page map', () => {
    const r = seededRand('mm-range');
    const SIZE = 200;
    const mm = new DrmMm(0, SIZE);
    const used = new Uint8Array(SIZE);
    const nodes: MmNode[] = [];
    for (let step = 0; step < 5000; step++) {
      if (nodes.length && r.int(3) === 0) {
        const i = r.int(nodes.length);
        const n = nodes[i];
        mm.remove(n);
        used.fill(0, n.start, n.start + n.size);
        nodes[i] = nodes[nodes.length - 1];
        nodes.pop();
        continue;
      }
      const size = 1 + r.int(12);
      const lo = r.int(2) ? 0 : r.int(SIZE);
      const hi = r.int(2) ? SIZE : lo + r.int(SIZE - lo + 1);
      const high = r.int(2) === 1;
      const n = mm.insertInRange(size, lo, hi, high);
      // brute force: is there a free run of `size` pages inside [lo, hi)?
      let fits = false;
      for (let s = lo, run = 0; s < hi && !fits; s++) {
        run = used[s] ? 0 : run + 1;
        if (run >= size) fits = true;
      }
      expect(n !== null, `step ${step}: size ${size} in [${lo}, ${hi})`).toBe(fits);
      if (!n) continue;
      expect(n.start).toBeGreaterThanOrEqual(lo);
      expect(n.start + n.size).toBeLessThanOrEqual(hi);
      for (let p = n.start; p < n.start + n.size; p++) expect(used[p]).toBe(0);
      used.fill(1, n.start, n.start + n.size);
      nodes.push(n);
    }
  });

  it('over the whole range it is the plain best-fit insert', () => {
    const a = new DrmMm(0, 100);
    const b = new DrmMm(0, 100);
    const r = seededRand('mm-same');
    const na: MmNode[] = [];
    const nb: MmNode[] = [];
    for (let step = 0; step < 2000; step++) {
      if (na.length && r.int(3) === 0) {
        const i = r.int(na.length);
        a.remove(na[i]);
        b.remove(nb[i]);
        na.splice(i, 1);
        nb.splice(i, 1);
        continue;
      }
      const size = 1 + r.int(9);
      const x = a.insert(size);
      const y = b.insertInRange(size, 0, 100);
      expect(y?.start).toBe(x?.start);
      if (x && y) {
        na.push(x);
        nb.push(y);
      }
    }
  });

  it('Treap.from iterates in order from the lower bound', () => {
    const t = new Treap<number>((x, y) => x - y);
    for (const k of [5, 1, 9, 3, 7, 3]) t.insert(k);
    expect([...t.from(3)]).toEqual([3, 3, 5, 7, 9]);
    expect([...t.from(6)]).toEqual([7, 9]);
    expect([...t.from(10)]).toEqual([]);
  });
});
