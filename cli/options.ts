/** Flag and file validation: every problem is a UsageError naming the flag or file:line:col. */
import { readFileSync } from 'node:fs';
import { parseDevices, type DeviceList } from '../ir/devices.ts';
import { ParseError, parseProgram } from '../ir/encoding.ts';
import type { Program } from '../ir/program.ts';
import { isProfileName, PROFILES, type ProfileName } from '../ir/target.ts';
import { FAULTS, isFaultName, type FaultName } from '../impl/faults.ts';
import { UsageError } from './usage.ts';

export function loadProgram(file: string): Program {
  let src: string;
  try {
    src = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
  let p: Program;
  try {
    p = parseProgram(src, { checkFault: (f) => (isFaultName(f) ? null : unknownFault(f)) });
  } catch (e) {
    if (e instanceof ParseError) throw new UsageError(`${file}:${e.where}: ${e.reason}`);
    throw e;
  }
  if (!p.calls.length) {
    // located where a call was expected: the end of the file, or the JSON calls array
    const where = src.trimStart().startsWith('{') ? '$.calls' : `${src.split(/\r?\n/).length}:1`;
    throw new UsageError(`${file}:${where}: no calls (an empty program checks nothing)`);
  }
  return p;
}

export function profileOpt(v: string | undefined): ProfileName | undefined {
  if (v === undefined) return undefined;
  if (!isProfileName(v)) throw new UsageError(`--profile: unknown profile '${v}' (known: ${Object.keys(PROFILES).join(', ')})`);
  return v;
}

const unknownFault = (f: string): string => `unknown fault '${f}' (known: ${Object.keys(FAULTS).join(', ')})`;

export function faultsOpt(v: readonly string[] | undefined, where = '--fault'): Set<FaultName> {
  const out = new Set<FaultName>();
  for (const f of (v ?? []).flatMap((x) => x.split(',')).filter(Boolean)) {
    if (!isFaultName(f)) throw new UsageError(`${where}: ${unknownFault(f)}`);
    out.add(f);
  }
  return out;
}

/** --device: names, with parameters (`name:key=value`), by index. */
export function devicesOpt(v: readonly string[] | undefined): DeviceList | undefined {
  if (!v) return undefined;
  const d = parseDevices(v.join(' '));
  if (typeof d === 'string') throw new UsageError(`--device: ${d}`);
  return d;
}

/** A count: a decimal integer in [min, Number.MAX_SAFE_INTEGER]. */
export function intOpt(name: string, v: string | undefined, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`${name}: expected a non-negative integer, got '${v}'`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${name}: ${v} is too large (at most ${Number.MAX_SAFE_INTEGER})`);
  if (n < min) throw new UsageError(`${name}: must be at least ${min}, got ${n}`);
  return n;
}

/** Seeds are any printable text (they name saved files only through a slug). */
export function seedOpt(v: string): string {
  if (!v.length) throw new UsageError('--seed: empty');
  if (v.length > 200) throw new UsageError(`--seed: longer than 200 characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new UsageError('--seed: control characters are not allowed');
  return v;
}
