/** `gemcheck check`: seeded random programs through a reference and a candidate target. */
import type { Command } from 'commander';
import { DEFAULT_DEVICES, printDevices } from '../../ir/devices.ts';
import { DEFAULT_PROFILE, PROFILES, type TargetConfig } from '../../ir/target.ts';
import { pairing } from '../../harness/pairing.ts';
import { runCheck, type CheckStats, type Tally } from '../../campaign/check.ts';
import { FailureStore, SaveDirError } from '../../campaign/failure-store.ts';
import { shellJoin } from '../../campaign/shell.ts';
import { onInterrupt } from '../interrupt.ts';
import { devicesOpt, faultsOpt, intOpt, profileOpt, seedOpt } from '../options.ts';
import { checkFaultsApply, defaultDevices, makeTarget, targetName } from '../targets.ts';
import { EXIT, UsageError } from '../usage.ts';
import { out } from '../output.ts';

interface CheckFlags {
  seed: string;
  runs: string;
  maxCalls: string;
  profile?: string;
  only?: string;
  from?: string;
  fault?: string[];
  target: string;
  reference: string;
  device?: string[];
  minimize: boolean;
  save: string;
}

/** The longest program the kernel executor takes (MAX_CALLS in executor/gemcheck-exec.c). */
const MAX_CALLS = 65536;

function listed(t: Tally): string {
  const more = t.count > t.indices.length ? `, … (${t.count - t.indices.length} more)` : '';
  return `programs ${t.indices.join(', ')}${more}`;
}

