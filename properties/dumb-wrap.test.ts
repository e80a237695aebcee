// Success criterion: dumb creates whose width*bpp lands near a multiple of 2^32 (where
// drm_gem_shmem_dumb_create's u32 DIV_ROUND_UP wraps: corpus/regressions/dumb-pitch-wrap.prog)
// agree between model and impl on every device, with every invariant holding, including a
// map_dumb and an mmap of the reported size. Random programs almost never hit these widths.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { checkModelImpl, failureText } from './support.ts';
import { parseText } from '../ir/encoding.ts';
import { PROFILES } from '../ir/target.ts';
import { DEVICE_NAMES } from '../ir/devices.ts';

const RUNS = Number(process.env.GEMCHECK_RUNS ?? 2000);
const hex = (n: bigint) => `0x${n.toString(16)}`;

/** width = ⌊k·2^32 / bpp⌋ + delta: width*bpp just below, inside or above the wrap. */
const create = fc
  .record({
    bpp: fc.oneof(fc.constantFrom(3n, 5n, 7n, 9n, 12n, 15n, 24n, 30n, 64n), fc.bigInt(1n, 130n)),
    k: fc.bigInt(1n, 8n),
    delta: fc.bigInt(-3n, 3n),
    height: fc.bigInt(1n, 8n),
  })
  .map(({ bpp, k, delta, height }) => ({ width: ((k << 32n) / bpp + delta) & 0xffffffffn, bpp, height }));

describe('dumb create near the u32 pitch wrap', () => {
  for (const dev of DEVICE_NAMES) {
    it(`model ≡ impl (${dev})`, () => {
      const cfg = { profile: PROFILES['linux-6.1'], devices: [dev] };
      fc.assert(
        fc.property(fc.array(create, { minLength: 1, maxLength: 4 }), (cs) => {
          const lines = ['r0 = open(0, primary)'];
          for (const c of cs) {
            const r = lines.length;
            lines.push(`r${r} = create_dumb(r0.fd, ${hex(c.width)}, ${c.height}, ${c.bpp}, 0)`);
            lines.push(`r${r + 1} = map_dumb(r0.fd, r${r}.handle)`);
          }
          const last = lines.length - 1; // a map_dumb: mmap the last object at its reported size
          lines.push(`r${last + 1} = mmap(r0.fd, r${last}.offset, r${last - 1}.size, PROT_READ, MAP_SHARED)`);
          const p = parseText(lines.join('\n'));
          const v = checkModelImpl(p, cfg);
          if (v.status !== 'pass') throw new Error(failureText(p, v));
        }),
        { numRuns: RUNS / 4, seed: 11 },
      );
    });
  }
});
