/** Backends by device kind: each is a drm_driver hook table built for a profile. */
import type { DeviceTable } from '../../ir/devices.ts';
import type { Profile } from '../../ir/target.ts';
import type { DrmDriver } from '../hooks.ts';
import { vgemDriver } from './vgem/driver.ts';
import { bochsDriver } from './bochs/driver.ts';
import { cirrusDriver } from './cirrus/driver.ts';

export const DRIVERS: DeviceTable<(p: Profile) => DrmDriver> = {
  vgem: vgemDriver,
  bochs: bochsDriver,
  cirrus: cirrusDriver,
};
