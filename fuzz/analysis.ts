/**
 * The generator's state as a function of the program so far (syzkaller's prog/analysis.go):
 * the pool of resources the calls produced, each with what generation needs to know about it
 * (the file it lives in, its object's size, its device). The generator updates its state only
 * through recordCall, so analyze(any prefix) rebuilds exactly the state it had there, and a
 * mutation engine can append calls to an existing program.
 */
import { CALLS, OPS, type CallDesc, type OpName, type ResourceKind } from '../ir/calls.ts';
import { ref, type Arg, type Call } from '../ir/program.ts';

export interface GenOptions {
  readonly maxCalls: number;
  /** how many devices open(dev) may name (the rest are invalid indices) */
  readonly devices: number;
  /** how many open() calls a program makes at most (default 3) */
  readonly maxFiles?: number;
}

/** A resource some call produced (it may have failed, or be closed since: stale ones stay). */
export interface Res {
  readonly kind: ResourceKind;
  readonly arg: Extract<Arg, { kind: 'ref' }>;
  /** for per-file resources: the fd argument of the call that made it */
  readonly fd?: Arg;
  /** the object's size, an output or literal, for mmap lengths */
  readonly size?: Arg;
  /** for fds: the device index opened; for what was made through an fd: that fd's device */
  readonly dev?: bigint;
  /** for fds: opened on a primary node of an existing device */
  readonly primary?: boolean;
}

export interface GenState {
  readonly calls: Call[];
  readonly pool: Res[];
  /** how many calls of each op the program has (open's count bounds the files) */
  readonly made: Partial<Record<OpName, number>>;
}

export const emptyState = (): GenState => ({ calls: [], pool: [], made: {} });

/** The pool entry a reference argument names, if it names one. */
export function resOf(st: GenState, a: Arg | undefined): Res | undefined {
  if (!a || a.kind !== 'ref') return undefined;
  for (const x of st.pool) if (x.arg.call === a.call && x.arg.field === a.field) return x;
  return undefined;
}

const litValue = (a: Arg | undefined): bigint | undefined => (a?.kind === 'lit' ? a.value : undefined);

/** Attributes a call gives its products beyond the generic ones: open knows its device and
 * node (a primary node of an existing device can do what render nodes may not). */
function openAttrs(args: readonly Arg[], o: GenOptions): Pick<Res, 'dev' | 'primary'> {
  const dev = litValue(args[0]);
  const node = litValue(args[1]);
  return { dev, primary: node === 0n && dev !== undefined && dev >= 0n && dev < BigInt(o.devices) };
}

/** One output's production rule, compiled from its description (indices instead of names). */
interface OutRule {
  readonly name: string;
  readonly kind: ResourceKind;
  readonly kindOfArg: number;
  readonly ownerArg: number;
  /** the size is this output field of the same call, or this argument */
  readonly sizeOut?: string;
  readonly sizeArg: number;
}
interface OpRule {
  readonly outs: readonly OutRule[];
  /** argument indices that take resources */
  readonly resArgs: readonly number[];
  /** the call's first fd argument (the device it runs on) */
  readonly fdArg: number;
  readonly attrs?: typeof openAttrs;
}

function compile(op: OpName): OpRule {
  const desc: CallDesc = CALLS[op];
  const at = (name: string | undefined) => (name === undefined ? -1 : desc.args.findIndex((a) => a.name === name));
  const outs: OutRule[] = [];
  for (const out of desc.outs) {
    if (out.kind === 'int') continue;
    const sizeIsOut = out.sizeFrom !== undefined && desc.outs.some((x) => x.name === out.sizeFrom);
    outs.push({ name: out.name, kind: out.kind, kindOfArg: at(out.kindOf), ownerArg: at(out.owner), sizeOut: sizeIsOut ? out.sizeFrom : undefined, sizeArg: sizeIsOut ? -1 : at(out.sizeFrom) });
  }
  const resArgs = desc.args.flatMap((a, j) => (a.kind === 'int' ? [] : [j]));
  const fdArg = desc.args.findIndex((a) => a.kind === 'fd' || a.kind === 'dmabuf');
  return { outs, resArgs, fdArg, attrs: op === 'open' ? openAttrs : undefined };
}
const RULES = new Map<OpName, OpRule>(OPS.map((op) => [op, compile(op)]));

/**
 * Appends a call and the resources it produces. Generic rules, from the descriptions: a
 * per-file output (owner) remembers the fd argument; the size is the output or argument the
 * description names, else inherited from the first consumed resource that has one; the
 * device is that of the call's fd argument; a kindOf output (dup) is what its input was.
 */
export function recordCall(st: GenState, call: Call, o: GenOptions): void {
  const i = st.calls.length;
  const rule = RULES.get(call.op)!;
  const consumed: (Res | undefined)[] = [];
  let inherited: Arg | undefined;
  for (const j of rule.resArgs) {
    const x = resOf(st, call.args[j]);
    consumed[j] = x;
    if (!inherited && x?.size) inherited = x.size;
  }
  st.calls.push(call);
  st.made[call.op] = (st.made[call.op] ?? 0) + 1;
  const extra = rule.attrs?.(call.args, o);
  const dev = extra ? extra.dev : rule.fdArg >= 0 ? consumed[rule.fdArg]?.dev : undefined;
  for (const out of rule.outs) {
    const from = out.kindOfArg >= 0 ? consumed[out.kindOfArg] : undefined;
    const size = out.sizeOut !== undefined ? ref(i, out.sizeOut) : out.sizeArg >= 0 ? call.args[out.sizeArg] : inherited;
    const res: { -readonly [K in keyof Res]: Res[K] } = { kind: from?.kind ?? out.kind, arg: ref(i, out.name) as Res['arg'] };
    if (out.ownerArg >= 0) res.fd = call.args[out.ownerArg];
    if (size) res.size = size;
    if (dev !== undefined) res.dev = dev;
    const primary = extra ? extra.primary : from?.primary;
    if (primary !== undefined) res.primary = primary;
    st.pool.push(res);
  }
}

/** The generator's state after `calls` (any program, generated or not). */
export function analyze(calls: readonly Call[], o: GenOptions): GenState {
  const st = emptyState();
  for (const c of calls) recordCall(st, c, o);
  return st;
}
