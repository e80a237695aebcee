// Success criteria for description-driven generation: programs are a pure function of the
// seed string; every reference has a kind its argument accepts; constructors come before
// their uses; integer boundaries from the domains are reached — in particular the
// drm_gem_shmem_dumb_create DIV_ROUND_UP wrap (width·bpp within 7 of 2^32, bpp not a multiple
// of 8, e.g. create_dumb(fd, 0x55555553, 1, 3, 0)).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CALLS, OPS, RESOURCES, type ArgDesc, type OutDesc, type ResourceKind } from '../ir/calls.ts';
import { validate, type Program } from '../ir/program.ts';
import type { DeviceName } from '../ir/devices.ts';
import { programAt } from './generate.ts';
import { boundaries } from './domain.ts';
import { generateProgram, ProgramBuilder } from './generate.ts';
import { seededRand } from './rand.ts';

const U32_WRAP = 1n << 32n;
const corpus = (seed: string, n: number, maxCalls = 24, devices = 2): Program[] => Array.from({ length: n }, (_, i) => programAt(seed, i, maxCalls, devices));
const litOf = (p: Program, k: number, j: number): bigint | undefined => {
  const a = p.calls[k].args[j];
  return a.kind === 'lit' ? a.value : undefined;
};

describe('generation is a pure function of the seed string', () => {
  afterEach(() => vi.restoreAllMocks());
  it('same "S:i" and options, same program; no Math.random or Date.now', () => {
    vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('Math.random used');
    });
    vi.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('Date.now used');
    });
    for (let i = 0; i < 200; i++) {
      const a = generateProgram(seededRand(`7:${i}`), { maxCalls: 24, devices: 2 }, {});
      const b = generateProgram(seededRand(`7:${i}`), { maxCalls: 24, devices: 2 }, {});
      expect(b).toEqual(a);
      expect(programAt('7', i, 24, 2)).toEqual(a);
    }
  });
  it('honours maxCalls and produces well-formed programs', () => {
    for (const p of corpus('3', 2000, 12)) {
      expect(p.calls.length).toBeGreaterThanOrEqual(1);
      expect(p.calls.length).toBeLessThanOrEqual(12);
      expect(validate(p)).toEqual([]);
    }
  });
});

describe('references follow the descriptions', () => {
  const progs = corpus('refs', 3000);
  it('every reference holds a kind its argument accepts (or a wrong kind it must reject), or an object size', () => {
    for (const p of progs)
      p.calls.forEach((c, k) => {
        c.args.forEach((a, j) => {
          if (a.kind !== 'ref') return;
          const d: ArgDesc = CALLS[c.op].args[j];
          const out = (CALLS[p.calls[a.call].op].outs as readonly OutDesc[]).find((o) => o.name === a.field)!;
          if (d.kind === 'int') {
            // only an object size stands in for an integer (mmap length = the object's size)
            expect(d.domain?.objectSize, `${c.op}.${d.name} at ${k}`).toBeGreaterThan(0);
            expect(out.kind).toBe('int');
            return;
          }
          const ok: readonly ResourceKind[] = [...(d.accepts ?? [d.kind as ResourceKind]), ...(d.wrong ?? [])];
          // a dup's output is typed fd but holds whatever it duplicated
          const held: ResourceKind[] = out.kindOf ? ['fd', 'dmabuf'] : [out.kind as ResourceKind];
          expect(held.some((h) => ok.includes(h)), `${c.op}.${d.name} ← ${p.calls[a.call].op}.${a.field}`).toBe(true);
        });
      });
  });
  it('a call whose resource does not exist yet gets its constructors inserted before it', () => {
    // an mmap into an empty program: open → create_dumb → map_dumb → mmap, mostly
    const chains = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const b = new ProgramBuilder(seededRand(`ctor:${i}`), { maxCalls: 24, devices: 2 });
      b.gen('mmap');
      const ops = b.calls.map((c) => c.op).join(' ');
      chains.set(ops, (chains.get(ops) ?? 0) + 1);
      expect(b.calls[b.calls.length - 1].op).toBe('mmap');
    }
    expect(chains.get('open create_dumb map_dumb mmap') ?? 0).toBeGreaterThan(250);
    // every kind can be constructed from nothing, and its shallowest constructor is core uapi
    for (const r of Object.values(RESOURCES)) expect(r.ctors.length, r.kind).toBeGreaterThan(0);
    expect(RESOURCES.handle.ctors.slice(0, 2).map((c) => c.op).sort()).toEqual(['create_dumb', 'ro_create']);
  });
  it('per-file resources are mostly used with their own file, sometimes with another (foreign)', () => {
    let own = 0;
    let other = 0;
    for (const p of progs)
      for (const c of p.calls) {
        if (c.op !== 'gem_close' && c.op !== 'map_dumb') continue;
        const [fd, h] = c.args;
        if (h.kind !== 'ref' || fd.kind !== 'ref') continue;
        const maker = p.calls[h.call];
        if (maker.op !== 'create_dumb') continue;
        const makerFd = maker.args[0];
        if (makerFd.kind === 'ref' && makerFd.call === fd.call) own++;
        else other++;
      }
    expect(own / (own + other)).toBeGreaterThan(0.85);
    expect(other / (own + other)).toBeGreaterThan(0.005);
  });
  it('stale resources are used too: a handle after its gem_close, an fd after its close', () => {
    let staleHandles = 0;
    let staleFds = 0;
    for (const p of progs) {
      const gone = new Set<string>();
      for (const c of p.calls) {
        const refs = c.args.flatMap((a) => (a.kind === 'ref' ? [`${a.call}.${a.field}`] : []));
        if (refs.some((r) => gone.has(r))) (c.op === 'close' || c.op === 'dup' || c.op === 'mmap' ? staleFds++ : staleHandles++);
        if ((c.op === 'gem_close' || c.op === 'destroy_dumb') && c.args[1].kind === 'ref') gone.add(`${c.args[1].call}.${c.args[1].field}`);
        if (c.op === 'close' && c.args[0].kind === 'ref') gone.add(`${c.args[0].call}.${c.args[0].field}`);
      }
    }
    expect(staleHandles).toBeGreaterThan(100);
    expect(staleFds).toBeGreaterThan(10);
  });
});

