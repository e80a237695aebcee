/**
 * report.html from gate.json: one self-contained file (opens offline: no fetch, no CDN) with
 * the document embedded as JSON, Chart.js inlined from node_modules, and the charts: programs/s
 * and calls/s per stage and per job, outcome coverage per device set, findings by signature,
 * kernel agreement. Tables and findings are rendered here as static HTML, so the page reads
 * without JavaScript too; the charts need it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findingText } from './junit.ts';
import type { GateDocument, JobResult } from './schema.ts';

let chartJs: string | undefined;
/** Chart.js's UMD build, without its source-map comment (the map is not shipped with the report). */
export function chartLibrary(): string {
  if (chartJs === undefined) {
    const dist = dirname(createRequire(import.meta.url).resolve('chart.js'));
    chartJs = readFileSync(join(dist, 'chart.umd.min.js'), 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '');
  }
  return chartJs;
}

const esc = (s: string | number) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** JSON that can sit inside <script>: no `</script>`, no line separators JS would choke on. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
const fmt = (n: number) => n.toLocaleString('en-US');

function jobRow(j: JobResult): string {
  const target = j.candidate ? `${j.reference} vs ${j.candidate}` : j.reference;
  return `<tr class="${j.status}"><td>${esc(target)}</td><td>${esc(j.devices)}</td><td>${esc(j.profile)}</td><td class="st">${esc(j.status)}</td><td>${fmt(j.counts.judged)}/${fmt(j.planned)}</td><td>${j.caught ? `${fmt(j.counts.caught ?? 0)} caught` : fmt(j.counts.failed)}</td><td>${fmt(j.counts.known)}</td><td>${fmt(j.counts.notRun)}</td><td>${j.coverage.outcomes}</td><td>${fmt(j.timing.programsPerSec)}</td><td>${fmt(j.timing.callsPerSec)}</td></tr>`;
}

const RENDER = String.raw`
(function () {
  const doc = JSON.parse(document.getElementById('gate-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  const C = { corpus: '#6b7280', random: '#2563eb', kernel: '#d97706', ok: '#16a34a', known: '#a855f7', notrun: '#9ca3af', fail: '#dc2626', calls: '#0891b2' };
  const short = (j) => (j.candidate ? '' : j.reference + ': ') + j.devices + (j.profile === 'linux-6.1' ? '' : ' ' + j.profile.replace('linux-', ''));
  const chart = (id, cfg) => { const el = document.getElementById(id); if (el) new Chart(el, cfg); };
  const ran = doc.stages.filter((s) => !s.skipped && s.jobs.length);
  chart('c-stage-rate', {
    type: 'bar',
    data: { labels: ran.map((s) => s.id), datasets: [
      { label: 'programs/s', data: ran.map((s) => s.timing.programsPerSec), backgroundColor: C.random, yAxisID: 'y' },
      { label: 'calls/s', data: ran.map((s) => s.timing.callsPerSec), backgroundColor: C.calls, yAxisID: 'y1' } ] },
    options: { plugins: { title: { display: true, text: 'Rate per stage' } }, scales: { y: { title: { display: true, text: 'programs/s' }, beginAtZero: true }, y1: { position: 'right', title: { display: true, text: 'calls/s' }, beginAtZero: true, grid: { drawOnChartArea: false } } } },
  });
  const seeded = doc.stages.filter((s) => s.id !== 'corpus').flatMap((s) => s.jobs).filter((j) => j.counts.judged > 0);
  chart('c-job-rate', {
    type: 'bar',
    data: { labels: seeded.map(short), datasets: [
      { label: 'programs/s', data: seeded.map((j) => j.timing.programsPerSec), backgroundColor: seeded.map((j) => C[j.stage]) } ] },
    options: { plugins: { legend: { display: false }, title: { display: true, text: 'programs/s per job (blue: model vs impl, orange: model vs kernel)' } }, scales: { y: { beginAtZero: true } } },
  });
  chart('c-coverage', {
    type: 'bar',
    data: { labels: seeded.map(short), datasets: [
      { label: 'distinct (call, outcome) pairs', data: seeded.map((j) => j.coverage.outcomes), backgroundColor: seeded.map((j) => C[j.stage]) },
      { label: 'distinct calls', data: seeded.map((j) => j.coverage.calls), backgroundColor: '#94a3b8' } ] },
    options: { plugins: { title: { display: true, text: 'Outcome coverage per device set (what the reference answered: ok, each errno, each signal)' } }, scales: { y: { beginAtZero: true } } },
  });
  const sigs = {};
  for (const f of doc.findings) sigs[f.signature] = (sigs[f.signature] || 0) + 1;
  const sigNames = Object.keys(sigs).sort();
  chart('c-findings', {
    type: 'bar',
    data: { labels: sigNames.length ? sigNames : ['no findings'], datasets: [ { label: 'findings', data: sigNames.length ? sigNames.map((s) => sigs[s]) : [0], backgroundColor: C.fail } ] },
    options: { indexAxis: 'y', plugins: { legend: { display: false }, title: { display: true, text: sigNames.length ? 'Findings by signature' : 'Findings by signature: none' } }, scales: { x: { beginAtZero: true, suggestedMax: 1, ticks: { precision: 0 } } } },
  });
  const kjobs = (doc.stages.find((s) => s.id === 'kernel') || { jobs: [] }).jobs.concat((doc.stages.find((s) => s.id === 'corpus') || { jobs: [] }).jobs.filter((j) => j.reference === 'kernel'));
  chart('c-kernel', {
    type: 'bar',
    data: { labels: kjobs.map((j) => (j.stage === 'corpus' ? 'corpus ' : '') + j.devices), datasets: [
      { label: 'agreed', data: kjobs.map((j) => j.counts.passed - j.counts.known), backgroundColor: C.ok },
      { label: 'known divergence', data: kjobs.map((j) => j.counts.known), backgroundColor: C.known },
      { label: 'not run', data: kjobs.map((j) => j.counts.notRun), backgroundColor: C.notrun },
      { label: 'failed', data: kjobs.map((j) => j.counts.failed), backgroundColor: C.fail } ] },
    options: { plugins: { title: { display: true, text: 'Kernel agreement (programs)' } }, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
  document.body.dataset.charts = String(document.querySelectorAll('canvas').length);
})();
`;

