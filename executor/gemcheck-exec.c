/*
 * gemcheck-exec: runs gemcheck programs against real DRM devices and reports what the
 * kernel answered. The wire format is executor/PROTOCOL.md; keep the two in step.
 *
 * Build: gcc -O2 -static -o gemcheck-exec gemcheck-exec.c
 * Usage: gemcheck-exec [--io PATH | --in PATH --out PATH] [--taint] [--flush-each]
 *                      [--exec-dir DIR]
 *        (default stdin/stdout; --taint reports kernel taint changes, --flush-each writes each
 *        result line at once instead of at done; --exec-dir is where `file` uploads go,
 *        default /tmp)
 *        gemcheck-exec --vectors      print the pattern/digest test vectors and exit
 *
 * No randomness, and no clocks except for the timeout of `exec`: the same input gives the
 * same calls in the same order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ---- DRM uapi (defined here so the build needs only libc headers) ---- */

struct gc_gem_close { uint32_t handle, pad; };
struct gc_gem_flink { uint32_t handle, name; };
struct gc_gem_open { uint32_t name, handle; uint64_t size; };
struct gc_prime_handle { uint32_t handle, flags; int32_t fd; };
struct gc_create_dumb { uint32_t height, width, bpp, flags, handle, pitch; uint64_t size; };
struct gc_map_dumb { uint32_t handle, pad; uint64_t offset; };
struct gc_destroy_dumb { uint32_t handle; };
struct gc_auth { uint32_t magic; };
struct gc_vgem_fence_attach { uint32_t handle, flags, out_fence, pad; };
struct gc_vgem_fence_signal { uint32_t fence, flags; };
struct gc_ro_create { uint64_t size; uint32_t handle, pad; };

#define GC_IOC(dir, nr, type) _IOC(dir, 'd', nr, sizeof(type))
#define GC_IOCTL_GET_MAGIC GC_IOC(_IOC_READ, 0x02, struct gc_auth)
#define GC_IOCTL_GEM_CLOSE GC_IOC(_IOC_WRITE, 0x09, struct gc_gem_close)
#define GC_IOCTL_GEM_FLINK GC_IOC(_IOC_READ | _IOC_WRITE, 0x0a, struct gc_gem_flink)
#define GC_IOCTL_GEM_OPEN GC_IOC(_IOC_READ | _IOC_WRITE, 0x0b, struct gc_gem_open)
#define GC_IOCTL_AUTH_MAGIC GC_IOC(_IOC_WRITE, 0x11, struct gc_auth)
#define GC_IOCTL_PRIME_HANDLE_TO_FD GC_IOC(_IOC_READ | _IOC_WRITE, 0x2d, struct gc_prime_handle)
#define GC_IOCTL_PRIME_FD_TO_HANDLE GC_IOC(_IOC_READ | _IOC_WRITE, 0x2e, struct gc_prime_handle)
#define GC_IOCTL_MODE_CREATE_DUMB GC_IOC(_IOC_READ | _IOC_WRITE, 0xb2, struct gc_create_dumb)
#define GC_IOCTL_MODE_MAP_DUMB GC_IOC(_IOC_READ | _IOC_WRITE, 0xb3, struct gc_map_dumb)
#define GC_IOCTL_MODE_DESTROY_DUMB GC_IOC(_IOC_READ | _IOC_WRITE, 0xb4, struct gc_destroy_dumb)
#define GC_IOCTL_VGEM_FENCE_ATTACH GC_IOC(_IOC_READ | _IOC_WRITE, 0x41, struct gc_vgem_fence_attach)
#define GC_IOCTL_VGEM_FENCE_SIGNAL GC_IOC(_IOC_WRITE, 0x42, struct gc_vgem_fence_signal)
#define GC_IOCTL_RO_CREATE GC_IOC(_IOC_READ | _IOC_WRITE, 0x43, struct gc_ro_create)

/* The numbers PROTOCOL.md and kernel-semantics.md quote; a mismatch fails the build. */
_Static_assert(GC_IOCTL_GEM_CLOSE == 0x40086409, "GEM_CLOSE");
_Static_assert(GC_IOCTL_GEM_FLINK == 0xC008640A, "GEM_FLINK");
_Static_assert(GC_IOCTL_GEM_OPEN == 0xC010640B, "GEM_OPEN");
_Static_assert(GC_IOCTL_PRIME_HANDLE_TO_FD == 0xC00C642D, "PRIME_HANDLE_TO_FD");
_Static_assert(GC_IOCTL_PRIME_FD_TO_HANDLE == 0xC00C642E, "PRIME_FD_TO_HANDLE");
_Static_assert(GC_IOCTL_MODE_CREATE_DUMB == 0xC02064B2, "CREATE_DUMB");
_Static_assert(GC_IOCTL_MODE_MAP_DUMB == 0xC01064B3, "MAP_DUMB");
_Static_assert(GC_IOCTL_MODE_DESTROY_DUMB == 0xC00464B4, "DESTROY_DUMB");
_Static_assert(GC_IOCTL_GET_MAGIC == 0x80046402, "GET_MAGIC");
_Static_assert(GC_IOCTL_AUTH_MAGIC == 0x40046411, "AUTH_MAGIC");
_Static_assert(GC_IOCTL_VGEM_FENCE_ATTACH == 0xC0106441, "VGEM_FENCE_ATTACH");
_Static_assert(GC_IOCTL_VGEM_FENCE_SIGNAL == 0x40086442, "VGEM_FENCE_SIGNAL");
_Static_assert(GC_IOCTL_RO_CREATE == 0xC0106443, "RO_CREATE");

/* DRM_IOCTL_VERSION (include/uapi/drm/drm.h struct drm_version): finds a node by driver name. */
struct gc_drm_version {
  int version_major, version_minor, version_patchlevel;
  size_t name_len;
  char *name;
  size_t date_len;
  char *date;
  size_t desc_len;
  char *desc;
};
#define GC_IOCTL_VERSION GC_IOC(_IOC_READ | _IOC_WRITE, 0x00, struct gc_drm_version)
_Static_assert(sizeof(struct gc_drm_version) == 64, "drm_version");
_Static_assert(GC_IOCTL_VERSION == 0xC0406400, "VERSION");

/* ---- amdgpu uapi: include/uapi/drm/amdgpu_drm.h (torvalds/linux; the v6.1 layouts) ----
 * Defined here because the build needs only libc headers. Unions are flattened to the
 * struct that is larger, with the in/out members where the header puts them. */
#define GC_AMDGPU_GEM_CREATE 0x40     /* DRM_COMMAND_BASE + DRM_AMDGPU_GEM_CREATE 0x00 */
#define GC_AMDGPU_GEM_MMAP 0x41       /* + 0x01 */
#define GC_AMDGPU_CTX 0x42            /* + 0x02 */
#define GC_AMDGPU_CS 0x44             /* + 0x04 */
#define GC_AMDGPU_INFO 0x45           /* + 0x05 */
#define GC_AMDGPU_GEM_WAIT_IDLE 0x47  /* + 0x07 */
#define GC_AMDGPU_WAIT_CS 0x49        /* + 0x09 */
#define GC_AMDGPU_GEM_OP 0x50         /* + 0x10 */
#define GC_AMDGPU_GEM_USERPTR 0x51    /* + 0x11 */
#define GC_AMDGPU_WAIT_FENCES 0x52    /* + 0x12 */

/* union drm_amdgpu_gem_create: in {bo_size, alignment, domains, domain_flags}, out {handle, _pad} */
struct gc_amdgpu_gem_create {
  union {
    struct { uint64_t bo_size, alignment, domains, domain_flags; } in;
    struct { uint32_t handle, _pad; } out;
  };
};
/* union drm_amdgpu_gem_mmap: in {handle, _pad}, out {addr_ptr} */
struct gc_amdgpu_gem_mmap {
  union {
    struct { uint32_t handle, _pad; } in;
    struct { uint64_t addr_ptr; } out;
  };
};
/* union drm_amdgpu_ctx: in {op, flags, ctx_id, priority}, out.alloc {ctx_id, _pad} */
#define GC_AMDGPU_CTX_OP_ALLOC_CTX 1
#define GC_AMDGPU_CTX_OP_FREE_CTX 2
struct gc_amdgpu_ctx {
  union {
    struct { uint32_t op, flags, ctx_id; int32_t priority; } in;
    struct { uint32_t ctx_id, _pad; } alloc;
    struct { uint64_t flags; uint32_t hangs, reset_status; } state;
  };
};
/* struct drm_amdgpu_cs_chunk, drm_amdgpu_cs_chunk_ib, drm_amdgpu_bo_list_in/_entry, union drm_amdgpu_cs */
#define GC_AMDGPU_CHUNK_ID_IB 0x01
#define GC_AMDGPU_CHUNK_ID_BO_HANDLES 0x06
#define GC_AMDGPU_HW_IP_GFX 0
struct gc_amdgpu_cs_chunk { uint32_t chunk_id, length_dw; uint64_t chunk_data; };
struct gc_amdgpu_cs_chunk_ib {
  uint32_t _pad, flags;
  uint64_t va_start;
  uint32_t ib_bytes, ip_type, ip_instance, ring;
};
struct gc_amdgpu_bo_list_in { uint32_t operation, list_handle, bo_number, bo_info_size; uint64_t bo_info_ptr; };
struct gc_amdgpu_bo_list_entry { uint32_t bo_handle, bo_priority; };
struct gc_amdgpu_cs {
  union {
    struct { uint32_t ctx_id, bo_list_handle, num_chunks, flags; uint64_t chunks; } in;
    struct { uint64_t handle; } out;
  };
};
/* struct drm_amdgpu_info (its query union: 16 bytes) */
struct gc_amdgpu_info {
  uint64_t return_pointer;
  uint32_t return_size, query;
  uint32_t query_union[4];
};
/* union drm_amdgpu_gem_wait_idle: in {handle, flags, timeout}, out {status, domain} */
struct gc_amdgpu_gem_wait_idle {
  union {
    struct { uint32_t handle, flags; uint64_t timeout; } in;
    struct { uint32_t status, domain; } out;
  };
};
/* union drm_amdgpu_wait_cs: in {handle, timeout, ip_type, ip_instance, ring, ctx_id}, out {status} */
struct gc_amdgpu_wait_cs {
  union {
    struct { uint64_t handle, timeout; uint32_t ip_type, ip_instance, ring, ctx_id; } in;
    struct { uint64_t status; } out;
  };
};
/* struct drm_amdgpu_gem_op, as in v6.1 (later kernels append num_entries and padding; drm_ioctl
 * zero-fills the missing tail of a shorter struct, so this layout works there too) */
#define GC_AMDGPU_GEM_OP_GET_GEM_CREATE_INFO 0
struct gc_amdgpu_gem_op { uint32_t handle, op; uint64_t value; };
/* struct drm_amdgpu_gem_create_in: what GET_GEM_CREATE_INFO writes at op.value */
struct gc_amdgpu_gem_create_in { uint64_t bo_size, alignment, domains, domain_flags; };
/* struct drm_amdgpu_gem_userptr */
struct gc_amdgpu_gem_userptr { uint64_t addr, size; uint32_t flags, handle; };
/* struct drm_amdgpu_fence, union drm_amdgpu_wait_fences: in {fences, fence_count, wait_all,
 * timeout_ns}, out {status, first_signaled} */
