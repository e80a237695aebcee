// kernel/qxl-evict-fuzz.ts without a guest: its programs, the C it emits, impl's transcript (impl/drivers/qxl/replay.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { implTranscript } from '../impl/drivers/qxl/replay.ts';
import { cSource, programAt, splitKernelOutput } from './qxl-evict-fuzz.ts';

const EVICTED = '[evicted] 0+769f 301+768U 601+2555f ffc+1U ffd+1U | 0+256f';

function hasGcc(): boolean {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('qxl eviction programs', () => {
  it('are a function of (seed, index), with steps valid for the slots', () => {
    expect(programAt('s', 3, 24)).toEqual(programAt('s', 3, 24));
    expect(programAt('s', 3, 24)).not.toEqual(programAt('s', 4, 24));
    for (let i = 0; i < 50; i++) {
      const p = programAt('v', i, 24);
      expect(p).toHaveLength(24);
      const handle = new Set<number>();
      const mapped = new Set<number>();
      for (const s of p) {
        if (s.op === 'alloc' || s.op === 'surf') {
          expect(handle.has(s.slot) || mapped.has(s.slot)).toBe(false); // a free slot
          handle.add(s.slot);
        } else if (s.op === 'close') {
          expect(handle.delete(s.slot)).toBe(true);
        } else if (s.op === 'unmap') {
          expect(mapped.delete(s.slot)).toBe(true);
        } else {
          expect(handle.has(s.slot) || mapped.has(s.slot)).toBe(true); // maps on first access
          mapped.add(s.slot);
        }
      }
    }
  });

  it('impl starts from the kernel\'s pinned layout and evicts in most programs', () => {
    let evicting = 0;
    for (let i = 0; i < 40; i++) {
      const r = implTranscript(programAt('ci', i, 24), EVICTED);
      expect(r.lines.slice(0, 3)).toEqual(['evict all -> -12', EVICTED, '[start] 0+769f 301+768U 601+2555f ffc+1U ffd+1U | 0+256f']);
      if (r.evictions) evicting++;
    }
    expect(evicting).toBeGreaterThan(20);
  });

  it('splits the kernel output by program', () => {
    const m = splitKernelOutput(['== 0', 'a', 'b', '== end', 'junk', '== 1', 'c', '== end']);
    expect([...m.entries()]).toEqual([[0, ['a', 'b']], [1, ['c']]]);
  });

  it.skipIf(!hasGcc())('emits C that compiles cleanly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qxl-fuzz-'));
    try {
      const f = join(dir, 'p.c');
      writeFileSync(f, cSource([programAt('ci', 0, 24), programAt('ci', 1, 24)]));
      execFileSync('gcc', ['-fsyntax-only', '-Wall', '-Wextra', '-Werror', f]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kernel-side eviction count', () => {
  it('counts successful allocations larger than every free hole', async () => {
    const { kernelEvictingAllocs } = await import('./qxl-evict-fuzz.ts');
    const lines = [
      '[start] 0+769f 301+768U 601+2555f ffc+1U ffd+1U | 0+256f',
      '0 alloc s0 2000 -> 0', // fits 2555
      '[a] 0+769f 301+768U 601+2000U dd1+555f ffc+1U ffd+1U | 0+256f',
      '1 alloc s1 1000 -> 0', // no hole of 1000: evicted
      '[a] 0+769f 301+768U 601+1000U 9e9+1555f ffc+1U ffd+1U | 0+256f',
      '2 surf s2 200 -> 0', // PRIV has 256
      '[s] 0+769f 301+768U 601+1000U 9e9+1555f ffc+1U ffd+1U | 0+200U c8+56f',
      '3 alloc s3 4096 -> -12',
    ];
    expect(kernelEvictingAllocs(lines)).toBe(1);
  });
});
