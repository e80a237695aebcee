/**
 * Model vs the real kernel: seeded programs in batches through one VM boot, compared call by
 * call (fds exactly — the executor starts every program at fd 3 —, offsets up to renaming on
 * bochs, whose fbdev buffer owns the first offsets). Divergences listed in known.ts are
 * counted, not failed. Failures are minimized in the VM and saved.
 */
import { join } from 'node:path';
import { printText } from '../ir/encoding.ts';
import { IOCTLS } from '../ir/ioctls.ts';
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import { PROFILES, type TargetConfig } from '../ir/target.ts';
import { firstDivergence, type CompareOptions, type Divergence } from '../harness/compare.ts';
import { runProgram } from '../harness/run.ts';
import { modelTarget } from '../model/model.ts';
import { programAt, writeAtomic } from '../fuzz/check-loop.ts';
import { minimizeAsync } from '../fuzz/minimize.ts';
import { describeDivergence, knownDivergence } from './known.ts';
import { exceedsGuestMemory } from './memory.ts';
import type { KernelDevice, KernelTarget } from './target.ts';
import type { KernelFinding } from './vm.ts';

export interface KernelCheckOptions {
  seed: string;
  runs: number;
  maxCalls: number;
  /** open(i, …) opens devices[i]. */
  devices: readonly KernelDevice[];
  only?: number;
  batch?: number;
  saveDir?: string;
  minimize?: boolean;
  replay: (i: number) => string;
  onProgress?: (s: KernelCheckStats) => void;
  onFailure?: (i: number, report: string) => void;
  shouldStop?: () => boolean;
}

export interface KernelCheckStats {
  programs: number;
  calls: number;
  /** calls that are ioctls (the rest are open/close/dup/mmap/memory accesses) */
  ioctls: number;
  passed: number;
  failed: number;
  /** not run: they need more memory than the guest has (kernel/memory.ts) */
  tooBig: number;
  known: Map<string, number>;
  findings: KernelFinding[];
  ms: number;
}

export function kernelConfig(devices: readonly KernelDevice[]): TargetConfig {
  return { profile: PROFILES['linux-6.1'], devices };
}

/** Exact comparison: the model knows each device's boot buffers (DeviceDesc.bootBuffers), so
 * even bochs' and cirrus' first offsets are predicted, not renamed. */
export const KERNEL_COMPARE: CompareOptions = {};

/** Model outcomes vs kernel outcomes: null if they agree, else the first divergence. */
export function kernelDivergence(p: Program, devices: readonly KernelDevice[], kernel: readonly Outcome[]): Divergence | null {
  const model = runProgram(modelTarget, p, kernelConfig(devices));
  return firstDivergence(p, model, kernel, KERNEL_COMPARE);
}

export async function runKernelCheck(t: KernelTarget, o: KernelCheckOptions): Promise<KernelCheckStats> {
  const t0 = performance.now();
  const st: KernelCheckStats = { programs: 0, calls: 0, ioctls: 0, passed: 0, failed: 0, tooBig: 0, known: new Map(), findings: [], ms: 0 };
  const indices = o.only !== undefined ? [o.only] : Array.from({ length: o.runs }, (_, i) => i);
  // each batch drains the VM's window of programs in flight: big batches keep it full
  const batchSize = o.batch ?? 1000;
  for (let b = 0; b < indices.length && !o.shouldStop?.(); b += batchSize) {
    let idx = indices.slice(b, b + batchSize);
    // the header names the devices, so a saved program replays with `gemcheck diff --target kernel`
    const all = idx.map((i): Program => ({ ...programAt(o.seed, i, o.maxCalls, o.devices.length), meta: { devices: o.devices } }));
    // past the guest's memory the answers are the machine's (ENOMEM, an OOM kill, a TTM
    // fault that never returns: kernel/memory.ts); such programs are counted and left out
    const fits = all.map((p) => exceedsGuestMemory(p, o.devices) === null);
    st.tooBig += fits.filter((f) => !f).length;
    const progs = all.filter((_, j) => fits[j]);
    idx = idx.filter((_, j) => fits[j]);
    const run = await t.run(progs, o.devices);
    st.findings.push(...run.findings);
    for (let j = 0; j < progs.length; j++) {
      const p = progs[j];
      st.programs++;
      st.calls += p.calls.length;
      st.ioctls += p.calls.filter((c) => IOCTLS[c.op] !== undefined).length;
      const d = kernelDivergence(p, o.devices, run.outcomes[j]);
      if (!d) {
        st.passed++;
        continue;
      }
      const known = knownDivergence(p, d);
      if (known) {
        st.passed++;
        st.known.set(known, (st.known.get(known) ?? 0) + 1);
        continue;
      }
      st.failed++;
      let small = p;
      if (o.minimize !== false) {
        small = await minimizeAsync(p, async (q) => {
          const r = await t.run([q], o.devices);
          const dq = kernelDivergence(q, o.devices, r.outcomes[0]);
          return dq !== null && knownDivergence(q, dq) === null && exceedsGuestMemory(q, o.devices) === null;
        }, d.index);
      }
      const again = await t.run([small], o.devices);
      // a divergence that does not come back when the small program runs again (the kernel
      // answered differently: e.g. guest memory left by earlier programs) is reported on the
      // program it was seen on, whose call index it names
      const ds = kernelDivergence(small, o.devices, again.outcomes[0]);
      if (!ds) small = p;
      const report = `${printText(small).trimEnd()}\n${describeDivergence(small, ds ?? d, 'kernel')}${ds ? '' : '\n(not seen again when re-run)'}\nreplay: ${o.replay(idx[j])}`;
      if (o.saveDir) writeAtomic(join(o.saveDir, `kernel-${o.devices.join('+')}-seed-${o.seed}-${idx[j]}.prog`), `# ${o.replay(idx[j])}\n${printText(small)}`);
      o.onFailure?.(idx[j], report);
    }
    st.ms = performance.now() - t0;
    o.onProgress?.(st);
  }
  st.ms = performance.now() - t0;
  return st;
}
