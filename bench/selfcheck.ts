/**
 * What the self-checks cost: the same seeded random programs (as `gemcheck check` makes them)
 * through the model, impl without self-checks and impl with them; prints ms and µs/call each,
 * so a slower check shows up apart from the noise of the whole check loop. Each is timed
 * `reps` times, interleaved, and the fastest kept (the machine's other load only adds time).
 *   npx tsx bench/selfcheck.ts [runs] [profile] [reps]
 */
import { programAt } from '../fuzz/generate.ts';
import { DEFAULT_DEVICES } from '../ir/devices.ts';
import { PROFILES, isProfileName, type Target, type TargetConfig } from '../ir/target.ts';
import type { Program } from '../ir/program.ts';
import { modelTarget } from '../model/model.ts';
import { implTarget } from '../impl/target.ts';

const runs = Number(process.argv[2] ?? 20000);
const profile = process.argv[3] ?? 'linux-6.1';
const reps = Number(process.argv[4] ?? 5);
if (!isProfileName(profile)) throw new Error(`unknown profile ${profile}`);
const cfg: TargetConfig = { profile: PROFILES[profile], devices: DEFAULT_DEVICES };
const programs: Program[] = [];
for (let i = 0; i < runs; i++) programs.push(programAt('1', i, 24, cfg.devices.length));
const calls = programs.reduce((n, p) => n + p.calls.length, 0);

function time(t: Target): number {
  const t0 = performance.now();
  for (const p of programs) t.runSync!(p, cfg);
  return performance.now() - t0;
}
const targets: [string, Target][] = [
  ['model', modelTarget],
  ['impl, no self-checks', implTarget(undefined, { selfChecks: false })],
  ['impl + self-checks', implTarget()],
];
for (const [, t] of targets) time(t); // warm up the JIT
const best = targets.map(() => Infinity);
for (let r = 0; r < reps; r++) targets.forEach(([, t], i) => (best[i] = Math.min(best[i], time(t))));
console.log(`${runs} programs, ${calls} calls, ${profile}, fastest of ${reps}`);
targets.forEach(([name], i) => console.log(`${name.padEnd(22)} ${best[i].toFixed(0).padStart(6)} ms  ${((best[i] * 1000) / calls).toFixed(2)} µs/call`));
