// Success criterion (issue 9): the short programs in corpus/nvdla, each the minimized form of
// a finding the generic check made on nvdla-upstream, pass on nvdla (model ≡ impl, every
// `# =>` expectation, every self-check) and fail on nvdla-upstream with exactly the finding
// their `# upstream-finding:` line names — one per upstream bug gemcheck can observe.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModelImpl, failureText } from './support.ts';
import { configFor } from '../harness/run.ts';
import { signature } from '../harness/verdict.ts';
import { parseText } from '../ir/encoding.ts';
import type { Program } from '../ir/program.ts';

const dir = join(import.meta.dirname, '..', 'corpus', 'nvdla');
const files = readdirSync(dir).filter((f) => f.endsWith('.prog')).sort();

/** The upstream bugs and the finding each corpus program must give on nvdla-upstream. */
const EXPECTED: Readonly<Record<string, string>> = {
  'hidden-handle.prog': 'self-check:nvdla_submit:nvdla-hidden-handle',
  'hidden-handle-pins-pool.prog': 'divergence:nvdla_gem_create:status',
  'index-off-by-one.prog': 'self-check:nvdla_submit:nvdla-address-list-bounds',
  'offset-unchecked.prog': 'divergence:nvdla_submit:status',
  'size-u32.prog': 'divergence:nvdla_gem_create:status',
  'size-zero.prog': 'divergence:nvdla_gem_create:outcome',
  'dmabuf-mmap-pgoff.prog': 'divergence:read:digest',
  'no-buffer-limit.prog': 'divergence:nvdla_submit:outcome',
};

const upstream = (p: Program): Program => ({ ...p, meta: { ...p.meta, devices: p.meta.devices!.map(() => 'nvdla-upstream' as const) } });

describe('corpus/nvdla: nvdla passes, nvdla-upstream fails in exactly these ways', () => {
  it('every program has its expected finding, and nothing else is there', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });
  for (const file of files) {
    const src = readFileSync(join(dir, file), 'utf8');
    const p = parseText(src);
    it(`${file}: nvdla passes`, () => {
      expect(p.meta.devices?.every((d) => d === 'nvdla')).toBe(true);
      expect(p.calls.every((c) => c.expect)).toBe(true);
      const v = checkModelImpl(p, configFor(p));
      if (v.status !== 'pass') throw new Error(`${file}\n${failureText(p, v)}`);
    });
    it(`${file}: nvdla-upstream fails with ${EXPECTED[file]}`, () => {
      const up = upstream(p);
      const v = checkModelImpl(up, configFor(up));
      expect(v.status).toBe('fail');
      if (v.status === 'fail') expect(signature(up, v.finding)).toBe(EXPECTED[file]);
      // the file says the same
      expect(src).toContain(`# upstream-finding: ${EXPECTED[file]}`);
    });
  }
});
