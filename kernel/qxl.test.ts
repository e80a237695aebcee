// qxl on the real kernel: TTM evictions userspace drives (kernel/FINDINGS.md, "qxl"). Boots
// the guest with a 16 MiB qxl RAM BAR (card3) and runs kernel/probes/qxl-evict.c, whose
// transcript — the VRAM manager's layout from debugfs and what mappings read between
// QXL_ALLOC / mmap / GEM_CLOSE steps — must be kernel/probes/qxl-evict.expected, the
// transcript impl's TTM core reproduces (impl/ttm/qxl-kernel.test.ts); then random eviction
// programs, judged kernel vs impl line for line. Skipped, with the reason, when the kernel back
// end is not set up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor } from './doctor.ts';
import { KernelVm } from './vm.ts';
import { runQxlFuzz } from '../cli/qxl-evict.ts';
import { QXL_FUZZ_DEVICE } from './qxl-evict-fuzz.ts';

const report = doctor();
const why = report.ok ? '' : ` — skipped: kernel target not set up (${report.lines.filter((l) => !l.startsWith('ok')).join('; ')})`;
const PROBES = join(import.meta.dirname, 'probes');
/** The QEMU device the transcript was taken with: the smallest RAM BAR QEMU allows
 * (vgamem_mb is raised to 8 and the RAM to twice that), a 1 MiB surface BAR. */
const QXL_PROBE_DEVICE = QXL_FUZZ_DEVICE;
const RUNS = Number(process.env.GEMCHECK_QXL_RUNS ?? 30);

describe.skipIf(!report.ok)(`qxl evictions on Linux 6.1${why}`, () => {
  // the guest has the qxl device (kernel/guest.ts), with QXL_PROBE_DEVICE's options
  let vm = new KernelVm();
  afterAll(async () => vm.stop());

  it('the first program after boot prints kernel/probes/qxl-evict.expected', async () => {
    const expected = readFileSync(join(PROBES, 'qxl-evict.expected'), 'utf8').trimEnd().split('\n');
    const probe = () => vm.runC(join(PROBES, 'qxl-evict.c'), { name: 'qxl-evict', timeoutMs: 120_000 });
    let r = await probe();
    // right after boot on a loaded machine the driver may still hold a bo pinned for its
    // fbdev set-up, so the over-sized QXL_ALLOC cannot evict it: once more on a fresh boot
    if (JSON.stringify(r.output) !== JSON.stringify(expected)) {
      await vm.stop();
      vm = new KernelVm();
      r = await probe();
    }
    expect(r.finding).toBeUndefined();
    expect(r.status).toEqual({ kind: 'exit', code: 0 });
    expect(r.output).toEqual(expected);
  }, 480_000);

  it(`impl's TTM agrees with the kernel on ${RUNS} random eviction programs (cli/qxl-evict.ts)`, async () => {
    const r = await runQxlFuzz(vm, 'ci', RUNS, 24);
    expect(r.diverged).toEqual([]);
    expect(r.agreed).toBe(RUNS);
    expect(r.programsEvicting).toBeGreaterThan(RUNS / 2); // the sizes make most programs evict
    expect(r.kernelProgramsEvicting).toBeGreaterThan(RUNS / 3); // and the kernel did (allocs larger than any free hole)
  }, 300_000);
});
