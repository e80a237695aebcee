/**
 * Two exact, reversible serializations of a Program:
 *  - text: one call per line, `rN = op(arg, ...)` for calls with outputs, `# => ...` expectations;
 *  - JSON: for tools.
 * Parse errors carry line and column. The executor's one-way wire format is in kernel/wire.ts.
 */
import { CALLS, type ArgDesc, type OpName, type SymbolSet, isOp, outDesc } from './calls.ts';
import { lit, ref, validate, type Arg, type Call, type Program, type ProgramMeta } from './program.ts';
import type { Outcome } from './outcome.ts';
import { errnoByName, errnoName, SIGNALS, type SignalName } from './uapi.ts';

export const TEXT_HEADER = '# gemcheck program v1';
export const JSON_FORMAT = 'gemcheck-program/1';

export class ParseError extends Error {
  constructor(
    readonly line: number,
    readonly col: number,
    readonly reason: string,
  ) {
    super(`${line}:${col}: ${reason}`);
  }
}

// ---------------------------------------------------------------- text: print

function printNumber(v: bigint): string {
  if (v < 0n) return `-${printNumber(-v)}`;
  return v >= 0x10000n ? `0x${v.toString(16)}` : v.toString();
}

function printSymbolic(v: bigint, s: SymbolSet): string {
  if (s.style === 'enum') {
    for (const [k, x] of Object.entries(s.names)) if (x === v) return k;
    return printNumber(v);
  }
  if (v === 0n || v < 0n) return printNumber(v);
  const parts: string[] = [];
  let rest = v;
  for (const [k, x] of Object.entries(s.names)) {
    if ((rest & x) === x) {
      parts.push(k);
      rest &= ~x;
    }
  }
  if (rest !== 0n) parts.push(printNumber(rest));
  return parts.join('|');
}

function printArg(a: Arg, d: ArgDesc): string {
  if (a.kind === 'ref') return `r${a.call}.${a.field}`;
  return d.symbols ? printSymbolic(a.value, d.symbols) : printNumber(a.value);
}

export function printOutcome(o: Outcome): string {
  switch (o.status) {
    case 'ok': {
      const fields = Object.entries(o.out).map(([k, v]) => `${k}=${printNumber(v)}`);
      return ['ok', ...fields].join(' ');
    }
    case 'err':
      return errnoName(o.errno);
    case 'sig':
      return o.signal;
    case 'crash':
      return `crash(${JSON.stringify(o.message)})`;
  }
}

export function printCall(c: Call, index: number): string {
  const d = CALLS[c.op];
  const args = c.args.map((a, j) => printArg(a, d.args[j] ?? { name: '?', kind: 'int' })).join(', ');
  const label = d.outs.length ? `r${index} = ` : '';
  const expect = c.expect ? `  # => ${printOutcome(c.expect)}` : '';
  return `${label}${c.op}(${args})${expect}`;
}

export function printText(p: Program): string {
  const lines = [TEXT_HEADER];
  if (p.meta.devices) lines.push(`# devices: ${p.meta.devices.join(' ')}`);
  if (p.meta.profile) lines.push(`# profile: ${p.meta.profile}`);
  p.calls.forEach((c, i) => lines.push(printCall(c, i)));
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- text: parse

class Cursor {
  pos = 0;
  constructor(
    readonly s: string,
    readonly line: number,
  ) {}
  fail(msg: string, at = this.pos): never {
    throw new ParseError(this.line, at + 1, msg);
  }
  ws(): void {
    while (this.pos < this.s.length && (this.s[this.pos] === ' ' || this.s[this.pos] === '\t')) this.pos++;
  }
  peek(): string {
    return this.s[this.pos] ?? '';
  }
  eat(ch: string): boolean {
    this.ws();
    if (this.s.startsWith(ch, this.pos)) {
      this.pos += ch.length;
      return true;
    }
    return false;
  }
  expect(ch: string): void {
    if (!this.eat(ch)) this.fail(`expected '${ch}'`);
  }
  word(): string {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.pos));
    if (!m) this.fail('expected a name');
    this.pos += m[0].length;
    return m[0];
  }
  atEnd(): boolean {
    this.ws();
    return this.pos >= this.s.length;
  }
}

