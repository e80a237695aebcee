/**
 * Scaling benchmark: time per call of model and impl on a workload whose state grows with N
 * (N dumb buffers in one file, every other one closed, N/2 more created, all mapped), so the
 * O(n) model and the O(log n) impl separate. Prints µs/call and the model/impl ratio.
 *   npm run bench            (or: npx tsx bench/scale.ts 1000 4000 16000)
 */
import { lit, ref, type Call, type Program } from '../ir/program.ts';
import { PROFILES, type Target } from '../ir/target.ts';
import { DEFAULT_DEVICES } from '../ir/devices.ts';
import { modelTarget } from '../model/model.ts';
import { implTarget } from '../impl/target.ts';

function workload(n: number): Program {
  const calls: Call[] = [{ op: 'open', args: [lit(0), lit(0)] }];
  const fd = ref(0, 'fd');
  const created: number[] = [];
  const create = () => {
    created.push(calls.length);
    calls.push({ op: 'create_dumb', args: [fd, lit(1024), lit(1 + (created.length % 7)), lit(32), lit(0)] });
  };
  for (let i = 0; i < n; i++) create();
  for (let i = 0; i < n; i += 2) calls.push({ op: 'gem_close', args: [fd, ref(created[i], 'handle')] });
  for (let i = 0; i < n / 2; i++) create();
  for (const c of created) calls.push({ op: 'map_dumb', args: [fd, ref(c, 'handle')] });
  return { meta: {}, calls };
}

function usPerCall(t: Target, p: Program): number {
  const cfg = { profile: PROFILES['linux-6.1'], devices: [DEFAULT_DEVICES[0]] };
  const t0 = performance.now();
  const out = t.runSync!(p, cfg).outcomes;
  const ms = performance.now() - t0;
  if (out.some((o) => o.status === 'crash')) throw new Error(`${t.name} crashed`);
  return (ms * 1000) / p.calls.length;
}

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
const impl = implTarget(undefined, { selfChecks: false });
console.log('N        calls     model µs/call   impl µs/call   model/impl');
for (const n of sizes.length ? sizes : [500, 2000, 8000]) {
  const p = workload(n);
  usPerCall(impl, workload(200)); // warm up the JIT
  const m = n <= 8000 ? usPerCall(modelTarget, p) : NaN;
  const i = usPerCall(impl, p);
  console.log(`${String(n).padEnd(8)} ${String(p.calls.length).padEnd(9)} ${m.toFixed(2).padStart(14)} ${i.toFixed(2).padStart(14)} ${(m / i).toFixed(1).padStart(12)}`);
}
