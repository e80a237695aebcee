// Success criterion: bad input — a malformed program file, a flag that cannot apply, a bad
// --runs, --seed or --save — is exactly one line on stderr (`gemcheck: <where>: <reason>`,
// a program file's located as file:line:col or file:$.json.path), nothing on stdout, exit 2,
// no stack trace, and nothing run or created; `# =>` expectations are checked by run and
// diff; --help documents the exit codes and --version prints package.json's version.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from './options.ts';
import { gemcheck, root, tempDir, type Finished } from './test-support.ts';
import { UsageError } from './usage.ts';

const tmp = tempDir('gemcheck-cli-input-');
afterAll(() => tmp.remove());

/** Exit 2, nothing on stdout, one `gemcheck: ` line on stderr (returned). */
function usageLine(r: Finished): string {
  expect(r.code, `exit code (stdout: ${r.out}, stderr: ${r.err})`).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).toMatch(/^gemcheck: [^\n]*\n$/);
  expect(r.err).not.toMatch(/\bat .*\.(ts|js|mjs):\d+/);
  return r.err.slice('gemcheck: '.length, -1);
}

const J = (calls: string, meta = '') => `{"format":"gemcheck-program/1",${meta ? `"meta":${meta},` : ''}"calls":${calls}}`;
const OPEN = '{"op":"open","args":[0,0]}';

