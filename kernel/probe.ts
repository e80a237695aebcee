// Runs hand-written programs on the real kernel and prints a transcript (how kernel/FINDINGS.md
// was made). Input: a JSON object {"name": ["open 0 0", "create_dumb r0.fd 64 64 32 0", ...]}.
//   npx tsx kernel/probe.ts programs.json [--diag]
// dev 0 is vgem (card0, renderD128), dev 1 is bochs (card1). --diag also prints the guest's
// device list and DRM dmesg lines.
import fs from 'node:fs';
import { KernelVm } from './vm.ts';
import type { RawCallResult } from './wire.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx kernel/probe.ts programs.json [--diag]');
  process.exit(2);
}
const diag = process.argv.includes('--diag');
const progs = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string[]>;
const names = Object.keys(progs);

function show(r: RawCallResult | undefined): string {
  if (!r) return '-';
  if (r.kind === 'err') return `err ${r.errno}`;
  if (r.kind === 'sig') return `sig ${r.signal}`;
  // offsets in hex: they are easier to read as page numbers
  const f = Object.entries(r.fields).map(([k, v]) => `${k}=${k === 'offset' ? `0x${v.toString(16)}` : v}`);
  return ['ok', ...f].join(' ');
}

const vm = new KernelVm({ diag, programTimeoutMs: 60_000 });
try {
  console.log(`# boot ${await vm.start()} ms`);
  if (diag) console.log(vm.consoleLog.split('\n').filter((l) => l.startsWith('gemcheck-')).join('\n'));
  const out = await vm.runPrograms(names.map((n, i) => ({ id: i, lines: progs[n] ?? [] })));
  for (const r of out.results) {
    const name = names[r.id] ?? String(r.id);
    console.log(`\n## ${name}${r.bad ? ` (refused: ${r.bad})` : ''}${r.finding ? ` (FINDING ${r.finding.kind}: ${r.finding.reason})` : ''}`);
    (progs[name] ?? []).forEach((l, k) => console.log(`${String(k).padStart(2)}  ${l.padEnd(42)} # ${show(r.results.find((x) => x.k === k))}`));
  }
  for (const f of out.findings) console.log(`\nFINDING ${f.kind} in ${names[f.programId]}: ${f.reason}\n${f.consoleLog.slice(-3000)}`);
} finally {
  await vm.stop();
}
