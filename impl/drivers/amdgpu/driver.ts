/** amdgpu (simulated; docs/amdgpu.md). PROVISIONAL: the driver table is being built. */
import type { DrmDriver } from '../../hooks.ts';

export function amdgpuDriver(): DrmDriver {
  return { name: 'amdgpu', features: { render: true, prime: true }, ioctls: {} };
}
