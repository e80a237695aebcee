/**
 * A campaign's corpus on disk (syzkaller's corpus.db, AFL's queue/, in readable form):
 *
 *   DIR/corpus/<hash>.prog   one text program per file, named by a hash of its calls
 *                            (content-addressed: the same program is one file on every
 *                            machine); header: format version, devices, profile, provenance
 *   DIR/manifest.json        format, devices, profile, and per program: its signal, calls,
 *                            when and how it was added
 *
 * Every write is atomic (temp file + rename), the program before its manifest entry, so a
 * kill -9 leaves at worst a program the manifest does not list yet — loading runs it again
 * for its signal. Loading reports corrupt or foreign files (file and reason) and skips them;
 * nothing is ever deleted.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { printDevices } from '../ir/devices.ts';
import { parseText, printText, ParseError } from '../ir/encoding.ts';
import { validate, type Program, type ProgramMeta } from '../ir/program.ts';

export const CORPUS_FORMAT = 'gemcheck-corpus/1';
export const CORPUS_HEADER = '# gemcheck corpus v1';

export interface CorpusEntry {
  readonly hash: string;
  readonly program: Program;
  /** sorted signal elements; undefined when the manifest did not list it (re-run to learn) */
  signal?: number[];
  readonly added?: string;
  readonly provenance?: string;
}

export interface Manifest {
  readonly format: string;
  readonly devices: string;
  readonly profile: string;
  readonly programs: Record<string, { signal: number[]; calls: number; added?: string; provenance?: string }>;
}

export interface Problem {
  readonly file: string;
  readonly reason: string;
}

/** Writes `text` to `path` atomically: a temp file in the same folder, fsync, rename. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The hash of a program's calls (the header does not count): its corpus file name. */
export function programHash(p: Program): string {
  const body = printText({ meta: {}, calls: p.calls }).split('\n').slice(1).join('\n');
  return createHash('sha256').update(body).digest('hex').slice(0, 20);
}

/** The header key devices+params, as the campaign and its files print it. */
export const devicesKey = (m: ProgramMeta): string => (m.devices ? printDevices({ devices: m.devices, params: m.deviceParams }) : '');

export function corpusText(p: Program, provenance?: string): string {
  const t = printText({ meta: { devices: p.meta.devices, deviceParams: p.meta.deviceParams, profile: p.meta.profile }, calls: p.calls.map((c) => ({ op: c.op, args: c.args })) });
  const [first, ...rest] = t.split('\n');
  return [first, CORPUS_HEADER, ...(provenance ? [`# provenance: ${provenance.replace(/[\r\n]+/g, ' ')}`] : []), ...rest].join('\n');
}

export interface CorpusLoad {
  readonly entries: CorpusEntry[];
  readonly problems: Problem[];
  /** the manifest's devices/profile, when it had them */
  readonly manifest?: Manifest;
}

export class Corpus {
  readonly entries = new Map<string, CorpusEntry>();
  private constructor(
    readonly dir: string,
    readonly meta: ProgramMeta,
  ) {}

  get programsDir(): string {
    return join(this.dir, 'corpus');
  }

  /** Opens (creating) DIR for a campaign with header `meta` (devices, profile). */
  static open(dir: string, meta: ProgramMeta): { corpus: Corpus; problems: Problem[] } {
    mkdirSync(join(dir, 'corpus'), { recursive: true });
    const c = new Corpus(dir, meta);
    const got = loadCorpus(dir, meta);
    for (const e of got.entries) c.entries.set(e.hash, e);
    return { corpus: c, problems: got.problems };
  }

  has(hash: string): boolean {
    return this.entries.has(hash);
  }

  /** Adds a program (its file first, then the manifest); false if it was there already. */
  add(p: Program, signal: number[], provenance?: string, writeManifest = true): CorpusEntry | undefined {
    const hash = programHash(p);
    if (this.entries.has(hash)) return undefined;
    const program: Program = { meta: this.meta, calls: p.calls };
    writeAtomic(join(this.programsDir, `${hash}.prog`), corpusText(program, provenance));
    const e: CorpusEntry = { hash, program, signal: [...signal].sort((a, b) => a - b), added: new Date().toISOString(), provenance };
    this.entries.set(hash, e);
    if (writeManifest) this.saveManifest();
    return e;
  }

