/**
 * The real kernel as a target: programs are encoded for the executor, streamed through one
 * QEMU boot (kernel/vm.ts), and the executor's raw results become Outcomes. Batch and async,
 * unlike model and impl, so the checks that use it are async too.
 */
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import { DEVICE_KINDS, type DeviceKind } from '../ir/target.ts';
import { encodeProgram } from './encode.ts';
import { GUEST_DEVICES, KernelVm, type KernelFinding, type KernelVmOptions, type VmProgramResult } from './vm.ts';

/** Every device kind the model knows has one real device in the VM. */
export type KernelDevice = DeviceKind;
/** The guest's node paths: vgem is card0/renderD128, bochs card1, cirrus card2 (kernel/vm.ts). */
export const KERNEL_DEVICE_INDEX: Readonly<Record<KernelDevice, number>> = { vgem: 0, bochs: 1, cirrus: 2 };

export function isKernelDevice(s: string): s is KernelDevice {
  return (DEVICE_KINDS as readonly string[]).includes(s);
}

/** Why a program's device list cannot run in the VM (which has one device of each kind), or null. */
export function kernelDevicesProblem(devices: readonly string[]): string | null {
  if (devices.length === 0) return 'no device';
  for (const d of devices) if (!isKernelDevice(d)) return `device ${d} (the VM has ${DEVICE_KINDS.join(', ')})`;
  const dup = devices.find((d, i) => devices.indexOf(d) !== i);
  return dup ? `device ${dup} twice (the VM has one of each kind)` : null;
}

/** The VM's devices for a program (its header's list, else vgem), or why it cannot run there. */
export function programKernelDevices(p: Program): KernelDevice[] | string {
  if (p.meta.profile && p.meta.profile !== 'linux-6.1') return `profile ${p.meta.profile}`;
  const devs = p.meta.devices ?? ['vgem'];
  return kernelDevicesProblem(devs) ?? (devs as KernelDevice[]);
}

/** Executor results → one Outcome per call; calls with no result (a finding) become crashes. */
export function toOutcomes(p: Program, r: VmProgramResult | undefined): Outcome[] {
  const byK = new Map((r?.results ?? []).map((x) => [x.k, x]));
  return p.calls.map((_, k): Outcome => {
    const x = byK.get(k);
    if (!x) {
      const why = r?.finding ? `kernel ${r.finding.kind}: ${r.finding.reason}` : r?.bad ? `executor refused: ${r.bad}` : 'no result';
      return { status: 'crash', message: why };
    }
    if (x.kind === 'ok') return { status: 'ok', out: x.fields };
    if (x.kind === 'err') return { status: 'err', errno: x.errno };
    return { status: 'sig', signal: x.signal };
  });
}

export interface KernelRun {
  outcomes: Outcome[][];
  findings: KernelFinding[];
}

export class KernelTarget {
  readonly vm: KernelVm;
  private nextId = 1;
  constructor(opts: KernelVmOptions = {}) {
    this.vm = new KernelVm(opts);
  }
  /** Runs programs whose open(i, …) means devices[i] (distinct kinds: kernelDevicesProblem). */
  async run(programs: readonly Program[], devices: readonly KernelDevice[]): Promise<KernelRun> {
    const problem = kernelDevicesProblem(devices);
    if (problem) throw new Error(`kernel target: ${problem}`);
    const batch = programs.map((p) => ({ id: this.nextId++, lines: encodeProgram(p) }));
    const out = await this.vm.runPrograms(batch, devices.map((d) => GUEST_DEVICES[KERNEL_DEVICE_INDEX[d]]!));
    return { outcomes: programs.map((p, i) => toOutcomes(p, out.results[i])), findings: out.findings };
  }
  async stop(): Promise<void> {
    await this.vm.stop();
  }
}
