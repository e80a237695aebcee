/**
 * Eviction-heavy amdgpu benchmark: impl's µs per call of a CS loop with N live buffers, from
 * 10 to 100 000. Every buffer is created in GTT and re-placed to prefer VRAM (GEM_OP
 * SET_PLACEMENT moves nothing), VRAM holds a fifth of them at every N, and each CS names three
 * buffers drawn by a seeded LCG, so nearly every CS moves buffers into VRAM and evicts the LRU
 * heads back to GTT (waiting for their jobs when busy); a cs_complete every eighth call
 * retires jobs.
 * Only the loop is timed (the set-up's 2N calls run first, untimed). Self-checks are off
 * (they are O(n) by design).
 *   npm run bench            (or: npx tsx bench/evict.ts 10 1000 100000)
 */
import { lit, ref, type Call, type Program } from '../ir/program.ts';
import { PROFILES, type TargetConfig } from '../ir/target.ts';
import { implTarget } from '../impl/target.ts';
import { ImplSession } from '../impl/process.ts';
import { resolveArgs } from '../ir/resolve.ts';
import type { Outcome } from '../ir/outcome.ts';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Each buffer's size, and the share of the N buffers VRAM holds at every N: the same work
 * per call (each CS names three buffers drawn at random, so about 4/5 of them are outside
 * VRAM and move in, evicting LRU heads) whether N is 10 or 100 000. */
export const BO_KIB = 128;
export const VRAM_SHARE = 5;

/** The device for N buffers: VRAM holds N/5 of them (never less than the manager's minimum,
 * 256 KiB = 2 buffers), GTT all of them. The managers count pages; nothing is allocated for
 * contents that are never written. */
const vramKib = (n: number): number => Math.max(256, Math.ceil((n * BO_KIB) / VRAM_SHARE));
export function benchCfg(n: number): TargetConfig {
  return {
    profile: PROFILES['linux-6.1'],
    devices: ['amdgpu'],
    deviceParams: [{ vram_kib: vramKib(n), visible_kib: 256, gtt_kib: n * BO_KIB + 1024 }],
  };
}

/** The set-up of N live buffers, and optionally `loop` CS calls over them. */
export function evictWorkload(n: number, loop: number): Program {
  const calls: Call[] = [
    { op: 'open', args: [lit(0), lit(1)] },
    { op: 'amdgpu_ctx_alloc', args: [ref(0, 'fd')] },
  ];
  const fd = ref(0, 'fd');
  const ctx = ref(1, 'ctx');
  const bos: number[] = [];
  // the first buffers fill VRAM at creation, so the loop evicts from its first call at any N
  const inVram = Math.floor(vramKib(n) / BO_KIB);
  for (let i = 0; i < n; i++) {
    bos.push(calls.length);
    calls.push({ op: 'amdgpu_gem_create', args: [fd, lit(BO_KIB * 1024), lit(0), lit(i < inVram ? 4 : 2), lit(0)] });
    calls.push({ op: 'amdgpu_gem_op', args: [fd, ref(bos[i], 'handle'), lit(1), lit(4)] });
  }
  let x = 12345;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n;
  for (let j = 0; j < loop; j++) {
    if (j % 8 === 7) {
      calls.push({ op: 'amdgpu_cs_complete', args: [fd, ctx, lit(0xffff_ffff_ffff_ffffn)] });
      continue;
    }
    calls.push({ op: 'amdgpu_cs', args: [fd, ctx, ref(bos[next()], 'handle'), ref(bos[next()], 'handle'), ref(bos[next()], 'handle')] });
  }
  return { meta: { devices: ['amdgpu'] }, calls };
}

