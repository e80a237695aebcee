/**
 * Random qxl eviction programs judged kernel vs impl, line for line (kernel/FINDINGS.md, "TTM
 * evictions"): the programs and their C from kernel/qxl-evict-fuzz.ts, impl's transcript from
 * impl/drivers/qxl/replay.ts.
 *
 *   npx tsx cli/qxl-evict.ts [--seed S] [--runs N] [--steps K]
 */
import { implTranscript } from '../impl/drivers/qxl/replay.ts';
import { cSource, kernelEvictingAllocs, programAt, QXL_FUZZ_DEVICE, splitKernelOutput } from '../kernel/qxl-evict-fuzz.ts';

export interface FuzzResult {
  runs: number;
  agreed: number;
  /** the first differing line of each program that disagreed */
  diverged: { index: number; line: number; kernel: string | undefined; impl: string | undefined }[];
  /** evictions impl made in the agreeing programs, and how many of them evicted at all */
  evictions: number;
  programsEvicting: number;
  /** seen on the kernel: allocations that succeeded although no free hole before them was
   * large enough (so they evicted), and the programs with at least one */
  kernelEvictingAllocs: number;
  kernelProgramsEvicting: number;
  ms: number;
}

/** Runs `runs` programs of a seed on a booted guest that has QXL_FUZZ_DEVICE, in binaries of `chunk` programs. */
export async function runQxlFuzz(
  vm: { runC(src: string, o: { name?: string; timeoutMs?: number }): Promise<{ output: string[]; status: unknown; finding?: unknown }> },
  seed: string,
  runs: number,
  steps: number,
  chunk = 50,
): Promise<FuzzResult> {
  const t0 = Date.now();
  const res: FuzzResult = { runs, agreed: 0, diverged: [], evictions: 0, programsEvicting: 0, kernelEvictingAllocs: 0, kernelProgramsEvicting: 0, ms: 0 };
  for (let from = 0; from < runs; from += chunk) {
    const progs = Array.from({ length: Math.min(chunk, runs - from) }, (_, j) => programAt(seed, from + j, steps));
    const r = await vm.runC(cSource(progs), { name: 'qxl-fuzz', timeoutMs: 600_000 });
    if (r.finding) throw new Error(`kernel finding: ${JSON.stringify(r.finding)}`);
    const got = splitKernelOutput(r.output);
    progs.forEach((p, j) => {
      const index = from + j;
      const k = got.get(j) ?? [];
      const ev = kernelEvictingAllocs(k);
      res.kernelEvictingAllocs += ev;
      if (ev) res.kernelProgramsEvicting++;
      const im = implTranscript(p, k.find((l) => l.startsWith('[evicted]')) ?? '');
      const n = Math.max(k.length, im.lines.length);
      for (let l = 0; l < n; l++) {
        if (k[l] !== im.lines[l]) {
          res.diverged.push({ index, line: l, kernel: k[l], impl: im.lines[l] });
          return;
        }
      }
      res.agreed++;
      res.evictions += im.evictions;
      if (im.evictions) res.programsEvicting++;
    });
  }
  res.ms = Date.now() - t0;
  return res;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, d: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1]! : d;
  };
  const seed = arg('--seed', '1');
  const runs = Number(arg('--runs', '200'));
  const steps = Number(arg('--steps', '24'));
  const { KernelVm } = await import('../kernel/vm.ts');
  const vm = new KernelVm(); // the guest has the qxl device (kernel/guest.ts), with QXL_FUZZ_DEVICE's options
  try {
    const boot = await vm.start();
    const r = await runQxlFuzz(vm, seed, runs, steps);
    console.log(`qxl evictions, seed ${seed}: ${r.agreed}/${r.runs} programs agree (kernel ≡ impl, line for line); boot ${boot} ms, ${r.ms} ms for the programs (${((r.runs * 1000) / r.ms).toFixed(1)} programs/s)`);
    console.log(`notes: on the kernel ${r.kernelEvictingAllocs} allocations in ${r.kernelProgramsEvicting} programs succeeded only by evicting (no free hole was large enough); impl evicted ${r.evictions} bos in ${r.programsEvicting} of the agreeing programs (layouts matched after every step)`);
    for (const d of r.diverged.slice(0, 10)) console.log(`program ${d.index} line ${d.line}:\n  kernel: ${d.kernel}\n  impl:   ${d.impl}\n  steps: ${JSON.stringify(programAt(seed, d.index, steps))}`);
  } finally {
    await vm.stop();
  }
}
