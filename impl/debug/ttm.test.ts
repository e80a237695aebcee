// Success criterion: each TTM self-check (impl/debug/ttm.ts) stays quiet on a sound run and
// names its invariant when the bug it stands for is planted — a ttm-* fault switch (the
// TtmFault it maps to) or a direct corruption — over the test driver (1 MiB VRAM, SYSTEM
// evictions, memcpy moves); and impl's per-call checks reach a device's TTM state.
import { describe, expect, it } from 'vitest';
import { Errno } from '../../ir/uapi.ts';
import { LruList } from '../ttm/lru.ts';
import { ctxOf, ttmBoAddFence, ttmBoInitValidate, ttmBoPut, ttmBoValidate, ttmFenceCreate, type TtmBufferObject } from '../ttm/bo.ts';
import { ttmBoMmap, ttmVmaRead, ttmVmaWrite } from '../ttm/bo_vm.ts';
import type { TtmFault } from '../ttm/device.ts';
import { place, placementOf, TTM_PL_SYSTEM, TTM_PL_VRAM, type TtmPlacement } from '../ttm/resource.ts';
import { pin, SYSTEM, testDriver, VRAM, type TestDriver } from '../ttm/test-driver.ts';
import { gemTtmBo } from '../drivers/gem_ttm.ts';
import { FAULTS, type FaultName } from '../faults.ts';
import { run, expectClean, expectViolation } from './fixture.ts';
import { naiveEvictionVictim, ttmObserve, ttmViolations } from './ttm.ts';

const MIB = 1 << 20;
const HALF = MIB / 2;

function setup(...faults: TtmFault[]): TestDriver {
  const d = testDriver();
  for (const f of faults) d.bdev.faults.add(f);
  ttmObserve(d.bdev);
  return d;
}
function mk(d: TestDriver, size: number, pl: TtmPlacement = VRAM): TtmBufferObject {
  const bo = ttmBoInitValidate(d.bdev, size, 'device', pl, ctxOf());
  if (typeof bo === 'number') throw new Error(`init failed: ${bo}`);
  return bo;
}
const names = (d: TestDriver): string[] => [...new Set(ttmViolations(d.bdev).map((v) => v.invariant))];
const VRAM_THEN_SYSTEM = { placement: [place(TTM_PL_VRAM)], busyPlacement: [place(TTM_PL_VRAM), place(TTM_PL_SYSTEM)] };

/** Two half-VRAM bos a (LRU head) and b, a third that needs one of them evicted. */
function pressure(d: TestDriver): { a: TtmBufferObject; b: TtmBufferObject; c: TtmBufferObject } {
  const a = mk(d, HALF);
  const b = mk(d, HALF);
  const c = mk(d, HALF);
  return { a, b, c };
}

