/**
 * The gemcheck command line: run, diff, check. Bad input (flags, files) is a one-line error
 * with its location and exit code 2; a failing check or a divergence exits 1.
 */
import { readFileSync, statSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { printCall, printOutcome, ParseError, parseProgram } from '../ir/encoding.ts';
import { validate, type Program } from '../ir/program.ts';
import { DEFAULT_DEVICES, PROFILES, isProfileName, type ProfileName, type SyncTarget } from '../ir/target.ts';
import { configFor, runProgram } from '../harness/run.ts';
import { firstDivergence, type CompareOptions } from '../harness/compare.ts';
import { modelTarget } from '../model/model.ts';
import { implTarget } from '../impl/target.ts';
import { FAULTS, isFaultName, type FaultName } from '../impl/faults.ts';
import { runCheckLoop } from '../fuzz/check-loop.ts';
import { doctor } from '../kernel/doctor.ts';
import { kernelDevicesProblem, KernelTarget, type KernelDevice } from '../kernel/target.ts';
import { KERNEL_COMPARE, kernelConfig, runKernelCheck } from '../kernel/check.ts';
import { binaryNameFor, CompileError, compileStatic, GCC, GCC_FLAGS } from '../kernel/compile.ts';
import { BinaryRefusedError, KernelVm, type BinaryRunResult } from '../kernel/vm.ts';
import { DEVICE_KINDS, isDeviceKind, type DeviceKind } from '../ir/target.ts';

class UsageError extends Error {}

function loadProgram(file: string): Program {
  let src: string;
  try {
    src = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
  try {
    const p = parseProgram(src);
    const errs = validate(p);
    if (errs.length) throw new UsageError(`${file}: ${errs[0]}`);
    return p;
  } catch (e) {
    if (e instanceof ParseError) throw new UsageError(`${file}:${e.line}:${e.col}: ${e.reason}`);
    throw e;
  }
}

function profileOpt(v: string | undefined): ProfileName | undefined {
  if (v === undefined) return undefined;
  if (!isProfileName(v)) throw new UsageError(`--profile: unknown profile '${v}' (known: ${Object.keys(PROFILES).join(', ')})`);
  return v;
}

function faultsOpt(v: string[] | undefined): Set<FaultName> {
  const out = new Set<FaultName>();
  for (const f of v ?? []) {
    if (!isFaultName(f)) throw new UsageError(`--fault: unknown fault '${f}' (known: ${Object.keys(FAULTS).join(', ')})`);
    out.add(f);
  }
  return out;
}

function syncTarget(name: string, faults: Set<FaultName>): SyncTarget {
  if (name === 'model') return modelTarget;
  if (name === 'impl') return implTarget(faults);
  throw new UsageError(`--target: unknown target '${name}' (model, impl)`);
}

function devicesOpt(v: string[] | undefined): DeviceKind[] | undefined {
  if (!v) return undefined;
  const out = v.flatMap((x) => x.split(','));
  for (const d of out) if (!isDeviceKind(d)) throw new UsageError(`--device: unknown device '${d}' (known: ${DEVICE_KINDS.join(', ')})`);
  return out as DeviceKind[];
}

/** The kernel target's devices: --device, else the program's header, else vgem. */
function kernelDevicesOpt(v: string[] | undefined, fromProgram?: readonly string[]): KernelDevice[] {
  const out = v ? v.flatMap((x) => x.split(',')).filter(Boolean) : [...(fromProgram ?? ['vgem'])];
  const problem = kernelDevicesProblem(out);
  if (problem) throw new UsageError(`--device: ${problem}`);
  return out as KernelDevice[];
}

/** Boots the kernel target, or explains why it cannot (exit 2). */
function kernelTarget(): KernelTarget {
  const d = doctor();
  if (!d.ok) throw new UsageError(`the kernel target is not set up:\n${d.lines.join('\n')}`);
  return new KernelTarget();
}

function intOpt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`${name}: expected a non-negative integer, got '${v}'`);
  return Number(v);
}

