/** `gemcheck run` and `gemcheck diff`: one program file, replayed exactly from its header. */
import type { Command } from 'commander';
import { printCall, printOutcome } from '../../ir/encoding.ts';
import type { Program } from '../../ir/program.ts';
import type { Outcome } from '../../ir/outcome.ts';
import type { TargetConfig } from '../../ir/target.ts';
import { configFor, judgeBatch } from '../../harness/run.ts';
import { pairing } from '../../harness/pairing.ts';
import { describeFinding } from '../../harness/render.ts';
import { signature } from '../../harness/verdict.ts';
import type { FaultSet } from '../../impl/faults.ts';
import { onInterrupt } from '../interrupt.ts';
import { devicesOpt, faultsOpt, loadProgram, profileOpt } from '../options.ts';
import { checkFaultsApply, defaultDevices, makeTarget, targetName, type TargetName } from '../targets.ts';
import { EXIT, UsageError } from '../usage.ts';
import { out } from '../output.ts';

interface ProgramFlags {
  target: string;
  reference?: string;
  profile?: string;
  device?: string[];
  rename?: boolean;
  fault?: string[];
}

interface Loaded {
  p: Program;
  cfg: TargetConfig;
  faults: FaultSet;
}

/** The file, and its configuration: flags override the header; faults add to the header's. */
function load(file: string, o: ProgramFlags, names: readonly TargetName[]): Loaded {
  const flagged = faultsOpt(o.fault);
  checkFaultsApply(flagged, names);
  const profile = profileOpt(o.profile);
  const devices = devicesOpt(o.device);
  const p = loadProgram(file);
  const header = faultsOpt(p.meta.faults);
  if (header.size && !names.includes('impl'))
    throw new UsageError(`${file}: # faults: ${[...header].join(' ')} plant bugs in the impl target, which this run does not use (${names.join(' vs ')})`);
  const cfg = configFor(p, profile, devices ?? (p.meta.devices ? undefined : defaultDevices(names)));
  return { p, cfg, faults: new Set([...header, ...flagged]) };
}

async function runJudged(names: readonly TargetName[], l: Loaded, rename: boolean) {
  const targets = names.map((n) => makeTarget(n, l.cfg, l.faults));
  const pr = pairing(targets[0], targets[1], rename ? { rename: new Set(['fd', 'dmabuf', 'offset'] as const) } : {});
  const interrupt = onInterrupt();
  try {
    const [j] = await judgeBatch(pr, [l.p], l.cfg, interrupt.signal);
    return { j, pr };
  } finally {
    // targets close (a VM powers off) with the handler still on: a second signal quits at once
    for (const t of targets) await t.close();
    interrupt.dispose();
  }
}

function finish(p: Program, status: string, lines: readonly string[]): void {
  for (const l of lines) out(l);
  process.exitCode = status === 'interrupted' ? EXIT.interrupted : status === 'fail' ? EXIT.finding : EXIT.clean;
}

const deviceHelp = 'devices open(0), open(1), … name (default: the file header; kernel: each at most once)';

export function registerProgramCommands(program: Command): void {
  program
    .command('run <file>')
    .description("run a program on one target and print each call's outcome; self-checks and `# =>` expectations are checked")
    .option('--target <name>', 'model | impl | kernel', 'model')
    .option('--profile <name>', 'kernel profile (default: the file header, else linux-6.1)')
    .option('--device <names...>', deviceHelp)
    .option('--fault <names...>', 'impl fault switches (added to the header\'s # faults:)')
    .action(async (file: string, o: ProgramFlags) => {
      const names = [targetName('--target', o.target)];
      const l = load(file, o, names);
      const { j, pr } = await runJudged(names, l, false);
      const outs: readonly Outcome[] = j.reference?.outcomes ?? [];
      const lines = l.p.calls.map((c, i) => `${printCall({ ...c, expect: undefined }, i)}  # => ${outs[i] ? printOutcome(outs[i]) : '(no answer)'}`);
      const v = j.verdict;
      if (v.status === 'fail') lines.push(...describeFinding(l.p, v.finding, pr.reference.name), `signature: ${signature(l.p, v.finding)}`);
      if (v.status === 'not-run') lines.push(`not run: ${v.reason}`);
      if (v.status === 'interrupted') lines.push('interrupted');
      finish(l.p, v.status, lines);
    });

  program
    .command('diff <file>')
    .description('run a program on a reference and a target; print the first divergence, failed self-check or expectation (exit 1), or agreement')
    .option('--target <name>', 'impl | kernel', 'impl')
    .option('--reference <name>', 'model | impl', 'model')
    .option('--profile <name>', 'kernel profile (default: the file header, else linux-6.1)')
    .option('--device <names...>', deviceHelp)
    .option('--rename', 'compare fds and offsets up to a consistent renaming')
    .option('--fault <names...>', 'impl fault switches (added to the header\'s # faults:)')
    .action(async (file: string, o: ProgramFlags) => {
      const names = [targetName('--reference', o.reference ?? 'model', ['model', 'impl']), targetName('--target', o.target, ['impl', 'kernel'])];
      const l = load(file, o, names);
      const { j, pr } = await runJudged(names, l, !!o.rename);
      const v = j.verdict;
      const who = `${pr.reference.name} and ${pr.candidate!.name}`;
      const lines: string[] = [];
      if (v.status === 'pass') lines.push(`agree: ${l.p.calls.length} calls, ${who} (${l.cfg.profile.name}, ${l.cfg.devices.join('+')})${v.known ? `; known divergence ${v.known}` : ''}`);
      else if (v.status === 'fail') lines.push(...describeFinding(l.p, v.finding, pr.reference.name, pr.candidate!.name), `signature: ${signature(l.p, v.finding)}`);
      else if (v.status === 'not-run') lines.push(`not run: ${v.reason}`);
      else lines.push('interrupted');
      finish(l.p, v.status, lines);
    });
}
