/**
 * fast-check bridge: an Arbitrary<Program> that draws from fuzz/generate.ts with fast-check's
 * random source (so seeds and replay paths work) and shrinks by removing calls.
 */
import fc from 'fast-check';
import { generateProgram, type GenOptions } from '../fuzz/generate.ts';
import { printText } from '../ir/encoding.ts';
import { removeCalls, type Program } from '../ir/program.ts';

function withText(p: Program): Program {
  // fast-check prints counterexamples through this method: show the readable text form
  Object.defineProperty(p, fc.toStringMethod, { value: () => '\n' + printText(p), enumerable: false });
  return p;
}

class ProgramArbitrary extends fc.Arbitrary<Program> {
  constructor(private readonly opts: GenOptions) {
    super();
  }
  generate(mrng: fc.Random): fc.Value<Program> {
    const p = generateProgram({ int: (n) => mrng.nextInt(0, n - 1) }, this.opts);
    return new fc.Value(withText(p), undefined);
  }
  canShrinkWithoutContext(value: unknown): value is Program {
    return typeof value === 'object' && value !== null && Array.isArray((value as Program).calls);
  }
  shrink(value: Program): fc.Stream<fc.Value<Program>> {
    function* candidates(): Generator<fc.Value<Program>> {
      const n = value.calls.length;
      for (let chunk = n >> 1; chunk >= 1; chunk >>= 1)
        for (let start = n - chunk; start >= 0; start -= chunk) {
          const drop = new Set<number>();
          for (let i = start; i < start + chunk; i++) drop.add(i);
          yield new fc.Value(withText(removeCalls(value, drop)), undefined);
        }
    }
    return fc.Stream.of(...candidates());
  }
}

export const programArb = (opts: GenOptions): fc.Arbitrary<Program> => new ProgramArbitrary(opts);
