/** Verdicts as text: one renderer for every target pair (formatting kept apart from the data). */
import { printCall, printOutcome, printText } from '../ir/encoding.ts';
import type { Program } from '../ir/program.ts';
import type { Finding } from './verdict.ts';

function at(p: Program, index: number): string {
  return index < p.calls.length ? `call ${index}: ${printCall(p.calls[index], index)}` : 'process exit';
}

/** The lines that say what went wrong where (without the program). */
export function describeFinding(p: Program, f: Finding, reference: string, candidate?: string): string[] {
  switch (f.kind) {
    case 'divergence': {
      const w = Math.max(reference.length, (candidate ?? '').length) + 1;
      return [
        `first divergence at ${at(p, f.index)}${f.field ? ` (field ${f.field})` : ''}`,
        `  ${`${reference}:`.padEnd(w)} ${printOutcome(f.reference)}`,
        `  ${`${candidate ?? '?'}:`.padEnd(w)} ${printOutcome(f.candidate)}`,
      ];
    }
    case 'self-check':
      return [`${f.target} self-check failed after ${at(p, f.index)}`, ...f.violations.map((v) => `  [${v.invariant}] ${v.message}`)];
    case 'expectation':
      return [`expectation failed on ${f.target} at ${at(p, f.index)}`, `  expected: ${printOutcome(f.expected)}`, `  got:      ${printOutcome(f.got)}`];
    case 'crash':
      return [`exception escaped ${f.target} at ${at(p, f.index)}`, `  ${f.message}`];
    case 'target': {
      const lines = [`${f.target} ${f.status} at ${at(p, f.index)}: ${f.reason}`];
      if (f.log) lines.push('  --- log (last 30 lines) ---', ...f.log.split('\n').slice(-30).map((l) => `  ${l}`));
      return lines;
    }
  }
}

/** A failure report: the program, then what went wrong. */
export function describeFailure(p: Program, f: Finding, reference: string, candidate?: string): string {
  return [printText(p).trimEnd(), ...describeFinding(p, f, reference, candidate)].join('\n');
}