struct gc_amdgpu_fence { uint32_t ctx_id, ip_type, ip_instance, ring; uint64_t seq_no; };
struct gc_amdgpu_wait_fences {
  union {
    struct { uint64_t fences; uint32_t fence_count, wait_all; uint64_t timeout_ns; } in;
    struct { uint32_t status, first_signaled; } out;
  };
};
/* gemcheck's test ioctls on the amdgpu device (ir/ioctls.ts, docs/amdgpu.md): what userspace
 * cannot do itself. Not amdgpu uapi: a real amdgpu (num_ioctls 0x16 on 6.1) answers EINVAL. */
struct gc_amdgpu_cs_complete { uint32_t ctx_id, _pad; uint64_t seq; };
struct gc_amdgpu_bo_info { uint32_t handle, domain, visible, pins; };
struct gc_amdgpu_bo_pin { uint32_t handle, domain; };
struct gc_amdgpu_bo_unpin { uint32_t handle, _pad; };

#define GC_IOCTL_AMDGPU_GEM_CREATE GC_IOC(_IOC_READ | _IOC_WRITE, GC_AMDGPU_GEM_CREATE, struct gc_amdgpu_gem_create)
#define GC_IOCTL_AMDGPU_GEM_MMAP GC_IOC(_IOC_READ | _IOC_WRITE, GC_AMDGPU_GEM_MMAP, struct gc_amdgpu_gem_mmap)
#define GC_IOCTL_AMDGPU_CTX GC_IOC(_IOC_READ | _IOC_WRITE, GC_AMDGPU_CTX, struct gc_amdgpu_ctx)
#define GC_IOCTL_AMDGPU_CS GC_IOC(_IOC_READ | _IOC_WRITE, GC_AMDGPU_CS, struct gc_amdgpu_cs)
#define GC_IOCTL_AMDGPU_INFO GC_IOC(_IOC_WRITE, GC_AMDGPU_INFO, struct gc_amdgpu_info)
#define GC_IOCTL_AMDGPU_GEM_WAIT_IDLE GC_IOC(_IOC_READ | _IOC_WRITE, GC_AMDGPU_GEM_WAIT_IDLE, struct gc_amdgpu_gem_wait_idle)
#define GC_IOCTL_AMDGPU_WAIT_CS GC_IOC(_IOC_READ | _IOC_WRITE, GC_AMDGPU_WAIT_CS, struct gc_amdgpu_wait_cs)
#define GC_IOCTL_AMDGPU_GEM_OP GC_IOC(_IOC_READ | _IOC_WRITE, GC_AMDGPU_GEM_OP, struct gc_amdgpu_gem_op)
#define GC_IOCTL_AMDGPU_GEM_USERPTR GC_IOC(_IOC_READ | _IOC_WRITE, GC_AMDGPU_GEM_USERPTR, struct gc_amdgpu_gem_userptr)
#define GC_IOCTL_AMDGPU_WAIT_FENCES GC_IOC(_IOC_READ | _IOC_WRITE, GC_AMDGPU_WAIT_FENCES, struct gc_amdgpu_wait_fences)
#define GC_IOCTL_AMDGPU_CS_COMPLETE GC_IOC(_IOC_WRITE, 0x70, struct gc_amdgpu_cs_complete)
#define GC_IOCTL_AMDGPU_BO_INFO GC_IOC(_IOC_READ | _IOC_WRITE, 0x71, struct gc_amdgpu_bo_info)
#define GC_IOCTL_AMDGPU_BO_PIN GC_IOC(_IOC_WRITE, 0x72, struct gc_amdgpu_bo_pin)
#define GC_IOCTL_AMDGPU_BO_UNPIN GC_IOC(_IOC_WRITE, 0x73, struct gc_amdgpu_bo_unpin)

_Static_assert(sizeof(struct gc_amdgpu_gem_create) == 32, "drm_amdgpu_gem_create");
_Static_assert(sizeof(struct gc_amdgpu_gem_mmap) == 8, "drm_amdgpu_gem_mmap");
_Static_assert(sizeof(struct gc_amdgpu_ctx) == 16, "drm_amdgpu_ctx");
_Static_assert(sizeof(struct gc_amdgpu_cs_chunk) == 16, "drm_amdgpu_cs_chunk");
_Static_assert(sizeof(struct gc_amdgpu_cs_chunk_ib) == 32, "drm_amdgpu_cs_chunk_ib");
_Static_assert(sizeof(struct gc_amdgpu_bo_list_in) == 24, "drm_amdgpu_bo_list_in");
_Static_assert(sizeof(struct gc_amdgpu_bo_list_entry) == 8, "drm_amdgpu_bo_list_entry");
_Static_assert(sizeof(struct gc_amdgpu_cs) == 24, "drm_amdgpu_cs");
_Static_assert(sizeof(struct gc_amdgpu_info) == 32, "drm_amdgpu_info");
_Static_assert(sizeof(struct gc_amdgpu_gem_wait_idle) == 16, "drm_amdgpu_gem_wait_idle");
_Static_assert(sizeof(struct gc_amdgpu_wait_cs) == 32, "drm_amdgpu_wait_cs");
_Static_assert(sizeof(struct gc_amdgpu_gem_op) == 16, "drm_amdgpu_gem_op (v6.1)");
_Static_assert(sizeof(struct gc_amdgpu_gem_create_in) == 32, "drm_amdgpu_gem_create_in");
_Static_assert(sizeof(struct gc_amdgpu_gem_userptr) == 24, "drm_amdgpu_gem_userptr");
_Static_assert(sizeof(struct gc_amdgpu_fence) == 24, "drm_amdgpu_fence");
_Static_assert(sizeof(struct gc_amdgpu_wait_fences) == 24, "drm_amdgpu_wait_fences");
_Static_assert(GC_IOCTL_AMDGPU_GEM_CREATE == 0xC0206440, "AMDGPU_GEM_CREATE");
_Static_assert(GC_IOCTL_AMDGPU_GEM_MMAP == 0xC0086441, "AMDGPU_GEM_MMAP");
_Static_assert(GC_IOCTL_AMDGPU_CTX == 0xC0106442, "AMDGPU_CTX");
_Static_assert(GC_IOCTL_AMDGPU_CS == 0xC0186444, "AMDGPU_CS");
_Static_assert(GC_IOCTL_AMDGPU_INFO == 0x40206445, "AMDGPU_INFO");
_Static_assert(GC_IOCTL_AMDGPU_GEM_WAIT_IDLE == 0xC0106447, "AMDGPU_GEM_WAIT_IDLE");
_Static_assert(GC_IOCTL_AMDGPU_WAIT_CS == 0xC0206449, "AMDGPU_WAIT_CS");
_Static_assert(GC_IOCTL_AMDGPU_GEM_OP == 0xC0106450, "AMDGPU_GEM_OP");
_Static_assert(GC_IOCTL_AMDGPU_GEM_USERPTR == 0xC0186451, "AMDGPU_GEM_USERPTR");
_Static_assert(GC_IOCTL_AMDGPU_WAIT_FENCES == 0xC0186452, "AMDGPU_WAIT_FENCES");

/* ---- NVDLA uapi: nvdla/sw kmd/port/linux/include/nvdla_ioctl.h ---- */
#define GC_NVDLA_MAX_BUFFERS_PER_TASK 6144
#define GC_NVDLA_NO_TIMEOUT 0xffffffffu
struct gc_nvdla_mem_handle { uint32_t handle, reserved; uint64_t offset; };
struct gc_nvdla_ioctl_submit_task { uint32_t num_addresses, timeout; uint64_t address_list; };
struct gc_nvdla_submit_args { uint64_t tasks; uint16_t num_tasks, flags; uint32_t version; };
struct gc_nvdla_gem_create_args { uint32_t handle, flags; uint64_t size; };
struct gc_nvdla_gem_map_offset_args { uint32_t handle, reserved; uint64_t offset; };
struct gc_nvdla_gem_destroy_args { uint32_t handle; };
/* gemcheck's simulated engine operation (ir/calls/nvdla.ts): it stands in for the network
 * descriptors real firmware reads from the buffers. It follows tasks[0] in memory, where the
 * kernel never looks (num_tasks is 1; nvdla_submit copies sizeof(tasks[0])), so a real NVDLA
 * sees exactly nvdla_ioctl.h's submit. */
struct gc_nvdla_engine_op { uint32_t op; int16_t dst, src; uint32_t len, value; };
struct gc_nvdla_task_sim { struct gc_nvdla_ioctl_submit_task task; struct gc_nvdla_engine_op engine; };
/* gemcheck's debug query on the NVDLA device (not NVDLA uapi: a real one answers EINVAL) */
struct gc_nvdla_bo_info { uint32_t handle, _pad; uint64_t dma_addr; };

#define GC_IOCTL_NVDLA_SUBMIT GC_IOC(_IOC_READ | _IOC_WRITE, 0x40, struct gc_nvdla_submit_args)
#define GC_IOCTL_NVDLA_GEM_CREATE GC_IOC(_IOC_READ | _IOC_WRITE, 0x41, struct gc_nvdla_gem_create_args)
#define GC_IOCTL_NVDLA_GEM_MMAP GC_IOC(_IOC_READ | _IOC_WRITE, 0x42, struct gc_nvdla_gem_map_offset_args)
#define GC_IOCTL_NVDLA_GEM_DESTROY GC_IOC(_IOC_READ | _IOC_WRITE, 0x43, struct gc_nvdla_gem_destroy_args)
#define GC_IOCTL_NVDLA_BO_INFO GC_IOC(_IOC_READ | _IOC_WRITE, 0x70, struct gc_nvdla_bo_info)

_Static_assert(sizeof(struct gc_nvdla_mem_handle) == 16, "nvdla_mem_handle");
_Static_assert(sizeof(struct gc_nvdla_ioctl_submit_task) == 16, "nvdla_ioctl_submit_task");
_Static_assert(sizeof(struct gc_nvdla_submit_args) == 16, "nvdla_submit_args");
_Static_assert(sizeof(struct gc_nvdla_gem_create_args) == 16, "nvdla_gem_create_args");
_Static_assert(sizeof(struct gc_nvdla_gem_map_offset_args) == 16, "nvdla_gem_map_offset_args");
_Static_assert(sizeof(struct gc_nvdla_gem_destroy_args) == 4, "nvdla_gem_destroy_args");
_Static_assert(GC_IOCTL_NVDLA_SUBMIT == 0xC0106440, "NVDLA_SUBMIT");
_Static_assert(GC_IOCTL_NVDLA_GEM_CREATE == 0xC0106441, "NVDLA_GEM_CREATE");
_Static_assert(GC_IOCTL_NVDLA_GEM_MMAP == 0xC0106442, "NVDLA_GEM_MMAP");
_Static_assert(GC_IOCTL_NVDLA_GEM_DESTROY == 0xC0046443, "NVDLA_GEM_DESTROY");

/* ---- call table ---- */

enum field { F_FD, F_DMABUF, F_NAME, F_HANDLE, F_SIZE, F_PITCH, F_OFFSET, F_MAGIC, F_FENCE,
             F_MAP, F_DIGEST, F_CTX, F_SEQ, F_STATUS, F_FIRST, F_VALUE, F_DOMAIN, F_VISIBLE,
             F_PINS, F_ALIGNMENT, F_DOMAINS, F_FLAGS, F_DMA_ADDR, F_COUNT, F_NONE = -1 };
static const char *const field_names[F_COUNT] = {
  "fd", "dmabuf", "name", "handle", "size", "pitch", "offset", "magic", "fence", "map", "digest",
  "ctx", "seq", "status", "first", "value", "domain", "visible", "pins", "alignment", "domains",
  "flags", "dma_addr",
};

