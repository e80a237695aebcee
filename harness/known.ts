/**
 * Known divergences: each has a name, the reason it stays (KNOWN-DIVERGENCES.md at the
 * repository root), the targets it concerns, and a predicate over the program and the first
 * divergence. A known divergence is counted (with the program's index), not failed.
 */
import { i32 } from '../ir/ints.ts';
import type { Outcome } from '../ir/outcome.ts';
import type { Program } from '../ir/program.ts';
import { resolveArgs } from '../ir/resolve.ts';
import type { TargetConfig } from '../ir/target.ts';
import { Errno, MAP_PRIVATE, PROT_WRITE } from '../ir/uapi.ts';
import { IOCTLS, UNDESCRIBED_DRIVER_IOCTLS } from '../ir/ioctls.ts';
import { DEVICES_REGISTRY } from '../ir/devices.ts';
import { ModelSession } from '../model/model.ts';
import type { Divergence } from './compare.ts';

export interface KnownDivergence {
  readonly name: string;
  readonly why: string;
  /** the targets whose answers show it (by Target.name) */
  readonly on: readonly string[];
  matches(p: Program, d: Divergence, cfg: TargetConfig): boolean;
}


/** The handles the model's file holds paired with the dma-buf that call `index` imports
 * (drm_prime_file_private, as the model keeps it), replaying the program up to there. */
function primePairs(p: Program, index: number, cfg: TargetConfig): number[] {
  const session = new ModelSession(cfg);
  const outcomes: Outcome[] = [];
  for (let i = 0; i < index; i++) outcomes.push(session.exec(p.calls[i].op, resolveArgs(p, i, outcomes)));
  const [fd, dmabuf] = resolveArgs(p, index, outcomes);
  const s = session.state;
  const file = s.files.get(s.fds.get(i32(fd)) ?? -1);
  const buf = s.fds.get(i32(dmabuf));
  if (!file || file.kind !== 'drm' || buf === undefined) return [];
  return file.prime.filter((e) => e.dmabuf === buf).map((e) => e.handle);
}

/** The undescribed driver ioctl that call `index` runs on its fd's device, if any (replaying the program on the model up to there). */
function undescribedAlias(p: Program, index: number, cfg: TargetConfig): string | null {
  const def = IOCTLS[p.calls[index].op];
  if (!def?.driver) return null;
  const session = new ModelSession(cfg);
  const outcomes: Outcome[] = [];
  for (let i = 0; i < index; i++) outcomes.push(session.exec(p.calls[i].op, resolveArgs(p, i, outcomes)));
  const [fd] = resolveArgs(p, index, outcomes);
  const s = session.state;
  const file = s.files.get(s.fds.get(i32(fd)) ?? -1);
  if (!file || file.kind !== 'drm') return null;
  for (const u of DEVICES_REGISTRY[s.devices[file.dev].kind].uapi) {
    const name = UNDESCRIBED_DRIVER_IOCTLS[u]?.[def.nr];
    if (name) return name;
  }
  return null;
}

export const KNOWN: readonly KnownDivergence[] = [
  {
    name: 'private-writable-overcommit',
    on: ['kernel'],
    why:
      'mmap_region charges a private writable mapping against the commit limit ' +
      '(accountable_mapping, __vm_enough_memory) before f_op->mmap runs; with the VM\'s 1 GiB ' +
      'and no swap, a mapping near or above that size is ENOMEM instead of the driver\'s COW ' +
      'EINVAL. It depends on the machine\'s memory, not on DRM semantics.',
    matches(p, d) {
      const c = p.calls[d.index];
      if (c.op !== 'mmap' || d.right.status !== 'err' || d.right.errno !== Errno.ENOMEM) return false;
      const lit = (i: number) => (c.args[i].kind === 'lit' ? (c.args[i] as { value: bigint }).value : undefined);
      const flags = lit(4);
      const prot = lit(3);
      // the length may be a reference (an object's size): any private writable mapping the
      // model refused as COW is this case
      return flags === BigInt(MAP_PRIVATE) && prot !== undefined && (prot & BigInt(PROT_WRITE)) !== 0n && d.left.status === 'err' && d.left.errno === Errno.EINVAL;
    },
  },
  {
    name: 'prime-lookup-pair-order',
    on: ['kernel'],
    why:
      'one file can hold several (dma-buf, handle) pairs for one dma-buf (two handles to one ' +
      'object, both exported); drm_prime_lookup_buf_handle walks an rb-tree keyed by the dma_buf ' +
      'pointer alone, so which pair it finds depends on the tree shape, i.e. on kernel heap ' +
      'addresses: the same program answers either handle from run to run. The model takes the oldest.',
    matches(p, d, cfg) {
      const c = p.calls[d.index];
      if (c.op !== 'prime_fd_to_handle' || d.field !== 'handle' || d.left.status !== 'ok' || d.right.status !== 'ok') return false;
      const pairs = primePairs(p, d.index, cfg);
      return pairs.length >= 2 && pairs.includes(Number(d.right.out.handle)) && pairs.includes(Number(d.left.out.handle));
    },
  },
  {
    name: 'ioctl-number-alias',
    on: ['kernel'],
    why:
      'drm_ioctl dispatches driver ioctls by number: a call whose number the device\'s driver ' +
      'uses for an ioctl gemcheck does not describe runs that one on the call\'s struct ' +
      '(vgem FENCE_SIGNAL = QXL_EXECBUFFER 0x42, RO_CREATE = QXL_UPDATE_AREA 0x43 on qxl); the ' +
      'model has no semantics for it and says EINVAL (no table entry).',
    matches(p, d, cfg) {
      return d.left.status === 'err' && d.left.errno === Errno.EINVAL && undescribedAlias(p, d.index, cfg) !== null;
    },
  },
];

/** The known divergences that apply between two targets. */
export function knownBetween(a: string, b: string): KnownDivergence[] {
  return KNOWN.filter((k) => k.on.includes(a) || k.on.includes(b));
}
