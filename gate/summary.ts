/** summary.md from gate.json: a CI job summary (GitHub's $GITHUB_STEP_SUMMARY renders it):
 * the verdict, a table per stage, known divergences and not-run programs, every finding with
 * its repro. */
import { findingText } from './junit.ts';
import type { GateDocument, JobResult } from './schema.ts';

const cell = (s: string | number) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmt = (n: number) => n.toLocaleString('en-US');

function verdictLine(doc: GateDocument): string {
  const icon = doc.verdict === 'pass' ? '✅' : doc.verdict === 'fail' ? '❌' : '⚠️';
  const what =
    doc.verdict === 'pass'
      ? 'clean: every program agreed and every check held'
      : doc.verdict === 'error'
        ? 'error: nothing ran'
        : `${doc.totals.findings} finding${doc.totals.findings === 1 ? '' : 's'}${doc.partial?.reason === 'budget' ? '; incomplete (budget)' : ''}`;
  return `${icon} **gemcheck gate: ${doc.verdict.toUpperCase()}** — ${what}${doc.partial ? ` — **PARTIAL** (${doc.partial.message})` : ''}`;
}

function row(j: JobResult): string {
  const target = j.candidate ? `${j.reference} vs ${j.candidate}` : j.reference;
  const status = j.status === 'pass' ? 'pass' : j.status === 'fail' ? '**FAIL**' : j.status;
  return `| ${cell(target)} | ${cell(j.devices)} | ${cell(j.profile)} | ${status} | ${fmt(j.counts.judged)}/${fmt(j.planned)} | ${j.caught ? `${fmt(j.counts.caught ?? 0)} caught` : fmt(j.counts.failed)} | ${fmt(j.counts.known)} | ${fmt(j.counts.notRun)} | ${j.coverage.outcomes} | ${fmt(j.timing.programsPerSec)} | ${fmt(j.timing.callsPerSec)} |`;
}

export function renderSummary(doc: GateDocument): string {
  const L: string[] = [];
  L.push(`# gemcheck gate`, '', verdictLine(doc), '');
  L.push(
    `seed \`${doc.seed}\` · budget ${doc.budgetMs / 1000} s · config \`${doc.config.file}\`${doc.config.faults.length ? ` · faults ${doc.config.faults.join(', ')}` : ''}${doc.config.devicesFilter ? ` · devices ${doc.config.devicesFilter.join(', ')}` : ''} · ` +
      `${fmt(doc.totals.programs)} of ${fmt(doc.totals.planned)} programs judged in ${(doc.timing.ms / 1000).toFixed(1)} s · ${doc.totals.passed} passed, ${doc.totals.failed} failed, ${doc.totals.caught ? `${doc.totals.caught} caught (known bugs), ` : ''}${doc.totals.known} known, ${doc.totals.notRun} not run`,
    '',
  );
  for (const s of doc.stages) {
    L.push(`## ${s.id}: ${s.title}`, '');
    if (s.skipped) {
      L.push(`skipped: ${s.skipped}`, '');
      continue;
    }
    for (const n of s.notes ?? []) L.push(`- ${n}`);
    for (const x of s.excluded ?? []) L.push(`- not in this stage: ${x.devices} (${x.reason})`);
    if (s.notes?.length || s.excluded?.length) L.push('');
    L.push('| target | devices | profile | status | programs | failed | known | not run | outcomes | programs/s | calls/s |', '|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const j of s.jobs) L.push(row(j));
    L.push('');
    const known = s.jobs.flatMap((j) => j.known.map((k) => ({ j, k })));
    const notRun = s.jobs.flatMap((j) => j.notRun.map((n) => ({ j, n })));
    if (known.length) {
      L.push('Known divergences (KNOWN-DIVERGENCES.md):', '');
      for (const { j, k } of known) L.push(`- ${cell(j.devices)}: **${k.name}** at program${k.indices.length > 1 ? 's' : ''} ${k.indices.join(', ')} — ${k.reason}`);
      L.push('');
    }
    const caught = s.jobs.filter((j) => j.caught);
    if (caught.length) {
      L.push('Caught (the known bugs of each device; expected, so not findings):', '');
      for (const j of caught) {
        L.push(`- ${cell(j.devices)} (${j.profile}): ${j.caught!.length ? `${fmt(j.counts.caught ?? 0)} programs, ${j.caught!.length} signatures` : '**nothing caught**'}`);
        for (const c of j.caught!) L.push(`  - \`${cell(c.signature)}\` × ${c.programs}, first program ${c.first}: \`${c.replay}\``);
      }
      L.push('');
    }
    if (notRun.length) {
      L.push('Not run (a limit of the target):', '');
      for (const { j, n } of notRun) L.push(`- ${cell(j.devices)}: ${n.index !== undefined ? `program ${n.index}` : n.file} — ${n.reason}`);
      L.push('');
    }
  }
  L.push('## Findings', '');
  if (!doc.findings.length) L.push('none', '');
  for (const f of doc.findings) {
    L.push(`<details><summary><b>${f.stage} · ${cell(f.job)} · ${f.check}</b>: <code>${f.signature}</code>${f.index !== undefined ? ` (program ${f.index})` : ''}</summary>`, '', '```', findingText(f), '```', '', '</details>', '');
    L.push(`replay: \`${f.replay}\``, '');
  }
  return `${L.join('\n').trimEnd()}\n`;
}
