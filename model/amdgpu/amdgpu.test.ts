// Small programs, one per rule family of docs/amdgpu.md, in the style of the kernel's
// ttm_bo_validate_test.c: set the managers up, do one thing, look at placements and usage.
import { describe, expect, it } from 'vitest';
import type { OpName } from '../../ir/calls.ts';
import type { DeviceName } from '../../ir/devices.ts';
import type { Outcome } from '../../ir/outcome.ts';
import { FNV_BASIS, fnv1aZeros } from '../../ir/pattern.ts';
import { PROFILES, type ProfileName } from '../../ir/target.ts';
import { Errno } from '../../ir/uapi.ts';
import { ModelSession } from '../model.ts';

const P = 4096n;
const VRAM = 4n, GTT = 2n, CPU = 1n;
const CAR = 1n, NO_CPU = 2n, CONTIG = 0x20n, ALWAYS_VALID = 0x40n, DISCARD = 0x1000n;
const NOW = 1n << 40n; // the sim's CLOCK_MONOTONIC: earlier timeouts poll
const RW = 3n, SHARED = 1n, PRIVATE = 2n;

/** A session on small managers: VRAM 64 pages (16 visible), GTT 64 pages. */
function dev(opts: { profile?: ProfileName; devices?: DeviceName[]; params?: Record<string, number> } = {}) {
  const devices = opts.devices ?? ['amdgpu'];
  const s = new ModelSession({
    profile: PROFILES[opts.profile ?? 'linux-6.1'],
    devices,
    deviceParams: devices.map((d) => (d === 'amdgpu' ? { vram_kib: 256, visible_kib: 64, gtt_kib: 256, ...opts.params } : undefined)),
  });
  const x = (op: OpName, ...a: bigint[]): Outcome => s.exec(op, a);
  const out = (op: OpName, ...a: bigint[]): Record<string, bigint> => {
    const o = x(op, ...a);
    if (o.status !== 'ok') throw new Error(`${op}(${a.join(', ')}) → ${JSON.stringify(o)}`);
    return o.out;
  };
  const fd = out('open', 0n, 0n).fd; // the primary node: master, authenticated
  const create = (pages: bigint, domains: bigint, flags = 0n) => out('amdgpu_gem_create', fd, pages * P, 0n, domains, flags).handle;
  const info = (h: bigint) => {
    const o = out('amdgpu_bo_info', fd, h);
    return { domain: o.domain, visible: o.visible, pins: o.pins };
  };
  const usage = (q: bigint) => out('amdgpu_info', fd, q).value / P;
  const map = (h: bigint, pages: bigint, prot = RW, flags = SHARED) => x('mmap', fd, out('amdgpu_gem_mmap', fd, h).offset, pages * P, prot, flags);
  const ctx = () => out('amdgpu_ctx_alloc', fd).ctx;
  return { s, x, out, fd, create, info, usage, map, ctx };
}
const errno = (o: Outcome) => (o.status === 'err' ? o.errno : o.status === 'sig' ? o.signal : 'ok');

