// `gemcheck repro` for every device (issue 10): the C of an amdgpu or NVDLA program — which no
// VM device can run — compiles with gcc -Wall -Werror, every call of it is an op the executor
// runs (no `unknown op`), and on a machine without the device the binary says which device it
// could not open. Programs the VM can host keep the VM's fixed device nodes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLS } from '../ir/calls.ts';
import { DEVICE_NAMES, type DeviceName } from '../ir/devices.ts';
import { parseText } from '../ir/encoding.ts';
import type { Program } from '../ir/program.ts';
import { generateProgram, uapiOf } from '../fuzz/generate.ts';
import { seededRand } from '../fuzz/rand.ts';
import { PROFILES } from '../ir/target.ts';
import { compileStatic } from './compile.ts';
import { doctor } from './doctor.ts';
import { encodeProgram } from './encode.ts';
import { GUEST_DEVICES } from './guest.ts';
import { DRM_DRIVERS, reproNodes, reproSource } from './repro.ts';
import { KernelTarget, toOutcomes } from './target.ts';
import { parseExecLine, ResultCollector } from './wire.ts';

const root = path.resolve(import.meta.dirname, '..');
const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
const noGcc = gcc.error || gcc.status !== 0 ? 'gcc not found (needs gcc and libc6-dev; kernel/setup.sh installs them)' : '';
const load = (f: string): Program => parseText(fs.readFileSync(path.join(root, f), 'utf8'));
const files = (dir: string): string[] => fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.prog')).sort().map((f) => `${dir}/${f}`);

/** Seeded programs on a device list (the same every run). */
function generated(devices: DeviceName[], n: number): Program[] {
  return Array.from({ length: n }, (_, i) => generateProgram(seededRand(`repro-test:${devices.join(',')}:${i}`), { maxCalls: 30, devices: devices.length, uapi: uapiOf(devices) }, { devices }));
}

const AMDGPU: Program[] = [...files('corpus/seeds/amdgpu').map(load), ...generated(['amdgpu'], 3), ...generated(['amdgpu', 'vgem'], 2)];
const NVDLA: Program[] = [...files('corpus/nvdla').map(load), ...generated(['nvdla'], 3), ...generated(['nvdla-upstream', 'vgem'], 2)];

describe('repro device nodes', () => {
  it('a list the VM hosts keeps its fixed nodes (the repro runs in the VM as the kernel target did)', () => {
    expect(reproNodes(['vgem'])).toEqual([{ primary: '/dev/dri/card0', render: '/dev/dri/renderD128' }]);
    expect(reproNodes(['vgem', 'cirrus'])).toEqual([{ primary: '/dev/dri/card0', render: '/dev/dri/renderD128' }, { primary: '/dev/dri/card2', render: null }]);
    expect(reproNodes(['bochs'])).toEqual([{ primary: '/dev/dri/card1', render: null }]);
  });

  it('a list with amdgpu or NVDLA finds every device by driver name (DRM_IOCTL_VERSION), the n-th node for the n-th occurrence', () => {
    expect(reproNodes(['amdgpu'])).toEqual([{ primary: 'drv:amdgpu', render: 'drv:amdgpu' }]);
    expect(reproNodes(['amdgpu', 'vgem', 'amdgpu'])).toEqual([
      { primary: 'drv:amdgpu', render: 'drv:amdgpu' },
      { primary: 'drv:vgem', render: 'drv:vgem' },
      { primary: 'drv:amdgpu:1', render: 'drv:amdgpu:1' },
    ]);
    expect(reproNodes(['nvdla', 'nvdla-upstream', 'cirrus'])).toEqual([
      { primary: 'drv:nvdla', render: 'drv:nvdla' },
      { primary: 'drv:nvdla:1', render: 'drv:nvdla:1' },
      { primary: 'drv:cirrus', render: null },
    ]);
  });

  it('render nodes agree with the VM where the VM has the device', () => {
    for (const d of DEVICE_NAMES) {
      const g = GUEST_DEVICES[d];
      if ('nodes' in g) expect(DRM_DRIVERS[d].render, d).toBe(g.nodes.render !== null);
    }
  });
});