enum op { OP_OPEN, OP_CLOSE, OP_DUP, OP_GEM_CLOSE, OP_GEM_FLINK, OP_GEM_OPEN, OP_PRIME_H2FD,
          OP_PRIME_FD2H, OP_CREATE_DUMB, OP_MAP_DUMB, OP_DESTROY_DUMB, OP_GET_MAGIC,
          OP_AUTH_MAGIC, OP_FENCE_ATTACH, OP_FENCE_SIGNAL, OP_RO_CREATE, OP_MMAP, OP_MUNMAP,
          OP_MPROTECT, OP_WRITE, OP_READ, OP_AMDGPU_GEM_CREATE, OP_AMDGPU_GEM_MMAP,
          OP_AMDGPU_GEM_USERPTR, OP_AMDGPU_GEM_OP, OP_AMDGPU_GEM_WAIT_IDLE, OP_AMDGPU_CTX_ALLOC,
          OP_AMDGPU_CTX_FREE, OP_AMDGPU_CS, OP_AMDGPU_CS_COMPLETE, OP_AMDGPU_WAIT_CS,
          OP_AMDGPU_WAIT_FENCES, OP_AMDGPU_INFO, OP_AMDGPU_BO_INFO, OP_AMDGPU_BO_PIN,
          OP_AMDGPU_BO_UNPIN, OP_NVDLA_GEM_CREATE, OP_NVDLA_GEM_MMAP, OP_NVDLA_GEM_DESTROY,
          OP_NVDLA_SUBMIT, OP_NVDLA_BO_INFO,
          OP_QXL_ALLOC, OP_QXL_MAP, OP_QXL_ALLOC_SURF,
          OP_COUNT };

#define MAX_ARGS 13
#define MAX_OUTS 4
struct opdesc {
  const char *name;
  int nargs;
  int nouts;
  int outs[MAX_OUTS];
  unsigned fd_args; /* bit i: argument i is a file descriptor (harness fd rule applies) */
};
static const struct opdesc ops[OP_COUNT] = {
  [OP_OPEN] = {"open", 2, 1, {F_FD}, 0},
  [OP_CLOSE] = {"close", 1, 0, {0}, 1},
  [OP_DUP] = {"dup", 1, 1, {F_FD}, 1},
  [OP_GEM_CLOSE] = {"gem_close", 2, 0, {0}, 1},
  [OP_GEM_FLINK] = {"gem_flink", 2, 1, {F_NAME}, 1},
  [OP_GEM_OPEN] = {"gem_open", 2, 2, {F_HANDLE, F_SIZE}, 1},
  [OP_PRIME_H2FD] = {"prime_handle_to_fd", 3, 1, {F_DMABUF}, 1},
  [OP_PRIME_FD2H] = {"prime_fd_to_handle", 2, 1, {F_HANDLE}, 3},
  [OP_CREATE_DUMB] = {"create_dumb", 5, 3, {F_HANDLE, F_PITCH, F_SIZE}, 1},
  [OP_MAP_DUMB] = {"map_dumb", 2, 1, {F_OFFSET}, 1},
  [OP_DESTROY_DUMB] = {"destroy_dumb", 2, 0, {0}, 1},
  [OP_GET_MAGIC] = {"get_magic", 1, 1, {F_MAGIC}, 1},
  [OP_AUTH_MAGIC] = {"auth_magic", 2, 0, {0}, 1},
  [OP_FENCE_ATTACH] = {"fence_attach", 3, 1, {F_FENCE}, 1},
  [OP_FENCE_SIGNAL] = {"fence_signal", 3, 0, {0}, 1},
  [OP_RO_CREATE] = {"ro_create", 2, 1, {F_HANDLE}, 1},
  [OP_MMAP] = {"mmap", 5, 1, {F_MAP}, 1},
  [OP_MUNMAP] = {"munmap", 1, 0, {0}, 0},
  [OP_MPROTECT] = {"mprotect", 2, 0, {0}, 0},
  [OP_WRITE] = {"write", 4, 0, {0}, 0},
  [OP_READ] = {"read", 3, 1, {F_DIGEST}, 0},
  [OP_AMDGPU_GEM_CREATE] = {"amdgpu_gem_create", 5, 1, {F_HANDLE}, 1},
  [OP_AMDGPU_GEM_MMAP] = {"amdgpu_gem_mmap", 2, 1, {F_OFFSET}, 1},
  [OP_AMDGPU_GEM_USERPTR] = {"amdgpu_gem_userptr", 4, 1, {F_HANDLE}, 1},
  [OP_AMDGPU_GEM_OP] = {"amdgpu_gem_op", 4, 4, {F_SIZE, F_ALIGNMENT, F_DOMAINS, F_FLAGS}, 1},
  [OP_AMDGPU_GEM_WAIT_IDLE] = {"amdgpu_gem_wait_idle", 3, 1, {F_STATUS}, 1},
  [OP_AMDGPU_CTX_ALLOC] = {"amdgpu_ctx_alloc", 1, 1, {F_CTX}, 1},
  [OP_AMDGPU_CTX_FREE] = {"amdgpu_ctx_free", 2, 0, {0}, 1},
  [OP_AMDGPU_CS] = {"amdgpu_cs", 5, 1, {F_SEQ}, 1},
  [OP_AMDGPU_CS_COMPLETE] = {"amdgpu_cs_complete", 3, 0, {0}, 1},
  [OP_AMDGPU_WAIT_CS] = {"amdgpu_wait_cs", 4, 1, {F_STATUS}, 1},
  [OP_AMDGPU_WAIT_FENCES] = {"amdgpu_wait_fences", 6, 2, {F_STATUS, F_FIRST}, 1},
  [OP_AMDGPU_INFO] = {"amdgpu_info", 2, 1, {F_VALUE}, 1},
  [OP_AMDGPU_BO_INFO] = {"amdgpu_bo_info", 2, 3, {F_DOMAIN, F_VISIBLE, F_PINS}, 1},
  [OP_AMDGPU_BO_PIN] = {"amdgpu_bo_pin", 3, 0, {0}, 1},
  [OP_AMDGPU_BO_UNPIN] = {"amdgpu_bo_unpin", 2, 0, {0}, 1},
  [OP_NVDLA_GEM_CREATE] = {"nvdla_gem_create", 3, 1, {F_HANDLE}, 1},
  [OP_NVDLA_GEM_MMAP] = {"nvdla_gem_mmap", 2, 1, {F_OFFSET}, 1},
  [OP_NVDLA_GEM_DESTROY] = {"nvdla_gem_destroy", 2, 0, {0}, 1},
  /* fd num h0 o0 h1 o1 h2 o2 op dst src len value: h0..h2 are dma-buf fds: fd_args 85 = bits 0, 2, 4, 6 */
  [OP_NVDLA_SUBMIT] = {"nvdla_submit", 13, 0, {0}, 85},
  [OP_NVDLA_BO_INFO] = {"nvdla_bo_info", 2, 1, {F_DMA_ADDR}, 1},
  [OP_QXL_ALLOC] = {"qxl_alloc", 2, 1, {F_HANDLE}, 1},
  [OP_QXL_MAP] = {"qxl_map", 2, 1, {F_OFFSET}, 1},
  [OP_QXL_ALLOC_SURF] = {"qxl_alloc_surf", 5, 1, {F_HANDLE}, 1},
};

struct arg {
  int ref;          /* 0: literal in v; 1: reference to call ref_k's field ref_field */
  uint64_t v;
  uint32_t ref_k;
  int ref_field;
};
struct call {
  int op;
  struct arg a[MAX_ARGS];
};
enum { RES_OK, RES_ERR, RES_SIG };
struct result {
  int kind;
  int code;                /* errno for RES_ERR, signal for RES_SIG */
  uint64_t out[MAX_OUTS];  /* fd/dmabuf are stored sign-extended */
};

/* ---- limits and reserved fds ---- */

#define RESERVED_FD 900      /* the executor's own fds sit at >= this; programs stay below */
#define FD_IN 900
#define FD_OUT 901
#define FD_TAINT 902
#define MAX_LINE 4096
#define MAX_CALLS 65536
#define MAX_DEVS 16

static char *dev_path[MAX_DEVS][2];

/* ---- output ---- */

static char obuf[1 << 16];
static size_t olen;

static void out_flush(void) {
  size_t off = 0;
  while (off < olen) {
    ssize_t n = write(FD_OUT, obuf + off, olen - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3); /* host side gone: nothing left to report to */
    off += (size_t)n;
  }
  olen = 0;
}

static void out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_printf(const char *fmt, ...) {
  va_list ap;
  if (olen > sizeof obuf - 512) out_flush();
  va_start(ap, fmt);
  int n = vsnprintf(obuf + olen, sizeof obuf - olen, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof obuf - olen) { /* longer than the space left: flush and redo */
    out_flush();
    va_start(ap, fmt);
    n = vsnprintf(obuf, sizeof obuf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof obuf) n = sizeof obuf - 1;
  }
  olen += (size_t)n;
}

/* ---- pattern and digest (PROTOCOL.md "Mappings") ---- */

static uint32_t fmix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85EBCA6Bu;
  x ^= x >> 13;
  x *= 0xC2B2AE35u;
  x ^= x >> 16;
  return x;
}
static uint8_t pattern_byte(uint32_t seed, uint64_t i) {
  return (uint8_t)fmix32(seed ^ ((uint32_t)i * 0x9E3779B1u));
}
#define FNV_BASIS 0x811C9DC5u
#define FNV_PRIME 0x01000193u

/* ---- guarded memory access ---- */

static sigjmp_buf fault_jb;
static volatile sig_atomic_t in_access;

static void on_fault(int sig) {
  if (in_access) {
    in_access = 0;
    siglongjmp(fault_jb, sig);
  }
  signal(sig, SIG_DFL); /* a fault outside a guarded access is an executor bug: die loudly */
  raise(sig);
}

/* Access bytes [p, p+n) of one page. i/h carry the pattern index and digest across pages.
 * Returns 0 or the signal raised. SA_NODEFER lets us longjmp without restoring a mask,
 * which saves a syscall per page. */
static int touch_page(volatile uint8_t *p, size_t n, int is_write, uint32_t seed, uint64_t *i,
                      uint32_t *h) {
  int sig = sigsetjmp(fault_jb, 0);
  if (sig) return sig;
  in_access = 1;
  uint64_t idx = *i;
  uint32_t hh = *h;
  if (is_write) {
    for (size_t j = 0; j < n; j++) p[j] = pattern_byte(seed, idx + j);
  } else {
    for (size_t j = 0; j < n; j++) {
      hh ^= p[j];
      hh *= FNV_PRIME;
    }
  }
  in_access = 0;
  *i = idx + n;
  *h = hh;
  return 0;
}

/* ---- per-program state ---- */

struct mapping {
  uint8_t *addr;
  size_t len;
  int live;
};

static struct call *calls;
static struct result *results;
static size_t ncalls, cap_calls;
static struct mapping *maps;
static size_t nmaps, cap_maps;
static size_t page_size;

static int fd_reserved(uint64_t v) {
  int fd = (int)v;
  return fd >= 0 && (fd <= 2 || fd >= RESERVED_FD);
}

static struct mapping *live_map(uint64_t id) {
  if (id == 0 || id > nmaps || !maps[id - 1].live) return NULL;
  return &maps[id - 1];
}

static int access_range(struct mapping *m, uint64_t off, uint64_t len, int is_write,
                        uint32_t seed, uint32_t *digest) {
  uint64_t rounded = ((uint64_t)m->len + page_size - 1) / page_size * page_size;
  uint64_t pos = off, left = len, i = 0;
  uint32_t h = FNV_BASIS;
  while (left) {
    if (pos >= rounded) return SIGSEGV; /* harness rule: never touch beyond the mapping */
    uint64_t chunk = page_size - pos % page_size;
    if (chunk > left) chunk = left;
    int sig = touch_page(m->addr + pos, (size_t)chunk, is_write, seed, &i, &h);
    if (sig) return sig;
    pos += chunk;
    left -= chunk;
  }
  *digest = h;
  return 0;
}

