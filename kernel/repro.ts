/**
 * C reproducers (syzkaller's pkg/csource / syz-prog2c): one self-contained C file per
 * program that performs the same calls with the same ioctl structs, mmap/munmap/mprotect and
 * the same write pattern and read digest — because it *is* the executor: the file embeds
 * executor/gemcheck-exec.c verbatim (its main renamed) and a main that feeds it the program
 * in the executor's own wire format (executor/PROTOCOL.md) from a memfd. It needs only libc
 * headers (no libdrm), compiles with `gcc -static`, and prints `res <k> ok …` / `err <errno>`
 * / `sig …` per call, exactly the lines the kernel target reads — so `gemcheck kernel exec
 * repro.c` in the VM shows what the kernel target reported.
 */
import { readFileSync } from 'node:fs';
import { printCall } from '../ir/encoding.ts';
import type { Program } from '../ir/program.ts';
import type { DeviceName, DeviceTable } from '../ir/devices.ts';
import { encodeProgram } from './encode.ts';
import { GUEST_DEVICES } from './guest.ts';
import { devTableLines, type DevEntry } from './wire.ts';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

/** Each device's DRM driver name (`drm_driver.name`, what DRM_IOCTL_VERSION reports) and
 * whether it has a render node (DRIVER_RENDER): how a repro finds the device on a machine
 * whose card numbering it cannot know (v6.1 drivers; nvdla/sw kmd/port/linux/nvdla_gem.c). */
export const DRM_DRIVERS: DeviceTable<{ readonly driver: string; readonly render: boolean }> = {
  vgem: { driver: 'vgem', render: true },
  bochs: { driver: 'bochs-drm', render: false },
  cirrus: { driver: 'cirrus', render: false },
  amdgpu: { driver: 'amdgpu', render: true },
  nvdla: { driver: 'nvdla', render: true },
  'nvdla-upstream': { driver: 'nvdla', render: true },
  qxl: { driver: 'qxl', render: false },
};

/**
 * Where each device of a program's list is opened. A list the VM can host keeps the VM's
 * fixed nodes (the repro then runs in the VM exactly as the kernel target ran the program).
 * A list with a device the VM has none of (amdgpu, NVDLA) is for another machine: every device
 * is found there by driver name (`drv:<name>[:<n>]`, executor/PROTOCOL.md), the n-th node of
 * a driver for its n-th occurrence in the list.
 */
export function reproNodes(devices: readonly DeviceName[]): DevEntry[] {
  if (devices.every((d) => 'nodes' in GUEST_DEVICES[d])) return devices.map((d) => (GUEST_DEVICES[d] as { nodes: DevEntry }).nodes);
  const seen = new Map<string, number>();
  return devices.map((d) => {
    const { driver, render } = DRM_DRIVERS[d];
    const n = seen.get(driver) ?? 0;
    seen.set(driver, n + 1);
    const spec = `drv:${driver}${n ? `:${n}` : ''}`;
    return { primary: spec, render: render ? spec : null };
  });
}

const cString = (s: string): string => JSON.stringify(s).replace(/\?/g, '\\?');

export function reproSource(p: Program, executorSource = readFileSync(join(repoRoot, 'executor', 'gemcheck-exec.c'), 'utf8')): string {
  const devices = p.meta.devices ?? ['vgem'];
  const table = reproNodes(devices);
  const lines = [...devTableLines(table), 'prog 0', ...encodeProgram(p), 'end', 'quit'];
  // devices found by driver name: the repro says so and stops when one is not there
  const wanted = table.flatMap((t, i) => (t.primary?.startsWith('drv:') ? [`  {${cString(t.primary.slice(4))}, ${cString(`device ${i} (${devices[i]})`)}},`] : []));
  const listing = p.calls.map((c, i) => ` *   ${i}: ${printCall({ op: c.op, args: c.args }, i)}`.replace(/\*\//g, '* /'));
  return `/*
 * gemcheck C reproducer: ${p.calls.length} calls on ${devices.join(', ')}${p.meta.profile ? ` (${p.meta.profile})` : ''}
${p.meta.signature ? ` * signature: ${p.meta.signature.replace(/\*\//g, '* /')}\n` : ''} * build: gcc -O1 -static -o repro repro.c     run: ./repro   (or: gemcheck kernel exec repro.c)
 * prints one line per call: res 0 <k> ok <field>=<value>… | err <errno> | sig <signal>
 *
${listing.join('\n')}
 *
 * What follows is gemcheck's executor (executor/gemcheck-exec.c) verbatim, then a main that
 * feeds it the program above in the executor's wire format (executor/PROTOCOL.md).
 */
#define main gemcheck_exec_main
/* ---- executor/gemcheck-exec.c ---- */
${executorSource}
/* ---- end of executor/gemcheck-exec.c ---- */
#undef main

static const char *const repro_lines[] = {
${lines.map((l) => `  ${cString(l)},`).join('\n')}
};

/* devices opened by driver name (DRM_IOCTL_VERSION), checked before the program runs */
static const struct { const char *spec, *what; } repro_devices[] = {
${[...wanted, '  {NULL, NULL},'].join('\n')}
};

int main(void) {
  for (size_t i = 0; repro_devices[i].spec; i++) {
    char path[64];
    if (find_drm_node(repro_devices[i].spec, 0, path, sizeof path)) {
      printf("repro: cannot open %s: no /dev/dri/card* node whose DRM driver (DRM_IOCTL_VERSION) is %s\\n",
             repro_devices[i].what, repro_devices[i].spec);
      return 2;
    }
  }
  int fd = (int)syscall(SYS_memfd_create, "gemcheck-repro", 0);
  if (fd < 0) {
    perror("memfd_create");
    return 2;
  }
  for (size_t i = 0; i < sizeof repro_lines / sizeof repro_lines[0]; i++) {
    size_t n = strlen(repro_lines[i]);
    if (write(fd, repro_lines[i], n) != (ssize_t)n || write(fd, "\\n", 1) != 1) {
      perror("write");
      return 2;
    }
  }
  if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, 0) < 0) {
    perror("memfd");
    return 2;
  }
  close(fd);
  char arg0[] = "repro", arg1[] = "--flush-each";
  char *argv[] = {arg0, arg1, NULL};
  return gemcheck_exec_main(2, argv);
}
`;
}
