/**
 * The guest machine, as data: its RAM and its DRM devices. The device table is the VM's
 * registry entry for every device name (ir/devices.ts); a device the VM cannot host says why.
 */
import { CALLS, type CallDesc, type OpName, type Uapi } from '../ir/calls.ts';
import { DEVICES_REGISTRY, deviceParams, type DeviceName, type DeviceTable } from '../ir/devices.ts';
import type { Program } from '../ir/program.ts';
import type { DevEntry } from './wire.ts';

/** The guest's RAM (QEMU -m). */
export const GUEST_MEMORY_MIB = 1024;

/** Where a registered device lives in the guest, or why the VM has none. Module load order
 * (kernel/setup.sh) makes vgem card0 + renderD128, bochs card1 and cirrus card2; neither
 * modesetting driver has a render node. */
export type GuestDevice =
  | {
      readonly nodes: DevEntry;
      /** QEMU arguments that give the guest this device (none for a virtual one) */
      readonly qemu: readonly string[];
      /** a device with parameters: the QEMU arguments for them (defaults filled in) */
      readonly qemuFor?: (params: Readonly<Record<string, number>>) => readonly string[];
    }
  | { readonly absent: string };

export const GUEST_DEVICES: DeviceTable<GuestDevice> = {
  vgem: { nodes: { primary: '/dev/dri/card0', render: '/dev/dri/renderD128' }, qemu: [] },
  bochs: { nodes: { primary: '/dev/dri/card1', render: null }, qemu: ['-device', 'bochs-display'] },
  // a second shmem device with PRIME, so foreign imports (vgem <-> cirrus) run for real
  cirrus: { nodes: { primary: '/dev/dri/card2', render: null }, qemu: ['-device', 'cirrus-vga'] },
  amdgpu: { absent: 'no QEMU device runs amdgpu (it is judged model vs impl; docs/amdgpu.md)' },
  nvdla: { absent: 'no QEMU device runs NVDLA (it is judged model vs impl)' },
  'nvdla-upstream': { absent: 'no QEMU device runs NVDLA (it is judged model vs impl)' },
  // qxl.ko binds card3; the executor holds it open and evicts and scrubs its VRAM so that every
  // program starts alike (executor/PROTOCOL.md, "qxl"). The parameters are the QEMU options.
  qxl: { nodes: { primary: '/dev/dri/card3', render: null }, qemu: qxlQemu(deviceParams('qxl', undefined)), qemuFor: qxlQemu },
};

/** The QEMU option of a qxl with these parameters (vgamem_mb 8: the smallest, so the RAM BAR can be 16 MiB). */
export function qxlQemu(p: Readonly<Record<string, number>>): string[] {
  return ['-device', `qxl,ram_size_mb=${p.ram_size_mb},vgamem_mb=8,vram_size_mb=${p.vram_size_mb}`];
}

const present = Object.values(GUEST_DEVICES).filter((g): g is Extract<GuestDevice, { nodes: DevEntry }> => 'nodes' in g);
/** The executor's default device table: every device the guest has, in card order. */
export const GUEST_NODES: readonly DevEntry[] = present.map((g) => g.nodes);
/** The QEMU arguments for every device the guest has. */
export const GUEST_QEMU_ARGS: readonly string[] = present.flatMap((g) => g.qemu);

/** Why a program's device list cannot run in the VM (which has one device of each kind), or null. */
export function guestDevicesProblem(devices: readonly DeviceName[]): string | null {
  if (devices.length === 0) return 'no device';
  for (const d of devices) {
    const g = GUEST_DEVICES[d];
    if ('absent' in g) return `device ${d}: ${g.absent}`;
  }
  const dup = devices.find((d, i) => devices.indexOf(d) !== i);
  return dup ? `device ${dup} twice (the VM has one of each)` : null;
}

/** The uapis the guest's devices offer (core, and each present device's driver uapi). */
export const GUEST_UAPI: ReadonlySet<Uapi> = new Set<Uapi>([
  'core',
  ...(Object.keys(GUEST_DEVICES) as DeviceName[]).filter((d) => 'nodes' in GUEST_DEVICES[d]).flatMap((d) => DEVICES_REGISTRY[d].uapi),
]);

/** The calls the VM can run: those of the uapis its devices offer (the executor has an op for
 * every call, amdgpu's and NVDLA's too, but no VM device answers those). */
export const GUEST_CALLS: Readonly<Record<string, CallDesc>> = Object.fromEntries(
  (Object.entries(CALLS) as [OpName, CallDesc][]).filter(([, d]) => GUEST_UAPI.has(d.uapi)),
);

/** Why a program cannot run in the VM because of its calls (a driver uapi no guest device has), or null. */
export function guestCallsProblem(p: Program): string | null {
  const i = p.calls.findIndex((c) => !GUEST_UAPI.has(CALLS[c.op].uapi));
  return i < 0 ? null : `call ${i} (${p.calls[i].op}) is ${CALLS[p.calls[i].op].uapi} uapi, which no device in the VM offers`;
}
