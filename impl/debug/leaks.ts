/**
 * Exit self-checks: after process teardown (exit_mmap, every fd closed) only what in-kernel
 * clients hold may remain — no objects, offsets, names or dma-bufs.
 */
import type { DebugReport } from '../hooks.ts';
import type { DebugSubject } from './world.ts';

export function checkLeaks(s: DebugSubject, v: DebugReport): void {
  if (s.fds.fds.size || s.mm.vmas.size) v('no-leaks', `${s.fds.fds.size} fds and ${s.mm.vmas.size} mappings survive the teardown`);
  for (const d of s.kernel.devices) {
    const left = d.objects.size - d.kernelRefs.size;
    if (left) v('no-leaks', `device ${d.index}: ${left} objects left`);
    const nodes = [...d.vmaOffsetManager.liveNodes()].length - d.kernelRefs.size;
    if (nodes) v('no-leaks', `device ${d.index}: ${nodes} offsets left`);
    if (d.objectNameIdr.size) v('no-leaks', `device ${d.index}: ${d.objectNameIdr.size} names left`);
  }
  if (s.kernel.dmabufs.size) v('no-leaks', `${s.kernel.dmabufs.size} dma-bufs left`);
}