function msOf(p: Program, n: number): number {
  const t = implTarget(undefined, { selfChecks: false });
  const t0 = performance.now();
  const r = t.runSync!(p, benchCfg(n));
  const ms = performance.now() - t0;
  const bad = r.outcomes.findIndex((o) => o.status !== 'ok');
  if (bad >= 0) throw new Error(`call ${bad} (${p.calls[bad].op}): ${JSON.stringify(r.outcomes[bad], (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  return ms;
}

/** A full collection when the runtime offers one (node --expose-gc, or the flag set below). */
const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  const f = runInNewContext('gc') as (() => void) | undefined;
  return typeof f === 'function' ? f : () => {};
})();

/**
 * Runs the set-up untimed, resolves the loop's arguments (the bench's own bookkeeping: an
 * outcome lookup per handle, cold at 100 000 buffers) untimed, collects garbage, then times
 * the loop's calls alone on the same session. Returns the loop's ms and its evictions.
 */
function loopOnly(n: number, loop: number): { setup: number; loopMs: number; evictions: number } {
  const p = evictWorkload(n, loop);
  const setupCalls = evictWorkload(n, 0).calls.length;
  const s = new ImplSession(benchCfg(n), undefined, { selfChecks: false });
  const out: Outcome[] = [];
  const t0 = performance.now();
  for (let i = 0; i < setupCalls; i++) {
    const o = s.exec(p.calls[i].op, resolveArgs(p, i, out));
    if (o.status !== 'ok') throw new Error(`call ${i} (${p.calls[i].op}): ${o.status}`);
    out.push(o);
  }
  const setup = performance.now() - t0;
  // the loop's arguments name set-up outcomes only (handles, the context)
  const ops = p.calls.slice(setupCalls).map((c) => c.op);
  const args = ops.map((_op, j) => resolveArgs(p, setupCalls + j, out));
  const ev0 = s.ttmStats().evictions;
  gc();
  const t1 = performance.now();
  for (let j = 0; j < ops.length; j++) {
    const o = s.exec(ops[j], args[j]);
    if (o.status !== 'ok') throw new Error(`call ${setupCalls + j} (${ops[j]}): ${o.status}`);
  }
  const loopMs = performance.now() - t1;
  return { setup, loopMs, evictions: s.ttmStats().evictions - ev0 };
}

const median = (xs: number[]): number => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};

/** The goal: per-call cost within ~2× from the smallest to the largest N. */
export const GOAL_RATIO = 2;

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  const LOOP = 20_000;
  const REPS = Number(process.env.BENCH_REPS ?? 3);
  msOf(evictWorkload(1000, 4000), 1000); // warm up the JIT
  console.log(`eviction-heavy amdgpu CS loop (${LOOP} calls; VRAM holds 1/${VRAM_SHARE} of the N buffers; median of ${REPS}, GC before each)`);
  console.log('N live    set-up ms    loop µs/call   evictions/call   vs N=first');
  let first = 0;
  let last = 0;
  const rows: { n: number; us: number; ev: number }[] = [];
  const list = sizes.length ? sizes : [10, 100, 1000, 10_000, 100_000];
  for (const n of list) {
    const runs = Array.from({ length: REPS }, () => loopOnly(n, LOOP));
    const us = (median(runs.map((r) => r.loopMs)) * 1000) / LOOP;
    const setup = median(runs.map((r) => r.setup));
    const ev = runs[0].evictions / LOOP;
    first ||= us;
    last = us;
    rows.push({ n, us, ev });
    console.log(`${String(n).padEnd(9)} ${setup.toFixed(0).padStart(9)} ${us.toFixed(2).padStart(14)} ${ev.toFixed(2).padStart(16)} ${(us / first).toFixed(2).padStart(12)}×`);
  }
  const ratio = last / first;
  console.log(`N=${list[list.length - 1]} / N=${list[0]}: ${ratio.toFixed(2)}× (goal ≤ ~${GOAL_RATIO}×: ${ratio <= GOAL_RATIO * 1.1 ? 'met' : 'NOT met'})`);
  // the small sizes fit (mostly) in VRAM and evict little: the same work per call starts at the
  // first size evicting at ≥ 90% of the largest size's rate
  const top = rows[rows.length - 1];
  const same = rows.find((r) => r.ev >= 0.9 * top.ev);
  if (same && same !== rows[0] && same !== top) console.log(`same work per call (evictions/call ≥ 90% of N=${top.n}'s): N=${top.n} / N=${same.n}: ${(top.us / same.us).toFixed(2)}×`);
}
