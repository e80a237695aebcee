// Success criterion: both serializations round-trip every generated program exactly, and
// malformed input is rejected with the right line and column.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromJson, parseProgram, parseText, printText, toJson, ParseError } from '../ir/encoding.ts';
import { lit, ref, removeCalls, validate, type Program } from '../ir/program.ts';
import { programArb } from './arbitrary.ts';

const strip = (p: Program) => JSON.parse(toJson(p));
const withExpect = (p: Program): Program => ({
  meta: { devices: ['vgem', 'vgem'], profile: 'linux-5.10' },
  calls: p.calls.map((c, i) => (i % 3 === 0 ? { ...c, expect: { status: 'err', errno: 22 } } : i % 3 === 1 ? { ...c, expect: { status: 'sig', signal: 'SIGBUS' } } : c)),
});

describe('serialization', () => {
  it('text round-trips', () => {
    fc.assert(fc.property(programArb({ maxCalls: 30, devices: 2 }), (p) => {
      expect(strip(parseText(printText(p)))).toEqual(strip(p));
      const q = withExpect(p);
      expect(strip(parseText(printText(q)))).toEqual(strip(q));
    }), { numRuns: 300, seed: 3 });
  });
  it('JSON round-trips', () => {
    fc.assert(fc.property(programArb({ maxCalls: 30, devices: 2 }), (p) => {
      const q = withExpect(p);
      expect(strip(fromJson(toJson(q)))).toEqual(strip(q));
      expect(printText(parseProgram(toJson(q)))).toBe(printText(q));
    }), { numRuns: 300, seed: 4 });
  });
  it('keeps 64-bit and negative literals and ok-fields exactly', () => {
    const p: Program = { meta: {}, calls: [
      { op: 'close', args: [lit(-1)] },
      { op: 'mmap', args: [lit(3), lit(0xfffffffffffff000n), lit(1), lit(3), lit(1)], expect: { status: 'ok', out: { map: 1n } } },
    ] };
    expect(strip(parseText(printText(p)))).toEqual(strip(p));
    expect(printText(p)).toContain('mmap(3, 0xfffffffffffff000, 1, PROT_READ|PROT_WRITE, MAP_SHARED)  # => ok map=1');
  });
});

describe('parse errors name line and column', () => {
  const cases: [string, number, number, RegExp][] = [
    ['r0 = open(0, primary)\nbogus(1)', 2, 1, /unknown call 'bogus'/],
    ['r0 = open(0, primary)\nr1 = dup(r5.fd)', 2, 10, /r5 is not an earlier call/],
    ['r0 = open(0, primary)\nr1 = dup(r0.handle)', 2, 10, /has no output 'handle'/],
    ['r0 = open(0, sideways)', 1, 14, /unknown symbol 'sideways'/],
    ['r0 = open(0)', 1, 13, /takes 2 arguments/],
    ['r3 = open(0, primary)', 1, 1, /label r3 but this is call 0/],
    ['close(3) junk', 1, 10, /unexpected text/],
    ['r0 = open(0, primary)  # => EWHAT', 1, 24, /unknown expected outcome/],
    ['close(0x10000000000000000)', 1, 7, /64 bits/],
  ];
  for (const [src, line, col, re] of cases) {
    it(JSON.stringify(src), () => {
      try {
        parseText(src);
        throw new Error('parsed');
      } catch (e) {
        expect(e).toBeInstanceOf(ParseError);
        const pe = e as ParseError;
        expect([pe.line, pe.col]).toEqual([line, col]);
        expect(pe.reason).toMatch(re);
      }
    });
  }
  it('rejects bad JSON documents', () => {
    expect(() => fromJson('{"format":"x"}')).toThrow(ParseError);
    expect(() => fromJson('{"format":"gemcheck-program/1","calls":[{"op":"dup","args":[{"ref":0,"field":"fd"}]}]}')).toThrow(/not an earlier call/);
  });
});

describe('removing calls keeps programs meaningful', () => {
  it('turns uses of removed calls into invalid values and shifts later references', () => {
    const p = parseText('r0 = open(0, primary)\nr1 = create_dumb(r0.fd, 1, 1, 8, 0)\nr2 = map_dumb(r0.fd, r1.handle)\nr3 = mmap(r0.fd, r2.offset, 4096, PROT_READ, MAP_SHARED)');
    const q = removeCalls(p, new Set([0, 2]));
    expect(validate(q)).toEqual([]);
    expect(q.calls[0].args[0]).toEqual(lit(-1)); // fd of a removed open
    expect(q.calls[1].args[1]).toEqual(lit(0)); // offset of a removed map_dumb
    const r = removeCalls(p, new Set([1]));
    expect(r.calls[1].args).toEqual([ref(0, 'fd'), lit(0)]);
    expect(r.calls[2].args[1]).toEqual(ref(1, 'offset'));
  });
});