describe('TTM event checks (the debug observer)', () => {
  it('ttm-contents: a move that loses the contents (ttm-lose-contents)', () => {
    for (const fault of [[], ['lose-contents']] as TtmFault[][]) {
      const d = setup(...fault);
      const a = mk(d, HALF);
      const m = ttmBoMmap(a);
      expect(ttmVmaWrite(m, 3, 0x5a)).toBe(0);
      expect(ttmBoValidate(a, SYSTEM, ctxOf())).toBe(0);
      if (fault.length) expect(names(d)).toContain('ttm-contents');
      else {
        expect(ttmVmaRead(m, 3)).toBe(0x5a);
        expect(names(d)).toEqual([]);
      }
    }
  });

  it('ttm-contents is not claimed for a purge (pipeline gutting drops the contents by design)', () => {
    const d = setup();
    d.evictTo.set(TTM_PL_VRAM, { placement: [], busyPlacement: [] });
    const a = mk(d, HALF);
    ttmVmaWrite(ttmBoMmap(a), 0, 7);
    mk(d, HALF);
    mk(d, HALF); // evicts a: purged
    expect(a.resource!.memType).toBe(TTM_PL_SYSTEM);
    expect(d.bdev.stats.purges).toBe(1);
    expect(names(d)).toEqual([]);
  });

  it('ttm-pinned-moved: eviction takes a pinned bo (ttm-evict-pinned)', () => {
    for (const faulty of [false, true]) {
      const d = setup(...((faulty ? ['evict-pinned'] : []) as TtmFault[]));
      const a = mk(d, HALF);
      pin(a);
      mk(d, HALF);
      mk(d, HALF);
      if (faulty) expect(names(d)).toContain('ttm-pinned-moved');
      else {
        expect(a.resource!.memType).toBe(TTM_PL_VRAM);
        expect(names(d)).toEqual([]);
      }
    }
  });

  it('ttm-evict-victim: the victim is not the LRU head (ttm-wrong-victim)', () => {
    const good = setup();
    const g = pressure(good);
    expect(g.a.resource!.memType).toBe(TTM_PL_SYSTEM); // the head went
    expect(names(good)).toEqual([]);
    const bad = setup('wrong-victim');
    const b = pressure(bad);
    expect(b.b.resource!.memType).toBe(TTM_PL_SYSTEM); // the tail went
    expect(ttmViolations(bad.bdev).map((v) => v.message).join('\n')).toMatch(/took bo 2, the LRU rule picks bo 1/);
  });

  it('the naive victim follows the rule: priority first, skips pinned and refused bos', () => {
    const d = setup();
    const a = mk(d, 4096);
    const b = mk(d, 4096);
    const man = d.bdev.managers[TTM_PL_VRAM]!;
    const p = place(TTM_PL_VRAM);
    expect(naiveEvictionVictim(d.bdev, man, p, ctxOf())).toBe(a);
    d.protected.add(a);
    expect(naiveEvictionVictim(d.bdev, man, p, ctxOf())).toBe(b);
    pin(b);
    expect(naiveEvictionVictim(d.bdev, man, p, ctxOf())).toBe(null);
  });

  it('ttm-busy-move: a busy bo moves before its fence signals (ttm-ignore-busy)', () => {
    for (const faulty of [false, true]) {
      const d = setup(...((faulty ? ['ignore-busy'] : []) as TtmFault[]));
      const a = mk(d, HALF);
      const f = ttmFenceCreate(d.bdev);
      ttmBoAddFence(a, f);
      expect(ttmBoValidate(a, SYSTEM, ctxOf())).toBe(0);
      expect(f.signaled).toBe(!faulty); // a sound move waited for it
      if (faulty) expect(names(d)).toContain('ttm-busy-move');
      else expect(names(d)).toEqual([]);
    }
  });

  it('ttm-stale-mapping: a move leaves a translation to the old placement (ttm-no-zap)', () => {
    for (const faulty of [false, true]) {
      const d = setup(...((faulty ? ['no-zap-on-move'] : []) as TtmFault[]));
      const a = mk(d, HALF);
      const m = ttmBoMmap(a);
      ttmVmaWrite(m, 0, 9);
      expect(ttmBoValidate(a, SYSTEM, ctxOf())).toBe(0);
      if (faulty) expect(ttmViolations(d.bdev).map((v) => v.message).join('\n')).toMatch(/keeps \d+ translation\(s\) after a move/);
      else {
        expect(names(d)).toEqual([]);
        expect(ttmVmaRead(m, 0)).toBe(9);
        expect(d.bdev.stats.refaults).toBe(1);
      }
    }
  });

  it('ttm-no-space: ENOMEM while eviction still had a candidate', () => {
    // sound: VRAM full of pinned bos → ENOMEM, and nothing was evictable
    const d = setup();
    pin(mk(d, HALF));
    pin(mk(d, HALF));
    expect(ttmBoInitValidate(d.bdev, HALF, 'device', VRAM, ctxOf())).toBe(-Errno.ENOMEM);
    expect(names(d)).toEqual([]);
    // broken: an out-of-space answer with no eviction attempt behind it
    const e = setup();
    const a = mk(e, HALF);
    const obs = ttmObserve(e.bdev);
    obs.memSpaceBegin();
    obs.noSpace(a, placementOf(place(TTM_PL_VRAM)), ctxOf());
    obs.memSpaceEnd();
    expect(names(e)).toContain('ttm-no-space');
  });

  it('ENOMEM after the busy pass tried every place stays quiet', () => {
    const d = setup();
    pin(mk(d, MIB));
    const r = ttmBoInitValidate(d.bdev, HALF, 'device', VRAM_THEN_SYSTEM, ctxOf());
    expect(typeof r).not.toBe('number'); // SYSTEM took it
    expect(names(d)).toEqual([]);
  });
});

