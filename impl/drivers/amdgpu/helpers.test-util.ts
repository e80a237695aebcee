/** Test helper: amdgpu programs on a live ImplSession (text form, ir/encoding.ts). */
import { parseText } from '../../../ir/encoding.ts';
import type { DeviceName } from '../../../ir/devices.ts';
import type { Outcome } from '../../../ir/outcome.ts';
import { resolveArgs } from '../../../ir/resolve.ts';
import { PROFILES, type ProfileName, type Violation } from '../../../ir/target.ts';
import type { DrmFile } from '../../core/drm_file.ts';
import type { FaultName } from '../../faults.ts';
import { ImplSession } from '../../process.ts';
import type { AmdgpuBo } from './bo.ts';

export interface AmdRun {
  readonly s: ImplSession;
  readonly out: Outcome[];
  /** self-check violations collected after every call */
  readonly violations: Violation[];
  /** runs more calls on the same session (results appended to out) */
  more(src: string): Outcome[];
  bo(fd: number, handle: number): AmdgpuBo;
}

export interface AmdOptions {
  devices?: DeviceName[];
  params?: Record<string, number>[];
  profile?: ProfileName;
  faults?: FaultName[];
}

/** The device these tests were written against unless they give params: 8 MiB VRAM, 2 MiB
 * visible, 16 MiB GTT (larger than the registry's default, which is small so programs evict). */
const LARGE = { vram_kib: 8192, visible_kib: 2048, gtt_kib: 16384 };

export function amd(src: string, o: AmdOptions = {}): AmdRun {
  const devices = o.devices ?? ['amdgpu'];
  const params = o.params ?? devices.map((d) => (d === 'amdgpu' ? LARGE : {}));
  const s = new ImplSession(
    { profile: PROFILES[o.profile ?? 'linux-6.1'], devices, deviceParams: params },
    new Set(o.faults ?? []),
  );
  const out: Outcome[] = [];
  const violations: Violation[] = [];
  let text = '';
  const more = (more: string): Outcome[] => {
    const start = out.length;
    text += `\n${more}`;
    const p = parseText(text);
    for (let i = start; i < p.calls.length; i++) {
      out.push(s.exec(p.calls[i].op, resolveArgs(p, i, out)));
      violations.push(...s.selfCheck());
    }
    return out.slice(start);
  };
  more(src);
  return { s, out, violations, more, bo: (fd, h) => (s.fds.lookup(fd)!.priv as DrmFile).objectIdr.find(h) as AmdgpuBo };
}

/** The outcome as a short string: "ok k=v …", "E<errno>", or the signal. */
export function show(o: Outcome): string {
  if (o.status === 'err') return `E${o.errno}`;
  if (o.status === 'sig') return o.signal;
  if (o.status !== 'ok') return o.status;
  return ['ok', ...Object.entries(o.out).map(([k, v]) => `${k}=${v}`)].join(' ');
}