static int xioctl(int fd, unsigned long req, void *arg) {
  int r;
  do r = ioctl(fd, req, arg);
  while (r == -1 && errno == EINTR);
  return r == -1 ? errno : 0;
}

static uint64_t sext(int v) { return (uint64_t)(int64_t)v; }

/* The address list of nvdla_submit: NVDLA_LIST_ENTRIES (3) entries at the end of a page whose
 * next page is unmapped (PROT_NONE). Made once; not a program mapping. */
#define NVDLA_LIST_ENTRIES 3
static struct gc_nvdla_mem_handle *nvdla_address_list(void) {
  static struct gc_nvdla_mem_handle *list;
  if (!list) {
    uint8_t *p = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p + page_size, page_size, PROT_NONE)) abort();
    list = (struct gc_nvdla_mem_handle *)(p + page_size) - NVDLA_LIST_ENTRIES;
  }
  return list;
}

/* A device given by driver name (`drv:<name>` or `drv:<name>:<n>` in a dev line,
 * PROTOCOL.md): the n-th (default 0th) /dev/dri node of the wanted kind (card* primary,
 * renderD* render) whose DRM_IOCTL_VERSION name is <name>. Writes its path to out; -1 if
 * there is none. Each candidate is opened, asked and closed again, so the fds a program gets
 * are unchanged. */
static int find_drm_node(const char *spec, int render, char *out, size_t outsz) {
  char want[64];
  unsigned long nth = 0;
  const char *colon = strchr(spec, ':');
  size_t wlen = colon ? (size_t)(colon - spec) : strlen(spec);
  if (wlen == 0 || wlen >= sizeof want) return -1;
  memcpy(want, spec, wlen);
  want[wlen] = 0;
  if (colon) {
    char *end;
    nth = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end) return -1;
  }
  for (int i = 0; i < 64; i++) {
    char path[64], name[64];
    snprintf(path, sizeof path, render ? "/dev/dri/renderD%d" : "/dev/dri/card%d", render ? 128 + i : i);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    struct gc_drm_version v = {.name_len = sizeof name - 1, .name = name};
    memset(name, 0, sizeof name);
    int err = xioctl(fd, GC_IOCTL_VERSION, &v);
    close(fd);
    if (err || v.name_len != wlen || memcmp(name, want, wlen)) continue;
    if (nth-- == 0) {
      snprintf(out, outsz, "%s", path);
      return 0;
    }
  }
  return -1;
}

/* ---- qxl (PROTOCOL.md "qxl"): its ops and the determinism rule ----
 * The driver re-validates its bos into VRAM at lastclose and nothing clears VRAM, so a
 * program's answers would depend on the ones before it. Rule: before the first program that
 * opens a qxl node we hold it open for good (FD_QXL: no lastclose), drop the master it made,
 * evict every unpinned driver bo with an over-sized QXL_ALLOC, and zero every free page; after
 * each program that opened qxl and wrote through a mapping, every free hole of both managers is zeroed again with
 * exact-size bos (best fit puts each in its hole). Every program then starts from the pinned
 * driver bos and zero VRAM. Evictions a program caused are counted from debugfs qxl_mem_mm /
 * qxl_surf_mm (used nodes before and after each alloc) and reported as `evict <id> <n>`. */

struct gc_qxl_alloc { uint32_t size, handle; };
struct gc_qxl_map { uint64_t offset; uint32_t handle, pad; };
struct gc_qxl_alloc_surf { uint32_t format, width, height; int32_t stride; uint32_t handle, pad; };
#define GC_IOCTL_QXL_ALLOC GC_IOC(_IOC_READ | _IOC_WRITE, 0x40, struct gc_qxl_alloc)
#define GC_IOCTL_QXL_MAP GC_IOC(_IOC_READ | _IOC_WRITE, 0x41, struct gc_qxl_map)
#define GC_IOCTL_QXL_ALLOC_SURF GC_IOC(_IOC_READ | _IOC_WRITE, 0x46, struct gc_qxl_alloc_surf)
#define GC_IOCTL_DROP_MASTER _IO('d', 0x1f)
_Static_assert(GC_IOCTL_QXL_ALLOC == 0xC0086440, "QXL_ALLOC");
_Static_assert(GC_IOCTL_QXL_MAP == 0xC0106441, "QXL_MAP");

#define FD_QXL 903
#define QXL_MAX_HOLES 512
static int qxl_state;         /* 0: not looked for yet, 1: held at FD_QXL, -1: none */
static int qxl_card = -1;     /* its minor: /sys/kernel/debug/dri/<n>/ */
static int qxl_prog_write;    /* this program wrote through a mapping (a faulting write too) */
static int qxl_prog_used;     /* this program opened the qxl node */
static char qxl_path[64];
static uint64_t qxl_prog_evictions;

struct qxl_hole { unsigned start, pages; };
/* One manager's layout: its free holes (if holes) and its used-node count; total pages. */
static unsigned qxl_layout(const char *file, struct qxl_hole *holes, unsigned *nholes,
                           unsigned *total) {
  static char b[1 << 16];
  char path[96];
  snprintf(path, sizeof path, "/sys/kernel/debug/dri/%d/%s", qxl_card, file);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = f < 0 ? -1 : read(f, b, sizeof b - 1);
  if (f >= 0) close(f);
  b[n > 0 ? n : 0] = 0;
  unsigned used = 0;
  if (nholes) *nholes = 0;
  if (total) *total = 0;
  char *save = NULL;
  for (char *l = strtok_r(b, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    unsigned long long st, en;
    unsigned c;
    char w[16];
    if (sscanf(l, "0x%llx-0x%llx: %u: %15s", &st, &en, &c, w) != 4) continue;
    if (total) *total += c;
    if (w[0] == 'u') used++;
    else if (holes && *nholes < QXL_MAX_HOLES) holes[(*nholes)++] = (struct qxl_hole){(unsigned)st, c};
  }
  return used;
}
static unsigned qxl_used(void) {
  return qxl_layout("qxl_mem_mm", NULL, NULL, NULL) + qxl_layout("qxl_surf_mm", NULL, NULL, NULL);
}
static int qxl_zero_bo(uint32_t handle, size_t len) {
  struct gc_qxl_map m = {.handle = handle};
  if (xioctl(FD_QXL, GC_IOCTL_QXL_MAP, &m)) return -1;
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, FD_QXL, (off_t)m.offset);
  if (p == MAP_FAILED) return -1;
  memset(p, 0, len);
  munmap(p, len);
  return 0;
}
/* Every free hole of both managers allocated exactly, zeroed, then freed, largest first. */
static void qxl_scrub(void) {
  static struct qxl_hole holes[QXL_MAX_HOLES];
  static uint32_t hs[QXL_MAX_HOLES + 1];
  unsigned nh, nz = 0, privp;
  qxl_layout("qxl_mem_mm", holes, &nh, NULL);
  for (;;) {
    int best = -1;
    for (unsigned j = 0; j < nh; j++)
      if (holes[j].pages && (best < 0 || holes[j].pages > holes[best].pages)) best = (int)j;
    if (best < 0) break;
    struct gc_qxl_alloc a = {.size = holes[best].pages * (uint32_t)page_size};
    holes[best].pages = 0;
    if (xioctl(FD_QXL, GC_IOCTL_QXL_ALLOC, &a)) break;
    qxl_zero_bo(a.handle, a.size);
    hs[nz++] = a.handle;
  }
  /* the surface manager holds nothing of the driver's: one bo covers it */
  unsigned used = qxl_layout("qxl_surf_mm", NULL, NULL, &privp);
  if (!used && privp) {
    struct gc_qxl_alloc_surf a = {.format = 32, .width = 1024, .height = privp - 1,
                                  .stride = (int32_t)page_size};
    if (!xioctl(FD_QXL, GC_IOCTL_QXL_ALLOC_SURF, &a)) {
      qxl_zero_bo(a.handle, (size_t)privp * page_size);
      hs[nz++] = a.handle;
    }
  }
  for (unsigned j = 0; j < nz; j++) {
    struct gc_gem_close c = {.handle = hs[j]};
    xioctl(FD_QXL, GC_IOCTL_GEM_CLOSE, &c);
  }
}
/* Whether a device node is driven by qxl (sysfs: /sys/dev/char/<major>:<minor>/device/driver),
 * without opening it (a close could be the device's lastclose). */
static int qxl_node(const char *path, int *minor) {
  struct stat st;
  char link[96], target[256];
  if (!path || stat(path, &st) < 0 || !S_ISCHR(st.st_mode)) return 0;
  snprintf(link, sizeof link, "/sys/dev/char/%u:%u/device/driver", major(st.st_rdev), minor(st.st_rdev));
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = 0;
  const char *base = strrchr(target, '/');
  *minor = (int)minor(st.st_rdev);
  return !strcmp(base ? base + 1 : target, "qxl");
}
/* Before the first program that opens a qxl node: hold it, drop master, evict, scrub. Programs
 * that never open qxl do not pay for it (nor change the device). */
static void qxl_setup(const char *path, int minor) {
  qxl_state = -1;
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  {
    /* programs' fd limit stops below our fds: lift it for the dup */
    struct rlimit rl, hi;
    getrlimit(RLIMIT_NOFILE, &rl);
    hi = rl;
    if (hi.rlim_cur < FD_QXL + 1) hi.rlim_cur = FD_QXL + 1 <= hi.rlim_max ? FD_QXL + 1 : hi.rlim_max;
    setrlimit(RLIMIT_NOFILE, &hi);
    int moved = dup3(fd, FD_QXL, O_CLOEXEC);
    setrlimit(RLIMIT_NOFILE, &rl);
    close(fd);
    if (moved < 0) return;
  }
  ioctl(FD_QXL, GC_IOCTL_DROP_MASTER, 0); /* we opened it first: a program's opener is master */
  snprintf(qxl_path, sizeof qxl_path, "%s", path);
  qxl_card = minor;
  qxl_state = 1;
  unsigned total;
  qxl_layout("qxl_mem_mm", NULL, NULL, &total);
  /* ENOMEM after evicting every unpinned bo — but a bo the driver is still using (its fbdev
   * set-up just after boot, on a loaded machine) is busy and skipped: evict again until the
   * layout has not changed for three tries 100 ms apart */
  unsigned last = ~0u;
  for (int same = 0, tries = 0; same < 3 && tries < 50; tries++) {
    struct gc_qxl_alloc a = {.size = (total + 1) * (uint32_t)page_size};
    xioctl(FD_QXL, GC_IOCTL_QXL_ALLOC, &a);
    unsigned used = qxl_layout("qxl_mem_mm", NULL, NULL, NULL);
    same = used == last ? same + 1 : 0;
    last = used;
    if (same < 3) usleep(100000);
  }
  qxl_scrub();
}
/* A program is about to run (all its calls parsed): set qxl up if it opens a qxl node. */
static void qxl_begin_program(const struct call *cs, size_t n) {
  qxl_prog_used = qxl_prog_write = 0;
  qxl_prog_evictions = 0;
  for (size_t k = 0; k < n && qxl_state == 0; k++) {
    int minor;
    const struct arg *a = cs[k].a;
    if (cs[k].op != OP_OPEN || a[0].ref || a[1].ref || a[0].v >= MAX_DEVS || a[1].v >= 2) continue;
    const char *path = dev_path[a[0].v][a[1].v];
    if (qxl_node(path, &minor)) qxl_setup(path, minor);
  }
}
/* After the program's fds and mappings are gone. */
static void qxl_finish_program(uint64_t id) {
  if (qxl_state != 1) return;
  if (qxl_prog_evictions) out_printf("evict %" PRIu64 " %" PRIu64 "\n", id, qxl_prog_evictions);
  if (qxl_prog_used && qxl_prog_write) qxl_scrub();
}
static int qxl_call(int op, const uint64_t *a, struct result *r) {
  int fd = (int)a[0], e = 0;
  unsigned before = qxl_state == 1 && op != OP_QXL_MAP ? qxl_used() : 0;
  switch (op) {
  case OP_QXL_ALLOC: {
    struct gc_qxl_alloc s = {.size = (uint32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_QXL_ALLOC, &s))) r->out[0] = s.handle;
    break;
  }
  case OP_QXL_MAP: {
    struct gc_qxl_map s = {.handle = (uint32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_QXL_MAP, &s))) r->out[0] = s.offset;
    break;
  }
  case OP_QXL_ALLOC_SURF: {
    struct gc_qxl_alloc_surf s = {.format = (uint32_t)a[1], .width = (uint32_t)a[2],
                                  .height = (uint32_t)a[3], .stride = (int32_t)a[4]};
    if (!(e = xioctl(fd, GC_IOCTL_QXL_ALLOC_SURF, &s))) r->out[0] = s.handle;
    break;
  }
  }
  if (qxl_state == 1 && op != OP_QXL_MAP) {
    unsigned after = qxl_used();
    if (before + (e ? 0 : 1) > after) qxl_prog_evictions += before + (e ? 0 : 1) - after;
  }
  return e;
}

