/**
 * The real kernel as a target: programs are encoded for the executor, streamed through one
 * QEMU boot (kernel/vm.ts), and the executor's raw results become Outcomes. Batch and async,
 * unlike model and impl, so the checks that use it are async too.
 */
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import { encodeProgram } from './encode.ts';
import { GUEST_DEVICES, KernelVm, type KernelFinding, type KernelVmOptions, type VmProgramResult } from './vm.ts';

export type KernelDevice = 'vgem' | 'bochs';
/** The guest's node paths: vgem is card0/renderD128, bochs card1 (kernel/vm.ts). */
export const KERNEL_DEVICE_INDEX: Readonly<Record<KernelDevice, number>> = { vgem: 0, bochs: 1 };

export function isKernelDevice(s: string): s is KernelDevice {
  return s === 'vgem' || s === 'bochs';
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
  /** Runs programs whose open(0, …) means `device`. */
  async run(programs: readonly Program[], device: KernelDevice): Promise<KernelRun> {
    const batch = programs.map((p) => ({ id: this.nextId++, lines: encodeProgram(p) }));
    const out = await this.vm.runPrograms(batch, [GUEST_DEVICES[KERNEL_DEVICE_INDEX[device]]]);
    return { outcomes: programs.map((p, i) => toOutcomes(p, out.results[i])), findings: out.findings };
  }
  async stop(): Promise<void> {
    await this.vm.stop();
  }
}
