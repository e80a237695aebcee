/**
 * The call description table: every call a gemcheck program can make, its positional
 * arguments (with the kind of resource each one takes, or the domain an integer draws from)
 * and its output fields (with the kind of resource each one produces). Generation, mutation,
 * minimization, printing, parsing, resolution and the executor's wire format are all driven
 * by this one table (syzkaller's sys/ descriptions, in miniature).
 *
 * The descriptions are split by uapi, as syzkaller splits sys/linux/dev_*.txt: calls/core.ts
 * (core DRM ioctls and the VFS calls), calls/vgem.ts (vgem's driver ioctls and gemcheck's
 * RO_CREATE), calls/amdgpu.ts (amdgpu's GEM, context, CS and wait ioctls), calls/nvdla.ts (NVDLA's GEM and submit ioctls), calls/qxl.ts (qxl's alloc and map ioctls), calls/resources.ts (the resource kinds); this module assembles them.
 */
import { CORE_CALLS } from './calls/core.ts';
import { resourceTable, type Resource } from './calls/resources.ts';
import type { CallDesc, OutDesc, ResourceKind, ValueKind } from './calls/types.ts';
import { VGEM_CALLS } from './calls/vgem.ts';
import { AMDGPU_CALLS } from './calls/amdgpu.ts';
import { NVDLA_CALLS } from './calls/nvdla.ts';
import { QXL_CALLS } from './calls/qxl.ts';

export type { Uapi, ArgDesc, CallDesc, Factor, IntDomain, OutDesc, Product, ResourceKind, SymbolSet, Typical, ValueKind } from './calls/types.ts';
export { RESOURCE_KINDS, isResourceKind, type Ctor, type Resource, type ResourceDesc } from './calls/resources.ts';

export const CALLS = { ...CORE_CALLS, ...VGEM_CALLS, ...AMDGPU_CALLS, ...NVDLA_CALLS, ...QXL_CALLS } as const satisfies Record<string, CallDesc>;

export type OpName = keyof typeof CALLS;
export const OPS = Object.keys(CALLS) as OpName[];

/** Each resource kind with its constructors, derived from CALLS. */
export const RESOURCES: Readonly<Record<ResourceKind, Resource>> = resourceTable(CALLS);

export function isOp(s: string): s is OpName {
  return Object.prototype.hasOwnProperty.call(CALLS, s);
}

/** The value a reference resolves to when its producer failed or is gone (PROTOCOL.md). */
export function invalidValue(kind: ValueKind): bigint {
  return kind === 'int' ? 0n : RESOURCES[kind].invalid;
}

export function outDesc(op: OpName, field: string): OutDesc | undefined {
  return (CALLS[op].outs as readonly OutDesc[]).find((o) => o.name === field);
}