/* Run one call with resolved args; fill *r. Integer args are narrowed by C assignment. */
static void run_call(int op, const uint64_t *a, struct result *r) {
  int e = 0;
  uint64_t v[MAX_ARGS];
  memset(r, 0, sizeof *r);
  r->kind = RES_OK;
  /* Harness rule: fds 0-2 and >= 900 belong to the executor. Programs see them as closed: we
   * pass -1 (never open) so the kernel answers in its own order (e.g. bochs says ENOSYS to
   * PRIME_FD_TO_HANDLE before it looks at the dma-buf fd). */
  for (int j = 0; j < ops[op].nargs; j++)
    v[j] = (ops[op].fd_args >> j & 1) && fd_reserved(a[j]) ? UINT64_MAX : a[j];
  a = v;
  int fd = (int)a[0];
  switch (op) {
  case OP_OPEN: {
    const char *path = a[0] < MAX_DEVS && a[1] < 2 ? dev_path[a[0]][a[1]] : NULL;
    char found[64];
    if (path && !strncmp(path, "drv:", 4))
      path = find_drm_node(path + 4, (int)a[1], found, sizeof found) ? NULL : found;
    if (!path) { e = ENOENT; break; }
    int nfd = open(path, O_RDWR | O_CLOEXEC);
    if (nfd < 0) e = errno;
    else r->out[0] = sext(nfd);
    if (qxl_state == 1 && !strcmp(path, qxl_path)) qxl_prog_used = 1;
    break;
  }
  case OP_CLOSE:
    if (close(fd) < 0) e = errno;
    break;
  case OP_DUP: {
    int nfd = dup(fd);
    if (nfd < 0) e = errno;
    else r->out[0] = sext(nfd);
    break;
  }
  case OP_GEM_CLOSE: {
    struct gc_gem_close s = {.handle = (uint32_t)a[1]};
    e = xioctl(fd, GC_IOCTL_GEM_CLOSE, &s);
    break;
  }
  case OP_GEM_FLINK: {
    struct gc_gem_flink s = {.handle = (uint32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_GEM_FLINK, &s))) r->out[0] = s.name;
    break;
  }
  case OP_GEM_OPEN: {
    struct gc_gem_open s = {.name = (uint32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_GEM_OPEN, &s))) {
      r->out[0] = s.handle;
      r->out[1] = s.size;
    }
    break;
  }
  case OP_PRIME_H2FD: {
    struct gc_prime_handle s = {.handle = (uint32_t)a[1], .flags = (uint32_t)a[2], .fd = -1};
    if (!(e = xioctl(fd, GC_IOCTL_PRIME_HANDLE_TO_FD, &s))) r->out[0] = sext(s.fd);
    break;
  }
  case OP_PRIME_FD2H: {
    struct gc_prime_handle s = {.fd = (int32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_PRIME_FD_TO_HANDLE, &s))) r->out[0] = s.handle;
    break;
  }
  case OP_CREATE_DUMB: {
    struct gc_create_dumb s = {.width = (uint32_t)a[1], .height = (uint32_t)a[2],
                               .bpp = (uint32_t)a[3], .flags = (uint32_t)a[4]};
    if (!(e = xioctl(fd, GC_IOCTL_MODE_CREATE_DUMB, &s))) {
      r->out[0] = s.handle;
      r->out[1] = s.pitch;
      r->out[2] = s.size;
    }
    break;
  }
  case OP_MAP_DUMB: {
    struct gc_map_dumb s = {.handle = (uint32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_MODE_MAP_DUMB, &s))) r->out[0] = s.offset;
    break;
  }
  case OP_DESTROY_DUMB: {
    struct gc_destroy_dumb s = {.handle = (uint32_t)a[1]};
    e = xioctl(fd, GC_IOCTL_MODE_DESTROY_DUMB, &s);
    break;
  }
  case OP_GET_MAGIC: {
    struct gc_auth s = {0};
    if (!(e = xioctl(fd, GC_IOCTL_GET_MAGIC, &s))) r->out[0] = s.magic;
    break;
  }
  case OP_AUTH_MAGIC: {
    struct gc_auth s = {.magic = (uint32_t)a[1]};
    e = xioctl(fd, GC_IOCTL_AUTH_MAGIC, &s);
    break;
  }
  case OP_FENCE_ATTACH: {
    struct gc_vgem_fence_attach s = {.handle = (uint32_t)a[1], .flags = (uint32_t)a[2]};
    if (!(e = xioctl(fd, GC_IOCTL_VGEM_FENCE_ATTACH, &s))) r->out[0] = s.out_fence;
    break;
  }
  case OP_FENCE_SIGNAL: {
    struct gc_vgem_fence_signal s = {.fence = (uint32_t)a[1], .flags = (uint32_t)a[2]};
    e = xioctl(fd, GC_IOCTL_VGEM_FENCE_SIGNAL, &s);
    break;
  }
  case OP_RO_CREATE: {
    struct gc_ro_create s = {.size = a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_RO_CREATE, &s))) r->out[0] = s.handle;
    break;
  }
  case OP_MMAP: {
    off_t off = (off_t)a[1];
    size_t len = (size_t)a[2];
    int prot = (int)a[3], flags = (int)a[4];
    if ((prot & ~7) || (flags & ~3)) { e = EINVAL; break; } /* never MAP_FIXED & co. */
    void *p = mmap(NULL, len, prot, flags, fd, off);
    if (p == MAP_FAILED) { e = errno; break; }
    if (nmaps == cap_maps) {
      cap_maps = cap_maps ? cap_maps * 2 : 16;
      maps = realloc(maps, cap_maps * sizeof *maps);
      if (!maps) abort();
    }
    maps[nmaps++] = (struct mapping){p, len, 1};
    r->out[0] = nmaps;
    break;
  }
  case OP_MUNMAP: {
    struct mapping *m = live_map(a[0]);
    if (!m) { e = EINVAL; break; }
    if (munmap(m->addr, m->len) < 0) e = errno;
    else m->live = 0;
    break;
  }
  case OP_MPROTECT: {
    struct mapping *m = live_map(a[0]);
    int prot = (int)a[1];
    if (!m) { e = ENOMEM; break; }
    if (prot & ~7) { e = EINVAL; break; }
    /* The kernel's mprotect takes prot as unsigned long; glibc's stub passes the int in a
     * 64-bit register whose upper half C leaves unspecified (seen: the literal's high bits
     * reached the kernel as EINVAL). The raw syscall with an explicit (long) says what we mean. */
    if (syscall(SYS_mprotect, m->addr, m->len, (long)prot) < 0) e = errno;
    break;
  }
  case OP_QXL_ALLOC:
  case OP_QXL_MAP:
  case OP_QXL_ALLOC_SURF:
    e = qxl_call(op, a, r);
    break;
  case OP_WRITE:
  case OP_READ: {
    struct mapping *m = live_map(a[0]);
    uint32_t digest = 0;
    int sig = m ? access_range(m, a[1], a[2], op == OP_WRITE, op == OP_WRITE ? (uint32_t)a[3] : 0,
                               &digest)
                : SIGSEGV;
    if (sig) {
      r->kind = RES_SIG;
      r->code = sig;
    } else if (op == OP_READ) {
      r->out[0] = digest;
    }
    if (op == OP_WRITE) qxl_prog_write = 1; /* a write that faulted may have written pages first */
    break;
  }
  case OP_AMDGPU_GEM_CREATE: {
    struct gc_amdgpu_gem_create s = {.in = {.bo_size = a[1], .alignment = a[2], .domains = a[3],
                                            .domain_flags = a[4]}};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_GEM_CREATE, &s))) r->out[0] = s.out.handle;
    break;
  }
  case OP_AMDGPU_GEM_MMAP: {
    struct gc_amdgpu_gem_mmap s = {.in = {.handle = (uint32_t)a[1]}};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_GEM_MMAP, &s))) r->out[0] = s.out.addr_ptr;
    break;
  }
  case OP_AMDGPU_GEM_USERPTR: {
    struct gc_amdgpu_gem_userptr s = {.addr = a[1], .size = a[2], .flags = (uint32_t)a[3]};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_GEM_USERPTR, &s))) r->out[0] = s.handle;
    break;
  }
  case OP_AMDGPU_GEM_OP: {
    /* GET_GEM_CREATE_INFO writes a drm_amdgpu_gem_create_in at the user pointer in value: ours
     * (the program's value is unused); SET_PLACEMENT and others take value as given */
    struct gc_amdgpu_gem_create_in info = {0};
    struct gc_amdgpu_gem_op s = {.handle = (uint32_t)a[1], .op = (uint32_t)a[2], .value = a[3]};
    if (s.op == GC_AMDGPU_GEM_OP_GET_GEM_CREATE_INFO) s.value = (uint64_t)(uintptr_t)&info;
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_GEM_OP, &s))) {
      r->out[0] = info.bo_size;
      r->out[1] = info.alignment;
      r->out[2] = info.domains;
      r->out[3] = info.domain_flags;
    }
    break;
  }
  case OP_AMDGPU_GEM_WAIT_IDLE: {
    struct gc_amdgpu_gem_wait_idle s = {.in = {.handle = (uint32_t)a[1], .timeout = a[2]}};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_GEM_WAIT_IDLE, &s))) r->out[0] = s.out.status;
    break;
  }
  case OP_AMDGPU_CTX_ALLOC: {
    struct gc_amdgpu_ctx s = {.in = {.op = GC_AMDGPU_CTX_OP_ALLOC_CTX}};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_CTX, &s))) r->out[0] = s.alloc.ctx_id;
    break;
  }
  case OP_AMDGPU_CTX_FREE: {
    struct gc_amdgpu_ctx s = {.in = {.op = GC_AMDGPU_CTX_OP_FREE_CTX, .ctx_id = (uint32_t)a[1]}};
    e = xioctl(fd, GC_IOCTL_AMDGPU_CTX, &s);
    break;
  }
  case OP_AMDGPU_CS: {
    /* a BO_HANDLES chunk with the nonzero handles of bo0..bo2 in order (none: no chunk), and one
     * gfx IB chunk: an empty IB (ib_bytes 0 at va 0), since the simulated GPU runs no commands */
    struct gc_amdgpu_bo_list_entry bos[3];
    uint32_t nbos = 0;
    for (int j = 2; j < 5; j++)
      if ((uint32_t)a[j]) bos[nbos++] = (struct gc_amdgpu_bo_list_entry){.bo_handle = (uint32_t)a[j]};
    struct gc_amdgpu_bo_list_in list = {.bo_number = nbos, .bo_info_size = sizeof bos[0],
                                        .bo_info_ptr = (uint64_t)(uintptr_t)bos};
    struct gc_amdgpu_cs_chunk_ib ib = {.ip_type = GC_AMDGPU_HW_IP_GFX};
    struct gc_amdgpu_cs_chunk chunks[2];
    uint64_t chunk_ptrs[2];
    uint32_t nchunks = 0;
    if (nbos)
      chunks[nchunks++] = (struct gc_amdgpu_cs_chunk){GC_AMDGPU_CHUNK_ID_BO_HANDLES, sizeof list / 4,
                                                      (uint64_t)(uintptr_t)&list};
    chunks[nchunks++] = (struct gc_amdgpu_cs_chunk){GC_AMDGPU_CHUNK_ID_IB, sizeof ib / 4,
                                                    (uint64_t)(uintptr_t)&ib};
    for (uint32_t j = 0; j < nchunks; j++) chunk_ptrs[j] = (uint64_t)(uintptr_t)&chunks[j];
    struct gc_amdgpu_cs s = {.in = {.ctx_id = (uint32_t)a[1], .num_chunks = nchunks,
                                    .chunks = (uint64_t)(uintptr_t)chunk_ptrs}};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_CS, &s))) r->out[0] = s.out.handle;
    break;
  }
  case OP_AMDGPU_CS_COMPLETE: {
    struct gc_amdgpu_cs_complete s = {.ctx_id = (uint32_t)a[1], .seq = a[2]};
    e = xioctl(fd, GC_IOCTL_AMDGPU_CS_COMPLETE, &s);
    break;
  }
  case OP_AMDGPU_WAIT_CS: {
    struct gc_amdgpu_wait_cs s = {.in = {.handle = a[2], .timeout = a[3],
                                         .ip_type = GC_AMDGPU_HW_IP_GFX, .ctx_id = (uint32_t)a[1]}};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_WAIT_CS, &s))) r->out[0] = s.out.status;
    break;
  }
  case OP_AMDGPU_WAIT_FENCES: {
    struct gc_amdgpu_fence f[2] = {
      {.ctx_id = (uint32_t)a[1], .ip_type = GC_AMDGPU_HW_IP_GFX, .seq_no = a[2]},
      {.ctx_id = (uint32_t)a[1], .ip_type = GC_AMDGPU_HW_IP_GFX, .seq_no = a[3]},
    };
    struct gc_amdgpu_wait_fences s = {.in = {.fences = (uint64_t)(uintptr_t)f, .fence_count = 2,
                                             .wait_all = (uint32_t)a[4], .timeout_ns = a[5]}};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_WAIT_FENCES, &s))) {
      r->out[0] = s.out.status;
      r->out[1] = s.out.first_signaled;
    }
    break;
  }
  case OP_AMDGPU_INFO: {
    uint64_t value = 0; /* VRAM_USAGE, GTT_USAGE, VIS_VRAM_USAGE: a u64 */
    struct gc_amdgpu_info s = {.return_pointer = (uint64_t)(uintptr_t)&value,
                               .return_size = sizeof value, .query = (uint32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_INFO, &s))) r->out[0] = value;
    break;
  }
  case OP_AMDGPU_BO_INFO: {
    struct gc_amdgpu_bo_info s = {.handle = (uint32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_AMDGPU_BO_INFO, &s))) {
      r->out[0] = s.domain;
      r->out[1] = s.visible;
      r->out[2] = s.pins;
    }
    break;
  }
  case OP_AMDGPU_BO_PIN: {
    struct gc_amdgpu_bo_pin s = {.handle = (uint32_t)a[1], .domain = (uint32_t)a[2]};
    e = xioctl(fd, GC_IOCTL_AMDGPU_BO_PIN, &s);
    break;
  }
  case OP_AMDGPU_BO_UNPIN: {
    struct gc_amdgpu_bo_unpin s = {.handle = (uint32_t)a[1]};
    e = xioctl(fd, GC_IOCTL_AMDGPU_BO_UNPIN, &s);
    break;
  }
  case OP_NVDLA_GEM_CREATE: {
    struct gc_nvdla_gem_create_args s = {.flags = (uint32_t)a[2], .size = a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_NVDLA_GEM_CREATE, &s))) r->out[0] = s.handle;
    break;
  }
  case OP_NVDLA_GEM_MMAP: {
    struct gc_nvdla_gem_map_offset_args s = {.handle = (uint32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_NVDLA_GEM_MMAP, &s))) r->out[0] = s.offset;
    break;
  }
  case OP_NVDLA_GEM_DESTROY: {
    struct gc_nvdla_gem_destroy_args s = {.handle = (uint32_t)a[1]};
    e = xioctl(fd, GC_IOCTL_NVDLA_GEM_DESTROY, &s);
    break;
  }
  case OP_NVDLA_SUBMIT: {
    /* one task; its address list {dma-buf fd, offset} x 3 ends where an unmapped page begins,
     * so num_addresses > 3 makes the kernel's copy_from_user fault (EFAULT), as the model says */
    struct gc_nvdla_mem_handle *list = nvdla_address_list();
    for (int j = 0; j < 3; j++)
      list[j] = (struct gc_nvdla_mem_handle){.handle = (uint32_t)a[2 + 2 * j], .offset = a[3 + 2 * j]};
    struct gc_nvdla_task_sim t = {
      .task = {.num_addresses = (uint32_t)a[1], .timeout = GC_NVDLA_NO_TIMEOUT,
               .address_list = (uint64_t)(uintptr_t)list},
      .engine = {.op = (uint32_t)a[8], .dst = (int16_t)a[9], .src = (int16_t)a[10],
                 .len = (uint32_t)a[11], .value = (uint32_t)a[12]},
    };
    struct gc_nvdla_submit_args s = {.tasks = (uint64_t)(uintptr_t)&t, .num_tasks = 1};
    e = xioctl(fd, GC_IOCTL_NVDLA_SUBMIT, &s);
    break;
  }
  case OP_NVDLA_BO_INFO: {
    struct gc_nvdla_bo_info s = {.handle = (uint32_t)a[1]};
    if (!(e = xioctl(fd, GC_IOCTL_NVDLA_BO_INFO, &s))) r->out[0] = s.dma_addr;
    break;
  }
  }
  if (e) {
    r->kind = RES_ERR;
    r->code = e;
  }
}

