/**
 * The simulated kernel instance of one session: its devices, the global dma-buf list (as
 * debugfs's db_list), the active profile and fault switches, a log of internal violations
 * (use after free, refcount underflow: the core's WARN_ONs) that the self-checks drain, and
 * the ids that reach reports. Everything that can reach a report lives here, not in module
 * state, so a report's text depends only on the program that produced it.
 */
import type { Profile, Violation } from '../../ir/target.ts';
import type { FaultSet } from '../faults.ts';
import type { DmaBuf } from './dma_buf.ts';
import type { DrmDevice } from './drm_device.ts';
import type { DmaFence } from './resv.ts';
import type { GemObject } from './drm_gem.ts';
import type { TtmDevice, TtmObserver } from '../ttm/device.ts';

/** What the debug checks remember between calls (state the kernel itself does not keep);
 * it lives and dies with the kernel instance, so nothing carries over between programs. */
export class KernelDebug {
  /** each object's first offset page, to check offsets never move (drm_vma_offset_add is idempotent) */
  readonly firstOffset = new Map<GemObject, number>();
  /** fences once seen signalled (dma_fence_signal sets DMA_FENCE_FLAG_SIGNALED_BIT for good) */
  readonly signalled = new Set<DmaFence>();
}

type IdKind = 'object' | 'dmabuf' | 'file' | 'fence';

export class Kernel {
  readonly devices: DrmDevice[] = [];
  readonly dmabufs = new Set<DmaBuf>();
  readonly violations: Violation[] = [];
  readonly debug = new KernelDebug();
  /** With self-checks on: the debug observer every TTM device gets (impl/debug/ttm.ts) */
  ttmObserver: ((bdev: TtmDevice) => TtmObserver) | null = null;
  private readonly ids: Record<IdKind, number> = { object: 0, dmabuf: 0, file: 0, fence: 0 };
  constructor(
    readonly profile: Profile,
    readonly faults: FaultSet,
  ) {}
  /** The next id of a kind, from 1, per kernel instance (for reports only). */
  nextId(kind: IdKind): number {
    return ++this.ids[kind];
  }
  /** A core WARN_ON: recorded under the invariant it breaks. */
  warn = (invariant: string, message: string): void => {
    this.violations.push({ invariant, message });
  };
  /** Use after free or refcount misuse (the kref/fput paths' WARNs). */
  report = (message: string): void => this.warn('no-use-after-free', message);
}
