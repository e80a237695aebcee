/**
 * Two exact, reversible serializations of a Program:
 *  - text: one call per line, `rN = op(arg, ...)` for calls with outputs, `# => ...` expectations;
 *  - JSON: for tools.
 * Parse errors carry line and column. The executor's one-way wire format is in kernel/wire.ts.
 */
import { CALLS, type ArgDesc, type OpName, type SymbolSet, isOp, outDesc } from './calls.ts';
import { lit, ref, type Arg, type Call, type Program, type ProgramMeta } from './program.ts';
import type { Outcome } from './outcome.ts';
import { errnoByName, errnoName, SIGNALS, type SignalName } from './uapi.ts';
import { parseDevices, printDevices } from './devices.ts';
import { isProfileName, PROFILES, type ProfileName } from './target.ts';

const TEXT_VERSION = '1';
export const TEXT_HEADER = `# gemcheck program v${TEXT_VERSION}`;
export const JSON_FORMAT = 'gemcheck-program/1';

/** A located parse error: `line:col` in text, a JSON path (`$.calls[0].args[1]`) in JSON. */
export class ParseError extends Error {
  readonly where: string;
  constructor(
    readonly line: number,
    readonly col: number,
    readonly reason: string,
    jsonPath?: string,
  ) {
    const where = jsonPath ?? `${line}:${col}`;
    super(`${where}: ${reason}`);
    this.where = where;
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
  if (p.meta.command !== undefined) lines.push(`# command: ${oneLine(p.meta.command)}`);
  if (p.meta.signature !== undefined) lines.push(`# signature: ${oneLine(p.meta.signature)}`);
  if (p.meta.devices) lines.push(`# devices: ${printDevices({ devices: p.meta.devices, params: p.meta.deviceParams })}`);
  if (p.meta.profile) lines.push(`# profile: ${p.meta.profile}`);
  if (p.meta.faults?.length) lines.push(`# faults: ${p.meta.faults.join(' ')}`);
  p.calls.forEach((c, i) => lines.push(printCall(c, i)));
  return lines.join('\n') + '\n';
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');

/** Own keys only: a name like `constructor` or `toString` is not a symbol, errno or field. */
const own = <T>(o: Readonly<Record<string, T>> | undefined, k: string): T | undefined => (o && Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

const argCount = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;

/** How parsing checks fault names, which ir/ does not know (the tool passes impl's list). */
export interface ParseOptions {
  /** why `name` is not a fault switch, or null */
  readonly checkFault?: (name: string) => string | null;
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
      const sym = own(d.symbols?.names, w[0]);
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
  const byName = errnoByName(head);
  const e = typeof byName === 'number' ? byName : /^E#[0-9]+$/.test(head) ? Number(head.slice(2)) : undefined;
  if (e === undefined || !Number.isSafeInteger(e) || e <= 0) return fail(head ? `unknown expected outcome '${head}'` : 'empty expectation after \'# =>\'');
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
      if (args.length >= d.args.length) c.fail(`${op} takes ${argCount(d.args.length)}`);
      args.push(parseArg(c, d.args[args.length], index, calls));
      if (c.eat(')')) break;
      if (!c.eat(',')) c.fail(args.length < d.args.length ? "expected ',' or ')'" : "expected ')'");
    }
  }
  if (args.length !== d.args.length) c.fail(`${op} takes ${argCount(d.args.length)}, got ${args.length}`);
  if (!c.atEnd()) c.fail('unexpected text after the call');
  let expect: Outcome | undefined;
  if (hash >= 0) {
    const m = /^#\s*=>\s*(.*)$/.exec(raw.slice(hash));
    if (m) expect = parseOutcome(m[1], lineNo, hash + 1, op);
  }
  return expect ? { op, args, expect } : { op, args };
}

type MutableMeta = { -readonly [K in keyof ProgramMeta]: ProgramMeta[K] };

/** Header lines: `# key: value`. Unknown keys are comments; known keys are checked. */
function parseHeader(meta: MutableMeta, t: string, lineNo: number, lead: number, o: ParseOptions): void {
  const v = /^#\s*gemcheck program v([0-9]+)\s*$/.exec(t);
  if (v) {
    if (v[1] !== TEXT_VERSION) throw new ParseError(lineNo, lead + 1, `unsupported program format v${v[1]} (this gemcheck reads v${TEXT_VERSION})`);
    return;
  }
  const m = /^#\s*(devices|profile|faults|command|signature)\s*:(\s*)(.*)$/.exec(t);
  if (!m) return;
  const col = lead + t.indexOf(':') + 1 + m[2].length + 1;
  const value = m[3].trim();
  const once = (k: keyof ProgramMeta) => {
    if (meta[k] !== undefined) throw new ParseError(lineNo, lead + 1, `second '# ${k}:' header`);
  };
  once(m[1] as keyof ProgramMeta);
  switch (m[1]) {
    case 'devices': {
      const d = parseDevices(value);
      if (typeof d === 'string') throw new ParseError(lineNo, col, `# devices: ${d}`);
      meta.devices = d.devices;
      if (d.params) meta.deviceParams = d.params;
      return;
    }
    case 'profile':
      if (!isProfileName(value)) throw new ParseError(lineNo, col, `# profile: unknown profile '${value}' (known: ${Object.keys(PROFILES).join(', ')})`);
      meta.profile = value;
      return;
    case 'faults': {
      const names = value.split(/[\s,]+/).filter(Boolean);
      for (const f of names) {
        const why = o.checkFault?.(f);
        if (why) throw new ParseError(lineNo, col + value.indexOf(f), `# faults: ${why}`);
      }
      meta.faults = names;
      return;
    }
    case 'command':
      meta.command = value;
      return;
    case 'signature':
      meta.signature = value;
  }
}

export function parseText(src: string, o: ParseOptions = {}): Program {
  const meta: MutableMeta = {};
  const calls: Call[] = [];
  src.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    const t = raw.trim();
    if (t === '') return;
    if (t.startsWith('#')) return parseHeader(meta, t, lineNo, raw.length - raw.trimStart().length, o);
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

/** The JSON meta: device parameters ride inside `devices`, as in the text header. */
function jsonMetaOf(m: ProgramMeta): Record<string, unknown> {
  const { deviceParams, ...rest } = m;
  if (!m.devices || !deviceParams) return rest;
  return { ...rest, devices: printDevices({ devices: m.devices, params: deviceParams }).split(' ') };
}

export function toJson(p: Program): string {
  return JSON.stringify({
    format: JSON_FORMAT,
    meta: jsonMetaOf(p.meta),
    calls: p.calls.map((c) => ({
      op: c.op,
      args: c.args.map(argToJson),
      ...(c.expect ? { expect: outcomeToJson(c.expect) } : {}),
    })),
  });
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const INT = /^-?(0x[0-9a-fA-F]+|[0-9]+)$/;

/** A decimal or hex integer string (or a safe JSON integer) within 64 bits, or undefined. */
function jsonInt(x: unknown): bigint | undefined {
  let v: bigint;
  if (typeof x === 'number' && Number.isSafeInteger(x)) v = BigInt(x);
  else if (typeof x === 'string' && INT.test(x)) v = x.startsWith('-') ? -BigInt(x.slice(1)) : BigInt(x);
  else return undefined;
  return v > 0xffff_ffff_ffff_ffffn || v < -0x8000_0000_0000_0000n ? undefined : v;
}

function jsonOutcome(e: unknown, op: OpName, at: string): Outcome {
  const fail = (m: string): never => {
    throw new ParseError(1, 1, m, at);
  };
  if (!isObj(e)) return fail('expect must be an object');
  if (e.status === 'ok') {
    if (!isObj(e.out)) return fail('expect.out must be an object');
    const out: Record<string, bigint> = {};
    for (const [k, v] of Object.entries(e.out)) {
      if (!outDesc(op, k)) fail(`${op} has no output '${k}'`);
      const n = jsonInt(v);
      if (n === undefined) fail(`expect.out.${k}: not an integer: ${JSON.stringify(v)}`);
      out[k] = n!;
    }
    return { status: 'ok', out };
  }
  if (e.status === 'err' && typeof e.errno === 'number' && Number.isInteger(e.errno) && e.errno > 0) return { status: 'err', errno: e.errno };
  if (e.status === 'sig' && typeof e.signal === 'string' && (SIGNALS as readonly string[]).includes(e.signal)) return { status: 'sig', signal: e.signal as SignalName };
  return fail(`bad expect ${JSON.stringify(e)}`);
}

function jsonMeta(m: unknown, o: ParseOptions): ProgramMeta {
  const fail = (m: string, at: string): never => {
    throw new ParseError(1, 1, m, at);
  };
  if (m === undefined) return {};
  if (!isObj(m)) return fail('meta must be an object', '$.meta');
  const meta: MutableMeta = {};
  for (const [k, v] of Object.entries(m)) {
    const at = `$.meta.${k}`;
    if (k === 'devices') {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail('devices must be an array of names', at);
      const d = parseDevices((v as string[]).join(' '));
      if (typeof d === 'string') return fail(d, at);
      meta.devices = d.devices;
      if (d.params) meta.deviceParams = d.params;
    } else if (k === 'deviceParams') {
      // carried inside `devices` (name:key=value); the JSON form keeps it there too
      fail('device parameters go in devices as "name:key=value"', at);
    } else if (k === 'profile') {
      if (typeof v !== 'string' || !isProfileName(v)) fail(`unknown profile ${JSON.stringify(v)} (known: ${Object.keys(PROFILES).join(', ')})`, at);
      meta.profile = v as ProfileName;
    } else if (k === 'faults') {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail('faults must be an array of names', at);
      (v as string[]).forEach((f, j) => {
        const why = o.checkFault?.(f);
        if (why) fail(why, `${at}[${j}]`);
      });
      meta.faults = v as string[];
    } else if (k === 'command' || k === 'signature') {
      if (typeof v !== 'string') fail(`${k} must be a string`, at);
      meta[k] = v as string;
    } else fail(`unknown meta field '${k}'`, at);
  }
  return meta;
}

/**
 * The offset of the first JSON syntax error in `src` (JSON.parse does not always say where:
 * "Unexpected token 'x', ... is not valid JSON"), and what was expected there.
 */
function jsonSyntaxError(src: string): { at: number; expected: string } {
  let i = 0;
  class Stop {
    constructor(readonly expected: string) {}
  }
  const ws = () => {
    while (i < src.length && ' \t\r\n'.includes(src[i])) i++;
  };
  const lit = (w: string) => {
    if (!src.startsWith(w, i)) throw new Stop('a value');
    i += w.length;
  };
  const str = () => {
    if (src[i] !== '"') throw new Stop('a string');
    i++;
    for (;;) {
      if (i >= src.length || src.charCodeAt(i) < 0x20) throw new Stop('the end of the string');
      const ch = src[i++];
      if (ch === '"') return;
      if (ch === '\\') {
        const e = src[i++] ?? '';
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(src.slice(i, i + 4))) throw new Stop('four hex digits');
          i += 4;
        } else if (!'"\\/bfnrt'.includes(e) || e === '') {
          i--;
          throw new Stop('an escape character');
        }
      }
    }
  };
  const num = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i));
    if (!m) throw new Stop('a value');
    i += m[0].length;
  };
  const key = () => {
    ws();
    str();
    ws();
    if (src[i] !== ':') throw new Stop("':'");
    i++;
  };
  // iterative (a file may nest deeper than the stack): the open containers
  const value = (): void => {
    const open: string[] = [];
    for (;;) {
      ws();
      const ch = src[i];
      if (ch === '{' || ch === '[') {
        i++;
        ws();
        const close = ch === '{' ? '}' : ']';
        if (src[i] !== close) {
          open.push(close);
          if (ch === '{') key();
          continue;
        }
        i++;
      } else if (ch === '"') str();
      else if (ch === 't') lit('true');
      else if (ch === 'f') lit('false');
      else if (ch === 'n') lit('null');
      else num();
      // a value ended: close what it ends, or go on to the next element
      for (;;) {
        const close = open[open.length - 1];
        if (close === undefined) return;
        ws();
        if (src[i] === close) {
          i++;
          open.pop();
          continue;
        }
        if (src[i] !== ',') throw new Stop(`',' or '${close}'`);
        i++;
        if (close === '}') key();
        break;
      }
    }
  };
  try {
    value();
    ws();
    if (i < src.length) throw new Stop('the end of the document');
  } catch (e) {
    if (e instanceof Stop) return { at: i, expected: e.expected };
    throw e;
  }
  return { at: src.length, expected: 'valid JSON' };
}

