/**
 * The generator's state as a function of the program so far (syzkaller's prog/analysis.go):
 * the pool of resources the calls produced, each with what generation needs to know about it
 * (the file it lives in, its object's size, its device). The generator updates its state only
 * through recordCall, so analyze(any prefix) rebuilds exactly the state it had there, and a
 * mutation engine can append calls to an existing program.
 */
import { CALLS, OPS, type CallDesc, type OpName, type ResourceKind, type Uapi } from '../ir/calls.ts';
import { ref, type Arg, type Call } from '../ir/program.ts';

export interface GenOptions {
  readonly maxCalls: number;
  /** how many devices open(dev) may name (the rest are invalid indices) */
  readonly devices: number;
  /** how many open() calls a program makes at most (default 3) */
  readonly maxFiles?: number;
  /** the uapis the program's devices offer (default: core and vgem's); calls of other uapis
   * are not generated (they could only fail in dispatch, as vgem's do on bochs) */
  readonly uapi?: readonly Uapi[];
  /** per device index, the uapis that device offers (default: unknown — any device may offer
   * any of `uapi`); hints use it to aim a driver's calls at that driver's buffers */
  readonly deviceUapi?: readonly (readonly Uapi[])[];
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
  /** the pool by producing call, and by kind, in pool order (indexes: lookups stay O(1)) */
  readonly byCall: Res[][];
  readonly byKind: Partial<Record<ResourceKind, Res[]>>;
  /** how many calls of each op the program has (open's count bounds the files) */
  readonly made: Partial<Record<OpName, number>>;
}

export const emptyState = (): GenState => ({ calls: [], pool: [], byCall: [], byKind: {}, made: {} });

/** The pool entry a reference argument names, if it names one. */
export function resOf(st: GenState, a: Arg | undefined): Res | undefined {
  if (!a || a.kind !== 'ref') return undefined;
  const outs = st.byCall[a.call];
  if (outs) for (const x of outs) if (x.arg.field === a.field) return x;
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
  /** the argument whose kind a kindOf output takes (dup), or -1 */
  readonly kindOfArg: number;
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
  const kindOfs = [...new Set(outs.filter((x) => x.kindOfArg >= 0).map((x) => x.kindOfArg))];
  if (kindOfs.length > 1) throw new Error(`${op}: outputs take their kind from different arguments`);
  return { outs, resArgs, fdArg, kindOfArg: kindOfs[0] ?? -1, attrs: op === 'open' ? openAttrs : undefined };
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
  const args = call.args;
  // index loops and no per-call closures: this runs for every generated call
  let inherited: Arg | undefined;
  let fdRes: Res | undefined;
  let kindFrom: Res | undefined;
  for (let n = 0; n < rule.resArgs.length; n++) {
    const j = rule.resArgs[n];
    const x = resOf(st, args[j]);
    if (j === rule.fdArg) fdRes = x;
    if (j === rule.kindOfArg) kindFrom = x;
    if (inherited === undefined && x !== undefined && x.size !== undefined) inherited = x.size;
  }
  st.calls.push(call);
  const outs: Res[] = [];
  st.byCall.push(outs);
  st.made[call.op] = (st.made[call.op] ?? 0) + 1;
  const extra = rule.attrs === undefined ? undefined : rule.attrs(args, o);
  const dev = extra !== undefined ? extra.dev : fdRes?.dev;
  for (let n = 0; n < rule.outs.length; n++) {
    const out = rule.outs[n];
    const from = out.kindOfArg >= 0 ? kindFrom : undefined;
    // one object shape for every resource (fields absent are undefined): the pool stays monomorphic
    const res: Res = {
      kind: from?.kind ?? out.kind,
      arg: { kind: 'ref', call: i, field: out.name },
      fd: out.ownerArg >= 0 ? args[out.ownerArg] : undefined,
      size: out.sizeOut !== undefined ? { kind: 'ref', call: i, field: out.sizeOut } : out.sizeArg >= 0 ? args[out.sizeArg] : inherited,
      dev,
      primary: extra !== undefined ? extra.primary : from?.primary,
    };
    st.pool.push(res);
    outs.push(res);
    const k = st.byKind[res.kind];
    if (k === undefined) st.byKind[res.kind] = [res];
    else k.push(res);
  }
}

/** The generator's state after `calls` (any program, generated or not). */
export function analyze(calls: readonly Call[], o: GenOptions): GenState {
  const st = emptyState();
  for (const c of calls) recordCall(st, c, o);
  return st;
}
