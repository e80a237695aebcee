/**
 * Description-driven program generation (syzkaller's prog/generation.go + rand.go policy).
 * The generator walks the call table (ir/calls.ts): it picks a call by its weight, fills each
 * resource argument from live compatible resources (mostly recent ones, sometimes stale or
 * another file's, sometimes a special value from the resources table), inserts a constructor
 * — found through the resources table — when a needed resource does not exist, and draws
 * integer arguments from their domains (fuzz/domain.ts). The few rules a description cannot
 * say are small hints (fuzz/hints.ts). Its state is the resource pool of fuzz/analysis.ts, so
 * generation can continue any program.
 */
import { CALLS, OPS, RESOURCES, type ArgDesc, type CallDesc, type Ctor, type OpName, type ResourceKind, type Uapi } from '../ir/calls.ts';
import { DEFAULT_DEVICES, DEVICES_REGISTRY, type DeviceName } from '../ir/devices.ts';
import { DRM_RENDER_ALLOW, IOCTLS } from '../ir/ioctls.ts';
import { lit, ref, type Arg, type Call, type Program } from '../ir/program.ts';
import { analyze, emptyState, recordCall, resOf, type GenOptions, type GenState, type Res } from './analysis.ts';
import { drawInt, intOrder, type Literals } from './domain.ts';
import { DRIVER_FDS, HINTS, UAPI_WEIGHTS, type CallCtx, type Need } from './hints.ts';
import { chance, pick, seededRand, weighted, type Rand } from './rand.ts';

export type { GenOptions } from './analysis.ts';

/** A reference or raw value for one argument, and the resource it names, if any. */
export interface Filled {
  readonly arg: Arg;
  readonly res?: Res;
}

export interface FillOpts {
  /** fds that suit the call better (a primary node for an ioctl render nodes may not make) */
  readonly prefer?: (r: Res) => boolean;
  /** what a constructed resource must be (open: a primary node, a given device) */
  readonly need?: Need;
}

/** Share of resource arguments given a special value although a live resource exists. */
const SPECIAL = 0.06;
/** Share of preferred resources, when there are any (a primary fd for a primary-only ioctl). */
const PREFER = 0.85;
/** Share of per-file resources used with their own file (the rest: another file's, foreign). */
const OWN_FILE = 0.9;
/** Share of special-value draws that take a resource of a wrong kind instead. */
const WRONG = 0.5;

/** The uapis a device list offers: core and each device's driver uapi (ir/devices.ts). */
export function uapiOf(devices: readonly DeviceName[]): Uapi[] {
  return [...new Set<Uapi>(['core', ...devices.flatMap((d) => DEVICES_REGISTRY[d].uapi)])];
}

/** The uapis a generator offers by default: those of the default device list. */
export const DEFAULT_UAPI: readonly Uapi[] = uapiOf(DEFAULT_DEVICES);

/** Per uapi set: the calls that may be picked and their weights, and which may construct. */
interface CallTable {
  readonly weights: readonly (readonly [OpName, number])[];
  readonly offered: ReadonlySet<OpName>;
}
const callTables = new Map<string, CallTable>();
function callTable(uapi: readonly Uapi[]): CallTable {
  const key = [...uapi].sort().join(',');
  let t = callTables.get(key);
  if (!t) {
    const ops = OPS.filter((op) => uapi.includes(CALLS[op].uapi));
    const weight = (op: OpName) => Math.max(CALLS[op].weight, ...uapi.map((u) => UAPI_WEIGHTS[u]?.[op] ?? 0));
    t = { weights: ops.map((op) => [op, weight(op)]), offered: new Set(ops) };
    callTables.set(key, t);
  }
  return t;
}
const ctorWeight = (op: OpName): number => (CALLS[op] as CallDesc).ctorWeight ?? (CALLS[op].uapi === 'core' ? CALLS[op].weight : 0);

/** Ioctls that drm_ioctl_permit refuses on render nodes (no DRM_RENDER_ALLOW): their fd had
 * better be a primary node. */
function primaryOnly(op: OpName): boolean {
  const def = IOCTLS[op];
  return def !== undefined && (def.flags & DRM_RENDER_ALLOW) === 0;
}

