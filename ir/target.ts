/**
 * The target contract: what model/, impl/ and the kernel target all implement. A target runs
 * resolved calls (all references already turned into integers) and answers with an Outcome;
 * errors are values. Targets are configured by a profile and a list of devices.
 */
import type { OpName } from './calls.ts';
import type { Outcome } from './outcome.ts';

export type ProfileName = 'linux-6.1' | 'linux-5.10';

/** Kernel-version differences, as data (each flag names the kernel change it stands for). */
export interface Profile {
  readonly name: ProfileName;
  /** drm_gem_mmap checks drm_vma_offset_node.readonly (v4.19..v5.13; removed by
   * "drm/vma: Add a driver_private member to vma_node." in v5.14). */
  readonly readonlyNodes: boolean;
  /** The vgem-like device offers gemcheck's RO_CREATE ioctl (nr 0x43), standing in for
   * i915 userptr READ_ONLY, the in-tree user of read-only nodes. */
  readonly roCreateIoctl: boolean;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  'linux-6.1': { name: 'linux-6.1', readonlyNodes: false, roCreateIoctl: false },
  'linux-5.10': { name: 'linux-5.10', readonlyNodes: true, roCreateIoctl: true },
};

export function isProfileName(s: string): s is ProfileName {
  return Object.prototype.hasOwnProperty.call(PROFILES, s);
}

export type DeviceKind = 'vgem' | 'bochs' | 'cirrus';
export const DEVICE_KINDS: readonly DeviceKind[] = ['vgem', 'bochs', 'cirrus'];
export function isDeviceKind(s: string): s is DeviceKind {
  return (DEVICE_KINDS as readonly string[]).includes(s);
}

export interface TargetConfig {
  readonly profile: Profile;
  /** open(dev=i) opens devices[i]; other indices do not exist (ENOENT). */
  readonly devices: readonly DeviceKind[];
}

/** One program's worth of state on a target. */
export interface Session {
  exec(op: OpName, args: readonly bigint[]): Outcome;
}

export interface SyncTarget {
  readonly name: string;
  open(cfg: TargetConfig): Session;
}

export const DEFAULT_DEVICES: readonly DeviceKind[] = ['vgem', 'vgem'];
