// Success criterion: a saved failure is a self-contained file (devices, profile, faults, the
// exact replay command, the signature) that `gemcheck diff <file>` alone reproduces — a
// divergence and a self-check-only failure alike — and `gemcheck run <file> --target impl`
// too; saved files never overwrite each other and never land outside --save, whatever the
// seed; the printed replay line is shell-quoted; killed runs' temp files are cleaned up; a
// failure's report is the same within a long run and alone with --only.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gemcheck, sh, tempDir } from './test-support.ts';

const tmp = tempDir('gemcheck-cli-failures-');
afterAll(() => tmp.remove());

const progs = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.prog')).sort();
const header = (text: string, key: string) => new RegExp(`^# ${key}: (.*)$`, 'm').exec(text)?.[1];

/** The saved files of a check run, with their text and signature. */
function saved(dir: string) {
  return progs(dir).map((f) => {
    const path = join(dir, f);
    const text = readFileSync(path, 'utf8');
    return { path, text, signature: header(text, 'signature') ?? '' };
  });
}

/** FAIL blocks of a check's output by program index (each up to its blank line). */
function failBlocks(out: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const b of out.split(/^FAIL program /m).slice(1)) {
    const [first, ...rest] = b.split('\n\n')[0].split('\n');
    m.set(Number(first), rest.join('\n'));
  }
  return m;
}

describe.concurrent('saved failure files replay alone', () => {
  let divergence: ReturnType<typeof saved>[number];
  let selfCheck: ReturnType<typeof saved>[number];
  let replayOut = '';

  beforeAll(async () => {
    // a keep-name divergence (a stale flink name that gem_open still finds): seeds in turn
    // until one has it, so that a change in generation does not silently void the test
    for (let seed = 1; seed <= 6 && !divergence; seed++) {
      const dir = join(tmp.path, `keep-name-${seed}`);
      const r = await gemcheck(['check', '--seed', String(seed), '--runs', '150', '--fault', 'keep-name', '--save', dir]);
      expect(r.code, r.err).toBe(1);
      divergence = saved(dir).find((s) => s.signature.startsWith('divergence:'))!;
      if (divergence) replayOut = r.out;
    }
    // keep-dma-buf trips invariants only (dma-buf-needs-handle, no-leaks): model and impl agree
    const dir = join(tmp.path, 'keep-dma-buf');
    const r = await gemcheck(['check', '--seed', '1', '--runs', '30', '--fault', 'keep-dma-buf', '--save', dir]);
    expect(r.code, r.err).toBe(1);
    selfCheck = saved(dir).find((s) => s.signature.startsWith('self-check:'))!;
  });

  it('the file has every header: devices, profile, faults, the exact replay command, the signature', () => {
    expect(divergence, 'no keep-name divergence in seeds 1..6 × 150 programs').toBeDefined();
    expect(selfCheck, 'no keep-dma-buf self-check failure').toBeDefined();
    for (const s of [divergence, selfCheck]) {
      expect(s.text).toMatch(/^# gemcheck program v1$/m);
      expect(header(s.text, 'devices')).toBe('vgem vgem');
      expect(header(s.text, 'profile')).toBe('linux-6.1');
      expect(header(s.text, 'faults')).toMatch(/^(keep-name|keep-dma-buf)$/);
      expect(header(s.text, 'command')).toMatch(/^npx gemcheck check --seed \d+ --only \d+ /);
      expect(header(s.text, 'signature')).toBe(s.signature);
    }
    // the header's command is the replay line printed with that failure
    const block = replayOut.split(/^FAIL program /m).find((b) => b.includes(`saved: ${divergence.path}`))!;
    expect(/^replay: (.*)$/m.exec(block)?.[1]).toBe(header(divergence.text, 'command'));
  });

  it('gemcheck diff <file>, with no other flag and from another folder, reproduces a divergence (exit 1, same signature)', async () => {
    const r = await gemcheck(['diff', divergence.path], { cwd: tmp.path });
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/^first divergence at call \d+/m);
    expect(r.out).toContain(`signature: ${divergence.signature}\n`);
  });

  it('gemcheck diff <file> reproduces a self-check-only failure (exit 1, same signature)', async () => {
    const r = await gemcheck(['diff', selfCheck.path], { cwd: tmp.path });
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/self-check failed after/);
    expect(r.out).toContain(`signature: ${selfCheck.signature}\n`);
  });

  it('gemcheck run <file> --target impl runs the self-checks: exit 1, same signature', async () => {
    const r = await gemcheck(['run', selfCheck.path, '--target', 'impl'], { cwd: tmp.path });
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toContain(`signature: ${selfCheck.signature}\n`);
    // run on the model: the header's faults cannot apply, said as such (not as a --fault flag)
    const m = await gemcheck(['run', selfCheck.path], { cwd: tmp.path });
    expect(m.code).toBe(2);
    expect(m.err).toBe(`gemcheck: ${selfCheck.path}: # faults: keep-dma-buf plant bugs in the impl target, which this run does not use (model)\n`);
  });
});

