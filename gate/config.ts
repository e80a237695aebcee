/**
 * The gate's jobs, as data: a JSON config (gate.config.json at the repository root is the
 * default; copy and edit it). Loading validates everything before anything runs; a problem is
 * a GateConfigError whose message is one line, `file:$.path: what` (or `file:line:col` for
 * JSON syntax). Device sets come from the registry (ir/devices.ts): `@each` is every device
 * alone, `@foreign-pairs` every two distinct devices that both do PRIME and of which one can
 * import the other's dma-bufs (model/devices.ts), in
 * registry order, so a device added to the registry is gated without editing the config; a
 * device with quirks (a driver's known bugs, e.g. nvdla-upstream) is left out and listed as
 * excluded, with why.
 */
import { readFileSync } from 'node:fs';
import { DEVICE_NAMES, DEVICES_REGISTRY, parseDevices, printDevices, type DeviceList, type DeviceName } from '../ir/devices.ts';
import { isProfileName, PROFILES, type ProfileName } from '../ir/target.ts';
import { DEVICES as MODEL_DEVICES } from '../model/devices.ts';
import { FAULTS, isFaultName, type FaultName } from '../impl/faults.ts';
import { KERNEL_PROFILE, KernelTarget } from '../kernel/target.ts';
import type { StageId } from './schema.ts';

export class GateConfigError extends Error {}

export const CONFIG_VERSION = 1;

export interface JobSpec {
  readonly stage: 'random' | 'canary' | 'kernel';
  readonly id: string;
  readonly reference: 'model';
  readonly candidate: 'impl' | 'kernel';
  readonly devices: DeviceList;
  readonly profile: ProfileName;
  /** programs per second of budget: the job runs floor(rate × budget s) programs, at least 1 */
  readonly rate: number;
}

export interface StageSpec {
  readonly jobs: readonly JobSpec[];
  /** device sets a rule expanded to that the stage's target cannot run, and why */
  readonly excluded: readonly { readonly devices: string; readonly reason: string }[];
}

export interface GateConfig {
  readonly file: string;
  readonly version: number;
  readonly maxCalls: number;
  readonly faults: readonly FaultName[];
  /** corpus folders, resolved against the config file's folder; absent: the stage is not configured */
  readonly corpus?: readonly string[];
  readonly random?: StageSpec;
  readonly canary?: StageSpec;
  readonly kernel?: StageSpec;
}

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every device set a registry rule names, in registry order, quirked devices included. */
function allRuleSets(rule: '@each' | '@foreign-pairs'): DeviceName[][] {
  if (rule === '@each') return DEVICE_NAMES.map((d) => [d]);
  const prime = DEVICE_NAMES.filter((d) => MODEL_DEVICES[d].prime);
  return prime.flatMap((a, i) => prime.slice(i + 1).filter((b) => foreignImports(a, b) || foreignImports(b, a)).map((b) => [a, b]));
}

/** Whether `importer` can import a dma-buf `exporter` made: a pair where neither can (qxl:
 * no import_sg_table, no get_sg_table) has no foreign import to gate. */
function foreignImports(importer: DeviceName, exporter: DeviceName): boolean {
  const i = MODEL_DEVICES[importer];
  return !i.noForeignImport && !i.foreignImportErrno && !MODEL_DEVICES[exporter].foreignExportErrno;
}

/** Why a device set is not gated by a rule: a device with quirks (ir/quirks.ts) reproduces a
 * driver's known bugs, so the check is meant to fail on it (`gemcheck check --device` shows
 * them); gating it would fail every run. Written out in the config, it is gated like any set. */
export function quirkedReason(devices: readonly DeviceName[]): string | null {
  const q = devices.filter((d) => DEVICES_REGISTRY[d].quirks?.length);
  return q.length ? `${q.join(', ')} has known bugs switched on (${q.map((d) => DEVICES_REGISTRY[d].quirks!.length).join(', ')} quirks, ir/quirks.ts): not a conformance target` : null;
}

/** `@quirked`: every device with quirks alone (the canary stage's rule). */
export function quirkedDeviceSets(): DeviceName[][] {
  return DEVICE_NAMES.filter((d) => quirkedReason([d]) !== null).map((d) => [d]);
}

/** Device sets of the registry rules, in registry order: conformant devices only. */
export function ruleDeviceSets(rule: '@each' | '@foreign-pairs'): DeviceName[][] {
  return allRuleSets(rule).filter((s) => quirkedReason(s) === null);
}

export const jobId = (stage: StageId, candidate: string, devices: DeviceList, profile: string) => `${stage}/${candidate}/${printDevices(devices).replace(/ /g, '+')}/${profile}`;

/** Where JSON text first goes wrong (JSON.parse does not always say): a strict scan of the
 * grammar; returns `line:col` of the offending character, or null if the text is JSON. */