function rate(st: CheckStats): string {
  const secs = Math.max(st.ms, 1) / 1000;
  return `rate: ${Math.round(st.programs / secs)} programs/s, ${Math.round(st.calls / secs)} calls/s, ${Math.round(st.ioctls / secs)} ioctls/s (${st.calls} calls in ${secs.toFixed(1)} s)`;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('run seeded random programs through a reference and a candidate target, with self-checks after every call')
    .option('--seed <s>', 'seed (any printable text)', '1')
    .option('--runs <n>', 'number of programs (at least 1)', '1000')
    .option('--max-calls <m>', 'longest program', '24')
    .option('--profile <name>', `kernel profile: ${Object.keys(PROFILES).join(' | ')} (default ${DEFAULT_PROFILE})`)
    .option('--from <i>', 'the first program (default 0): programs i .. i+runs-1 run')
    .option('--only <i>', 'replay program i of the seed only')
    .option('--fault <names...>', 'turn on impl fault switches (to see the suite fail)')
    .option('--target <name>', 'the candidate: impl | kernel (Linux in QEMU)', 'impl')
    .option('--reference <name>', 'what the candidate is held to: model | impl', 'model')
    .option('--device <names...>', `devices open(0), open(1), … name (default ${DEFAULT_DEVICES.join(' ')}; kernel: each at most once)`)
    .option('--no-minimize', 'report failures without minimizing them')
    .option('--save <dir>', 'where minimized failures are written (never overwritten)', 'reports/failures')
    .action(async (o: CheckFlags) => {
      const seed = seedOpt(o.seed);
      const runs = intOpt('--runs', o.runs, 1000, 1);
      const maxCalls = intOpt('--max-calls', o.maxCalls, 24, 1);
      // a program runs to its end before an interrupt is seen: keep one program bounded
      if (maxCalls > MAX_CALLS) throw new UsageError(`--max-calls: at most ${MAX_CALLS} (the executor's limit), got ${maxCalls}`);
      const only = o.only === undefined ? undefined : intOpt('--only', o.only, 0);
      const from = intOpt('--from', o.from, 0);
      if (only !== undefined && o.from !== undefined) throw new UsageError('--only and --from: give one of them');
      if (from + runs > Number.MAX_SAFE_INTEGER) throw new UsageError(`--from ${from} --runs ${runs}: the last program index is past ${Number.MAX_SAFE_INTEGER}`);
      if (!o.save) throw new UsageError('--save: empty (a folder to save failures in)');
      const faults = faultsOpt(o.fault);
      const profile = profileOpt(o.profile) ?? DEFAULT_PROFILE;
      const cand = targetName('--target', o.target, ['impl', 'kernel']);
      const ref = targetName('--reference', o.reference, ['model', 'impl']);
      if (ref === cand) throw new UsageError(`--reference and --target are both ${ref}`);
      checkFaultsApply(faults, [ref, cand]);
      const list = devicesOpt(o.device) ?? defaultDevices([ref, cand]);
      const devices = list.devices;
      const cfg: TargetConfig = { profile: PROFILES[profile], devices, ...(list.params ? { deviceParams: list.params } : {}) };
      // targets first: a flag that cannot apply is refused before anything is created
      const reference = makeTarget(ref, cfg, faults);
      const candidate = makeTarget(cand, cfg, faults);
      let store: FailureStore;
      try {
        store = FailureStore.open(o.save);
      } catch (e) {
        if (e instanceof SaveDirError) throw new UsageError(`--save: ${e.message}`);
        throw e;
      }
      const faultArgs = faults.size ? ['--fault', [...faults].join(',')] : [];
      const base = ['check', '--seed', seed, '--max-calls', String(maxCalls), '--profile', profile, '--reference', ref, '--target', cand, '--device', printDevices(list).replace(/ /g, ','), ...faultArgs];
      const replay = (i: number) => [...base.slice(0, 3), '--only', String(i), ...base.slice(3)];
      const interrupt = onInterrupt();
      const tty = process.stderr.isTTY;
      out(`gemcheck check: ${ref} vs ${cand}, seed ${seed}, ${only !== undefined ? `program ${only}` : from ? `programs ${from}..${from + runs - 1}` : `${runs} programs`}, max ${maxCalls} calls, ${profile}, devices ${devices.join('+')}${faults.size ? `, faults ${[...faults].join('+')}` : ''}`);
      let st: CheckStats;
      try {
        // a VM boots before the clock starts: the rate is the run's, the boot time is a note
        for (const t of [reference, candidate]) {
          if (!t.start || interrupt.signal.aborted) continue;
          try {
            const what = await t.start(interrupt.signal);
            if (what) process.stderr.write(`  ${t.name}: ${what}\n`);
          } catch (e) {
            // the environment failed (e.g. the VM does not boot): not a finding, not a crash
            if (!interrupt.signal.aborted) throw new UsageError(`${t.name}: ${(e as Error).message}`);
          }
        }
        st = await runCheck({
          seed, runs, from, only, maxCalls, cfg, store, replay,
          pairing: pairing(reference, candidate),
          meta: { devices, ...(list.params ? { deviceParams: list.params } : {}), profile, ...(faults.size ? { faults: [...faults] } : {}) },
          minimize: o.minimize,
          signal: interrupt.signal,
          onProgress: (s) => {
            const line = `  ${s.programs} programs, ${s.failed} failed, ${Math.round((s.programs * 1000) / Math.max(1, s.ms))} programs/s`;
            process.stderr.write(tty ? `\r${line}` : `${line}\n`);
          },
          onFailure: (f) => {
            if (tty) process.stderr.write('\n');
            out(`FAIL program ${f.index}\n${f.report}\n`);
          },
        });
      } finally {
        // targets close (a VM powers off) with the handler still on: a second signal quits at once
        await reference.close();
        await candidate.close();
        interrupt.dispose();
      }
      if (tty) process.stderr.write('\n');
      const notes = [...(reference.notes?.() ?? []), ...(candidate.notes?.() ?? [])];
      for (const [name, t] of st.known) out(`known divergence ${name}: ${t.count} programs (${listed(t)}; KNOWN-DIVERGENCES.md)`);
      if (st.notRun.count) out(`not run: ${st.notRun.count} (${listed(st.notRun)}): ${st.notRun.reason}`);
      out(`${rate(st)}${notes.length ? `; ${notes.join('; ')}` : ''}`);
      if (st.interrupted) {
        const end = only !== undefined ? only + 1 : from + runs;
        const rest = only !== undefined ? replay(only) : [...base, '--from', String(st.next), '--runs', String(end - st.next)];
        out(`interrupted after ${st.programs} programs; the rest: ${shellJoin(['npx', 'gemcheck', ...rest])}`);
      }
      out(`${st.passed} passed, ${st.failed} failed`);
      process.exitCode = st.interrupted ? EXIT.interrupted : st.failed ? EXIT.finding : EXIT.clean;
    });
}
