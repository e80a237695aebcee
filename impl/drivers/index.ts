/** Backends by device kind: each is a drm_driver hook table built for a profile. */
import type { DeviceTable } from '../../ir/devices.ts';
import { amdgpuDriver } from './amdgpu/driver.ts';
import type { Profile } from '../../ir/target.ts';
import type { DrmDriver } from '../hooks.ts';
import { vgemDriver } from './vgem/driver.ts';
import { bochsDriver } from './bochs/driver.ts';
import { cirrusDriver } from './cirrus/driver.ts';
import { nvdlaDriver } from './nvdla/driver.ts';
import { qxlDriver } from './qxl/driver.ts';
import type { QuirkName } from '../../ir/quirks.ts';

/** A driver factory: the profile, the device's parameters (defaults filled in) and its
 * registry entry's quirks (ir/quirks.ts). */
export type DriverFactory = (p: Profile, params: Readonly<Record<string, number>>, quirks: readonly QuirkName[]) => DrmDriver;

export const DRIVERS: DeviceTable<DriverFactory> = {
  vgem: vgemDriver,
  bochs: bochsDriver,
  cirrus: cirrusDriver,
  amdgpu: amdgpuDriver,
  // one driver; the upstream variant differs only by its registry entry's quirks
  nvdla: (p, params, quirks) => nvdlaDriver(p, params, quirks, 'nvdla'),
  'nvdla-upstream': (p, params, quirks) => nvdlaDriver(p, params, quirks, 'nvdla-upstream'),
  qxl: qxlDriver,
};