/** [file name, content, location, reason]: each file is refused with exactly that line. */
const MALFORMED: readonly (readonly [string, string, string, RegExp])[] = [
  ['null-call.json', J('[null]'), '$.calls[0]', /^a call must be an object/],
  ['fd-abc.json', J('[{"op":"open","args":[0,0],"expect":{"status":"ok","out":{"fd":"abc"}}}]'), '$.calls[0].expect', /^expect\.out\.fd: not an integer: "abc"$/],
  ['later-ref.json', J(`[${OPEN},{"op":"close","args":[{"ref":1,"field":"fd"}]}]`), '$.calls[1].args[0]', /^r1 is not an earlier call$/],
  ['no-field.json', J(`[${OPEN},{"op":"close","args":[{"ref":0,"field":"nope"}]}]`), '$.calls[1].args[0]', /^open \(r0\) has no output "nope"$/],
  ['ref-without-field.json', J(`[${OPEN},{"op":"close","args":[{"ref":0}]}]`), '$.calls[1].args[0]', /^a reference needs a "field"/],
  ['arg-count.json', J('[{"op":"open","args":[0]}]'), '$.calls[0].args', /^open takes 2 arguments, got 1$/],
  ['unknown-op.json', J('[{"op":"frob","args":[]}]'), '$.calls[0].op', /^unknown op "frob"$/],
  ['prototype-op.json', J('[{"op":"toString","args":[]}]'), '$.calls[0].op', /^unknown op "toString"$/],
  ['meta-devices.json', J(`[${OPEN}]`, '{"devices":["vgme"]}'), '$.meta.devices', /^unknown device 'vgme'/],
  ['meta-faults.json', J(`[${OPEN}]`, '{"faults":["nope"]}'), '$.meta.faults[0]', /^unknown fault 'nope' \(known: /],
  ['not-json.prog', '{ this is not json\n', '1:3', /^invalid JSON: /],
  ['not-json-2.json', '{"format":"gemcheck-program/1",\n "calls": [x]}', '2:12', /^invalid JSON: expected a value, found "x"$/],
  ['deep.json', `{"a":${'['.repeat(200_000)}`, '1:200006', /^invalid JSON: expected a value, found the end of the file$/],
  ['devices.prog', '# devices: vgme\nr0 = open(0, primary)\n', '1:12', /^# devices: unknown device 'vgme'/],
  ['profile.prog', '# profile: linux-9\nr0 = open(0, primary)\n', '1:12', /^# profile: unknown profile 'linux-9'/],
  ['faults.prog', '# faults: keep-name nope\nr0 = open(0, primary)\n', '1:21', /^# faults: unknown fault 'nope' \(known: /],
  ['v2.prog', '# gemcheck program v2\nr0 = open(0, primary)\n', '1:1', /^unsupported program format v2 \(this gemcheck reads v1\)$/],
  ['later-ref.prog', 'r0 = open(0, primary)\nr1 = map_dumb(r0.fd, r7.handle)\n', '2:22', /^r7 is not an earlier call$/],
  ['no-field.prog', 'r0 = open(0, primary)\nclose(r0.handle)\n', '2:7', /^open \(r0\) has no output 'handle'$/],
  ['arg-count.prog', 'r0 = open(0, primary)\nclose(r0.fd, 3)\n', '2:13', /^close takes 1 argument$/],
  ['too-few.prog', 'r0 = open(0)\n', '1:13', /^open takes 2 arguments, got 1$/],
  ['unknown-op.prog', 'r0 = open(0, primary)\nfrob(r0.fd)\n', '2:1', /^unknown call 'frob'$/],
  ['unclosed.prog', 'r0 = open(0, primary\n', '1:21', /^expected '\)'$/],
  ['unclosed-2.prog', 'r0 = open(0\n', '1:12', /^expected ',' or '\)'$/],
  ['label.prog', 'r1 = open(0, primary)\n', '1:1', /^label r1 but this is call 0$/],
  ['prototype-symbol.prog', 'r0 = open(0, constructor)\n', '1:14', /^unknown symbol 'constructor' for 'node'$/],
  ['bad-expect.prog', 'r0 = open(0, primary)  # => ok fd=abc\n', '1:24', /^bad expected field 'fd=abc'$/],
  ['prototype-errno.prog', 'r0 = open(0, primary)  # => toString\n', '1:24', /^unknown expected outcome 'toString'$/],
  ['too-big.prog', 'r0 = open(0x1ffffffffffffffff, primary)\n', '1:11', /^number does not fit in 64 bits$/],
  // nothing to run is an error, not "agree"
  ['empty.prog', '', '1:1', /^no calls/],
  ['comments.prog', '# gemcheck program v1\n# just a comment\n\n', '4:1', /^no calls/],
  ['no-calls.json', J('[]'), '$.calls', /^no calls/],
];

/** Through the CLI as a subprocess (the rest are checked in-process: the same loadProgram). */
const SUBPROCESS = new Set(['null-call.json', 'fd-abc.json', 'later-ref.json', 'arg-count.json', 'unknown-op.json', 'not-json.prog', 'devices.prog', 'profile.prog', 'faults.prog', 'v2.prog', 'later-ref.prog', 'arg-count.prog', 'unknown-op.prog', 'prototype-symbol.prog', 'empty.prog', 'comments.prog']);

function located(line: string, f: string, where: string, reason: RegExp): void {
  expect(line.startsWith(`${f}:${where}: `), line).toBe(true);
  expect(line.slice(`${f}:${where}: `.length)).toMatch(reason);
}

describe('malformed program files, in-process: loadProgram refuses each with its located line', () => {
  for (const [name, text, where, reason] of MALFORMED) {
    it(`${name}: ${where}`, () => {
      const f = join(tmp.path, `in-${name}`);
      writeFileSync(f, text);
      let thrown: unknown;
      try {
        loadProgram(f);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as Error).message).not.toContain('\n');
      located((thrown as Error).message, f, where, reason);
    });
  }
});

describe.concurrent('malformed program files: one located line, exit 2', () => {
  for (const [name, text, where, reason] of MALFORMED.filter(([n]) => SUBPROCESS.has(n))) {
    it(`${name}: ${where}`, async () => {
      const f = join(tmp.path, name);
      writeFileSync(f, text);
      // run and diff read files alike (cli/options.ts loadProgram): run checks a few
      for (const cmd of ['null-call.json', 'empty.prog', 'v2.prog'].includes(name) ? ['diff', 'run'] : ['diff']) located(usageLine(await gemcheck([cmd, f])), f, where, reason);
    });
  }
  it('a missing file and a folder: the file and the errno', async () => {
    expect(usageLine(await gemcheck(['diff', join(tmp.path, 'missing.prog')]))).toBe(`${join(tmp.path, 'missing.prog')}: ENOENT`);
    expect(usageLine(await gemcheck(['run', tmp.path]))).toBe(`${tmp.path}: EISDIR`);
  });
});

describe.concurrent('# => expectations are checked by run and diff', () => {
  const wrong = join(tmp.path, 'wrong-expect.prog');
  const right = join(tmp.path, 'right-expect.prog');
  const prog = (e: string) => `r0 = open(0, primary)\nr1 = create_dumb(r0.fd, 64, 64, 32, 0)  # => ${e}\n`;
  writeFileSync(wrong, prog('ok handle=1 pitch=256 size=4096'));
  writeFileSync(right, prog('ok handle=1 pitch=256 size=16384'));
  for (const args of [['diff'], ['run'], ['run', '--target', 'impl']]) {
    it(`${args.join(' ')}: a wrong expectation is exit 1 "expectation failed"; a right one exit 0`, async () => {
      const [w, r] = await Promise.all([gemcheck([args[0], wrong, ...args.slice(1)]), gemcheck([args[0], right, ...args.slice(1)])]);
      expect(w.code, w.out + w.err).toBe(1);
      expect(w.out).toMatch(/^expectation failed on (model|impl) at call 1: /m);
      expect(w.out).toMatch(/^ {2}expected: ok handle=1 pitch=256 size=4096$/m);
      expect(w.out).toMatch(/^ {2}got: +ok handle=1 pitch=256 size=16384$/m);
      expect(w.out).toMatch(/^signature: expectation:create_dumb$/m);
      expect(r.code, r.out + r.err).toBe(0);
    });
  }
});

describe.concurrent('flags: bad values and flags that cannot apply are one line, exit 2, before anything runs', () => {
  const cases: readonly (readonly [string, readonly string[], RegExp])[] = [
    ['--runs with 23 digits', ['check', '--runs', '12345678901234567890123'], /^--runs: 12345678901234567890123 is too large/],
    ['--runs 0 (nothing run is not a pass)', ['check', '--runs', '0'], /^--runs: must be at least 1, got 0$/],
    ['--runs -1', ['check', '--runs', '-1'], /^--runs: expected a non-negative integer, got '-1'$/],
    ['--runs 1e3', ['check', '--runs', '1e3'], /^--runs: expected a non-negative integer/],
    ['--max-calls over the executor limit', ['check', '--max-calls', '100000000'], /^--max-calls: at most 65536/],
    ['--from past the last index', ['check', '--from', '9007199254740990', '--runs', '5'], /^--from 9007199254740990 --runs 5: /],
    ['--only with --from', ['check', '--only', '3', '--from', '2'], /^--only and --from/],
    ['--fault with --target kernel (model vs kernel has no impl)', ['check', '--target', 'kernel', '--fault', 'keep-name'], /^--fault: fault switches apply to the impl target, which this run does not use \(model vs kernel\)$/],
    ['--profile linux-5.10 with --target kernel', ['check', '--target', 'kernel', '--profile', 'linux-5.10'], /^the kernel target runs linux-6\.1 only \(not linux-5\.10\)$/],
    ['--fault ro-ignored on linux-6.1', ['check', '--fault', 'ro-ignored'], /ro-ignored needs a profile with read-only nodes \(not linux-6\.1\)$/],
    ['an unknown --fault', ['check', '--fault', 'nope'], /^--fault: unknown fault 'nope'/],
    ['an unknown --device', ['check', '--device', 'vgme'], /^--device: unknown device 'vgme'/],
    ['an unknown --profile', ['check', '--profile', 'linux-2.4'], /^--profile: unknown profile 'linux-2\.4'/],
    ['--reference impl --target impl', ['check', '--reference', 'impl', '--target', 'impl'], /^--reference and --target are both impl$/],
    ['an unknown --target', ['check', '--target', 'qemu'], /^--target: unknown target 'qemu'/],
    ['an empty --seed', ['check', '--seed', ''], /^--seed: empty$/],
    ['a --seed with a control character', ['check', '--seed', 'a\tb'], /^--seed: control characters are not allowed$/],
    ['a --seed with a newline', ['check', '--seed', 'a\nb'], /^--seed: control characters are not allowed$/],
    ['a --seed over 200 characters', ['check', '--seed', 'x'.repeat(201)], /^--seed: longer than 200 characters$/],
    ['diff --fault with --target kernel', ['diff', 'corpus/scenarios/prime.prog', '--target', 'kernel', '--fault', 'keep-name'], /^--fault: /],
    ['run --fault on the model', ['run', 'corpus/scenarios/prime.prog', '--fault', 'keep-name'], /^--fault: .*\(model\)$/],
    ['diff --profile linux-5.10 with --target kernel', ['diff', 'corpus/scenarios/prime.prog', '--target', 'kernel', '--profile', 'linux-5.10'], /^the kernel target runs linux-6\.1 only/],
    ['an unknown command', ['frobnicate'], /^unknown command 'frobnicate'$/],
    ['an unknown option', ['check', '--runz', '3'], /^unknown option '--runz' \(Did you mean --runs\?\)$/],
    ['a stray argument', ['check', 'extra'], /^too many arguments for 'check'/],
  ];
  for (const [what, args, reason] of cases) {
    it(what, async () => {
      const save = join(tmp.path, `never-${what.replace(/[^a-z0-9]+/gi, '-')}`);
      const withSave = args[0] === 'check' ? [...args, '--save', save] : args;
      const r = await gemcheck(withSave, { timeoutMs: 20_000 });
      expect(usageLine(r)).toMatch(reason);
      expect(existsSync(save), 'the save folder was created before the usage error').toBe(false);
    });
  }
  it('a --seed of exactly 200 characters is accepted', async () => {
    const r = await gemcheck(['check', '--seed', 'x'.repeat(200), '--runs', '2', '--save', join(tmp.path, 'seed200')]);
    expect(r.code, r.err).toBe(0);
  });
});

describe.concurrent('--save that cannot be used is refused at the start', () => {
  it('--save naming an existing file: exit 2, one line, before any program runs', async () => {
    const file = join(tmp.path, 'a-file');
    writeFileSync(file, 'not a folder');
    expect(usageLine(await gemcheck(['check', '--runs', '5', '--save', file]))).toBe(`--save: ${file}: exists and is not a directory`);
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
    expect(usageLine(await gemcheck(['check', '--runs', '5', '--save', join(file, 'sub')]))).toMatch(/^--save: .*: ENOTDIR$/);
  });
  it('--save /proc/x: exit 2 at once (no spin)', async () => {
    const t0 = performance.now();
    const r = await gemcheck(['check', '--runs', '5', '--save', '/proc/x'], { timeoutMs: 8000 });
    expect(r.timedOut, 'still running after 8 s').toBe(false);
    expect(usageLine(r)).toBe('--save: /proc/x: ENOENT');
    expect(performance.now() - t0).toBeLessThan(8000);
  });
  it('an empty --save', async () => {
    expect(usageLine(await gemcheck(['check', '--runs', '5', '--save', '']))).toBe('--save: empty (a folder to save failures in)');
  });
  it('a nested --save folder is created', async () => {
    const dir = join(tmp.path, 'new', 'nested', 'save');
    const r = await gemcheck(['check', '--runs', '2', '--save', dir]);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(dir)).toBe(true);
  });
});

describe.concurrent('--help and --version', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  for (const args of [['--help'], ['check', '--help'], ['diff', '--help']]) {
    it(`${args.join(' ')} documents the exit codes 0, 1, 2 and 130, exit 0`, async () => {
      const r = await gemcheck(args);
      expect(r.code).toBe(0);
      const codes = r.out.slice(r.out.indexOf('Exit codes:'));
      expect(r.out).toContain('Exit codes:');
      for (const c of ['0', '1', '2', '130']) expect(codes).toMatch(new RegExp(`^ {2}${c} +\\S`, 'm'));
    });
  }
  for (const flag of ['--version', '-V']) {
    it(`${flag} prints package.json's version, exit 0`, async () => {
      const r = await gemcheck([flag]);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${pkg.version}\n`);
      expect(r.err).toBe('');
    });
  }
});