describe('TTM state checks', () => {
  it('ttm-usage: usage not returned (ttm-miscount-usage), and usage over capacity', () => {
    const d = setup('leak-usage');
    ttmBoPut(mk(d, HALF));
    expect(names(d)).toContain('ttm-usage');
    const e = setup();
    e.bdev.managers[TTM_PL_VRAM]!.usage = 2 * MIB;
    expect(ttmViolations(e.bdev).map((v) => v.message).join('\n')).toMatch(/over capacity/);
  });

  it('ttm-lru: an unpinned resident bo on no LRU, a pinned one on an LRU', () => {
    const d = setup();
    const a = mk(d, HALF);
    LruList.del(a.resource!);
    expect(ttmViolations(d.bdev).map((v) => v.message).join('\n')).toMatch(/unpinned bo 1 is not on the LRU/);
    const e = setup();
    const b = mk(e, HALF);
    pin(b);
    e.bdev.managers[TTM_PL_VRAM]!.lru[0].moveTail(b.resource!);
    expect(ttmViolations(e.bdev).map((v) => v.message).join('\n')).toMatch(/pinned bo 1 is on an LRU list/);
  });

  it('the counters: moves, evictions, faults', () => {
    const d = setup();
    const { a } = pressure(d);
    ttmVmaWrite(ttmBoMmap(a), 0, 1);
    // three init validates SYSTEM → VRAM and the eviction of a
    expect(d.bdev.stats).toMatchObject({ moves: 4, evictions: 1, purges: 0, faults: 1, refaults: 0 });
  });
});

describe('impl runs the TTM checks of a device on TTM (bochs)', () => {
  const PROG = `
    r0 = open(0, primary)
    r1 = create_dumb(r0.fd, 64, 64, 32, 0)
    r2 = map_dumb(r0.fd, r1.handle)
    r3 = mmap(r0.fd, r2.offset, r1.size, PROT_READ|PROT_WRITE, MAP_SHARED)
    write(r3.map, 0, 8192, 7)
  `;
  it('a corrupted usage counter of bochs\'s TTM device is a per-call violation', () => {
    const f = run(PROG, { devices: ['bochs'] });
    expectClean(f);
    f.s.kernel.devices[0].ttm!.managers[TTM_PL_SYSTEM]!.usage += 4096;
    expectViolation(f, 'ttm-usage', /manager 0: usage/);
  });
  it('the observer is attached and a planted move bug is reported after the call', () => {
    const f = run(PROG, { devices: ['bochs'] });
    const bdev = f.s.kernel.devices[0].ttm!;
    expect(bdev.observer).not.toBeNull();
    bdev.faults.add('lose-contents');
    expect(ttmBoValidate(gemTtmBo(f.obj(3, 1)), VRAM, ctxOf())).toBe(0);
    expectViolation(f, 'ttm-contents', /contents changed moving from 0 to 2/);
  });
  it('ImplSession.ttmStats sums the counters', () => {
    const f = run(PROG, { devices: ['bochs', 'vgem', 'bochs'] });
    // the write covers two pages; the first fault prefaults the second (TTM_BO_VM_NUM_PREFAULT)
    expect(f.s.ttmStats()).toEqual({ moves: 0, evictions: 0, purges: 0, faults: 1, refaults: 0 });
  });
  it('the ttm-* switches reach every TTM device, each as its own TtmFault', () => {
    const ttmFaults = (Object.keys(FAULTS) as FaultName[]).filter((n) => n.startsWith('ttm-'));
    expect(ttmFaults).toHaveLength(6);
    const f = run('r0 = open(0, primary)', { devices: ['bochs', 'bochs'], faults: ttmFaults });
    for (const dev of f.s.kernel.devices)
      expect([...dev.ttm!.faults].sort()).toEqual(['evict-pinned', 'ignore-busy', 'leak-usage', 'lose-contents', 'no-zap-on-move', 'wrong-victim']);
    const g = run('r0 = open(0, primary)', { devices: ['bochs'], faults: ['ttm-wrong-victim', 'ttm-miscount-usage'] });
    expect([...g.s.kernel.devices[0].ttm!.faults].sort()).toEqual(['leak-usage', 'wrong-victim']);
  });
});
