// Success criterion: impl's O(log n) structures behave exactly like their plain
// definitions: the drm_mm best-fit allocator like the model's linear OffsetSpace, the idr
// like "lowest free id", the treap like a sorted array.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DrmMm, type MmNode } from '../core/drm_mm.ts';
import { Idr } from '../core/idr.ts';
import { Treap } from '../core/treap.ts';
import { OffsetSpace } from '../../model/offsets.ts';

type Op = { insert: number } | { remove: number };
const ops = fc.array(fc.oneof(fc.record({ insert: fc.integer({ min: 0, max: 40 }) }), fc.record({ remove: fc.nat() })), { maxLength: 200 });

describe('DrmMm', () => {
  it('places every node where the linear best-fit definition does', () => {
    fc.assert(fc.property(ops, (seq: Op[]) => {
      const fast = new DrmMm(1000, 400);
      const slow = new OffsetSpace(1000, 400);
      const live: MmNode[] = [];
      for (const op of seq) {
        if ('insert' in op) {
          const a = fast.insert(op.insert);
          const b = slow.insert(op.insert);
          expect(a?.start ?? null).toBe(b);
          if (a) live.push(a);
        } else if (live.length) {
          const [n] = live.splice(op.remove % live.length, 1);
          fast.remove(n);
          slow.remove(n.start);
        }
        expect([...fast.nodes()].map((n) => [n.start, n.size])).toEqual(slow.allocated.map((n) => [n.start, n.size]));
      }
    }), { numRuns: 500, seed: 11 });
  });
  it('refuses size 0 and oversize requests', () => {
    const mm = new DrmMm(0, 10);
    expect(mm.insert(0)).toBeNull();
    expect(mm.insert(11)).toBeNull();
    expect(mm.insert(10)?.start).toBe(0);
    expect(mm.insert(1)).toBeNull();
  });
});

describe('Idr', () => {
  it('always hands out the lowest free id >= base', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat({ max: 30 })), { maxLength: 300 }), (seq) => {
      const idr = new Idr<number>(1);
      const used = new Set<number>();
      for (const x of seq) {
        if (x < 0) {
          let want = 1;
          while (used.has(want)) want++;
          expect(idr.alloc(0)).toBe(want);
          used.add(want);
        } else if (used.has(x)) {
          idr.remove(x);
          used.delete(x);
        }
      }
    }), { numRuns: 300, seed: 12 });
  });
  it('keeps replaced-by-null ids taken', () => {
    const idr = new Idr<string>(1);
    idr.alloc('a');
    idr.replace(1, null);
    expect(idr.alloc('b')).toBe(2);
  });
});

describe('Treap', () => {
  it('orders like a sorted array and finds lower bounds', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -50, max: 50 })), fc.integer({ min: -60, max: 60 }), (xs, k) => {
      const t = new Treap<number>((a, b) => a - b);
      xs.forEach((x) => t.insert(x));
      const sorted = [...xs].sort((a, b) => a - b);
      expect([...t]).toEqual(sorted);
      expect(t.lowerBound(k)).toBe(sorted.find((x) => x >= k));
      if (xs.length) {
        expect(t.delete(xs[0])).toBe(true);
        sorted.splice(sorted.indexOf(xs[0]), 1);
        expect([...t]).toEqual(sorted);
      }
    }), { numRuns: 300, seed: 13 });
  });
});
