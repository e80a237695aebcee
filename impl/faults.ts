/**
 * Fault switches: deliberate bugs that can be turned on to prove the suite catches them.
 * All are off by default; one registry, so tests and `gemcheck check --fault` can list them.
 */
export const FAULTS = {
  'skip-handle-count-decrement': 'handle delete forgets handle_count-- (the object never loses its handle ref)',
  'shared-offset': 'a new fake offset reuses the previous live node range (two live objects share an offset)',
  'no-revoke': 'handle delete skips drm_vma_node_revoke (mmap stays allowed after GEM_CLOSE)',
  'keep-name': 'the flink name survives the last handle',
  'keep-dma-buf': 'obj->dma_buf is not dropped with the last handle',
  'mmap-no-ref': 'a mapping does not take an object reference (use after free)',
  'ro-ignored': 'drm_gem_mmap ignores read-only nodes (linux-5.10 profile)',
  'prime-cache-stale': 'handle delete leaves its PRIME cache entry behind',
  'export-twice': 'handle-to-fd forgets its caches (the file\'s and obj->dma_buf): a repeated export makes a second dma-buf',
  'revoke-keeps-count': 'drm_vma_node_revoke forgets to drop the allow count while it is above one',
  'import-own-resv': 'a foreign import keeps its own reservation object instead of the dma-buf\'s',
  'fence-close-no-signal': 'vgem_fence_close leaves a closed file\'s fences unsignalled',
  'amdgpu-flag-whitelist': 'amdgpu GEM_CREATE accepts flags outside its whitelist (VRAM_CONTIGUOUS, unknown bits)',
  'amdgpu-userptr-mmap': 'amdgpu GEM_MMAP and mmap of a userptr bo are allowed',
  'throw-on-huge-dumb': 'dumb create throws a JS exception for width > 0x10000000 (an escaped exception)',
  'ttm-evict-pinned': 'TTM: ttm_mem_evict_first evicts pinned buffers (they stay on the LRU)',
  'ttm-lose-contents': 'TTM: ttm_bo_move_memcpy copies nothing (a move loses the contents)',
  'ttm-no-zap': 'TTM: ttm_bo_unmap_virtual does nothing (mappings keep translations to the old placement)',
  'ttm-wrong-victim': 'TTM: ttm_mem_evict_first walks each LRU from its tail (takes the most recently used candidate)',
  'ttm-ignore-busy': 'TTM: a move does not wait for the bo\'s fences (a busy bo moves)',
  'ttm-miscount-usage': 'TTM: ttm_resource_fini forgets to return the usage',
} as const;

export type FaultName = keyof typeof FAULTS;
export type FaultSet = ReadonlySet<FaultName>;
export const NO_FAULTS: FaultSet = new Set();

export function isFaultName(s: string): s is FaultName {
  return Object.prototype.hasOwnProperty.call(FAULTS, s);
}
