// Success criterion: exact comparison flags any field difference; renaming comparison
// accepts a consistent one-to-one renaming of fds/offsets and rejects an inconsistent one.
import { describe, expect, it } from 'vitest';
import { parseText } from '../ir/encoding.ts';
import { ok, err, type Outcome } from '../ir/outcome.ts';
import { firstDivergence, meetsExpectation } from './compare.ts';

const p = parseText(`
r0 = open(0, primary)
r1 = create_dumb(r0.fd, 1, 1, 8, 0)
r2 = map_dumb(r0.fd, r1.handle)
r3 = open(0, primary)
r4 = map_dumb(r0.fd, r1.handle)
`);
const base: Outcome[] = [ok({ fd: 3n }), ok({ handle: 1n, pitch: 1n, size: 4096n }), ok({ offset: 0x100000000n }), ok({ fd: 4n }), ok({ offset: 0x100000000n })];
const renamed: Outcome[] = [ok({ fd: 5n }), ok({ handle: 1n, pitch: 1n, size: 4096n }), ok({ offset: 0x200000000n }), ok({ fd: 6n }), ok({ offset: 0x200000000n })];
const rename = { rename: new Set(['fd', 'dmabuf', 'offset'] as const) };

describe('firstDivergence', () => {
  it('is exact by default', () => {
    expect(firstDivergence(p, base, base)).toBeNull();
    expect(firstDivergence(p, base, renamed)).toMatchObject({ index: 0, field: 'fd' });
    expect(firstDivergence(p, base, [...base.slice(0, 2), err(22)])).toMatchObject({ index: 2 });
  });
  it('accepts a consistent renaming of opaque values', () => {
    expect(firstDivergence(p, base, renamed, rename)).toBeNull();
  });
  it('rejects an inconsistent renaming', () => {
    const twoToOne = [...renamed.slice(0, 3), ok({ fd: 5n }), renamed[4]];
    expect(firstDivergence(p, base, twoToOne, rename)).toMatchObject({ index: 3, field: 'fd' });
    const moved = [...renamed.slice(0, 4), ok({ offset: 0x300000000n })];
    expect(firstDivergence(p, base, moved, rename)).toMatchObject({ index: 4, field: 'offset' });
    const nonRenamed = [renamed[0], ok({ handle: 2n, pitch: 1n, size: 4096n }), ...renamed.slice(2)];
    expect(firstDivergence(p, base, nonRenamed, rename)).toMatchObject({ index: 1, field: 'handle' });
  });
  it('expectations check only listed fields', () => {
    expect(meetsExpectation(ok({ handle: 1n }), base[1])).toBe(true);
    expect(meetsExpectation(ok({ handle: 2n }), base[1])).toBe(false);
    expect(meetsExpectation(err(22), err(22))).toBe(true);
    expect(meetsExpectation(err(22), base[1])).toBe(false);
  });
});