describe.skipIf(!!noGcc)(`repro of amdgpu and NVDLA programs${noGcc ? ` [skipped: ${noGcc}]` : ''}`, () => {
  let dir = '';
  let exe = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gemcheck-repro-'));
    exe = path.join(dir, 'gemcheck-exec');
    const cc = spawnSync('gcc', ['-O1', '-static', '-Wall', '-Wextra', '-Werror', '-o', exe, path.join(root, 'executor', 'gemcheck-exec.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`gcc failed: ${cc.error?.message ?? cc.stderr}`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Compile a repro with gcc -Wall -Werror and run it; its output lines and exit code. */
  function buildAndRun(p: Program, name: string): { lines: string[]; code: number | null } {
    const src = path.join(dir, `${name}.c`);
    const bin = path.join(dir, name);
    fs.writeFileSync(src, reproSource(p));
    const cc = spawnSync('gcc', ['-O1', '-static', '-Wall', '-Werror', '-o', bin, src], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    expect(cc.stderr.trim(), 'no warnings').toBe('');
    const r = spawnSync(bin, [], { encoding: 'utf8', timeout: 20_000 });
    return { lines: (r.stdout + r.stderr).split('\n').filter((l) => l !== ''), code: r.status };
  }

  /** The program's calls through the executor with a plain file as every device: each call is
   * parsed and run (an ioctl on a file says ENOTTY), none is refused. */
  function runOnFile(p: Program): void {
    const devFile = path.join(dir, 'device');
    fs.writeFileSync(devFile, Buffer.alloc(16 * 4096));
    const n = p.meta.devices?.length ?? 1;
    const input = [...Array.from({ length: n }, (_, i) => `dev ${i} ${devFile} ${devFile}`), 'prog 1', ...encodeProgram(p), 'end', 'quit'];
    const r = spawnSync(exe, [], { input: input.map((l) => `${l}\n`).join(''), encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const c = new ResultCollector();
    for (const l of r.stdout.split('\n').filter((x) => x)) c.push(parseExecLine(l));
    expect(c.stray).toEqual([]);
    const [res] = c.complete;
    expect(res?.bad, 'executor refused the program').toBeUndefined();
    expect(res?.results.map((x) => x.k)).toEqual(p.calls.map((_, k) => k));
  }

  for (const [label, programs, driver] of [['amdgpu', AMDGPU, 'amdgpu'], ['NVDLA', NVDLA, 'nvdla']] as const) {
    it(`${label}: the programs use ${label} calls, and the executor runs every one of their calls (no unknown op)`, () => {
      const uapi = label === 'amdgpu' ? 'amdgpu' : 'nvdla';
      const used = new Set(programs.flatMap((p) => p.calls.map((c) => c.op)));
      expect([...used].some((op) => CALLS[op].uapi === uapi)).toBe(true);
      for (const p of programs) runOnFile(p);
      const src = reproSource(programs[0]!);
      expect(src).toContain(`"dev 0 drv:${driver} drv:${driver}"`);
    });

    it(`${label}: repro compiles with gcc -Wall -Werror; without the device it prints which device it cannot open`, () => {
      programs.slice(0, 3).forEach((p, i) => {
        const { lines, code } = buildAndRun(p, `${driver}-${i}`);
        const d0 = p.meta.devices![0]!;
        expect(lines).toEqual([`repro: cannot open device 0 (${d0}): no /dev/dri/card* node whose DRM driver (DRM_IOCTL_VERSION) is ${DRM_DRIVERS[d0].driver}`]);
        expect(code).toBe(2);
        expect(lines.join('\n')).not.toContain('unknown op');
      });
    }, 60_000);
  }

  it('a vgem repro keeps the fixed nodes and checks no device by name', () => {
    const src = reproSource(load('corpus/scenarios/prime.prog'));
    expect(src).toContain('"dev 0 /dev/dri/card0 /dev/dri/renderD128"');
    expect(src).not.toMatch(/"dev \d+ drv:/);
    expect(src).toMatch(/repro_devices\[\] = \{\n {2}\{NULL, NULL\},\n\};/);
  });
});

// cli/fuzz.test.ts compares a vgem repro with the kernel target; these are the other two VM
// devices: bochs (with vgem), cirrus (foreign imports with vgem) and qxl (TTM evictions).
const d = doctor();
describe.skipIf(!d.ok)(`repro in the VM: bochs, cirrus and qxl programs print what the kernel target reported${d.ok ? '' : ' [skipped: kernel target not set up: npm run kernel:setup]'}`, () => {
  for (const f of ['corpus/scenarios/bochs.prog', 'corpus/scenarios/foreign-import-cirrus.prog', 'corpus/scenarios/qxl-vram.prog']) {
    it(f, async () => {
      const p = load(f);
      const devices = p.meta.devices!;
      const t = new KernelTarget();
      try {
        await t.start?.();
        const [want] = await t.run([p], { profile: PROFILES['linux-6.1'], devices });
        expect(want?.status).toBe('ok');
        const got = await t.vm.runBinary(compileStatic(reproSource(p)), { name: 'repro', timeoutMs: 60_000 });
        expect(got.status).toEqual({ kind: 'exit', code: 0 });
        const results = got.output.map(parseExecLine).flatMap((l) => (l.type === 'res' ? [l] : []));
        const outcomes = toOutcomes({ results } as unknown as Parameters<typeof toOutcomes>[0]);
        expect(outcomes).toEqual(want!.outcomes);
        expect(outcomes.length).toBe(p.calls.length);
      } finally {
        await t.close();
      }
    }, 180_000);
  }
});
