/**
 * Resource-aware program generation (syzkaller's policy): arguments mostly reference live,
 * compatible resources produced earlier (and the fd a handle belongs to), sometimes stale or
 * foreign ones, sometimes special raw values; a constructor is inserted when a call needs a
 * resource that does not exist yet. Integer arguments come from per-argument domains with
 * boundary values mixed in.
 */
import type { OpName, ResourceKind } from '../ir/calls.ts';
import { lit, ref, type Arg, type Call, type Program } from '../ir/program.ts';
import { DRM_CLOEXEC, DRM_RDWR } from '../ir/uapi.ts';
import { chance, pick, weighted, type Rand } from './rand.ts';

export interface GenOptions {
  readonly maxCalls: number;
  /** how many devices open(dev) may name (the rest are invalid indices) */
  readonly devices: number;
  readonly maxFiles?: number;
}

interface Res {
  readonly kind: ResourceKind;
  readonly arg: Arg;
  /** the DRM fd a handle / offset / name / fence belongs to */
  readonly fd?: Arg;
  /** an int output that is the object's size, for mmap lengths */
  readonly size?: Arg;
  /** for fds: opened on a primary node */
  readonly primary?: boolean;
  /** for fds: the device index opened; for dma-bufs: the exporter's device */
  readonly dev?: bigint;
}

const WEIGHTS: readonly (readonly [OpName, number])[] = [
  ['open', 5], ['close', 3], ['dup', 2], ['create_dumb', 12], ['map_dumb', 9], ['mmap', 11],
  ['write', 8], ['read', 8], ['munmap', 3], ['mprotect', 2], ['gem_close', 4], ['destroy_dumb', 2],
  ['gem_flink', 5], ['gem_open', 5], ['prime_handle_to_fd', 8], ['prime_fd_to_handle', 8],
  ['get_magic', 2], ['auth_magic', 2], ['fence_attach', 3], ['fence_signal', 2], ['ro_create', 2],
];

const U32 = [0xffffffffn, 0x80000000n, 0x7fffffffn];

class Builder {
  readonly calls: Call[] = [];
  readonly pool: Res[] = [];
  opens = 0;
  constructor(
    readonly r: Rand,
    readonly o: GenOptions,
  ) {}

  of(kind: ResourceKind): Res[] {
    return this.pool.filter((x) => x.kind === kind);
  }

  /** A resource of one of `kinds`: mostly a recent one, else a special raw value. */
  resource(kinds: readonly ResourceKind[]): Res | undefined {
    const xs = this.pool.filter((x) => kinds.includes(x.kind));
    if (!xs.length || chance(this.r, 0.06)) return undefined;
    // bias to recent resources
    const i = xs.length - 1 - Math.min(xs.length - 1, Math.floor(Math.abs(this.r.int(xs.length * 2) - xs.length / 2)));
    return xs[Math.max(0, Math.min(xs.length - 1, i))];
  }

  special(kind: ResourceKind): bigint {
    switch (kind) {
      case 'fd':
      case 'dmabuf':
        return pick(this.r, [-1n, 0n, 2n, 3n, 4n, 5n, 7n, 1000n]);
      case 'offset':
        return pick(this.r, [0n, 0x100000000n, 0x100001000n, 0x100004000n, 0x100000800n, 0x1000n, 0xfffffffffffff000n]);
      case 'map':
        return pick(this.r, [0n, 1n, 2n, 5n, 0xffffffffffffffffn]);
      default:
        return pick(this.r, [0n, 1n, 2n, 3n, ...U32]);
    }
  }

  push(op: OpName, args: Arg[], produced: ((i: number) => Res[]) | null = null): number {
    const i = this.calls.length;
    this.calls.push({ op, args });
    if (produced) this.pool.push(...produced(i));
    return i;
  }

