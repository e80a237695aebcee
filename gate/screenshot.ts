/** `npx tsx gate/screenshot.ts REPORT.html OUT.png`: loads a gate report in headless Chromium,
 * saves a screenshot, and fails (exit 1) on console errors or an undrawn chart. */
import { checkReport, chromiumMissing } from './browser.ts';

const [html, png] = process.argv.slice(2);
if (!html || !png) {
  console.error('usage: tsx gate/screenshot.ts REPORT.html OUT.png');
  process.exit(2);
}
const missing = chromiumMissing();
if (missing) {
  console.log(`screenshot skipped: ${missing}`);
  process.exit(0);
}
const r = await checkReport(html, png);
const blank = r.charts.filter((c) => c.painted === 0).map((c) => c.id);
console.log(`screenshot: ${png} (${r.charts.length} charts${blank.length ? `, blank: ${blank.join(', ')}` : ''}${r.errors.length ? `, console errors: ${r.errors.join(' | ')}` : ''})`);
process.exitCode = r.errors.length || blank.length || !r.charts.length ? 1 : 0;
