/** Backends by device kind: each is a drm_driver hook table built for a profile. */
import type { DeviceTable } from '../../ir/devices.ts';
import { amdgpuDriver } from './amdgpu/driver.ts';
import type { Profile } from '../../ir/target.ts';
import type { DrmDriver } from '../hooks.ts';
import { vgemDriver } from './vgem/driver.ts';
import { bochsDriver } from './bochs/driver.ts';
import { cirrusDriver } from './cirrus/driver.ts';

/** A driver factory: the profile and the device's parameters (defaults filled in). */
export type DriverFactory = (p: Profile, params: Readonly<Record<string, number>>) => DrmDriver;

export const DRIVERS: DeviceTable<DriverFactory> = {
  vgem: vgemDriver,
  bochs: bochsDriver,
  cirrus: cirrusDriver,
  amdgpu: amdgpuDriver,
};
