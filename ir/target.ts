/**
 * The target contract: what model/, impl/ and the kernel target all implement (syzkaller's
 * pkg/fuzzer/queue Request → Result with a status). A target runs a batch of programs under a
 * configuration and answers each with its outcomes, a status, and — for targets that can look
 * inside themselves — the self-check violations it saw after each call and at exit. Errors are
 * values; a target never throws for a program's sake. In-process targets also offer a
 * synchronous fast path over the same Session.
 */
import type { OpName } from './calls.ts';
import type { DeviceName, DeviceParams } from './devices.ts';
import type { Outcome } from './outcome.ts';
import type { Program } from './program.ts';

export type ProfileName = 'linux-6.1' | 'linux-5.10';

/** Kernel-version differences, as data (each flag names the kernel change it stands for). */
export interface Profile {
  readonly name: ProfileName;
  /** drm_gem_mmap checks drm_vma_offset_node.readonly (v4.19..v5.13; removed by
   * "drm/vma: Add a driver_private member to vma_node." in v5.14). */
  readonly readonlyNodes: boolean;
  /** Devices that offer it get gemcheck's RO_CREATE ioctl (nr 0x43), standing in for
   * i915 userptr READ_ONLY, the in-tree user of read-only nodes. */
  readonly roCreateIoctl: boolean;
  /** amdgpu mmap through the legacy amdgpu_mmap → ttm_bo_mmap path (≤5.13: non-exact offset
   * lookup, EINVAL when none, then amdgpu_verify_access), instead of drm_gem_mmap + the GEM
   * object's mmap (≥5.14, "drm/amdgpu: switch to drm_gem_ttm_mmap"-era). */
  readonly amdgpuLegacyMmap: boolean;
  /** AMDGPU_GEM_CREATE_DISCARDABLE is in GEM_CREATE's whitelist (added in 5.19). */
  readonly amdgpuDiscardable: boolean;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  'linux-6.1': { name: 'linux-6.1', readonlyNodes: false, roCreateIoctl: false, amdgpuLegacyMmap: false, amdgpuDiscardable: true },
  'linux-5.10': { name: 'linux-5.10', readonlyNodes: true, roCreateIoctl: true, amdgpuLegacyMmap: true, amdgpuDiscardable: false },
};
export const DEFAULT_PROFILE: ProfileName = 'linux-6.1';

export function isProfileName(s: string): s is ProfileName {
  return Object.prototype.hasOwnProperty.call(PROFILES, s);
}

export interface TargetConfig {
  readonly profile: Profile;
  /** open(dev=i) opens devices[i]; other indices do not exist (ENOENT). */
  readonly devices: readonly DeviceName[];
  /** Per-device parameters by device index (ir/devices.ts ParamDesc); absent = defaults. */
  readonly deviceParams?: DeviceParams;
}

/** A self-check failure a target reports about itself (the kernel's WARN_ON, in data). */
export interface Violation {
  /** the invariant's name, stable across runs (part of a failure's signature) */
  readonly invariant: string;
  readonly message: string;
}

/** A violation and when it was seen: after call `index`, or at exit (index = calls.length). */
export interface SelfCheckReport {
  readonly index: number;
  readonly violations: readonly Violation[];
}

/**
 * How a program's run ended. `ok`: every call answered. `hang`, `oops`, `died`: the target
 * itself failed (a finding, with `reason`); `not-run`: the target declined the program before
 * running it (a limit it states in `reason`); `interrupted`: the run was aborted by the user.
 */
export type ProgramStatus = 'ok' | 'hang' | 'oops' | 'died' | 'not-run' | 'interrupted';

export interface ProgramResult {
  readonly status: ProgramStatus;
  /** one per call that answered (all of them when status is ok) */
  readonly outcomes: readonly Outcome[];
  /** the first self-check report after a call, if any, then the exit report, if any */
  readonly selfCheck: readonly SelfCheckReport[];
  /** why the status is not ok: a limit, the kernel's console excerpt, … */
  readonly reason?: string;
  /** supporting text for a finding (e.g. the console log) */
  readonly log?: string;
}

/** One program's worth of state on an in-process target. */
export interface Session {
  exec(op: OpName, args: readonly bigint[]): Outcome;
  /** Introspection: violations of the target's own invariants, after a call. */
  selfCheck?(): readonly Violation[];
  /** Process exit: tear everything down and report what remained or went wrong. */
  exit?(): readonly Violation[];
}

export interface Target {
  /** a stable name for reports: 'model', 'impl', 'impl+keep-name', 'kernel' */
  readonly name: string;
  /** Why this target cannot run programs under `cfg` (a usage error), or null. */
  unsupported(cfg: TargetConfig): string | null;
  /** Runs a batch; resolves with one result per program, in order. Never rejects for a
   * program's sake; an aborted signal makes the remaining results `interrupted`. */
  run(programs: readonly Program[], cfg: TargetConfig, signal?: AbortSignal): Promise<ProgramResult[]>;
  /** The synchronous fast path of in-process targets (same results as run). */
  runSync?(program: Program, cfg: TargetConfig): ProgramResult;
  /** Gets ready before a run is timed (a VM boots); resolves with what it did, for the log. */
  start?(signal?: AbortSignal): Promise<string | undefined>;
  /** Lines the target adds to a run's summary (e.g. a VM's boot time). */
  notes?(): readonly string[];
  /** Releases what the target holds (a VM, temp files); idempotent. */
  close(): Promise<void>;
}
