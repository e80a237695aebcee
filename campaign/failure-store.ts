/**
 * Where failures are saved: one self-contained program file each (header: devices, profile,
 * faults, the command that produced it, the failure's signature), written atomically (temp
 * file + rename) under a name no other file has — nothing is ever overwritten.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class SaveDirError extends Error {}

/** A file-name-safe form of any string (seeds may hold '/', spaces, '..'). */
export function slug(s: string, max = 48): string {
  const t = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return (t || '_').slice(0, max);
}

const TMP = /^\.(.+)\.([0-9]+)\.tmp$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class FailureStore {
  private constructor(readonly dir: string) {}

  /** Opens (creating) the folder and proves it is writable, so that no failure is lost at
   * the first save; removes temp files that killed runs left behind. */
  static open(dir: string): FailureStore {
    try {
      mkdirSync(dir, { recursive: true });
      if (!statSync(dir).isDirectory()) throw new SaveDirError(`${dir}: not a directory`);
      const probe = join(dir, `.probe.${process.pid}.tmp`);
      writeFileSync(probe, '');
      unlinkSync(probe);
      for (const f of readdirSync(dir)) {
        const m = TMP.exec(f);
        if (m && Number(m[2]) !== process.pid && !alive(Number(m[2]))) unlinkSync(join(dir, f));
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
