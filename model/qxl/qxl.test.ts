// The model's qxl memory (model/qxl/vram.ts) against the facts Linux 6.1 showed
// (kernel/FINDINGS.md, "TTM evictions"), and model ≡ impl on random qxl programs that evict.
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../../ir/target.ts';
import { programAt } from '../../fuzz/generate.ts';
import { modelTarget } from '../model.ts';
import { implTarget } from '../../impl/target.ts';
import { newQxlDev, qxlBoCreate, qxlBoFree, qxlPage } from './vram.ts';

const P = 4096;
const layout = (q: ReturnType<typeof newQxlDev>) => q.vram.used.map((r) => `${r.start.toString(16)}+${r.pages}${r.bo ? 'U' : 'P'}`).join(' ');

describe('model qxl VRAM', () => {
  it('starts from the pinned driver bos (primary at 0x301, the two top pages)', () => {
    const q = newQxlDev({ ram_size_mb: 16, vram_size_mb: 1 });
    expect(q.vram.size).toBe(4094);
    expect(layout(q)).toBe('301+768P ffc+1P ffd+1P');
    expect(q.priv.size).toBe(256);
  });
  it('best fit, LRU eviction in creation order, stale bytes, contents kept, one-page bos top-down', () => {
    const q = newQxlDev({ ram_size_mb: 16, vram_size_mb: 1 });
    const mk = (pages: number) => qxlBoCreate(q, pages * P, 'vram', new Map())!;
    const a = mk(1024);
    const b = mk(1024);
    expect([a.start, b.start]).toEqual([0x601, 0xa01]); // the only hole that fits (not 0)
    qxlPage(q, a, 0, true)![0] = 0xaa;
    const c = mk(1024); // evicts A, takes its range
    expect(q.evictions).toBe(1);
    expect([a.place, c.start]).toEqual(['system', 0x601]);
    expect(qxlPage(q, c, 0, false)![0]).toBe(0xaa); // a new bo reads what its range held
    expect(qxlPage(q, a, 0, false)![0]).toBe(0xaa); // and A kept its bytes in SYSTEM
    qxlBoFree(q, c);
    expect(mk(1).start).toBe(0xffb); // TOPDOWN: the top of the highest hole
    expect(qxlBoCreate(q, 4096 * P, 'vram', new Map())).toBeNull(); // more than the manager: ENOMEM after evicting all
    expect(layout(q)).toBe('301+768P ffc+1P ffd+1P');
  });
  it('surfaces go to PRIV first, then VRAM', () => {
    const q = newQxlDev({ ram_size_mb: 16, vram_size_mb: 1 });
    const s1 = qxlBoCreate(q, 200 * P, 'surface', new Map())!;
    const s2 = qxlBoCreate(q, 100 * P, 'surface', new Map())!;
    expect([s1.place, s2.place]).toEqual(['priv', 'vram']);
  });
});

describe('model ≡ impl on qxl programs', () => {
  it('agree on 1500 random qxl programs, and they evict', () => {
    const cfg = { profile: PROFILES['linux-6.1'], devices: ['qxl'] as const };
    const impl_ = implTarget();
    let evictions = 0;
    for (let i = 0; i < 1500; i++) {
      const p = programAt('qxl-unit', i, 24, 1, { devices: ['qxl'] });
      const model = modelTarget.runSync!(p, cfg);
      const impl = impl_.runSync!(p, cfg);
      expect(impl.selfCheck, `program ${i}`).toEqual([]);
      expect(impl.outcomes, `program ${i}`).toEqual(model.outcomes);
    }
    for (const n of modelTarget.notes?.() ?? []) {
      const m = /([\d,]+) qxl evictions/.exec(n);
      if (m) evictions = Number(m[1]!.replace(/,/g, ''));
    }
    expect(evictions).toBeGreaterThan(200);
  }, 60_000);
});
