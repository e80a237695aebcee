/** `gemcheck gate`: the CI conformance gate (gate/): stages from a config, one verdict, four reports. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEVICE_NAMES, isDeviceName, type DeviceName } from '../../ir/devices.ts';
import { GateConfigError, loadGateConfig } from '../../gate/config.ts';
import { GateEnvironmentError, runGate } from '../../gate/run.ts';
import { OutDirError, prepareOut, writeReports } from '../../gate/write.ts';
import { onInterrupt } from '../interrupt.ts';
import { seedOpt } from '../options.ts';
import { EXIT, UsageError } from '../usage.ts';
import { out } from '../output.ts';

interface GateFlags {
  budget: string;
  seed: string;
  devices?: string[];
  out: string;
  config?: string;
}

const repoRoot = join(import.meta.dirname, '..', '..');
const DEFAULT_CONFIG = 'gate.config.json';

/** `60s`, `90`, `2m`, `1500ms`, `1h`: milliseconds, above 0. */
export function budgetOpt(v: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|min|h)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--budget: expected a duration like 60s, 2m or 1500ms, got '${v}'`);
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'min' | 'h'];
  if (!(ms > 0)) throw new UsageError(`--budget: must be above 0 (a gate with nothing run is an error), got '${v}'`);
  if (ms > 24 * 3_600_000) throw new UsageError(`--budget: at most 24h, got '${v}'`);
  return Math.round(ms);
}

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('the CI conformance gate: the corpus, seeded random programs per device set and profile, and the real kernel; writes gate.json, junit.xml, summary.md and report.html')
    .option('--budget <time>', 'time budget (60s, 2m): sets the program counts (the config\'s programsPerBudgetSecond × budget) and caps the wall time', '60s')
    .option('--seed <s>', 'seed of the random programs (the same seed runs the same programs)', '1')
    .option('--devices <names...>', `keep the device sets and corpus programs that use one of these (registry: ${DEVICE_NAMES.join(', ')})`)
    .option('--out <dir>', "the report folder (the gate's own: a previous gate report there is replaced as a whole)", 'reports/gate')
    .option('--config <file>', `the gate's jobs (default ./${DEFAULT_CONFIG}, else the one shipped with gemcheck)`)
    .action(async (o: GateFlags) => {
      const budgetMs = budgetOpt(o.budget);
      const seed = seedOpt(o.seed);
      let devicesFilter: DeviceName[] | undefined;
      if (o.devices) {
        devicesFilter = [];
        for (const d of o.devices.flatMap((x) => x.split(/[\s,]+/)).filter(Boolean)) {
          if (!isDeviceName(d)) throw new UsageError(`--devices: unknown device '${d}' (known: ${DEVICE_NAMES.join(', ')})`);
          if (!devicesFilter.includes(d)) devicesFilter.push(d);
        }
        if (!devicesFilter.length) throw new UsageError('--devices: no device named');
      }
      if (!o.out) throw new UsageError('--out: empty (a folder for the reports)');
      const configFile = o.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : join(repoRoot, DEFAULT_CONFIG));
      const display = o.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : relative(process.cwd(), configFile) || configFile);
      let staging: string;
      try {
        const config = loadGateConfig(configFile, display);
        staging = prepareOut(o.out);
        const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
        const interrupt = onInterrupt();
        out(`gemcheck gate: seed ${seed}, budget ${budgetMs / 1000} s, config ${display}${devicesFilter ? `, devices ${devicesFilter.join('+')}` : ''}, reports in ${o.out}`);
        let doc;
        try {
          doc = await runGate({
            config, configDir: dirname(resolve(configFile)), seed, budgetMs, ...(devicesFilter ? { devicesFilter } : {}), outDir: staging, version: pkg.version,
            argv: ['gate', ...process.argv.slice(3)], signal: interrupt.signal, log: (l) => process.stderr.write(`  ${l}\n`),
          });
        } finally {
          interrupt.dispose();
        }
        const files = writeReports(doc, staging, o.out);
        for (const f of doc.findings) out(`FAIL ${f.stage} ${f.job} ${f.check}: ${f.signature}\n  replay: ${f.replay}`);
        if (doc.partial) out(`partial: ${doc.partial.message}`);
        out(`reports: ${files.join(' ')}`);
        if (doc.verdict === 'error') {
          console.error('gemcheck: gate: nothing ran (every stage was skipped or selected nothing): a gate with nothing run is an error, not a pass');
        }
        out(`gate ${doc.verdict}: ${doc.totals.programs} programs judged of ${doc.totals.planned} planned in ${(doc.timing.ms / 1000).toFixed(1)} s`);
        out(`${doc.totals.passed} passed, ${doc.totals.failed} failed${doc.totals.caught ? `, ${doc.totals.caught} caught (known bugs)` : ''}`);
        process.exitCode = doc.exitCode;
      } catch (e) {
        if (e instanceof GateConfigError || e instanceof OutDirError) throw new UsageError(e instanceof OutDirError ? `--out ${e.message}` : e.message);
        if (e instanceof GateEnvironmentError) {
          console.error(`gemcheck: gate: ${e.message}`);
          process.exitCode = EXIT.usage;
          return;
        }
        throw e;
      }
    });
}
