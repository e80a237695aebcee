/** A tinypool worker of `gemcheck fuzz --workers K`: one engine per thread (campaign/engine.ts). */
import { workerId } from 'tinypool';
import type { DeviceName, DeviceParams } from '../ir/devices.ts';
import type { Program } from '../ir/program.ts';
import { PROFILES, type ProfileName, type TargetConfig } from '../ir/target.ts';
import { pairing } from '../harness/pairing.ts';
import { Engine } from '../campaign/engine.ts';
import type { WorkerReply, WorkerTask } from '../campaign/fuzz.ts';
import { modelTarget } from '../model/model.ts';
import { implTarget } from '../impl/target.ts';
import { coverTake } from '../impl/cover.ts';
import type { FaultName } from '../impl/faults.ts';

let engine: Engine | undefined;
let known = 0;

export default function fuzzWorker(t: WorkerTask): WorkerReply {
  if (!engine) {
    const cfg: TargetConfig = {
      profile: PROFILES[t.init.cfg.profile as ProfileName],
      devices: t.init.cfg.devices as DeviceName[],
      ...(t.init.cfg.deviceParams ? { deviceParams: t.init.cfg.deviceParams as DeviceParams } : {}),
    };
    const impl = implTarget(new Set(t.init.faults as FaultName[]));
    engine = new Engine({ seed: `${t.init.seed}:w${workerId}`, cfg, pairing: pairing(modelTarget, impl), meta: t.init.meta, maxCalls: t.init.maxCalls, cover: coverTake });
  }
  for (let i = Math.max(known, t.from); i < t.from + t.items.length; i++) {
    const it = t.items[i - t.from];
    if (it.origin !== workerId) engine.learn(it.program as Program, it.signal);
  }
  known = Math.max(known, t.from + t.items.length);
  return { worker: workerId, known, result: engine.runSync(t.count) };
}
