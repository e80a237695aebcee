// The executor-output parser (kernel/wire.ts) against every line form of executor/PROTOCOL.md.
import { describe, expect, it } from 'vitest';
import { devTableLines, LineSplitter, parseExecLine, ResultCollector } from './wire.ts';

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
