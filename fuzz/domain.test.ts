// Success criteria for the generic integer generator: the boundary values of a domain are the
// ones its description implies (width wrap points, page ±1, limits ±1, unknown flag bits), a
// product draw lands next to its target, and arguments are drawn after the ones they multiply.
import { describe, expect, it } from 'vitest';
import { CALLS, type ArgDesc, type IntDomain } from '../ir/calls.ts';
import { boundaries, drawInt, intOrder, productValue } from './domain.ts';
import { seededRand } from './rand.ts';

const arg = (op: keyof typeof CALLS, name: string): ArgDesc => (CALLS[op].args as readonly ArgDesc[]).find((a) => a.name === name)!;

describe('boundaries', () => {
  it('u64 byte counts: wrap points, 2^32 ± 1, page ±1, PAGE_ALIGN wrap edges', () => {
    const b = boundaries(arg('mmap', 'length'));
    for (const v of [0n, 1n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 1n << 32n, (1n << 32n) + 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, 4095n, 4096n, 4097n, (1n << 64n) - 4096n, (1n << 64n) - 4095n, (1n << 32n) - 4096n])
      expect(b, `0x${v.toString(16)}`).toContain(v);
    // TASK_SIZE ± 1 (get_unmapped_area)
    expect(b).toContain(0x7fff_ffff_f000n);
    expect(b).toContain(0x7fff_ffff_f001n);
  });
  it('u32 fields stay within 32 bits', () => {
    for (const a of [arg('create_dumb', 'width'), arg('prime_handle_to_fd', 'flags'), arg('mmap', 'prot')]) for (const v of boundaries(a)) expect(v < 1n << 32n, `${a.name} 0x${v.toString(16)}`).toBe(true);
  });
  it('documented limits ±1: bpp around U32_MAX − 8', () => {
    const b = boundaries(arg('create_dumb', 'bpp'));
    for (const v of [0xffff_fff6n, 0xffff_fff7n, 0xffff_fff8n]) expect(b).toContain(v);
  });
  it('flag sets: the lowest unknown bit, the known ones, both', () => {
    const b = boundaries(arg('prime_handle_to_fd', 'flags'));
    expect(b).toContain(1n); // below DRM_RDWR
    expect(b).toContain(0x80002n);
    expect(b).toContain(0x80003n);
    expect(boundaries(arg('fence_attach', 'flags'))).toContain(2n); // past VGEM_FENCE_WRITE
  });
  it('max bounds them (read/write lengths)', () => {
    for (const v of boundaries(arg('write', 'len'))) expect(v <= 0x10000n).toBe(true);
  });
});

describe('products', () => {
  const d: IntDomain = { bits: 32, typical: [[1n, 1]], products: [{ factors: [{ arg: 'bpp' }], near: [1n << 32n] }] };
  it('width·bpp lands within the spread of 2^32', () => {
    const r = seededRand('p');
    for (let i = 0; i < 1000; i++) {
      const w = productValue(r, d, d.products![0], (n) => (n === 'bpp' ? 3n : undefined))!;
      expect(w * 3n > (1n << 32n) - 12n && w * 3n <= (1n << 32n) + 8n, `w=${w}`).toBe(true);
    }
  });
  it('⌈bpp/8⌉ factors and unknown factors', () => {
    const p = { factors: [{ arg: 'bpp', ceilDiv: 8n }], near: [1n << 32n], spread: 0 };
    expect(productValue(seededRand('q'), d, p, () => 17n)).toBe((1n << 32n) / 3n);
    expect(productValue(seededRand('q'), d, p, () => undefined)).toBeUndefined();
    expect(productValue(seededRand('q'), d, p, () => 0n)).toBeUndefined();
  });
  it('create_dumb draws bpp, then width, then height', () => {
    const names = intOrder(CALLS.create_dumb.args).map((j) => CALLS.create_dumb.args[j].name);
    expect(names.indexOf('bpp')).toBeLessThan(names.indexOf('width'));
    expect(names.indexOf('width')).toBeLessThan(names.indexOf('height'));
  });
});

describe('drawInt', () => {
  it('uses the object size at its rate, else typical values and boundaries', () => {
    const r = seededRand('d');
    const size = { kind: 'ref', call: 1, field: 'size' } as const;
    let sized = 0;
    const values = new Set<bigint>();
    for (let i = 0; i < 4000; i++) {
      const a = drawInt(r, arg('mmap', 'length'), { literal: () => undefined }, size);
      if (a.kind === 'ref') sized++;
      else values.add(a.value);
    }
    expect(sized / 4000).toBeGreaterThan(0.7);
    expect(sized / 4000).toBeLessThan(0.8);
    expect(values.has(4096n)).toBe(true);
    expect(values.has((1n << 64n) - 1n)).toBe(true);
  });
});
