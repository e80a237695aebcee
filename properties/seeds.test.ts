// Success criterion: every device a campaign can start on has a checked-in seed corpus
// (corpus/seeds/<device>/, what `gemcheck fuzz --device D` starts an empty corpus from), each
// file loads without problems as a corpus of that device and passes model ≡ impl with the
// self-checks on both profiles. A device with known bugs (quirks: nvdla-upstream) starts from
// its correct sibling's seeds through --seeds and needs none of its own.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../campaign/corpus.ts';
import { configFor } from '../harness/run.ts';
import { DEVICE_NAMES, DEVICES_REGISTRY } from '../ir/devices.ts';
import { PROFILES, type ProfileName } from '../ir/target.ts';
import { checkModelImpl, failureText } from './support.ts';

const seeds = join(import.meta.dirname, '..', 'corpus', 'seeds');
const conformant = DEVICE_NAMES.filter((d) => !DEVICES_REGISTRY[d].quirks?.length);

describe('seed corpora (corpus/seeds/<device>/)', () => {
  for (const d of conformant) {
    it(`${d}: present, loads without problems, passes model ≡ impl on every profile`, () => {
      const dir = join(seeds, d);
      expect(existsSync(dir), `${dir} is missing: make it as corpus/README.md says`).toBe(true);
      const l = loadCorpus(dir);
      expect(l.problems).toEqual([]);
      expect(l.entries.length).toBeGreaterThanOrEqual(4);
      for (const e of l.entries) {
        expect(e.program.meta.devices?.[0], e.hash).toBe(d);
        for (const profile of Object.keys(PROFILES) as ProfileName[]) {
          const v = checkModelImpl(e.program, configFor(e.program, profile));
          if (v.status !== 'pass') throw new Error(`${e.hash} (${profile})\n${failureText(e.program, v)}`);
        }
      }
    });
  }
});
