// Success criteria: (1) a report depends only on its program — ids come from the kernel
// instance, so a program run after others reports exactly what it reports alone; (2) the
// debug code reaches helpers only through hooks (no driver import, no helper class test);
// (3) the exit checks find what survives the teardown.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseText } from '../../ir/encoding.ts';
import { PROFILES } from '../../ir/target.ts';
import { implTarget } from '../target.ts';
import { exitCheck } from './index.ts';
import { names, run } from './fixture.ts';

describe('reports are per kernel instance', () => {
  const cfg = { profile: PROFILES['linux-6.1'], devices: ['vgem', 'vgem'] as const };
  // A makes many objects, dma-bufs, files and fences; B breaks an invariant (keep-name) and
  // names its object, dma-buf and file ids in the report
  const A = parseText(`
    r0 = open(0, primary)
    r1 = create_dumb(r0.fd, 64, 64, 32, 0)
    r2 = create_dumb(r0.fd, 64, 64, 32, 0)
    r3 = prime_handle_to_fd(r0.fd, r2.handle, DRM_RDWR)
    r4 = open(1, render)
    r5 = prime_fd_to_handle(r4.fd, r3.dmabuf)
    r6 = fence_attach(r4.fd, r5.handle, 0)
  `);
  const B = parseText(`
    r0 = open(1, primary)
    r1 = create_dumb(r0.fd, 64, 64, 32, 0)
    r2 = gem_flink(r0.fd, r1.handle)
    r3 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
    gem_close(r0.fd, r1.handle)
  `);

  it('the same program gives the same outcomes and self-check texts after others', () => {
    const t = implTarget(new Set(['keep-name', 'export-twice']));
    const fresh = t.runSync!(B, cfg);
    expect(fresh.selfCheck.length).toBeGreaterThan(0);
    expect(fresh.selfCheck[0].violations.map((v) => v.message).join('\n')).toMatch(/object 1 keeps name 1/);
    t.runSync!(A, cfg);
    t.runSync!(A, cfg);
    const after = t.runSync!(B, cfg);
    const again = t.runSync!(B, cfg);
    expect(after).toEqual(fresh);
    expect(again).toEqual(fresh);
  });
});

describe('layering: impl/debug reaches drivers only through hooks', () => {
  const dir = import.meta.dirname;
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'fixture.ts');
  it.each(sources)('%s imports no driver or helper and tests no helper class', (f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    expect(text).not.toMatch(/from '\.\.\/drivers\//);
    expect(text).not.toMatch(/instanceof (ShmemObject|VramObject|TtmBo)/);
    expect(text).not.toMatch(/\bdriver\.name\b/);
  });
});

describe('exit checks', () => {
  it('no-leaks: fds and mappings that survive the teardown, objects and dma-bufs left', () => {
    const f = run(`
      r0 = open(0, primary)
      r1 = create_dumb(r0.fd, 64, 64, 32, 0)
      r2 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
    `);
    const vs = exitCheck(f.s); // no teardown: everything is still there
    expect(names(vs)).toEqual(['no-leaks']);
    expect(vs.map((v) => v.message)).toEqual(['2 fds and 0 mappings survive the teardown', 'device 0: 1 objects left', 'device 0: 1 offsets left', '1 dma-bufs left']);
    f.s.teardown();
    expect(exitCheck(f.s)).toEqual([]);
  });
});
