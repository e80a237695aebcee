/**
 * Where failures are saved: one self-contained program file each (header: devices, profile,
 * faults, the command that produced it, the failure's signature), written atomically (temp
 * file + rename) under a name no other file has — nothing is ever overwritten.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class SaveDirError extends Error {}

/** A file-name-safe form of any string (seeds may hold '/', spaces, '..'). */
export function slug(s: string, max = 48): string {
  const t = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return (t || '_').slice(0, max);
}

const TMP = /^\.(.+)\.([0-9]+)\.tmp$/;

/** Whether a process exists (a temp file's writer may still be writing it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * mkdir -p that fails instead of looping: Node's recursive mkdirSync spins forever where
 * mkdir(2) says ENOENT under a parent that exists (/proc/x). Each level is tried once.
 */
function mkdirp(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!statSync(dir).isDirectory()) throw new SaveDirError(`${dir}: exists and is not a directory`);
      return;
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir || existsSync(parent)) throw e;
  }
  mkdirp(dirname(dir));
  mkdirSync(dir);
}

export class FailureStore {
  private constructor(readonly dir: string) {}

  /** Opens (creating) the folder and proves it is writable, so that no failure is lost at
   * the first save; removes temp files that killed runs left behind. */
  static open(dir: string): FailureStore {
    try {
      mkdirp(dir);
      const probe = join(dir, `.probe.${process.pid}.tmp`);
      writeFileSync(probe, '');
      unlinkSync(probe);
      for (const f of readdirSync(dir)) {
        const m = TMP.exec(f);
        if (m && Number(m[2]) !== process.pid && !processAlive(Number(m[2]))) unlinkSync(join(dir, f));
      }
    } catch (e) {
      if (e instanceof SaveDirError) throw e;
      throw new SaveDirError(`${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return new FailureStore(dir);
  }

  /** Saves `text` as `<base>.prog`, or `<base>.2.prog`, … if taken; returns the path. The
   * final name is claimed with link(2), which fails if it exists, so two runs never collide. */
  save(base: string, text: string): string {
    const tmp = join(this.dir, `.${slug(base)}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    try {
      for (let n = 1; ; n++) {
        const path = join(this.dir, `${slug(base, 120)}${n > 1 ? `.${n}` : ''}.prog`);
        if (existsSync(path)) continue;
        try {
          linkSync(tmp, path);
          return path;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
    } finally {
      unlinkSync(tmp);
    }
  }
}
