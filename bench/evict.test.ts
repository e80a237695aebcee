// Smoke test of the eviction benchmark's workload (bench/evict.ts): it runs clean on impl and
// evicts on nearly every CS, so the numbers `npm run bench` prints are about evictions.
import { describe, expect, it } from 'vitest';
import { implTarget } from '../impl/target.ts';
import { benchCfg, evictWorkload } from './evict.ts';

describe('bench/evict.ts workload', () => {
  it('every call succeeds and most CS calls evict, at a small N as at a large one', () => {
    for (const n of [10, 3000]) {
      const t = implTarget(undefined, { selfChecks: false });
      const r = t.runSync!(evictWorkload(n, 800), benchCfg(n));
      expect(r.outcomes.filter((o) => o.status !== 'ok')).toEqual([]);
      const evictions = Number(/TTM: ([\d,]+) evictions/.exec(t.notes!().join(' '))?.[1].replace(/,/g, ''));
      expect(evictions, `N=${n}`).toBeGreaterThan(900); // 700 CS calls: more than one eviction each
    }
    const t = implTarget();
    const p = evictWorkload(300, 800);
    const r = t.runSync!(p, benchCfg(300));
    expect(r.outcomes.filter((o) => o.status !== 'ok')).toEqual([]);
    expect(r.selfCheck).toEqual([]);
    const line = t.notes!().join(' ');
    const evictions = Number(/TTM: ([\d,]+) evictions/.exec(line)?.[1].replace(/,/g, ''));
    expect(evictions).toBeGreaterThan(700); // 700 CS calls, three buffers each
  });
});