describe('amdgpu model: eviction (ttm_mem_evict_first)', () => {
  it('happy evict: the LRU head goes, to GTT', () => {
    const d = dev();
    const a = d.create(32n, VRAM); // topdown: 32 invisible
    const b = d.create(32n, VRAM); // 16 invisible + 16 visible: VRAM full
    expect(d.usage(0x10n)).toBe(64n);
    const c = d.create(16n, VRAM);
    expect(d.info(a)).toEqual({ domain: GTT, visible: 0n, pins: 0n });
    expect(d.info(b).domain).toBe(VRAM);
    expect(d.info(c).domain).toBe(VRAM);
    expect([d.usage(0x10n), d.usage(0x11n), d.usage(0x17n)]).toEqual([48n, 32n, 16n]);
  });

  it('handle open and close touch the LRU: the least recently used goes', () => {
    const d = dev();
    const a = d.create(32n, VRAM);
    const b = d.create(32n, VRAM);
    const name = d.out('gem_flink', d.fd, a).name;
    d.out('gem_open', d.fd, name); // a to the LRU tail: b is the head now
    d.create(16n, VRAM);
    expect(d.info(a).domain).toBe(VRAM);
    expect(d.info(b).domain).toBe(GTT);
  });

  it('all pinned: pin fails ENOMEM, GEM_CREATE falls back to VRAM|GTT', () => {
    const d = dev();
    const a = d.create(32n, VRAM, NO_CPU);
    const b = d.create(32n, VRAM, NO_CPU);
    d.out('amdgpu_bo_pin', d.fd, a, VRAM);
    d.out('amdgpu_bo_pin', d.fd, b, VRAM);
    const c = d.create(4n, GTT, NO_CPU);
    expect(errno(d.x('amdgpu_bo_pin', d.fd, c, VRAM))).toBe(Errno.ENOMEM);
    const e = d.create(4n, VRAM);
    expect(d.info(e).domain).toBe(GTT);
    expect(d.info(a)).toEqual({ domain: VRAM, visible: 0n, pins: 1n });
    // a pinned bo that must move: EINVAL from validate (CS skips pinned bos instead)
    expect(errno(d.x('amdgpu_bo_pin', d.fd, a, GTT))).toBe(Errno.EINVAL);
    d.out('amdgpu_bo_unpin', d.fd, a);
    expect(errno(d.x('amdgpu_bo_unpin', d.fd, a))).toBe(Errno.EINVAL);
  });

  it('only bos intersecting the window are evicted (eviction_valuable)', () => {
    const d = dev();
    const b = d.create(40n, VRAM); // invisible only, LRU head
    const a = d.create(8n, VRAM, CAR); // visible (CPU_ACCESS_REQUIRED), then the flag is cleared
    expect(d.info(a).visible).toBe(1n);
    const c = d.create(16n, VRAM, CAR); // needs 16 visible pages: b is skipped, a is evicted
    expect(d.info(b)).toEqual({ domain: VRAM, visible: 0n, pins: 0n });
    // a was wholly visible without CPU_ACCESS_REQUIRED: evicted to invisible VRAM first
    expect(d.info(a)).toEqual({ domain: VRAM, visible: 0n, pins: 0n });
    expect(d.info(c).visible).toBe(1n);
    expect(d.usage(0x17n)).toBe(16n);
  });

  it('a busy victim moved by a blit stays busy', () => {
    const d = dev();
    const ctx = d.ctx();
    const a = d.create(32n, VRAM);
    d.create(32n, VRAM);
    d.out('amdgpu_cs', d.fd, ctx, a, 0n, 0n);
    d.create(8n, VRAM, NO_CPU); // the head (the other bo) goes; then
    d.create(32n, VRAM, NO_CPU); // a goes to GTT, pipelined behind its job
    expect(d.info(a).domain).toBe(GTT);
    expect(d.out('amdgpu_gem_wait_idle', d.fd, a, 0n).status).toBe(1n);
  });

  it('a busy victim moved to SYSTEM is waited for: its job completes, every bo of it is idle', () => {
    const d = dev();
    const ctx = d.ctx();
    const a = d.create(32n, VRAM);
    const other = d.create(4n, GTT);
    d.create(32n, VRAM);
    const seq = d.out('amdgpu_cs', d.fd, ctx, a, other, 0n).seq;
    expect(seq).toBe(1n);
    expect(d.out('amdgpu_wait_cs', d.fd, ctx, seq, 0n).status).toBe(1n);
    expect(d.out('amdgpu_gem_wait_idle', d.fd, other, 0n).status).toBe(1n);
    // the CS moved a and other to their LRU tails: the second VRAM bo is the head now
    d.create(16n, VRAM);
    expect(d.out('amdgpu_wait_cs', d.fd, ctx, seq, 0n).status).toBe(1n);
    d.create(32n, VRAM); // now a is the head: evicted (GTT is short: to CPU), waited for
    expect(d.info(a).domain).toBe(CPU);
    expect(d.out('amdgpu_wait_cs', d.fd, ctx, seq, 0n).status).toBe(0n);
    expect(d.out('amdgpu_gem_wait_idle', d.fd, other, 0n).status).toBe(0n);
  });

  it('a zombie keeps its memory until its job completes, and is reclaimed first', () => {
    const d = dev();
    const [c1, c2] = [d.ctx(), d.ctx()];
    const a = d.create(32n, VRAM);
    const b = d.create(32n, VRAM);
    d.out('amdgpu_cs', d.fd, c1, a, 0n, 0n);
    d.out('gem_close', d.fd, a); // a is a zombie (the close touched it: tail)
    d.out('amdgpu_cs', d.fd, c2, b, 0n, 0n); // b after a on the LRU
    expect(d.usage(0x10n)).toBe(64n);
    d.create(16n, VRAM); // the zombie is the head: reclaimed (c1's job waited for), nothing moves
    expect(d.info(b)).toEqual({ domain: VRAM, visible: 0n, pins: 0n });
    expect(d.usage(0x10n)).toBe(48n);
    expect(d.out('amdgpu_wait_cs', d.fd, c1, 1n, 0n).status).toBe(0n);
    expect(d.out('amdgpu_wait_cs', d.fd, c2, 1n, 0n).status).toBe(1n);
  });

  it('a CS never evicts the bos of its own list', () => {
    for (const alone of [false, true]) {
      const d = dev();
      const ctx = d.ctx();
      const x = d.create(32n, VRAM);
      const z = d.create(40n, GTT);
      d.out('amdgpu_gem_op', d.fd, z, 1n, VRAM); // preferred VRAM, allowed VRAM|GTT
      d.out('amdgpu_cs', d.fd, ctx, alone ? 0n : x, z, 0n);
      // with x in the list, z cannot make room: ENOMEM for VRAM, then allowed (GTT) fits as is
      expect([d.info(x).domain, d.info(z).domain]).toEqual(alone ? [CPU, VRAM] : [VRAM, GTT]); // alone: x is evicted (GTT is short: CPU)
    }
  });

  it('a zombie is freed when its job completes', () => {
    const d = dev();
    const ctx = d.ctx();
    const a = d.create(8n, GTT);
    d.out('amdgpu_cs', d.fd, ctx, a, 0n, 0n);
    d.out('gem_close', d.fd, a);
    expect(d.usage(0x11n)).toBe(8n);
    d.out('amdgpu_cs_complete', d.fd, ctx, 0xffff_ffff_ffff_ffffn);
    expect(d.usage(0x11n)).toBe(0n);
  });

  it("the device's last file released: every job completes, zombies are reclaimed", () => {
    const d = dev();
    const fd2 = d.out('open', 0n, 1n).fd;
    const ctx = d.ctx();
    const a = d.create(8n, GTT);
    d.out('amdgpu_cs', d.fd, ctx, a, 0n, 0n);
    d.out('gem_close', d.fd, a); // a zombie
    d.out('close', d.fd);
    expect(d.out('amdgpu_info', fd2, 0x11n).value).toBe(8n * P); // fd2 is still open: pending
    d.out('close', fd2);
    const fd3 = d.out('open', 0n, 1n).fd;
    expect(d.out('amdgpu_info', fd3, 0x11n).value).toBe(0n);
  });

  it('multihop: VRAM → SYSTEM when GTT is full does not fail, contents follow', () => {
    const d = dev({ params: { visible_kib: 256 } }); // all VRAM visible: faults move nothing
    d.out('amdgpu_bo_pin', d.fd, d.create(63n, GTT), GTT);
    const a = d.create(32n, VRAM);
    d.create(32n, VRAM);
    const m = d.map(a, 1n);
    d.out('write', m.status === 'ok' ? m.out.map : 0n, 0n, 4096n, 7n);
    const before = d.out('read', 1n, 0n, 4096n).digest;
    d.create(16n, VRAM);
    expect(d.info(a).domain).toBe(CPU);
    expect(d.out('read', 1n, 0n, 4096n).digest).toBe(before);
  });

  it('discardable bos are purged: contents zeroed, left in CPU', () => {
    const d = dev();
    const a = d.create(4n, VRAM, DISCARD);
    const m = d.map(a, 1n);
    expect(m.status).toBe('ok');
    d.out('write', 1n, 0n, 4096n, 3n);
    expect(d.info(a)).toEqual({ domain: VRAM, visible: 1n, pins: 0n }); // the fault moved it visible
    d.create(62n, VRAM, NO_CPU); // needs the discardable bo's pages (priority 0 goes first)
    expect(d.info(a).domain).toBe(CPU);
    expect(d.out('read', 1n, 0n, 4096n).digest).toBe(BigInt(fnv1aZeros(FNV_BASIS, 4096)));
  });
});

