// Host tests of the C executor (executor/PROTOCOL.md): parsing, reference resolution, the
// pattern/digest vectors, the mapping harness rules and result encoding. A plain tmp file
// stands in for the DRM device, so open/mmap/read/write work and every ioctl says ENOTTY.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExecLine, ResultCollector, type RawCallResult, type RawProgramResult } from '../kernel/wire.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const EINVAL = 22;
const EBADF = 9;
const ENOENT = 2;
const ENOMEM = 12;
const ENOTTY = 25;
const EMFILE = 24;
const PAGE = 4096;

/** Shared test vectors: digest of `len` pattern bytes of `seed` (PROTOCOL.md table). */
export const DIGEST_VECTORS: readonly { seed: number; len: number; digest: number }[] = [
  { seed: 0, len: 0, digest: 2166136261 },
  { seed: 0, len: 1, digest: 84696351 },
  { seed: 0, len: 16, digest: 1479395976 },
  { seed: 0, len: 4096, digest: 264016956 },
  { seed: 0, len: 10000, digest: 689872217 },
  { seed: 1, len: 1, digest: 2987121270 },
  { seed: 1, len: 16, digest: 3939332522 },
  { seed: 1, len: 4096, digest: 1116751412 },
  { seed: 1, len: 10000, digest: 1074491040 },
  { seed: 0xdeadbeef, len: 1, digest: 2886455556 },
  { seed: 0xdeadbeef, len: 16, digest: 3332980949 },
  { seed: 0xdeadbeef, len: 4096, digest: 3520900772 },
  { seed: 0xdeadbeef, len: 10000, digest: 867116537 },
  { seed: 0xffffffff, len: 1, digest: 1007465396 },
  { seed: 0xffffffff, len: 16, digest: 826613214 },
  { seed: 0xffffffff, len: 4096, digest: 1014299904 },
  { seed: 0xffffffff, len: 10000, digest: 4209105730 },
];

