// Success criteria for the call descriptions: the uapi tables are disjoint and assemble into
// CALLS; every name a description mentions (owner, kindOf, sizeFrom, product factors) exists;
// every integer argument has a domain; every consumed resource kind has a constructor, derived
// from the outputs, with the depths the chains have.
import { describe, expect, it } from 'vitest';
import { CALLS, OPS, RESOURCES, RESOURCE_KINDS, invalidValue, type ArgDesc, type CallDesc, type ResourceKind } from '../calls.ts';
import { IOCTLS } from '../ioctls.ts';
import { CORE_CALLS } from './core.ts';
import { resourceTable } from './resources.ts';
import { VGEM_CALLS } from './vgem.ts';
import { AMDGPU_CALLS } from './amdgpu.ts';
import { NVDLA_CALLS } from './nvdla.ts';
import { QXL_CALLS } from './qxl.ts';

const descs = Object.entries(CALLS) as [string, CallDesc][];

describe('call tables', () => {
  it('split by uapi, disjoint, and assembled whole', () => {
    const tables = { core: Object.keys(CORE_CALLS), vgem: Object.keys(VGEM_CALLS), amdgpu: Object.keys(AMDGPU_CALLS), nvdla: Object.keys(NVDLA_CALLS), qxl: Object.keys(QXL_CALLS) };
    const all = Object.values(tables).flat();
    expect(new Set(all).size).toBe(all.length); // disjoint
    expect([...OPS].sort()).toEqual([...all].sort());
    for (const [uapi, ops] of Object.entries(tables)) for (const op of ops) expect(CALLS[op as keyof typeof CALLS].uapi).toBe(uapi);
    // driver ioctls live in the driver's file (drm_ioctl.c: DRM_IOCTL_DEF_DRV)
    for (const [op, def] of Object.entries(IOCTLS)) expect(CALLS[op as keyof typeof CALLS].uapi !== 'core', op).toBe(def!.driver);
  });

  it('every name a description refers to exists, and every integer has a domain', () => {
    for (const [op, d] of descs) {
      expect(d.weight, op).toBeGreaterThan(0);
      const args = new Map(d.args.map((a) => [a.name, a]));
      const fdArg = (n: string | undefined) => n === undefined || args.get(n)?.kind === 'fd';
      expect(args.size, `${op}: argument names unique`).toBe(d.args.length);
      for (const a of d.args as readonly ArgDesc[]) {
        expect(fdArg(a.owner), `${op}.${a.name} owner`).toBe(true);
        if (a.kind !== 'int') continue;
        expect(a.domain, `${op}.${a.name} domain`).toBeDefined();
        for (const [, w] of a.domain!.typical) expect(Number.isInteger(w) && w > 0, `${op}.${a.name} weight`).toBe(true);
        for (const p of a.domain!.products ?? []) for (const f of p.factors) expect(args.get(f.arg)?.kind, `${op}.${a.name} × ${f.arg}`).toBe('int');
      }
      for (const o of d.outs) {
        expect(fdArg(o.owner), `${op}.${o.name} owner`).toBe(true);
        if (o.kindOf !== undefined) expect(args.get(o.kindOf)?.kind, `${op}.${o.name} kindOf`).not.toBe('int');
        if (o.sizeFrom !== undefined) expect(d.outs.some((x) => x.name === o.sizeFrom && x.kind === 'int') || args.get(o.sizeFrom)?.kind === 'int', `${op}.${o.name} sizeFrom`).toBe(true);
      }
    }
  });
});

describe('resources', () => {
  it('every kind has special values, and a constructor derived from the outputs', () => {
    for (const k of RESOURCE_KINDS) {
      const r = RESOURCES[k];
      expect(r.special.length, k).toBeGreaterThan(0);
      expect(r.ctors.length, k).toBeGreaterThan(0);
      for (const c of r.ctors) {
        const out = CALLS[c.op as keyof typeof CALLS].outs.find((o) => o.name === c.out);
        expect(out, `${k} ← ${c.op}.${c.out}`).toBeDefined();
      }
    }
    // consumed kinds are all produced somewhere
    const consumed = new Set(descs.flatMap(([, d]) => d.args.flatMap((a: ArgDesc) => (a.kind === 'int' ? [] : [a.kind, ...(a.accepts ?? [])]))));
    for (const k of consumed) expect(RESOURCES[k as ResourceKind].ctors.length, k).toBeGreaterThan(0);
  });

  it('constructor depths follow the chains (open → create_dumb → map_dumb → mmap)', () => {
    const depth = (k: ResourceKind) => RESOURCES[k].ctors[0];
    expect(depth('fd')).toEqual({ op: 'open', out: 'fd', depth: 1 });
    expect(depth('handle').depth).toBe(2);
    expect(depth('offset')).toEqual({ op: 'map_dumb', out: 'offset', depth: 3 });
    expect(depth('map')).toEqual({ op: 'mmap', out: 'map', depth: 4 });
    expect(depth('dmabuf')).toEqual({ op: 'prime_handle_to_fd', out: 'dmabuf', depth: 3 });
    // dup makes fds and dma-bufs, but only from one: never the shallowest
    expect(RESOURCES.dmabuf.ctors.map((c) => c.op)).toContain('dup');
    expect(RESOURCES.fd.ctors.map((c) => c.op)).toEqual(['open', 'dup']);
  });

  it('constructors are computed: a call added to a table becomes one', () => {
    const extra: CallDesc = { uapi: 'vgem', weight: 1, args: [{ name: 'fd', kind: 'fd' }], outs: [{ name: 'fence', kind: 'fence', owner: 'fd' }], doc: 'test' };
    const t = resourceTable({ ...CALLS, made_up: extra });
    expect(t.fence.ctors.map((c) => c.op)).toEqual(['made_up', 'fence_attach']);
  });

  it('invalid values: -1 for fds, 0 for the rest (PROTOCOL.md)', () => {
    expect(invalidValue('fd')).toBe(-1n);
    expect(invalidValue('dmabuf')).toBe(-1n);
    for (const k of ['handle', 'name', 'offset', 'map', 'magic', 'fence', 'int'] as const) expect(invalidValue(k)).toBe(0n);
  });
});
