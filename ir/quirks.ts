/**
 * Named deviations from a correct driver, as data: a device's registry entry (ir/devices.ts)
 * lists the ones it has, and driver code tests a quirk flag, never a device name. Each names
 * the upstream function whose behaviour it reproduces. Today they are the NVDLA upstream bugs
 * (nvdla/sw kmd/port/linux, HEAD 2019; spec §9–10); `nvdla-upstream` switches them all on.
 */
export const QUIRKS = {
  'nvdla-hidden-handle':
    'nvdla_gem_dma_addr: the handle drm_gem_prime_fd_to_handle makes in the submitter\'s file is never closed (a hidden handle, its prime-cache entry and obj->dma_buf stay until the file closes)',
  'nvdla-index-off-by-one': 'dla_read_dma_address: the index check is `index > num_addresses`, so index == num_addresses reads past the copied address list',
  'nvdla-offset-unchecked': 'dla_read_dma_address: the address-list offset is added to the DMA address without a check against the buffer size (the engine then reaches past the buffer)',
  'nvdla-size-u32': 'nvdla_gem_create → nvdla_gem_create_with_handle(uint32_t size): the u64 size is truncated to u32, and round_up(size, PAGE_SIZE) wraps to 0 in u32',
  'nvdla-size-zero': 'nvdla_gem_create_object: size 0 is not refused; the coherent pool then fails get_order(0) (ENOMEM; unverified) instead of EINVAL',
  'nvdla-map-offset-swallow': 'nvdla_gem_map_offset: a failing drm_gem_create_mmap_offset still returns 0 and leaves args->offset as the caller passed it',
  'nvdla-dmabuf-mmap-pgoff': 'nvdla_drm_gem_mmap_buf → nvdla_drm_gem_object_mmap: vm_pgoff = 0, so a dma-buf mapping at page offset p shows the buffer from byte 0',
  'nvdla-no-buffer-limit': 'nvdla_fill_task_desc: the NVDLA_MAX_BUFFERS_PER_TASK (6144) check was removed at HEAD (54e6c77): a longer list fails the copy (EFAULT) instead of EINVAL',
  'nvdla-no-exec-ref': 'nvdla_gem_dma_addr: the lookup reference is put before the engine runs, so nothing holds the buffer during execution (not observable by sequential programs)',
} as const;

export type QuirkName = keyof typeof QUIRKS;
export type QuirkSet = ReadonlySet<QuirkName>;
