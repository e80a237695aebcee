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
    const names = new Set(files(import.meta.dirname).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/cover\('([^']+)'\)/g)].map((m) => m[1])));
    expect(names.size).toBeGreaterThan(20);
    expect(new Set([...names].map(pointId)).size).toBe(names.size);
    expect(pointId('drm_gem_flink_ioctl:new-name')).toBe(pointId('drm_gem_flink_ioctl:new-name'));
  });
});
