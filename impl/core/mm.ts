/**
 * The process address space (mm/mmap.c, mm/mprotect.c): do_mmap's checks, VMAs that hold
 * their vm_file, munmap calling vm_ops->close, and page-by-page user access through the
 * vm_ops fault handler. VMA ids are the harness's mapping ids (executor/PROTOCOL.md).
 */
import type { VmOps } from '../hooks.ts';
import { FNV_BASIS, fnv1a, fnv1aZeros, patternByte } from '../../ir/pattern.ts';
import { Errno, MMAP_LEN_LIMIT, PAGE_SIZE, PROT_WRITE, type SignalName } from '../../ir/uapi.ts';
import { FMODE_READ, FMODE_UNSIGNED_OFFSET, FMODE_WRITE, type File } from './vfs.ts';
import { cover } from '../cover.ts';

export const VM_READ = 1;
export const VM_WRITE = 2;
export const VM_EXEC = 4;
export const VM_SHARED = 8;
export const VM_MAYWRITE = 0x20;

const PAGE = BigInt(PAGE_SIZE);

export class Vma {
  ops: VmOps | null = null;
  privateData: unknown = null;
  constructor(
    readonly id: number,
    public file: File,
    public pgoff: bigint,
    readonly pages: number,
    public flags: number, // VM_* bits: the prot bits plus SHARED / MAYWRITE
  ) {}
  /** is_cow_mapping: private and may-write. */
  get isCow(): boolean {
    return (this.flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
  }
}

/** vma_set_file: the vma now keeps `file` open instead of its old file. */
export function vmaSetFile(vma: Vma, file: File): void {
  const old = vma.file;
  vma.file = file.get();
  old.put();
}

export type Access = { ok: true; digest?: number } | { ok: false; signal: SignalName };

export class AddressSpace {
  readonly vmas = new Map<number, Vma>();
  private mapCount = 0;

  /** do_mmap after fget: returns the vma id or -errno. `file` is not consumed. */
  mmap(file: File, offset: bigint, length: bigint, prot: number, mapType: number): number {
    if (length === 0n) return -Errno.EINVAL;
    const len = (length + PAGE - 1n) & ~(PAGE - 1n);
    if (len >= 1n << 64n) return -Errno.ENOMEM;
    if (len >= MMAP_LEN_LIMIT) return -Errno.ENOMEM; // get_unmapped_area (harness bound)
    const pgoff = offset / PAGE;
    // file_mmap_ok: file_mmap_size_max is 0 with FMODE_UNSIGNED_OFFSET, else ULONG_MAX;
    // `maxsize -= len` wraps modulo 2^64
    const maxsize = BigInt.asUintN(64, (file.fmode & FMODE_UNSIGNED_OFFSET ? 0n : (1n << 64n) - 1n) - len);
    if (pgoff > maxsize >> 12n) return -Errno.EOVERFLOW;
    let flags = prot | VM_MAYWRITE;
    switch (mapType) {
      case 1:
      case 3: // MAP_SHARED, MAP_SHARED_VALIDATE (no unknown bits reach here)
        if (prot & PROT_WRITE && !(file.fmode & FMODE_WRITE)) return -Errno.EACCES;
        flags |= VM_SHARED;
        if (!(file.fmode & FMODE_WRITE)) {
          cover('do_mmap:readonly-file');
          flags &= ~(VM_MAYWRITE | VM_SHARED);
        }
        if (!(file.fmode & FMODE_READ)) return -Errno.EACCES;
        break;
      case 2: // MAP_PRIVATE
        if (!(file.fmode & FMODE_READ)) return -Errno.EACCES;
        cover('do_mmap:private');
        break;
      default:
        return -Errno.EINVAL;
    }
    if (!file.ops.mmap) return -Errno.ENODEV;
    const vma = new Vma(this.mapCount + 1, file.get(), pgoff, Number(len / PAGE), flags);
    const ret = file.ops.mmap(vma.file, vma);
    if (ret) {
      vma.file.put();
      return ret;
    }
    this.vmas.set(vma.id, vma);
    return ++this.mapCount;
  }

  private live(id: bigint): Vma | undefined {
    return id > 0n && id <= BigInt(this.mapCount) ? this.vmas.get(Number(id)) : undefined;
  }

  /** munmap of a whole vma: vm_ops->close, then the vm_file reference goes. */
  munmap(id: bigint): number {
    const vma = this.live(id);
    if (!vma) return -Errno.EINVAL; // harness rule
    this.vmas.delete(vma.id);
    vma.ops?.close?.(vma);
    vma.file.put();
    return 0;
  }

  /** mprotect_fixup: VM_WRITE needs VM_MAYWRITE. */
  mprotect(id: bigint, prot: number): number {
    const vma = this.live(id);
    if (!vma) return -Errno.ENOMEM;
    if (prot & ~7) return -Errno.EINVAL;
    if (prot & PROT_WRITE && !(vma.flags & VM_MAYWRITE)) return cover('mprotect_fixup:no-maywrite'), -Errno.EACCES;
    vma.flags = (vma.flags & ~7) | prot;
    return 0;
  }

  /** User access, page by page in ascending order; the first failing page stops it. */
  access(id: bigint, offset: bigint, len: bigint, write: boolean, seed: number): Access {
    const vma = this.live(id);
    if (!vma) return { ok: false, signal: 'SIGSEGV' };
    let h = FNV_BASIS;
    for (let done = 0n; done < len; ) {
      const at = offset + done;
      const page = at / PAGE;
      const inPage = Number(at - page * PAGE);
      const rest = len - done;
      const n = rest < PAGE - BigInt(inPage) ? Number(rest) : PAGE_SIZE - inPage;
      if (page >= BigInt(vma.pages)) return cover('do_user_addr_fault:past-vma'), { ok: false, signal: 'SIGSEGV' };
      const perm = vma.flags & 7;
      if (perm === 0 || (write && !(perm & VM_WRITE))) return cover('do_user_addr_fault:access-error'), { ok: false, signal: 'SIGSEGV' };
      const r = vma.ops ? vma.ops.fault(vma, Number(page)) : 'SIGBUS';
      if (r === 'SIGBUS') return { ok: false, signal: 'SIGBUS' };
      if (write) {
        const bytes = r.store.writable(r.index);
        const base = Number(done);
        for (let k = 0; k < n; k++) bytes[inPage + k] = patternByte(seed, base + k);
      } else {
        const bytes = r.store.readable(r.index);
        if (!bytes) cover('handle_mm_fault:read-unpopulated'); // never written: reads as zeros
        h = bytes ? fnv1a(h, bytes.subarray(inPage, inPage + n)) : fnv1aZeros(h, n);
      }
      done += BigInt(n);
    }
    return write ? { ok: true } : { ok: true, digest: h };
  }

  /** exit_mmap: every vma goes. */
  teardown(): void {
    for (const id of [...this.vmas.keys()]) this.munmap(BigInt(id));
  }
}