/** Per-call facts the generator needs, compiled once from the descriptions. */
interface OpMeta {
  readonly args: readonly ArgDesc[];
  readonly index: ReadonlyMap<string, number>;
  /** resource arguments other than fds, in order */
  readonly resources: readonly number[];
  readonly fds: readonly number[];
  /** integer arguments, each after the ones its products multiply by */
  readonly ints: readonly number[];
  /** for each fd argument: the per-file resource arguments looked up in it */
  readonly ownedBy: readonly (readonly number[])[];
  /** for each fd argument: its description as filled — the file a per-file resource is looked
   * up in is a DRM file, whatever else the argument accepts (mmap of a fake offset through a
   * dma-buf fd is no use of the offset) */
  readonly fdDescs: readonly ArgDesc[];
  readonly primaryOnly: boolean;
}

function compile(op: OpName): OpMeta {
  const args = CALLS[op].args as readonly ArgDesc[];
  const js = args.map((_, j) => j);
  return {
    args,
    index: new Map(args.map((a, j) => [a.name, j])),
    resources: js.filter((j) => args[j].kind !== 'int' && args[j].kind !== 'fd'),
    fds: js.filter((j) => args[j].kind === 'fd'),
    ints: intOrder(args),
    ownedBy: args.map((a) => js.filter((k) => args[k].owner === a.name)),
    fdDescs: args.map((a) => (a.accepts !== undefined && args.some((b) => b.owner === a.name) ? { ...a, accepts: undefined } : a)),
    primaryOnly: primaryOnly(op),
  };
}
const META = new Map<OpName, OpMeta>(OPS.map((op) => [op, compile(op)]));
const NONE: readonly Res[] = [];
const PRIMARY: FillOpts = { prefer: (x) => x.kind === 'fd' && x.primary === true, need: { primary: true } };

/** The call being generated (what hints see). */
class Ctx implements CallCtx, Literals {
  readonly args: (Arg | undefined)[];
  readonly res: (Res | undefined)[];
  constructor(
    readonly op: OpName,
    private readonly m: OpMeta,
    readonly need: Need | undefined,
  ) {
    this.args = new Array<Arg | undefined>(m.args.length).fill(undefined);
    this.res = new Array<Res | undefined>(m.args.length).fill(undefined);
  }
  at(name: string): number {
    return this.m.index.get(name) ?? -1;
  }
  set(j: number, f: Filled | undefined): boolean {
    if (!f) return false;
    this.args[j] = f.arg;
    this.res[j] = f.res;
    return true;
  }
  /** the literal value of an argument drawn so far (for products) */
  literal(name: string): bigint | undefined {
    const v = this.args[this.at(name)];
    return v?.kind === 'lit' ? v.value : undefined;
  }
}

export class ProgramBuilder {
  readonly st: GenState;
  private readonly table: CallTable;
  constructor(
    readonly r: Rand,
    readonly o: GenOptions,
    start: GenState = emptyState(),
    /** called after every recorded call, with the state (tests compare it with analyze) */
    private readonly onRecord?: (st: GenState) => void,
  ) {
    this.st = start;
    this.table = callTable(o.uapi ?? DEFAULT_UAPI);
  }

  get calls(): readonly Call[] {
    return this.st.calls;
  }

  /** Resources of `kinds` the program made (stale ones included: a closed fd stays in the pool). */
  private live(kinds: readonly ResourceKind[]): readonly Res[] {
    if (kinds.length === 1) return this.st.byKind[kinds[0]] ?? NONE;
    return this.st.pool.filter((x) => kinds.includes(x.kind));
  }

  /** A live resource of `kinds`, mostly a recent one; undefined now and then (a special value). */
  recent(kinds: readonly ResourceKind[]): Res | undefined {
    const xs = this.live(kinds);
    if (!xs.length || chance(this.r, SPECIAL)) return undefined;
    // bias to recent resources
    const i = xs.length - 1 - Math.min(xs.length - 1, Math.floor(Math.abs(this.r.int(xs.length * 2) - xs.length / 2)));
    return xs[Math.max(0, Math.min(xs.length - 1, i))];
  }

