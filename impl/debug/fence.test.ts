// Success criterion: each fence and reservation-object self-check (impl/debug/fence.ts) stays
// quiet on a sound state and names its invariant on a corrupted one or under its fault switch.
import { describe, expect, it } from 'vitest';
import { DmaFence, DmaResv } from '../core/resv.ts';
import type { Idr } from '../core/idr.ts';
import { exitCheck } from './index.ts';
import { expectClean, expectViolation, names, run, type Fixture } from './fixture.ts';

// fd 3: device 0, object 1 exported as dma-buf fd 4; fd 5: device 1, its foreign import
// (object 2, handle 1), which attaches a read fence (fence 1, context 1)
const BASE = `
  r0 = open(0, primary)
  r1 = create_dumb(r0.fd, 64, 64, 32, 0)
  r2 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
  r3 = open(1, render)
  r4 = prime_fd_to_handle(r3.fd, r2.dmabuf)
  r5 = fence_attach(r3.fd, r4.handle, 0)
`;
const fenceIdr = (f: Fixture, fd: number) => f.file(fd).driverPriv as Idr<DmaFence>;

describe('fence and reservation self-checks', () => {
  it('a fence attached through a foreign import lands on the exporter', () => {
    const f = run(BASE);
    expectClean(f);
    const fence = fenceIdr(f, 5).find(1)!;
    expect(f.obj(3, 1).ownResv.fences).toContain(fence);
    expect(f.obj(5, 1).ownResv.fences).toEqual([]);
  });

  it("import-resv: a foreign import with its own reservation object (fault import-own-resv)", () => {
    expectViolation(run(BASE, { faults: ['import-own-resv'] }), 'import-resv', /import 2 of dma-buf 1 does not share its reservation object/);
  });

  it("import-resv: fences on an import's own resv, a native object on another's, a dma-buf without its exporter's", () => {
    let f = run(BASE);
    f.obj(5, 1).ownResv.fences.push(new DmaFence(99, false));
    expectViolation(f, 'import-resv', /import 2 holds fences on its own reservation object/);
    f = run(`${BASE}\n  r6 = create_dumb(r0.fd, 64, 64, 32, 0)`);
    expectClean(f);
    f.obj(3, 2).resv = f.obj(3, 1).ownResv;
    expectViolation(f, 'import-resv', /object 3 is not an import but uses another object's/);
    f = run(BASE);
    (f.s.fds.lookup(4)!.priv as { resv: DmaResv }).resv = new DmaResv(f.obj(3, 1));
    expectViolation(f, 'import-resv', /dma-buf 1 does not carry its exporter 1's reservation object/);
  });

  it('fence-accounted: a closed file leaves its fences unsignalled (fault fence-close-no-signal)', () => {
    // object 1 outlives fd 3 through its dma-buf; the fence was fd 3's
    const src = `
      r0 = open(0, primary)
      r1 = create_dumb(r0.fd, 64, 64, 32, 0)
      r2 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
      r3 = fence_attach(r0.fd, r1.handle, VGEM_FENCE_WRITE)
      close(r0.fd)
    `;
    expectClean(run(src));
    const f = run(src, { faults: ['fence-close-no-signal'] });
    expectViolation(f, 'fence-accounted', /unsignalled fence 1 on object 1 is held by no open file/);
  });

  it('fence-accounted: an unsignalled fence dropped from its resv, held twice, or added elsewhere', () => {
    let f = run(BASE);
    f.obj(3, 1).ownResv.fences.length = 0;
    expectViolation(f, 'fence-accounted', /unsignalled fence 1 of file 2 is missing from object 1's reservation object/);
    f = run(`${BASE}\n  r6 = open(1, render)\n  r7 = prime_fd_to_handle(r6.fd, r2.dmabuf)\n  r8 = fence_attach(r6.fd, r7.handle, 0)`);
    expectClean(f);
    fenceIdr(f, 6).alloc(fenceIdr(f, 5).find(1)!);
    expectViolation(f, 'fence-accounted', /fence 1 is held by files 2 and 3/);
    f = run(BASE);
    fenceIdr(f, 5).find(1)!.resv = f.obj(5, 1).ownResv;
    expectViolation(f, 'fence-accounted', /fence 1 on object 1 was added elsewhere/);
  });

  it('fence-signalled: a signalled fence never becomes unsignalled', () => {
    const f = run(`${BASE}\n  fence_signal(r3.fd, r5.fence, 0)`);
    expectClean(f); // sees fence 1 signalled (still on object 1's resv)
    f.obj(3, 1).ownResv.fences[0].signalled = false;
    expectViolation(f, 'fence-signalled', /fence 1 was signalled and is unsignalled again/);
  });

  it('fence-freed-object: dma_resv_fini drops a freed object\'s fences', () => {
    const f = run(`
      r0 = open(0, primary)
      r1 = create_dumb(r0.fd, 64, 64, 32, 0)
      r2 = fence_attach(r0.fd, r1.handle, 0)
      gem_close(r0.fd, r1.handle)
    `);
    expectClean(f);
    const fence = fenceIdr(f, 3).find(1)!;
    expect(fence.resv!.owner.freed).toBe(true);
    fence.resv!.fences.push(fence);
    expectViolation(f, 'fence-freed-object', /fence 1 is still on freed object 1/);
  });

  it('a closing file signals its fences; nothing is left at exit', () => {
    const f = run(`${BASE}\n  close(r3.fd)\n  r7 = fence_attach(r0.fd, r1.handle, VGEM_FENCE_WRITE)`);
    expect(f.out[7]).toEqual({ status: 'ok', out: { fence: 1n } }); // fd 5's fence signalled at its close
    f.s.teardown();
    expect(names(exitCheck(f.s))).toEqual([]);
  });
});
