import { programAt } from './fuzz/generate.ts';
import { modelTarget } from './model/model.ts';
import { PROFILES } from './ir/target.ts';
const cfg = { profile: PROFILES['linux-6.1'], devices: ['qxl'] as const };
for (let i = 560; i < 599; i++) {
  const p = programAt('2', i, 24, 1, { devices: ['qxl'] });
  const r = modelTarget.runSync!(p, cfg);
  p.calls.forEach((c, k) => { if (c.op === 'write') console.log(i, k, JSON.stringify(r.outcomes[k])); });
}
