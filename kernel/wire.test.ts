// The executor-output parser (kernel/wire.ts) against every line form of executor/PROTOCOL.md.
import { describe, expect, it } from 'vitest';
import { devTableLines, ExecCollector, LineSplitter, parseExecLine, ResultCollector } from './wire.ts';

describe('parseExecLine', () => {
  it('parses every line the executor prints', () => {
    expect(parseExecLine('ready')).toEqual({ type: 'ready' });
    expect(parseExecLine('done 12')).toEqual({ type: 'done', id: 12 });
    expect(parseExecLine('res 3 0 ok fd=3')).toEqual({ type: 'res', id: 3, k: 0, kind: 'ok', fields: { fd: 3n } });
    expect(parseExecLine('res 3 1 ok handle=1 pitch=256 size=16384')).toEqual({
      type: 'res',
      id: 3,
      k: 1,
      kind: 'ok',
      fields: { handle: 1n, pitch: 256n, size: 16384n },
    });
    expect(parseExecLine('res 3 2 ok')).toEqual({ type: 'res', id: 3, k: 2, kind: 'ok', fields: {} });
    expect(parseExecLine('res 3 4 err 22')).toEqual({ type: 'res', id: 3, k: 4, kind: 'err', errno: 22 });
    expect(parseExecLine('res 3 5 sig SIGBUS')).toEqual({ type: 'res', id: 3, k: 5, kind: 'sig', signal: 'SIGBUS' });
    expect(parseExecLine('res 3 5 sig SIGSEGV')).toEqual({ type: 'res', id: 3, k: 5, kind: 'sig', signal: 'SIGSEGV' });
    expect(parseExecLine('bad 4 2 unknown op')).toEqual({ type: 'bad', id: 4, line: 2, message: 'unknown op' });
    expect(parseExecLine('bad - - call outside a program')).toEqual({ type: 'bad', id: null, line: null, message: 'call outside a program' });
    expect(parseExecLine('taint 9 512')).toEqual({ type: 'taint', id: 9, mask: 512n });
  });

  it('keeps 64-bit values exact and fd/dmabuf signed', () => {
    const r = parseExecLine('res 1 0 ok offset=18446744073709551615 digest=4294967295');
    expect(r).toMatchObject({ fields: { offset: 18446744073709551615n, digest: 4294967295n } });
    expect(parseExecLine('res 1 0 ok dmabuf=-1')).toMatchObject({ fields: { dmabuf: -1n } });
    expect(parseExecLine('res 1 0 ok offset=18446744073709551616').type).toBe('invalid');
    expect(parseExecLine('res 1 0 ok size=-1').type).toBe('invalid');
    expect(parseExecLine('res 1 0 ok fd=2147483648').type).toBe('invalid');
  });

  it('strips a trailing CR', () => {
    expect(parseExecLine('done 1\r')).toEqual({ type: 'done', id: 1 });
  });

  it('flags anything else as invalid, without throwing', () => {
    for (const l of [
      '',
      'hello',
      'ready now',
      'done',
      'done x',
      'done 1 2',
      'res 1',
      'res 1 0',
      'res 1 0 maybe',
      'res 1 0 err',
      'res 1 0 err 0',
      'res 1 0 err x',
      'res 1 0 sig SIGILL',
      'res 1 0 ok fd',
      'res 1 0 ok fd=3 fd=4',
      'res 1 0 ok FD=3',
      'res -1 0 ok',
      'res 99999999999999999999 0 ok',
      'bad 1 2',
      'bad x 2 msg',
      'taint 1',
      'taint 1 -5',
    ]) {
      expect(parseExecLine(l).type, l).toBe('invalid');
    }
  });
});

