/** The model's state: plain records in maps, keyed by ids that are never reused. */
import type { DeviceName } from '../ir/devices.ts';
import type { Profile } from '../ir/target.ts';
import { OffsetSpace } from './offsets.ts';
import type { AmdBo, AmdDev } from './amdgpu/ttm.ts';
import type { QxlBo, QxlDev } from './qxl/vram.ts';

export interface MObject {
  readonly id: number;
  readonly dev: number;
  readonly size: number; // bytes, page multiple
  readonly readonly: boolean;
  /** held by the kernel itself (a driver's boot buffer): alive for good, no user handle. */
  readonly kernelHeld?: boolean;
  /** flink name, 0 = none. */
  name: number;
  /** obj->dma_buf: the cached export (or import) dma-buf. */
  dmaBuf: number | null;
  /** import_attach->dmabuf for foreign imports: the object shows the exporter's memory. */
  importOf: number | null;
  /** start page of the fake-offset node. */
  offsetPage: number | null;
  /** backing pages (index → bytes); absent pages read as zeros. Unused for imports. */
  readonly pages: Map<number, Uint8Array>;
  /** an amdgpu object's TTM bo (model/amdgpu/) */
  readonly amd?: AmdBo;
  /** a non-amdgpu import of an amdgpu dma-buf: the exporter bo its attachment pins in GTT */
  pinsAmd?: AmdBo;
  /** an NVDLA buffer's block in its device's DMA pool: first page and length (a power of two) */
  readonly dmaPage?: number;
  readonly poolPages?: number;
  /** a qxl bo: where it is placed (model/qxl/); its pages are `pages` while in SYSTEM */
  readonly qxl?: QxlBo;
}

export interface MFence {
  readonly write: boolean;
  /** object whose reservation object holds the fence (the exporter for imports). */
  readonly resvObj: number;
  signalled: boolean;
}

export interface MDrmFile {
  readonly kind: 'drm';
  readonly id: number;
  readonly dev: number;
  readonly render: boolean;
  readonly handles: Map<number, number>; // handle → object id
  /** drm_prime_file_private: (dma-buf, handle) pairs in insertion order. */
  prime: { dmabuf: number; handle: number }[];
  authenticated: boolean;
  /** the drm_master this file was opened under (primary nodes), and whether it is it. */
  readonly master: number | null;
  isMaster: boolean;
  magic: number;
  /** vgem fence ids; null = already signalled through the ioctl (the id stays taken). */
  readonly fences: Map<number, MFence | null>;
}

export interface MDmaBuf {
  readonly kind: 'dmabuf';
  readonly id: number;
  readonly exporter: number; // object id
  readonly size: number;
  /** file mode fixed by the first export: O_RDWR or O_RDONLY. */
  readonly writable: boolean;
}

export type MFile = MDrmFile | MDmaBuf;

export interface MMapping {
  readonly id: number;
  /** vma->vm_file: keeps that file open. */
  readonly file: number;
  /** object whose pages back the mapping; the mapping holds it alive. */
  readonly obj: number;
  readonly pages: number;
  /** TTM mappings (amdgpu): mapping page i shows object page pageBase + i */
  readonly pageBase?: number;
  prot: number;
  readonly mayWrite: boolean;
}

export interface MDevice {
  readonly kind: DeviceName;
  readonly names: Map<number, number>; // flink name → object id
  readonly offsets: OffsetSpace;
  /** dev->master (an id; new masters get new ids), and the magic map of each master. */
  master: number | null;
  readonly magics: Map<number, Map<number, number | null>>;
  /** the simulated amdgpu's TTM state and contexts (amdgpu devices only) */
  amd?: AmdDev;
  /** an NVDLA device's DMA-coherent pool: its device address and size in pages (model/nvdla/) */
  pool?: { readonly base: number; readonly pages: number };
  /** a qxl device's VRAM and surface managers (model/qxl/) */
  qxl?: QxlDev;
}

export interface MState {
  readonly profile: Profile;
  readonly devices: MDevice[];
  readonly fds: Map<number, number>; // fd → file id
  readonly files: Map<number, MFile>;
  readonly objects: Map<number, MObject>;
  readonly mappings: Map<number, MMapping>;
  mapCount: number; // ids of successful mmaps: 1, 2, 3, … (harness rule)
  nextId: number;
}

export function newState(profile: Profile, devices: readonly DeviceName[], offsetStart: (k: DeviceName) => number): MState {
  return {
    profile,
    devices: devices.map((kind) => ({ kind, names: new Map(), offsets: new OffsetSpace(offsetStart(kind)), master: null, magics: new Map() })),
    fds: new Map(),
    files: new Map(),
    objects: new Map(),
    mappings: new Map(),
    mapCount: 0,
    nextId: 1,
  };
}

/** Lowest free integer ≥ base not in `used` — idr_alloc(…, base, 0) and get_unused_fd. */
export function lowestFree(used: { has(k: number): boolean }, base: number): number {
  let n = base;
  while (used.has(n)) n++;
  return n;
}

/** obj->handle_count: handles to the object across every file. */
export function handleCount(s: MState, obj: number): number {
  let n = 0;
  for (const f of s.files.values()) if (f.kind === 'drm') for (const o of f.handles.values()) if (o === obj) n++;
  return n;
}
