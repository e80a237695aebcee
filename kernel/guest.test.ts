// Success criterion: the VM declines, with a reason, exactly the programs whose calls belong to
// a driver uapi no guest device offers (amdgpu's), and the executor's op table covers the rest.
import { describe, expect, it } from 'vitest';
import { CALLS, OPS } from '../ir/calls.ts';
import { parseText } from '../ir/encoding.ts';
import { GUEST_CALLS, GUEST_QEMU_ARGS, GUEST_UAPI, guestCallsProblem, guestDevicesProblem, qxlQemu } from './guest.ts';
import { guestQemuArgsFor, KernelTarget } from './target.ts';
import { PROFILES } from '../ir/target.ts';

describe('what the VM can run', () => {
  it('offers core and the guest devices’ uapis, not amdgpu’s or NVDLA’s', () => {
    expect([...GUEST_UAPI].sort()).toEqual(['core', 'qxl', 'vgem']);
    expect(Object.keys(GUEST_CALLS).sort()).toEqual(OPS.filter((op) => CALLS[op].uapi !== 'amdgpu' && CALLS[op].uapi !== 'nvdla').sort());
  });
  it('declines NVDLA programs (no QEMU device runs NVDLA), naming the call or the device', () => {
    const p = parseText('r0 = open(0, render)\nr1 = nvdla_gem_create(r0.fd, 4096, 0)\n');
    expect(guestCallsProblem(p)).toMatch(/call 1 \(nvdla_gem_create\) is nvdla uapi/);
    expect(guestDevicesProblem(['nvdla'])).toMatch(/no QEMU device runs NVDLA/);
    expect(guestDevicesProblem(['nvdla-upstream', 'vgem'])).toMatch(/no QEMU device runs NVDLA/);
  });
  it('declines a program with an amdgpu call, naming the call', () => {
    const p = parseText('r0 = open(0, render)\nr1 = amdgpu_ctx_alloc(r0.fd)\n');
    expect(guestCallsProblem(p)).toMatch(/call 1 \(amdgpu_ctx_alloc\) is amdgpu uapi/);
    expect(guestCallsProblem(parseText('r0 = open(0, render)\nr1 = create_dumb(r0.fd, 1, 1, 32, 0)\n'))).toBeNull();
  });
  it('has a qxl whose parameters are its QEMU options', () => {
    expect(guestDevicesProblem(['qxl'])).toBeNull();
    expect(qxlQemu({ ram_size_mb: 32, vram_size_mb: 2 })).toEqual(['-device', 'qxl,ram_size_mb=32,vgamem_mb=8,vram_size_mb=2']);
    expect(guestQemuArgsFor({ profile: PROFILES['linux-6.1'], devices: ['qxl'], deviceParams: [{ ram_size_mb: 64 }] }).join(' ')).toContain('qxl,ram_size_mb=64,vgamem_mb=8,vram_size_mb=1');
    expect(guestQemuArgsFor({ profile: PROFILES['linux-6.1'], devices: ['vgem'] })).toEqual(GUEST_QEMU_ARGS);
    expect(new KernelTarget().unsupported({ profile: PROFILES['linux-6.1'], devices: ['qxl'], deviceParams: [{ ram_size_mb: 32 }] })).toBeNull();
  });
  it('has no amdgpu device, and says why', () => {
    expect(guestDevicesProblem(['amdgpu'])).toMatch(/no QEMU device runs amdgpu/);
    expect(guestDevicesProblem(['vgem', 'cirrus'])).toBeNull();
  });
});
