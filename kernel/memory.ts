/**
 * Guest memory, which the model leaves out on purpose: how much RAM a program needs is a fact
 * of the machine, not of DRM semantics. Two kernel behaviours make it visible (kernel/FINDINGS.md,
 * "Guest memory"):
 * - shmem objects (vgem, cirrus) pin all their pages while they are mapped
 *   (drm_gem_shmem_mmap → drm_gem_shmem_get_pages; released by the last vm_close), so an mmap
 *   past the guest's free memory is ENOMEM (1 GiB guest: 768 MiB maps, 1 GiB or 2×512 MiB not);
 * - a TTM object (bochs) is populated whole at its first CPU fault (ttm_bo_vm_fault →
 *   ttm_tt_populate) and keeps its pages until it is destroyed; past the guest's memory the
 *   fault never finishes (2 GiB on the 1 GiB guest: no answer in 200 s, no OOM kill).
 * memoryDemand replays a program on the model and says, after each call, how many bytes those
 * two rules hold, so the kernel check can tell the machine's answers from the model's errors.
 */
import type { Program } from '../ir/program.ts';
import type { Outcome } from '../ir/outcome.ts';
import { resolveArgs } from '../ir/resolve.ts';
import { PROFILES } from '../ir/target.ts';
import { DEVICES } from '../model/devices.ts';
import { ModelSession } from '../model/model.ts';
import type { KernelDevice } from './target.ts';

import { GUEST_MEMORY_MIB } from './guest.ts'; // the guest's RAM (QEMU -m); kernel/guest.ts
export { GUEST_MEMORY_MIB };
/** Demand from which outcomes are the machine's: half the guest (the rest is the kernel, the
 * executor and the page cache). 768 MiB was seen to work, so this errs on the safe side. */
export const MEMORY_DEMAND_LIMIT = (GUEST_MEMORY_MIB / 2) * 1024 * 1024;

export interface Demand {
  /** shmem pages pinned by live mappings, in bytes */
  readonly pinned: number;
  /** TTM objects populated by a CPU fault and still alive, in bytes */
  readonly populated: number;
}

/** Memory held after each call of `p`, as the model sees the program. */
export function memoryDemand(p: Program, devices: readonly KernelDevice[]): Demand[] {
  const session = new ModelSession({ profile: PROFILES['linux-6.1'], devices });
  const s = session.state;
  const ttm = (dev: number) => !DEVICES[s.devices[dev].kind].mmapHoldsGemRef;
  const size = (id: number) => s.objects.get(id)?.size ?? 0;
  const faulted = new Set<number>(); // TTM objects a CPU access has populated
  const outcomes: Outcome[] = [];
  return p.calls.map((c, i) => {
    const args = resolveArgs(p, i, outcomes);
    // the mapping is looked up before the call: a munmap would remove it
    const before = c.op === 'read' || c.op === 'write' ? s.mappings.get(Number(args[0] ?? 0n)) : undefined;
    const o = session.exec(c.op, args);
    outcomes.push(o);
    // SIGSEGV never reaches the fault handler (protection); SIGBUS may have faulted pages first
    const reached = o.status === 'ok' || (o.status === 'sig' && o.signal === 'SIGBUS');
    if (before && reached && ttm(s.objects.get(before.obj)?.dev ?? 0)) faulted.add(before.obj);
    const pinnedObjs = new Set<number>();
    for (const m of s.mappings.values()) if (!ttm(s.objects.get(m.obj)?.dev ?? 0)) pinnedObjs.add(m.obj);
    let pinned = 0;
    for (const id of pinnedObjs) pinned += size(id);
    let populated = 0;
    for (const id of faulted) populated += size(id); // 0 once the object is gone
    return { pinned, populated };
  });
}

/** Why the program needs more memory than the guest has, or null. Past the guest's memory
 * the kernel's answer is the machine's: ENOMEM for a shmem mmap, then, as the failed pin
 * leaves its pages in the object's page cache, an OOM kill of the executor at the next one
 * (seen: a 3.5 GiB vgem object mapped twice); a TTM fault that never returns. */
export function exceedsGuestMemory(p: Program, devices: readonly KernelDevice[]): string | null {
  const d = memoryDemand(p, devices);
  const i = d.findIndex((x) => x.pinned >= MEMORY_DEMAND_LIMIT || x.populated >= MEMORY_DEMAND_LIMIT);
  if (i < 0) return null;
  const [what, bytes] = d[i]!.pinned >= MEMORY_DEMAND_LIMIT ? ['maps shmem objects', d[i]!.pinned] : ['faults TTM objects', d[i]!.populated];
  return `call ${i} ${what} of ${Math.round(bytes / 2 ** 20)} MiB in all (guest: ${GUEST_MEMORY_MIB} MiB)`;
}
