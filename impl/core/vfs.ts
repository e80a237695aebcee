/**
 * struct file and the fd table: a file lives while fds and mappings (vm_file) hold it;
 * its release runs at the final fput.
 */
import { Idr } from './idr.ts';
import type { Vma } from './mm.ts';

export const FMODE_READ = 1;
export const FMODE_WRITE = 2;
/** FMODE_UNSIGNED_OFFSET: mmap offsets are not limited by file_mmap_size_max (DRM nodes). */
export const FMODE_UNSIGNED_OFFSET = 0x2000;

export interface FileOps {
  release(file: File): void;
  /** 0 or -errno. */
  mmap?(file: File, vma: Vma): number;
}

export class File {
  fCount = 1;
  released = false;
  constructor(
    readonly fmode: number,
    readonly ops: FileOps,
    readonly priv: unknown,
    private readonly report: (msg: string) => void,
  ) {}
  get(): File {
    if (this.released) this.report('get_file on a released file');
    this.fCount++;
    return this;
  }
  /** fput. */
  put(): void {
    if (this.fCount <= 0) {
      this.report('fput underflow');
      return;
    }
    if (--this.fCount === 0) {
      this.released = true;
      this.ops.release(this);
    }
  }
}

/** The process fd table: lowest free fd ≥ 3 (0-2 are the executor's stdio). */
export class FdTable {
  readonly fds: Idr<File>;
  constructor(first: number, limit: number) {
    this.fds = new Idr<File>(first, limit - 1);
  }
  /** fd_install of a reference the caller owns; -1 if the table is full (EMFILE). */
  install(file: File): number {
    return this.fds.alloc(file);
  }
  /** fget without the reference (callers that need one take it). */
  lookup(fd: number): File | undefined {
    return this.fds.find(fd) ?? undefined;
  }
  close(fd: number): boolean {
    const f = this.fds.remove(fd);
    if (!f) return false;
    f.put();
    return true;
  }
}
