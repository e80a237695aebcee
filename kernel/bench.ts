// Throughput of the real-kernel back end: boots, then streams N small programs through one boot.
//   npx tsx kernel/bench.ts [programs=2000] [repeats=3]
// Numbers from this machine are in kernel/FINDINGS.md ("Measurements").
import { KernelVm } from './vm.ts';

const WORKLOADS: readonly { name: string; ioctls: number; lines: readonly string[] }[] = [
  {
    name: 'mixed vgem',
    ioctls: 6,
    lines: ['open 0 0', 'create_dumb r0.fd 64 64 32 0', 'map_dumb r0.fd r1.handle', 'mmap r0.fd r2.offset 16384 3 1', 'write r3.map 0 64 7', 'read r3.map 0 64', 'gem_flink r0.fd r1.handle', 'prime_handle_to_fd r0.fd r1.handle 2', 'prime_fd_to_handle r0.fd r7.dmabuf', 'gem_close r0.fd r1.handle'],
  },
  {
    name: 'ioctl-only vgem',
    ioctls: 9,
    lines: ['open 0 0', 'create_dumb r0.fd 64 64 32 0', 'map_dumb r0.fd r1.handle', 'gem_flink r0.fd r1.handle', 'gem_open r0.fd r3.name', 'prime_handle_to_fd r0.fd r1.handle 2', 'prime_fd_to_handle r0.fd r5.dmabuf', 'gem_close r0.fd r4.handle', 'get_magic r0.fd', 'gem_close r0.fd r1.handle'],
  },
  {
    name: 'mixed bochs',
    ioctls: 3,
    lines: ['open 1 0', 'create_dumb r0.fd 64 64 32 0', 'map_dumb r0.fd r1.handle', 'mmap r0.fd r2.offset 16384 3 1', 'write r3.map 0 64 7', 'read r3.map 0 64', 'gem_close r0.fd r1.handle'],
  },
];

const n = Number(process.argv[2] ?? 2000);
const repeats = Number(process.argv[3] ?? 3);
const extraAppend = process.env.GEMCHECK_BENCH_APPEND; // kernel command line additions to compare
for (const w of WORKLOADS) {
  for (let rep = 0; rep < repeats; rep++) {
    const vm = new KernelVm({ extraAppend });
    try {
      const boot = await vm.start();
      const t0 = performance.now();
      const out = await vm.runPrograms(Array.from({ length: n }, (_, i) => ({ id: i, lines: w.lines })));
      const s = (performance.now() - t0) / 1000;
      const calls = out.results.reduce((a, r) => a + r.results.length, 0);
      const allOk = out.results.every((r) => r.results.length === w.lines.length && r.results.every((c) => c.kind === 'ok'));
      console.log(
        `${w.name}: boot ${(boot / 1000).toFixed(2)} s; ${n} programs x ${w.lines.length} calls in ${s.toFixed(2)} s = ` +
          `${(n / s).toFixed(0)} programs/s, ${(calls / s).toFixed(0)} calls/s, ${((n * w.ioctls) / s).toFixed(0)} ioctls/s` +
          `${allOk ? '' : ' (NOT all calls ok)'}${out.findings.length ? `; ${out.findings.length} findings` : ''}`,
      );
    } finally {
      await vm.stop();
    }
  }
}
