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
import { GUEST_DEVICES, guestCallsProblem, guestDevicesProblem } from './guest.ts';
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

export class KernelTarget implements Target {
  readonly name = 'kernel';
  readonly vm: KernelVm;
  private nextId = 1;
  constructor(opts: KernelVmOptions = {}) {
    this.vm = new KernelVm(opts);
  }

  unsupported(cfg: TargetConfig): string | null {
    if (cfg.profile.name !== KERNEL_PROFILE) return `the kernel target runs ${KERNEL_PROFILE} only (not ${cfg.profile.name})`;
    // the guest's devices are fixed at boot (kernel/guest.ts): no per-run parameters yet
    if (cfg.deviceParams?.some((p) => p && Object.keys(p).length)) return 'the kernel target takes no device parameters';
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
      // an abort stops the guest at once; unfinished programs come back interrupted (kernel/vm.ts)
      const out = await this.vm.runPrograms(batch, nodes, { signal });
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
    const b = this.vm.stats.bootMs;
    return b.length ? [`${b.length} boot${b.length > 1 ? 's' : ''}, the first in ${(b[0] / 1000).toFixed(1)} s`] : [];
  }

  async close(): Promise<void> {
    await this.vm.stop();
  }
}
