// A process that runs one KernelVm, for kernel/lifetime.test.ts, which signals or kills it and
// checks what is left of QEMU. Run as `node --import tsx kernel/vm-child.ts <json>`, where the
// JSON is { cacheDir, qemuCommand?, mode, programs, lines }:
// - mode `plain`: no signal handler (SIGINT/SIGTERM kill node as they would any script);
// - mode `abort`: SIGINT aborts the batch (AbortSignal), as a CLI wired for it would;
// - mode `flag`: SIGINT only sets a flag that is read after the batch (as `gemcheck check`
//   does today), so the batch runs on through the Ctrl-C.
// It prints `up {"pgid","tmpDir"}` once the guest is ready and the batch is sent, then, if the
// batch ends, `result {"findings","interrupted","done"}` and stops the VM.
import { KernelVm } from './vm.ts';
import { kernelPaths } from './paths.ts';

interface ChildArgs {
  cacheDir?: string;
  qemuCommand?: string[];
  mode: 'plain' | 'abort' | 'flag';
  programs: number;
  lines: string[];
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const vm = new KernelVm({
  paths: args.cacheDir ? kernelPaths(args.cacheDir) : undefined,
  qemuCommand: args.qemuCommand,
  bootTimeoutMs: 120_000,
  programTimeoutMs: 10_000,
  window: 4,
});
const ac = new AbortController();
let sigint = false;
if (args.mode === 'abort') process.once('SIGINT', () => ac.abort());
if (args.mode === 'flag') process.once('SIGINT', () => (sigint = true));

await vm.start();
const batch = Array.from({ length: args.programs }, (_, i) => ({ id: i, lines: args.lines }));
const run = vm.runPrograms(batch, undefined, { signal: ac.signal });
process.stdout.write(`up ${JSON.stringify({ pgid: vm.pid, tmpDir: vm.tmpDir })}\n`);
const out = await run;
const summary = {
  findings: out.findings.map((f) => `${f.kind}: ${f.reason}`),
  interrupted: out.results.filter((r) => r.interrupted).length,
  done: out.results.filter((r) => !r.interrupted && !r.finding).length,
  sigint,
};
process.stdout.write(`result ${JSON.stringify(summary)}\n`);
await vm.stop();