describe('amdgpu model: CPU access', () => {
  it('mesa flow: VRAM bo, GEM_MMAP, mmap, write, a CS that evicts it, the same digest', () => {
    const d = dev({ params: { gtt_kib: 512 } });
    const ctx = d.ctx();
    const m = d.create(4n, VRAM); // invisible
    expect(d.info(m).visible).toBe(0n);
    const map = d.map(m, 4n);
    expect(map.status).toBe('ok');
    d.out('write', 1n, 100n, 9000n, 42n); // the fault moves it to visible VRAM
    expect(d.info(m)).toEqual({ domain: VRAM, visible: 1n, pins: 0n });
    const digest = d.out('read', 1n, 0n, 16384n).digest;
    const x = d.create(61n, GTT);
    d.out('amdgpu_gem_op', d.fd, x, 1n, VRAM);
    d.out('amdgpu_cs', d.fd, ctx, x, 0n, 0n); // x to VRAM: m (CPU_ACCESS_REQUIRED now) → GTT
    expect(d.info(x).domain).toBe(VRAM);
    expect(d.info(m).domain).toBe(GTT);
    expect(d.out('read', 1n, 0n, 16384n).digest).toBe(digest);
  });

  it('faults: a partly visible bo is moved into visible VRAM (not wholly visible); pins use the window', () => {
    const d = dev();
    const a = d.create(4n, VRAM);
    d.out('amdgpu_bo_pin', d.fd, a, VRAM); // pins set CPU_ACCESS_REQUIRED: a goes visible
    expect(d.info(a).visible).toBe(1n);
    const b = d.create(44n, VRAM, NO_CPU); // leaves 4 invisible pages
    const c = d.create(8n, VRAM); // topdown: 4 invisible + 4 visible
    expect(d.info(c).visible).toBe(0n);
    expect(d.map(c, 1n).status).toBe('ok');
    expect(errno(d.x('read', 1n, 0n, 1n))).toBe('ok'); // amdgpu_bo_fault_reserve_notify: offset + size > vis
    expect(d.info(c)).toEqual({ domain: VRAM, visible: 1n, pins: 0n }); // 8 visible pages were free
    d.out('gem_close', d.fd, b);
    const e = d.create(4n, VRAM);
    d.out('amdgpu_bo_pin', d.fd, e, VRAM); // CPU_ACCESS_REQUIRED: e would be visible...
    expect(d.info(e).visible).toBe(1n);
    const f = d.create(4n, VRAM, NO_CPU);
    d.out('amdgpu_bo_pin', d.fd, f, VRAM); // NO_CPU_ACCESS: topdown, invisible
    expect(d.info(f).visible).toBe(0n);
  });

  it('amdgpu_bo_move: into VRAM clears CPU_ACCESS_REQUIRED; GTT → SYSTEM waits for the bo', () => {
    const d = dev();
    const ctx = d.ctx();
    const a = d.create(4n, GTT);
    d.out('amdgpu_cs', d.fd, ctx, a, 0n, 0n);
    d.out('amdgpu_bo_pin', d.fd, a, VRAM); // sets CPU_ACCESS_REQUIRED, then the move clears it
    expect(d.info(a)).toEqual({ domain: VRAM, visible: 1n, pins: 1n });
    expect(d.out('amdgpu_gem_op', d.fd, a, 0n, 0n).flags).toBe(CONTIG); // amdgpu_bo_pin sets VRAM_CONTIGUOUS
    expect(d.out('amdgpu_wait_cs', d.fd, ctx, 1n, 0n).status).toBe(1n); // a GTT → VRAM blit does not wait
    d.out('amdgpu_bo_unpin', d.fd, a);
    const b = d.create(4n, GTT);
    d.out('amdgpu_cs', d.fd, ctx, b, 0n, 0n);
    d.out('amdgpu_bo_pin', d.fd, b, CPU); // GTT → SYSTEM: ttm_bo_wait_ctx
    expect(d.info(b)).toEqual({ domain: CPU, visible: 0n, pins: 1n });
    expect(d.out('amdgpu_wait_cs', d.fd, ctx, 2n, 0n).status).toBe(0n);
    expect(d.out('amdgpu_gem_op', d.fd, b, 0n, 0n).flags).toBe(CAR | CONTIG); // pins set them; no VRAM move
  });

  it('a CPU bo has a tt from its creation (ttm_bo_validate): pinned to VRAM it loses CPU_ACCESS_REQUIRED', () => {
    const d = dev();
    const a = d.create(1n, CPU);
    d.out('amdgpu_bo_pin', d.fd, a, VRAM);
    expect(d.out('amdgpu_gem_op', d.fd, a, 0n, 0n).flags).toBe(CONTIG);
    // a VRAM bo was never in SYSTEM after a validate: evicted to SYSTEM via GTT it has a tt too
    const b = d.create(1n, CPU);
    expect(d.map(b, 1n).status).toBe('ok');
    d.out('read', 1n, 0n, 1n);
    d.out('amdgpu_bo_pin', d.fd, b, VRAM);
    expect(d.out('amdgpu_gem_op', d.fd, b, 0n, 0n).flags).toBe(CONTIG);
  });

  it('pinned in invisible VRAM: SIGBUS; unpinned: the fault moves it', () => {
    const d = dev({ profile: 'linux-5.10' }); // 5.10: NO_CPU_ACCESS bos are mappable
    const a = d.create(4n, VRAM, NO_CPU);
    d.out('amdgpu_bo_pin', d.fd, a, VRAM);
    const off = 0x100000n * P; // the first fake offset
    const m = d.x('mmap', d.fd, off, 4n * P, RW, SHARED);
    expect(m.status).toBe('ok');
    expect(errno(d.x('read', 1n, 0n, 1n))).toBe('SIGBUS');
    d.out('amdgpu_bo_unpin', d.fd, a);
    expect(errno(d.x('read', 1n, 0n, 1n))).toBe('ok');
    expect(d.info(a)).toEqual({ domain: VRAM, visible: 1n, pins: 0n });
  });
});