const program = new Command('gemcheck')
  .description('Does this behave like Linux? Conformance and fuzzing for DRM buffer-object semantics.')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('run <file>')
  .description('run a program and print each call with its outcome')
  .option('--target <name>', 'model | impl | kernel', 'model')
  .option('--profile <name>', 'linux-6.1 | linux-5.10 (default: the file header, else linux-6.1)')
  .option('--device <kinds...>', 'devices open(0), open(1), … name: vgem, bochs, cirrus (kernel: each at most once; default: the file header)')
  .option('--fault <name...>', 'turn on impl fault switches')
  .action(async (file: string, o: { target: string; profile?: string; device?: string[]; fault?: string[] }) => {
    const p = loadProgram(file);
    let out;
    if (o.target === 'kernel') {
      const k = kernelTarget();
      try {
        out = (await k.run([p], kernelDevicesOpt(o.device, p.meta.devices))).outcomes[0];
      } finally {
        await k.stop();
      }
    } else {
      const t = syncTarget(o.target, faultsOpt(o.fault));
      out = runProgram(t, p, configFor(p, profileOpt(o.profile), devicesOpt(o.device)));
    }
    p.calls.forEach((c, i) => console.log(`${printCall({ ...c, expect: undefined }, i)}  # => ${printOutcome(out[i])}`));
  });

program
  .command('diff <file>')
  .description('run a program on the model and a target; print the first divergence (exit 1) or agreement')
  .option('--target <name>', 'impl | kernel', 'impl')
  .option('--profile <name>', 'linux-6.1 | linux-5.10')
  .option('--device <kinds...>', 'devices open(0), open(1), … name: vgem, bochs, cirrus (kernel: each at most once; default: the file header)')
  .option('--rename', 'compare fds and offsets up to a consistent renaming')
  .option('--fault <name...>', 'turn on impl fault switches')
  .action(async (file: string, o: { target: string; profile?: string; device?: string[]; rename?: boolean; fault?: string[] }) => {
    const p = loadProgram(file);
    let cfg = configFor(p, profileOpt(o.profile), devicesOpt(o.device));
    let right;
    let name: string;
    let opts: CompareOptions = o.rename ? { rename: new Set(['fd', 'dmabuf', 'offset'] as const) } : {};
    if (o.target === 'kernel') {
      const devs = kernelDevicesOpt(o.device, p.meta.devices);
      cfg = kernelConfig(devs);
      if (!o.rename) opts = KERNEL_COMPARE;
      const k = kernelTarget();
      try {
        right = (await k.run([p], devs)).outcomes[0];
      } finally {
        await k.stop();
      }
      name = `kernel(${devs.join('+')})`;
    } else {
      const t = syncTarget(o.target, faultsOpt(o.fault));
      right = runProgram(t, p, cfg);
      name = t.name;
    }
    const left = runProgram(modelTarget, p, cfg);
    const d = firstDivergence(p, left, right, opts);
    const t = { name };
    if (!d) {
      console.log(`agree: ${p.calls.length} calls, model and ${t.name} (${cfg.profile.name})`);
      return;
    }
    console.log(`diverge at call ${d.index}${d.field ? ` (field ${d.field})` : ''}: ${printCall(p.calls[d.index], d.index)}`);
    console.log(`  model:  ${printOutcome(d.left)}`);
    console.log(`  ${t.name}: ${printOutcome(d.right)}`);
    process.exitCode = 1;
  });

