// Coverage points are collected per program, attributed to the call that reached them.
import { describe, expect, it } from 'vitest';
import { parseText } from '../ir/encoding.ts';
import { PROFILES } from '../ir/target.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coverName, coverTake, pointId } from './cover.ts';
import { implTarget } from './target.ts';

describe('impl coverage points', () => {
  it('GEM_CLOSE of the last handle reaches drm_gem_object_handle_put_unlocked:last-handle', () => {
    const p = parseText('r0 = open(0, primary)\nr1 = create_dumb(r0.fd, 64, 64, 32, 0)\nr2 = gem_flink(r0.fd, r1.handle)\ngem_close(r0.fd, r1.handle)\n');
    coverTake();
    implTarget().runSync!(p, { profile: PROFILES['linux-6.1'], devices: ['vgem'] });
    const names = [...coverTake()].map(coverName);
    expect(names).toContain('drm_gem_object_handle_put_unlocked:last-handle');
    expect(names).toContain('drm_gem_flink_ioctl:new-name');
    expect(names).toContain('drm_gem_object_handle_free:name');
    expect(coverTake().size).toBe(0);
  });

  it('point ids are hashes of the names (the same in every thread and session) and distinct', () => {
    const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(d, e.name)] : []));
    // every 'function:branch' literal inside a cover(…) call, conditional ones included
    const names = new Set(files(import.meta.dirname).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/cover\(([^;]*?)\)/g)].flatMap((m) => [...m[1].matchAll(/'([a-z0-9_]+:[^']+)'/g)].map((n) => n[1]))));
    expect(names.size).toBeGreaterThan(40);
    expect(new Set([...names].map(pointId)).size).toBe(names.size);
    expect(pointId('drm_gem_flink_ioctl:new-name')).toBe(pointId('drm_gem_flink_ioctl:new-name'));
  });
  it('auth, vgem fences, dma-buf mmap and user faults have their points', () => {
    const p = parseText([
      'r0 = open(0, primary)', 'r1 = open(0, primary)', 'r2 = get_magic(r1.fd)', 'r3 = get_magic(r1.fd)', 'auth_magic(r0.fd, r2.magic)',
      'r5 = create_dumb(r0.fd, 64, 64, 32, 0)', 'r6 = fence_attach(r0.fd, r5.handle, 1)', 'r7 = prime_handle_to_fd(r0.fd, r5.handle, DRM_RDWR)',
      'r8 = mmap(r7.dmabuf, 4096, 4096, PROT_READ, MAP_SHARED)', 'r9 = read(r8.map, 0, 16)', 'read(r8.map, 8192, 16)', 'write(r8.map, 0, 16, 1)', 'close(r0.fd)',
    ].join('\n') + '\n');
    coverTake();
    implTarget().runSync!(p, { profile: PROFILES['linux-6.1'], devices: ['vgem'] });
    const names = new Set([...coverTake()].map(coverName));
    for (const n of ['drm_master_open:new-master', 'drm_master_open:join', 'drm_getmagic:new-magic', 'drm_getmagic:same-magic', 'drm_authmagic:authenticate',
      'vgem_fence_attach_ioctl:write', 'handle_mm_fault:read-unpopulated', 'do_user_addr_fault:past-vma', 'do_user_addr_fault:access-error'])
      expect(names, n).toContain(n);
  });
});