  /** A DRM fd: an existing one, or a new open() inserted now. */
  drmFd(wantPrimary = false): Arg {
    const fds = this.of('fd');
    const primaries = fds.filter((f) => f.primary);
    if (wantPrimary && primaries.length && chance(this.r, 0.85)) return pick(this.r, primaries).arg;
    if (fds.length && !chance(this.r, 0.05)) return this.resource(['fd'])?.arg ?? lit(this.special('fd'));
    if (this.opens >= (this.o.maxFiles ?? 3)) return fds.length ? pick(this.r, fds).arg : lit(this.special('fd'));
    return ref(this.genOpen(wantPrimary ? 0n : undefined), 'fd');
  }

  genOpen(node?: bigint, device?: bigint): number {
    this.opens++;
    const dev = device ?? (chance(this.r, 0.04) ? BigInt(this.o.devices + this.r.int(3)) : BigInt(this.r.int(Math.max(1, this.o.devices))));
    const n = node ?? (chance(this.r, 0.03) ? 2n : chance(this.r, 0.35) ? 1n : 0n);
    return this.push('open', [lit(dev), lit(n)], (i) => [{ kind: 'fd', arg: ref(i, 'fd'), primary: n === 0n && dev < BigInt(this.o.devices), dev }]);
  }

  /** The device an fd argument was opened on, when it is a known fd resource. */
  devOf(fd: Arg): bigint | undefined {
    if (fd.kind !== 'ref') return undefined;
    return this.pool.find((x) => x.kind === 'fd' && x.arg.kind === 'ref' && x.arg.call === fd.call)?.dev;
  }

  /** A DRM fd of another device than `dev` (a foreign importer): an existing one, or a new
   * open() of the next device; else any fd. */
  fdOfOtherDevice(dev: bigint): Arg {
    const others = this.of('fd').filter((f) => f.dev !== undefined && f.dev !== dev && f.dev < BigInt(this.o.devices));
    if (others.length && !chance(this.r, 0.2)) return pick(this.r, others).arg;
    if (this.opens >= (this.o.maxFiles ?? 3)) return this.drmFd();
    return ref(this.genOpen(undefined, (dev + 1n) % BigInt(this.o.devices)), 'fd');
  }

  dumbDims(): [bigint, bigint, bigint] {
    const r = this.r;
    if (chance(r, 0.12)) {
      const edge = [0n, 1n, 0x20000000n, 0x10000n, 0xffffffffn, 0x40000000n, 0x80000000n];
      return [pick(r, edge), pick(r, [0n, 1n, 7n, 0x10000n, 0xffffffffn]), pick(r, [0n, 1n, 8n, 32n, 0xfffffff8n, 0xfffffff7n, 0xffffffffn])];
    }
    const w = BigInt(pick(r, [1, 2, 3, 16, 64, 100, 256, 640, 1024, 1 + r.int(2048)]));
    const h = BigInt(pick(r, [1, 2, 4, 16, 64, 100, 480, 1 + r.int(512)]));
    const bpp = BigInt(pick(r, [8, 16, 24, 32, 32, 1, 4, 12, 15, 30, 64]));
    return [w, h, bpp];
  }

  handleFor(wantPrimary = false): { handle: Arg; fd: Arg; res?: Res } {
    const h = this.resource(['handle']);
    if (!h) {
      if (this.of('handle').length || chance(this.r, 0.3)) return { handle: lit(this.special('handle')), fd: this.drmFd() };
      const fd = this.drmFd(true);
      const i = this.genCreate(fd);
      return { handle: ref(i, 'handle'), fd, res: this.pool[this.pool.length - 1] };
    }
    const fd = h.fd && !chance(this.r, 0.1) ? h.fd : this.drmFd(wantPrimary);
    return { handle: h.arg, fd, res: h };
  }

  genCreate(fd: Arg): number {
    const [w, h, b] = this.dumbDims();
    const flags = chance(this.r, 0.05) ? lit(pick(this.r, [1n, 0xffffffffn])) : lit(0);
    return this.push('create_dumb', [fd, lit(w), lit(h), lit(b), flags], (i) => [{ kind: 'handle', arg: ref(i, 'handle'), fd, size: ref(i, 'size') }]);
  }

