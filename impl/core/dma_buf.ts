/**
 * dma-buf (drivers/dma-buf/dma-buf.c) and the GEM dma-buf ops (drm_prime.c): the dma-buf is
 * its file; the exporter's object is held by the dma-buf's priv reference until the final
 * fput (drm_gem_dmabuf_release).
 */
import { Errno, PAGE_SIZE } from '../../ir/uapi.ts';
import { cover } from '../cover.ts';
import type { GemObject } from './drm_gem.ts';
import type { Kernel } from './kernel.ts';
import type { DmaResv } from './resv.ts';
import { vmaSetFile, type Vma } from './mm.ts';
import { File, FMODE_READ, FMODE_WRITE } from './vfs.ts';

export interface DmaBufOps {
  release(buf: DmaBuf): void;
  mmap?(buf: DmaBuf, vma: Vma): number;
  /** dma_buf_ops.pin: a non-dynamic importer's attach pins the exporter's buffer (0 or -errno) */
  pin?(buf: DmaBuf): number;
  /** dma_buf_ops.unpin: at that importer's detach */
  unpin?(buf: DmaBuf): void;
}

export class DmaBuf {
  readonly file: File;
  /** per kernel instance, for reports (the inode number of its file, as it were) */
  readonly id: number;
  constructor(
    readonly kernel: Kernel,
    readonly size: number,
    readonly ops: DmaBufOps,
    readonly priv: GemObject,
    readonly resv: DmaResv,
    writable: boolean,
  ) {
    this.id = kernel.nextId('dmabuf');
    // dma_buf_getfile: the file mode comes from the export flags (O_ACCMODE), fixed for good
    this.file = new File(FMODE_READ | (writable ? FMODE_WRITE : 0), dmaBufFops, this, kernel.report);
    kernel.dmabufs.add(this);
  }
}

/** The dma-buf file's f_op: release at the final fput, mmap = dma_buf_mmap_internal. */
const dmaBufFops = {
  release(file: File): void {
    const buf = file.priv as DmaBuf;
    buf.kernel.dmabufs.delete(buf);
    buf.ops.release(buf);
  },
  mmap(file: File, vma: Vma): number {
    const buf = file.priv as DmaBuf;
    if (!buf.ops.mmap) return -Errno.EINVAL;
    if (vma.pgoff + BigInt(vma.pages) > BigInt(buf.size / PAGE_SIZE)) return -Errno.EINVAL;
    return buf.ops.mmap(buf, vma);
  },
};

export function isDmaBufFile(file: File): boolean {
  return file.ops === dmaBufFops;
}

/** dma_buf_mmap: used by importers to redirect a mapping to the exporter. */
export function dmaBufMmap(buf: DmaBuf, vma: Vma, pgoff: bigint): number {
  if (!buf.ops.mmap) return -Errno.EINVAL;
  if (pgoff + BigInt(vma.pages) > BigInt(buf.size / PAGE_SIZE)) return -Errno.EINVAL;
  cover('dma_buf_mmap:redirect'); // an importer's mapping goes to the exporter
  vmaSetFile(vma, buf.file);
  vma.pgoff = pgoff;
  return buf.ops.mmap(buf, vma);
}