export function renderHtml(doc: GateDocument): string {
  const kernel = doc.stages.find((s) => s.id === 'kernel');
  const kernelCorpus = doc.stages.find((s) => s.id === 'corpus')?.jobs.some((j) => j.reference === 'kernel');
  const kernelRan = (kernel && !kernel.skipped && kernel.jobs.length) || kernelCorpus;
  const verdictClass = doc.verdict === 'pass' ? 'pass' : 'fail';
  const stages = doc.stages
    .map((s) => {
      const head = `<h2>${esc(s.id)}: ${esc(s.title)} <small>${fmt(s.timing.programsPerSec)} programs/s · ${fmt(s.timing.callsPerSec)} calls/s · ${(s.timing.ms / 1000).toFixed(1)} s</small></h2>`;
      if (s.skipped) return `${head}<p class="skip">skipped: ${esc(s.skipped)}</p>`;
      const notes = [...(s.notes ?? []), ...(s.excluded ?? []).map((x) => `not in this stage: ${x.devices} (${x.reason})`)].map((n) => `<li>${esc(n)}</li>`).join('');
      const known = s.jobs.flatMap((j) => j.known.map((k) => `<li><b>${esc(j.devices)}</b>: ${esc(k.name)} at programs ${esc(k.indices.join(', '))} — ${esc(k.reason)}</li>`)).join('');
      const notRun = s.jobs.flatMap((j) => j.notRun.map((n) => `<li><b>${esc(j.devices)}</b>: ${esc(n.index !== undefined ? `program ${n.index}` : (n.file ?? ''))} — ${esc(n.reason)}</li>`)).join('');
      const caught = s.jobs
        .filter((j) => j.caught)
        .map((j) => `<li><b>${esc(j.devices)}</b> (${esc(j.profile)}): ${j.caught!.length ? `${fmt(j.counts.caught ?? 0)} programs, ${j.caught!.length} signatures<ul>${j.caught!.map((c) => `<li><code>${esc(c.signature)}</code> × ${c.programs}, first program ${c.first}: <code>${esc(c.replay)}</code></li>`).join('')}</ul>` : '<b>nothing caught</b>'}</li>`)
        .join('');
      return `${head}${notes ? `<ul>${notes}</ul>` : ''}${caught ? `<h3>Caught (known bugs, expected)</h3><ul>${caught}</ul>` : ''}<table><thead><tr><th>target</th><th>devices</th><th>profile</th><th>status</th><th>programs</th><th>failed</th><th>known</th><th>not run</th><th>outcomes</th><th>programs/s</th><th>calls/s</th></tr></thead><tbody>${s.jobs.map(jobRow).join('')}</tbody></table>${known ? `<h3>Known divergences</h3><ul>${known}</ul>` : ''}${notRun ? `<h3>Not run</h3><ul>${notRun}</ul>` : ''}`;
    })
    .join('\n');
  const findings = doc.findings.length
    ? doc.findings.map((f, i) => `<details${i < 5 ? ' open' : ''}><summary><b>${esc(f.stage)}</b> · ${esc(f.job)} · ${esc(f.check)}: <code>${esc(f.signature)}</code></summary><pre>${esc(findingText(f))}</pre></details>`).join('\n')
    : '<p>none</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gemcheck gate: ${esc(doc.verdict)}${doc.partial ? ' (partial)' : ''}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#111}
h1{margin:.2em 0}.verdict{font-size:1.3em;padding:.4em .8em;border-radius:6px;display:inline-block}
.verdict.pass{background:#dcfce7;color:#14532d}.verdict.fail{background:#fee2e2;color:#7f1d1d}.partial{background:#fef3c7;padding:.4em .8em;border-radius:6px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em;margin:1em 0}.box{border:1px solid #e5e7eb;border-radius:6px;padding:.5em;height:300px;position:relative}
.box.wide{grid-column:1/3}.box.note{height:auto}.skip{color:#6b7280;font-style:italic}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e5e7eb;padding:3px 6px;text-align:right}th:nth-child(-n+3),td:nth-child(-n+3){text-align:left}
tr.fail td.st,tr.partial td.st{color:#b91c1c;font-weight:bold}pre{background:#f8fafc;border:1px solid #e5e7eb;padding:.6em;overflow:auto;font-size:12px}
h2 small{font-weight:normal;color:#6b7280;font-size:.65em}
</style></head>
<body>
<h1>gemcheck gate</h1>
<p class="verdict ${verdictClass}">${esc(doc.verdict.toUpperCase())}: ${fmt(doc.totals.programs)} of ${fmt(doc.totals.planned)} programs judged, ${doc.totals.findings} finding${doc.totals.findings === 1 ? '' : 's'}, ${doc.totals.known} known divergences, ${doc.totals.notRun} not run</p>
${doc.partial ? `<p class="partial"><b>PARTIAL</b>: ${esc(doc.partial.message)}</p>` : ''}
<p>seed <code>${esc(doc.seed)}</code> · budget ${doc.budgetMs / 1000} s · wall ${(doc.timing.ms / 1000).toFixed(1)} s · config <code>${esc(doc.config.file)}</code>${doc.config.faults.length ? ` · faults ${esc(doc.config.faults.join(', '))}` : ''} · ${esc(doc.schema)} · gemcheck ${esc(doc.tool.version)} · ${esc(doc.run.startedAt)}</p>
<div class="grid">
<div class="box"><canvas id="c-stage-rate"></canvas></div>
<div class="box"><canvas id="c-findings"></canvas></div>
<div class="box wide"><canvas id="c-job-rate"></canvas></div>
<div class="box wide"><canvas id="c-coverage"></canvas></div>
<div class="box wide${kernelRan ? '' : ' note'}">${kernelRan ? '<canvas id="c-kernel"></canvas>' : `<p class="skip">Kernel agreement: skipped: ${esc(kernel?.skipped ?? 'no kernel job')}</p>`}</div>
</div>
${stages}
<h2>Findings</h2>
${findings}
<script type="application/json" id="gate-data">${scriptJson(doc)}</script>
<script>${chartLibrary()}</script>
<script>${RENDER}</script>
</body></html>
`;
}