/* ---- parsing ---- */

/* Integer literal: -?(decimal | 0x hex), at most 64 bits; negatives wrap. */
static int parse_int(const char *s, uint64_t *v) {
  int neg = 0;
  uint64_t x = 0;
  if (*s == '-') { neg = 1; s++; }
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s += 2;
    if (!*s) return -1;
    for (; *s; s++) {
      int d;
      if (*s >= '0' && *s <= '9') d = *s - '0';
      else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
      else if (*s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
      else return -1;
      if (x >> 60) return -1;
      x = x << 4 | (uint64_t)d;
    }
  } else {
    if (!*s) return -1;
    for (; *s; s++) {
      if (*s < '0' || *s > '9') return -1;
      uint64_t d = (uint64_t)(*s - '0');
      if (x > (UINT64_MAX - d) / 10) return -1;
      x = x * 10 + d;
    }
  }
  *v = neg ? (uint64_t)0 - x : x;
  return 0;
}

/* Plain decimal without sign, for program ids and call indexes. */
static int parse_dec(const char *s, uint64_t *v) {
  if (*s < '0' || *s > '9') return -1;
  if (s[0] == '0' && s[1] == 'x') return -1;
  return parse_int(s, v);
}

static int split(char *line, char **tok, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) return n;
    if (n == max) return max + 1;
    tok[n++] = p;
    while (*p && *p != ' ' && *p != '\t') p++;
    if (*p) *p++ = 0;
  }
}

static int find_op(const char *name) {
  for (int i = 0; i < OP_COUNT; i++)
    if (!strcmp(ops[i].name, name)) return i;
  return -1;
}

static int find_field(const char *name) {
  for (int i = 0; i < F_COUNT; i++)
    if (!strcmp(field_names[i], name)) return i;
  return F_NONE;
}

/* Parse one call line into c; k is its index. Returns NULL or an error message. */
static const char *parse_call(char **tok, int ntok, uint32_t k, struct call *c, char *msg,
                              size_t msgsz) {
  int op = find_op(tok[0]);
  if (op < 0) return "unknown op";
  if (ntok - 1 != ops[op].nargs) {
    snprintf(msg, msgsz, "%s takes %d args, got %d", ops[op].name, ops[op].nargs, ntok - 1);
    return msg;
  }
  c->op = op;
  for (int j = 0; j < ops[op].nargs; j++) {
    const char *t = tok[j + 1];
    struct arg *a = &c->a[j];
    memset(a, 0, sizeof *a);
    if (t[0] == 'r') {
      const char *dot = strchr(t, '.');
      char num[24];
      uint64_t rk;
      if (!dot || dot - t - 1 <= 0 || (size_t)(dot - t - 1) >= sizeof num) return "bad reference";
      memcpy(num, t + 1, (size_t)(dot - t - 1));
      num[dot - t - 1] = 0;
      if (parse_dec(num, &rk)) return "bad reference";
      if (rk >= k) return "reference to a later call";
      int f = find_field(dot + 1);
      if (f == F_NONE) return "unknown field";
      a->ref = 1;
      a->ref_k = (uint32_t)rk;
      a->ref_field = f;
    } else if (parse_int(t, &a->v)) {
      return "bad integer";
    }
  }
  return NULL;
}

/* Value of a reference: the call's output if it succeeded, else the field's invalid value
 * (-1 for fd/dmabuf, 0 otherwise). A field the producer does not have reads as 0 (as
 * ir/resolve.ts does). */
static uint64_t resolve(const struct arg *a) {
  if (!a->ref) return a->v;
  const struct result *r = &results[a->ref_k];
  const struct opdesc *d = &ops[calls[a->ref_k].op];
  for (int i = 0; i < d->nouts; i++) {
    if (d->outs[i] != a->ref_field) continue;
    if (r->kind == RES_OK) return r->out[i];
    return a->ref_field == F_FD || a->ref_field == F_DMABUF ? UINT64_MAX : 0;
  }
  return 0;
}

/* ---- program lifecycle ---- */

enum { S_IDLE, S_PROG, S_SKIP };
static int state = S_IDLE;
static uint64_t prog_id;
static int prog_bad;
static uint64_t bad_k;
static char bad_msg[256];
static int taint_on;
static int flush_each;
static uint64_t taint_last;

static uint64_t read_taint(void) {
  char b[32];
  ssize_t n = pread(FD_TAINT, b, sizeof b - 1, 0);
  if (n <= 0) return 0;
  b[n] = 0;
  return strtoull(b, NULL, 10);
}

static void close_program_fds(void) {
  /* close_range is one syscall instead of ~900; fall back for old kernels */
  if (syscall(SYS_close_range, 3, RESERVED_FD - 1, 0) == 0) return;
  for (int fd = 3; fd < RESERVED_FD; fd++) close(fd);
}

