/**
 * junit.xml from gate.json: one <testsuite> per stage, one <testcase> per stage × device set ×
 * profile × check (for the corpus, the check is the program file). A failing testcase carries
 * each finding's minimized program, first divergence and replay command; known divergences and
 * "not run" programs are in the job's <system-out>; a stage or job that did not run is skipped
 * with its reason. classname `gate.<stage>.<target>.<devices>.<profile>` groups a CI test tab.
 */
import type { GateDocument, GateFinding, JobResult, StageResult } from './schema.ts';

const esc = (s: string) =>
  s
    // characters XML 1.0 cannot hold at all (control characters other than tab, LF, CR)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const secs = (ms: number) => (ms / 1000).toFixed(3);

export function classname(j: JobResult, devices = j.devices, profile = j.profile): string {
  const target = j.candidate ? `${j.reference}-vs-${j.candidate}` : j.reference;
  return ['gate', j.stage, target, devices.replace(/ /g, '+').replace(/[:=]/g, '_'), profile.replace(/\./g, '_')].join('.');
}

export function findingText(f: GateFinding): string {
  return [
    `${f.signature}${f.index !== undefined ? ` (program ${f.index})` : ''}`,
    ...(f.alsoAt?.length ? [`also failed the same way: programs ${f.alsoAt.join(', ')}`] : []),
    ...f.description,
    '',
    ...(f.program ? ['--- minimized program ---', f.program.trimEnd(), ''] : []),
    `replay: ${f.replay}`,
    ...(f.savedAs ? [`saved: ${f.savedAs}`] : []),
  ].join('\n');
}

function jobOut(j: JobResult): string {
  const lines: string[] = [];
  if (j.command) lines.push(`job: ${j.command}`);
  lines.push(`${j.counts.judged} of ${j.planned} programs judged: ${j.counts.passed} passed, ${j.caught ? `${j.counts.caught ?? 0} caught (known bugs)` : `${j.counts.failed} failed`}, ${j.counts.notRun} not run`);
  for (const c of j.caught ?? []) lines.push(`caught ${c.signature}: ${c.programs} program${c.programs > 1 ? 's' : ''}, first ${c.first}: ${c.replay}`);
  for (const k of j.known) lines.push(`known divergence ${k.name}: programs ${k.indices.join(', ')} — ${k.reason}`);
  for (const n of j.notRun) lines.push(`not run: ${n.index !== undefined ? `program ${n.index}` : n.file}: ${n.reason}`);
  for (const n of j.notes) lines.push(n);
  return lines.join('\n');
}

interface Case {
  readonly xml: string;
  readonly failed: boolean;
  readonly skipped: boolean;
}

function testcase(cls: string, name: string, ms: number, body: { failure?: readonly GateFinding[]; failMessage?: string; skipped?: string; out?: string }): Case {
  const parts: string[] = [];
  if (body.failMessage) parts.push(`<failure message="${esc(body.failMessage)}" type="gate">${esc(body.failMessage)}</failure>`);
  if (body.failure?.length) {
    const first = body.failure[0];
    const msg = `${body.failure.length} finding${body.failure.length > 1 ? 's' : ''}: ${[...new Set(body.failure.map((f) => f.signature))].join(', ')}`;
    parts.push(`<failure message="${esc(msg)}" type="${esc(first.kind)}">${esc(body.failure.map(findingText).join('\n\n'))}</failure>`);
  }
  if (body.skipped !== undefined) parts.push(`<skipped message="${esc(body.skipped)}"/>`);
  if (body.out) parts.push(`<system-out>${esc(body.out)}</system-out>`);
  const xml = `    <testcase classname="${esc(cls)}" name="${esc(name)}" time="${secs(ms)}"${parts.length ? `>\n      ${parts.join('\n      ')}\n    </testcase>` : '/>'}`;
  return { xml, failed: !!body.failure?.length || !!body.failMessage, skipped: body.skipped !== undefined };
}

