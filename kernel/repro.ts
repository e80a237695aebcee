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
import type { DeviceName } from '../ir/devices.ts';
import { encodeProgram } from './encode.ts';
import { GUEST_DEVICES } from './guest.ts';
import { devTableLines, type DevEntry } from './wire.ts';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

/** Where a device of a program's list is opened: the VM's nodes; amdgpu (absent from the VM)
 * at the usual first render node of a machine that has one. */
function nodes(d: DeviceName): DevEntry {
  const g = GUEST_DEVICES[d];
  return 'nodes' in g ? g.nodes : { primary: '/dev/dri/card0', render: '/dev/dri/renderD128' };
}

const cString = (s: string): string => JSON.stringify(s).replace(/\?/g, '\\?');

export function reproSource(p: Program, executorSource = readFileSync(join(repoRoot, 'executor', 'gemcheck-exec.c'), 'utf8')): string {
  const devices = p.meta.devices ?? ['vgem'];
  const lines = [...devTableLines(devices.map(nodes)), 'prog 0', ...encodeProgram(p), 'end', 'quit'];
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

int main(void) {
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