describe('CPU accesses come back to pages touched before', () => {
  it('about a third of reads and writes repeat an earlier access (same mapping, same offset)', () => {
    let accesses = 0;
    let repeats = 0;
    for (const p of corpus('5', 3000)) {
      const seen = new Set<string>();
      for (const c of p.calls) {
        if (c.op !== 'read' && c.op !== 'write') continue;
        const key = JSON.stringify([c.args[0], c.args[1]], (_, v) => (typeof v === 'bigint' ? v.toString() : v));
        if (seen.size) accesses++;
        if (seen.has(key)) repeats++;
        seen.add(key);
      }
    }
    // REACCESS = 0.35 of the accesses that have an earlier one, less coincidences lost to stale picks
    expect(repeats / accesses).toBeGreaterThan(0.25);
    expect(repeats / accesses).toBeLessThan(0.5);
  });
});

describe('integer domains reach their boundaries', () => {
  // the default devices' calls, and amdgpu's (generated only where a device offers them)
  const progs = [
    ...corpus('1', 20_000),
    ...Array.from({ length: 6000 }, (_, i) => programAt('1', i, 24, 2, { devices: ['amdgpu', 'vgem'] })),
    ...Array.from({ length: 4000 }, (_, i) => programAt('1', i, 24, 2, { devices: ['nvdla', 'vgem'] })),
    ...Array.from({ length: 3000 }, (_, i) => programAt('1', i, 24, 1, { devices: ['qxl'] })),
  ];
  const dumbs = progs.flatMap((p) => p.calls.map((c, k) => ({ p, c, k })).filter((x) => x.c.op === 'create_dumb'));
  const dims = dumbs.map(({ p, k }) => ({ w: litOf(p, k, 1), h: litOf(p, k, 2), bpp: litOf(p, k, 3) }));

  it('bpp values that are not a multiple of 8, like 3, appear', () => {
    expect(dims.filter((d) => d.bpp === 3n).length).toBeGreaterThan(500);
    expect(dims.filter((d) => d.bpp !== undefined && d.bpp % 8n !== 0n).length).toBeGreaterThan(dims.length / 4);
  });

  it('width·bpp lands next to 2^32 with bpp not a multiple of 8 (the shmem DIV_ROUND_UP wrap)', () => {
    const near = dims.filter((d) => d.w !== undefined && d.bpp !== undefined && d.bpp % 8n !== 0n && d.w * d.bpp >= U32_WRAP - 8n && d.w * d.bpp < U32_WRAP + 8n);
    expect(near.length).toBeGreaterThan(50);
    // the ones that wrap: width·bpp + 7 ≥ 2^32
    const wrapping = near.filter((d) => d.w! * d.bpp! + 7n >= U32_WRAP && d.w! * d.bpp! < U32_WRAP);
    expect(wrapping.length).toBeGreaterThan(20);
    // the known divergence's exact width: 0x55555553 · 3 = 0xFFFFFFF9
    expect(dims.some((d) => d.w === 0x5555_5553n && d.bpp === 3n)).toBe(true);
  });

  it('the core checks of drm_mode_create_dumb are straddled (spec §5)', () => {
    // bpp > U32_MAX − 8
    expect(dims.some((d) => d.bpp === 0xffff_fff7n)).toBe(true);
    expect(dims.some((d) => d.bpp === 0xffff_fff8n)).toBe(true);
    // cpp·width next to 2^32
    const cpp = (b: bigint) => (b + 7n) / 8n;
    expect(dims.some((d) => d.w !== undefined && d.bpp && d.bpp % 8n === 0n && d.bpp < 0x1000n && d.w * cpp(d.bpp) > U32_WRAP - 64n && d.w * cpp(d.bpp) <= U32_WRAP + 64n)).toBe(true);
    // height·stride next to 2^32: both sides of the height > U32_MAX/stride check
    const stride = (d: (typeof dims)[number]) => (d.w ?? 0n) * cpp(d.bpp ?? 0n);
    const hs = dims.filter((d) => d.h !== undefined && d.h > 1n && stride(d) > 0x10000n).map((d) => d.h! * stride(d));
    expect(hs.some((x) => x > U32_WRAP - 0x10000n && x < U32_WRAP)).toBe(true);
    expect(hs.some((x) => x >= U32_WRAP && x < U32_WRAP + 0x10_0000_0000n)).toBe(true);
  });

  it('every integer argument draws some boundary value of its domain', () => {
    const seen = new Map<string, Set<bigint>>();
    for (const p of progs)
      for (const c of p.calls)
        c.args.forEach((a, j) => {
          if (a.kind !== 'lit') return;
          const key = `${c.op}.${j}`;
          if (!seen.has(key)) seen.set(key, new Set());
          seen.get(key)!.add(a.value);
        });
    for (const op of OPS)
      CALLS[op].args.forEach((d: ArgDesc, j) => {
        if (d.kind !== 'int' || (d.domain?.edge ?? 0.05) === 0) return;
        const bs = boundaries(d);
        const hit = bs.filter((b) => seen.get(`${op}.${j}`)?.has(b));
        expect(hit.length, `${op}.${d.name}`).toBeGreaterThan(Math.min(3, bs.length - 1));
      });
  });

  it('the u64 wrap points appear in u64 fields, 32-bit fields stay within 32 bits', () => {
    const lens = progs.flatMap((p) => p.calls.flatMap((c, k) => (c.op === 'mmap' ? [litOf(p, k, 2)] : [])));
    for (const v of [0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 1n << 32n, (1n << 64n) - 1n]) expect(lens.includes(v), `0x${v.toString(16)}`).toBe(true);
    for (const p of progs)
      p.calls.forEach((c, k) =>
        CALLS[c.op].args.forEach((d: ArgDesc, j) => {
          const v = litOf(p, k, j);
          if (d.kind === 'int' && d.domain?.bits === 32 && v !== undefined && !(c.op === 'open' && j === 0)) expect(v < U32_WRAP, `${c.op}.${d.name}=${v}`).toBe(true);
        }),
      );
  });
});

