/**
 * Campaign measurements (README "Campaigns"): for each fault switch, an in-process
 * `gemcheck fuzz` (1 worker, seed 1) until the first finding or the budget — time and execs to
 * first detection, distinct signatures, distinct bugs (smallest-repro key), hits, and the
 * minimized calls of each finding. Usage: npx tsx bench/campaign.ts [--execs N] [fault…]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceName, DeviceParams } from '../ir/devices.ts';
import { PROFILES, type ProfileName } from '../ir/target.ts';
import { pairing } from '../harness/pairing.ts';
import { runFuzz, type FindingRecord } from '../campaign/fuzz.ts';
import { modelTarget } from '../model/model.ts';
import { implTarget } from '../impl/target.ts';
import { coverTake } from '../impl/cover.ts';
import { FAULTS, type FaultName } from '../impl/faults.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--execs');
const execs = at >= 0 ? Number(args.splice(at, 2)[1]) : 30_000;
const faults = (args.length ? args : Object.keys(FAULTS)) as FaultName[];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

console.log('| fault | devices | first detection (execs, s) | signatures | bugs | hits | median calls after minimization (before) |');
console.log('|---|---|---|---|---|---|---|');
for (const fault of faults) {
  const profile: ProfileName = fault === 'ro-ignored' ? 'linux-5.10' : 'linux-6.1';
  const amdgpu = fault.startsWith('ttm-') || fault.startsWith('amdgpu-');
  const devices: DeviceName[] = amdgpu ? ['amdgpu'] : ['vgem', 'vgem'];
  const deviceParams: DeviceParams | undefined = amdgpu ? [{ vram_kib: 1024, visible_kib: 256, gtt_kib: 2048, gds: 16, gws: 4, oa: 4 }] : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'gemcheck-bench-campaign-'));
  const cfg = { profile: PROFILES[profile], devices, ...(deviceParams ? { deviceParams } : {}) };
  const t0 = performance.now();
  let first: { execs: number; s: number } | undefined;
  const recs: FindingRecord[] = [];
  let execsNow = 0;
  const st = await runFuzz({
    dir, seed: '1', cfg, execs, workers: 1, maxCalls: 24, cover: coverTake, batch: 100,
    meta: { devices, ...(deviceParams ? { deviceParams } : {}), profile, faults: [fault] },
    pairing: pairing(modelTarget, implTarget(new Set([fault]))),
    onStatus: (s) => (execsNow = s.sessionExecs),
    onFinding: (_sig, rec) => {
      recs.push(rec);
      first ??= { execs: Number(/exec (\d+)$/.exec(rec.first.where)?.[1] ?? execsNow) + 1, s: (performance.now() - t0) / 1000 };
    },
  });
  rmSync(dir, { recursive: true, force: true });
  const after = recs.map((r) => r.calls!.after);
  const before = recs.map((r) => r.calls!.before);
  console.log(`| ${fault} | ${devices.join('+')} | ${first ? `${first.execs}, ${first.s.toFixed(1)} s` : `not in ${execs}`} | ${st.findings} | ${st.bugs} | ${st.hits} | ${recs.length ? `${median(after)} (${median(before)})` : '-'} |`);
}
