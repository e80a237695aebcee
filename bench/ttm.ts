/**
 * TTM micro benchmark: µs per ttm_bo_validate under eviction pressure. N live one-page bos
 * share a VRAM range manager of N/2 pages; each validate brings a SYSTEM bo into VRAM, so
 * every call allocates in drm_mm (O(log n)), evicts the LRU head (O(1) plus what it skips)
 * and moves two bos. A second column has a tenth of the bos busy and validates with
 * no_wait_gpu, so each eviction scan also skips the busy bos at the LRU head.
 *   npx tsx bench/ttm.ts            (or: npx tsx bench/ttm.ts 100 10000 100000)
 */
import { ctxOf, ttmBoAddFence, ttmBoInitValidate, ttmBoValidate, ttmFenceCreate, type TtmBufferObject } from '../impl/ttm/bo.ts';
import { TTM_PL_VRAM } from '../impl/ttm/resource.ts';
import { SYSTEM, testDriver, VRAM } from '../impl/ttm/test-driver.ts';

function setup(n: number, busyEvery: number): { bos: TtmBufferObject[]; ms: number } {
  const d = testDriver({ vramPages: Math.max(1, n >> 1) });
  const bos: TtmBufferObject[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const bo = ttmBoInitValidate(d.bdev, 4096, 'device', i < n >> 1 ? VRAM : SYSTEM, ctxOf());
    if (typeof bo === 'number') throw new Error(`create ${i}: ${bo}`);
    if (busyEvery && i % busyEvery === 0 && i < n >> 1) ttmBoAddFence(bo, ttmFenceCreate(d.bdev));
    bos.push(bo);
  }
  return { bos, ms: performance.now() - t0 };
}

function usPerValidate(n: number, busyEvery: number): number {
  const { bos } = setup(n, busyEvery);
  const ctx = ctxOf(busyEvery > 0);
  const calls = Math.max(2000, Math.min(50_000, n));
  let done = 0;
  let i = 0;
  const t0 = performance.now();
  while (done < calls) {
    const bo = bos[i];
    i = (i + 1) % n;
    if (bo.resource!.memType === TTM_PL_VRAM) continue;
    const ret = ttmBoValidate(bo, VRAM, ctx);
    if (ret) throw new Error(`validate: ${ret}`);
    done++;
  }
  return ((performance.now() - t0) * 1000) / calls;
}

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 1);
console.log('live bos   µs/validate (evicting)   µs/validate (10% busy, no_wait_gpu)');
for (const n of sizes.length ? sizes : [100, 10_000, 100_000]) {
  usPerValidate(n, 0); // warm-up
  const a = usPerValidate(n, 0);
  const b = usPerValidate(n, 10);
  console.log(`${String(n).padEnd(10)} ${a.toFixed(2).padStart(10)}               ${b.toFixed(2).padStart(10)}`);
}