export function jsonErrorAt(src: string): string | null {
  let i = 0;
  class Bad extends Error {}
  const ws = () => {
    while (i < src.length && ' \t\n\r'.includes(src[i])) i++;
  };
  const bad = (): never => {
    throw new Bad();
  };
  const lit = (w: string) => (src.startsWith(w, i) ? (i += w.length) : bad());
  const str = () => {
    i++;
    while (i < src.length && src[i] !== '"') {
      if (src.charCodeAt(i) < 0x20) bad();
      if (src[i] === '\\') {
        i++;
        if (src[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(src.slice(i + 1, i + 5))) bad();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(src[i] ?? 'x')) bad();
      }
      i++;
    }
    if (src[i] !== '"') bad();
    i++;
  };
  const value = (): void => {
    ws();
    const c = src[i];
    if (c === '{') {
      i++;
      ws();
      if (src[i] === '}') return void i++;
      for (;;) {
        ws();
        if (src[i] !== '"') bad();
        str();
        ws();
        if (src[i] !== ':') bad();
        i++;
        value();
        ws();
        if (src[i] === ',') i++;
        else if (src[i] === '}') return void i++;
        else bad();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (src[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (src[i] === ',') i++;
        else if (src[i] === ']') return void i++;
        else bad();
      }
    }
    if (c === '"') return str();
    if (c === 't') return void lit('true');
    if (c === 'f') return void lit('false');
    if (c === 'n') return void lit('null');
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i));
    if (!m) bad();
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < src.length) bad();
    return null;
  } catch (e) {
    if (!(e instanceof Bad)) throw e;
    const before = src.slice(0, i);
    const line = before.split('\n').length;
    return `${line}:${i - before.lastIndexOf('\n')}`;
  }
}