/* With --taint: a taint line for program or exec `id` if the kernel's taint changed. */
static void report_taint(uint64_t id) {
  if (!taint_on) return;
  uint64_t t = read_taint();
  if (t != taint_last) {
    out_printf("taint %" PRIu64 " %" PRIu64 "\n", id, t);
    taint_last = t;
  }
}

static void finish_program(void) {
  for (size_t i = 0; i < nmaps; i++)
    if (maps[i].live) munmap(maps[i].addr, maps[i].len);
  nmaps = 0;
  close_program_fds();
  qxl_finish_program(prog_id);
  report_taint(prog_id);
  out_printf("done %" PRIu64 "\n", prog_id);
  out_flush();
}

static void report_result(uint64_t k, const struct call *c, const struct result *r) {
  if (r->kind == RES_ERR) {
    out_printf("res %" PRIu64 " %" PRIu64 " err %d\n", prog_id, k, r->code);
    return;
  }
  if (r->kind == RES_SIG) {
    out_printf("res %" PRIu64 " %" PRIu64 " sig %s\n", prog_id, k,
               r->code == SIGBUS ? "SIGBUS" : "SIGSEGV");
    return;
  }
  char line[512];
  int n = snprintf(line, sizeof line, "res %" PRIu64 " %" PRIu64 " ok", prog_id, k);
  const struct opdesc *d = &ops[c->op];
  for (int i = 0; i < d->nouts; i++) {
    int f = d->outs[i];
    if (f == F_FD || f == F_DMABUF)
      n += snprintf(line + n, sizeof line - (size_t)n, " %s=%" PRId64, field_names[f],
                    (int64_t)r->out[i]);
    else
      n += snprintf(line + n, sizeof line - (size_t)n, " %s=%" PRIu64, field_names[f], r->out[i]);
  }
  out_printf("%s\n", line);
}

static void run_program(void) {
  for (size_t k = 0; k < ncalls; k++) {
    uint64_t a[MAX_ARGS] = {0};
    for (int j = 0; j < ops[calls[k].op].nargs; j++) a[j] = resolve(&calls[k].a[j]);
    run_call(calls[k].op, a, &results[k]);
    report_result(k, &calls[k], &results[k]);
    if (flush_each) out_flush(); /* so a hang shows which call it was in (costs ~30%) */
  }
}

static void begin_program(uint64_t id) {
  state = S_PROG;
  prog_id = id;
  prog_bad = 0;
  ncalls = 0;
}

static void mark_bad(uint64_t k, const char *msg) {
  if (prog_bad) return;
  prog_bad = 1;
  bad_k = k;
  snprintf(bad_msg, sizeof bad_msg, "%s", msg);
}

/* A program ends: run it (or report why not), clean up, report done. */
static void end_program(void) {
  if (prog_bad) out_printf("bad %" PRIu64 " %" PRIu64 " %s\n", prog_id, bad_k, bad_msg);
  else {
    qxl_begin_program(calls, ncalls);
    run_program();
  }
  finish_program();
  state = S_IDLE;
}

static void bad_outside(const char *msg) {
  out_printf("bad - - %s\n", msg);
  out_flush();
}

static void set_dev(char **tok, int ntok) {
  uint64_t i;
  if (ntok != 4 || parse_dec(tok[1], &i) || i >= MAX_DEVS) {
    if (state == S_PROG) mark_bad(ncalls, "bad dev line");
    else bad_outside("bad dev line");
    return;
  }
  for (int n = 0; n < 2; n++) {
    free(dev_path[i][n]);
    dev_path[i][n] = strcmp(tok[2 + n], "-") ? strdup(tok[2 + n]) : NULL;
  }
}

/* ---- standalone binaries: file, data, exec (PROTOCOL.md "Standalone binaries") ---- */

#define NAME_MAX_LEN 64
#define EXEC_TIMEOUT_MAX 86400         /* seconds */
#define OUT_LINE_MAX 3000              /* a longer output line is cut here */
#define OUT_TOTAL_MAX (1 << 20)        /* bytes of a binary's output that are relayed */

static const char *exec_dir = "/tmp";
static char upload_path[PATH_MAX];     /* the file `data` appends to; empty: none */
static struct rlimit start_nofile;     /* RLIMIT_NOFILE as we found it, for binaries */

/* bad <id|-> - <message>: the answer to a malformed or failed file/data/exec line */
static void bad_binary(const char *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad_binary(const char *id, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  out_printf("bad %s - %s\n", id, msg);
  out_flush();
}

/* [A-Za-z0-9_.-]{1,64}, but not . or .. (those are directories) */
static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > NAME_MAX_LEN || !strcmp(s, ".") || !strcmp(s, "..")) return 0;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

static int upload_file_path(const char *name, char *path, size_t size) {
  int n = snprintf(path, size, "%s/%s", exec_dir, name);
  return n > 0 && (size_t)n < size ? 0 : -1;
}

/* A failed or malformed upload removes its file, so a later exec cannot run half a binary. */
static void upload_abort(void) {
  if (upload_path[0]) unlink(upload_path);
  upload_path[0] = 0;
}

/* file <name>: create or truncate <exec-dir>/<name>, mode 0755; later data lines append. */
static void upload_begin(char **tok, int ntok) {
  char path[PATH_MAX];
  upload_path[0] = 0;
  if (ntok != 2 || !valid_name(tok[1]) || upload_file_path(tok[1], path, sizeof path)) {
    bad_binary("-", "bad name");
    return;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0755);
  if (fd < 0) {
    bad_binary("-", "cannot create %s: %s", tok[1], strerror(errno));
    return;
  }
  if (fchmod(fd, 0755) < 0) { /* the umask, or an older file's mode */
    bad_binary("-", "cannot chmod %s: %s", tok[1], strerror(errno));
    close(fd);
    unlink(path);
    return;
  }
  close(fd);
  snprintf(upload_path, sizeof upload_path, "%s", path);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* data <hex>: append the bytes to the file of the last file line. */
static void upload_data(char **tok, int ntok) {
  static uint8_t bytes[MAX_LINE / 2];
  if (!upload_path[0]) {
    bad_binary("-", "data without file");
    return;
  }
  if (ntok != 2) {
    bad_binary("-", "bad data line");
    upload_abort();
    return;
  }
  size_t n = strlen(tok[1]);
  if (n % 2 || n / 2 > sizeof bytes) {
    bad_binary("-", "bad hex");
    upload_abort();
    return;
  }
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hex_digit(tok[1][2 * i]), lo = hex_digit(tok[1][2 * i + 1]);
    if (hi < 0 || lo < 0) {
      bad_binary("-", "bad hex");
      upload_abort();
      return;
    }
    bytes[i] = (uint8_t)(hi << 4 | lo);
  }
  int fd = open(upload_path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    bad_binary("-", "write failed: %s", strerror(errno));
    upload_abort();
    return;
  }
  for (size_t off = 0; off < n / 2;) {
    ssize_t w = write(fd, bytes + off, n / 2 - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      bad_binary("-", "write failed: %s", w < 0 ? strerror(errno) : "short write");
      close(fd);
      upload_abort();
      return;
    }
    off += (size_t)w;
  }
  close(fd);
}

/* What a binary prints, relayed as `out <id> <line>` lines. */
struct relay {
  uint64_t id;
  char line[OUT_LINE_MAX];
  size_t len;    /* bytes of the current line kept (a longer line is cut) */
  size_t total;  /* bytes relayed so far */
  int truncated; /* OUT_TOTAL_MAX reached: the rest is read and dropped */
};

static void relay_line(struct relay *r) {
  out_printf("out %" PRIu64 " %.*s\n", r->id, (int)r->len, r->line);
  r->len = 0;
}

static void relay_bytes(struct relay *r, const char *b, size_t n) {
  for (size_t i = 0; i < n && !r->truncated; i++) {
    if (r->total++ == OUT_TOTAL_MAX) {
      if (r->len) relay_line(r);
      out_printf("out %" PRIu64 " [output truncated]\n", r->id);
      r->truncated = 1;
      return;
    }
    unsigned char c = (unsigned char)b[i];
    if (c == '\n') {
      relay_line(r);
    } else if (r->len < OUT_LINE_MAX) {
      r->line[r->len++] = (c < 0x20 && c != '\t') || c >= 0x7f ? '?' : (char)c;
    }
  }
}

/* Read once from the pipe: 1 if it gave bytes, 0 at end of file (or an error), -1 if there
 * was nothing to read (EAGAIN, EINTR). */
static int relay_read(struct relay *r, int fd) {
  char b[4096];
  ssize_t n = read(fd, b, sizeof b);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? -1 : 0;
  if (n == 0) return 0;
  relay_bytes(r, b, (size_t)n);
  return 1;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The forked child: own process group, stdin /dev/null, stdout and stderr the relay pipe, our
 * start-up fd limit and signal dispositions, nothing else open (every other fd of ours is
 * close-on-exec). An exec failure is reported through errfd. */
static void child_exec(const char *path, int nul, int out, int errfd) __attribute__((noreturn));
static void child_exec(const char *path, int nul, int out, int errfd) {
  char *argv[] = {(char *)path, NULL};
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* dies with us, not left behind */
  signal(SIGPIPE, SIG_DFL);                  /* an ignored signal would stay ignored */
  setrlimit(RLIMIT_NOFILE, &start_nofile);
  if (dup2(nul, 0) >= 0 && dup2(out, 1) >= 0 && dup2(out, 2) >= 0) execv(path, argv);
  int e = errno;
  ssize_t unused = write(errfd, &e, sizeof e);
  (void)unused;
  _exit(127);
}

/* Fork and exec path; relay its output; kill its process group after secs seconds. Prints
 * the status line (exit/killed/timeout) or a bad line; not done. */
static void run_binary(uint64_t id, const char *ids, const char *path, uint64_t secs) {
  struct stat st;
  if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
    bad_binary(ids, "no such file");
    return;
  }
  int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (nul < 0) {
    bad_binary(ids, "/dev/null: %s", strerror(errno));
    return;
  }
  int outp[2], errp[2];
  if (pipe2(outp, O_CLOEXEC) < 0) {
    bad_binary(ids, "pipe: %s", strerror(errno));
    close(nul);
    return;
  }
  if (pipe2(errp, O_CLOEXEC) < 0) {
    bad_binary(ids, "pipe: %s", strerror(errno));
    close(nul);
    close(outp[0]);
    close(outp[1]);
    return;
  }
  pid_t pid = fork();
  if (pid == 0) child_exec(path, nul, outp[1], errp[1]);
  int fork_errno = errno;
  close(nul);
  close(outp[1]);
  close(errp[1]);
  if (pid < 0) {
    bad_binary(ids, "fork: %s", strerror(fork_errno));
    close(outp[0]);
    close(errp[0]);
    return;
  }
  /* the error pipe closes on a successful exec, or carries the errno of a failed one */
  int exec_errno = 0;
  ssize_t n;
  do n = read(errp[0], &exec_errno, sizeof exec_errno);
  while (n < 0 && errno == EINTR);
  close(errp[0]);
  if (n == (ssize_t)sizeof exec_errno) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    close(outp[0]);
    bad_binary(ids, "cannot exec: %s", strerror(exec_errno));
    return;
  }

  /* relay until the child exits or the timeout; a pidfd says when it exits, else we look
   * every 10 ms */
  struct relay *r = calloc(1, sizeof *r);
  if (!r) abort();
  r->id = id;
  int pidfd = -1;
