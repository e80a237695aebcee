// Compiles a standalone C program (a repro, a kernel-stage test) into a static binary that
// the guest can run: the initramfs has no libc, so it must be static. KernelVm.runC uses it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const GCC = 'gcc';
export const GCC_FLAGS: readonly string[] = ['-O1', '-static', '-Wall'];

/** gcc refused the source (or could not run); `stderr` is what gcc said. */
export class CompileError extends Error {
  constructor(
    message: string,
    /** The source file, or `<source text>`. */
    readonly file: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'CompileError';
  }
}

export interface CompileOptions {
  /** Extra gcc arguments, after the default flags (e.g. -D…, -l…). */
  extraArgs?: readonly string[];
  /** Called with gcc's warnings when it succeeds but says something. */
  onWarnings?: (text: string) => void;
}

/**
 * `gcc -O1 -static -Wall` on a C file or C source text and return the binary's bytes. A
 * string with a newline in it is source text; anything else is a file path. Builds in a temp
 * directory that is removed afterwards. Throws CompileError with gcc's stderr when it fails.
 */
export function compileStatic(cFileOrSource: string, opts: CompileOptions = {}): Uint8Array {
  const isSource = cFileOrSource.includes('\n');
  const label = isSource ? '<source text>' : cFileOrSource;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gemcheck-cc-'));
  try {
    let src = cFileOrSource;
    if (isSource) {
      src = path.join(tmp, 'repro.c');
      fs.writeFileSync(src, cFileOrSource);
    } else if (!fs.existsSync(src)) {
      throw new CompileError(`${label}: no such file`, label, '');
    }
    const out = path.join(tmp, 'a.out');
    const r = spawnSync(GCC, [...GCC_FLAGS, ...(opts.extraArgs ?? []), '-o', out, src], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.error) throw new CompileError(`cannot run ${GCC} (needs gcc and libc6-dev): ${r.error.message}`, label, '');
    const stderr = r.stderr ?? '';
    if (r.status !== 0 || !fs.existsSync(out)) {
      const how = r.status === null ? `signal ${r.signal}` : `exit ${r.status}`;
      throw new CompileError(`${label}: ${GCC} ${GCC_FLAGS.join(' ')} failed (${how}):\n${stderr.trimEnd()}`, label, stderr);
    }
    if (stderr.trim()) opts.onWarnings?.(stderr);
    return new Uint8Array(fs.readFileSync(out));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A name for the uploaded binary (`[A-Za-z0-9_.-]{1,64}`, PROTOCOL.md) from a C file path. */
export function binaryNameFor(cFile: string | undefined): string {
  const base = cFile ? path.basename(cFile).replace(/\.c$/, '').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) : '';
  return base && base !== '.' && base !== '..' ? base : 'repro';
}
