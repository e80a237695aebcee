/**
 * The gate's report folder (--out), written so that no reader ever sees half a report and no
 * data is lost silently: the new report is built in a sibling staging folder (failing programs
 * are saved there while the gate runs), the four files are written there (gate.json first),
 * and only then is it swapped in for the old folder with renames. --out is the gate's own
 * folder: a folder that holds a previous gate's report (gate.json) is replaced as a whole; any
 * other non-empty folder, or a file, is refused before anything runs.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { processAlive } from '../campaign/failure-store.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import type { GateDocument } from './schema.ts';
import { renderSummary } from './summary.ts';

export class OutDirError extends Error {}

export const REPORT_FILES = ['gate.json', 'junit.xml', 'summary.md', 'report.html'] as const;

/** Checks --out can be (re)placed; returns the staging folder to build the report in. */
export function prepareOut(out: string): string {
  const abs = resolve(out);
  if (existsSync(abs)) {
    const st = statSync(abs);
    if (!st.isDirectory()) throw new OutDirError(`${out}: not a folder`);
    const entries = readdirSync(abs);
    if (entries.length && !entries.includes('gate.json')) throw new OutDirError(`${out}: not empty and holds no gate.json (not a gate report folder: refusing to replace it)`);
  }
  const parent = dirname(abs);
  mkdirSync(parent, { recursive: true });
  // staging folders of runs that died are removed (their pid is gone)
  for (const f of readdirSync(parent)) {
    const m = new RegExp(`^\\.${escapeRe(basename(abs))}\\.(new|old)-(\\d+)$`).exec(f);
    if (m && !processAlive(Number(m[2]))) rmSync(join(parent, f), { recursive: true, force: true });
  }
  const staging = join(parent, `.${basename(abs)}.new-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  return staging;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');


/** Writes the four files into the staging folder and swaps it in for `out`. */
export function writeReports(doc: GateDocument, staging: string, out: string): string[] {
  const abs = resolve(out);
  const files: [string, string][] = [
    ['gate.json', `${JSON.stringify(doc, null, 2)}\n`],
    ['junit.xml', renderJunit(doc)],
    ['summary.md', renderSummary(doc)],
    ['report.html', renderHtml(doc)],
  ];
  for (const [name, text] of files) writeFileSync(join(staging, name), text);
  const old = join(dirname(abs), `.${basename(abs)}.old-${process.pid}`);
  if (existsSync(abs)) renameSync(abs, old);
  renameSync(staging, abs);
  rmSync(old, { recursive: true, force: true });
  return files.map(([n]) => join(out, n));
}
