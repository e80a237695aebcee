// Where kernel/setup.sh puts the real-kernel back end. Keep in step with setup.sh.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface KernelPaths {
  readonly cacheDir: string;
  /** Extracted linux-image package (dpkg-deb -x). */
  readonly linuxTree: string;
  readonly vmlinuz: string;
  readonly initramfs: string;
  /** Static executor binary, also packed into the initramfs. */
  readonly executor: string;
  /** key=value lines written by setup.sh (kernel version, executor source hash). */
  readonly manifest: string;
  readonly executorSource: string;
  readonly setupScript: string;
}

export function kernelPaths(cacheDir: string = defaultCacheDir()): KernelPaths {
  return {
    cacheDir,
    linuxTree: path.join(cacheDir, 'linux'),
    vmlinuz: path.join(cacheDir, 'vmlinuz'),
    initramfs: path.join(cacheDir, 'initramfs.cpio.gz'),
    executor: path.join(cacheDir, 'gemcheck-exec'),
    manifest: path.join(cacheDir, 'manifest'),
    executorSource: path.join(repoRoot, 'executor', 'gemcheck-exec.c'),
    setupScript: path.join(repoRoot, 'kernel', 'setup.sh'),
  };
}

export function defaultCacheDir(): string {
  return process.env['GEMCHECK_CACHE_DIR'] ?? path.join(repoRoot, '.cache', 'kernel');
}

/** Modules the initramfs loads, in load order, relative to lib/modules/<ver>/kernel. */
export const GUEST_MODULES: readonly string[] = [
  'drivers/virtio/virtio_ring.ko',
  'drivers/virtio/virtio.ko',
  'drivers/virtio/virtio_pci_legacy_dev.ko',
  'drivers/virtio/virtio_pci_modern_dev.ko',
  'drivers/virtio/virtio_pci.ko',
  'drivers/char/virtio_console.ko',
  'drivers/gpu/drm/drm.ko',
  'drivers/gpu/drm/drm_shmem_helper.ko',
  'drivers/gpu/drm/vgem/vgem.ko',
  'drivers/gpu/drm/drm_kms_helper.ko',
  'drivers/gpu/drm/ttm/ttm.ko',
  'drivers/gpu/drm/drm_ttm_helper.ko',
  'drivers/gpu/drm/drm_vram_helper.ko',
  'drivers/gpu/drm/tiny/bochs.ko',
  'drivers/gpu/drm/tiny/cirrus.ko',
  // probed with `-device qxl` only (kernel/qxl.test.ts); without the device it loads and binds nothing
  'drivers/gpu/drm/qxl/qxl.ko',
];

export const SETUP_COMMAND = 'npm run kernel:setup';

/** The emulator KernelVm runs (kernel/doctor.ts checks that it is on PATH). */
export const QEMU_BINARY = 'qemu-system-x86_64';