describe('amdgpu model: GEM_CREATE and mmap rules', () => {
  for (const profile of ['linux-6.1', 'linux-5.10'] as const) {
    it(`flags, domains and sizes on ${profile}`, () => {
      const d = dev({ profile });
      const c = (size: bigint, domains: bigint, flags: bigint) => errno(d.x('amdgpu_gem_create', d.fd, size, 0n, domains, flags));
      expect(c(P, VRAM, DISCARD)).toBe(profile === 'linux-6.1' ? 'ok' : Errno.EINVAL);
      expect(c(P, 0x40n, 0n)).toBe(Errno.EINVAL); // DOORBELL
      expect(c(P, VRAM, 0x400n)).toBe(Errno.EINVAL); // ENCRYPTED without TMZ
      expect(c(P, VRAM, 0x20n)).toBe(Errno.EINVAL); // VRAM_CONTIGUOUS is not in the whitelist
      expect(c(1n, 0x8n, 0x40n)).toBe(Errno.EINVAL); // GDS per-VM
      expect(c(64n * P, VRAM, 0n)).toBe(Errno.ENOMEM); // not below the VRAM size
      expect(c(64n * P, VRAM | GTT, 0n)).toBe(Errno.ENOMEM); // GTT decides
      expect(c(0n, VRAM, 0n)).toBe(Errno.ENOSPC);
      expect(c(1n << 36n, CPU, 0n)).toBe('ok'); // CPU: no size check
      expect(c(60n * P + 1n, VRAM, 0n)).toBe('ok'); // 61 pages: evicts everything else
    });
  }

  it('GEM_OP create info: page-rounded size and alignment, on-chip in units, flags after creation', () => {
    const d = dev();
    const h = d.out('amdgpu_gem_create', d.fd, 5000n, 3n, VRAM, CAR).handle;
    expect(d.out('amdgpu_gem_op', d.fd, h, 0n, 0n)).toEqual({ size: 8192n, alignment: 4096n, domains: VRAM, flags: 0n });
    const g = d.out('amdgpu_gem_create', d.fd, 1n, 1n, 0x8n, 0n).handle; // GDS: units, multiple of 4
    expect(d.out('amdgpu_gem_op', d.fd, g, 0n, 0n)).toEqual({ size: 4n * P, alignment: 4n * P, domains: 0x8n, flags: NO_CPU });
    expect(errno(d.x('amdgpu_gem_mmap', d.fd, g))).toBe(Errno.EPERM);
    expect(d.info(g).domain).toBe(CPU); // on-chip bos are created in CPU
    d.out('amdgpu_cs', d.fd, d.ctx(), g, 0n, 0n);
    expect(d.info(g).domain).toBe(0x8n);
    expect(errno(d.x('amdgpu_gem_op', d.fd, g, 2n, 0n))).toBe(Errno.EINVAL);
  });

  it('COW mappings: 6.1 lets PROT_NONE private through, 5.10 refuses', () => {
    for (const profile of ['linux-6.1', 'linux-5.10'] as const) {
      const d = dev({ profile });
      const a = d.create(1n, GTT);
      expect(errno(d.map(a, 1n, 0n, PRIVATE))).toBe(profile === 'linux-6.1' ? 'ok' : Errno.EINVAL);
      expect(errno(d.map(a, 1n, 1n, PRIVATE))).toBe(Errno.EINVAL);
    }
  });

  it('5.10 finds the node containing the range; the mapping starts at that page', () => {
    const d = dev({ profile: 'linux-5.10' });
    const a = d.create(2n, GTT);
    const off = d.out('amdgpu_gem_mmap', d.fd, a).offset;
    d.out('mmap', d.fd, off, 2n * P, RW, SHARED);
    d.out('write', 1n, 4096n, 4096n, 5n);
    const page1 = d.out('read', 1n, 4096n, 4096n).digest;
    d.out('mmap', d.fd, off + P, P, RW, SHARED);
    expect(d.out('read', 2n, 0n, 4096n).digest).toBe(page1);
    expect(errno(d.x('mmap', d.fd, off + P, 2n * P, RW, SHARED))).toBe(Errno.EINVAL);
    const d61 = dev();
    const b = d61.create(2n, GTT);
    expect(errno(d61.x('mmap', d61.fd, d61.out('amdgpu_gem_mmap', d61.fd, b).offset + P, P, RW, SHARED))).toBe(Errno.EINVAL);
  });

  it('dumb buffers: amdgpu_gem_align_pitch, VRAM, USWC|CONTIGUOUS|CLEARED', () => {
    const d = dev();
    const o = d.out('create_dumb', d.fd, 100n, 10n, 32n, 0n);
    expect([o.pitch, o.size]).toEqual([512n, 8192n]);
    expect(d.out('amdgpu_gem_op', d.fd, o.handle, 0n, 0n).flags).toBe(0x2cn);
    expect(d.info(o.handle)).toEqual({ domain: VRAM, visible: 1n, pins: 0n });
    expect(errno(d.x('create_dumb', d.fd, 1024n, 256n, 32n, 0n))).toBe(Errno.ENOMEM); // 1 MiB ≥ VRAM
    expect(d.out('map_dumb', d.fd, o.handle).offset).toBe(d.out('amdgpu_gem_mmap', d.fd, o.handle).offset);
  });
});

