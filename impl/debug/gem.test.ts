// Success criterion: each GEM self-check (impl/debug/gem.ts) stays quiet on a sound state and
// names its invariant once impl's state is corrupted the way the bug it stands for would.
import { describe, expect, it } from 'vitest';
import type { DrmDriver } from '../hooks.ts';
import { expectClean, expectViolation, run } from './fixture.ts';

const BASE = `
  r0 = open(0, primary)
  r1 = create_dumb(r0.fd, 64, 64, 32, 0)
  r2 = gem_flink(r0.fd, r1.handle)
`;

describe('GEM self-checks', () => {
  it('handle-published: an idr entry left NULL after the call', () => {
    const f = run(BASE);
    expectClean(f);
    f.file(3).objectIdr.replace(1, null);
    expectViolation(f, 'handle-published', /handle 1 is reserved but empty/);
  });

  it('handle-range: a handle above INT_MAX', () => {
    const f = run(BASE);
    const idr = f.file(3).objectIdr as unknown as { map: Map<number, unknown> };
    idr.map.set(0x80000000, f.obj(3, 1));
    expectViolation(f, 'handle-range', /handle 2147483648 is outside/);
  });

  it('handle-count: handle_count disagrees with the handles', () => {
    const f = run(BASE);
    f.obj(3, 1).handleCount++;
    expectViolation(f, 'handle-count', /handle_count 2, handles 1/);
  });

  it('refcount-balance: a reference nobody holds', () => {
    const f = run(BASE);
    f.obj(3, 1).refcount.count++;
    expectViolation(f, 'refcount-balance', /refcount 2, holders 1/);
  });

  it('name-needs-handle and name-table: a name that outlives its handles', () => {
    const f = run(BASE);
    const o = f.obj(3, 1);
    o.handleCount = 0;
    f.file(3).objectIdr.remove(1);
    expectViolation(f, 'name-needs-handle', /keeps name 1 with no handle/);
    o.name = 0;
    expectViolation(f, 'name-table', /name 1 maps to a stale object/);
  });

  it('offset-stable: an offset that moves', () => {
    const f = run(BASE);
    expectClean(f); // records the first offset
    f.obj(3, 1).vmaNode.mm!.start += 16;
    expectViolation(f, 'offset-stable', /moved from page 1048576/);
  });

  it('offset-unique: overlapping nodes, and a node the lookup does not find', () => {
    const f = run(`${BASE}\n  r3 = create_dumb(r0.fd, 64, 64, 32, 0)`);
    expectClean(f);
    const a = f.obj(3, 1).vmaNode;
    const b = f.obj(3, 2).vmaNode;
    const mm = b.mm!;
    f.s.kernel.devices[0].vmaOffsetManager.remove(b);
    b.mm = { ...mm, start: a.start } as typeof mm;
    f.s.kernel.debug.firstOffset.delete(f.obj(3, 2));
    expectViolation(f, 'offset-unique', /overlap at page 1048576/);
    expectViolation(f, 'offset-unique', /does not look up to it/);
  });

  it('the TTM helper counts its bo references through its hook (bochs)', () => {
    const f = run(`
      r0 = open(0, primary)
      r1 = create_dumb(r0.fd, 64, 64, 32, 0)
      r2 = map_dumb(r0.fd, r1.handle)
      r3 = mmap(r0.fd, r2.offset, r1.size, PROT_READ|PROT_WRITE, MAP_SHARED)
    `, { devices: ['bochs'] });
    expectClean(f);
    (f.obj(3, 1) as unknown as { bo: { kref: { count: number } } }).bo.kref.count++;
    expectViolation(f, 'refcount-balance', /ttm bo of object 2: refcount 3, holders 2/);
  });
});

describe('core WARNs', () => {
  it('dumb-size: a driver that makes a dumb buffer smaller than pitch·height', () => {
    const f = run('r0 = open(0, primary)');
    const dev = f.s.kernel.devices[0] as { driver: DrmDriver };
    const create = dev.driver.dumbCreate!;
    dev.driver = {
      ...dev.driver,
      dumbCreate(file, d, args) {
        const r = create(file, d, args);
        args.size = 4096n; // 64x64x32 needs 16384
        return r;
      },
    };
    expect(f.s.exec('create_dumb', [3n, 64n, 64n, 32n, 0n])).toMatchObject({ status: 'ok' });
    expectViolation(f, 'dumb-size', /dumb 64x64x32: pitch 256, size 4096/);
    // the real driver satisfies it
    dev.driver = { ...dev.driver, dumbCreate: create };
    f.s.exec('create_dumb', [3n, 64n, 64n, 32n, 0n]);
    expectClean(f);
  });
});