describe('ResultCollector', () => {
  const feed = (c: ResultCollector, text: string) => text.split('\n').filter(Boolean).map((l) => c.push(parseExecLine(l)));

  it('groups results per program and completes at done', () => {
    const c = new ResultCollector();
    const done = feed(c, 'ready\nres 1 0 ok fd=3\nres 1 1 err 2\ndone 1\nres 2 0 sig SIGSEGV\n');
    expect(c.ready).toBe(true);
    expect(done.filter(Boolean)).toHaveLength(1);
    expect(c.complete).toEqual([
      {
        id: 1,
        results: [
          { k: 0, kind: 'ok', fields: { fd: 3n } },
          { k: 1, kind: 'err', errno: 2 },
        ],
      },
    ]);
    expect(c.pending()).toEqual({ id: 2, results: [{ k: 0, kind: 'sig', signal: 'SIGSEGV' }] });
  });

  it('records refused programs, taint, and stray lines', () => {
    const c = new ResultCollector();
    feed(c, 'bad 5 3 unknown op\ndone 5\nres 6 0 ok\ntaint 6 512\ndone 6\nbad - - end outside a program\nwat\n');
    expect(c.complete).toEqual([
      { id: 5, results: [], bad: '3: unknown op' },
      { id: 6, results: [{ k: 0, kind: 'ok', fields: {} }], taint: 512n },
    ]);
    expect(c.stray.map((l) => l.type)).toEqual(['bad', 'invalid']);
  });

  it('closes a program that never said done when another one starts', () => {
    const c = new ResultCollector();
    feed(c, 'res 1 0 ok\nres 2 0 ok\ndone 2\n');
    expect(c.complete.map((p) => p.id)).toEqual([1, 2]);
    expect(c.stray).toHaveLength(1);
  });
});

describe('parseExecLine: standalone-binary lines', () => {
  it('parses out, exit, killed and timeout', () => {
    expect(parseExecLine('out 7 handle=1 pitch=256 size=16384')).toEqual({ type: 'out', id: 7, text: 'handle=1 pitch=256 size=16384' });
    expect(parseExecLine('exit 7 0')).toEqual({ type: 'exit', id: 7, code: 0 });
    expect(parseExecLine('exit 7 255')).toEqual({ type: 'exit', id: 7, code: 255 });
    expect(parseExecLine('killed 7 11')).toEqual({ type: 'killed', id: 7, signal: 11 });
    expect(parseExecLine('timeout 7')).toEqual({ type: 'timeout', id: 7 });
    expect(parseExecLine('bad 7 - no such file')).toEqual({ type: 'bad', id: 7, line: null, message: 'no such file' });
    expect(parseExecLine('bad - - bad hex')).toEqual({ type: 'bad', id: null, line: null, message: 'bad hex' });
  });

  it('keeps the text of out lines exactly: spaces, tabs, empty lines, words that look like lines', () => {
    expect(parseExecLine('out 1 ')).toEqual({ type: 'out', id: 1, text: '' });
    expect(parseExecLine('out 1')).toEqual({ type: 'out', id: 1, text: '' });
    expect(parseExecLine('out 1   two  spaces\tand tab ')).toEqual({ type: 'out', id: 1, text: '  two  spaces\tand tab ' });
    expect(parseExecLine('out 1 done 1')).toEqual({ type: 'out', id: 1, text: 'done 1' });
    expect(parseExecLine('out 1 [output truncated]')).toEqual({ type: 'out', id: 1, text: '[output truncated]' });
    expect(parseExecLine('out 1 x\r')).toEqual({ type: 'out', id: 1, text: 'x' });
  });

  it('flags malformed ones as invalid, without throwing', () => {
    for (const l of [
      'out',
      'out x hello',
      'out -1 hello',
      'out 1\thello',
      'exit',
      'exit 1',
      'exit 1 256',
      'exit 1 -1',
      'exit 1 0 0',
      'exit x 0',
      'killed 1',
      'killed 1 0',
      'killed 1 65',
      'killed 1 SIGSEGV',
      'timeout',
      'timeout 1 2',
      'timeout x',
    ]) {
      expect(parseExecLine(l).type, l).toBe('invalid');
    }
  });
});

