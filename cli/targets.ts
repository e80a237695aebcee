/** Targets by name, for --target and --reference. */
import { DEFAULT_DEVICES, type DeviceList } from '../ir/devices.ts';
import type { Target, TargetConfig } from '../ir/target.ts';
import { modelTarget } from '../model/model.ts';
import { implTarget } from '../impl/target.ts';
import type { FaultSet } from '../impl/faults.ts';
import { doctor } from '../kernel/doctor.ts';
import { guestQemuArgsFor, KernelTarget } from '../kernel/target.ts';
import { UsageError } from './usage.ts';

export const TARGET_NAMES = ['model', 'impl', 'kernel'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export function targetName(flag: string, v: string, allowed: readonly TargetName[] = TARGET_NAMES): TargetName {
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${flag}: unknown target '${v}' (${allowed.join(', ')})`);
  return v as TargetName;
}

/** Builds a target, checking it can run `cfg` (a usage error otherwise). Faults apply to impl only. */
export function makeTarget(name: TargetName, cfg: TargetConfig, faults: FaultSet): Target {
  // the kernel: a guest booted with the devices' QEMU options for cfg at once (qxl's sizes)
  const t: Target = name === 'model' ? modelTarget : name === 'impl' ? implTarget(faults) : new KernelTarget({ guestQemuArgs: guestQemuArgsFor(cfg) });
  // what the flags ask for first (a profile or device the target cannot run), then set-up
  const why = t.unsupported(cfg);
  if (why) throw new UsageError(why);
  if (name === 'kernel') {
    const d = doctor();
    if (!d.ok) throw new UsageError(`the kernel target is not set up:\n${d.lines.join('\n')}`);
  }
  return t;
}

/** Devices when neither --device nor the program says: the VM has one device of each kind,
 * so runs that involve the kernel default to the first device alone. */
export function defaultDevices(names: readonly TargetName[]): DeviceList {
  return { devices: names.includes('kernel') ? [DEFAULT_DEVICES[0]] : DEFAULT_DEVICES };
}

/** --fault plants bugs in impl: refused when no impl target runs. */
export function checkFaultsApply(faults: FaultSet, names: readonly TargetName[]): void {
  if (faults.size && !names.includes('impl')) throw new UsageError(`--fault: fault switches apply to the impl target, which this run does not use (${names.join(' vs ')})`);
}