program
  .command('check')
  .description('run random programs through model and impl with invariants after every call')
  .option('--seed <s>', 'seed (any string)', '1')
  .option('--runs <n>', 'number of programs', '1000')
  .option('--max-calls <m>', 'longest program', '24')
  .option('--profile <name>', 'linux-6.1 | linux-5.10', 'linux-6.1')
  .option('--only <i>', 'replay program i of the seed only')
  .option('--fault <name...>', 'turn on impl fault switches (to see the suite fail)')
  .option('--target <name>', 'impl (model vs impl) | kernel (model vs Linux in QEMU)', 'impl')
  .option('--device <kinds...>', 'devices open(0), open(1), … name: vgem, bochs, cirrus (impl default: vgem vgem; kernel default: vgem; kernel: each at most once, e.g. vgem,cirrus for foreign imports)')
  .option('--no-minimize', 'report kernel failures without minimizing them in the VM')
  .addOption(new Option('--save <dir>', 'where minimized failures are written').default('reports/failures'))
  .action(async (o: { seed: string; runs: string; maxCalls: string; profile: string; only?: string; fault?: string[]; save: string; target: string; device?: string[]; minimize: boolean }) => {
    if (o.target === 'kernel') return kernelCheck(o);
    if (o.target !== 'impl') throw new UsageError(`--target: unknown target '${o.target}' (impl, kernel)`);
    const devices = devicesOpt(o.device) ?? DEFAULT_DEVICES;
    const profile = profileOpt(o.profile)!;
    const runs = intOpt('--runs', o.runs, 1000);
    const maxCalls = intOpt('--max-calls', o.maxCalls, 24);
    if (maxCalls < 1) throw new UsageError('--max-calls: must be at least 1');
    const only = o.only === undefined ? undefined : intOpt('--only', o.only, 0);
    const faults = faultsOpt(o.fault);
    const faultFlag = faults.size ? ` --fault ${[...faults].join(' ')}` : '';
    const replay = (i: number) => `npx gemcheck check --seed ${o.seed} --only ${i} --max-calls ${maxCalls} --profile ${profile}${faultFlag}${o.device ? ` --device ${(devicesOpt(o.device) ?? []).join(' ')}` : ''}`;
    let stop = false;
    process.once('SIGINT', () => {
      stop = true;
    });
    const tty = process.stderr.isTTY;
    const devFlag = o.device ? ` --device ${devices.join(' ')}` : '';
    console.log(`gemcheck check: seed ${o.seed}, ${only !== undefined ? `program ${only}` : `${runs} programs`}, max ${maxCalls} calls, ${profile}, devices ${devices.join('+')}${faultFlag}`);
    const st = runCheckLoop({
      seed: o.seed, runs, maxCalls, only, faults, saveDir: o.save, replay,
      cfg: { profile: PROFILES[profile], devices },
      shouldStop: () => stop,
      onProgress: (s) => {
        const line = `  ${s.programs} programs, ${s.failed} failed, ${Math.round((s.programs * 1000) / s.ms)} programs/s, ${Math.round((s.calls * 1000) / s.ms)} calls/s`;
        process.stderr.write(tty ? `\r${line}` : `${line}\n`);
      },
      onFailure: (i, report) => {
        if (tty) process.stderr.write('\n');
        console.log(`FAIL program ${i}\n${report}\n`);
      },
    });
    if (tty) process.stderr.write('\n');
    if (stop) console.log(`interrupted after ${st.programs} programs`);
    const secs = st.ms / 1000;
    console.log(`rate: ${Math.round(st.programs / secs)} programs/s, ${Math.round(st.calls / secs)} calls/s (${st.calls} calls in ${secs.toFixed(1)} s)`);
    console.log(`${st.passed} passed, ${st.failed} failed`);
    if (st.failed || stop) process.exitCode = 1;
  });