  special(kind: ResourceKind): bigint {
    return pick(this.r, RESOURCES[kind].special);
  }

  /** A special value, or now and then a resource of a kind the argument must reject. */
  private misuse(a: ArgDesc, kind: ResourceKind): Filled {
    if (a.wrong && chance(this.r, WRONG)) {
      const w = this.recent(a.wrong);
      if (w) return { arg: w.arg, res: w };
    }
    return { arg: lit(this.special(kind)) };
  }

  /** Whether the program's devices offer `op`. */
  offers(op: OpName): boolean {
    return this.table.offered.has(op);
  }

  /** Whether device `dev` (an index; undefined: unknown) may offer `op` (GenOptions.deviceUapi). */
  offersOn(dev: bigint | undefined, op: OpName): boolean {
    const u = this.o.deviceUapi;
    if (!this.offers(op)) return false;
    if (!u || dev === undefined || dev < 0n || dev >= BigInt(u.length)) return true;
    return u[Number(dev)].includes(CALLS[op].uapi);
  }

  /** Whether `op` can be made now (open stops at the file limit). */
  canMake(op: OpName): boolean {
    return !HINTS[op]?.instead?.(this);
  }

  /** Inserts the shallowest constructor of `kind` that can be made now; its product. */
  construct(kind: ResourceKind, need?: Need): Res | undefined {
    // the shallowest that can be made now; of those, core ones when there are any: a driver
    // ioctl exists only on devices whose table has it (drm_ioctl: EINVAL past the driver's table)
    // (loops, not closures: this runs for most calls)
    const shallow: (readonly [Ctor, number])[] = [];
    const preferred: (readonly [Ctor, number])[] = [];
    let depth = -1;
    for (const c of RESOURCES[kind].ctors) {
      if (!this.table.offered.has(c.op as OpName) || !this.canMake(c.op as OpName)) continue;
      if (depth < 0) depth = c.depth;
      if (c.depth !== depth) continue;
      shallow.push([c, CALLS[c.op as OpName].weight]);
      const w = ctorWeight(c.op as OpName);
      if (w > 0) preferred.push([c, w]);
    }
    if (!shallow.length) return undefined;
    const c = weighted(this.r, preferred.length ? preferred : shallow);
    const i = this.gen(c.op as OpName, need);
    return resOf(this.st, ref(i, c.out));
  }

  /**
   * A resource argument, generically: a preferred live one now and then; a live one (mostly
   * recent); a new one anyway at the kind's `fresh` rate; a constructor when none is live (at
   * the kind's `construct` rate); else a special value.
   */
  fill(a: ArgDesc, opts: FillOpts = {}): Filled {
    const kind = a.kind as ResourceKind;
    const desc = RESOURCES[kind];
    const live = this.live(a.accepts ?? [kind]);
    if (opts.prefer) {
      const pre = live.filter(opts.prefer);
      if (pre.length && chance(this.r, PREFER)) {
        const x = pick(this.r, pre);
        return { arg: x.arg, res: x };
      }
    }
    if (live.length && !chance(this.r, desc.fresh)) {
      const x = this.recent(a.accepts ?? [kind]);
      return x ? { arg: x.arg, res: x } : this.misuse(a, kind);
    }
    let canConstruct = false;
    for (const c of RESOURCES[kind].ctors) if (this.canMake(c.op as OpName)) {
      canConstruct = true;
      break;
    }
    if (!canConstruct) {
      if (!live.length) return this.misuse(a, kind);
      const x = pick(this.r, live);
      return { arg: x.arg, res: x };
    }
    if (!live.length && !chance(this.r, desc.construct)) return this.misuse(a, kind);
    const made = this.construct(kind, opts.need);
    return made ? { arg: made.arg, res: made } : this.misuse(a, kind);
  }

