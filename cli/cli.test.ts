// Success criterion: the CLI's contract — exit codes (0 agree/pass, 1 failure/divergence,
// 2 bad input with a located one-line error), the closing `N passed, M failed` line, the
// printed rate and replay command — holds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
function gemcheck(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gemcheck.mjs'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const tmp = mkdtempSync(join(tmpdir(), 'gemcheck-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('gemcheck CLI', () => {
  it('check passes and prints its rate and closing line', () => {
    const r = gemcheck('check', '--seed', '1', '--runs', '300', '--save', join(tmp, 'f1'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rate: \d+ programs\/s, \d+ calls\/s/);
    expect(r.out).toMatch(/^300 passed, 0 failed$/m);
  });
  it('check fails on a faulty impl, prints the replay command, and the replay reproduces it', () => {
    const r = gemcheck('check', '--seed', '1', '--runs', '50', '--fault', 'skip-handle-count-decrement', '--save', join(tmp, 'f2'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^\d+ passed, [1-9]\d* failed$/m);
    const replay = /replay: npx gemcheck (.*)/.exec(r.out)![1].split(' ');
    const again = gemcheck(...replay.slice(0, -2), '--save', join(tmp, 'f3'), '--fault', 'skip-handle-count-decrement');
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/^0 passed, 1 failed$/m);
  });
  it('diff and run on a scenario', () => {
    expect(gemcheck('diff', 'corpus/scenarios/prime.prog').code).toBe(0);
    const d = gemcheck('diff', 'corpus/scenarios/prime.prog', '--fault', 'keep-dma-buf');
    expect(d.code).toBe(1);
    expect(d.out).toMatch(/first divergence at call \d+/);
    const run = gemcheck('run', 'corpus/scenarios/handles.prog', '--target', 'impl');
    expect(run.code).toBe(0);
    expect(run.out).toContain('r1 = create_dumb(r0.fd, 64, 64, 32, 0)  # => ok handle=1 pitch=256 size=16384');
  });
  it('bad input: one located line, exit 2', () => {
    const f = join(tmp, 'bad.prog');
    writeFileSync(f, 'r0 = open(0, primary)\nr1 = map_dumb(r0.fd, r7.handle)\n');
    const r = gemcheck('run', f);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`gemcheck: ${f}:2:22: r7 is not an earlier call`);
    expect(gemcheck('check', '--runs', 'x').code).toBe(2);
    expect(gemcheck('check', '--profile', 'linux-2.4').code).toBe(2);
    expect(gemcheck('run', join(tmp, 'missing.prog')).code).toBe(2);
    expect(gemcheck('frobnicate').code).toBe(2);
  });
  it('kernel exec: a C file that does not compile is bad input (exit 2) without touching the kernel', () => {
    const f = join(tmp, 'broken.c');
    writeFileSync(f, '#include <stdio.h>\nint main(void) { return undeclared_thing; }\n');
    const r = gemcheck('kernel', 'exec', f);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toBe(`gemcheck: ${f}: does not compile (gcc -O1 -static -Wall)`);
    expect(lines.slice(1).join('\n')).toMatch(/broken\.c:2:\d+: error: .undeclared_thing. undeclared/);
    const missing = gemcheck('kernel', 'exec', join(tmp, 'missing.c'));
    expect(missing.code).toBe(2);
    expect(missing.err.trim()).toBe(`gemcheck: ${join(tmp, 'missing.c')}: ENOENT`);
    expect(gemcheck('kernel', 'exec', f, '--timeout', 'soon').code).toBe(2);
    expect(gemcheck('kernel', 'exec').code).toBe(2);
  });
});