#ifdef SYS_pidfd_open
  pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
  struct pollfd pf[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
  int64_t deadline = now_ms() + (int64_t)secs * 1000;
  int status = 0, reaped = 0, timed_out = 0;
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      timed_out = 1;
      break;
    }
    if (pidfd < 0 && left > 10) left = 10;
    if (poll(pf, 2, (int)left) < 0) continue; /* EINTR; the deadline still holds */
    if (pf[0].revents) {
      if (relay_read(r, pf[0].fd) == 0) pf[0].fd = -1; /* end of output */
      out_flush();
    }
    if (pidfd >= 0 ? pf[1].revents != 0 : waitpid(pid, &status, WNOHANG) == pid) {
      reaped = pidfd < 0;
      break;
    }
  }
  /* the timed-out child, and whatever it left running in its process group */
  kill(-pid, SIGKILL);
  if (timed_out) kill(pid, SIGKILL); /* not yet reaped, so still ours: even if setpgid failed */
  if (!reaped)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (pidfd >= 0) close(pidfd);
  /* what is still in the pipe (bounded: a writer outside the group could go on forever) */
  if (pf[0].fd >= 0) {
    fcntl(pf[0].fd, F_SETFL, O_NONBLOCK);
    for (int i = 0; i < OUT_TOTAL_MAX / 4096 && relay_read(r, pf[0].fd) > 0; i++) {}
  }
  close(outp[0]);
  if (r->len && !r->truncated) relay_line(r); /* a last line without newline */
  free(r);
  if (timed_out) out_printf("timeout %" PRIu64 "\n", id);
  else if (WIFSIGNALED(status)) out_printf("killed %" PRIu64 " %d\n", id, WTERMSIG(status));
  else out_printf("exit %" PRIu64 " %d\n", id, WEXITSTATUS(status));
  report_taint(id);
}

/* exec <id> <name> <timeout-seconds>: run an uploaded binary; always ends with done <id>
 * once the id parses. */
static void exec_line(char **tok, int ntok) {
  uint64_t id, secs;
  char ids[24], path[PATH_MAX];
  if (ntok < 2 || parse_dec(tok[1], &id)) {
    bad_outside("bad exec line");
    return;
  }
  snprintf(ids, sizeof ids, "%" PRIu64, id);
  if (ntok != 4) bad_binary(ids, "bad exec line");
  else if (state != S_IDLE) bad_binary(ids, "exec inside a program");
  else if (!valid_name(tok[2]) || upload_file_path(tok[2], path, sizeof path))
    bad_binary(ids, "bad name");
  else if (parse_dec(tok[3], &secs) || secs == 0 || secs > EXEC_TIMEOUT_MAX)
    bad_binary(ids, "bad timeout");
  else run_binary(id, ids, path, secs);
  out_printf("done %s\n", ids);
  out_flush();
}

/* Handle one input line. Returns 1 on quit. */
static int handle_line(char *line, int too_long) {
  char *tok[MAX_ARGS + 2];
  char msg[128];
  if (too_long) {
    if (!strncmp(line, "data", 4) && (line[4] == ' ' || line[4] == '\t')) {
      bad_outside("line too long"); /* bytes are missing: the upload is void */
      upload_abort();
      return 0;
    }
    if (state == S_PROG) mark_bad(ncalls, "line too long");
    else if (state == S_IDLE) bad_outside("line too long");
    return 0;
  }
  size_t len = strlen(line);
  if (len && line[len - 1] == '\r') line[len - 1] = 0;
  int ntok = split(line, tok, MAX_ARGS + 1);
  if (ntok == 0) return 0;
  const char *w = tok[0];

  if (!strcmp(w, "dev")) {
    set_dev(tok, ntok);
    return 0;
  }
  /* uploads apply at once, like dev; exec refuses to run inside a program */
  if (!strcmp(w, "file")) {
    upload_begin(tok, ntok);
    return 0;
  }
  if (!strcmp(w, "data")) {
    upload_data(tok, ntok);
    return 0;
  }
  if (!strcmp(w, "exec")) {
    exec_line(tok, ntok);
    return 0;
  }
  if (!strcmp(w, "quit")) {
    if (state == S_PROG) {
      mark_bad(ncalls, "quit before end");
      end_program();
    }
    return 1;
  }
  if (!strcmp(w, "prog")) {
    uint64_t id;
    if (state == S_PROG) {
      mark_bad(ncalls, "prog before end");
      end_program();
    }
    if (ntok != 2 || parse_dec(tok[1], &id)) {
      bad_outside("bad prog line");
      state = S_SKIP; /* drop its calls up to the next end */
      return 0;
    }
    begin_program(id);
    return 0;
  }
  if (!strcmp(w, "end")) {
    if (state == S_PROG) end_program();
    else if (state == S_SKIP) state = S_IDLE;
    else bad_outside("end outside a program");
    return 0;
  }
  if (state == S_SKIP) return 0;
  if (state == S_IDLE) {
    bad_outside("call outside a program");
    return 0;
  }
  /* a call line inside a program */
  if (ncalls == MAX_CALLS) {
    mark_bad(ncalls, "too many calls");
    return 0;
  }
  if (ncalls == cap_calls) {
    cap_calls = cap_calls ? cap_calls * 2 : 64;
    calls = realloc(calls, cap_calls * sizeof *calls);
    results = realloc(results, cap_calls * sizeof *results);
    if (!calls || !results) abort();
  }
  if (!prog_bad) {
    const char *err = ntok > MAX_ARGS + 1 ? "too many args"
                                          : parse_call(tok, ntok, (uint32_t)ncalls, &calls[ncalls],
                                                       msg, sizeof msg);
    if (err) mark_bad(ncalls, err);
  }
  ncalls++;
  return 0;
}

/* ---- start-up ---- */

static void die(const char *what) {
  fprintf(stderr, "gemcheck-exec: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void move_fd(int from, int to) {
  if (from == to) return;
  if (dup2(from, to) < 0) die("dup2");
  if (from > 2) close(from);
}

/* Drop CAP_SYS_ADMIN so DRM treats us like an unprivileged client: only the first
 * primary opener (the master) is authenticated. */
static void drop_sys_admin(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &hdr, d)) die("capget");
  uint32_t bit = 1u << CAP_SYS_ADMIN;
  d[0].effective &= ~bit;
  d[0].permitted &= ~bit;
  d[0].inheritable &= ~bit;
  if (syscall(SYS_capset, &hdr, d)) die("capset");
  prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0); /* fails without CAP_SETPCAP: harmless */
  if (syscall(SYS_capget, &hdr, d)) die("capget");
  if (d[0].effective & bit) {
    fprintf(stderr, "gemcheck-exec: CAP_SYS_ADMIN still effective\n");
    exit(2);
  }
}

static void print_vectors(void) {
  static const uint32_t seeds[] = {0, 1, 0xDEADBEEF, 0xFFFFFFFF};
  static const uint64_t lens[] = {0, 1, 16, 4096, 10000};
  printf("| seed | len | first bytes | digest |\n|---|---|---|---|\n");
  for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++)
    for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
      uint32_t h = FNV_BASIS;
      char first[32] = "";
      for (uint64_t i = 0; i < lens[l]; i++) {
        uint8_t b = pattern_byte(seeds[s], i);
        h = (h ^ b) * FNV_PRIME;
        if (i < 4) snprintf(first + strlen(first), sizeof first - strlen(first), "%02x", b);
      }
      printf("| 0x%08X | %" PRIu64 " | %s | %" PRIu32 " (0x%08X) |\n", seeds[s], lens[l],
             lens[l] ? first : "-", h, h);
    }
}

int main(int argc, char **argv) {
  const char *in_path = NULL, *out_path = NULL, *io_path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--vectors")) {
      print_vectors();
      return 0;
    } else if (!strcmp(argv[i], "--taint")) {
      taint_on = 1;
    } else if (!strcmp(argv[i], "--flush-each")) {
      flush_each = 1;
    } else if (i + 1 < argc && !strcmp(argv[i], "--in")) {
      in_path = argv[++i];
    } else if (i + 1 < argc && !strcmp(argv[i], "--out")) {
      out_path = argv[++i];
    } else if (i + 1 < argc && !strcmp(argv[i], "--io")) {
      io_path = argv[++i];
    } else if (i + 1 < argc && !strcmp(argv[i], "--exec-dir") && argv[i + 1][0] &&
               strlen(argv[i + 1]) < PATH_MAX - NAME_MAX_LEN - 2) {
      exec_dir = argv[++i];
    } else {
      fprintf(stderr,
              "usage: %s [--io PATH | --in PATH --out PATH] [--taint] [--flush-each] "
              "[--exec-dir DIR] | --vectors\n",
              argv[0]);
      return 2;
    }
  }
  page_size = (size_t)sysconf(_SC_PAGESIZE);
  signal(SIGPIPE, SIG_IGN);

  /* fds 0-2 must be open so a program's first fd is 3 */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0) die("/dev/null");

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl)) die("getrlimit");
  start_nofile = rl;
  if (rl.rlim_cur < RESERVED_FD + 8) {
    rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
    if (setrlimit(RLIMIT_NOFILE, &rl)) die("setrlimit");
  }

  int in_fd = 0, out_fd = 1;
  if (io_path) {
    in_fd = open(io_path, O_RDWR | O_NOCTTY);
    if (in_fd < 0) die(io_path);
    out_fd = dup(in_fd);
  } else {
    if (in_path && (in_fd = open(in_path, O_RDONLY | O_NOCTTY)) < 0) die(in_path);
    if (out_path && (out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
      die(out_path);
  }
  move_fd(in_fd, FD_IN); /* stdin/stdout themselves stay open: fds 0-2 are never reused */
  move_fd(out_fd, FD_OUT);
  fcntl(FD_IN, F_SETFD, FD_CLOEXEC); /* binaries run by exec must not inherit our fds */
  fcntl(FD_OUT, F_SETFD, FD_CLOEXEC);
  /* a serial line must be raw: no echo, no CR/NL mangling */
  struct termios tio;
  if (tcgetattr(FD_IN, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(FD_IN, TCSANOW, &tio);
  }
  if (taint_on) {
    int t = open("/proc/sys/kernel/tainted", O_RDONLY);
    if (t < 0) die("/proc/sys/kernel/tainted");
    move_fd(t, FD_TAINT);
    fcntl(FD_TAINT, F_SETFD, FD_CLOEXEC);
    taint_last = read_taint();
  }
  for (int fd = 0; fd < 3; fd++) fcntl(fd, F_SETFD, 0);
  close_program_fds(); /* whatever we inherited */
  /* programs allocate below our reserved fds: EMFILE instead of colliding with them */
  rl.rlim_cur = RESERVED_FD;
  if (setrlimit(RLIMIT_NOFILE, &rl)) die("setrlimit");

  drop_sys_admin();

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fault;
  sa.sa_flags = SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);

  out_printf("ready\n");
  out_flush();

  static char buf[MAX_LINE * 4];
  static char line[MAX_LINE + 1];
  size_t llen = 0;
  int too_long = 0;
  for (;;) {
    ssize_t n = read(FD_IN, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* EOF: as quit */
    for (ssize_t i = 0; i < n; i++) {
      char ch = buf[i];
      if (ch == '\n') {
        line[llen] = 0;
        int quit = handle_line(line, too_long);
        llen = 0;
        too_long = 0;
        if (quit) goto out;
      } else if (llen < MAX_LINE) {
        line[llen++] = ch ? ch : ' '; /* a NUL would cut the line short: make it a separator */
      } else {
        too_long = 1;
      }
    }
    out_flush();
  }
out:
  if (state == S_PROG) {
    mark_bad(ncalls, "input ended before end");
    end_program();
  }
  out_flush();
  return 0;
}
