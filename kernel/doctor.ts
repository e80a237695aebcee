// Says whether the real-kernel back end can run here, and what to do if not.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GUEST_MODULES, kernelPaths, QEMU_BINARY, SETUP_COMMAND, type KernelPaths } from './paths.ts';

export { QEMU_BINARY } from './paths.ts';

export interface DoctorReport {
  ok: boolean;
  lines: string[];
}

export function findInPath(bin: string, envPath: string = process.env['PATH'] ?? ''): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

function readManifest(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
      const i = l.indexOf('=');
      if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
    }
  } catch {
    // no manifest: reported by the caller
  }
  return out;
}

export function doctor(paths: KernelPaths = kernelPaths()): DoctorReport {
  const lines: string[] = [];
  let ok = true;
  const good = (s: string) => lines.push(`ok      ${s}`);
  const bad = (s: string, fix = SETUP_COMMAND) => {
    ok = false;
    lines.push(`MISSING ${s} -> fix: ${fix}`);
  };

  const qemu = findInPath(QEMU_BINARY);
  if (qemu) good(`${QEMU_BINARY} (${qemu})`);
  else bad(`${QEMU_BINARY} (Debian package qemu-system-x86)`);

  if (fs.existsSync(paths.vmlinuz)) good(`kernel image ${paths.vmlinuz}`);
  else bad(`kernel image ${paths.vmlinuz}`);

  const manifest = readManifest(paths.manifest);
  const kver = manifest['kernel_version'];
  if (!kver) {
    bad(`module tree (no manifest at ${paths.manifest})`);
  } else {
    const dir = path.join(paths.linuxTree, 'lib', 'modules', kver, 'kernel');
    const missing = GUEST_MODULES.filter((m) => !fs.existsSync(path.join(dir, m)));
    if (missing.length) bad(`modules ${missing.map((m) => path.basename(m)).join(', ')} under ${dir}`);
    else good(`modules (${GUEST_MODULES.length}) for ${kver}`);
  }

  if (fs.existsSync(paths.initramfs)) good(`initramfs ${paths.initramfs}`);
  else bad(`initramfs ${paths.initramfs}`);

  if (!fs.existsSync(paths.executor)) {
    bad(`executor binary ${paths.executor}`);
  } else {
    // a binary built from other sources than the checked-out ones would test the wrong code
    let srcHash = '';
    try {
      srcHash = createHash('sha256').update(fs.readFileSync(paths.executorSource)).digest('hex');
    } catch {
      // source missing: nothing to compare
    }
    if (srcHash && manifest['executor_source_sha256'] !== srcHash) {
      bad(`up-to-date executor (${path.relative(process.cwd(), paths.executorSource)} changed since the last set-up)`,
        `${SETUP_COMMAND} (or bash kernel/setup.sh --initramfs)`);
    } else {
      good(`executor ${paths.executor}`);
    }
  }
  return { ok, lines };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = doctor();
  for (const l of r.lines) console.log(l);
  console.log(r.ok ? 'kernel back end: ready' : 'kernel back end: not ready');
  process.exitCode = r.ok ? 0 : 1;
}