describe('ExecCollector', () => {
  const feed = (c: ExecCollector, text: string) => text.split('\n').filter(Boolean).map((l) => c.push(parseExecLine(l)));

  it('groups output and status per exec and completes at done', () => {
    const c = new ExecCollector();
    const done = feed(c, 'ready\nout 1 hello\nout 1 \nout 1 world\nexit 1 3\ndone 1\nout 2 partial\n');
    expect(c.ready).toBe(true);
    expect(done.filter(Boolean)).toHaveLength(1);
    expect(c.complete).toEqual([{ id: 1, output: ['hello', '', 'world'], status: { kind: 'exit', code: 3 }, uploadErrors: [] }]);
    expect(c.pending()).toEqual({ id: 2, output: ['partial'], status: { kind: 'none' }, uploadErrors: [] });
  });

  it('records killed, timeout, taint, refusals and upload errors', () => {
    const c = new ExecCollector();
    feed(
      c,
      [
        'killed 1 11',
        'done 1',
        'out 2 sleeping',
        'timeout 2',
        'taint 2 512',
        'done 2',
        'bad - - bad hex',
        'bad - - data without file',
        'bad 3 - no such file',
        'done 3',
        'exit 4 0',
        'done 4',
      ].join('\n'),
    );
    expect(c.complete).toEqual([
      { id: 1, output: [], status: { kind: 'killed', signal: 11 }, uploadErrors: [] },
      { id: 2, output: ['sleeping'], status: { kind: 'timeout' }, taint: 512n, uploadErrors: [] },
      { id: 3, output: [], status: { kind: 'none' }, bad: 'no such file', uploadErrors: ['bad hex', 'data without file'] },
      { id: 4, output: [], status: { kind: 'exit', code: 0 }, uploadErrors: [] },
    ]);
    expect(c.stray).toEqual([]);
  });

  it('puts program results, invalid lines and a second status line aside', () => {
    const c = new ExecCollector();
    feed(c, 'res 1 0 ok\nexit 5 0\nkilled 5 9\nwat\ndone 5\nbad - - stray\n');
    expect(c.complete).toEqual([{ id: 5, output: [], status: { kind: 'exit', code: 0 }, uploadErrors: [] }]);
    expect(c.stray.map((l) => l.type)).toEqual(['res', 'killed', 'invalid']);
    expect(c.pendingUploadErrors()).toEqual(['stray']);
  });

  it('closes an exec that never said done when another one starts', () => {
    const c = new ExecCollector();
    feed(c, 'out 1 a\nout 2 b\ndone 2\n');
    expect(c.complete.map((e) => [e.id, e.output])).toEqual([
      [1, ['a']],
      [2, ['b']],
    ]);
    expect(c.stray).toHaveLength(1);
  });

  it('the program collector treats exec lines as stray', () => {
    const c = new ResultCollector();
    for (const l of ['out 1 x', 'exit 1 0', 'killed 1 9', 'timeout 1']) c.push(parseExecLine(l));
    expect(c.stray.map((l) => l.type)).toEqual(['out', 'exit', 'killed', 'timeout']);
    expect(c.complete).toEqual([]);
  });
});

describe('LineSplitter and devTableLines', () => {
  it('reassembles lines across chunks', () => {
    const s = new LineSplitter();
    expect(s.push('rea')).toEqual([]);
    expect(s.push('dy\nres 1 0 ok\nres')).toEqual(['ready', 'res 1 0 ok']);
    expect(s.tail()).toBe('res');
    expect(s.push(' 1 1 ok\n')).toEqual(['res 1 1 ok']);
  });

  it('writes dev lines with - for absent nodes', () => {
    expect(devTableLines([{ primary: '/dev/dri/card0', render: '/dev/dri/renderD128' }, { primary: '/dev/dri/card1', render: null }, { primary: null, render: null }])).toEqual([
      'dev 0 /dev/dri/card0 /dev/dri/renderD128',
      'dev 1 /dev/dri/card1 -',
      'dev 2 - -',
    ]);
  });
});