async function kernelCheck(o: { seed: string; runs: string; maxCalls: string; only?: string; save: string; device?: string[]; minimize: boolean }): Promise<void> {
  const devices = kernelDevicesOpt(o.device);
  const device = devices.join(',');
  const runs = intOpt('--runs', o.runs, 1000);
  const maxCalls = intOpt('--max-calls', o.maxCalls, 24);
  const only = o.only === undefined ? undefined : intOpt('--only', o.only, 0);
  const k = kernelTarget();
  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  const replay = (i: number) => `npx gemcheck check --target kernel --device ${device} --seed ${o.seed} --only ${i} --max-calls ${maxCalls}`;
  console.log(`gemcheck check: model vs Linux 6.1 in QEMU, device ${device}, seed ${o.seed}, ${only !== undefined ? `program ${only}` : `${runs} programs`}, max ${maxCalls} calls`);
  try {
    const bootMs = await k.vm.start();
    console.log(`booted in ${(bootMs / 1000).toFixed(1)} s`);
    const st = await runKernelCheck(k, {
      seed: o.seed, runs, maxCalls, devices, only, saveDir: o.save, minimize: o.minimize, replay,
      shouldStop: () => stop,
      onProgress: (s) => process.stderr.write(`  ${s.programs} programs, ${s.failed} failed, ${s.findings.length} kernel findings, ${Math.round((s.programs * 1000) / s.ms)} programs/s, ${Math.round((s.calls * 1000) / s.ms)} calls/s, ${Math.round((s.ioctls * 1000) / s.ms)} ioctls/s\n`),
      onFailure: (i, report) => console.log(`FAIL program ${i}\n${report}\n`),
    });
    for (const f of st.findings) console.log(`KERNEL ${f.kind.toUpperCase()} in program ${f.programId}: ${f.reason}\n${f.consoleLog.split('\n').slice(-30).join('\n')}`);
    for (const [name, n] of st.known) console.log(`known divergence ${name}: ${n} programs`);
    if (st.tooBig) console.log(`not run: ${st.tooBig} programs need more memory than the guest has (kernel/memory.ts)`);
    const secs = st.ms / 1000;
    console.log(`rate: ${(st.programs / secs).toFixed(1)} programs/s, ${Math.round(st.calls / secs)} calls/s, ${Math.round(st.ioctls / secs)} ioctls/s through the VM (${st.calls} calls, ${st.ioctls} ioctls in ${secs.toFixed(1)} s; boot ${(bootMs / 1000).toFixed(1)} s)`);
    if (stop) console.log(`interrupted after ${st.programs} programs`);
    console.log(`${st.passed} passed, ${st.failed} failed`);
    if (st.failed || st.findings.length || stop) process.exitCode = 1;
  } finally {
    await k.stop();
  }
}

const kernel = program.command('kernel').description('the real-kernel target');

kernel
  .command('doctor')
  .description('say what the kernel target needs and what is missing')
  .action(() => {
    const d = doctor();
    for (const l of d.lines) console.log(l);
    if (!d.ok) process.exitCode = 1;
  });

kernel
  .command('exec <file.c>')
  .description('compile a standalone C program (gcc -static), run it in the kernel VM, print its output and how it ended (exit 0: it exited 0 and the kernel stayed clean)')
  .option('--timeout <s>', 'kill it after this many seconds', '60')
  .action(async (file: string, o: { timeout: string }) => {
    const secs = intOpt('--timeout', o.timeout, 60);
    if (secs < 1 || secs > 86_400) throw new UsageError(`--timeout: expected 1..86400 seconds, got ${secs}`);
    try {
      if (!statSync(file).isFile()) throw new UsageError(`${file}: not a file`);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`${file}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = compileStatic(file, { onWarnings: (w) => process.stderr.write(w) });
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      throw new UsageError(e.stderr ? `${file}: does not compile (${GCC} ${GCC_FLAGS.join(' ')})\n${e.stderr.trimEnd()}` : e.message);
    }
    const d = doctor();
    if (!d.ok) throw new UsageError(`the kernel target is not set up:\n${d.lines.join('\n')}`);
    const vm = new KernelVm();
    let r: BinaryRunResult;
    try {
      r = await vm.runBinary(bytes, { name: binaryNameFor(file), timeoutMs: secs * 1000 });
    } catch (e) {
      if (!(e instanceof BinaryRefusedError)) throw e;
      console.log(`gemcheck: ${e.message}`);
      process.exitCode = 1;
      return;
    } finally {
      await vm.stop();
    }
    for (const l of r.output) console.log(l);
    const st = r.status;
    if (st.kind === 'exit') console.log(`exit ${st.code}`);
    else if (st.kind === 'killed') console.log(`killed ${st.signal}`);
    else if (st.kind === 'timeout') console.log('timeout');
    if (r.finding) {
      process.stderr.write(`--- kernel console (last 40 lines) ---\n${r.finding.consoleLog.split('\n').slice(-40).join('\n')}\n`);
      console.log(`kernel finding: ${r.finding.kind}: ${r.finding.reason}`);
    }
    process.exitCode = st.kind === 'exit' && st.code === 0 && !r.finding ? 0 : 1;
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2; // help/version exit 0; usage errors exit 2
  } else if (e instanceof UsageError) {
    console.error(`gemcheck: ${e.message}`);
    process.exitCode = 2;
  } else throw e;
}