  saveManifest(): void {
    const programs: Manifest['programs'] = {};
    for (const e of [...this.entries.values()].sort((a, b) => (a.hash < b.hash ? -1 : 1)))
      programs[e.hash] = { signal: e.signal ?? [], calls: e.program.calls.length, ...(e.added ? { added: e.added } : {}), ...(e.provenance ? { provenance: e.provenance } : {}) };
    const m: Manifest = { format: CORPUS_FORMAT, devices: devicesKey(this.meta), profile: this.meta.profile ?? '', programs };
    writeAtomic(join(this.dir, 'manifest.json'), JSON.stringify(m, null, 1) + '\n');
  }
}

function readManifest(dir: string, problems: Problem[]): Manifest | undefined {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    if (m.format !== CORPUS_FORMAT) {
      problems.push({ file: path, reason: `format '${String(m.format)}' is not ${CORPUS_FORMAT}` });
      return undefined;
    }
    if (typeof m.programs !== 'object' || m.programs === null) throw new Error('no programs table');
    return m;
  } catch (e) {
    problems.push({ file: path, reason: `unreadable manifest (${(e as Error).message}); programs are re-run for their signal` });
    return undefined;
  }
}

/**
 * Reads DIR's programs. `want` (devices, profile) marks files of another campaign as foreign;
 * without it the manifest's (or the first file's) devices decide.
 */
export function loadCorpus(dir: string, want?: ProgramMeta): CorpusLoad {
  const problems: Problem[] = [];
  const manifest = readManifest(dir, problems);
  const entries: CorpusEntry[] = [];
  // a campaign folder has corpus/; a plain folder of programs (corpus/seeds/<device>/) is read as it is
  const pdir = existsSync(join(dir, 'corpus')) ? join(dir, 'corpus') : dir;
  if (!existsSync(pdir)) {
    problems.push({ file: pdir, reason: 'no such folder' });
    return { entries, problems, manifest };
  }
  let wantDevices = want ? devicesKey(want) : manifest?.devices;
  let wantProfile = want ? want.profile : manifest?.profile || undefined;
  const seen = new Set<string>();
  for (const f of readdirSync(pdir).sort()) {
    const file = join(pdir, f);
    if (f.endsWith('.tmp') || f.startsWith('.')) continue; // a write a kill interrupted: not ours to delete
    if (!f.endsWith('.prog')) {
      problems.push({ file, reason: 'not a .prog file' });
      continue;
    }
    let p: Program;
    try {
      const text = readFileSync(file, 'utf8');
      if (!text.startsWith('# gemcheck program v')) throw new Error('no "# gemcheck program vN" header');
      p = parseText(text);
      const errs = validate(p);
      if (errs.length) throw new Error(errs[0]);
      if (!p.calls.length) throw new Error('no calls');
    } catch (e) {
      problems.push({ file, reason: e instanceof ParseError ? `${f}:${e.message}` : (e as Error).message });
      continue;
    }
    const dk = devicesKey(p.meta);
    wantDevices ??= dk;
    wantProfile ??= p.meta.profile;
    if (dk !== wantDevices) {
      problems.push({ file, reason: `foreign: devices '${dk || '(none)'}', this corpus is '${wantDevices}'` });
      continue;
    }
    if ((p.meta.profile ?? 'linux-6.1') !== (wantProfile ?? 'linux-6.1')) {
      problems.push({ file, reason: `foreign: profile ${p.meta.profile ?? '(default)'}, this corpus is ${wantProfile}` });
      continue;
    }
    const hash = programHash(p);
    if (seen.has(hash)) continue;
    seen.add(hash);
    // a file named otherwise (a hand-made seed, a renamed file) is read under its content's hash
    const m = manifest?.programs[hash] ?? manifest?.programs[f.replace(/\.prog$/, '')];
    const prov = /^# provenance: (.*)$/m.exec(readFileSync(file, 'utf8'))?.[1];
    entries.push({ hash, program: p, signal: Array.isArray(m?.signal) ? m.signal : undefined, added: m?.added, provenance: prov });
  }
  return { entries, problems, manifest };
}
