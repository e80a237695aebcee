// Executor → host side of executor/PROTOCOL.md: parse output lines, group them per program
// (ResultCollector) or per standalone-binary exec (ExecCollector). (Encoding programs into
// protocol lines lives with the IR.)

export type Signal = 'SIGSEGV' | 'SIGBUS';

/** One call's raw outcome, as the executor reported it. */
export type RawCallResult =
  | { k: number; kind: 'ok'; fields: Record<string, bigint> }
  | { k: number; kind: 'err'; errno: number }
  | { k: number; kind: 'sig'; signal: Signal };

export interface RawProgramResult {
  id: number;
  results: RawCallResult[];
  /** Set when the executor refused the program: "<line>: <message>" (line = call index). */
  bad?: string;
  /** New /proc/sys/kernel/tainted value if the kernel became tainted while it ran. */
  taint?: bigint;
  /** qxl bos the program's allocations evicted, from debugfs (`evict <id> <n>`) */
  evictions?: number;
}

/** How a standalone binary ended (`none`: no status line, e.g. refused or the guest died). */
export type ExecStatus =
  | { kind: 'exit'; code: number }
  | { kind: 'killed'; signal: number }
  | { kind: 'timeout' }
  | { kind: 'none' };

/** What one `exec` reported, up to its `done`. */
export interface RawExecResult {
  id: number;
  /** The binary's output, one entry per `out` line. */
  output: string[];
  status: ExecStatus;
  /** Set when the executor refused the exec (`bad <id> - <message>`): the message. */
  bad?: string;
  /** New /proc/sys/kernel/tainted value if the kernel became tainted while it ran. */
  taint?: bigint;
  /** `bad - - …` messages (upload errors) received since the previous exec completed. */
  uploadErrors: string[];
}

export type ExecLine =
  | { type: 'ready' }
  | ({ type: 'res'; id: number } & RawCallResult)
  | { type: 'done'; id: number }
  | { type: 'bad'; id: number | null; line: number | null; message: string }
  | { type: 'taint'; id: number; mask: bigint }
  | { type: 'evict'; id: number; n: number }
  | { type: 'out'; id: number; text: string }
  | { type: 'exit'; id: number; code: number }
  | { type: 'killed'; id: number; signal: number }
  | { type: 'timeout'; id: number }
  | { type: 'invalid'; text: string; reason: string };

const FIELD = /^([a-z_]+)=(-?\d+)$/;
const U64_MAX = (1n << 64n) - 1n;

function parseId(s: string | undefined): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** Plain decimal in [lo, hi], or null. */
function parseSmall(s: string | undefined, lo: number, hi: number): number | null {
  const n = parseId(s);
  return n !== null && n >= lo && n <= hi ? n : null;
}

/** Parse one executor output line (without the trailing newline). Never throws. */
export function parseExecLine(text: string): ExecLine {
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  const invalid = (reason: string): ExecLine => ({ type: 'invalid', text: line, reason });
  const tok = line.split(' ');
  switch (tok[0]) {
    case 'ready':
      return tok.length === 1 ? { type: 'ready' } : invalid('ready takes no arguments');
    case 'done': {
      const id = parseId(tok[1]);
      return id !== null && tok.length === 2 ? { type: 'done', id } : invalid('bad done line');
    }
    case 'taint': {
      const id = parseId(tok[1]);
      if (id === null || tok.length !== 3 || !/^\d+$/.test(tok[2] ?? '')) return invalid('bad taint line');
      return { type: 'taint', id, mask: BigInt(tok[2] as string) };
    }
    case 'evict': {
      const id = parseId(tok[1]);
      if (id === null || tok.length !== 3 || !/^\d+$/.test(tok[2] ?? '')) return invalid('bad evict line');
      return { type: 'evict', id, n: Number(tok[2]) };
    }
    case 'bad': {
      // bad <id|-> <line|-> <message with spaces>
      if (tok.length < 4) return invalid('bad line without message');
      const id = tok[1] === '-' ? null : parseId(tok[1]);
      const ln = tok[2] === '-' ? null : parseId(tok[2]);
      if ((id === null && tok[1] !== '-') || (ln === null && tok[2] !== '-')) return invalid('bad id in bad line');
      return { type: 'bad', id, line: ln, message: tok.slice(3).join(' ') };
    }
    case 'out': {
      // out <id> <text>: the text is everything after the space that follows the id (it may
      // be empty, and may hold any spaces or tabs)
      const id = parseId(tok[1]);
      if (id === null) return invalid('bad id in out line');
      const head = `out ${tok[1]}`;
      if (line === head) return { type: 'out', id, text: '' };
      return { type: 'out', id, text: line.slice(head.length + 1) };
    }
    case 'exit': {
      const id = parseId(tok[1]);
      const code = parseSmall(tok[2], 0, 255);
      return id !== null && code !== null && tok.length === 3 ? { type: 'exit', id, code } : invalid('bad exit line');
    }
    case 'killed': {
      const id = parseId(tok[1]);
      const signal = parseSmall(tok[2], 1, 64);
      return id !== null && signal !== null && tok.length === 3 ? { type: 'killed', id, signal } : invalid('bad killed line');
    }
    case 'timeout': {
      const id = parseId(tok[1]);
      return id !== null && tok.length === 2 ? { type: 'timeout', id } : invalid('bad timeout line');
    }
    case 'res': {
      const id = parseId(tok[1]);
      const k = parseId(tok[2]);
      if (id === null || k === null) return invalid('bad id or call index');
      const kind = tok[3];
      if (kind === 'err') {
        const errno = parseId(tok[4]);
        if (errno === null || errno === 0 || tok.length !== 5) return invalid('bad errno');
        return { type: 'res', id, k, kind: 'err', errno };
      }
      if (kind === 'sig') {
        const s = tok[4];
        if ((s !== 'SIGSEGV' && s !== 'SIGBUS') || tok.length !== 5) return invalid('bad signal');
        return { type: 'res', id, k, kind: 'sig', signal: s };
      }
      if (kind === 'ok') {
        const fields: Record<string, bigint> = {};
        for (const t of tok.slice(4)) {
          const m = FIELD.exec(t);
          if (!m) return invalid(`bad field ${t}`);
          const name = m[1] as string;
          const v = BigInt(m[2] as string);
          const signed = name === 'fd' || name === 'dmabuf';
          if (signed ? v < -(1n << 31n) || v >= 1n << 31n : v < 0n || v > U64_MAX) {
            return invalid(`field ${name} out of range`);
          }
          if (name in fields) return invalid(`duplicate field ${name}`);
          fields[name] = v;
        }
        return { type: 'res', id, k, kind: 'ok', fields };
      }
      return invalid('unknown result kind');
    }
    default:
      return invalid('unknown line type');
  }
}

