/**
 * The device registry: the one list of device names. Every layer keeps its own table keyed
 * by these names (the model's device facts in model/devices.ts, impl's driver factories in
 * impl/drivers/index.ts, the VM's guest devices in kernel/guest.ts), each typed as a
 * DeviceTable so that a name without its entry does not compile. No code outside the
 * registries and the drivers names a device.
 */
import type { Uapi } from './calls/types.ts';
import { QUIRKS, type QuirkName } from './quirks.ts';

export const DEVICE_NAMES = ['vgem', 'bochs', 'cirrus', 'amdgpu', 'nvdla', 'nvdla-upstream', 'qxl'] as const;
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
  /** the driver uapi it offers besides core (its ioctl table); generation favours these */
  readonly uapi: readonly Uapi[];
  /** named deviations from a correct driver that this device has (ir/quirks.ts); absent: none */
  readonly quirks?: readonly QuirkName[];
}

/** NVDLA's DMA pool (nvdla_drm_probe: dma_declare_coherent_memory of 1 GiB at 0xC0000000). */
const NVDLA_PARAMS: Readonly<Record<string, ParamDesc>> = {
  pool_kib: { doc: 'DMA-coherent pool size in KiB (nvdla_drm_probe declares 1 GiB at 0xC0000000; EXCLUSIVE: no fallback)', min: 4, max: 1 << 22, default: 1 << 20 },
};

export const DEVICES_REGISTRY: DeviceTable<DeviceEntry> = {
  vgem: { doc: 'virtual GEM: shmem objects, render node, fences', params: {}, uapi: ['vgem'] },
  bochs: { doc: 'bochs-display: drm_vram_helper over TTM, no PRIME, fbdev buffer at boot', params: {}, uapi: [] },
  cirrus: { doc: 'cirrus-vga: shmem objects with PRIME, no render node, fbdev buffer at boot', params: {}, uapi: [] },
  amdgpu: {
    doc: 'amdgpu (simulated, judged model vs impl: no QEMU device): TTM VRAM/GTT/GDS/GWS/OA, CS, fences',
    params: {
      vram_kib: { doc: 'VRAM size in KiB (amdgpu_vram_mgr); small by default so random programs evict', min: 256, max: 1 << 24, default: 2048 },
      visible_kib: { doc: 'CPU-visible VRAM in KiB (the BAR; clamped to vram_kib)', min: 0, max: 1 << 24, default: 512 },
      gtt_kib: { doc: 'GTT size in KiB (amdgpu_gtt_mgr)', min: 256, max: 1 << 24, default: 4096 },
      gds: { doc: 'GDS size in units (on-chip, amdgpu_ttm_init_on_chip)', min: 0, max: 1 << 16, default: 64 },
      gws: { doc: 'GWS size in units', min: 0, max: 64, default: 16 },
      oa: { doc: 'OA size in units', min: 0, max: 64, default: 16 },
    },
    uapi: ['amdgpu'],
  },
  nvdla: {
    doc: 'NVDLA (simulated, judged model vs impl: no QEMU device): DMA-pool GEM objects, PRIME, task submission — a correct driver',
    params: NVDLA_PARAMS,
    uapi: ['nvdla'],
  },
  'nvdla-upstream': {
    doc: 'NVDLA as nvdla/sw HEAD has it: the nvdla device with every upstream bug of ir/quirks.ts switched on',
    params: NVDLA_PARAMS,
    uapi: ['nvdla'],
    quirks: Object.keys(QUIRKS) as QuirkName[],
  },
  qxl: {
    doc: 'qxl (QEMU -device qxl): TTM bos in a small VRAM (the RAM BAR) and a surface BAR — evictions to SYSTEM, pinned driver bos; PRIME export and self-import only',
    params: {
      ram_size_mb: { doc: 'the RAM BAR in MiB (QEMU ram_size_mb, a power of two ≥ 16): VRAM is it less the 2-page RAM header', min: 16, max: 256, default: 16 },
      vram_size_mb: { doc: 'the surface BAR in MiB (QEMU vram_size_mb, a power of two): the surface (PRIV) manager', min: 1, max: 64, default: 1 },
    },
    uapi: ['qxl'],
  },
};

