/**
 * For the CLI tests: the real CLI as a subprocess (`node bin/gemcheck.mjs`), awaited or
 * watched while it runs, and temp folders that are removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..');
export const BIN = join(root, 'bin', 'gemcheck.mjs');

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
  /** when it exited (performance.now()) */
  readonly endedAt: number;
  /** whether the test's own time limit killed it */
  readonly timedOut: boolean;
}

export interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  out(): string;
  err(): string;
  readonly done: Promise<Finished>;
  /** resolves when `re` matches stderr+stdout so far, or after `ms` (false then) */
  waitFor(re: RegExp, ms: number): Promise<boolean>;
}

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** SIGKILL after this long (the test fails on timedOut rather than hanging) */
  readonly timeoutMs?: number;
}

/** Starts `node bin/gemcheck.mjs ...args` (or `sh -c script` with shell) without waiting. */
export function start(args: readonly string[], o: SpawnOptions & { shell?: string } = {}): Running {
  const child = o.shell !== undefined
    ? spawn('sh', ['-c', o.shell], { cwd: o.cwd ?? root, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [BIN, ...args], { cwd: o.cwd ?? root, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of watchers) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of watchers) w();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.timeoutMs ?? 60_000);
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, endedAt: performance.now(), timedOut });
    });
  });
  return {
    child,
    pid: child.pid!,
    out: () => out,
    err: () => err,
    done,
    waitFor(re, ms) {
      return new Promise((resolve) => {
        const check = () => {
          if (re.test(err) || re.test(out)) finish(true);
        };
        const finish = (v: boolean) => {
          watchers.delete(check);
          clearTimeout(t);
          resolve(v);
        };
        const t = setTimeout(() => finish(false), ms);
        watchers.add(check);
        void done.then(() => finish(re.test(err) || re.test(out)));
        check();
      });
    },
  };
}

/** Runs the CLI to the end. */
export function gemcheck(args: readonly string[], o: SpawnOptions = {}): Promise<Finished> {
  return start(args, o).done;
}

/** Runs `sh -c script` (in the repository root) to the end. */
export function sh(script: string, o: SpawnOptions = {}): Promise<Finished> {
  return start([], { ...o, shell: script }).done;
}

/** A temp folder under os.tmpdir(); call remove() in afterAll. */
export function tempDir(prefix: string): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A process's resident set size in kB (Linux /proc), or undefined once it is gone. */
export function rssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves after ms. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
