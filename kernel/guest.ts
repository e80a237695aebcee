// Facts of the guest machine that KernelVm boots, shared by the VM (kernel/vm.ts) and the code
// that reasons about what fits in it (kernel/memory.ts). Imports nothing.

/** The guest's RAM (QEMU -m). */
export const GUEST_MEMORY_MIB = 1024;