describe('amdgpu model: contexts and fences', () => {
  it('WAIT_CS, WAIT_FENCES, CS_COMPLETE on one context', () => {
    const d = dev();
    const ctx = d.ctx();
    expect(errno(d.x('amdgpu_cs', d.fd, 9n, 0n, 0n, 0n))).toBe(Errno.EINVAL);
    expect(errno(d.x('amdgpu_cs', d.fd, ctx, 7n, 0n, 0n))).toBe(Errno.ENOENT);
    expect(d.out('amdgpu_cs', d.fd, ctx, 0n, 0n, 0n).seq).toBe(1n);
    expect(d.out('amdgpu_cs', d.fd, ctx, 0n, 0n, 0n).seq).toBe(2n);
    expect(errno(d.x('amdgpu_wait_cs', d.fd, ctx, 3n, 0n))).toBe(Errno.EINVAL);
    // wait_any polling unsignalled fences: dma_fence_wait_any_timeout leaves first at ~0
    expect(d.out('amdgpu_wait_fences', d.fd, ctx, 1n, 2n, 0n, 0n)).toEqual({ status: 0n, first: 0xffff_ffffn });
    // a NULL fence (seq 0) returns at once: the later, invalid, one is never looked up
    expect(d.out('amdgpu_wait_fences', d.fd, ctx, 0n, 9n, 0n, 0n)).toEqual({ status: 1n, first: 0n });
    expect(errno(d.x('amdgpu_wait_fences', d.fd, ctx, 9n, 0n, 0n, 0n))).toBe(Errno.EINVAL);
    // wait_all stops at the first busy fence when polling
    expect(d.out('amdgpu_wait_fences', d.fd, ctx, 1n, 9n, 1n, 0n)).toEqual({ status: 0n, first: 0n });
    expect(d.out('amdgpu_wait_fences', d.fd, ctx, 0n, 2n, 1n, 0n)).toEqual({ status: 0n, first: 0n });
    d.out('amdgpu_wait_cs', d.fd, ctx, 2n, NOW); // waits: 1 and 2 complete (in order)
    expect(d.out('amdgpu_wait_fences', d.fd, ctx, 1n, 2n, 1n, 0n)).toEqual({ status: 1n, first: 0n });
    d.out('amdgpu_cs', d.fd, ctx, 0n, 0n, 0n);
    expect(d.out('amdgpu_wait_fences', d.fd, ctx, 3n, 1n, 0n, 0n)).toEqual({ status: 1n, first: 1n });
    d.out('amdgpu_ctx_free', d.fd, ctx);
    expect(errno(d.x('amdgpu_ctx_free', d.fd, ctx))).toBe(Errno.EINVAL);
    expect(d.out('amdgpu_ctx_alloc', d.fd).ctx).toBe(ctx);
    // the reused id is a new context: its seq 1 is its own, still pending job
    expect(d.out('amdgpu_cs', d.fd, ctx, 0n, 0n, 0n).seq).toBe(1n);
    expect(d.out('amdgpu_wait_cs', d.fd, ctx, 1n, 0n).status).toBe(1n);
    expect(d.out('amdgpu_wait_fences', d.fd, ctx, 1n, 1n, 1n, 0n)).toEqual({ status: 0n, first: 0n });
  });

  it('driver ioctls exist only on amdgpu', () => {
    const d = dev({ devices: ['vgem'] });
    expect(errno(d.x('amdgpu_ctx_alloc', d.fd))).toBe(Errno.EINVAL);
  });
});

