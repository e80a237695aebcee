/**
 * The steps of a qxl eviction program (kernel/qxl-evict-fuzz.ts generates and runs them on the
 * real kernel, impl/drivers/qxl/replay.ts on impl's TTM core; cli/qxl-evict.ts compares).
 * Slots name bos; sizes are in pages.
 */
export type Step =
  | { op: 'alloc'; slot: number; pages: number }
  /** QXL_ALLOC_SURF: the surface domain, PRIV (256 pages here) then VRAM */
  | { op: 'surf'; slot: number; pages: number }
  | { op: 'close'; slot: number }
  | { op: 'write'; slot: number; page: number; value: number }
  | { op: 'read'; slot: number; page: number }
  | { op: 'unmap'; slot: number };
