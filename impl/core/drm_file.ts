/** struct drm_file: per-open state of a DRM node. */
import { Idr } from './idr.ts';
import type { DrmDevice, DrmMaster } from './drm_device.ts';
import type { GemObject } from './drm_gem.ts';
import type { DmaBuf } from './dma_buf.ts';

/** drm_prime_file_private: (dma-buf, handle) members, findable by either key. */
export class PrimeFilePrivate {
  readonly byHandle = new Map<number, DmaBuf>();
  /** dma-buf → its handles, oldest first (the import lookup takes the first). */
  readonly byDmaBuf = new Map<DmaBuf, number[]>();

  /** drm_prime_add_buf_handle: the member holds a dma-buf reference. */
  add(buf: DmaBuf, handle: number): void {
    buf.file.get();
    this.byHandle.set(handle, buf);
    const hs = this.byDmaBuf.get(buf);
    if (hs) hs.push(handle);
    else this.byDmaBuf.set(buf, [handle]);
  }
  /** drm_prime_remove_buf_handle: by handle ("drm/gem: Fix GEM handle release errors"). */
  remove(handle: number): void {
    const buf = this.byHandle.get(handle);
    if (!buf) return;
    this.byHandle.delete(handle);
    const hs = this.byDmaBuf.get(buf)!;
    hs.splice(hs.indexOf(handle), 1);
    if (!hs.length) this.byDmaBuf.delete(buf);
    buf.file.put();
  }
  lookupByHandle(handle: number): DmaBuf | undefined {
    return this.byHandle.get(handle);
  }
  lookupByDmaBuf(buf: DmaBuf): number | undefined {
    return this.byDmaBuf.get(buf)?.[0];
  }
}

export class DrmFile {
  readonly objectIdr = new Idr<GemObject>(1);
  readonly prime = new PrimeFilePrivate();
  authenticated = false;
  isMaster = false;
  master: DrmMaster | null = null;
  magic = 0;
  /** driver_priv (vgem: the fence idr). */
  driverPriv: unknown = null;
  /** per kernel instance, for reports */
  readonly id: number;
  constructor(
    readonly dev: DrmDevice,
    readonly render: boolean,
  ) {
    this.id = dev.kernel.nextId('file');
  }
}