describe('amdgpu model: PRIME', () => {
  it('vgem importing an amdgpu dma-buf pins the bo in GTT until the import is freed', () => {
    const d = dev({ devices: ['amdgpu', 'vgem'] });
    const a = d.create(4n, VRAM);
    const buf = d.out('prime_handle_to_fd', d.fd, a, 2n).dmabuf;
    const vfd = d.out('open', 1n, 0n).fd;
    const vh = d.out('prime_fd_to_handle', vfd, buf).handle;
    expect(d.info(a)).toEqual({ domain: GTT, visible: 0n, pins: 1n });
    expect(errno(d.x('amdgpu_bo_pin', d.fd, a, VRAM))).toBe(Errno.EINVAL); // pinned, not in VRAM
    // the domain is narrowed to the preferred ones first: VRAM|GTT on a VRAM bo is VRAM
    expect(errno(d.x('amdgpu_bo_pin', d.fd, a, VRAM | GTT))).toBe(Errno.EINVAL);
    d.out('amdgpu_bo_pin', d.fd, a, GTT);
    d.out('amdgpu_bo_unpin', d.fd, a);
    d.out('gem_close', vfd, vh);
    expect(d.info(a).pins).toBe(0n);
    // a user unpin can take the attachment's pin; the detach then finds nothing to drop
    const vh2 = d.out('prime_fd_to_handle', vfd, buf).handle;
    d.out('amdgpu_bo_unpin', d.fd, a);
    d.out('gem_close', vfd, vh2);
    expect(d.info(a).pins).toBe(0n);
  });

  it('amdgpu importing a vgem dma-buf: an sg bo, GTT-preferred, CPU access SIGBUS', () => {
    const d = dev({ devices: ['amdgpu', 'vgem'] });
    const vfd = d.out('open', 1n, 0n).fd;
    const vh = d.out('create_dumb', vfd, 1024n, 2n, 32n, 0n).handle;
    const buf = d.out('prime_handle_to_fd', vfd, vh, 2n).dmabuf;
    const h = d.out('prime_fd_to_handle', d.fd, buf).handle;
    expect(d.out('amdgpu_gem_op', d.fd, h, 0n, 0n)).toEqual({ size: 8192n, alignment: 4096n, domains: GTT, flags: 0n });
    expect(d.info(h).domain).toBe(CPU);
    expect(d.map(h, 2n).status).toBe('ok');
    expect(errno(d.x('read', 1n, 0n, 1n))).toBe('SIGBUS');
    expect(errno(d.x('amdgpu_bo_pin', d.fd, h, VRAM))).toBe(Errno.EINVAL);
    d.out('amdgpu_bo_pin', d.fd, h, VRAM | GTT);
    expect(d.info(h)).toEqual({ domain: GTT, visible: 0n, pins: 1n });
  });

  it('dma-buf mmap adds the page offset; userptr and per-VM bos are not exported', () => {
    const d = dev();
    const a = d.create(2n, GTT);
    d.out('mmap', d.fd, d.out('amdgpu_gem_mmap', d.fd, a).offset, 2n * P, RW, SHARED);
    d.out('write', 1n, 4096n, 4096n, 9n);
    const page1 = d.out('read', 1n, 4096n, 4096n).digest;
    const buf = d.out('prime_handle_to_fd', d.fd, a, 2n).dmabuf;
    d.out('mmap', buf, P, P, RW, SHARED);
    expect(d.out('read', 2n, 0n, 4096n).digest).toBe(page1);
    const u = d.out('amdgpu_gem_userptr', d.fd, 0x7f00_0000_0000n, P, 1n).handle;
    expect(errno(d.x('prime_handle_to_fd', d.fd, u, 2n))).toBe(Errno.EPERM);
    expect(errno(d.x('amdgpu_gem_mmap', d.fd, u))).toBe(Errno.EPERM);
    const v = d.create(1n, GTT, 0x40n);
    expect(errno(d.x('prime_handle_to_fd', d.fd, v, 2n))).toBe(Errno.EPERM);
  });
});

