/**
 * For the self-check tests: a program (text form) run on a live ImplSession that stays open,
 * so a test can corrupt impl's state directly and ask which invariants the checks name.
 */
import { expect } from 'vitest';
import { DEFAULT_DEVICES, type DeviceName } from '../../ir/devices.ts';
import { parseText } from '../../ir/encoding.ts';
import type { Outcome } from '../../ir/outcome.ts';
import { resolveArgs } from '../../ir/resolve.ts';
import { DEFAULT_PROFILE, PROFILES, type ProfileName, type Violation } from '../../ir/target.ts';
import type { DrmFile } from '../core/drm_file.ts';
import type { GemObject } from '../core/drm_gem.ts';
import type { Vma } from '../core/mm.ts';
import type { FaultName } from '../faults.ts';
import { ImplSession } from '../process.ts';
import { selfCheck } from './index.ts';

export interface Fixture {
  readonly s: ImplSession;
  readonly out: readonly Outcome[];
  /** the object behind handle `h` of fd `fd` */
  obj(fd: number, h: number): GemObject;
  /** the DRM file of fd `fd` */
  file(fd: number): DrmFile;
  vma(id: number): Vma;
}

export interface FixtureOptions {
  readonly devices?: readonly DeviceName[];
  readonly profile?: ProfileName;
  readonly faults?: readonly FaultName[];
}

/** Runs `src`; every call must succeed unless it says `# may fail`. */
export function run(src: string, o: FixtureOptions = {}): Fixture {
  const p = parseText(src);
  const s = new ImplSession({ profile: PROFILES[o.profile ?? DEFAULT_PROFILE], devices: o.devices ?? DEFAULT_DEVICES }, new Set(o.faults ?? []));
  const out: Outcome[] = [];
  p.calls.forEach((c, i) => out.push(s.exec(c.op, resolveArgs(p, i, out))));
  const file = (fd: number) => s.fds.lookup(fd)!.priv as DrmFile;
  return {
    s,
    out,
    file,
    obj: (fd, h) => file(fd).objectIdr.find(h)!,
    vma: (id) => s.mm.vmas.get(id)!,
  };
}

export const names = (vs: readonly Violation[]): string[] => [...new Set(vs.map((v) => v.invariant))];

/** The program's state is clean: no self-check fires. */
export function expectClean(f: Fixture): void {
  expect(selfCheck(f.s)).toEqual([]);
}

/** After a corruption: the named invariant is among those reported. */
export function expectViolation(f: Fixture, invariant: string, message?: RegExp): void {
  const vs = selfCheck(f.s);
  expect(names(vs)).toContain(invariant);
  if (message) expect(vs.filter((v) => v.invariant === invariant).map((v) => v.message).join('\n')).toMatch(message);
}
