// doctor() names every missing piece of the kernel back end with the command that fixes it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, findInPath } from './doctor.ts';
import { GUEST_MODULES, kernelPaths, SETUP_COMMAND } from './paths.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gemcheck-doctor-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('doctor', () => {
  it('reports each missing piece with the set-up command', () => {
    const r = doctor(kernelPaths(path.join(tmp, 'empty')));
    expect(r.ok).toBe(false);
    const missing = r.lines.filter((l) => l.startsWith('MISSING'));
    for (const what of ['kernel image', 'module tree', 'initramfs', 'executor binary']) {
      expect(missing.some((l) => l.includes(what)), what).toBe(true);
    }
    for (const l of missing) expect(l).toContain(SETUP_COMMAND);
  });

  it('is ok for a complete cache, and flags an executor built from other sources', () => {
    const p = kernelPaths(path.join(tmp, 'full'));
    const modDir = path.join(p.linuxTree, 'lib', 'modules', '6.1.0-test', 'kernel');
    for (const m of GUEST_MODULES) {
      fs.mkdirSync(path.dirname(path.join(modDir, m)), { recursive: true });
      fs.writeFileSync(path.join(modDir, m), '');
    }
    for (const f of [p.vmlinuz, p.initramfs, p.executor]) fs.writeFileSync(f, '');
    const srcHash = createHash('sha256').update(fs.readFileSync(p.executorSource)).digest('hex');
    fs.writeFileSync(p.manifest, `kernel_version=6.1.0-test\nexecutor_source_sha256=${srcHash}\n`);
    const qemu = findInPath('qemu-system-x86_64') !== null;
    expect(doctor(p).ok).toBe(qemu);
    expect(doctor(p).lines.filter((l) => l.startsWith('MISSING') && !l.includes('qemu'))).toEqual([]);

    fs.writeFileSync(p.manifest, 'kernel_version=6.1.0-test\nexecutor_source_sha256=0000\n');
    const stale = doctor(p);
    expect(stale.ok).toBe(false);
    expect(stale.lines.some((l) => l.includes('changed since the last set-up'))).toBe(true);

    fs.rmSync(path.join(modDir, 'drivers/gpu/drm/vgem/vgem.ko'));
    expect(doctor(p).lines.some((l) => l.startsWith('MISSING modules vgem.ko'))).toBe(true);
  });

  it('finds binaries on PATH', () => {
    expect(findInPath('sh')).not.toBeNull();
    expect(findInPath('gemcheck-no-such-binary')).toBeNull();
    expect(findInPath('sh', '')).toBeNull();
  });
});
