/**
 * The simulated kernel instance of one session: its devices, the global dma-buf list (as
 * debugfs's db_list), the active profile and fault switches, and a log of internal
 * violations (use after free, refcount underflow) that the invariant checkers drain.
 */
import type { Profile } from '../../ir/target.ts';
import type { FaultSet } from '../faults.ts';
import type { DmaBuf } from './dma_buf.ts';
import type { DrmDevice } from './drm_device.ts';

export class Kernel {
  readonly devices: DrmDevice[] = [];
  readonly dmabufs = new Set<DmaBuf>();
  readonly violations: string[] = [];
  constructor(
    readonly profile: Profile,
    readonly faults: FaultSet,
  ) {}
  report = (msg: string): void => {
    this.violations.push(msg);
  };
}