/**
 * What both collectors share: lines come grouped by id and a group ends at its `done`; a group
 * that is cut short by another id is kept (complete) and noted as stray.
 */
abstract class Grouper<R extends { id: number }> {
  protected current: R | null = null;
  readonly complete: R[] = [];
  /** Lines that fit no group: invalid lines, lines of the other kind, a group without done. */
  readonly stray: ExecLine[] = [];
  ready = false;

  protected abstract fresh(id: number): R;
  protected abstract readonly what: string;

  /** The partial group being reported, if any (e.g. when the guest died). */
  pending(): R | null {
    return this.current;
  }

  protected open(id: number): R {
    if (this.current && this.current.id !== id) {
      this.stray.push({ type: 'invalid', text: `${this.what} ${this.current.id} has no done`, reason: 'missing done' });
      this.complete.push(this.current);
      this.current = null;
    }
    this.current ??= this.fresh(id);
    return this.current;
  }

  protected finish(id: number): R {
    const r = this.open(id);
    this.current = null;
    this.complete.push(r);
    return r;
  }
}

/**
 * Groups a stream of executor lines into per-program results. A program is complete at its
 * `done` line (the executor prints `done` for refused programs too).
 */
export class ResultCollector extends Grouper<RawProgramResult> {
  protected readonly what = 'program';
  protected fresh(id: number): RawProgramResult {
    return { id, results: [] };
  }

  /** Feed one parsed line; returns the program it completed, if any. */
  push(l: ExecLine): RawProgramResult | null {
    switch (l.type) {
      case 'ready':
        this.ready = true;
        return null;
      case 'invalid':
      case 'out':
      case 'exit':
      case 'killed':
      case 'timeout':
        this.stray.push(l);
        return null;
      case 'bad':
        if (l.id === null) {
          this.stray.push(l);
          return null;
        }
        this.open(l.id).bad = `${l.line ?? '-'}: ${l.message}`;
        return null;
      case 'taint':
        this.open(l.id).taint = l.mask;
        return null;
      case 'evict':
        this.open(l.id).evictions = l.n;
        return null;
      case 'res': {
        const p = this.open(l.id);
        const { type: _t, id: _i, ...r } = l;
        p.results.push(r as RawCallResult);
        return null;
      }
      case 'done':
        return this.finish(l.id);
    }
  }
}

/**
 * Groups a stream of executor lines into per-exec results (standalone binaries: `file`, `data`,
 * `exec`). An exec is complete at its `done` line, which follows refused execs too.
 */
export class ExecCollector extends Grouper<RawExecResult> {
  protected readonly what = 'exec';
  private uploadErrors: string[] = [];
  /** An exec takes the upload errors received before it. */
  protected fresh(id: number): RawExecResult {
    const r: RawExecResult = { id, output: [], status: { kind: 'none' }, uploadErrors: this.uploadErrors };
    this.uploadErrors = [];
    return r;
  }

  /** Feed one parsed line; returns the exec it completed, if any. */
  push(l: ExecLine): RawExecResult | null {
    switch (l.type) {
      case 'ready':
        this.ready = true;
        return null;
      case 'invalid':
      case 'res':
      case 'evict':
        this.stray.push(l);
        return null;
      case 'bad':
        if (l.id === null) this.uploadErrors.push(l.message);
        else this.open(l.id).bad = l.message;
        return null;
      case 'taint':
        this.open(l.id).taint = l.mask;
        return null;
      case 'out':
        this.open(l.id).output.push(l.text);
        return null;
      case 'exit':
      case 'killed':
      case 'timeout': {
        const e = this.open(l.id);
        if (e.status.kind !== 'none') {
          this.stray.push(l);
          return null;
        }
        e.status =
          l.type === 'exit' ? { kind: 'exit', code: l.code } : l.type === 'killed' ? { kind: 'killed', signal: l.signal } : { kind: 'timeout' };
        return null;
      }
      case 'done':
        return this.finish(l.id);
    }
  }

  /** Upload errors received that no exec has taken yet. */
  pendingUploadErrors(): readonly string[] {
    return this.uploadErrors;
  }
}

/** Split a chunked byte stream into lines. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop() ?? '';
    return parts;
  }
  /** Text after the last newline. */
  tail(): string {
    return this.rest;
  }
}

/** One entry of the executor's device table: `dev <i> <primary> <render|->`. */
export interface DevEntry {
  primary: string | null;
  render: string | null;
}

export function devTableLines(table: readonly DevEntry[]): string[] {
  return table.map((d, i) => `dev ${i} ${d.primary ?? '-'} ${d.render ?? '-'}`);
}