let dir = '';
let exe = '';
let dev = ''; // 4 pages, the "device" for mmap (see devLines)
let short = ''; // 1 page, for SIGBUS beyond end of file

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gemcheck-exec-'));
  exe = path.join(dir, 'gemcheck-exec');
  const cc = spawnSync('gcc', ['-O2', '-static', '-Wall', '-Wextra', '-Werror', '-o', exe, path.join(here, 'gemcheck-exec.c')], {
    encoding: 'utf8',
  });
  if (cc.error || cc.status !== 0) {
    throw new Error(`gcc -static failed (needs gcc and libc6-dev): ${cc.error?.message ?? cc.stderr}`);
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Run the executor on `input` lines; returns raw output lines. */
function exec(input: readonly string[], args: readonly string[] = []): string[] {
  const r = spawnSync(exe, args, { input: input.map((l) => l + '\n').join(''), encoding: 'utf8', timeout: 20_000, maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

let fresh = 0;
/** Device table over new zeroed files, so no test sees another's writes. */
function devLines(): string[] {
  fresh++;
  dev = path.join(dir, `dev${fresh}`);
  fs.writeFileSync(dev, Buffer.alloc(4 * PAGE));
  short = path.join(dir, `short${fresh}`);
  fs.writeFileSync(short, Buffer.alloc(PAGE));
  return [`dev 0 ${dev} -`, `dev 1 ${short} ${dev}`];
}

/** Run programs and group the output per program (through kernel/wire.ts). */
function run(...programs: (readonly string[])[]): RawProgramResult[] {
  const input = [...devLines()];
  programs.forEach((p, i) => input.push(`prog ${i + 1}`, ...p, 'end'));
  input.push('quit');
  const c = new ResultCollector();
  for (const l of exec(input)) c.push(parseExecLine(l));
  expect(c.ready).toBe(true);
  expect(c.stray).toEqual([]);
  expect(c.complete.map((p) => p.id)).toEqual(programs.map((_, i) => i + 1));
  return c.complete;
}

/** Results of a single program. */
function run1(lines: readonly string[]): RawCallResult[] {
  const [p] = run(lines);
  expect(p?.bad).toBeUndefined();
  return p?.results ?? [];
}

const ok = (k: number, fields: Record<string, bigint> = {}): RawCallResult => ({ k, kind: 'ok', fields });
const err = (k: number, errno: number): RawCallResult => ({ k, kind: 'err', errno });
const sig = (k: number, signal: 'SIGSEGV' | 'SIGBUS'): RawCallResult => ({ k, kind: 'sig', signal });

/** Reference implementation of the pattern and digest, to check the vector table itself. */
function referenceDigest(seed: number, len: number): number {
  const fmix = (x: number) => {
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    x ^= x >>> 16;
    return x >>> 0;
  };
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ (fmix((seed ^ Math.imul(i, 0x9e3779b1)) >>> 0) & 0xff), 0x01000193) >>> 0;
  return h;
}

describe('digest vectors', () => {
  it('match an independent implementation of PROTOCOL.md', () => {
    for (const v of DIGEST_VECTORS) expect(referenceDigest(v.seed, v.len), `${v.seed}/${v.len}`).toBe(v.digest);
  });
});

describe('executor: start-up and framing', () => {
  it('says ready, runs programs, and reports done after each', () => {
    const out = exec([...devLines(), 'prog 7', 'open 0 0', 'end', 'prog 8', 'end', 'quit']);
    expect(out).toEqual(['ready', 'res 7 0 ok fd=3', 'done 7', 'done 8']);
  });

  it('treats end of input as quit', () => {
    expect(exec([])).toEqual(['ready']);
    // an unterminated program is refused, not run
    expect(exec(['prog 1', 'open 0 0'])).toEqual(['ready', 'bad 1 1 input ended before end', 'done 1']);
  });

  it('reads input from a file with --in and writes output with --out', () => {
    devLines();
    const inFile = path.join(dir, 'in.txt');
    const outFile = path.join(dir, 'out.txt');
    fs.writeFileSync(inFile, `dev 0 ${dev} -\nprog 1\nopen 0 0\nend\n`);
    const r = spawnSync(exe, ['--in', inFile, '--out', outFile], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(fs.readFileSync(outFile, 'utf8')).toBe('ready\nres 1 0 ok fd=3\ndone 1\n');
  });

  it('prints the digest vectors with --vectors', () => {
    const out = exec([], ['--vectors']).join('\n');
    for (const v of DIGEST_VECTORS) {
      const seed = `0x${v.seed.toString(16).toUpperCase().padStart(8, '0')}`;
      expect(out).toContain(`| ${seed} | ${v.len} |`);
      expect(out).toMatch(new RegExp(`\\| ${seed} \\| ${v.len} \\| [0-9a-f-]+ \\| ${v.digest} `));
    }
  });
});

describe('executor: malformed input', () => {
  const badCases: [string, string[], string][] = [
    ['unknown op', ['open 0 0', 'frobnicate 1'], 'bad 1 1 unknown op'],
    ['too few args', ['open 0'], 'bad 1 0 open takes 2 args, got 1'],
    ['too many args', ['close 3 4'], 'bad 1 0 close takes 1 args, got 2'],
    ['way too many args', ['close 1 2 3 4 5 6 7 8 9 10 11 12 13 14'], 'bad 1 0 too many args'],
    ['one arg short of the longest call', ['nvdla_submit 3 1 2 3 4 5 6 7 8 9 10 11'], 'bad 1 0 nvdla_submit takes 13 args, got 12'],
    ['empty hex', ['close 0x'], 'bad 1 0 bad integer'],
    ['junk in decimal', ['close 12a'], 'bad 1 0 bad integer'],
    ['65-bit decimal', ['close 18446744073709551616'], 'bad 1 0 bad integer'],
    ['65-bit hex', ['close 0x10000000000000000'], 'bad 1 0 bad integer'],
    ['lone minus', ['close -'], 'bad 1 0 bad integer'],
    ['forward reference', ['open 0 0', 'close r1.fd'], 'bad 1 1 reference to a later call'],
    ['self reference', ['close r0.fd'], 'bad 1 0 reference to a later call'],
    ['unknown field', ['open 0 0', 'close r0.bogus'], 'bad 1 1 unknown field'],
    ['reference without field', ['open 0 0', 'close r0'], 'bad 1 1 bad reference'],
    ['reference without index', ['open 0 0', 'close r.fd'], 'bad 1 1 bad reference'],
    ['hex reference index', ['open 0 0', 'close r0x0.fd'], 'bad 1 1 bad reference'],
    ['bad dev line inside a program', ['dev 99 /x -'], 'bad 1 0 bad dev line'],
  ];
  for (const [what, lines, expected] of badCases) {
    it(`refuses a program with ${what}, runs nothing and still says done`, () => {
      const out = exec([...devLines(), 'prog 1', ...lines, 'end', 'prog 2', 'open 0 0', 'end']);
      expect(out).toEqual(['ready', expected, 'done 1', 'res 2 0 ok fd=3', 'done 2']);
    });
  }

  it('reports only the first bad line of a program', () => {
    const out = exec(['prog 1', 'nope', 'nope2', 'end']);
    expect(out).toEqual(['ready', 'bad 1 0 unknown op', 'done 1']);
  });

  it('reports lines outside programs with - - and keeps going', () => {
    const out = exec([...devLines(), 'open 0 0', 'end', 'prog x', 'open 0 0', 'end', 'dev 16 /a -', 'prog 3', 'open 0 0', 'end']);
    expect(out).toEqual([
      'ready',
      'bad - - call outside a program',
      'bad - - end outside a program',
      'bad - - bad prog line',
      'bad - - bad dev line',
      'res 3 0 ok fd=3',
      'done 3',
    ]);
  });

  it('closes a program that lacks end when the next prog or quit arrives', () => {
    const out = exec([...devLines(), 'prog 1', 'open 0 0', 'prog 2', 'open 0 0', 'end', 'prog 3', 'quit']);
    expect(out).toEqual(['ready', 'bad 1 1 prog before end', 'done 1', 'res 2 0 ok fd=3', 'done 2', 'bad 3 0 quit before end', 'done 3']);
  });

  it('refuses over-long lines and survives NUL bytes and CRLF', () => {
    const long = 'close ' + '1'.repeat(5000);
    const out = exec([...devLines(), 'prog 1', long, 'end', 'prog 2', 'open 0 0\r', 'end\r', 'prog 3', 'close 3\0 4', 'end']);
    expect(out).toEqual(['ready', 'bad 1 0 line too long', 'done 1', 'res 2 0 ok fd=3', 'done 2', 'bad 3 0 close takes 1 args, got 2', 'done 3']);
  });

  it('ignores blank lines and extra spaces', () => {
    const out = exec([...devLines(), '', 'prog 1', '  open   0\t0  ', '', 'end']);
    expect(out).toEqual(['ready', 'res 1 0 ok fd=3', 'done 1']);
  });
});

describe('executor: garbage input', () => {
  it('never crashes: every line it prints parses, and every prog gets one done', () => {
    // deterministic pseudo-random mix of valid and broken tokens (LCG, no Math.random)
    let x = 12345;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const ops = ['open', 'close', 'dup', 'gem_close', 'mmap', 'munmap', 'mprotect', 'write', 'read', 'create_dumb', 'prime_fd_to_handle', 'bogus', 'end', 'prog', 'dev', ''];
    const toks = ['0', '1', '2', '3', '-1', '0x', '0xffffffffffffffff', '99999999999999999999', '4096', '16384', 'r0.fd', 'r1.map', 'r2.map', 'r0.bogus', 'r9.fd', 'rx.fd', 'r.', '\t', '%', 'x'];
    const input: string[] = devLines();
    let progs = 0;
    for (let i = 0; i < 3000; i++) {
      if (rnd(8) === 0) {
        input.push(`prog ${i}`);
        progs++;
        continue;
      }
      const n = rnd(7);
      input.push([ops[rnd(ops.length)], ...Array.from({ length: n }, () => toks[rnd(toks.length)])].join(' '));
    }
    const out = exec(input);
    const parsed = out.map(parseExecLine);
    expect(parsed.filter((l) => l.type === 'invalid')).toEqual([]);
    const dones = parsed.filter((l) => l.type === 'done').length;
    // "prog" lines from the op pool are malformed (no id) unless followed by a number token
    expect(dones).toBeGreaterThanOrEqual(progs);
    expect(parsed.filter((l) => l.type === 'res').length).toBeGreaterThan(0);
  });
});

describe('executor: integers and reference resolution', () => {
  it('narrows arguments like a C assignment and wraps negatives', () => {
    const r = run1([
      'open 0 0',
      'mmap r0.fd 0 4096 0x100000003 1', // prot is an int: 0x100000003 -> 3
      'write r1.map 0 16 0x100000001', // seed is u32: -> 1
      'read r1.map 0 16',
      'write r1.map 0 16 -1', // -> 0xffffffff
      'read r1.map 0 16',
      'mmap r0.fd 0 4096 -1 1', // prot -1 has bits outside 7
      'mmap r0.fd 0 4096 3 0xFFFFFFFFFFFFFFFF',
    ]);
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      ok(1, { map: 1n }),
      ok(2),
      ok(3, { digest: 3939332522n }),
      ok(4),
      ok(5, { digest: 826613214n }),
      err(6, EINVAL),
      err(7, EINVAL),
    ]);
  });

  it('resolves references to outputs, and failed producers to the invalid value', () => {
    const r = run1([
      'open 0 0', // 0: fd 3
      'open 9 0', // 1: ENOENT (no such dev)
      'dup r0.fd', // 2: fd 4
      'mmap r0.fd r1.fd 4096 3 1', // 3: r1 failed: fd -> -1, as an offset: EINVAL
      'mmap r0.fd r1.handle 4096 3 1', // 4: open has no handle: 0 -> ok
      'mmap r0.fd r0.handle 4096 3 1', // 5: same, producer succeeded
      'read r3.map 0 1', // 6: failed mmap: map 0 -> no mapping
      'read r5.map 0 0', // 7: map 2
      'close r2.fd', // 8
      'close r2.fd', // 9: already closed
      'close r1.fd', // 10: -1
    ]);
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      err(1, ENOENT),
      ok(2, { fd: 4n }),
      err(3, EINVAL),
      ok(4, { map: 1n }),
      ok(5, { map: 2n }),
      sig(6, 'SIGSEGV'),
      ok(7, { digest: 2166136261n }),
      ok(8),
      err(9, EBADF),
      err(10, EBADF),
    ]);
  });

  it('resolves an output of a call that printed sig to the invalid value', () => {
    const r = run1(['open 0 0', 'read 7 0 1', 'mmap r0.fd r1.digest 4096 3 1']);
    expect(r).toEqual([ok(0, { fd: 3n }), sig(1, 'SIGSEGV'), ok(2, { map: 1n })]);
  });
});

