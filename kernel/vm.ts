// Boots Debian's 6.1 kernel under QEMU (TCG) and streams gemcheck programs through the
// executor in the guest (executor/PROTOCOL.md). One boot serves many programs; a hang, an
// oops (kernel taint) or a dead guest becomes a finding and the VM is rebooted.
//
// Channels: the kernel console is ttyS0 on QEMU's stdout; programs go over a virtio-serial
// port backed by a unix socket (about 4x the throughput of a second 8250 port under TCG).
//
// Lifetime: QEMU runs under kernel/reaper.sh, in a session of its own, so a terminal's Ctrl-C
// (sent to the whole foreground process group) never reaches it; the reaper holds a pipe from
// this process and SIGKILLs QEMU and removes its temp dir when the pipe reaches EOF, so QEMU
// dies with node whatever kills node, SIGKILL included. Interruption is data: an AbortSignal
// given to runPrograms/runBinary kills the guest at once and marks what did not finish
// `interrupted`, never a finding.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GUEST_MEMORY_MIB, GUEST_NODES, GUEST_QEMU_ARGS } from './guest.ts';
import { kernelPaths, QEMU_BINARY, type KernelPaths } from './paths.ts';
import {
  devTableLines,
  ExecCollector,
  LineSplitter,
  parseExecLine,
  ResultCollector,
  type DevEntry,
  type ExecLine,
  type ExecStatus,
  type RawProgramResult,
} from './wire.ts';
import { binaryNameFor, compileStatic, type CompileOptions } from './compile.ts';

/** Size of the executor's device table (MAX_DEVS in gemcheck-exec.c). */
export const EXECUTOR_MAX_DEVS = 16;

export interface ProgramInput {
  id: number;
  /** Call lines in protocol form, without `prog`/`end`. */
  lines: readonly string[];
}

export interface KernelFinding {
  /** hang: no answer within the timeout; oops: the kernel got tainted (WARN/BUG/oops) or
   *  printed one before dying; died: the guest or the executor stopped with no oops seen. */
  kind: 'hang' | 'oops' | 'died';
  programId: number;
  reason: string;
  /** Kernel console since the boot that ran the program. */
  consoleLog: string;
}

export interface VmProgramResult extends RawProgramResult {
  finding?: KernelFinding;
  /** The run was aborted (RunOptions.signal) before this program finished: `results` holds
   *  the calls that answered, if any, and there is no finding. Not a verdict on the kernel. */
  interrupted?: true;
}

export interface RunOutput {
  /** One entry per input program, in input order. */
  results: VmProgramResult[];
  findings: KernelFinding[];
  /** Set when the signal aborted the run: some results are `interrupted`. */
  interrupted?: true;
}

export interface RunOptions {
  /** Aborting it stops the guest at once (SIGKILL: the next run boots a fresh one); what has
   *  not finished is reported `interrupted`, and nothing that happens to the guest from then
   *  on is a finding. */
  signal?: AbortSignal;
}

export interface KernelVmOptions {
  paths?: KernelPaths;
  memoryMiB?: number;
  bootTimeoutMs?: number;
  /** A program that has not finished this long after it became the oldest in flight hangs. */
  programTimeoutMs?: number;
  /** Programs sent ahead of the one running; hides the channel round trip. */
  window?: number;
  /** Print driver/device diagnostics (dmesg excerpts) to the console at boot. */
  diag?: boolean;
  /** Executor writes each result at once (not at done): a hang then shows the call it was in.
   *  Costs about 30% throughput. */
  flushEachCall?: boolean;
  /** Command that stands for qemu-system-x86_64 (tests use a fake: [node, script]). */
  qemuCommand?: readonly string[];
  extraAppend?: string;
  /** QEMU arguments after the guest's registered devices (e.g. `-device qxl,…` for a probe). */
  extraQemuArgs?: readonly string[];
  /** The registered devices' QEMU arguments (default GUEST_QEMU_ARGS; other device parameters). */
  guestQemuArgs?: readonly string[];
  onConsoleLine?: (line: string) => void;
}

export interface VmStats {
  boots: number;
  bootMs: number[];
  programs: number;
  findings: number;
}

