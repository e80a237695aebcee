/**
 * Model vs the real kernel: seeded programs in batches through one VM boot, compared call by
 * call (fds exactly — the executor starts every program at fd 3 —, offsets up to renaming on
 * bochs, whose fbdev buffer owns the first offsets). Divergences listed in known.ts are
 * counted, not failed. Failures are minimized in the VM and saved.
 */
import { join } from 'node:path';
import { printText } from '../ir/encoding.ts';
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import { PROFILES, type TargetConfig } from '../ir/target.ts';
import { firstDivergence, type CompareOptions, type Divergence } from '../harness/compare.ts';
import { runProgram } from '../harness/run.ts';
import { modelTarget } from '../model/model.ts';
import { programAt, writeAtomic } from '../fuzz/check-loop.ts';
import { minimizeAsync } from '../fuzz/minimize.ts';
import { describeDivergence, knownDivergence } from './known.ts';
import type { KernelDevice, KernelTarget } from './target.ts';
import type { KernelFinding } from './vm.ts';

export interface KernelCheckOptions {
  seed: string;
  runs: number;
  maxCalls: number;
  device: KernelDevice;
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
  passed: number;
  failed: number;
  known: Map<string, number>;
  findings: KernelFinding[];
  ms: number;
}

export function kernelConfig(device: KernelDevice): TargetConfig {
  return { profile: PROFILES['linux-6.1'], devices: [device] };
}

export function compareOptions(device: KernelDevice): CompareOptions {
  return device === 'bochs' ? { rename: new Set(['offset']) } : {};
}

/** Model outcomes vs kernel outcomes: null if they agree, else the first divergence. */
export function kernelDivergence(p: Program, device: KernelDevice, kernel: readonly Outcome[]): Divergence | null {
  const model = runProgram(modelTarget, p, kernelConfig(device));
  return firstDivergence(p, model, kernel, compareOptions(device));
}

export async function runKernelCheck(t: KernelTarget, o: KernelCheckOptions): Promise<KernelCheckStats> {
  const t0 = performance.now();
  const st: KernelCheckStats = { programs: 0, calls: 0, passed: 0, failed: 0, known: new Map(), findings: [], ms: 0 };
  const indices = o.only !== undefined ? [o.only] : Array.from({ length: o.runs }, (_, i) => i);
  const batchSize = o.batch ?? 200;
  for (let b = 0; b < indices.length && !o.shouldStop?.(); b += batchSize) {
    const idx = indices.slice(b, b + batchSize);
    const progs = idx.map((i) => programAt(o.seed, i, o.maxCalls, 1));
    const run = await t.run(progs, o.device);
    st.findings.push(...run.findings);
    for (let j = 0; j < progs.length; j++) {
      const p = progs[j];
      st.programs++;
      st.calls += p.calls.length;
      const d = kernelDivergence(p, o.device, run.outcomes[j]);
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
          const r = await t.run([q], o.device);
          const dq = kernelDivergence(q, o.device, r.outcomes[0]);
          return dq !== null && knownDivergence(q, dq) === null;
        }, d.index);
      }
      const again = await t.run([small], o.device);
      const ds = kernelDivergence(small, o.device, again.outcomes[0]) ?? d;
      const report = `${printText(small).trimEnd()}\n${describeDivergence(small, ds, 'kernel')}\nreplay: ${o.replay(idx[j])}`;
      if (o.saveDir) writeAtomic(join(o.saveDir, `kernel-${o.device}-seed-${o.seed}-${idx[j]}.prog`), `# ${o.replay(idx[j])}\n${printText(small)}`);
      o.onFailure?.(idx[j], report);
    }
    st.ms = performance.now() - t0;
    o.onProgress?.(st);
  }
  st.ms = performance.now() - t0;
  return st;
}
