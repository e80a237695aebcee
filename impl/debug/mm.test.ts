// Success criterion: each mapping self-check (impl/debug/mm.ts) stays quiet on a sound state
// and names its invariant on a corrupted one or under its fault switch.
import { describe, it } from 'vitest';
import { expectClean, expectViolation, run } from './fixture.ts';

// fd 3 holds object 1 twice (handles 1 and 2, through its flink name), mapped once (map 1)
const BASE = `
  r0 = open(0, primary)
  r1 = create_dumb(r0.fd, 64, 64, 32, 0)
  r2 = gem_flink(r0.fd, r1.handle)
  r3 = gem_open(r0.fd, r2.name)
  r4 = map_dumb(r0.fd, r1.handle)
  r5 = mmap(r0.fd, r4.offset, r1.size, PROT_READ|PROT_WRITE, MAP_SHARED)
`;

describe('mapping self-checks', () => {
  it('mmap-allow: a revoke that keeps the count (fault revoke-keeps-count)', () => {
    const src = `${BASE}\n  gem_close(r0.fd, r3.handle)`;
    expectClean(run(src));
    expectViolation(run(src, { faults: ['revoke-keeps-count'] }), 'mmap-allow', /file 1 holds 1 handles, allow count 2/);
  });

  it('mmap-allow: no revoke at all leaves an allow entry without a handle (fault no-revoke)', () => {
    const src = `${BASE}\n  gem_close(r0.fd, r3.handle)\n  gem_close(r0.fd, r1.handle)`;
    expectClean(run(src));
    expectViolation(run(src, { faults: ['no-revoke'] }), 'mmap-allow', /allow counts sum to 2, handles 0/);
  });

  it('mmap-allow: an allow entry for a file that holds no handle', () => {
    const f = run(`${BASE}\n  r6 = open(0, primary)`);
    expectClean(f);
    f.obj(3, 1).vmaNode.allow.set(f.file(4), 1);
    expectViolation(f, 'mmap-allow', /allow counts sum to 3, handles 2/);
  });

  it('mapping-bounds: a vma larger than its object (shmem) or past its end (TTM)', () => {
    let f = run(BASE);
    expectClean(f);
    (f.vma(1) as { pages: number }).pages += 1;
    expectViolation(f, 'mapping-bounds', /mapping 1 spans object pages 0..5 of object 1 \(4 pages\)/);
    f = run(`
      r0 = open(0, primary)
      r1 = create_dumb(r0.fd, 64, 64, 32, 0)
      r2 = map_dumb(r0.fd, r1.handle)
      r3 = mmap(r0.fd, r2.offset, r1.size, PROT_READ, MAP_SHARED)
    `, { devices: ['bochs'] });
    expectClean(f);
    f.vma(1).pgoff += 1n;
    expectViolation(f, 'mapping-bounds', /spans object pages 1..5 of object 2/);
  });

  it('no-use-after-free: a mapping of a freed object', () => {
    const f = run(BASE);
    f.obj(3, 1).freed = true;
    expectViolation(f, 'no-use-after-free', /mapping 1 refers to freed object 1/);
  });

  it('read-only: a writable mapping, and written pages, of a read-only object (linux-5.10)', () => {
    const f = run(`
      r0 = open(0, primary)
      r1 = ro_create(r0.fd, 16384)
      r2 = map_dumb(r0.fd, r1.handle)
      r3 = mmap(r0.fd, r2.offset, 16384, PROT_READ, MAP_SHARED)
      r4 = read(r3.map, 0, 4096)
    `, { profile: 'linux-5.10' });
    expectClean(f);
    f.vma(1).flags |= 2; // VM_WRITE
    expectViolation(f, 'read-only', /mapping 1 of read-only object 1 may write/);
    // the shmem helper's own check, through its debug hook
    (f.obj(3, 1) as unknown as { store: { writable(i: number): Uint8Array } }).store.writable(0);
    expectViolation(f, 'read-only', /read-only object 1 has written pages/);
  });
});