  /** How an fd argument is filled: a primary node for an ioctl render nodes may not make; for
   * an ioctl of a driver in DRIVER_FDS where only some devices have that driver
   * (GenOptions.deviceUapi), mostly an fd of one that does (drm_ioctl: EINVAL past the
   * driver's table on the others). */
  private fdOpts(op: OpName, m: OpMeta, j: number): FillOpts {
    const primary = m.primaryOnly && !m.fdDescs[j].accepts;
    const u = this.o.deviceUapi;
    const uapi = CALLS[op].uapi;
    if (!u || !DRIVER_FDS.includes(uapi) || m.fdDescs[j].accepts || u.every((d) => d.includes(uapi))) return primary ? PRIMARY : {};
    const dev = BigInt(u.findIndex((d) => d.includes(uapi)));
    if (dev < 0n) return primary ? PRIMARY : {};
    return {
      prefer: (x) => x.kind === 'fd' && x.dev !== undefined && x.dev < BigInt(u.length) && u[Number(x.dev)].includes(uapi) && (!primary || x.primary === true),
      need: primary ? { primary: true, dev } : { dev },
    };
  }

  /** Generates one call of `op` (and the constructors it needs, before it); its index. */
  gen(op: OpName, need?: Need): number {
    const hint = HINTS[op];
    const instead = hint?.instead?.(this);
    if (instead) return this.gen(instead);
    const m = META.get(op)!;
    const c = new Ctx(op, m, need);
    hint?.before?.(this, c);
    // resources other than fds first: an fd is then paired with the file they live in
    for (const j of m.resources) if (!c.args[j]) c.set(j, hint?.args?.[m.args[j].name]?.(this, c)) || c.set(j, this.fill(m.args[j]));
    for (const j of m.fds) {
      if (c.args[j] || c.set(j, hint?.args?.[m.args[j].name]?.(this, c))) continue;
      // a per-file resource goes with its own file, mostly (drm_gem_object_lookup is per file)
      let owned: number | undefined;
      for (const k of m.ownedBy[j]) if (c.res[k]?.fd !== undefined) {
        owned = k;
        break;
      }
      if (owned !== undefined && chance(this.r, OWN_FILE)) {
        const fd = c.res[owned]!.fd!;
        c.set(j, { arg: fd, res: resOf(this.st, fd) });
      } else c.set(j, this.fill(m.fdDescs[j], this.fdOpts(op, m, j)));
    }
    let objectSize: Arg | undefined;
    for (const x of c.res) if (x?.size) {
      objectSize = x.size;
      break;
    }
    for (const j of m.ints) {
      if (c.args[j] || c.set(j, hint?.args?.[m.args[j].name]?.(this, c))) continue;
      c.args[j] = drawInt(this.r, m.args[j], c, objectSize);
    }
    recordCall(this.st, { op, args: c.args as Arg[] }, this.o);
    this.onRecord?.(this.st);
    return this.st.calls.length - 1;
  }

  /** One more top-level call, picked by weight. */
  step(): void {
    this.gen(weighted(this.r, this.table.weights));
  }
}

export function generateProgram(r: Rand, o: GenOptions, meta: Program['meta'] = {}): Program {
  const b = new ProgramBuilder(r, o);
  const n = 1 + r.int(o.maxCalls);
  while (b.calls.length < n) b.step();
  return { meta, calls: b.calls.slice(0, n) };
}

/** `p` with about `count` more generated calls that use its resources (for mutation). */
export function continueProgram(r: Rand, p: Program, o: GenOptions, count: number): Program {
  const b = new ProgramBuilder(r, o, analyze(p.calls, o));
  const n = p.calls.length + count;
  while (b.calls.length < n) b.step();
  return { meta: p.meta, calls: b.calls.slice(0, n) };
}

/** Program i of seed S: generated from the seed string "S:i", so any program of a run replays
 * alone (`gemcheck check --seed S --only i`). */
export function programAt(seed: string, i: number, maxCalls: number, devices: number, meta: Program['meta'] = {}): Program {
  const uapi = meta.devices ? uapiOf(meta.devices) : DEFAULT_UAPI;
  const deviceUapi = meta.devices?.map((d) => uapiOf([d]));
  return generateProgram(seededRand(`${seed}:${i}`), { maxCalls, devices, uapi, ...(deviceUapi ? { deviceUapi } : {}) }, meta);
}
