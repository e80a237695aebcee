// Success criteria for analysis (syzkaller's analysis.go): the generator's state rebuilt from
// any prefix of a program equals the state the generator had there; and generation continued
// from a rebuilt state (any program, also a hand-written corpus one) gives well-formed
// programs that use the prefix's resources and on which model and impl still agree.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkModelImpl, failureText } from '../properties/support.ts';
import { configFor } from '../harness/run.ts';
import { parseText } from '../ir/encoding.ts';
import { validate, type Program } from '../ir/program.ts';
import { analyze, type GenState } from './analysis.ts';
import { continueProgram, ProgramBuilder } from './generate.ts';
import { seededRand } from './rand.ts';

const OPTS = { maxCalls: 24, devices: 2 } as const;
const snapshot = (st: GenState): GenState => structuredClone(st);

describe('analyze rebuilds the generator state', () => {
  it('from every prefix of generated programs, exactly', () => {
    for (let i = 0; i < 300; i++) {
      const states: GenState[] = [];
      const b = new ProgramBuilder(seededRand(`an:${i}`), OPTS, undefined, (st) => states.push(snapshot(st)));
      while (b.calls.length < 20) b.step();
      states.forEach((st, k) => expect(analyze(b.calls.slice(0, k + 1), OPTS), `program ${i}, prefix ${k + 1}`).toEqual(st));
    }
  });

  it('so generation continued from a prefix is generation from that state', () => {
    // the same random draws after the prefix give the same continuation whether the state was
    // kept by the builder or rebuilt by analyze
    for (let i = 0; i < 200; i++) {
      const b = new ProgramBuilder(seededRand(`pre:${i}`), OPTS);
      while (b.calls.length < 8) b.step();
      const prefix: Program = { meta: {}, calls: [...b.calls] };
      const kept = new ProgramBuilder(seededRand(`post:${i}`), OPTS, analyze(prefix.calls, OPTS));
      const rebuilt = continueProgram(seededRand(`post:${i}`), prefix, OPTS, 10);
      while (kept.calls.length < prefix.calls.length + 10) kept.step();
      expect(rebuilt.calls).toEqual(kept.calls.slice(0, prefix.calls.length + 10));
    }
  });
});

describe('continuing existing programs', () => {
  const dir = join(import.meta.dirname, '..', 'corpus', 'scenarios');
  const scenarios = readdirSync(dir)
    .filter((f) => f.endsWith('.prog'))
    .map((f) => ({ f, p: parseText(readFileSync(join(dir, f), 'utf8')) }));

  it('appends well-formed calls that reuse the program’s resources, and model ≡ impl still', () => {
    let reused = 0;
    for (const { f, p } of scenarios) {
      const base: Program = { meta: p.meta, calls: p.calls.map(({ expect: _e, ...c }) => c) };
      const devices = configFor(base).devices.length;
      for (let i = 0; i < 20; i++) {
        const q = continueProgram(seededRand(`${f}:${i}`), base, { maxCalls: 24, devices }, 12);
        expect(validate(q), f).toEqual([]);
        expect(q.calls.slice(0, base.calls.length)).toEqual(base.calls);
        expect(q.calls.length).toBe(base.calls.length + 12);
        if (q.calls.slice(base.calls.length).some((c) => c.args.some((a) => a.kind === 'ref' && a.call < base.calls.length))) reused++;
        const v = checkModelImpl(q, configFor(q));
        if (v.status !== 'pass') throw new Error(`${f} continued (${i}):\n${failureText(q, v)}`);
      }
    }
    expect(reused).toBeGreaterThan(scenarios.length * 15);
  });

  it('a hand-written program’s pool has its resources with their files and sizes', () => {
    const p = parseText(['r0 = open(0, primary)', 'r1 = create_dumb(r0.fd, 64, 64, 32, 0)', 'r2 = map_dumb(r0.fd, r1.handle)', 'r3 = prime_handle_to_fd(r0.fd, r1.handle, 0)', 'r4 = dup(r3.dmabuf)'].join('\n'));
    const st = analyze(p.calls, OPTS);
    expect(st.pool.map((r) => [r.kind, `r${r.arg.call}.${r.arg.field}`])).toEqual([
      ['fd', 'r0.fd'],
      ['handle', 'r1.handle'],
      ['offset', 'r2.offset'],
      ['dmabuf', 'r3.dmabuf'],
      ['dmabuf', 'r4.fd'], // a dup of a dma-buf is a dma-buf
    ]);
    expect(st.pool[0]).toMatchObject({ dev: 0n, primary: true });
    expect(st.pool[1]).toMatchObject({ fd: { kind: 'ref', call: 0, field: 'fd' }, size: { kind: 'ref', call: 1, field: 'size' }, dev: 0n });
    expect(st.pool[2].size).toEqual({ kind: 'ref', call: 1, field: 'size' });
    expect(st.pool[4]).toMatchObject({ size: { kind: 'ref', call: 1, field: 'size' }, dev: 0n });
    expect(st.made).toEqual({ open: 1, create_dumb: 1, map_dumb: 1, prime_handle_to_fd: 1, dup: 1 });
  });
});
