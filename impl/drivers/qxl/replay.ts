/**
 * A qxl eviction program (ir/evict-steps.ts) on impl's TTM core with qxl's hooks: the
 * transcript the kernel prints for it (kernel/qxl-evict-fuzz.ts) — both managers' layouts
 * after every alloc, close and munmap, every byte read — and how many evictions it made.
 */
import type { Step } from '../../../ir/evict-steps.ts';
import { PAGE_SIZE } from '../../../ir/uapi.ts';
import { ctxOf, ttmBoInitValidate, ttmBoPin, ttmBoPut, ttmBoReserve, ttmBoUnreserve, type TtmBufferObject } from '../../ttm/bo.ts';
import { ttmBoMmap, ttmBoVmClose, ttmVmaTranslate, type TtmVma } from '../../ttm/bo_vm.ts';
import { place, placementOf, TTM_PL_PRIV, TTM_PL_VRAM, type TtmResourceManager } from '../../ttm/resource.ts';
import { QXL_GEM_DOMAIN_SURFACE, QXL_GEM_DOMAIN_VRAM, qxlBoCreate, qxlTtmInit } from './ttm.ts';

const SLOTS = 8;

/** A range manager's layout as the guest's probe prints it (kernel/probes/qxl-evict.c, from
 * debugfs): `start+pages` in hex start and decimal pages, `U` used, `f` free, in address order. */
export function mmLayout(man: TtmResourceManager): string[] {
  const parts: string[] = [];
  let at = 0;
  for (const n of man.mm!.nodes()) {
    if (n.start > at) parts.push(`${at.toString(16)}+${n.start - at}f`);
    parts.push(`${n.start.toString(16)}+${n.size}U`);
    at = n.start + n.size;
  }
  if (at < man.size) parts.push(`${at.toString(16)}+${man.size - at}f`);
  return parts;
}

export interface ImplRun {
  lines: string[];
  evictions: number;
}

/** The same program on impl's TTM core with qxl's hooks: its transcript and how many evictions it made. */
export function implTranscript(prog: readonly Step[], startLayout: string): ImplRun {
  const out: string[] = [];
  const bdev = qxlTtmInit(0xffe000 / PAGE_SIZE, 256);
  const vram = bdev.managers[TTM_PL_VRAM]!;
  const priv = bdev.managers[TTM_PL_PRIV]!;
  const dump = (man: TtmResourceManager) => mmLayout(man).map((x) => ` ${x}`).join('');
  const layout = (tag: string) => out.push(`[${tag}]${dump(vram)} |${dump(priv)}`);
  // the kernel's layout after its over-sized QXL_ALLOC (the [evicted] line): only pinned
  // driver bos are left; they are taken as given, each pinned at its range
  const create = (pages: number) => qxlBoCreate(bdev, pages * PAGE_SIZE, QXL_GEM_DOMAIN_VRAM);
  out.push('evict all -> -12');
  for (const m of startLayout.split('|')[0]!.matchAll(/ ([0-9a-f]+)\+(\d+)U/g)) {
    const start = parseInt(m[1]!, 16);
    const pages = Number(m[2]);
    const b = ttmBoInitValidate(bdev, pages * PAGE_SIZE, 'kernel', placementOf(place(TTM_PL_VRAM, 0, start, start + pages)), ctxOf());
    if (typeof b === 'number') throw new Error(`cannot place ${pages} pages at ${m[1]}`);
    ttmBoReserve(b);
    ttmBoPin(b);
    ttmBoUnreserve(b);
  }
  layout('evicted');
  layout('start');
  const evictionsBefore = bdev.stats.evictions;
  const bos: (TtmBufferObject | null)[] = Array(SLOTS).fill(null);
  const vmas: (TtmVma | null)[] = Array(SLOTS).fill(null);
  prog.forEach((s, k) => {
    const i = s.slot;
    switch (s.op) {
      case 'alloc': {
        const b = create(s.pages);
        bos[i] = typeof b === 'number' ? null : b;
        out.push(`${k} alloc s${i} ${s.pages} -> ${typeof b === 'number' ? -12 : 0}`);
        layout('a');
        break;
      }
      case 'surf': {
        const b = qxlBoCreate(bdev, s.pages * PAGE_SIZE, QXL_GEM_DOMAIN_SURFACE);
        bos[i] = typeof b === 'number' ? null : b;
        out.push(`${k} surf s${i} ${s.pages} -> ${typeof b === 'number' ? -12 : 0}`);
        layout('s');
        break;
      }
      case 'close':
        if (!bos[i]) break;
        ttmBoPut(bos[i]!);
        bos[i] = null;
        out.push(`${k} close s${i} -> 0`);
        layout('c');
        break;
      case 'write':
      case 'read': {
        if (!vmas[i] && bos[i]) vmas[i] = ttmBoMmap(bos[i]!);
        const v = vmas[i];
        if (!v) break;
        const b = ttmVmaTranslate(v, s.page);
        if (b === 'SIGBUS') throw new Error(`SIGBUS at step ${k}`);
        if (s.op === 'write') b.store.writable(b.index)[0] = s.value;
        else out.push(`${k} read s${i} p${s.page} = ${(b.store.readable(b.index)?.[0] ?? 0).toString(16)}`);
        break;
      }
      case 'unmap':
        if (!vmas[i]) break;
        ttmBoVmClose(vmas[i]!);
        vmas[i] = null;
        out.push(`${k} unmap s${i}`);
        layout('u');
        break;
    }
  });
  return { lines: out, evictions: bdev.stats.evictions - evictionsBefore };
}