  prot(): bigint {
    return weighted(this.r, [[3n, 50], [1n, 25], [2n, 5], [0n, 5], [5n, 3], [7n, 3], [8n, 2], [0xffn, 1]] as const);
  }

  gen(op: OpName): void {
    const r = this.r;
    switch (op) {
      case 'open':
        if (this.opens >= (this.o.maxFiles ?? 3)) return this.gen('create_dumb');
        this.genOpen();
        return;
      case 'close': {
        const x = this.resource(['fd', 'dmabuf']);
        this.push('close', [x?.arg ?? lit(this.special('fd'))]);
        return;
      }
      case 'dup': {
        const x = this.resource(['fd', 'dmabuf']);
        const kind = x?.kind ?? 'fd';
        this.push('dup', [x?.arg ?? lit(this.special('fd'))], (i) => [{ kind, arg: ref(i, 'fd'), size: x?.size, primary: x?.primary, dev: x?.dev }]);
        return;
      }
      case 'create_dumb':
        this.genCreate(this.drmFd(true));
        return;
      case 'ro_create': {
        const fd = this.drmFd();
        const size = pick(r, [4096n, 8192n, 16384n, 0n, 4097n, 0x100000n]);
        this.push('ro_create', [fd, lit(size)], (i) => [{ kind: 'handle', arg: ref(i, 'handle'), fd, size: lit(size) }]);
        return;
      }
      case 'gem_close':
      case 'destroy_dumb': {
        const { handle, fd } = this.handleFor();
        this.push(op, [fd, handle]);
        return;
      }
      case 'map_dumb': {
        const { handle, fd, res } = this.handleFor(true);
        this.push('map_dumb', [fd, handle], (i) => [{ kind: 'offset', arg: ref(i, 'offset'), fd, size: res?.size }]);
        return;
      }
      case 'gem_flink': {
        const { handle, fd } = this.handleFor(true);
        this.push('gem_flink', [fd, handle], (i) => [{ kind: 'name', arg: ref(i, 'name') }]);
        return;
      }
      case 'gem_open': {
        const fd = this.drmFd(true);
        const n = this.resource(['name']);
        this.push('gem_open', [fd, n?.arg ?? lit(this.special('name'))], (i) => [{ kind: 'handle', arg: ref(i, 'handle'), fd, size: ref(i, 'size') }]);
        return;
      }
      case 'prime_handle_to_fd': {
        const { handle, fd, res } = this.handleFor();
        const flags = weighted(r, [[BigInt(DRM_CLOEXEC | DRM_RDWR), 40], [BigInt(DRM_CLOEXEC), 20], [0n, 20], [BigInt(DRM_RDWR), 15], [1n, 3], [0xffffffffn, 2]] as const);
        this.push('prime_handle_to_fd', [fd, handle, lit(flags)], (i) => [{ kind: 'dmabuf', arg: ref(i, 'dmabuf'), size: res?.size, dev: this.devOf(fd) }]);
        return;
      }
      case 'prime_fd_to_handle': {
        let d = this.resource(['dmabuf']);
        if (!d && !this.of('dmabuf').length && !chance(r, 0.3)) {
          // no dma-buf yet: export one first (the constructor), as mmap does with map_dumb
          this.gen('prime_handle_to_fd');
          const last = this.pool[this.pool.length - 1];
          d = last?.kind === 'dmabuf' ? last : undefined;
        }
        d ??= chance(r, 0.5) ? this.resource(['fd']) : undefined;
        // with several devices, half the imports go to another device (foreign imports)
        const src = d;
        const exporter = this.o.devices > 1 && src?.kind === 'dmabuf' ? src.dev : undefined;
        const fd = exporter !== undefined && chance(r, 0.5) ? this.fdOfOtherDevice(exporter) : this.drmFd();
        this.push('prime_fd_to_handle', [fd, src?.arg ?? lit(this.special('dmabuf'))], (i) => [{ kind: 'handle', arg: ref(i, 'handle'), fd, size: src?.size }]);
        return;
      }
      case 'get_magic': {
        const fd = this.drmFd(true);
        this.push('get_magic', [fd], (i) => [{ kind: 'magic', arg: ref(i, 'magic') }]);
        return;
      }
      case 'auth_magic': {
        const m = this.resource(['magic']);
        this.push('auth_magic', [this.drmFd(true), m?.arg ?? lit(this.special('magic'))]);
        return;
      }
      case 'fence_attach': {
        const { handle, fd } = this.handleFor();
        const flags = weighted(r, [[0n, 45], [1n, 45], [2n, 5], [0xffffffffn, 5]] as const);
        this.push('fence_attach', [fd, handle, lit(flags)], (i) => [{ kind: 'fence', arg: ref(i, 'fence'), fd }]);
        return;
      }
      case 'fence_signal': {
        const f = this.resource(['fence']);
        const flags = chance(r, 0.05) ? 1n : 0n;
        this.push('fence_signal', [f?.fd ?? this.drmFd(), f?.arg ?? lit(this.special('fence')), lit(flags)]);
        return;
      }
      case 'mmap': {
        let off = this.resource(['offset']);
        let fdArg: Arg;
        let size: Arg | undefined;
        let offset: Arg;
        const viaDmaBuf = chance(r, 0.2) ? this.resource(['dmabuf']) : undefined;
        if (viaDmaBuf) {
          fdArg = viaDmaBuf.arg;
          size = viaDmaBuf.size;
          offset = lit(pick(r, [0n, 0n, 0n, 4096n, 8192n, 1n]));
        } else {
          if (!off && !chance(r, 0.2)) {
            this.gen('map_dumb');
            off = this.pool[this.pool.length - 1].kind === 'offset' ? this.pool[this.pool.length - 1] : undefined;
          }
          fdArg = off?.fd && !chance(r, 0.1) ? off.fd : this.drmFd();
          offset = off && !chance(r, 0.05) ? off.arg : lit(this.special('offset'));
          size = off?.size;
        }
        const length = size && !chance(r, 0.25) ? size : lit(pick(r, [4096n, 8192n, 1n, 0n, 65536n, 0x100000n, 0x7fff_ffff_f000n, 0xffff_ffff_ffff_f001n]));
        const flags = weighted(r, [[1n, 78], [2n, 10], [3n, 5], [0n, 3], [0x11n, 2], [0x20n, 2]] as const);
        this.push('mmap', [fdArg, offset, length, lit(this.prot()), lit(flags)], (i) => [{ kind: 'map', arg: ref(i, 'map'), size }]);
        return;
      }
      case 'munmap':
      case 'mprotect':
      case 'write':
      case 'read': {
        let m = this.resource(['map']);
        if (!m && !chance(r, 0.2) && op !== 'munmap') {
          this.gen('mmap');
          m = this.pool[this.pool.length - 1].kind === 'map' ? this.pool[this.pool.length - 1] : undefined;
        }
        const map = m?.arg ?? lit(this.special('map'));
        if (op === 'munmap') this.push('munmap', [map]);
        else if (op === 'mprotect') this.push('mprotect', [map, lit(this.prot())]);
        else {
          const offset = BigInt(pick(r, [0, 0, 1, 100, 4095, 4096, 8192, 12288, r.int(65536)]));
          const len = BigInt(pick(r, [1, 16, 256, 4096, 5000, 8192, 0, 1 + r.int(20000)]));
          if (op === 'write') this.push('write', [map, lit(offset), lit(len), lit(r.int(0x7fffffff))]);
          else this.push('read', [map, lit(offset), lit(len)]);
        }
        return;
      }
    }
  }
}

export function generateProgram(r: Rand, o: GenOptions, meta: Program['meta'] = {}): Program {
  const b = new Builder(r, o);
  const n = 1 + r.int(o.maxCalls);
  while (b.calls.length < n) b.gen(weighted(r, WEIGHTS));
  return { meta, calls: b.calls.slice(0, n) };
}

