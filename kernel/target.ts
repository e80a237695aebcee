/**
 * The real kernel as a Target: programs are encoded for the executor, streamed through one
 * QEMU boot (kernel/vm.ts), and the executor's raw results become Outcomes. A hang, an oops
 * or a dead guest is the program's status, with the console as its log; an aborted run is
 * `interrupted`, never a finding. Batch and async; it has no synchronous fast path.
 */
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import type { ProgramResult, Target, TargetConfig } from '../ir/target.ts';
import { encodeProgram } from './encode.ts';
import { deviceParams, DEVICE_NAMES } from '../ir/devices.ts';
import { GUEST_DEVICES, GUEST_QEMU_ARGS, guestCallsProblem, guestDevicesProblem } from './guest.ts';
import { KernelVm, type KernelVmOptions, type VmProgramResult } from './vm.ts';

/** The one kernel version the VM runs (Debian 12's). */
export const KERNEL_PROFILE = 'linux-6.1';

/** Executor results → the calls that answered (a finding cuts the list short). */
export function toOutcomes(r: VmProgramResult | undefined): Outcome[] {
  const out: Outcome[] = [];
  const byK = new Map((r?.results ?? []).map((x) => [x.k, x]));
  for (let k = 0; byK.has(k); k++) {
    const x = byK.get(k)!;
    out.push(x.kind === 'ok' ? { status: 'ok', out: x.fields } : x.kind === 'err' ? { status: 'err', errno: x.errno } : { status: 'sig', signal: x.signal });
  }
  return out;
}

function toResult(p: Program, r: VmProgramResult | undefined): ProgramResult {
  const outcomes = toOutcomes(r);
  if (r?.finding) return { status: r.finding.kind, outcomes, selfCheck: [], reason: r.finding.reason, log: r.finding.consoleLog };
  if (r?.interrupted) return { status: 'interrupted', outcomes, selfCheck: [] };
  if (r?.bad) return { status: 'died', outcomes, selfCheck: [], reason: `executor refused the program: ${r.bad}` };
  if (outcomes.length < p.calls.length) return { status: 'died', outcomes, selfCheck: [], reason: 'no result' };
  return { status: 'ok', outcomes, selfCheck: [] };
}

/** The guest's QEMU device arguments for a run's device parameters (a device that takes
 * parameters has qemuFor; the others keep theirs). */
export function guestQemuArgsFor(cfg: TargetConfig): readonly string[] {
  return DEVICE_NAMES.flatMap((d) => {
    const g = GUEST_DEVICES[d];
    if (!('nodes' in g)) return [];
    const i = cfg.devices.indexOf(d);
    return g.qemuFor && i >= 0 ? g.qemuFor(deviceParams(d, cfg.deviceParams?.[i])) : g.qemu;
  });
}

export class KernelTarget implements Target {
  readonly name = 'kernel';
  vm: KernelVm;
  private nextId = 1;
  private qemuKey: string;
  /** qxl evictions the executor saw (debugfs), over the run */
  private evictions = 0;
  private evictingPrograms = 0;
  private readonly bootMs: number[] = [];
  constructor(private readonly opts: KernelVmOptions = {}) {
    this.vm = new KernelVm(opts);
    this.qemuKey = (opts.guestQemuArgs ?? GUEST_QEMU_ARGS).join(' ');
  }

  /** A run with other device parameters needs a guest booted with them. */
  private async guestFor(cfg: TargetConfig): Promise<void> {
    const args = guestQemuArgsFor(cfg);
    if (args.join(' ') === this.qemuKey) return;
    this.bootMs.push(...this.vm.stats.bootMs);
    await this.vm.stop();
    this.vm = new KernelVm({ ...this.opts, guestQemuArgs: args });
    this.qemuKey = args.join(' ');
  }

  unsupported(cfg: TargetConfig): string | null {
    if (cfg.profile.name !== KERNEL_PROFILE) return `the kernel target runs ${KERNEL_PROFILE} only (not ${cfg.profile.name})`;
    // the guest's devices are fixed at boot (kernel/guest.ts): parameters only where a device
    // turns them into QEMU options (qxl), and the guest is booted again with them
    const bad = cfg.devices.find((d, i) => {
      const p = cfg.deviceParams?.[i];
      const g = GUEST_DEVICES[d];
      return p && Object.keys(p).length && !('nodes' in g && g.qemuFor);
    });
    if (bad) return `the kernel target takes no parameters for device ${bad}`;
    const why = guestDevicesProblem(cfg.devices);
    return why ? `the kernel target cannot run ${cfg.devices.join('+')}: ${why}` : null;
  }

  async run(programs: readonly Program[], cfg: TargetConfig, signal?: AbortSignal): Promise<ProgramResult[]> {
    const why = this.unsupported(cfg);
    if (why) return programs.map(() => ({ status: 'not-run', outcomes: [], selfCheck: [], reason: why }));
    if (signal?.aborted || !programs.length) return programs.map(() => ({ status: 'interrupted', outcomes: [], selfCheck: [] }));
    const nodes = cfg.devices.map((d) => {
      const g = GUEST_DEVICES[d];
      return 'nodes' in g ? g.nodes : { primary: null, render: null };
    });
    // programs with calls the executor has no op for are declined one by one
    const declined = programs.map(guestCallsProblem);
    const runnable = programs.filter((_, i) => declined[i] === null);
    const merge = (results: readonly ProgramResult[]): ProgramResult[] => {
      let k = 0;
      return programs.map((_, i) => (declined[i] === null ? results[k++] : { status: 'not-run', outcomes: [], selfCheck: [], reason: declined[i]! }));
    };
    if (!runnable.length) return merge([]);
    const batch = runnable.map((p) => ({ id: this.nextId++, lines: encodeProgram(p) }));
    try {
      await this.guestFor(cfg);
      // an abort stops the guest at once; unfinished programs come back interrupted (kernel/vm.ts)
      const out = await this.vm.runPrograms(batch, nodes, { signal });
      for (const r of out.results) {
        this.evictions += r?.evictions ?? 0;
        if (r?.evictions) this.evictingPrograms++;
      }
      return merge(runnable.map((p, i) => toResult(p, out.results[i])));
    } catch (e) {
      if (signal?.aborted) return merge(runnable.map(() => ({ status: 'interrupted', outcomes: [], selfCheck: [] })));
      const reason = `the VM failed: ${(e as Error).message}`;
      return merge(runnable.map(() => ({ status: 'died', outcomes: [], selfCheck: [], reason })));
    }
  }

  async start(signal?: AbortSignal): Promise<string | undefined> {
    const ms = await this.vm.start({ signal });
    return ms ? `booted the VM in ${(ms / 1000).toFixed(1)} s` : undefined;
  }

  notes(): readonly string[] {
    const b = [...this.bootMs, ...this.vm.stats.bootMs];
    const out = b.length ? [`${b.length} boot${b.length > 1 ? 's' : ''}, the first in ${(b[0] / 1000).toFixed(1)} s`] : [];
    if (this.evictions) out.push(`kernel: ${this.evictions.toLocaleString('en-US')} qxl evictions in ${this.evictingPrograms.toLocaleString('en-US')} programs (debugfs qxl_mem_mm, qxl_surf_mm)`);
    return out;
  }

  async close(): Promise<void> {
    await this.vm.stop();
  }
}
