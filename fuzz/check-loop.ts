/**
 * `gemcheck check`: N generated programs through model and impl with invariants. Program i of
 * seed S is generated from the seed string "S:i", so any single failure replays alone with
 * `--only i`. Failures are minimized and saved atomically.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProgram, describeFailure, type Verdict } from '../harness/check.ts';
import { printText } from '../ir/encoding.ts';
import type { Program } from '../ir/program.ts';
import type { TargetConfig } from '../ir/target.ts';
import type { FaultSet } from '../impl/faults.ts';
import { generateProgram } from './generate.ts';
import { minimize } from './minimize.ts';
import { seededRand } from './rand.ts';

export interface CheckLoopOptions {
  seed: string;
  runs: number;
  maxCalls: number;
  cfg: TargetConfig;
  faults?: FaultSet;
  only?: number;
  saveDir?: string;
  replay: (index: number) => string;
  onProgress?: (s: CheckStats) => void;
  onFailure?: (index: number, report: string) => void;
  shouldStop?: () => boolean;
}

export interface CheckStats {
  programs: number;
  calls: number;
  passed: number;
  failed: number;
  ms: number;
}

export function programAt(seed: string, i: number, maxCalls: number, devices: number): Program {
  return generateProgram(seededRand(`${seed}:${i}`), { maxCalls, devices }, {});
}

function sameKind(a: Verdict, b: Verdict): boolean {
  return !a.ok && !b.ok && a.kind === b.kind;
}

/** Writes a file atomically (temp file + rename), creating its folder. */
export function writeAtomic(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function runCheckLoop(o: CheckLoopOptions): CheckStats {
  const t0 = performance.now();
  const st: CheckStats = { programs: 0, calls: 0, passed: 0, failed: 0, ms: 0 };
  const indices = o.only !== undefined ? [o.only] : Array.from({ length: o.runs }, (_, i) => i);
  let lastTick = t0;
  for (const i of indices) {
    if (o.shouldStop?.()) break;
    const p = programAt(o.seed, i, o.maxCalls, o.cfg.devices.length);
    const v = checkProgram(p, o.cfg, o.faults);
    st.programs++;
    st.calls += p.calls.length;
    if (v.ok) st.passed++;
    else {
      st.failed++;
      const failingCall = v.kind === 'divergence' ? v.divergence.index : v.index;
      const small = minimize(p, (q) => sameKind(checkProgram(q, o.cfg, o.faults), v), failingCall);
      const sv = checkProgram(small, o.cfg, o.faults);
      const report = `${describeFailure(small, sv.ok ? v : sv)}\nreplay: ${o.replay(i)}`;
      if (o.saveDir) writeAtomic(join(o.saveDir, `seed-${o.seed}-${i}.prog`), `# ${o.replay(i)}\n${printText(small)}`);
      o.onFailure?.(i, report);
    }
    const now = performance.now();
    if (o.onProgress && now - lastTick > 1000) {
      lastTick = now;
      o.onProgress({ ...st, ms: now - t0 });
    }
  }
  st.ms = performance.now() - t0;
  return st;
}
