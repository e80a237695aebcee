// Success criterion: the device registry (ir/devices.ts) is the one list of device names and
// every layer has an entry for every name — at compile time (a table missing a name, or a
// name added without its entries, does not typecheck: the @ts-expect-error lines below fail
// `tsc` if it ever does) and at run time; an unknown device or profile anywhere is an error.
import { describe, expect, it } from 'vitest';
import { DEVICE_NAMES, DEVICES_REGISTRY, deviceParams, parseDeviceList, parseDevices, printDevices, type DeviceEntry, type DeviceList, type DeviceName, type DeviceTable } from '../ir/devices.ts';
import { ParseError, parseProgram } from '../ir/encoding.ts';
import { DEVICES } from '../model/devices.ts';
import { DRIVERS } from '../impl/drivers/index.ts';
import { GUEST_DEVICES } from '../kernel/guest.ts';
import { PROFILES } from '../ir/target.ts';

// @ts-expect-error a table without an entry for every registered name does not compile
const missing: DeviceTable<number> = { vgem: 1, bochs: 2 };
void missing;

// a throwaway name added to the registry: every layer's table then lacks its entry
type WithThrowaway = DeviceName | 'throwaway';
type TableOf<T> = { readonly [K in WithThrowaway]: T };
// @ts-expect-error the model's device facts have no entry for the new name
const model: TableOf<unknown> = DEVICES;
// @ts-expect-error impl's drivers have no entry for the new name
const impl: TableOf<unknown> = DRIVERS;
// @ts-expect-error the VM's guest devices have no entry for the new name
const vm: TableOf<unknown> = GUEST_DEVICES;
void model, impl, vm;

describe('device parameters ride on the device entry', () => {
  const withVram: DeviceTable<DeviceEntry> = { ...DEVICES_REGISTRY, bochs: { ...DEVICES_REGISTRY.bochs, params: { vram_mib: { doc: 'VRAM', min: 1, max: 256, default: 16 } } } };
  it('parses, checks ranges and names, and prints back', () => {
    const l = parseDevices('vgem,bochs:vram_mib=4', withVram);
    expect(l).toEqual({ devices: ['vgem', 'bochs'], params: [undefined, { vram_mib: 4 }] });
    expect(printDevices(l as DeviceList)).toBe('vgem bochs:vram_mib=4');
    expect(parseDevices('bochs:vram_mib=0x10', withVram)).toEqual({ devices: ['bochs'], params: [{ vram_mib: 16 }] });
    expect(parseDevices('bochs:vram_mib=0', withVram)).toMatch(/vram_mib=0 is outside 1\.\.256/);
    expect(parseDevices('bochs:vram=4', withVram)).toMatch(/has no parameter 'vram' \(it has: vram_mib\)/);
    expect(parseDevices('bochs:vram_mib=4:vram_mib=5', withVram)).toMatch(/given twice/);
    expect(parseDevices('vgem:x=1')).toMatch(/device vgem has no parameter 'x' \(it has none\)/);
    expect(parseDevices('vgem:x')).toMatch(/'x' is not key=integer/);
    expect(parseDevices('vgem vgem')).toEqual({ devices: ['vgem', 'vgem'] });
  });
});

describe('device registry', () => {
  it('every registered name has an entry in every layer, and no layer has more', () => {
    for (const table of [DEVICES_REGISTRY, DEVICES, DRIVERS, GUEST_DEVICES] as const) {
      expect(Object.keys(table).sort()).toEqual([...DEVICE_NAMES].sort());
      for (const n of DEVICE_NAMES) expect(table[n]).toBeDefined();
    }
  });
  it('every driver builds for every profile and names itself after its registry entry', () => {
    for (const n of DEVICE_NAMES) for (const p of Object.values(PROFILES)) expect(DRIVERS[n](p, deviceParams(n, undefined), DEVICES_REGISTRY[n].quirks ?? []).name).toBe(n);
  });
  it('an unknown device or profile is an error with its location, not a fallback', () => {
    expect(parseDeviceList('vgem,cirrus')).toEqual(['vgem', 'cirrus']);
    expect(parseDeviceList('vgem vgme')).toMatch(/unknown device 'vgme'/);
    expect(parseDeviceList('')).toMatch(/no device/);
    const bad = (src: string) => {
      try {
        parseProgram(src);
      } catch (e) {
        return e instanceof ParseError ? `${e.where}: ${e.reason}` : `not a ParseError: ${e}`;
      }
      return 'parsed';
    };
    expect(bad('# devices: vgem vgme\nr0 = open(0, primary)\n')).toMatch(/^1:12: # devices: unknown device 'vgme'/);
    expect(bad('\n# profile: linux-9\nr0 = open(0, primary)\n')).toMatch(/^2:12: # profile: unknown profile 'linux-9'/);
    expect(bad('{"format":"gemcheck-program/1","meta":{"devices":["nope"]},"calls":[]}')).toMatch(/^\$\.meta\.devices: unknown device 'nope'/);
    expect(bad('{"format":"gemcheck-program/1","meta":{"profile":"linux-2.4"},"calls":[]}')).toMatch(/^\$\.meta\.profile: unknown profile/);
    expect(bad('# gemcheck program v2\nr0 = open(0, primary)\n')).toMatch(/^1:1: unsupported program format v2/);
  });
});