describe('executor: devices and fds', () => {
  it('opens the device table paths; a missing path or node is ENOENT', () => {
    const r = run1(['open 0 0', 'open 0 1', 'open 1 1', 'open 1 0', 'open 1 2', 'open 16 0', 'open -1 0']);
    expect(r).toEqual([ok(0, { fd: 3n }), err(1, ENOENT), ok(2, { fd: 4n }), ok(3, { fd: 5n }), err(4, ENOENT), err(5, ENOENT), err(6, ENOENT)]);
  });

  it('follows dev lines sent between programs', () => {
    const table = devLines();
    const out = exec([...table, 'dev 0 - -', 'prog 1', 'open 0 0', 'end', `dev 0 ${dev} -`, 'prog 2', 'open 0 0', 'end']);
    expect(out).toEqual(['ready', 'res 1 0 err 2', 'done 1', 'res 2 0 ok fd=3', 'done 2']);
  });

  it('reports ENOENT-style errors from the kernel for paths that do not exist', () => {
    const out = exec(['dev 0 /nonexistent/card0 -', 'prog 1', 'open 0 0', 'end']);
    expect(out).toEqual(['ready', 'res 1 0 err 2', 'done 1']);
  });

  it('shows fds 0-2 and >= 900 (the executor own) to programs as closed: they become -1', () => {
    const r = run1([
      'close 0',
      'close 1',
      'close 2',
      'dup 900',
      'close 901',
      'close 902',
      'open 0 0',
      'gem_close 2 1',
      'prime_fd_to_handle r6.fd 1', // the ioctl still reaches the device (a file: ENOTTY)
      'mmap 0 0 4096 3 1',
      'mmap 0 1 4096 3 1', // the kernel checks the offset before the fd
      'mmap 0 0 4096 8 1', // harness prot rule first
      'close 899',
      'close 0x100000003', // an int: fd 3
    ]);
    expect(r).toEqual([
      err(0, EBADF),
      err(1, EBADF),
      err(2, EBADF),
      err(3, EBADF),
      err(4, EBADF),
      err(5, EBADF),
      ok(6, { fd: 3n }),
      err(7, EBADF),
      err(8, ENOTTY),
      err(9, EBADF),
      err(10, EINVAL),
      err(11, EINVAL),
      err(12, EBADF),
      ok(13),
    ]);
  });

  it('passes DRM ioctls to the kernel (a regular file says ENOTTY)', () => {
    const r = run1([
      'open 0 0',
      'gem_close r0.fd 1',
      'gem_flink r0.fd 1',
      'gem_open r0.fd 1',
      'prime_handle_to_fd r0.fd 1 2',
      'prime_fd_to_handle r0.fd r0.fd',
      'create_dumb r0.fd 64 64 32 0',
      'map_dumb r0.fd 1',
      'destroy_dumb r0.fd 1',
      'get_magic r0.fd',
      'auth_magic r0.fd 1',
      'fence_attach r0.fd 1 0',
      'fence_signal r0.fd 1 0',
      'ro_create r0.fd 4096',
    ]);
    expect(r[0]).toEqual(ok(0, { fd: 3n }));
    for (let k = 1; k < r.length; k++) expect(r[k]).toEqual(err(k, ENOTTY));
  });

  it('passes amdgpu and NVDLA ioctls to the kernel (ENOTTY on a file, EBADF on a closed fd)', () => {
    const calls = [
      'amdgpu_gem_create FD 4096 0 4 0',
      'amdgpu_gem_mmap FD 1',
      'amdgpu_gem_userptr FD 0x7f0000000000 4096 9',
      'amdgpu_gem_op FD 1 0 0',
      'amdgpu_gem_op FD 1 1 4',
      'amdgpu_gem_wait_idle FD 1 0',
      'amdgpu_ctx_alloc FD',
      'amdgpu_ctx_free FD 1',
      'amdgpu_cs FD 1 1 0 2',
      'amdgpu_cs FD 1 0 0 0',
      'amdgpu_cs_complete FD 1 1',
      'amdgpu_wait_cs FD 1 1 0',
      'amdgpu_wait_fences FD 1 1 2 1 0',
      'amdgpu_info FD 16',
      'amdgpu_bo_info FD 1',
      'amdgpu_bo_pin FD 1 4',
      'amdgpu_bo_unpin FD 1',
      'nvdla_gem_create FD 4096 0',
      'nvdla_gem_mmap FD 1',
      'nvdla_gem_destroy FD 1',
      'nvdla_submit FD 3 5 0 6 0 7 0 1 0 0 16 7',
      'nvdla_submit FD 6144 5 0 6 0 7 0 1 0 0 16 7',
      'nvdla_bo_info FD 1',
    ];
    const r = run1(['open 0 0', ...calls.map((c) => c.replace('FD', 'r0.fd')), ...calls.map((c) => c.replace('FD', '77'))]);
    expect(r[0]).toEqual(ok(0, { fd: 3n }));
    for (let k = 1; k <= calls.length; k++) expect(r[k]).toEqual(err(k, ENOTTY));
    for (let k = calls.length + 1; k < r.length; k++) expect(r[k]).toEqual(err(k, EBADF));
  });

  it('opens a device by driver name (drv:<name>): none here, so ENOENT; a malformed spec too', () => {
    const out = exec(['dev 0 drv:amdgpu drv:amdgpu', 'dev 1 drv:nvdla:1 -', 'dev 2 drv: drv:vgem:x', 'prog 1', 'open 0 0', 'open 0 1', 'open 1 0', 'open 2 0', 'open 2 1', 'end']);
    expect(out).toEqual(['ready', ...[0, 1, 2, 3, 4].map((k) => `res 1 ${k} err 2`), 'done 1']);
  });

  it('starts every program at fd 3 and map 1, whatever the last one left open', () => {
    const leak = ['open 0 0', 'open 0 0', 'dup r0.fd', 'mmap r0.fd 0 4096 3 1', 'mmap r0.fd 0 4096 3 1'];
    const [a, b] = run(leak, leak);
    expect(a?.results).toEqual(b?.results);
    expect(b?.results).toEqual([ok(0, { fd: 3n }), ok(1, { fd: 4n }), ok(2, { fd: 5n }), ok(3, { map: 1n }), ok(4, { map: 2n })]);
  });

  it('hands out fds below 900 only: EMFILE at the 898th', () => {
    const lines = Array.from({ length: 898 }, () => 'open 0 0');
    const r = run1(lines);
    expect(r[896]).toEqual(ok(896, { fd: 899n }));
    expect(r[897]).toEqual(err(897, EMFILE));
    // and the next program starts clean
    const [, next] = run(lines.slice(0, 1), ['open 0 0']);
    expect(next?.results).toEqual([ok(0, { fd: 3n })]);
  });
});

