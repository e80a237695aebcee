// The known-divergence predicates match exactly their case: here, the rb-tree order of
// duplicate PRIME lookup pairs (kernel nondeterminism), and nothing next to it.
import { describe, expect, it } from 'vitest';
import { parseText } from '../ir/encoding.ts';
import { ok } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import { PROFILES } from '../ir/target.ts';
import type { Divergence } from './compare.ts';
import { KNOWN } from './known.ts';

const cfg = { profile: PROFILES['linux-6.1'], devices: ['vgem'] as const };
const knownDivergence = (p: Program, d: Divergence) => KNOWN.find((k) => k.matches(p, d, cfg))?.name ?? null;

// seen on the real kernel (seed 5, program 13, vgem): ok handle=3 in one run, handle=1 in the next
const TWO_PAIRS = parseText(`# gemcheck program v1
# devices: vgem
r0 = open(0, primary)
r1 = create_dumb(r0.fd, 256, 4, 1, 0)
r2 = gem_flink(r0.fd, r1.handle)
r3 = create_dumb(r0.fd, 1245, 100, 16, 0)
r4 = prime_handle_to_fd(r0.fd, r1.handle, DRM_RDWR)
r5 = prime_handle_to_fd(r0.fd, r3.handle, DRM_CLOEXEC)
r6 = gem_open(r0.fd, r2.name)
r7 = prime_handle_to_fd(r0.fd, r6.handle, DRM_RDWR|DRM_CLOEXEC)
r8 = prime_fd_to_handle(r0.fd, r4.dmabuf)
`);

describe('prime-lookup-pair-order', () => {
  const d = (model: number, kernel: number) => ({ index: 8, field: 'handle', left: ok({ handle: BigInt(model) }), right: ok({ handle: BigInt(kernel) }) });
  it('matches when the kernel picks the other handle paired with that dma-buf', () => {
    expect(knownDivergence(TWO_PAIRS, d(1, 3))).toBe('prime-lookup-pair-order');
  });
  it('does not match a handle of another object, or a file with one pair', () => {
    expect(knownDivergence(TWO_PAIRS, d(1, 2))).toBeNull();
    const onePair = { ...TWO_PAIRS, calls: TWO_PAIRS.calls.filter((_, i) => i !== 7) };
    expect(knownDivergence(onePair, { ...d(1, 3), index: 7 })).toBeNull();
  });
});

// seen on the real kernel (vgem + qxl, seed 1, program 104): FENCE_SIGNAL on a qxl fd is QXL_EXECBUFFER
describe('ioctl-number-alias', () => {
  const vq = { profile: PROFILES['linux-6.1'], devices: ['vgem', 'qxl'] as const };
  const p = parseText(`# gemcheck program v1
# devices: vgem qxl
r0 = open(1, primary)
fence_signal(r0.fd, 1, 0)
r2 = open(0, primary)
fence_signal(r2.fd, 1, 0)
`);
  const einvalVsOk = (index: number) => ({ index, left: { status: 'err', errno: 22 } as const, right: ok() });
  it('matches a call whose number the fd’s driver uses for an undescribed ioctl', () => {
    expect(KNOWN.find((k) => k.matches(p, einvalVsOk(1), vq))?.name).toBe('ioctl-number-alias');
  });
  it('does not match the same call on the device that describes it', () => {
    expect(KNOWN.find((k) => k.matches(p, einvalVsOk(3), vq))?.name ?? null).toBeNull();
  });
});