describe.concurrent('failure files never overwrite each other and stay in --save', () => {
  it('two identical runs into one folder: twice the files, every earlier file kept as it was', async () => {
    const dir = join(tmp.path, 'twice');
    const args = ['check', '--seed', '1', '--runs', '40', '--fault', 'keep-name', '--save', dir];
    expect((await gemcheck(args)).code).toBe(1);
    const first = new Map(progs(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    expect(first.size).toBeGreaterThan(1);
    expect((await gemcheck(args)).code).toBe(1);
    const after = progs(dir);
    expect(after).toHaveLength(2 * first.size);
    for (const [f, text] of first) expect(readFileSync(join(dir, f), 'utf8')).toBe(text);
    // the second run's files hold the same failures
    const texts = after.map((f) => readFileSync(join(dir, f), 'utf8')).sort();
    const doubled = [...first.values(), ...first.values()].sort();
    expect(texts).toEqual(doubled);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it("--seed 'x/../../..' writes only inside the save folder, under a slugged name", async () => {
    const base = join(tmp.path, 'slug');
    const dir = join(base, 'a', 'b', 'save');
    mkdirSync(dir, { recursive: true });
    const r = await gemcheck(['check', '--seed', 'x/../../..', '--runs', '40', '--fault', 'keep-name', '--save', dir]);
    expect(r.code).toBe(1);
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [relative(base, join(d, e.name))]));
    const files = walk(base);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f.startsWith(join('a', 'b', 'save') + '/')).toBe(true);
    for (const f of progs(dir)) expect(f).toMatch(/^seed-[A-Za-z0-9_][A-Za-z0-9._-]*-\d+(\.\d+)?\.prog$/);
    for (const m of r.out.matchAll(/^saved: (.*)$/gm)) expect(resolve(m[1]).startsWith(dir + '/')).toBe(true);
  });

  it("--seed 'a b': the printed replay line, run through sh -c, replays the failure", async () => {
    const r = await gemcheck(['check', '--seed', 'a b', '--runs', '40', '--fault', 'keep-name', '--save', join(tmp.path, 'ab')]);
    expect(r.code).toBe(1);
    const replay = /^replay: (.*)$/m.exec(r.out)![1];
    expect(replay).toContain("--seed 'a b'");
    const again = await sh(`${replay} --save '${join(tmp.path, 'ab-replay')}'`);
    expect(again.code, again.out + again.err).toBe(1);
    expect(again.out).toMatch(/^0 passed, 1 failed$/m);
  });

  it('opening the save folder removes temp files of dead runs and keeps those of live ones', async () => {
    const dir = join(tmp.path, 'stale');
    mkdirSync(dir);
    let dead = 999_999;
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    };
    while (alive(dead)) dead--;
    const stale = join(dir, `.x.${dead}.tmp`);
    const live = join(dir, `.y.${process.pid}.tmp`);
    writeFileSync(stale, 'half a failure');
    writeFileSync(live, 'being written');
    const r = await gemcheck(['check', '--runs', '3', '--save', dir]);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});

describe.concurrent('determinism across the process', () => {
  it('--from k --runs m checks programs k..k+m-1: the same failures as those of a longer run from k on', async () => {
    const [all, rest] = await Promise.all([
      gemcheck(['check', '--seed', '1', '--runs', '40', '--fault', 'keep-name', '--no-minimize', '--save', join(tmp.path, 'from-all')]),
      gemcheck(['check', '--seed', '1', '--from', '20', '--runs', '20', '--fault', 'keep-name', '--no-minimize', '--save', join(tmp.path, 'from-rest')]),
    ]);
    const later = [...failBlocks(all.out).keys()].filter((i) => i >= 20);
    expect(later.length).toBeGreaterThan(0);
    expect([...failBlocks(rest.out).keys()]).toEqual(later);
    expect(rest.out).toMatch(/^gemcheck check: .*programs 20\.\.39,/m);
  });

  it('program i fails with the same report in a 40-program run as alone with --only i', async () => {
    const r = await gemcheck(['check', '--seed', '1', '--runs', '40', '--fault', 'keep-name', '--save', join(tmp.path, 'det-long')]);
    expect(r.code).toBe(1);
    const long = failBlocks(r.out);
    // the last failure: the one with the most programs run before it in the long run
    const i = Math.max(...long.keys());
    expect(i).toBeGreaterThan(0);
    const alone = await gemcheck(['check', '--seed', '1', '--only', String(i), '--fault', 'keep-name', '--save', join(tmp.path, 'det-only')]);
    expect(alone.code).toBe(1);
    const strip = (b: string) => b.replace(/^saved: .*$/m, '').trimEnd();
    const a = strip(long.get(i)!);
    const b = strip(failBlocks(alone.out).get(i)!);
    expect(a).toMatch(/^replay: /m);
    // object ids included: impl numbers objects per instance, not per process
    expect(a).toMatch(/self-check failed|first divergence/);
    expect(a).toBe(b);
  });
});