describe('amdgpu model: docs/amdgpu.md revision 2', () => {
  it('amdgpu_bo_pin: the VRAM place is CONTIGUOUS, so a wholly visible bo is reallocated (evicting)', () => {
    const d = dev(); // 16 visible pages
    const a = d.create(8n, VRAM, CAR); // visible (CPU_ACCESS_REQUIRED is then cleared)
    const c = d.create(8n, VRAM, CAR); // visible: the visible pool is full
    expect([d.info(a).visible, d.info(c).visible, d.usage(0x17n)]).toEqual([1n, 1n, 16n]);
    d.out('amdgpu_bo_pin', d.fd, c, VRAM); // not compatible (ttm_resource_compat): 8 more visible pages
    expect(d.info(c)).toEqual({ domain: VRAM, visible: 1n, pins: 1n });
    expect(d.info(a)).toEqual({ domain: VRAM, visible: 0n, pins: 0n }); // evicted to fpfn = vis
    // a second pin finds the resource contiguous: count + 1, no move
    d.out('amdgpu_bo_pin', d.fd, c, VRAM);
    expect(d.info(c).pins).toBe(2n);
  });

  it('amdgpu_bo_pin sets VRAM_CONTIGUOUS first, even when it then fails (userptr → EPERM)', () => {
    const d = dev();
    const u = d.out('amdgpu_gem_userptr', d.fd, 0x7f00_0000_0000n, P, 1n).handle;
    expect(errno(d.x('amdgpu_bo_pin', d.fd, u, GTT))).toBe(Errno.EPERM);
    expect(d.out('amdgpu_gem_op', d.fd, u, 0n, 0n).flags).toBe(CONTIG);
  });

  it('dumb buffers carry VRAM_CONTIGUOUS: their resource is contiguous, a pin needs no new room', () => {
    const d = dev();
    const h = d.out('create_dumb', d.fd, 64n, 256n, 32n, 0n).handle; // 16 pages, CAR: all visible VRAM
    expect(d.usage(0x17n)).toBe(16n);
    d.out('amdgpu_bo_pin', d.fd, h, VRAM); // compatible: no reallocation (else ENOMEM: nothing to evict)
    expect(d.info(h)).toEqual({ domain: VRAM, visible: 1n, pins: 1n });
  });

  it('faults: with vis = 0 every VRAM fault is SIGBUS ("should never happen" check); GTT maps', () => {
    const d = dev({ params: { visible_kib: 0 } });
    const a = d.create(4n, VRAM);
    expect(d.map(a, 4n).status).toBe('ok');
    expect(errno(d.x('read', 1n, 0n, 1n))).toBe('SIGBUS');
    expect(d.info(a).domain).toBe(VRAM);
    const g = d.create(4n, GTT);
    expect(d.map(g, 4n).status).toBe('ok');
    expect(errno(d.x('read', 2n, 0n, 1n))).toBe('ok');
  });

  it('faults: a pinned bo wholly in visible VRAM maps (only a not wholly visible one is SIGBUS)', () => {
    const d = dev();
    const a = d.create(4n, VRAM);
    d.out('amdgpu_bo_pin', d.fd, a, VRAM); // visible window
    expect(d.map(a, 4n).status).toBe('ok');
    expect(errno(d.x('read', 1n, 0n, 1n))).toBe('ok');
  });

  it('userptr VALIDATE: validated into GTT at creation; ENOMEM → no handle', () => {
    const d = dev(); // GTT 64 pages
    const u = d.out('amdgpu_gem_userptr', d.fd, 0x7f00_0000_0000n, 32n * P, 4n | 1n).handle;
    expect(d.info(u).domain).toBe(GTT);
    expect(d.usage(0x11n)).toBe(32n);
    const g = d.create(24n, GTT);
    d.out('amdgpu_bo_pin', d.fd, g, GTT);
    expect(errno(d.x('amdgpu_gem_userptr', d.fd, 0x7f00_0010_0000n, 48n * P, 4n | 1n))).toBe(Errno.ENOMEM);
    const v = d.out('amdgpu_gem_userptr', d.fd, 0x7f00_0010_0000n, 8n * P, 1n).handle; // no VALIDATE
    expect(v).toBe(3n); // the failed one took no handle
    expect(d.info(v).domain).toBe(CPU);
  });

  it('timeouts are absolute: below the sim clock (2^40 ns) they poll, from it on they wait', () => {
    const d = dev();
    const ctx = d.ctx();
    const a = d.create(1n, GTT);
    d.out('amdgpu_cs', d.fd, ctx, a, 0n, 0n);
    expect(d.out('amdgpu_gem_wait_idle', d.fd, a, 1n).status).toBe(1n);
    expect(d.out('amdgpu_wait_cs', d.fd, ctx, 1n, NOW - 1n).status).toBe(1n);
    expect(d.out('amdgpu_wait_fences', d.fd, ctx, 1n, 1n, 1n, 1000n)).toEqual({ status: 0n, first: 0n });
    expect(d.out('amdgpu_wait_cs', d.fd, ctx, 1n, NOW).status).toBe(0n);
    expect(d.out('amdgpu_gem_wait_idle', d.fd, a, 0n).status).toBe(0n);
  });

  it('one ring: completing a job completes every job submitted before it, on any context', () => {
    const d = dev();
    const c1 = d.ctx(), c2 = d.ctx();
    d.out('amdgpu_cs', d.fd, c1, 0n, 0n, 0n);
    d.out('amdgpu_cs', d.fd, c2, 0n, 0n, 0n);
    d.out('amdgpu_cs', d.fd, c1, 0n, 0n, 0n);
    d.out('amdgpu_cs_complete', d.fd, c2, 1n);
    expect(d.out('amdgpu_wait_cs', d.fd, c1, 1n, 0n).status).toBe(0n);
    expect(d.out('amdgpu_wait_cs', d.fd, c1, 2n, 0n).status).toBe(1n);
  });

  it('CS order: userptr bos are validated and put at the LRU tail in reverse list order', () => {
    const d = dev(); // GTT 64 pages
    const ctx = d.ctx();
    const u1 = d.out('amdgpu_gem_userptr', d.fd, 0x7f00_0000_0000n, 32n * P, 4n | 1n).handle;
    const u2 = d.out('amdgpu_gem_userptr', d.fd, 0x7f00_0010_0000n, 32n * P, 4n | 1n).handle;
    d.out('amdgpu_cs', d.fd, ctx, u1, u2, 0n); // (3) = [u2, u1]: u1 is the most recently used
    d.out('amdgpu_cs_complete', d.fd, ctx, 1n);
    d.create(1n, GTT); // evicts the GTT LRU head
    expect([d.info(u1).domain, d.info(u2).domain]).toEqual([GTT, CPU]);
  });

  it('CS order: a repeated bo is validated first (the duplicates list), before the list', () => {
    const d = dev(); // VRAM 64 pages
    const ctx = d.ctx();
    const a = d.create(48n, CPU);
    const b = d.create(48n, CPU);
    d.out('amdgpu_gem_op', d.fd, a, 1n, VRAM); // preferred VRAM, allowed VRAM|GTT
    d.out('amdgpu_gem_op', d.fd, b, 1n, VRAM);
    d.out('amdgpu_cs', d.fd, ctx, a, b, b); // b first (reserved a is no victim), then a → GTT
    expect([d.info(a).domain, d.info(b).domain]).toEqual([GTT, VRAM]);
  });

  it('CS: the file\'s VM_ALWAYS_VALID bos are revalidated first, reserved, and fenced', () => {
    const d = dev();
    const ctx = d.ctx();
    const v = d.create(32n, VRAM, ALWAYS_VALID);
    const w = d.create(32n, VRAM);
    d.create(32n, VRAM); // evicts v (the LRU head) to GTT
    expect(d.info(v).domain).toBe(GTT);
    d.out('amdgpu_cs', d.fd, ctx, w, 0n, 0n); // (1) v back to VRAM: w is reserved, the other one goes
    expect([d.info(v).domain, d.info(w).domain]).toEqual([VRAM, VRAM]);
    expect(d.out('amdgpu_gem_wait_idle', d.fd, v, 0n).status).toBe(1n); // fenced without being named
    const fd2 = d.out('open', 0n, 1n).fd; // a render node: a file with its own VM
    const ctx2 = d.out('amdgpu_ctx_alloc', fd2).ctx;
    d.out('amdgpu_cs', fd2, ctx2, 0n, 0n, 0n);
    expect(d.out('amdgpu_gem_wait_idle', d.fd, v, 0n).status).toBe(1n);
  });

  it('GEM_OPEN of another file\'s VM_ALWAYS_VALID bo → EPERM, no handle; its own file may', () => {
    const d = dev();
    const v = d.create(1n, GTT, ALWAYS_VALID);
    const name = d.out('gem_flink', d.fd, v).name;
    const fd2 = d.out('open', 0n, 0n).fd;
    d.out('auth_magic', d.fd, d.out('get_magic', fd2).magic); // the master authenticates it
    expect(errno(d.x('gem_open', fd2, name))).toBe(Errno.EPERM);
    const o = d.create(1n, GTT);
    expect(d.out('gem_flink', d.fd, o).name).toBe(name + 1n);
    expect(d.out('gem_open', fd2, name + 1n).handle).toBe(1n); // the EPERM took no handle
    expect(d.out('gem_open', d.fd, name).handle).toBe(3n);
  });

  it('PRIME: the attach pin and detach unpin touch no LRU (the bo keeps its place)', () => {
    const d = dev({ devices: ['amdgpu', 'vgem'] }); // GTT 64 pages
    const x = d.create(32n, GTT);
    const y = d.create(32n, GTT);
    const buf = d.out('prime_handle_to_fd', d.fd, x, 2n).dmabuf;
    const vfd = d.out('open', 1n, 0n).fd;
    const vh = d.out('prime_fd_to_handle', vfd, buf).handle; // pinned, still at the LRU head
    expect(d.info(x).pins).toBe(1n);
    d.out('gem_close', vfd, vh); // unpinned, still at the head
    d.create(1n, GTT);
    expect([d.info(x).domain, d.info(y).domain]).toEqual([CPU, GTT]);
  });

  it('PRIME: a detach unpin leaves a bo on bdev->pinned (not evictable) until its next unreserve', () => {
    const d = dev({ devices: ['amdgpu', 'vgem'] });
    const x = d.create(48n, GTT);
    const buf = d.out('prime_handle_to_fd', d.fd, x, 2n).dmabuf;
    const vfd = d.out('open', 1n, 0n).fd;
    const vh = d.out('prime_fd_to_handle', vfd, buf).handle;
    d.out('amdgpu_gem_op', d.fd, x, 0n, 0n); // an unreserve while pinned: to bdev->pinned
    d.out('gem_close', vfd, vh);
    expect(d.info(x).pins).toBe(0n);
    expect(errno(d.x('amdgpu_gem_create', d.fd, 32n * P, 0n, GTT, 0n))).toBe(Errno.ENOMEM);
    d.out('amdgpu_gem_op', d.fd, x, 0n, 0n); // back at its LRU tail
    d.create(32n, GTT);
    expect(d.info(x).domain).toBe(CPU);
  });

  it('PRIME: a re-import into a file holding a handle for the dma-buf touches nothing', () => {
    const d = dev(); // GTT 64 pages
    const x = d.create(32n, GTT);
    const y = d.create(32n, GTT);
    const buf = d.out('prime_handle_to_fd', d.fd, x, 2n).dmabuf;
    expect(d.out('prime_fd_to_handle', d.fd, buf).handle).toBe(x); // the cached handle
    d.create(1n, GTT); // x is still the LRU head
    expect([d.info(x).domain, d.info(y).domain]).toEqual([CPU, GTT]);
  });

  it('pipelined blits: a fault on a bo with a pending move waits for it (and every earlier job)', () => {
    const d = dev();
    const c1 = d.ctx(), c2 = d.ctx();
    const a = d.create(32n, VRAM); // invisible
    expect(d.map(a, 1n).status).toBe('ok');
    d.out('amdgpu_cs', d.fd, c1, 0n, 0n, 0n); // an earlier job on another context
    d.out('amdgpu_cs', d.fd, c2, a, 0n, 0n);
    d.create(48n, VRAM); // evicts busy a to GTT by a blit: not waited for
    expect(d.info(a).domain).toBe(GTT);
    expect(d.out('amdgpu_wait_cs', d.fd, c2, 1n, 0n).status).toBe(1n);
    expect(errno(d.x('read', 1n, 0n, 1n))).toBe('ok'); // ttm_bo_vm_fault_idle
    expect(d.out('amdgpu_wait_cs', d.fd, c2, 1n, 0n).status).toBe(0n);
    expect(d.out('amdgpu_wait_cs', d.fd, c1, 1n, 0n).status).toBe(0n);
  });
});