export function fromJson(src: string, o: ParseOptions = {}): Program {
  let doc: unknown;
  try {
    doc = JSON.parse(src);
  } catch {
    const { at, expected } = jsonSyntaxError(src);
    const before = src.slice(0, at).split(/\r?\n/);
    const found = at < src.length ? `${JSON.stringify(src[at])}` : 'the end of the file';
    throw new ParseError(before.length, before[before.length - 1].length + 1, `invalid JSON: expected ${expected}, found ${found}`);
  }
  if (!isObj(doc) || doc.format !== JSON_FORMAT) throw new ParseError(1, 1, `not a ${JSON_FORMAT} document (want {"format": "${JSON_FORMAT}", "calls": [...]})`, '$');
  if (!Array.isArray(doc.calls)) throw new ParseError(1, 1, 'calls must be an array', '$.calls');
  const meta = jsonMeta(doc.meta, o);
  const calls: Call[] = [];
  (doc.calls as unknown[]).forEach((c, i) => {
    const at = `$.calls[${i}]`;
    const bad = (m: string, where = at): never => {
      throw new ParseError(1, 1, m, where);
    };
    if (!isObj(c)) return bad('a call must be an object {"op": ..., "args": [...]}');
    if (typeof c.op !== 'string' || !isOp(c.op)) return bad(`unknown op ${JSON.stringify(c.op)}`, `${at}.op`);
    const op = c.op;
    const d = CALLS[op];
    if (!Array.isArray(c.args)) return bad('args must be an array', `${at}.args`);
    if (c.args.length !== d.args.length) return bad(`${op} takes ${argCount(d.args.length)}, got ${c.args.length}`, `${at}.args`);
    const args = (c.args as unknown[]).map((a, j): Arg => {
      const aat = `${at}.args[${j}]`;
      if (isObj(a) && 'ref' in a) {
        const k = a.ref;
        if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= i) return bad(`r${String(k)} is not an earlier call`, aat);
        if (typeof a.field !== 'string') return bad(`a reference needs a "field" (one of ${calls[k].op}'s outputs)`, aat);
        if (!outDesc(calls[k].op, a.field)) return bad(`${calls[k].op} (r${k}) has no output ${JSON.stringify(a.field)}`, aat);
        return ref(k, a.field);
      }
      const v = isObj(a) && 'lit' in a ? jsonInt(a.lit) : jsonInt(a);
      if (v === undefined) return bad(`bad argument ${JSON.stringify(a)} (an integer within 64 bits, {"lit": "<integer>"} or {"ref": <call>, "field": <name>})`, aat);
      return lit(v);
    });
    const extra = Object.keys(c).filter((k) => k !== 'op' && k !== 'args' && k !== 'expect');
    if (extra.length) return bad(`unknown field '${extra[0]}'`);
    calls.push(c.expect !== undefined ? { op, args, expect: jsonOutcome(c.expect, op, `${at}.expect`) } : { op, args });
  });
  return { meta, calls };
}

/** Parses either serialization (JSON if it starts with '{'). */
export function parseProgram(src: string, o: ParseOptions = {}): Program {
  return src.trimStart().startsWith('{') ? fromJson(src, o) : parseText(src, o);
}