describe('executor: mapping harness rules', () => {
  it('numbers successful mmaps 1, 2, 3 and never reuses ids', () => {
    const r = run1([
      'open 0 0',
      'mmap r0.fd 0 4096 3 1', // 1
      'mmap r0.fd 0 4096 3 0', // kernel: neither shared nor private
      'mmap r0.fd 0 4096 8 1', // harness: prot bit 3
      'mmap r0.fd 0 4096 3 0x10', // harness: MAP_FIXED
      'mmap r0.fd 0 4096 3 0x21', // harness: MAP_ANONYMOUS|MAP_SHARED
      'mmap r0.fd 0 0 3 1', // kernel: length 0
      'mmap r0.fd 0 4096 3 2', // 2 (private)
      'munmap r1.map',
      'mmap r0.fd 4096 4096 3 3', // 3 (shared_validate)
    ]);
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      ok(1, { map: 1n }),
      err(2, EINVAL),
      err(3, EINVAL),
      err(4, EINVAL),
      err(5, EINVAL),
      err(6, EINVAL),
      ok(7, { map: 2n }),
      ok(8),
      ok(9, { map: 3n }),
    ]);
  });

  it('munmap: a mapping that is not live is EINVAL', () => {
    const r = run1(['open 0 0', 'mmap r0.fd 0 4096 3 1', 'munmap r1.map', 'munmap r1.map', 'munmap 0', 'munmap 2', 'write r1.map 0 1 1', 'read r1.map 0 0']);
    expect(r).toEqual([ok(0, { fd: 3n }), ok(1, { map: 1n }), ok(2), err(3, EINVAL), err(4, EINVAL), err(5, EINVAL), sig(6, 'SIGSEGV'), sig(7, 'SIGSEGV')]);
  });

  it('mprotect: not live is ENOMEM, bad prot is EINVAL, and the new protection holds', () => {
    const r = run1([
      'open 0 0',
      'mmap r0.fd 0 8192 3 1',
      'write r1.map 0 8192 5',
      'mprotect 9 1',
      'mprotect r1.map 9',
      'mprotect r1.map 1',
      'write r1.map 0 1 1', // read-only now
      'read r1.map 0 4096',
      'mprotect r1.map 0',
      'read r1.map 0 1',
      'mprotect r1.map 3',
      'read r1.map 0 1',
    ]);
    const d4096 = run1(['open 0 0', 'mmap r0.fd 0 4096 3 1', 'write r1.map 0 4096 5', 'read r1.map 0 4096'])[3];
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      ok(1, { map: 1n }),
      ok(2),
      err(3, ENOMEM),
      err(4, EINVAL),
      ok(5),
      sig(6, 'SIGSEGV'),
      { ...(d4096 as RawCallResult), k: 7 },
      ok(8),
      sig(9, 'SIGSEGV'),
      ok(10),
      expect.objectContaining({ k: 11, kind: 'ok' }),
    ]);
  });

  for (const v of DIGEST_VECTORS) {
    it(`write-then-read of seed ${v.seed} len ${v.len} gives digest ${v.digest}`, () => {
      // offset 100 so the access straddles pages
      const r = run1(['open 0 0', 'mmap r0.fd 0 16384 3 1', `write r1.map 100 ${v.len} ${v.seed}`, `read r1.map 100 ${v.len}`]);
      expect(r[3]).toEqual(ok(3, { digest: BigInt(v.digest) }));
    });
  }

  it('write stops at the first page beyond the page-rounded length; earlier pages stay written', () => {
    const r = run1([
      'open 0 0',
      'mmap r0.fd 0 4097 3 1', // 2 pages after rounding
      'write r1.map 4096 8192 1', // page 1 ok, page 2 outside: SIGSEGV
      'read r1.map 4096 4096', // = pattern(1, 4096)
      'read r1.map 4097 4095', // crosses nothing: fine
      'read r1.map 8191 1',
      'read r1.map 8192 1', // first byte outside the rounded length
      'read r1.map 18446744073709551615 2', // far outside: no wrap-around
      'write r1.map 0 0 1',
      'read r1.map 8192 0', // len 0 is ok anywhere
    ]);
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      ok(1, { map: 1n }),
      sig(2, 'SIGSEGV'),
      ok(3, { digest: 1116751412n }),
      expect.objectContaining({ k: 4, kind: 'ok' }),
      expect.objectContaining({ k: 5, kind: 'ok' }),
      sig(6, 'SIGSEGV'),
      sig(7, 'SIGSEGV'),
      ok(8),
      ok(9, { digest: 2166136261n }),
    ]);
  });

  it('catches a real SIGBUS (page beyond the end of the backing file)', () => {
    const r = run1([
      'open 1 0', // the one-page file
      'mmap r0.fd 0 8192 3 1', // mapping larger than the file: allowed
      'read r1.map 0 4096',
      'write r1.map 4000 200 3', // first page written, second page faults
      'read r1.map 4000 96',
      'read r1.map 4096 1',
    ]);
    expect(r).toEqual([
      ok(0, { fd: 3n }),
      ok(1, { map: 1n }),
      expect.objectContaining({ k: 2, kind: 'ok' }),
      sig(3, 'SIGBUS'),
      expect.objectContaining({ k: 4, kind: 'ok' }),
      sig(5, 'SIGBUS'),
    ]);
    // the 96 bytes written before the fault are the pattern's first 96 bytes
    const ref = run1(['open 0 0', 'mmap r0.fd 0 4096 3 1', 'write r1.map 0 96 3', 'read r1.map 0 96']);
    expect((r[4] as { fields: unknown }).fields).toEqual((ref[3] as { fields: unknown }).fields);
  });

  it('shares memory between a MAP_SHARED write and a second mapping; MAP_PRIVATE copies', () => {
    const r = run1([
      'open 0 0',
      'mmap r0.fd 0 4096 3 1', // 1 shared
      'mmap r0.fd 0 4096 3 2', // 2 private, before the write (untouched pages follow the file)
      'write r1.map 0 64 9',
      'read r2.map 0 64',
      'write r2.map 0 64 10', // private copy now
      'read r1.map 0 64',
      'dup r0.fd',
      'mmap r7.fd 0 4096 1 1',
      'read r8.map 0 64',
    ]);
    const d9 = r[6];
    expect(d9).toEqual(expect.objectContaining({ kind: 'ok' }));
    expect((r[4] as { fields: unknown }).fields).toEqual((d9 as { fields: unknown }).fields);
    expect((r[9] as { fields: unknown }).fields).toEqual((d9 as { fields: unknown }).fields);
  });

  it('unmaps everything at end: memory written by one program is still in the file for the next', () => {
    const [a, b] = run(
      ['open 0 0', 'mmap r0.fd 0 4096 3 1', 'write r1.map 0 32 77'],
      ['open 0 0', 'mmap r0.fd 0 4096 1 1', 'read r1.map 0 32'],
    );
    expect(a?.results[2]).toEqual(ok(2));
    expect(b?.results).toEqual([ok(0, { fd: 3n }), ok(1, { map: 1n }), ok(2, { digest: BigInt(referenceDigest(77, 32)) })]);
  });
});

