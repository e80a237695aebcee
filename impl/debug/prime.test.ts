// Success criterion: each PRIME self-check (impl/debug/prime.ts) stays quiet on a sound state
// and names its invariant on a corrupted one or under its fault switch.
import { describe, it } from 'vitest';
import type { DmaBuf } from '../core/dma_buf.ts';
import { expectClean, expectViolation, run } from './fixture.ts';

// fd 3: device 0 with objects 1 and 2 (handles 1, 2); dma-buf fd 4 exports handle 1;
// fd 5: device 1, a foreign import of it (object 3, handle 1)
const BASE = `
  r0 = open(0, primary)
  r1 = create_dumb(r0.fd, 64, 64, 32, 0)
  r2 = create_dumb(r0.fd, 64, 64, 32, 0)
  r3 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
  r4 = open(1, render)
  r5 = prime_fd_to_handle(r4.fd, r3.dmabuf)
`;
const bufOf = (f: ReturnType<typeof run>, fd: number) => f.s.fds.lookup(fd)!.priv as DmaBuf;

describe('PRIME self-checks', () => {
  it('export-unique: a repeated export makes a second dma-buf (fault export-twice)', () => {
    const src = `${BASE}\n  r6 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)`;
    expectClean(run(src));
    expectViolation(run(src, { faults: ['export-twice'] }), 'export-unique', /object 1 has 2 dma-bufs \(1, 2\)/);
  });

  it("export-unique: obj->dma_buf names another object's dma-buf", () => {
    const f = run(BASE);
    expectClean(f);
    f.obj(3, 2).dmaBuf = bufOf(f, 4);
    expectViolation(f, 'export-unique', /object 2: obj->dma_buf is dma-buf 1 of object 1/);
  });

  it("export-unique: an import's obj->dma_buf is not the dma-buf it imported", () => {
    const f = run(`${BASE}\n  r6 = prime_handle_to_fd(r0.fd, r2.handle, DRM_RDWR)`);
    expectClean(f);
    f.obj(5, 1).dmaBuf = bufOf(f, 6);
    expectViolation(f, 'export-unique', /import 3: obj->dma_buf is dma-buf 2, not the imported 1/);
  });

  it('dma-buf-needs-handle: obj->dma_buf with no handle', () => {
    const f = run(BASE);
    const o = f.obj(3, 1);
    f.file(3).objectIdr.remove(1);
    f.file(3).prime.remove(1);
    o.handleCount = 0;
    expectViolation(f, 'dma-buf-needs-handle', /object 1 keeps obj->dma_buf/);
  });

  it('prime-cache: an entry for a closed handle, for the wrong object, or lookups that disagree', () => {
    let f = run(BASE);
    expectClean(f);
    f.file(3).objectIdr.replace(1, f.obj(3, 2));
    expectViolation(f, 'prime-cache', /handle 1 \(object 2\) is cached with dma-buf 1 of object 1/);
    f = run(BASE);
    f.file(3).prime.byDmaBuf.get(bufOf(f, 4))!.push(2);
    expectViolation(f, 'prime-cache', /dma-buf 1 lists handle 2, which maps elsewhere/);
    expectViolation(f, 'prime-cache', /1 entries by handle, 2 by dma-buf/);
    f = run(BASE);
    f.file(3).objectIdr.remove(1);
    expectViolation(f, 'prime-cache', /cache entry for closed handle 1/);
  });

  it('file-refcount and no-use-after-free: f_count off, a dma-buf holding a freed object', () => {
    const f = run(BASE);
    bufOf(f, 4).file.fCount++;
    expectViolation(f, 'file-refcount', /dma-buf 1: f_count 7, holders 6/); // fd, obj->dma_buf ×2, cache ×2, attachment
    bufOf(f, 4).priv.freed = true;
    expectViolation(f, 'no-use-after-free', /dma-buf 1 holds freed object 1/);
  });
});
