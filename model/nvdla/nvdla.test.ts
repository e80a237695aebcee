// The model's NVDLA rules, one small program each: pool placement (lowest naturally aligned
// free block, freed with the object), submit validation and the engine's effects.
import { describe, expect, it } from 'vitest';
import type { OpName } from '../../ir/calls.ts';
import type { Outcome } from '../../ir/outcome.ts';
import { PROFILES } from '../../ir/target.ts';
import { Errno } from '../../ir/uapi.ts';
import { ModelSession } from '../model.ts';

function dev(poolKib = 64) {
  const s = new ModelSession({ profile: PROFILES['linux-6.1'], devices: ['nvdla'], deviceParams: [{ pool_kib: poolKib }] });
  const x = (op: OpName, ...a: bigint[]): Outcome => s.exec(op, a);
  const out = (op: OpName, ...a: bigint[]): Record<string, bigint> => {
    const o = x(op, ...a);
    if (o.status !== 'ok') throw new Error(`${op}(${a.join(', ')}) → ${JSON.stringify(o)}`);
    return o.out;
  };
  const fd = out('open', 0n, 1n).fd;
  const create = (size: bigint) => out('nvdla_gem_create', fd, size, 0n).handle;
  const addr = (h: bigint) => out('nvdla_bo_info', fd, h).dma_addr;
  return { x, out, fd, create, addr };
}
const BASE = 0xc000_0000n;

describe('model: NVDLA pool placement', () => {
  it('takes the lowest naturally aligned free block, a power of two of pages', () => {
    const d = dev();
    const a = d.create(4096n); // page 0
    const b = d.create(3n * 4096n); // 4 pages: page 4 (0..3 holds a)
    const c = d.create(4096n); // page 1
    expect([d.addr(a), d.addr(b), d.addr(c)]).toEqual([BASE, BASE + 4n * 4096n, BASE + 4096n]);
    d.out('gem_close', d.fd, a);
    expect(d.addr(d.create(4096n))).toBe(BASE); // freed with its last holder
  });
  it('has no fallback: ENOMEM when no aligned block is free; 0 bytes is EINVAL', () => {
    const d = dev(16);
    d.create(8192n);
    expect(d.x('nvdla_gem_create', d.fd, 16384n, 0n)).toEqual({ status: 'err', errno: Errno.ENOMEM });
    expect(d.x('nvdla_gem_create', d.fd, 8192n, 0n).status).toBe('ok');
    expect(d.x('nvdla_gem_create', d.fd, 1n, 0n)).toEqual({ status: 'err', errno: Errno.ENOMEM });
    expect(d.x('nvdla_gem_create', d.fd, 0n, 0n)).toEqual({ status: 'err', errno: Errno.EINVAL });
  });
});

describe('model: NVDLA submit', () => {
  it('validates the list, the indices and the range, then runs the operation', () => {
    const d = dev();
    const h = d.create(8192n);
    const buf = d.out('prime_handle_to_fd', d.fd, h, 2n).dmabuf;
    const submit = (num: bigint, o0: bigint, o1: bigint, op: bigint, dst: bigint, src: bigint, len: bigint, v = 5n) =>
      d.x('nvdla_submit', d.fd, num, buf, o0, buf, o1, -1n, 0n, op, dst, src, len, v);
    expect(submit(2n, 0n, 4096n, 1n, 0n, 0n, 16n)).toEqual({ status: 'ok', out: {} }); // fill page 0
    expect(submit(2n, 0n, 4096n, 0n, 1n, 0n, 16n)).toEqual({ status: 'ok', out: {} }); // copy to page 1
    expect(submit(2n, 0n, 4096n, 2n, 1n, 0n, 16n)).toEqual({ status: 'ok', out: {} }); // page 1 += page 0
    expect(submit(2n, 0n, 4096n, 1n, 2n, 0n, 16n).status).toBe('err'); // index == num
    expect(submit(2n, 0n, 8192n, 1n, 1n, 0n, 1n)).toEqual({ status: 'err', errno: Errno.EINVAL }); // one past the end
    expect(submit(4n, 0n, 0n, 1n, 0n, 0n, 1n)).toEqual({ status: 'err', errno: Errno.EFAULT });
    expect(submit(6145n, 0n, 0n, 1n, 0n, 0n, 1n)).toEqual({ status: 'err', errno: Errno.EINVAL });
    // the dma-buf mapping at page offset 1 shows page 1: 5 + 5 = 10 in its first bytes
    const m1 = d.out('mmap', buf, 4096n, 4096n, 1n, 1n).map;
    const off = d.out('nvdla_gem_mmap', d.fd, h).offset;
    const m0 = d.out('mmap', d.fd, off, 8192n, 1n, 1n).map;
    expect(d.out('read', m1, 0n, 16n).digest).toBe(d.out('read', m0, 4096n, 16n).digest);
    expect(d.out('read', m1, 0n, 16n).digest).not.toBe(d.out('read', m0, 0n, 16n).digest);
    // nothing was left in the file: the next handle is 2
    expect(d.create(4096n)).toBe(2n);
  });
});
