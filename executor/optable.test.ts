// The C executor's op table (gemcheck-exec.c) is a copy of the TS call table (ir/calls.ts) —
// every call of every uapi, also those of devices the VM lacks (amdgpu, NVDLA), so a C repro
// of any program runs every call — and PROTOCOL.md's call table documents both. These tests
// parse the C source and the markdown and prove the three agree — op names, argument counts, which arguments are fds (the
// harness fd rule), output fields and their order, and which fields are signed fds that
// resolve to -1 when their producer failed — so a call added on one side only fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALLS, type CallDesc } from '../ir/calls.ts';
import { DEVICE_NAMES, type DeviceName } from '../ir/devices.ts';
import { seededRand } from '../fuzz/rand.ts';
import { generateProgram, uapiOf } from '../fuzz/generate.ts';
import { encodeProgram } from '../kernel/encode.ts';

const here = import.meta.dirname;
const C_SOURCE = readFileSync(join(here, 'gemcheck-exec.c'), 'utf8');
const PROTOCOL = readFileSync(join(here, 'PROTOCOL.md'), 'utf8');

interface COp {
  readonly name: string;
  readonly nargs: number;
  readonly outs: readonly string[];
  readonly fdArgs: number;
}

interface CTable {
  readonly ops: readonly COp[];
  readonly enumOps: readonly string[];
  readonly fields: readonly string[];
  readonly maxArgs: number;
  readonly maxOuts: number;
  /** fields resolve() turns into UINT64_MAX (-1) when the producer failed */
  readonly minusOne: readonly string[];
  /** fields report_result prints signed */
  readonly signed: readonly string[];
}

function match(src: string, re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(src);
  if (!m) throw new Error(`gemcheck-exec.c: ${what} not found`);
  return m;
}