export function loadGateConfig(file: string, display = file): GateConfig {
  let src: string;
  try {
    src = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GateConfigError(`${display}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
  let raw: Json;
  try {
    raw = JSON.parse(src);
  } catch (e) {
    const m = (e as Error).message.split('\n')[0];
    const short = /^(Unexpected (?:token '?.'?|end of JSON input|non-whitespace character)|Expected [^,]*|Bad control character in string literal|Bad escaped character)/.exec(m)?.[1] ?? 'syntax error';
    throw new GateConfigError(`${display}:${jsonErrorAt(src) ?? '1:1'}: not JSON (${short})`);
  }
  return parseGateConfig(raw, display);
}

/** Validates a parsed config (`display` names it in errors). */
export function parseGateConfig(raw: Json, display: string): GateConfig {
  const fail = (at: string, what: string): never => {
    throw new GateConfigError(`${display}:${at}: ${what}`);
  };
  const keys = (o: Record<string, Json>, at: string, allowed: readonly string[]) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k) && !k.startsWith('$comment')) fail(`${at}.${k}`, `unknown key (known: ${allowed.join(', ')})`);
  };
  const num = (v: Json, at: string, min: number, int: boolean): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isSafeInteger(v))) return fail(at, `expected ${int ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
    if (v < min) fail(at, `must be at least ${min}, got ${v}`);
    return v;
  };
  const rateOf = (v: Json, at: string): number => {
    const r = num(v, at, 0, false);
    return r > 0 ? r : fail(at, 'must be above 0 (a job that runs nothing is left out of the config instead)');
  };
  const strings = (v: Json, at: string): string[] => {
    if (!Array.isArray(v)) return fail(at, 'expected an array of strings');
    return v.map((x, i) => (typeof x === 'string' ? x : fail(`${at}[${i}]`, `expected a string, got ${JSON.stringify(x)}`)));
  };
  const profiles = (v: Json, at: string): ProfileName[] => {
    const ps = strings(v, at);
    if (!ps.length) fail(at, 'empty (name at least one profile)');
    return ps.map((p, i) => (isProfileName(p) ? p : fail(`${at}[${i}]`, `unknown profile '${p}' (known: ${Object.keys(PROFILES).join(', ')})`)));
  };

  if (!isObj(raw)) return fail('$', 'expected an object');
  keys(raw, '$', ['version', 'maxCalls', 'faults', 'corpus', 'random', 'canary', 'kernel']);
  if (raw['version'] !== CONFIG_VERSION) fail('$.version', `expected ${CONFIG_VERSION} (the config format this gemcheck reads), got ${JSON.stringify(raw['version'])}`);
  const maxCalls = raw['maxCalls'] === undefined ? 24 : num(raw['maxCalls'], '$.maxCalls', 1, true);
  if (maxCalls > 65536) fail('$.maxCalls', `at most 65536 (the executor's limit), got ${maxCalls}`);
  const faults = raw['faults'] === undefined ? [] : strings(raw['faults'], '$.faults').map((f, i) => (isFaultName(f) ? f : fail(`$.faults[${i}]`, `unknown fault '${f}' (known: ${Object.keys(FAULTS).join(', ')})`)));

  let corpus: string[] | undefined;
  if (raw['corpus'] !== undefined) {
    const c = raw['corpus'];
    if (!isObj(c)) fail('$.corpus', 'expected an object ({"dirs": [...]})');
    else {
      keys(c, '$.corpus', ['dirs']);
      corpus = strings(c['dirs'] ?? [], '$.corpus.dirs');
      corpus.forEach((d, i) => d.length || fail(`$.corpus.dirs[${i}]`, 'empty folder name'));
    }
  }

  const stage = (name: 'random' | 'canary' | 'kernel'): StageSpec | undefined => {
    const s = raw[name];
    if (s === undefined) return undefined;
    const at = `$.${name}`;
    if (!isObj(s)) return fail(at, 'expected an object');
    keys(s, at, ['programsPerBudgetSecond', 'profiles', 'devices']);
    const rate = rateOf(s['programsPerBudgetSecond'] ?? fail(`${at}.programsPerBudgetSecond`, 'missing (programs per second of budget, per job)'), `${at}.programsPerBudgetSecond`);
    const stageProfiles = s['profiles'] === undefined ? [name === 'kernel' ? (KERNEL_PROFILE as ProfileName) : 'linux-6.1'] : profiles(s['profiles'], `${at}.profiles`);
    const entries = s['devices'] ?? fail(`${at}.devices`, 'missing (device sets: "@each", "@foreign-pairs", "vgem cirrus", or {"devices": …})');
    if (!Array.isArray(entries)) return fail(`${at}.devices`, 'expected an array');
    const candidate = name === 'kernel' ? 'kernel' : 'impl';
    const kernel = new KernelTarget();
    const jobs = new Map<string, JobSpec>();
    const excluded: { devices: string; reason: string }[] = [];
    entries.forEach((e, i) => {
      const eat = `${at}.devices[${i}]`;
      let sets: DeviceList[];
      let jobRate = rate;
      let jobProfiles = stageProfiles;
      let fromRule = false;
      const parse = (text: string, where: string): DeviceList => {
        const d = parseDevices(text);
        return typeof d === 'string' ? fail(where, d) : d;
      };
      if (typeof e === 'string') {
        if (e === '@quirked') {
          if (name !== 'canary') return fail(eat, "'@quirked' is the canary stage's rule (devices with known bugs fail every other stage)");
          sets = quirkedDeviceSets().map((devices) => ({ devices }));
          fromRule = true;
        } else if (e === '@each' || e === '@foreign-pairs') {
          sets = ruleDeviceSets(e).map((devices) => ({ devices }));
          for (const q of allRuleSets(e)) {
            const why = quirkedReason(q);
            if (why && !excluded.some((x) => x.devices === printDevices({ devices: q }))) excluded.push({ devices: printDevices({ devices: q }), reason: why });
          }
          fromRule = true;
        } else if (e.startsWith('@')) return fail(eat, `unknown rule '${e}' (known: @each, @foreign-pairs, @quirked)`);
        else sets = [parse(e, eat)];
      } else if (isObj(e)) {
        keys(e, eat, ['devices', 'profiles', 'programsPerBudgetSecond']);
        if (typeof e['devices'] !== 'string') return fail(`${eat}.devices`, 'expected a device list string ("vgem cirrus", "amdgpu:vram_kib=1024")');
        sets = [parse(e['devices'], `${eat}.devices`)];
        if (e['programsPerBudgetSecond'] !== undefined) jobRate = rateOf(e['programsPerBudgetSecond'], `${eat}.programsPerBudgetSecond`);
        if (e['profiles'] !== undefined) jobProfiles = profiles(e['profiles'], `${eat}.profiles`);
      } else return fail(eat, `expected a device list string or an object, got ${JSON.stringify(e)}`);
      for (const devices of sets)
        for (const profile of jobProfiles) {
          // a canary must be meant to fail: a conformant set there would pass by catching nothing
          if (name === 'canary' && quirkedReason(devices.devices) === null) fail(eat, `${printDevices(devices)} has no quirks: a canary needs a device with known bugs (ir/quirks.ts), e.g. '@quirked'`);
          if (name === 'kernel') {
            const why = kernel.unsupported({ profile: PROFILES[profile], devices: devices.devices, ...(devices.params ? { deviceParams: devices.params } : {}) });
            if (why) {
              if (!fromRule) fail(eat, why);
              excluded.push({ devices: printDevices(devices), reason: why });
              continue;
            }
          }
          const id = jobId(name, candidate, devices, profile);
          if (!jobs.has(id)) jobs.set(id, { stage: name, id, reference: 'model', candidate, devices, profile, rate: jobRate });
        }
    });
    return { jobs: [...jobs.values()], excluded };
  };
  const random = stage('random');
  const canary = stage('canary');
  const kernel = stage('kernel');
  return { file: display, version: CONFIG_VERSION, maxCalls, faults, ...(corpus ? { corpus } : {}), ...(random ? { random } : {}), ...(canary ? { canary } : {}), ...(kernel ? { kernel } : {}) };
}