function parseNumberToken(c: Cursor): bigint | undefined {
  c.ws();
  const m = /^-?(0x[0-9a-fA-F]+|[0-9]+)(?![A-Za-z0-9_])/.exec(c.s.slice(c.pos));
  if (!m) return undefined;
  c.pos += m[0].length;
  const neg = m[0].startsWith('-');
  const v = BigInt(neg ? m[0].slice(1) : m[0]);
  if (v > 0xffff_ffff_ffff_ffffn) c.fail('number does not fit in 64 bits', c.pos - m[0].length);
  return neg ? -v : v;
}

function parseArg(c: Cursor, d: ArgDesc, callIndex: number, calls: readonly Call[]): Arg {
  c.ws();
  const start = c.pos;
  const rm = /^r([0-9]+)\.([A-Za-z_][A-Za-z0-9_]*)/.exec(c.s.slice(c.pos));
  if (rm) {
    c.pos += rm[0].length;
    const k = Number(rm[1]);
    if (k >= callIndex) c.fail(`r${k} is not an earlier call`, start);
    if (!outDesc(calls[k].op, rm[2])) c.fail(`${calls[k].op} (r${k}) has no output '${rm[2]}'`, start);
    return ref(k, rm[2]);
  }
  // literal: number or symbols joined by '|'
  let value = 0n;
  for (;;) {
    const n = parseNumberToken(c);
    if (n !== undefined) value |= n;
    else {
      c.ws();
      const at = c.pos;
      const w = /^[A-Za-z_][A-Za-z0-9_]*/.exec(c.s.slice(c.pos));
      if (!w) c.fail(`expected a value for '${d.name}'`);
      const sym = d.symbols?.names[w[0]];
      if (sym === undefined) c.fail(`unknown symbol '${w[0]}' for '${d.name}'`, at);
      c.pos += w[0].length;
      value |= sym;
    }
    if (!c.eat('|')) break;
  }
  return lit(value);
}

function parseOutcome(text: string, line: number, col: number, op: Call['op']): Outcome {
  const words = text.trim().split(/\s+/);
  const head = words[0] ?? '';
  const fail = (m: string): never => {
    throw new ParseError(line, col, m);
  };
  if (head === 'ok') {
    const out: Record<string, bigint> = {};
    for (const w of words.slice(1)) {
      const m = /^([A-Za-z_]+)=(-?(?:0x[0-9a-fA-F]+|[0-9]+))$/.exec(w);
      if (!m) fail(`bad expected field '${w}'`);
      if (!outDesc(op, m![1])) fail(`${op} has no output '${m![1]}'`);
      const neg = m![2].startsWith('-');
      const v = BigInt(neg ? m![2].slice(1) : m![2]);
      out[m![1]] = neg ? -v : v;
    }
    return { status: 'ok', out };
  }
  if ((SIGNALS as readonly string[]).includes(head)) return { status: 'sig', signal: head as SignalName };
  const e = errnoByName(head) ?? (/^E#([0-9]+)$/.exec(head) ? Number(head.slice(2)) : undefined);
  if (e === undefined) return fail(`unknown expected outcome '${head}'`);
  if (words.length > 1) fail('unexpected text after the errno');
  return { status: 'err', errno: e };
}

function parseCallLine(raw: string, lineNo: number, calls: Call[]): Call {
  const hash = raw.indexOf('#');
  const body = hash >= 0 ? raw.slice(0, hash) : raw;
  const c = new Cursor(body, lineNo);
  const index = calls.length;
  c.ws();
  const lm = /^r([0-9]+)\s*=/.exec(body.slice(c.pos));
  if (lm) {
    if (Number(lm[1]) !== index) c.fail(`label r${lm[1]} but this is call ${index}`);
    c.pos += lm[0].length;
  }
  const opAt = (c.ws(), c.pos);
  const word = c.word();
  if (!isOp(word)) c.fail(`unknown call '${word}'`, opAt);
  const op = word as OpName;
  const d = CALLS[op];
  if (lm && d.outs.length === 0) c.fail(`${op} has no outputs to label`, 0);
  c.expect('(');
  const args: Arg[] = [];
  if (!c.eat(')')) {
    for (;;) {
      if (args.length >= d.args.length) c.fail(`${op} takes ${d.args.length} arguments`);
      args.push(parseArg(c, d.args[args.length], index, calls));
      if (c.eat(')')) break;
      c.expect(',');
    }
  }
  if (args.length !== d.args.length) c.fail(`${op} takes ${d.args.length} arguments, got ${args.length}`);
  if (!c.atEnd()) c.fail('unexpected text after the call');
  let expect: Outcome | undefined;
  if (hash >= 0) {
    const m = /^#\s*=>\s*(.*)$/.exec(raw.slice(hash));
    if (m) expect = parseOutcome(m[1], lineNo, hash + 1, op);
  }
  return expect ? { op, args, expect } : { op, args };
}

export function parseText(src: string): Program {
  const meta: { devices?: string[]; profile?: string } = {};
  const calls: Call[] = [];
  src.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    const t = raw.trim();
    if (t === '') return;
    if (t.startsWith('#')) {
      const m = /^#\s*(devices|profile)\s*:\s*(.*)$/.exec(t);
      if (m && m[1] === 'devices') meta.devices = m[2].split(/[\s,]+/).filter(Boolean);
      if (m && m[1] === 'profile') meta.profile = m[2].trim();
      return;
    }
    calls.push(parseCallLine(raw, lineNo, calls));
  });
  return { meta, calls };
}