/** The executor's call table, read from its C source. */
export function parseCTable(src: string): CTable {
  const fieldEnum = match(src, /enum field \{([^}]*)\}/, 'enum field')[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^F_[A-Z0-9_]+$/.test(s) && s !== 'F_COUNT');
  const fieldNames = [...match(src, /field_names\[F_COUNT\] = \{([^}]*)\}/, 'field_names')[1].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
  const fieldOf = (f: string) => {
    const i = fieldEnum.indexOf(f.trim());
    if (i < 0) throw new Error(`unknown field ${f}`);
    return fieldNames[i];
  };
  const enumOps = match(src, /enum op \{([^}]*)\}/, 'enum op')[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'OP_COUNT');
  const body = match(src, /struct opdesc ops\[OP_COUNT\] = \{([\s\S]*?)\n\};/, 'ops table')[1];
  const ops: COp[] = [];
  for (const m of body.matchAll(/\[(OP_[A-Z0-9_]+)\] = \{"([a-z_0-9]+)", (\d+), (\d+), \{([^}]*)\}, (\d+)\}/g)) {
    const nouts = Number(m[4]);
    const outs = m[5].split(',').slice(0, nouts).map(fieldOf);
    ops.push({ name: m[2], nargs: Number(m[3]), outs, fdArgs: Number(m[6]) });
  }
  const fieldsIn = (expr: string) => [...expr.matchAll(/F_[A-Z0-9_]+/g)].map((m) => fieldOf(m[0]));
  return {
    ops,
    enumOps,
    fields: fieldNames,
    maxArgs: Number(match(src, /#define MAX_ARGS (\d+)/, 'MAX_ARGS')[1]),
    maxOuts: Number(match(src, /#define MAX_OUTS (\d+)/, 'MAX_OUTS')[1]),
    minusOne: fieldsIn(match(src, /return ((?:a->ref_field == F_[A-Z_]+(?: \|\| )?)+) \? UINT64_MAX : 0;/, "resolve's invalid value")[1]),
    signed: fieldsIn(match(src, /if \(((?:f == F_[A-Z_]+(?: \|\| )?)+)\)\s*\n\s*n \+= snprintf\(line \+ n, sizeof line - \(size_t\)n, " %s=%" PRId64/, "report_result's signed fields")[1]),
  };
}

/** Bit j set: argument j is a file descriptor (the executor's harness fd rule applies). */
function fdMask(d: CallDesc): number {
  return d.args.reduce((m, a, j) => (a.kind === 'fd' || a.kind === 'dmabuf' ? m | (1 << j) : m), 0);
}

/** Every way the C table and the TS table disagree; empty when they agree. */
export function compareTables(c: CTable, calls: Readonly<Record<string, CallDesc>>): string[] {
  const errs: string[] = [];
  const ts = Object.entries(calls);
  const cByName = new Map(c.ops.map((o) => [o.name, o]));
  for (const [op] of ts) if (!cByName.has(op)) errs.push(`${op}: in ir/calls.ts, not in the executor`);
  for (const o of c.ops) if (!calls[o.name]) errs.push(`${o.name}: in the executor, not in ir/calls.ts`);
  if (c.enumOps.length !== c.ops.length) errs.push(`enum op has ${c.enumOps.length} ops, the table ${c.ops.length}`);
  for (const [op, d] of ts) {
    const o = cByName.get(op);
    if (!o) continue;
    if (o.nargs !== d.args.length) errs.push(`${op}: executor takes ${o.nargs} args, ir/calls.ts ${d.args.length}`);
    const outs = d.outs.map((x) => x.name);
    if (o.outs.join(' ') !== outs.join(' ')) errs.push(`${op}: executor outputs [${o.outs.join(' ')}], ir/calls.ts [${outs.join(' ')}]`);
    if (o.fdArgs !== fdMask(d)) errs.push(`${op}: executor fd_args ${o.fdArgs}, ir/calls.ts ${fdMask(d)}`);
    if (d.args.length > c.maxArgs) errs.push(`${op}: ${d.args.length} args > MAX_ARGS ${c.maxArgs}`);
    if (d.outs.length > c.maxOuts) errs.push(`${op}: ${d.outs.length} outputs > MAX_OUTS ${c.maxOuts}`);
    for (const x of d.outs) {
      if (!c.fields.includes(x.name)) errs.push(`${op}.${x.name}: not an executor field`);
      // C resolves and prints by field name, TS by kind: fd-kind outputs must be the fd fields
      const fdKind = x.kind === 'fd' || x.kind === 'dmabuf';
      if (fdKind !== c.minusOne.includes(x.name)) errs.push(`${op}.${x.name}: kind ${x.kind} but the executor resolves a failed one to ${c.minusOne.includes(x.name) ? '-1' : '0'}`);
      if (fdKind !== c.signed.includes(x.name)) errs.push(`${op}.${x.name}: kind ${x.kind} but the executor prints it ${c.signed.includes(x.name) ? 'signed' : 'unsigned'}`);
    }
  }
  return errs;
}

/** PROTOCOL.md's "## Calls" table: op → argument names and output names. */
function parseProtocolTable(md: string): Map<string, { args: string[]; outs: string[] }> {
  const start = md.indexOf('## Calls');
  const rest = md.slice(start + 1);
  const next = rest.search(/\n##? /);
  const section = next < 0 ? rest : rest.slice(0, next);
  const rows = new Map<string, { args: string[]; outs: string[] }>();
  for (const line of section.split('\n')) {
    const m = /^\| ([a-z_0-9]+) \| ([^|]*) \| ([^|]*) \|/.exec(line);
    if (!m || m[1] === 'op') continue;
    const words = (s: string) => s.trim().split(/\s+/).filter((w) => w && w !== '–');
    rows.set(m[1], { args: words(m[2]), outs: words(m[3]) });
  }
  return rows;
}

describe('executor op table ≡ ir/calls.ts', () => {
  const c = parseCTable(C_SOURCE);

  it('parses the whole C table', () => {
    expect(c.ops.length).toBeGreaterThan(0);
    expect(c.ops.length).toBe(c.enumOps.length);
    expect([...c.minusOne].sort()).toEqual(['dmabuf', 'fd']);
  });

  it('same ops, argument counts, fd arguments, output fields and their order, fd fields', () => {
    expect(compareTables(c, CALLS)).toEqual([]);
  });

  it('would fail on a call added on one side only', () => {
    const extra: CallDesc = { uapi: 'vgem', weight: 1, args: [{ name: 'fd', kind: 'fd' }], outs: [], doc: 'test' };
    expect(compareTables(c, { ...CALLS, new_ioctl: extra })).toEqual(['new_ioctl: in ir/calls.ts, not in the executor']);
    const dropped = C_SOURCE.replace(/\n {2}\[OP_RO_CREATE\][^\n]*/, '');
    expect(compareTables(parseCTable(dropped), CALLS)).toContain('ro_create: in ir/calls.ts, not in the executor');
    const reordered = C_SOURCE.replace('{F_HANDLE, F_PITCH, F_SIZE}', '{F_HANDLE, F_SIZE, F_PITCH}');
    expect(compareTables(parseCTable(reordered), CALLS)).toEqual(['create_dumb: executor outputs [handle size pitch], ir/calls.ts [handle pitch size]']);
  });

  it('every call of every uapi (core, vgem, amdgpu, nvdla) has an executor op: no `unknown op` for any program', () => {
    const ops = new Set(c.ops.map((o) => o.name));
    const missing = Object.keys(CALLS).filter((op) => !ops.has(op));
    expect(missing).toEqual([]);
    for (const uapi of new Set(Object.values(CALLS).map((d) => d.uapi))) expect([...ops].some((o) => CALLS[o as keyof typeof CALLS]?.uapi === uapi), uapi).toBe(true);
  });

  it('the encoder sends every argument of every call: generated programs on every device parse against the C table', () => {
    const byName = new Map(c.ops.map((o) => [o.name, o]));
    const fieldOk = new Set(c.fields);
    const seen = new Set<string>();
    for (const d of DEVICE_NAMES) {
      const devices: DeviceName[] = [d, d];
      for (let i = 0; i < 150; i++) {
        const p = generateProgram(seededRand(`optable:${d}:${i}`), { maxCalls: 24, devices: 2, uapi: uapiOf(devices) }, { devices });
        encodeProgram(p).forEach((line, k) => {
          const [op, ...args] = line.split(' ');
          const o = byName.get(op);
          expect(o, `${d} program ${i} call ${k}: ${line}`).toBeDefined();
          expect(args.length, line).toBe(o!.nargs);
          expect(args.length, line).toBe(CALLS[op as keyof typeof CALLS].args.length);
          for (const a of args) {
            const ref = /^r(\d+)\.([a-z_]+)$/.exec(a);
            if (ref) {
              expect(Number(ref[1])).toBeLessThan(k);
              expect(fieldOk.has(ref[2]), `${line}: field ${ref[2]}`).toBe(true);
            } else expect(a, line).toMatch(/^-?\d+$/);
          }
          seen.add(op);
        });
      }
    }
    // the generated programs reach every call of the language
    expect(Object.keys(CALLS).filter((op) => !seen.has(op))).toEqual([]);
  });

  it('PROTOCOL.md documents the same calls, arguments and outputs', () => {
    const doc = parseProtocolTable(PROTOCOL);
    expect([...doc.keys()].sort()).toEqual(Object.keys(CALLS).sort());
    for (const [op, d] of Object.entries(CALLS) as [string, CallDesc][]) {
      expect(doc.get(op)?.args, op).toEqual(d.args.map((a) => a.name));
      expect(doc.get(op)?.outs, op).toEqual(d.outs.map((o) => o.name));
    }
  });
});
