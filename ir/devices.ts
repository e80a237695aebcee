/**
 * The device registry: the one list of device names. Every layer keeps its own table keyed
 * by these names (the model's device facts in model/devices.ts, impl's driver factories in
 * impl/drivers/index.ts, the VM's guest devices in kernel/guest.ts), each typed as a
 * DeviceTable so that a name without its entry does not compile. No code outside the
 * registries and the drivers names a device.
 */

export const DEVICE_NAMES = ['vgem', 'bochs', 'cirrus'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

/** A table with one entry per registered device: adding a name without its entry is a type error. */
export type DeviceTable<T> = { readonly [K in DeviceName]: T };

export function isDeviceName(s: string): s is DeviceName {
  return (DEVICE_NAMES as readonly string[]).includes(s);
}

/** A per-run device parameter (e.g. a VRAM size): its documented range and default. */
export interface ParamDesc {
  readonly doc: string;
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

export interface DeviceEntry {
  /** one line for --help and reports */
  readonly doc: string;
  /** parameters a run may set for this device (name → description); empty for most */
  readonly params: Readonly<Record<string, ParamDesc>>;
}

export const DEVICES_REGISTRY: DeviceTable<DeviceEntry> = {
  vgem: { doc: 'virtual GEM: shmem objects, render node, fences', params: {} },
  bochs: { doc: 'bochs-display: drm_vram_helper over TTM, no PRIME, fbdev buffer at boot', params: {} },
  cirrus: { doc: 'cirrus-vga: shmem objects with PRIME, no render node, fbdev buffer at boot', params: {} },
};

/** What random programs see when no device list is given: two of the same device, so that
 * foreign PRIME imports are exercised as well as self-imports. */
export const DEFAULT_DEVICES: readonly DeviceName[] = [DEVICE_NAMES[0], DEVICE_NAMES[0]];

/**
 * Parses a device list ("vgem,cirrus", "vgem vgem"): the names, or the reason it is not one
 * (an unknown name, an empty list). The caller turns the reason into a located usage error.
 */
export function parseDeviceList(s: string): DeviceName[] | string {
  const names = s.split(/[\s,]+/).filter(Boolean);
  if (!names.length) return 'no device named';
  for (const n of names) if (!isDeviceName(n)) return `unknown device '${n}' (known: ${DEVICE_NAMES.join(', ')})`;
  return names as DeviceName[];
}