/** Lines on the console that mean the kernel hit a bug. */
export const OOPS_PATTERN =
  /(Oops|BUG:|WARNING:|Kernel panic|general protection fault|kernel BUG at|UBSAN:|KASAN:|list_(add|del) corruption|refcount_t:|------------\[ cut here \]------------)/;

const CONSOLE_CAP = 1 << 20;
const FRAMING = /^\s*(prog|end|quit|dev)(\s|$)/;

type GuestEvent =
  | { t: 'line'; line: ExecLine }
  | { t: 'closed'; why: string }
  | { t: 'timeout' }
  | { t: 'aborted' };

/** The watchdog QEMU runs under (see its header). */
export const REAPER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reaper.sh');

const liveGuests = new Set<Guest>();
let exitHookInstalled = false;
function trackGuest(g: Guest): void {
  liveGuests.add(g);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // the reaper would do the same once node is gone; this is sooner, and synchronous
    process.once('exit', () => {
      for (const q of liveGuests) q.killNow();
    });
  }
}

/** Why the reaper ended: it exits with QEMU's status (128+n: QEMU was killed by signal n). */
function exitWhy(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `qemu exited (${signal})`; // the whole group was killed
  if (code !== null && code > 128 && code < 128 + 65) {
    const name = Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0];
    return `qemu exited (${name ?? `signal ${code - 128}`})`;
  }
  if (code === 126 || code === 127) return `qemu exited (code ${code}: cannot run the command)`;
  return `qemu exited (code ${code})`;
}

/** One QEMU process: its console, its program channel and an event queue. */
class Guest {
  console = '';
  oopsSeen = false;
  private events: GuestEvent[] = [];
  private waiter: ((e: GuestEvent) => void) | null = null;
  private sock: net.Socket | null = null;
  private closed = false;
  private consoleSplit = new LineSplitter();
  private lastConsoleAt = Date.now();
  readonly exited: Promise<void>;

  /** `proc` is kernel/reaper.sh (its pid is the process group of the reaper and QEMU); its
   *  'close' comes once QEMU is gone too (QEMU holds the stdout pipe until it dies). */
  constructor(
    readonly proc: ChildProcess,
    private readonly server: net.Server,
    readonly tmpDir: string,
    private readonly onConsoleLine?: (line: string) => void,
  ) {
    trackGuest(this);
    proc.stdin?.on('error', () => undefined); // EPIPE once the reaper is gone
    proc.stdout?.setEncoding('latin1');
    proc.stdout?.on('data', (s: string) => this.onConsole(s));
    proc.stderr?.setEncoding('latin1');
    proc.stderr?.on('data', (s: string) => this.onConsole(s.replace(/^/gm, '[qemu] ')));
    this.exited = new Promise((resolve) => {
      proc.once('close', (code, signal) => {
        liveGuests.delete(this);
        this.emit({ t: 'closed', why: exitWhy(code, signal) });
        resolve();
      });
    });
    server.on('connection', (s) => {
      if (this.sock) {
        s.destroy();
        return;
      }
      this.sock = s;
      s.setEncoding('latin1');
      const split = new LineSplitter();
      s.on('data', (chunk: string) => {
        for (const l of split.push(chunk)) this.emit({ t: 'line', line: parseExecLine(l) });
      });
      s.on('close', () => this.emit({ t: 'closed', why: 'program channel closed' }));
      s.on('error', () => undefined); // close follows
    });
  }

  private onConsole(s: string): void {
    this.lastConsoleAt = Date.now();
    this.console += s;
    if (this.console.length > CONSOLE_CAP) this.console = this.console.slice(-CONSOLE_CAP);
    for (const l of this.consoleSplit.push(s)) {
      if (OOPS_PATTERN.test(l)) this.oopsSeen = true;
      this.onConsoleLine?.(l);
    }
  }

