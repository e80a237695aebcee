// Coverage points are collected per program, attributed to the call that reached them.
import { describe, expect, it } from 'vitest';
import { parseText } from '../ir/encoding.ts';
import { PROFILES } from '../ir/target.ts';
import { coverName, coverTake } from './cover.ts';
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
});