describe('executor: result encoding', () => {
  it('prints fields in table order, fd/dmabuf signed and the rest unsigned', () => {
    const out = exec([...devLines(), 'prog 18446744073709551615', 'open 0 0', 'mmap r0.fd 0 4096 3 1', 'read r1.map 0 1', 'read 5 0 1', 'close 77', 'end']);
    expect(out).toEqual([
      'ready',
      'res 18446744073709551615 0 ok fd=3',
      'res 18446744073709551615 1 ok map=1',
      'res 18446744073709551615 2 ok digest=84696351',
      'res 18446744073709551615 3 sig SIGSEGV',
      'res 18446744073709551615 4 err 9',
      'done 18446744073709551615',
    ]);
  });
});

describe('executor: standalone binaries (file, data, exec)', () => {
  let binDir = '';
  const bins = new Map<string, Buffer>();
  const SOURCES: Record<string, string> = {
    // lines, an empty line, a tab, control and high bytes, stderr, a last line without newline
    hello: `#include <stdio.h>
int main(void) {
  printf("hello, world\\n\\n\\tindented  twice\\n");
  printf("ctl\\001\\033[0m high\\377\\n");
  fflush(stdout);
  fprintf(stderr, "to stderr\\n");
  printf("no newline");
  return 3;
}`,
    segv: `#include <signal.h>
#include <stdio.h>
int main(void) { puts("about to fault"); fflush(stdout); raise(SIGSEGV); return 0; }`,
    sleeper: `#include <stdio.h>
#include <unistd.h>
int main(void) { puts("sleeping"); fflush(stdout); sleep(30); puts("woke"); return 0; }`,
    // what a binary inherits: fds 0-2 only, stdin at end of file, a background child is killed
    inherit: `#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  printf("open fds:");
  for (int fd = 0; fd < 1024; fd++) if (fcntl(fd, F_GETFD) >= 0) printf(" %d", fd);
  char c;
  printf("\\nstdin read: %zd\\n", read(0, &c, 1));
  fflush(stdout);
  if (fork() == 0) { sleep(20); puts("orphan"); return 0; }
  return 0;
}`,
    flood: `#include <stdio.h>
#include <string.h>
int main(void) {
  static char line[5001];
  memset(line, 'a', 5000);
  puts(line);
  for (int i = 0; i < 200000; i++) printf("%09d\\n", i);
  return 0;
}`,
  };

  beforeAll(() => {
    binDir = path.join(dir, 'bin');
    fs.mkdirSync(binDir);
    for (const [name, src] of Object.entries(SOURCES)) {
      const c = path.join(dir, `${name}.c`);
      fs.writeFileSync(c, src);
      const out = path.join(dir, `${name}.bin`);
      const cc = spawnSync('gcc', ['-O1', '-static', '-Wall', '-o', out, c], { encoding: 'utf8' });
      if (cc.error || cc.status !== 0) throw new Error(`gcc ${name}.c: ${cc.error?.message ?? cc.stderr}`);
      bins.set(name, fs.readFileSync(out));
    }
  });

  /** file + data lines for `bytes` under `name`, at most 4000 hex digits per line. */
  function upload(name: string, bytes: Uint8Array, upper = false): string[] {
    const hex = Buffer.from(bytes).toString('hex');
    const lines = [`file ${name}`];
    for (let i = 0; i < hex.length; i += 4000) {
      const h = hex.slice(i, i + 4000);
      lines.push(`data ${upper ? h.toUpperCase() : h}`);
    }
    return lines;
  }
  const bin = (name: string) => bins.get(name) as Buffer;
  const execIn = (input: readonly string[]) => exec(input, ['--exec-dir', binDir]);

  it('relays output line by line, sanitised, and reports the exit code', () => {
    const out = execIn([...upload('hello', bin('hello')), 'exec 1 hello 10']);
    expect(out).toEqual([
      'ready',
      'out 1 hello, world',
      'out 1 ',
      'out 1 \tindented  twice',
      'out 1 ctl??[0m high?',
      'out 1 to stderr',
      'out 1 no newline',
      'exit 1 3',
      'done 1',
    ]);
    // what the host parses
    expect(parseExecLine(out[2] as string)).toEqual({ type: 'out', id: 1, text: '' });
    expect(fs.statSync(path.join(binDir, 'hello')).mode & 0o777).toBe(0o755);
  });

  it('accepts upper-case hex and runs an uploaded file again without re-uploading', () => {
    const out = execIn([...upload('hello2', bin('hello'), true), 'exec 1 hello2 10', 'exec 2 hello2 10']);
    expect(out.filter((l) => l.startsWith('exit'))).toEqual(['exit 1 3', 'exit 2 3']);
    expect(out.filter((l) => l.startsWith('done'))).toEqual(['done 1', 'done 2']);
  });

  it('reports a binary killed by a signal', () => {
    expect(execIn([...upload('segv', bin('segv')), 'exec 2 segv 10'])).toEqual(['ready', 'out 2 about to fault', 'killed 2 11', 'done 2']);
  });

  it('kills a binary that outlives its timeout', () => {
    const t0 = Date.now();
    const out = execIn([...upload('sleeper', bin('sleeper')), 'exec 3 sleeper 1']);
    const ms = Date.now() - t0;
    expect(out).toEqual(['ready', 'out 3 sleeping', 'timeout 3', 'done 3']);
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(ms).toBeLessThan(10_000);
  });

  it('gives the binary fds 0-2 only and stdin at end of file, and kills what it leaves behind', () => {
    const t0 = Date.now();
    const out = execIn([...upload('inherit', bin('inherit')), 'exec 4 inherit 10', 'prog 5', 'end']);
    expect(out).toEqual(['ready', 'out 4 open fds: 0 1 2', 'out 4 stdin read: 0', 'exit 4 0', 'done 4', 'done 5']);
    // the background child held the output pipe: had it survived, the executor would wait for it
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('cuts long lines at 3000 bytes and stops relaying after 1 MiB', () => {
    const out = execIn([...upload('flood', bin('flood')), 'exec 6 flood 20']);
    expect(out[1]).toBe(`out 6 ${'a'.repeat(3000)}`);
    expect(out[2]).toBe('out 6 000000000');
    expect(out.slice(-3)).toEqual(['out 6 [output truncated]', 'exit 6 0', 'done 6']);
    // exactly the first 1 MiB was read and relayed: the 5001 bytes of the long line, then the
    // 10-byte number lines, the last of them cut mid-line (relayed without its newline)
    const numbers = out.slice(2, -3).map((l) => l.slice('out 6 '.length));
    expect(numbers.slice(0, -1).every((t) => /^\d{9}$/.test(t))).toBe(true);
    expect(numbers.at(-1)).toMatch(/^\d{0,8}$/);
    expect(5001 + numbers.reduce((n, t) => n + t.length + 1, 0) - 1).toBe(1 << 20);
  });

  it('refuses bad names', () => {
    const out = execIn(['file ../escape', 'file', 'file a/b', 'file ..', `file ${'x'.repeat(65)}`, 'exec 7 ../escape 1', 'exec 8 .. 1']);
    expect(out).toEqual([
      'ready',
      'bad - - bad name',
      'bad - - bad name',
      'bad - - bad name',
      'bad - - bad name',
      'bad - - bad name',
      'bad 7 - bad name',
      'done 7',
      'bad 8 - bad name',
      'done 8',
    ]);
    expect(fs.existsSync(path.join(dir, 'escape'))).toBe(false);
    // the longest name is fine
    const name = 'A-z_0.9'.padEnd(64, 'x');
    expect(execIn([...upload(name, bin('segv')), `exec 9 ${name} 5`])).toContain('killed 9 11');
  });

  it('refuses bad hex and voids the upload, so the half binary never runs', () => {
    const good = upload('halfbin', bin('hello'));
    const out = execIn([good[0] as string, good[1] as string, 'data 0g', good[2] as string, 'exec 10 halfbin 5']);
    expect(out).toEqual(['ready', 'bad - - bad hex', 'bad - - data without file', 'bad 10 - no such file', 'done 10']);
    expect(fs.existsSync(path.join(binDir, 'halfbin'))).toBe(false);
    expect(execIn(['file odd', 'data abc', 'file two', 'data 00 11', 'exec 11 odd 1'])).toEqual([
      'ready',
      'bad - - bad hex',
      'bad - - bad data line',
      'bad 11 - no such file',
      'done 11',
    ]);
  });

  it('voids an upload whose data line is too long', () => {
    const out = execIn(['file toolong', `data ${'00'.repeat(2100)}`, 'exec 12 toolong 1']);
    expect(out).toEqual(['ready', 'bad - - line too long', 'bad 12 - no such file', 'done 12']);
  });

  it('exec of a name never uploaded: no such file, then done', () => {
    expect(execIn(['exec 13 neveruploaded 1'])).toEqual(['ready', 'bad 13 - no such file', 'done 13']);
    expect(execIn(['data 00'])).toEqual(['ready', 'bad - - data without file']);
  });

  it('refuses a file that is not an executable, a bad timeout and malformed exec lines', () => {
    const out = execIn(['file junk', 'data 00112233', 'exec 14 junk 1', 'exec 15 junk 0', 'exec 16 junk 86401', 'exec 17 junk', 'exec 18 junk 1 2', 'exec x junk 1', 'exec']);
    expect(out).toEqual([
      'ready',
      'bad 14 - cannot exec: Exec format error',
      'done 14',
      'bad 15 - bad timeout',
      'done 15',
      'bad 16 - bad timeout',
      'done 16',
      'bad 17 - bad exec line',
      'done 17',
      'bad 18 - bad exec line',
      'done 18',
      'bad - - bad exec line',
      'bad - - bad exec line',
    ]);
  });

  it('refuses exec inside a program and leaves the program alone', () => {
    const out = execIn([...devLines(), ...upload('segv', bin('segv')), 'prog 1', 'open 0 0', 'exec 19 segv 5', 'dup r0.fd', 'end']);
    expect(out).toEqual(['ready', 'bad 19 - exec inside a program', 'done 19', 'res 1 0 ok fd=3', 'res 1 1 ok fd=4', 'done 1']);
  });

  it('leaves the program path as it was: programs before and after an exec start at fd 3', () => {
    const out = execIn([
      ...devLines(),
      'prog 1',
      'open 0 0',
      'mmap r0.fd 0 4096 3 1',
      'end',
      ...upload('hello', bin('hello')),
      'exec 20 hello 5',
      'prog 2',
      'open 0 0',
      'mmap r0.fd 0 4096 3 1',
      'write r1.map 0 16 1',
      'read r1.map 0 16',
      'end',
      'quit',
    ]);
    const c = new ResultCollector();
    for (const l of out) if (!/^(out|exit|done) 20( |$)/.test(l)) c.push(parseExecLine(l));
    expect(c.stray).toEqual([]);
    expect(c.complete.map((p) => p.id)).toEqual([1, 2]);
    expect(c.complete[0]?.results).toEqual([ok(0, { fd: 3n }), ok(1, { map: 1n })]);
    expect(c.complete[1]?.results).toEqual([ok(0, { fd: 3n }), ok(1, { map: 1n }), ok(2), ok(3, { digest: 3939332522n })]);
    expect(out).toContain('exit 20 3');
    expect(out.filter((l) => l.startsWith('out 20 '))).toHaveLength(6);
  });
});

// The bytes each new op hands the kernel: the executor built with its ioctl() routed through a
// tracer (a second translation unit) that prints the request number and the struct — and, for
// the ioctls that carry pointers, the arrays they point to — then makes the real syscall.
const TRACER = String.raw`
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/ioctl.h>
static void hex(const void *p, size_t n) {
  fputc(' ', stderr);
  for (size_t i = 0; i < n; i++) fprintf(stderr, "%02x", ((const unsigned char *)p)[i]);
}
int gc_test_ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  fprintf(stderr, "ioctl %08lx", req);
  hex(arg, _IOC_SIZE(req));
  uint64_t p0;
  memcpy(&p0, arg, 8);
  if (req == 0xC0106440u) { /* NVDLA_SUBMIT: tasks[0] and what follows it, the address list */
    const unsigned char *t = (const unsigned char *)(uintptr_t)p0;
    uint64_t list;
    memcpy(&list, t + 8, 8);
    hex(t, 32);
    hex((const void *)(uintptr_t)list, 48);
  } else if (req == 0xC0186444u) { /* AMDGPU_CS: each chunk and its data */
    uint32_t n;
    uint64_t chunks;
    memcpy(&n, (char *)arg + 8, 4);
    memcpy(&chunks, (char *)arg + 16, 8);
    for (uint32_t i = 0; i < n; i++) {
      const unsigned char *c = (const unsigned char *)(uintptr_t)((uint64_t *)(uintptr_t)chunks)[i];
      uint32_t dw;
      uint64_t data;
      memcpy(&dw, c + 4, 4);
      memcpy(&data, c + 8, 8);
      hex(c, 16);
      hex((const void *)(uintptr_t)data, dw * 4);
      if (c[0] == 6) { /* BO_HANDLES: the entries */
        uint32_t num, sz;
        uint64_t ptr;
        memcpy(&num, (char *)(uintptr_t)data + 8, 4);
        memcpy(&sz, (char *)(uintptr_t)data + 12, 4);
        memcpy(&ptr, (char *)(uintptr_t)data + 16, 8);
        hex((const void *)(uintptr_t)ptr, (size_t)num * sz);
      }
    }
  } else if (req == 0xC0186452u) { /* AMDGPU_WAIT_FENCES: the two fences */
    hex((const void *)(uintptr_t)p0, 48);
  }
  fputc('\n', stderr);
  return (int)syscall(SYS_ioctl, fd, req, arg);
}
`;

const le = (bits: 8 | 16 | 32 | 64, v: bigint | number): string => {
  const n = BigInt.asUintN(bits, BigInt(v));
  let s = '';
  for (let i = 0; i < bits / 8; i++) s += ((n >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return s;
};
const u32 = (v: bigint | number) => le(32, v);
const u64 = (v: bigint | number) => le(64, v);

describe('executor: amdgpu and NVDLA structs as the kernel sees them', () => {
  let traced = '';
  beforeAll(() => {
    traced = path.join(dir, 'gemcheck-exec-traced');
    const tracer = path.join(dir, 'tracer.c');
    fs.writeFileSync(tracer, TRACER);
    const cc = spawnSync('gcc', ['-O1', '-static', '-Wall', '-Werror', '-Dioctl=gc_test_ioctl', '-o', traced, path.join(here, 'gemcheck-exec.c'), tracer], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`gcc failed: ${cc.error?.message ?? cc.stderr}`);
  });

  /** The ioctl lines the traced executor printed for one call on a regular file. */
  function trace(call: string): string[][] {
    const input = [...devLines(), 'prog 1', 'open 0 0', call, 'end', 'quit'];
    const r = spawnSync(traced, [], { input: input.map((l) => `${l}\n`).join(''), encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout).toContain('res 1 1 err 25');
    return r.stderr.split('\n').filter((l) => l.startsWith('ioctl ')).map((l) => l.split(' ').slice(1));
  }

  const cases: [string, string, string[]][] = [
    ['amdgpu_gem_create r0.fd 0x10000 4096 6 0x1001', 'c0206440', [u64(0x10000) + u64(4096) + u64(6) + u64(0x1001)]],
    ['amdgpu_gem_mmap r0.fd 0x100000007', 'c0086441', [u32(7) + u32(0)]],
    ['amdgpu_gem_userptr r0.fd 0x7f0000001000 8192 0x10000000b', 'c0186451', [u64(0x7f0000001000n) + u64(8192) + u32(0xb) + u32(0)]],
    ['amdgpu_gem_op r0.fd 3 1 6', 'c0106450', [u32(3) + u32(1) + u64(6)]],
    ['amdgpu_gem_wait_idle r0.fd 2 -1', 'c0106447', [u32(2) + u32(0) + u64(-1)]],
    ['amdgpu_ctx_alloc r0.fd', 'c0106442', [u32(1) + u32(0) + u32(0) + u32(0)]],
    ['amdgpu_ctx_free r0.fd 5', 'c0106442', [u32(2) + u32(0) + u32(5) + u32(0)]],
    ['amdgpu_cs_complete r0.fd 2 9', '40106470', [u32(2) + u32(0) + u64(9)]],
    ['amdgpu_wait_cs r0.fd 2 9 1000', 'c0206449', [u64(9) + u64(1000) + u32(0) + u32(0) + u32(0) + u32(2)]],
    ['amdgpu_bo_info r0.fd 4', 'c0106471', [u32(4) + u32(0) + u32(0) + u32(0)]],
    ['amdgpu_bo_pin r0.fd 4 2', '40086472', [u32(4) + u32(2)]],
    ['amdgpu_bo_unpin r0.fd 4', '40086473', [u32(4) + u32(0)]],
    ['nvdla_gem_create r0.fd 0x100001000 1', 'c0106441', [u32(0) + u32(1) + u64(0x100001000n)]],
    ['nvdla_gem_mmap r0.fd 3', 'c0106442', [u32(3) + u32(0) + u64(0)]],
    ['nvdla_gem_destroy r0.fd 3', 'c0046443', [u32(3)]],
    ['nvdla_bo_info r0.fd 3', 'c0106470', [u32(3) + u32(0) + u64(0)]],
  ];
  for (const [call, req, bytes] of cases) {
    it(`${call.split(' ')[0]}: request ${req}, the uapi struct`, () => {
      const [t] = trace(call);
      expect(t?.[0]).toBe(req);
      expect(t?.slice(1)).toEqual(bytes);
    });
  }

  it('amdgpu_info: DRM_IOW with an 8-byte return buffer and the query', () => {
    const [t] = trace('amdgpu_info r0.fd 0x17');
    expect(t?.[0]).toBe('40206445');
    expect(t![1]!.slice(16)).toBe(u32(8) + u32(0x17) + '00'.repeat(16));
  });

  it('amdgpu_gem_op GET_GEM_CREATE_INFO: value becomes a pointer to the executor buffer', () => {
    const [t] = trace('amdgpu_gem_op r0.fd 3 0 6');
    expect(t![1]!.slice(0, 16)).toBe(u32(3) + u32(0));
    expect(t![1]!.slice(16)).not.toBe(u64(6));
  });

  it('amdgpu_wait_fences: two gfx fences of the context', () => {
    const [t] = trace('amdgpu_wait_fences r0.fd 2 5 6 1 77');
    expect(t?.[0]).toBe('c0186452');
    expect(t![1]!.slice(16)).toBe(u32(2) + u32(1) + u64(77));
    expect(t?.[2]).toBe(u32(2) + u32(0) + u32(0) + u32(0) + u64(5) + u32(2) + u32(0) + u32(0) + u32(0) + u64(6));
  });

  it('amdgpu_cs: a BO_HANDLES chunk with the nonzero handles in order, then an empty gfx IB', () => {
    const [t] = trace('amdgpu_cs r0.fd 3 7 0 2');
    expect(t?.[0]).toBe('c0186444');
    expect(t![1]).toBe(u32(3) + u32(0) + u32(2) + u32(0) + t![1]!.slice(32));
    const [chunk0, list, entries, chunk1, ib] = t!.slice(2);
    expect(chunk0!.slice(0, 16)).toBe(u32(6) + u32(6));
    expect(list!.slice(0, 32)).toBe(u32(0) + u32(0) + u32(2) + u32(8));
    expect(entries).toBe(u32(7) + u32(0) + u32(2) + u32(0));
    expect(chunk1!.slice(0, 16)).toBe(u32(1) + u32(8));
    expect(ib).toBe(u32(0) + u32(0) + u64(0) + u32(0) + u32(0) + u32(0) + u32(0));
    // no BOs: only the IB chunk
    const [t2] = trace('amdgpu_cs r0.fd 3 0 0 0');
    expect(t2![1]!.slice(0, 32)).toBe(u32(3) + u32(0) + u32(1) + u32(0));
    expect(t2![2]!.slice(0, 16)).toBe(u32(1) + u32(8));
  });

  it('nvdla_submit: one task, the address list of three {fd, offset}, the engine operation after the task', () => {
    const [t] = trace('nvdla_submit r0.fd 2 5 64 1 0 -1 4096 2 1 -1 256 7');
    expect(t?.[0]).toBe('c0106440');
    expect(t![1]!.slice(16)).toBe(le(16, 1) + le(16, 0) + u32(0));
    // the task {num_addresses, timeout, address_list}, then {op, dst, src, len, value}
    expect(t![2]!.slice(0, 16)).toBe(u32(2) + u32(0xffffffff));
    expect(t![2]!.slice(32)).toBe(u32(2) + le(16, 1) + le(16, -1) + u32(256) + u32(7));
    // h1 = 1 is the executor's stdout: the harness fd rule makes it -1
    expect(t![3]).toBe(u32(5) + u32(0) + u64(64) + u32(-1) + u32(0) + u64(0) + u32(-1) + u32(0) + u64(4096));
  });

  it('nvdla_submit: the list ends where unmapped memory begins (num > 3 faults in the kernel)', () => {
    const input = [...devLines(), 'prog 1', 'open 0 0', 'nvdla_submit r0.fd 3 5 0 6 0 7 0 1 0 0 16 7', 'end', 'quit'];
    const r = spawnSync(traced, [], { input: input.map((l) => `${l}\n`).join(''), encoding: 'utf8', timeout: 20_000 });
    const list = BigInt(`0x${r.stderr.split('\n').find((l) => l.startsWith('ioctl c0106440'))!.split(' ')[3]!.slice(16, 32).match(/../g)!.reverse().join('')}`);
    expect(Number((list + 48n) % 4096n)).toBe(0);
  });
});
