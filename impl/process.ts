/**
 * One process's view of the simulated kernel: the fd table, the address space, and the
 * syscalls gemcheck programs make. This is impl's Session.
 */
import type { OpName } from '../ir/calls.ts';
import { DEVICES_REGISTRY, deviceParams } from '../ir/devices.ts';
import { i32, u32, u64 } from '../ir/ints.ts';
import { err, ok, sig, type Outcome } from '../ir/outcome.ts';
import type { Session, TargetConfig, Violation } from '../ir/target.ts';
import { exitCheck, selfCheck } from './debug/index.ts';
import { ttmObserve } from './debug/ttm.ts';
import { noTtmStats, type TtmStats } from './ttm/device.ts';
import { Errno, FD_LIMIT, FIRST_FD, PAGE_SIZE } from '../ir/uapi.ts';
import { DrmDevice } from './core/drm_device.ts';
import type { DrmFile } from './core/drm_file.ts';
import { drmFops, drmOpen, isDrmFile } from './core/drm_fops.ts';
import { drmIoctl } from './core/drm_ioctl.ts';
import { Kernel } from './core/kernel.ts';
import { AddressSpace } from './core/mm.ts';
import { FdTable } from './core/vfs.ts';
import { DRIVERS } from './drivers/index.ts';
import { NO_FAULTS, type FaultSet } from './faults.ts';
import { coverCall } from './cover.ts';
import { OPS } from '../ir/calls.ts';

const OP_INDEX = new Map(OPS.map((o, i) => [o, i]));

// prot and flags of mmap/mprotect are C ints: truncated as the executor's assignment does (PROTOCOL.md)
const small = (v: bigint): number => i32(v);

export class ImplSession implements Session {
  readonly kernel: Kernel;
  readonly fds = new FdTable(FIRST_FD, FD_LIMIT);
  readonly mm = new AddressSpace();

  /** selfChecks (default on): whether the TTM devices' debug observers record decisions */
  constructor(cfg: TargetConfig, faults: FaultSet = NO_FAULTS, o: { readonly selfChecks?: boolean } = {}) {
    this.kernel = new Kernel(cfg.profile, faults);
    if (o.selfChecks !== false) this.kernel.ttmObserver = ttmObserve;
    cfg.devices.forEach((kind, i) => {
      const dev = new DrmDevice(this.kernel, i, DRIVERS[kind](cfg.profile, deviceParams(kind, cfg.deviceParams?.[i]), DEVICES_REGISTRY[kind].quirks ?? []));
      this.kernel.devices.push(dev);
      dev.driver.probe?.(dev);
    });
  }

  exec(op: OpName, a: readonly bigint[]): Outcome {
    coverCall(OP_INDEX.get(op) ?? 0);
    switch (op) {
      case 'open': return this.open(a[0], a[1]);
      case 'close': return this.fds.close(i32(a[0])) ? ok() : err(Errno.EBADF);
      case 'dup': {
        const f = this.fds.lookup(i32(a[0]));
        if (!f) return err(Errno.EBADF);
        const fd = this.fds.install(f.get());
        if (fd < 0) {
          f.put();
          return err(Errno.EMFILE);
        }
        return ok({ fd: BigInt(fd) });
      }
      case 'mmap': return this.mmap(a);
      case 'munmap': return result(this.mm.munmap(u64(a[0])));
      case 'mprotect': return result(this.mm.mprotect(u64(a[0]), small(a[1])));
      case 'write':
      case 'read': {
        const r = this.mm.access(u64(a[0]), u64(a[1]), u64(a[2]), op === 'write', u32(a[3] ?? 0n));
        if (!r.ok) return sig(r.signal);
        return r.digest === undefined ? ok() : ok({ digest: BigInt(r.digest) });
      }
      default: return this.ioctl(op, a);
    }
  }

  private open(dev: bigint, node: bigint): Outcome {
    const d = dev >= 0n && dev < BigInt(this.kernel.devices.length) ? this.kernel.devices[Number(dev)] : undefined;
    const render = node === 1n;
    if (!d || (node !== 0n && !render) || (render && !d.driver.features.render)) return err(Errno.ENOENT);
    if (this.fds.fds.peek() >= FD_LIMIT) return err(Errno.EMFILE); // get_unused_fd before drm_open
    const f = drmOpen(d, render);
    if (typeof f === 'number') return err(-f);
    return ok({ fd: BigInt(this.fds.install(f)) });
  }

  private mmap(a: readonly bigint[]): Outcome {
    const prot = small(a[3]);
    const flags = small(a[4]);
    if (prot & ~7 || flags & ~3) return err(Errno.EINVAL); // harness rule (PROTOCOL.md)
    const offset = u64(a[1]);
    if (offset % BigInt(PAGE_SIZE)) return err(Errno.EINVAL);
    const f = this.fds.lookup(i32(a[0]));
    if (!f) return err(Errno.EBADF);
    const r = this.mm.mmap(f, offset, u64(a[2]), prot, flags);
    return r < 0 ? err(-r) : ok({ map: BigInt(r) });
  }

  private ioctl(op: OpName, a: readonly bigint[]): Outcome {
    const f = this.fds.lookup(i32(a[0]));
    if (!f) return err(Errno.EBADF);
    if (!isDrmFile(f)) return err(Errno.ENOTTY);
    const out: Record<string, bigint> = {};
    const r = drmIoctl(this.fds, f.priv as DrmFile, op, a, out);
    return r < 0 ? err(-r) : ok(out);
  }

  /** Process exit: every mapping and fd goes (for the leak checker). */
  teardown(): void {
    this.mm.teardown();
    for (const [fd] of [...this.fds.fds.entries()]) this.fds.close(fd);
    for (const dev of this.kernel.devices) dev.driver.unload?.(dev);
  }

  /** The TTM counters summed over every device on TTM (for check's summary). */
  ttmStats(): TtmStats {
    const sum = noTtmStats();
    for (const dev of this.kernel.devices) {
      const bdev = dev.driver.debug?.ttmDevice?.(dev);
      if (!bdev) continue;
      for (const k of Object.keys(sum) as (keyof TtmStats)[]) sum[k] += bdev.stats[k];
    }
    return sum;
  }

  selfCheck(): readonly Violation[] {
    return selfCheck(this);
  }

  /** Process exit, then what must not remain. */
  exit(): readonly Violation[] {
    this.teardown();
    return exitCheck(this);
  }
}

function result(r: number): Outcome {
  return r < 0 ? err(-r) : ok();
}

