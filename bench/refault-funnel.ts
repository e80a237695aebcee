/** temp analysis: where amdgpu programs fail to reach a refault */
import { programAt } from '../fuzz/generate.ts';
import { PROFILES } from '../ir/target.ts';
import { ImplSession } from '../impl/process.ts';
import { resolveArgs } from '../ir/resolve.ts';
import type { Outcome } from '../ir/outcome.ts';
import type { DeviceName } from '../ir/devices.ts';

const runs = Number(process.argv[2] ?? 20000);
const devices = (process.argv[3] ?? 'amdgpu').split(',') as DeviceName[];
const profile = (process.argv[4] ?? 'linux-6.1') as 'linux-6.1';
const cfg = { profile: PROFILES[profile], devices };
const f: Record<string, number> = {};
const bump = (k: string) => void (f[k] = (f[k] ?? 0) + 1);
let tot = { moves: 0, evictions: 0, faults: 0, refaults: 0, purges: 0 };
let calls = 0;
for (let i = 0; i < runs; i++) {
  const p = programAt('1', i, 24, devices.length, { devices });
  const s = new ImplSession(cfg, undefined, { selfChecks: false });
  const outs: Outcome[] = [];
  const seen = new Set<string>();
  const mark = (k: string) => seen.add(k);
  let okAccessMaps = new Set<bigint>();
  let faultedBefore = 0;
  for (let k = 0; k < p.calls.length; k++) {
    const c = p.calls[k];
    const args = resolveArgs(p, k, outs);
    const before = s.ttmStats();
    const o = s.exec(c.op, args);
    outs.push(o);
    const after = s.ttmStats();
    calls++;
    const ok = o.status === 'ok';
    if (['mmap','read','write','amdgpu_gem_mmap','map_dumb','amdgpu_gem_create'].includes(c.op)) bump(`op ${c.op} ${o.status==='ok'?'ok':o.status==='err'?'errno'+o.errno:o.status==='sig'?o.signal:'x'}`);
    { const st=(a:any)=>a.kind==='lit'?'lit':(outs[a.call]?.status==='ok'?'ref-ok':'ref-failed'); const oc=o.status==='ok'?'ok':o.status==='err'?'errno'+o.errno:o.status==='sig'?o.signal:'x';
      if (c.op==='mmap' && st(c.args[1])==='ref-ok' && oc==='errno22') bump(`mmapEINVAL flags=${args[4]} prot=${args[3]} len=${c.args[2].kind==='lit'?'lit':'ref'} lenv=${args[2]<=0x400000n?'small':'big'}`);
      if (c.op==='mmap') bump(`mmap off=${st(c.args[1])} fd=${st(c.args[0])} -> ${oc}`);
      if (c.op==='amdgpu_gem_mmap') bump(`gem_mmap h=${st(c.args[1])} fd=${st(c.args[0])} -> ${oc}`);
      if (c.op==='amdgpu_gem_create') bump(`create fd=${st(c.args[0])} -> ${oc}`);
      if (c.op==='read'||c.op==='write') bump(`acc map=${st(c.args[0])} -> ${oc}`);
    }
    if ((c.op==='read'||c.op==='write')) { const a=c.args[0]; bump(`acc-arg ${a.kind==='lit'?'lit':(outs[a.call]?.status==='ok'?'ref-ok':'ref-failed')}`); }
    if (c.op === 'amdgpu_gem_create' && ok) mark('1 create ok');
    if ((c.op === 'amdgpu_gem_mmap' || c.op === 'map_dumb') && ok) mark('2 offset ok');
    if (c.op === 'mmap' && ok) mark('3 mmap ok');
    if ((c.op === 'read' || c.op === 'write')) {
      mark('4 access');
      if (ok) mark('4b access ok');
      if (o.status === 'sig') mark('4c access sig');
      if (ok && okAccessMaps.size && after.moves > faultedBefore) mark('6 access after a move since a fault');
      if (ok) { okAccessMaps.add(args[0]); faultedBefore = after.moves; }
    }
    if (okAccessMaps.size && after.moves > before.moves) mark('5 move after ok access');
    if (after.refaults > before.refaults) mark('7 refault');
  }
  s.exit?.();
  const t = s.ttmStats();
  for (const k of Object.keys(tot) as (keyof typeof tot)[]) tot[k] += t[k];
  for (const k of seen) bump(k);
}
console.log(JSON.stringify({ runs, calls, ...tot }));
for (const k of Object.keys(f).sort()) console.log(k, f[k]);