function stageCases(doc: GateDocument, s: StageResult): Case[] {
  if (s.skipped) return [testcase(`gate.${s.id}`, `${s.id} stage`, 0, { skipped: `skipped: ${s.skipped}` })];
  const byId = (ids: readonly number[]) => ids.map((i) => doc.findings[i]);
  const cases: Case[] = [];
  for (const n of s.notes ?? []) cases.push(testcase(`gate.${s.id}`, n.split(':')[0], 0, { skipped: n }));
  for (const j of s.jobs) {
    const cls = classname(j);
    const share = j.checks.length ? j.timing.ms / j.checks.length : 0;
    if (j.status === 'not-reached' && !j.programs) {
      cases.push(testcase(cls, 'agreement', 0, { skipped: `not reached: ${doc.partial?.message ?? 'the gate stopped first'}` }));
      continue;
    }
    if (j.programs) {
      const per = j.programs.length ? j.timing.ms / j.programs.length : 0;
      for (const p of j.programs) {
        const cls = classname(j, p.devices, p.profile);
        if (p.status === 'not-run') cases.push(testcase(cls, p.file, 0, { skipped: `not run: ${p.reason}` }));
        else if (p.status === 'not-reached') cases.push(testcase(cls, p.file, 0, { skipped: 'not reached (the gate stopped first)' }));
        else cases.push(testcase(cls, p.file, per, { ...(p.finding !== undefined ? { failure: [doc.findings[p.finding]] } : {}), ...(p.known ? { out: `known divergence ${p.known}` } : {}) }));
      }
      continue;
    }
    j.checks.forEach((c, i) => {
      const partial = j.status === 'partial' ? `partial: ${j.counts.judged} of ${j.planned} programs judged before the gate stopped\n` : '';
      cases.push(testcase(cls, c.name, share, { ...(c.findings.length ? { failure: byId(c.findings) } : {}), ...(i === 0 ? { out: partial + jobOut(j) } : partial ? { out: partial } : {}) }));
    });
  }
  return cases;
}

export function renderJunit(doc: GateDocument): string {
  const suites: { s: Pick<StageResult, 'id' | 'title' | 'timing'>; cases: Case[] }[] = doc.stages.map((s) => ({ s, cases: stageCases(doc, s) }));
  // the gate as a whole: an incomplete gate (budget) fails; nothing run is an error
  const whole: Case[] = [];
  if (doc.partial?.reason === 'budget') whole.push(testcase('gate', 'budget', 0, { failMessage: doc.partial.message }));
  if (doc.partial?.reason === 'interrupted') whole.push(testcase('gate', 'interrupted', 0, { skipped: doc.partial.message }));
  if (doc.verdict === 'error') whole.push(testcase('gate', 'something ran', 0, { failMessage: 'nothing ran: a gate with nothing run is an error, not a pass' }));
  if (whole.length) suites.push({ s: { id: 'gate' as never, title: 'the gate as a whole', timing: doc.timing }, cases: whole });
  const count = (f: (c: Case) => boolean) => suites.reduce((a, x) => a + x.cases.filter(f).length, 0);
  const tests = suites.reduce((a, x) => a + x.cases.length, 0);
  const props = [
    ['schema', doc.schema],
    ['seed', doc.seed],
    ['budget_s', String(doc.budgetMs / 1000)],
    ['verdict', doc.verdict],
    ['config', doc.config.file],
    ...(doc.partial ? [['partial', doc.partial.message]] : []),
  ];
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gemcheck gate${doc.partial ? ' (partial)' : ''}" tests="${tests}" failures="${count((c) => c.failed)}" errors="0" skipped="${count((c) => c.skipped)}" time="${secs(doc.timing.ms)}">`,
  ];
  for (const { s, cases } of suites) {
    out.push(
      `  <testsuite name="gate.${s.id}: ${esc(s.title)}" tests="${cases.length}" failures="${cases.filter((c) => c.failed).length}" errors="0" skipped="${cases.filter((c) => c.skipped).length}" time="${secs(s.timing.ms)}" timestamp="${esc(doc.run.startedAt.replace(/\.\d+Z$/, ''))}">`,
      '    <properties>',
      ...props.map(([k, v]) => `      <property name="${esc(k)}" value="${esc(v)}"/>`),
      '    </properties>',
      ...cases.map((c) => c.xml),
      '  </testsuite>',
    );
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