  private emit(e: GuestEvent): void {
    if (e.t === 'closed') {
      if (this.closed) return;
      this.closed = true;
    }
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(e);
    } else {
      this.events.push(e);
    }
  }

  /** The next event; `timeout` after timeoutMs, `aborted` as soon as the signal is (queued
   *  events come first: they arrived before). */
  next(timeoutMs: number, signal?: AbortSignal): Promise<GuestEvent> {
    const e = this.events.shift();
    if (e) return Promise.resolve(e);
    if (signal?.aborted) return Promise.resolve({ t: 'aborted' });
    return new Promise((resolve) => {
      const done = (ev: GuestEvent) => {
        this.waiter = null;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(ev);
      };
      const onAbort = () => done({ t: 'aborted' });
      const timer = setTimeout(() => done({ t: 'timeout' }), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = done;
    });
  }

  send(text: string): void {
    this.sock?.write(text);
  }

  /** Wait until the console has been quiet for quietMs (an oops prints in bursts), at most
   *  maxMs, or until the signal is aborted. */
  async settleConsole(quietMs = 300, maxMs = 3000, signal?: AbortSignal): Promise<void> {
    const end = Date.now() + maxMs;
    while (Date.now() < end && Date.now() - this.lastConsoleAt < quietMs && !signal?.aborted) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL the reaper's process group (the reaper, its watcher and QEMU) and end the pipe
   *  (should the reaper be gone already, its watcher then kills QEMU). Synchronous. */
  private killGroup(): void {
    this.proc.stdin?.destroy();
    // once node has reaped the reaper its pid (the group id) may be reused: leave it alone
    if (this.proc.pid === undefined || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** At process exit: kill and clean up without waiting. */
  killNow(): void {
    this.killGroup();
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }

  async kill(): Promise<void> {
    this.sock?.destroy();
    this.server.close();
    this.killGroup();
    await this.exited;
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }

  /** Ask the executor to quit (the guest powers off); kill after graceMs. */
  async quit(graceMs = 5000): Promise<void> {
    this.send('quit\n');
    const t = setTimeout(() => this.killGroup(), graceMs);
    await this.exited;
    clearTimeout(t);
    await this.kill();
  }
}

interface InFlight {
  input: ProgramInput;
}

export class KernelVm {
  private guest: Guest | null = null;
  private sentDevTable: string | null = null;
  private busy = false;
  private nextExecId = 1;
  private readonly opts: Required<Omit<KernelVmOptions, 'onConsoleLine' | 'extraAppend'>> &
    Pick<KernelVmOptions, 'onConsoleLine' | 'extraAppend'>;
  readonly stats: VmStats = { boots: 0, bootMs: [], programs: 0, findings: 0 };

  constructor(options: KernelVmOptions = {}) {
    this.opts = {
      paths: options.paths ?? kernelPaths(),
      memoryMiB: options.memoryMiB ?? GUEST_MEMORY_MIB,
      bootTimeoutMs: options.bootTimeoutMs ?? 120_000,
      programTimeoutMs: options.programTimeoutMs ?? 30_000,
      window: Math.max(1, options.window ?? 32),
      diag: options.diag ?? false,
      flushEachCall: options.flushEachCall ?? false,
      qemuCommand: options.qemuCommand ?? [QEMU_BINARY],
      onConsoleLine: options.onConsoleLine,
      extraAppend: options.extraAppend,
      extraQemuArgs: options.extraQemuArgs ?? [],
      guestQemuArgs: options.guestQemuArgs ?? GUEST_QEMU_ARGS,
    };
  }

  /** Console of the current boot (empty when no guest is up). */
  get consoleLog(): string {
    return this.guest?.console ?? '';
  }

  get running(): boolean {
    return this.guest !== null;
  }

  /** Process group of the running guest (its reaper's pid; QEMU is in it), or null. */
  get pid(): number | null {
    return this.guest?.proc.pid ?? null;
  }

  /** Temp dir of the running guest (its program socket), or null. Removed with the guest. */
  get tmpDir(): string | null {
    return this.guest?.tmpDir ?? null;
  }

  /**
   * Boot the guest and wait for the executor's `ready`. Resolves to the boot time in ms.
   * Aborting the signal kills the booting guest and rejects with the signal's reason.
   */
  /** Boots the guest; false if the signal aborted the boot (a failed boot still throws). */
  private async bootUnlessAborted(signal: AbortSignal | undefined): Promise<boolean> {
    try {
      await this.start({ signal });
      return true;
    } catch (e) {
      if (signal?.aborted) return false;
      throw e;
    }
  }

  async start(opts: RunOptions = {}): Promise<number> {
    if (this.guest) return 0;
    const { signal } = opts;
    signal?.throwIfAborted();
    const t0 = Date.now();
    const { paths } = this.opts;
    for (const f of [paths.vmlinuz, paths.initramfs]) {
      if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm run kernel:setup`);
    }
    const [cmd, ...pre] = this.opts.qemuCommand;
    if (!cmd) throw new Error('qemuCommand is empty');
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gemcheck-vm-'));
    const sockPath = path.join(tmpDir, 'prog.sock');
    const append = [
      'console=ttyS0',
      'quiet',
      'panic=-1', // with -no-reboot a panic ends QEMU, which we see
      'gemcheck.chan=virtio',
      this.opts.diag ? 'gemcheck.diag=1' : '',
      this.opts.flushEachCall ? 'gemcheck.flush=each' : '',
      this.opts.extraAppend ?? '',
    ]
      .filter(Boolean)
      .join(' ');
    const args = [
      '-accel', 'tcg',
      '-m', String(this.opts.memoryMiB),
      '-smp', '1',
      '-nodefaults',
      '-no-user-config',
      '-display', 'none',
      '-no-reboot',
      '-kernel', paths.vmlinuz,
      '-initrd', paths.initramfs,
      '-append', append,
      '-chardev', 'stdio,id=con,signal=off',
      '-serial', 'chardev:con',
      '-chardev', `socket,id=prog,path=${sockPath}`,
      '-device', 'virtio-serial-pci,id=vs',
      '-device', 'virtserialport,bus=vs.0,chardev=prog,name=gemcheck',
      ...this.opts.guestQemuArgs,
      ...this.opts.extraQemuArgs,
    ];
    // the reaper first, in the same tick as the temp dir: from here on, node's death removes
    // it. It starts QEMU once told `go` (QEMU connects to the socket at once).
    const proc = spawn('/bin/sh', [REAPER_SCRIPT, tmpDir, cmd, ...pre, ...args], {
      detached: true, // a session of its own: no terminal signal reaches QEMU
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const server = net.createServer();
    const guest = new Guest(proc, server, tmpDir, this.opts.onConsoleLine);
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(sockPath, () => resolve());
      });
    } catch (e) {
      await guest.kill();
      throw e;
    }
    proc.stdin?.write('go\n');
    const deadline = t0 + this.opts.bootTimeoutMs;
    for (;;) {
      const ev = await Promise.race([
        guest.next(deadline - Date.now(), signal),
        spawnError.then((e): GuestEvent => ({ t: 'closed', why: `cannot start /bin/sh ${REAPER_SCRIPT}: ${e.message}` })),
      ]);
      if (ev.t === 'line' && ev.line.type === 'ready') break;
      if (ev.t === 'line') continue; // nothing else is expected before ready
      await guest.kill();
      if (ev.t === 'aborted') signal?.throwIfAborted();
      const why = ev.t === 'timeout' ? `no ready within ${this.opts.bootTimeoutMs} ms` : ev.t === 'closed' ? ev.why : 'aborted';
      throw new Error(`kernel VM failed to boot: ${why}\n--- console ---\n${guest.console.slice(-4000)}`);
    }
    this.guest = guest;
    this.sentDevTable = null;
    const ms = Date.now() - t0;
    this.stats.boots++;
    this.stats.bootMs.push(ms);
    return ms;
  }

  /**
   * Run programs through one boot (rebooting only after a finding). Ids must be unique within
   * the batch. Each program starts with fresh fds (the executor closes everything at `end`).
   * When opts.signal is aborted (before or during the run) the guest is killed at once and
   * every program that had not finished comes back `interrupted`, without a finding.
   */
  async runPrograms(
    batch: readonly ProgramInput[],
    devTable: readonly DevEntry[] = GUEST_NODES,
    opts: RunOptions = {},
  ): Promise<RunOutput> {
    if (this.busy) throw new Error('KernelVm.runPrograms is already running: one batch at a time');
    this.busy = true;
    try {
      return await this.runBatch(batch, devTable, opts.signal);
    } catch (e) {
      // a protocol error leaves programs half-sent: the next batch starts from a fresh boot
      await this.guest?.kill();
      this.guest = null;
      throw e;
    } finally {
      this.busy = false;
    }
  }

  private async runBatch(batch: readonly ProgramInput[], devTable: readonly DevEntry[], signal?: AbortSignal): Promise<RunOutput> {
    const ids = new Set<number>();
    for (const p of batch) {
      if (!Number.isSafeInteger(p.id) || p.id < 0) throw new Error(`program id ${p.id} is not a non-negative integer`);
      if (ids.has(p.id)) throw new Error(`program id ${p.id} appears twice in the batch`);
      ids.add(p.id);
      for (const l of p.lines) {
        if (l.includes('\n') || FRAMING.test(l)) throw new Error(`program ${p.id}: line ${JSON.stringify(l)} is not a call line`);
      }
    }
    if (devTable.length > EXECUTOR_MAX_DEVS) throw new Error(`at most ${EXECUTOR_MAX_DEVS} devices`);
    // entries past the table are cleared, so a smaller table never leaves stale paths behind
    const padded = [...devTable, ...Array.from({ length: EXECUTOR_MAX_DEVS - devTable.length }, () => ({ primary: null, render: null }))];
    const devText = devTableLines(padded).join('\n') + '\n';
    const done = new Map<number, VmProgramResult>();
    const findings: KernelFinding[] = [];
    const pending: ProgramInput[] = [...batch];
    let inflight: InFlight[] = [];
    let collector = new ResultCollector();
    let headSince = Date.now();

    const finish = (r: VmProgramResult) => {
      done.set(r.id, r);
      this.stats.programs++;
    };
    // after a finding: the guest goes, unfinished programs are sent again after the reboot
    const dropGuest = async () => {
      await this.guest?.kill();
      this.guest = null;
      pending.unshift(...inflight.map((f) => f.input));
      inflight = [];
    };
    const report = (f: KernelFinding, partial: RawProgramResult) => {
      findings.push(f);
      this.stats.findings++;
      finish({ ...partial, finding: f });
    };
    // aborted: the guest goes at once; what did not finish is interrupted, whatever the guest
    // did meanwhile (killed because of the abort, it would look dead or hung)
    const interrupt = async (): Promise<RunOutput> => {
      await this.guest?.kill();
      this.guest = null;
      const head = inflight[0];
      const partial = head ? collector.pending() : null;
      const results = batch.map((p): VmProgramResult => {
        const r = done.get(p.id);
        if (r) return r;
        if (partial && p.id === head?.input.id && partial.id === p.id) return { ...partial, interrupted: true };
        return { id: p.id, results: [], interrupted: true };
      });
      return { results, findings, interrupted: true };
    };

    while (pending.length > 0 || inflight.length > 0) {
      if (signal?.aborted) return interrupt();
      if (!this.guest) {
        if (!(await this.bootUnlessAborted(signal))) return interrupt();
        collector = new ResultCollector();
      }
      const guest = this.guest;
      if (!guest) throw new Error('kernel VM is not running');
      if (this.sentDevTable !== devText) {
        guest.send(devText);
        this.sentDevTable = devText;
      }
      let text = '';
      while (inflight.length < this.opts.window && pending.length > 0) {
        const p = pending.shift() as ProgramInput;
        if (inflight.length === 0) headSince = Date.now();
        inflight.push({ input: p });
        text += `prog ${p.id}\n${p.lines.map((l) => l + '\n').join('')}end\n`;
      }
      if (text) guest.send(text);

      const head = inflight[0] as InFlight;
      const ev = await guest.next(headSince + this.opts.programTimeoutMs - Date.now(), signal);
      if (ev.t === 'aborted') return interrupt();
      if (ev.t === 'line') {
        const l = ev.line;
        if (l.type === 'bad' && l.id === null) throw new Error(`executor refused input: ${l.message}`);
        if (l.type === 'invalid') throw new Error(`executor sent an unparsable line (${l.reason}): ${l.text}`);
        if ((l.type === 'res' || l.type === 'done' || l.type === 'bad' || l.type === 'taint') && l.id !== head.input.id) {
          throw new Error(`executor reported program ${l.id} while ${head.input.id} was running`);
        }
        const r = collector.push(l);
        if (!r) continue;
        inflight.shift();
        headSince = Date.now();
        if (r.taint === undefined) {
          finish(r);
          continue;
        }
        // it finished and the executor saw the taint: a finding even if an abort comes now
        await guest.settleConsole(300, 3000, signal);
        report(
          { kind: 'oops', programId: r.id, reason: `kernel tainted (tainted=${r.taint})`, consoleLog: guest.console },
          r,
        );
        await dropGuest();
        continue;
      }
      // the head program hung, or the guest died under it
      await guest.settleConsole(300, 3000, signal);
      // unless the console shows an oops, a guest that stops while we are being interrupted
      // is not judged: the interruption may be what stopped it
      if (signal?.aborted && !guest.oopsSeen) return interrupt();
      const partial = collector.pending() ?? { id: head.input.id, results: [] };
      inflight.shift();
      const kind: KernelFinding['kind'] = guest.oopsSeen ? 'oops' : ev.t === 'timeout' ? 'hang' : 'died';
      const reason =
        ev.t === 'timeout' ? `no done within ${this.opts.programTimeoutMs} ms` : ev.why;
      report({ kind, programId: head.input.id, reason, consoleLog: guest.console }, partial);
      await dropGuest();
    }
    return { results: batch.map((p) => done.get(p.id) as VmProgramResult), findings };
  }

  /**
   * Upload a static binary into the guest (booting it if needed) and run it there, between
   * programs and through the same boot (executor/PROTOCOL.md "Standalone binaries"). A hang,
   * a dead guest, an oops or a kernel taint while it ran becomes a finding (programId: the
   * exec's id) and the guest is dropped, so the next call boots a fresh one. Throws
   * BinaryRefusedError if the executor will not run it (e.g. not an executable), Error on a
   * protocol error (the guest is dropped then too). Aborting opts.signal kills the guest at
   * once: the result is then `interrupted` (output so far, no finding).
   */
  async runBinary(bytes: Uint8Array, opts: BinaryRunOptions = {}): Promise<BinaryRunResult> {
    const name = opts.name ?? 'repro';
    if (!BINARY_NAME.test(name) || name === '.' || name === '..') {
      throw new Error(`binary name ${JSON.stringify(name)} is not [A-Za-z0-9_.-]{1,64}`);
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_BINARY_TIMEOUT_MS;
    if (!(timeoutMs > 0) || timeoutMs > 86_400_000) throw new Error(`binary timeout ${timeoutMs} ms is not in (0, 1 day]`);
    if (bytes.length === 0) throw new Error('the binary is empty');
    if (this.busy) throw new Error('KernelVm is busy: one batch or binary at a time');
    this.busy = true;
    try {
      return await this.execBinary(bytes, name, Math.ceil(timeoutMs / 1000), opts.signal); // the executor counts whole seconds
    } catch (e) {
      if (!(e instanceof BinaryRefusedError)) {
        await this.guest?.kill();
        this.guest = null;
      }
      throw e;
    } finally {
      this.busy = false;
    }
  }

  /** compileStatic (a C file, or source text if it has a newline), then runBinary. */
  async runC(cFileOrSource: string, opts: BinaryRunOptions & CompileOptions = {}): Promise<BinaryRunResult> {
    const bytes = compileStatic(cFileOrSource, opts);
    const name = opts.name ?? binaryNameFor(cFileOrSource.includes('\n') ? undefined : cFileOrSource);
    return this.runBinary(bytes, { ...opts, name });
  }

  private async execBinary(bytes: Uint8Array, name: string, secs: number, signal?: AbortSignal): Promise<BinaryRunResult> {
    const interrupted = async (partial?: { output: string[]; status?: ExecStatus }): Promise<BinaryRunResult> => {
      await this.guest?.kill();
      this.guest = null;
      return { output: partial?.output ?? [], status: partial?.status ?? { kind: 'none' }, interrupted: true };
    };
    if (signal?.aborted) return interrupted();
    if (!this.guest && !(await this.bootUnlessAborted(signal))) return interrupted();
    const guest = this.guest;
    if (!guest) throw new Error('kernel VM is not running');
    const id = this.nextExecId++;
    const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
    let text = `file ${name}\n`;
    for (let i = 0; i < hex.length; i += HEX_PER_LINE) text += `data ${hex.slice(i, i + HEX_PER_LINE)}\n`;
    text += `exec ${id} ${name} ${secs}\n`;
    guest.send(text);
    const sentAt = Date.now();

    // the upload, the binary's own timeout, then as long as a program may take
    const deadline = sentAt + uploadAllowanceMs(bytes.length) + secs * 1000 + this.opts.programTimeoutMs;
    const collector = new ExecCollector();
    for (;;) {
      const ev = await guest.next(deadline - Date.now(), signal);
      if (ev.t === 'aborted') return interrupted(collector.pending() ?? undefined);
      if (ev.t === 'line') {
        const l = ev.line;
        if (l.type === 'invalid') throw new Error(`executor sent an unparsable line (${l.reason}): ${l.text}`);
        if (l.type === 'ready' || l.type === 'res') throw new Error(`executor sent ${l.type} while exec ${id} was running`);
        if (l.id !== null && l.id !== id) throw new Error(`executor reported ${l.type} ${l.id} while exec ${id} was running`);
        const r = collector.push(l);
        if (!r) continue;
        if (r.bad !== undefined || r.uploadErrors.length > 0) {
          const why = [...r.uploadErrors.map((m) => `upload: ${m}`), ...(r.bad !== undefined ? [r.bad] : [])].join('; ');
          throw new BinaryRefusedError(`executor refused binary ${name}: ${why}`);
        }
        const result: BinaryRunResult = { output: r.output, status: r.status };
        if (r.taint === undefined) return result;
        await guest.settleConsole(300, 3000, signal);
        return this.binaryFinding(result, { kind: 'oops', programId: id, reason: `kernel tainted (tainted=${r.taint}) while binary ${name} ran`, consoleLog: guest.console });
      }
      // the binary (or the guest) hung, or the guest died under it
      await guest.settleConsole(300, 3000, signal);
      const partial = collector.pending();
      if (signal?.aborted && !guest.oopsSeen) return interrupted(partial ?? undefined);
      const kind: KernelFinding['kind'] = guest.oopsSeen ? 'oops' : ev.t === 'timeout' ? 'hang' : 'died';
      const reason = ev.t === 'timeout' ? `no done within ${Date.now() - sentAt} ms of sending binary ${name} (its timeout: ${secs} s)` : ev.why;
      return this.binaryFinding(
        { output: partial?.output ?? [], status: partial?.status ?? { kind: 'none' } },
        { kind, programId: id, reason, consoleLog: guest.console },
      );
    }
  }

  /** A finding while a binary ran: count it, drop the guest (the next call reboots). */
  private async binaryFinding(result: BinaryRunResult, finding: KernelFinding): Promise<BinaryRunResult> {
    this.stats.findings++;
    await this.guest?.kill();
    this.guest = null;
    return { ...result, finding };
  }

  async stop(): Promise<void> {
    const g = this.guest;
    this.guest = null;
    if (g) await g.quit();
  }
}

// ---- standalone binaries (runBinary / runC) ----

export interface BinaryRunOptions {
  /** Kill the binary after this long (rounded up to whole seconds; default 60 s). */
  timeoutMs?: number;
  /** Its file name in the guest's /tmp, [A-Za-z0-9_.-]{1,64} (default `repro`). */
  name?: string;
  /** Aborting it kills the guest at once; the result is then `interrupted` (RunOptions). */
  signal?: AbortSignal;
}

export interface BinaryRunResult {
  /** What it printed (stdout and stderr), one entry per line, as the executor relayed it. */
  output: string[];
  /** `none` when it never finished: see finding (or interrupted). */
  status: ExecStatus;
  finding?: KernelFinding;
  /** The signal aborted the run before the binary finished: output so far, no finding. */
  interrupted?: true;
}

/** The executor would not run the binary (bad upload, not an executable, …); the guest is fine. */
export class BinaryRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BinaryRefusedError';
  }
}

const BINARY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const DEFAULT_BINARY_TIMEOUT_MS = 60_000;
/** Hex digits per data line: 2000 bytes, well inside the executor's 4096-byte lines. */
const HEX_PER_LINE = 4000;

/** How long an upload of n bytes may take (2 hex digits a byte), at a pessimistic rate. */
function uploadAllowanceMs(n: number): number {
  return 2_000 + Math.ceil((n * 2) / 500_000) * 1000; // 500 kB of hex a second (TCG does ~10 MB/s)
}
