/**
 * The resource kinds (syzkaller's ResourceDesc{Values, Ctors}): for each kind, the value a
 * dangling reference resolves to, the raw special values generation uses when it does not
 * reference a live resource, and how eagerly a missing one is constructed. The constructors
 * themselves are not listed here: resourceTable() derives them from the call table's outputs.
 */
import type { CallDesc, ResourceKind } from './types.ts';

export interface ResourceDesc {
  readonly doc: string;
  /** What a reference resolves to when its producer failed or is gone (executor/PROTOCOL.md). */
  readonly invalid: bigint;
  /** Raw values used instead of a live resource: invalid numbers and edges of the namespace. */
  readonly special: readonly bigint[];
  /** With no live resource of this kind: how often a constructor is inserted (else a special value). */
  readonly construct: number;
  /** With live ones: how often a new one is constructed anyway. */
  readonly fresh: number;
}

/** Handle-like u32 ids: the first ids idr_alloc(…, 1, 0) hands out, 0 (never valid), and the
 * u32/int edges (handles and names are u32 in the uapi structs, ids are int in the idr). */
const ID_SPECIALS = [0n, 1n, 2n, 3n, 0xffff_ffffn, 0x8000_0000n, 0x7fff_ffffn] as const;
/** fds: -1 (closed), 0-2 (the executor's stdio, which programs see as closed), small numbers
 * that may name some other live fd, and one at or above the fd limit (900, the executor's). */
const FD_SPECIALS = [-1n, 0n, 2n, 3n, 4n, 5n, 7n, 1000n] as const;

export const RESOURCE_DESCS: Readonly<Record<ResourceKind, ResourceDesc>> = {
  fd: { doc: 'a DRM file (card or render node)', invalid: -1n, special: FD_SPECIALS, construct: 1, fresh: 0.05 },
  dmabuf: { doc: 'a dma-buf file exported by PRIME', invalid: -1n, special: FD_SPECIALS, construct: 0.7, fresh: 0 },
  handle: { doc: "a GEM handle in one drm_file's object_idr", invalid: 0n, special: ID_SPECIALS, construct: 0.7, fresh: 0 },
  name: { doc: "a flink name in the device's object_name_idr", invalid: 0n, special: ID_SPECIALS, construct: 0.5, fresh: 0 },
  offset: {
    doc: 'a fake mmap offset (drm_vma_offset_manager), in bytes',
    invalid: 0n,
    // 0, the first offset (DRM_FILE_PAGE_OFFSET_START << PAGE_SHIFT = 4 GiB) and a few pages
    // past it, one not page aligned, one below the range, and one at the top of off_t
    special: [0n, 0x1_0000_0000n, 0x1_0000_1000n, 0x1_0000_4000n, 0x1_0000_0800n, 0x1000n, 0xffff_ffff_ffff_f000n],
    construct: 0.8,
    fresh: 0,
  },
  map: {
    doc: "one of the executor's mappings, numbered from 1 (executor/PROTOCOL.md)",
    invalid: 0n,
    special: [0n, 1n, 2n, 5n, 0xffff_ffff_ffff_ffffn],
    construct: 0.8,
    fresh: 0,
  },
  magic: { doc: "a client's auth magic (drm_file.magic)", invalid: 0n, special: ID_SPECIALS, construct: 0.5, fresh: 0 },
  fence: { doc: "a vgem fence id in the file's fence_idr", invalid: 0n, special: ID_SPECIALS, construct: 0.5, fresh: 0 },
  ctx: { doc: "an amdgpu context id in the file's ctx_mgr idr", invalid: 0n, special: ID_SPECIALS, construct: 1, fresh: 0.03 },
  // amdgpu_ctx_get_fence: 0 and ~0 (the latest) are special, sequences start at 1
  seq: { doc: "an amdgpu job's sequence number on a context's gfx ring", invalid: 0n, special: [0n, 1n, 2n, 40n, 0xffff_ffff_ffff_ffffn], construct: 0.7, fresh: 0 },
};

export const RESOURCE_KINDS = Object.keys(RESOURCE_DESCS) as ResourceKind[];

export function isResourceKind(k: string): k is ResourceKind {
  return Object.prototype.hasOwnProperty.call(RESOURCE_DESCS, k);
}

/** A call that produces a resource kind, and how deep its chain of constructors is. */
export interface Ctor {
  readonly op: string;
  /** the output field that holds the resource */
  readonly out: string;
  /** calls needed to make it from nothing, itself included (open: 1, create_dumb: 2, …) */
  readonly depth: number;
}

export interface Resource extends ResourceDesc {
  readonly kind: ResourceKind;
  /** every call that produces this kind, shallowest first */
  readonly ctors: readonly Ctor[];
}

/** The resource kind a call's output produces when its input is of kind `given`. */
function producedKinds(desc: CallDesc, outName: string): ResourceKind[] {
  const out = desc.outs.find((o) => o.name === outName)!;
  if (out.kind === 'int') return [];
  if (!out.kindOf) return [out.kind];
  const a = desc.args.find((x) => x.name === out.kindOf)!;
  return [...(a.accepts ?? [a.kind as ResourceKind])];
}

/**
 * Constructors of every kind, from the call table's outputs. A call's depth as a constructor of
 * kind K is 1 + the deepest resource it needs (a kindOf output needs an input of K itself, so a
 * dup is never the shallowest way to get anything). Computed as a fixpoint.
 */
export function resourceTable(calls: Readonly<Record<string, CallDesc>>): Readonly<Record<ResourceKind, Resource>> {
  const depth = new Map<ResourceKind, number>(RESOURCE_KINDS.map((k) => [k, Infinity]));
  const needs = (desc: CallDesc, out: string, k: ResourceKind): ResourceKind[] => {
    const o = desc.outs.find((x) => x.name === out)!;
    return desc.args.flatMap((a): ResourceKind[] => {
      if (a.kind === 'int') return [];
      return a.name === o.kindOf ? [k] : [a.kind];
    });
  };
  const ctorDepth = (desc: CallDesc, out: string, k: ResourceKind) => 1 + Math.max(0, ...needs(desc, out, k).map((n) => depth.get(n)!));
  for (let changed = true; changed; ) {
    changed = false;
    for (const desc of Object.values(calls))
      for (const o of desc.outs)
        for (const k of producedKinds(desc, o.name)) {
          const d = ctorDepth(desc, o.name, k);
          if (d < depth.get(k)!) {
            depth.set(k, d);
            changed = true;
          }
        }
  }
  const table = {} as Record<ResourceKind, Resource>;
  for (const kind of RESOURCE_KINDS) {
    const ctors: Ctor[] = [];
    for (const [op, desc] of Object.entries(calls))
      for (const o of desc.outs) if (producedKinds(desc, o.name).includes(kind)) ctors.push({ op, out: o.name, depth: ctorDepth(desc, o.name, kind) });
    ctors.sort((a, b) => a.depth - b.depth);
    table[kind] = { ...RESOURCE_DESCS[kind], kind, ctors };
  }
  return table;
}
