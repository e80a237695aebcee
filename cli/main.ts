/**
 * The gemcheck command line. Bad input (flags, files) is one line with its location and exit
 * code 2; a finding exits 1; an interrupt 130 (see --help).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerCheck } from './commands/check.ts';
import { registerGate } from './commands/gate.ts';
import { registerFuzz } from './commands/fuzz.ts';
import { registerKernel } from './commands/kernel.ts';
import { registerProgramCommands } from './commands/program.ts';
import { EXIT, EXIT_HELP, UsageError } from './usage.ts';
import './output.ts'; // EPIPE on stdout/stderr ends the process quietly

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('gemcheck')
  .description('Does this behave like Linux? Conformance and fuzzing for DRM buffer-object semantics.')
  .version(pkg.version, '-V, --version')
  .addHelpText('after', `\n${EXIT_HELP}`)
  .exitOverride()
  .configureOutput({
    writeErr: (s) => process.stderr.write(s),
    // commander's own errors (unknown option, missing argument) in the one-line form of ours
    outputError: (s, write) => write(`gemcheck: ${s.replace(/^error: /, '').trimEnd().replace(/\s*\n\s*/g, ' ')}\n`),
  });

registerProgramCommands(program);
registerCheck(program);
registerKernel(program);
registerGate(program);
registerFuzz(program);
/** Every command: exit codes in its help, errors through the catch below, no stray arguments. */
function configure(c: Command): void {
  c.exitOverride().allowExcessArguments(false).addHelpText('after', `\n${EXIT_HELP}`);
  c.configureOutput(program.configureOutput());
  for (const sub of c.commands) configure(sub);
}
for (const c of program.commands) configure(c);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? EXIT.clean : EXIT.usage; // help/version exit 0
  } else if (e instanceof UsageError) {
    console.error(`gemcheck: ${e.message}`);
    process.exitCode = EXIT.usage;
  } else throw e;
}