// ---------------------------------------------------------------- JSON

type JsonArg = number | { lit: string } | { ref: number; field: string };
type JsonOutcome =
  | { status: 'ok'; out: Record<string, string> }
  | { status: 'err'; errno: number }
  | { status: 'sig'; signal: string }
  | { status: 'crash'; message: string };

function argToJson(a: Arg): JsonArg {
  if (a.kind === 'ref') return { ref: a.call, field: a.field };
  const n = Number(a.value);
  return Number.isSafeInteger(n) ? n : { lit: a.value.toString() };
}

function outcomeToJson(o: Outcome): JsonOutcome {
  if (o.status !== 'ok') return o;
  return { status: 'ok', out: Object.fromEntries(Object.entries(o.out).map(([k, v]) => [k, v.toString()])) };
}

export function toJson(p: Program): string {
  return JSON.stringify({
    format: JSON_FORMAT,
    meta: p.meta,
    calls: p.calls.map((c) => ({
      op: c.op,
      args: c.args.map(argToJson),
      ...(c.expect ? { expect: outcomeToJson(c.expect) } : {}),
    })),
  });
}

export function fromJson(src: string): Program {
  let doc: unknown;
  try {
    doc = JSON.parse(src);
  } catch (e) {
    throw new ParseError(1, 1, `invalid JSON: ${(e as Error).message}`);
  }
  const d = doc as { format?: unknown; meta?: ProgramMeta; calls?: unknown };
  const bad = (i: number, m: string): never => {
    throw new ParseError(1, 1, `calls[${i}]: ${m}`);
  };
  if (d?.format !== JSON_FORMAT || !Array.isArray(d.calls)) throw new ParseError(1, 1, `not a ${JSON_FORMAT} document`);
  const calls: Call[] = (d.calls as unknown[]).map((raw, i) => {
    const c = raw as { op?: unknown; args?: unknown; expect?: JsonOutcome };
    if (typeof c.op !== 'string' || !isOp(c.op)) return bad(i, `unknown op ${JSON.stringify(c.op)}`);
    if (!Array.isArray(c.args)) return bad(i, 'args must be an array');
    const args = (c.args as JsonArg[]).map((a): Arg => {
      if (typeof a === 'number' && Number.isSafeInteger(a)) return lit(a);
      if (a && typeof a === 'object' && 'lit' in a && /^-?[0-9]+$/.test(a.lit)) return lit(BigInt(a.lit));
      if (a && typeof a === 'object' && 'ref' in a && typeof a.field === 'string') return ref(a.ref, a.field);
      return bad(i, `bad argument ${JSON.stringify(a)}`);
    });
    let expect: Outcome | undefined;
    if (c.expect) {
      const e = c.expect;
      if (e.status === 'ok') expect = { status: 'ok', out: Object.fromEntries(Object.entries(e.out).map(([k, v]) => [k, BigInt(v)])) };
      else if (e.status === 'err' && typeof e.errno === 'number') expect = e;
      else if (e.status === 'sig' && (SIGNALS as readonly string[]).includes(e.signal)) expect = { status: 'sig', signal: e.signal as SignalName };
      else return bad(i, 'bad expect');
    }
    return expect ? { op: c.op, args, expect } : { op: c.op, args };
  });
  const p: Program = { meta: d.meta ?? {}, calls };
  const errs = validate(p);
  if (errs.length) throw new ParseError(1, 1, errs[0]);
  return p;
}

/** Parses either serialization (JSON if it starts with '{'). */
export function parseProgram(src: string): Program {
  return src.trimStart().startsWith('{') ? fromJson(src) : parseText(src);
}