describe('calls follow the devices that offer them', () => {
  it("a driver's calls appear only where one of the program's devices offers its uapi", () => {
    const count = (devices: DeviceName[], uapi: string) => {
      let n = 0;
      for (let i = 0; i < 400; i++) for (const c of programAt('u', i, 24, devices.length, { devices }).calls) if (CALLS[c.op].uapi === uapi) n++;
      return n;
    };
    expect(count(['vgem', 'vgem'], 'amdgpu')).toBe(0);
    expect(count(['bochs'], 'vgem')).toBe(0);
    expect(count(['amdgpu'], 'vgem')).toBe(0);
    expect(count(['amdgpu'], 'amdgpu')).toBeGreaterThan(1000);
    expect(count(['amdgpu', 'vgem'], 'vgem')).toBeGreaterThan(50);
  });
  it('on amdgpu, buffers are mostly constructed by GEM_CREATE (its ctorWeight), some by dumb create', () => {
    const made = { amdgpu_gem_create: 0, create_dumb: 0 };
    for (let i = 0; i < 400; i++)
      for (const c of programAt('c', i, 24, 1, { devices: ['amdgpu'] }).calls) if (c.op in made) made[c.op as keyof typeof made]++;
    expect(made.amdgpu_gem_create).toBeGreaterThan(made.create_dumb);
    expect(made.create_dumb).toBeGreaterThan(0);
  });
});