/** A device's parameters with the defaults filled in. */
export function deviceParams(name: DeviceName, given: Readonly<Record<string, number>> | undefined): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, d] of Object.entries(DEVICES_REGISTRY[name].params)) out[k] = given?.[k] ?? d.default;
  return out;
}

/** What random programs see when no device list is given: two of the same device, so that
 * foreign PRIME imports are exercised as well as self-imports. */
export const DEFAULT_DEVICES: readonly DeviceName[] = [DEVICE_NAMES[0], DEVICE_NAMES[0]];

/** Per-device parameter values by device index (absent or missing keys: the defaults). */
export type DeviceParams = readonly (Readonly<Record<string, number>> | undefined)[];

export interface DeviceList {
  readonly devices: readonly DeviceName[];
  /** present only when some device sets a parameter */
  readonly params?: DeviceParams;
}

/** One device: `name` or `name:key=value:key=value` (values are decimal or 0x integers). */
function parseDevice(tok: string, registry: DeviceTable<DeviceEntry>): { name: DeviceName; params?: Record<string, number> } | string {
  const [name, ...kvs] = tok.split(':');
  if (!isDeviceName(name)) return `unknown device '${name}' (known: ${DEVICE_NAMES.join(', ')})`;
  if (!kvs.length) return { name };
  const desc = registry[name].params;
  const params: Record<string, number> = {};
  for (const kv of kvs) {
    const m = /^([a-z_][a-z0-9_]*)=(0x[0-9a-fA-F]+|[0-9]+)$/.exec(kv);
    if (!m) return `device ${name}: '${kv}' is not key=integer`;
    const d = Object.prototype.hasOwnProperty.call(desc, m[1]) ? desc[m[1]] : undefined;
    const known = Object.keys(desc);
    if (!d) return `device ${name} has no parameter '${m[1]}'${known.length ? ` (it has: ${known.join(', ')})` : ' (it has none)'}`;
    const v = Number(m[2]);
    if (!Number.isSafeInteger(v) || v < d.min || v > d.max) return `device ${name}: ${m[1]}=${m[2]} is outside ${d.min}..${d.max}`;
    if (m[1] in params) return `device ${name}: ${m[1]} given twice`;
    params[m[1]] = v;
  }
  return { name, params };
}

/**
 * Parses a device list ("vgem,cirrus", "vgem vgem", "vgem:key=1"): the names (and their
 * parameters), or the reason it is not one (an unknown name or parameter, an empty list).
 * The caller turns the reason into a located usage error.
 */
export function parseDevices(s: string, registry: DeviceTable<DeviceEntry> = DEVICES_REGISTRY): DeviceList | string {
  const toks = s.split(/[\s,]+/).filter(Boolean);
  if (!toks.length) return 'no device named';
  const devices: DeviceName[] = [];
  const params: (Record<string, number> | undefined)[] = [];
  for (const t of toks) {
    const d = parseDevice(t, registry);
    if (typeof d === 'string') return d;
    devices.push(d.name);
    params.push(d.params);
  }
  return params.some((x) => x) ? { devices, params } : { devices };
}

/** Names only (parameters refused): for lists that cannot carry them. */
export function parseDeviceList(s: string): DeviceName[] | string {
  const d = parseDevices(s);
  if (typeof d === 'string') return d;
  return d.params ? 'device parameters are not allowed here' : [...d.devices];
}

/** The text form parseDevices reads back. */
export function printDevices(l: DeviceList): string {
  return l.devices
    .map((n, i) => {
      const ps = l.params?.[i];
      return ps && Object.keys(ps).length ? `${n}:${Object.entries(ps).map(([k, v]) => `${k}=${v}`).join(':')}` : n;
    })
    .join(' ');
}
