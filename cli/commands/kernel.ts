/** `gemcheck kernel doctor` and `gemcheck kernel exec`: the real-kernel target's own commands. */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { doctor } from '../../kernel/doctor.ts';
import { binaryNameFor, CompileError, compileStatic, GCC, GCC_FLAGS } from '../../kernel/compile.ts';
import { BinaryRefusedError, KernelVm, type BinaryRunResult } from '../../kernel/vm.ts';
import { intOpt } from '../options.ts';
import { onInterrupt } from '../interrupt.ts';
import { EXIT, UsageError } from '../usage.ts';

export function registerKernel(program: Command): void {
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
    // an interrupt powers the VM off; what the binary did then is not a finding
    const interrupt = onInterrupt();
    interrupt.signal.addEventListener('abort', () => void vm.stop(), { once: true });
    let r: BinaryRunResult;
    try {
      r = await vm.runBinary(bytes, { name: binaryNameFor(file), timeoutMs: secs * 1000 });
    } catch (e) {
      if (interrupt.received()) r = { output: [], status: { kind: 'none' } };
      else if (!(e instanceof BinaryRefusedError)) throw e;
      else {
        console.log(`gemcheck: ${e.message}`);
        process.exitCode = 1;
        return;
      }
    } finally {
      await vm.stop();
      interrupt.dispose();
    }
    if (interrupt.received()) {
      for (const l of r.output) console.log(l);
      console.log('interrupted');
      process.exitCode = EXIT.interrupted;
      return;
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

}
