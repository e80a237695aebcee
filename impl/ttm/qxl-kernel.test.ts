// The TTM core held to a real kernel's evictions: kernel/probes/qxl-evict.c ran on Debian's
// 6.1 with a 16 MiB qxl RAM BAR and printed the VRAM manager's layout (debugfs qxl_mem_mm)
// and what the bos' mappings read between QXL_ALLOC / mmap / GEM_CLOSE steps; that
// transcript is kernel/probes/qxl-evict.expected (kernel/qxl.test.ts checks it still holds).
// Here the same steps run on impl's TTM core with qxl's hooks (impl/drivers/qxl/ttm.ts) and
// must print the same transcript, line for line: placements (best fit; TOPDOWN one-page bos
// at the top of the highest hole), LRU victims (creation order; faults do not bump), ENOMEM
// when pinned bos fragment VRAM, contents surviving an eviction and a refault through the
// old mapping, a new bo reading what the VRAM range held (qxl_bo_move's move_null), and
// memory returned only when the mapping's reference goes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../ir/uapi.ts';
import { mmLayout } from '../drivers/qxl/replay.ts';
import { QXL_GEM_DOMAIN_CPU, QXL_GEM_DOMAIN_VRAM, qxlBoCreate, qxlTtmInit } from '../drivers/qxl/ttm.ts';
import { ttmBoPut, type TtmBufferObject } from './bo.ts';
import { ttmBoMmap, ttmBoVmClose, ttmVmaTranslate, type TtmVma } from './bo_vm.ts';
import { TTM_PL_VRAM } from './resource.ts';

const EXPECTED = readFileSync(join(import.meta.dirname, '..', '..', 'kernel', 'probes', 'qxl-evict.expected'), 'utf8').trimEnd().split('\n');

/** The probe's steps on impl: the transcript it prints. */
function replay(): string[] {
  const out: string[] = [];
  // qxl_ttm_init for ram_size_mb=16, vgamem_mb=8, vram_size_mb=1: "2046 io pages at offset
  // 0x800000", "RAM header offset: 0xffe000" → VRAM = 0xffe000 / 4096 = 4094 pages; 1 MiB of
  // surfaces (PRIV) = 256 pages
  const bdev = qxlTtmInit(0xffe000 / PAGE_SIZE, 256);
  const man = bdev.managers[TTM_PL_VRAM]!;
  const layout = (tag: string) => out.push(`[${tag}] ${mmLayout(man).join(' ')}`);
  // what the driver holds in VRAM when the first program runs (the [boot] line): two 769-page
  // bos and one pinned 768-page one, best fit from 0; six one-page bos from the top, the two
  // highest pinned (the only ones an over-sized QXL_ALLOC does not evict)
  for (const [pages, pinned] of [[769, false], [768, true], [769, false]] as const) qxlBoCreate(bdev, pages * PAGE_SIZE, QXL_GEM_DOMAIN_VRAM, pinned);
  for (let i = 0; i < 6; i++) qxlBoCreate(bdev, PAGE_SIZE, QXL_GEM_DOMAIN_VRAM, i < 2);

  // the file's handles (idr_alloc: the lowest free, from 1)
  const handles = new Map<number, TtmBufferObject>();
  const newHandle = (bo: TtmBufferObject) => {
    let h = 1;
    while (handles.has(h)) h++;
    handles.set(h, bo);
    return h;
  };
  const step = (what: string, pages: number): number => {
    // qxl_alloc_ioctl: size 0 is EINVAL; any failure of the create is ENOMEM
    const bo = pages === 0 ? -22 : qxlBoCreate(bdev, pages * PAGE_SIZE, QXL_GEM_DOMAIN_VRAM);
    if (typeof bo === 'number') {
      out.push(`alloc ${what} ${pages} pages -> ${bo === -22 ? -22 : -12}`);
      return 0;
    }
    const h = newHandle(bo);
    out.push(`alloc ${what} ${pages} pages -> 0 handle ${h}`);
    return h;
  };
  const gclose = (h: number) => {
    const bo = handles.get(h)!;
    handles.delete(h);
    ttmBoPut(bo);
    out.push(`gem_close ${h} -> 0`);
  };
  const map = (h: number): TtmVma => ttmBoMmap(handles.get(h)!);
  const page = (v: TtmVma, p: number, write: boolean) => {
    const b = ttmVmaTranslate(v, p);
    if (b === 'SIGBUS') throw new Error('SIGBUS');
    return write ? b.store.writable(b.index) : b.store.readable(b.index);
  };
  const peek = (v: TtmVma, byte: number) => (page(v, Math.floor(byte / PAGE_SIZE), false)?.[byte % PAGE_SIZE] ?? 0).toString(16);
  const poke = (v: TtmVma, byte: number, value: number) => {
    page(v, Math.floor(byte / PAGE_SIZE), true)![byte % PAGE_SIZE] = value;
  };
  const fill = (v: TtmVma, pages: number, value: number) => {
    for (let p = 0; p < pages; p++) page(v, p, true)!.fill(value);
  };

  layout('boot');
  step('x', 0);
  step('x', 4096);
  layout('after 4096');
  step('x', 4094);
  step('x', 2556);
  const h = step('x', 2555);
  layout('2555');
  gclose(h);
  layout('closed');
  const a = step('A', 1024);
  const b = step('B', 1024);
  layout('A B');
  const pa = map(a);
  const pb = map(b);
  fill(pa, 1024, 0xaa);
  fill(pb, 1024, 0xbb);
  poke(pa, 5, 1);
  const c = step('C', 1024);
  layout('C');
  const pc = map(c);
  out.push(`C reads ${peek(pc, 0)} ${peek(pc, 5)}, last page ${peek(pc, 1023 * PAGE_SIZE)}`);
  out.push(`A reads ${peek(pa, 0)} ${peek(pa, 5)}, last page ${peek(pa, 1023 * PAGE_SIZE)}; B reads ${peek(pb, 0)}`);
  poke(pa, 7, 0x77);
  out.push(`A after a write through the old mapping reads ${peek(pa, 7)}`);
  layout('A written');
  const d = step('D', 1024);
  layout('D');
  const pd = map(d);
  out.push(`D reads ${peek(pd, 0)}`);
  out.push(`A reads ${peek(pa, 0)} ${peek(pa, 7)}`);
  ttmBoVmClose(pb);
  layout('B unmapped');
  gclose(b);
  layout('B closed');
  gclose(c);
  layout('C closed, still mapped');
  ttmBoVmClose(pc);
  layout('C unmapped');
  step('small', 1);
  step('small', 2);
  layout('small');
  step('E', 768);
  step('small', 1);
  layout('E, small');
  // qxl_mode_dumb_create: pitch = width * ((bpp + 1) / 8), size page-aligned, CPU domain
  const pitch = 256 * Math.floor((32 + 1) / 8);
  const dumb = qxlBoCreate(bdev, pitch * 256, QXL_GEM_DOMAIN_CPU);
  if (typeof dumb === 'number') throw new Error('dumb');
  const dh = newHandle(dumb);
  out.push(`create_dumb 256x256x32 -> 0 handle ${dh} pitch ${pitch} size ${dumb.size}`);
  const pk = map(dh);
  out.push(`dumb reads ${peek(pk, 0)}`);
  poke(pk, 0, 1);
  layout('dumb written');
  return out;
}

describe('impl TTM ≡ Linux 6.1 qxl evictions (kernel/probes/qxl-evict.expected)', () => {
  it('prints the kernel transcript line for line', () => {
    expect(replay()).toEqual(EXPECTED);
  });
});
