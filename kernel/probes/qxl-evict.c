/*
 * qxl evictions on the real kernel (kernel/FINDINGS.md, "qxl"): run in a guest booted with
 * `-device qxl,ram_size_mb=16,vgamem_mb=8,vram_size_mb=1` (qxl is card3). Prints the VRAM
 * manager's layout from debugfs (qxl_mem_mm: start+pages, U used / f free, in hex pages)
 * between QXL_ALLOC / mmap / GEM_CLOSE steps. kernel/probes/qxl-evict.expected is what 6.1
 * printed on the first run after boot; impl/ttm/qxl-kernel.test.ts replays the same steps on
 * impl's TTM core and must print the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

struct qxl_alloc { uint32_t size, handle; };
struct qxl_map { uint64_t offset; uint32_t handle, pad; };
struct create_dumb { uint32_t height, width, bpp, flags, handle, pitch; uint64_t size; };
struct gem_close { uint32_t handle, pad; };
#define QXL_ALLOC _IOC(_IOC_READ | _IOC_WRITE, 'd', 0x40, sizeof(struct qxl_alloc))
#define QXL_MAP _IOC(_IOC_READ | _IOC_WRITE, 'd', 0x41, sizeof(struct qxl_map))
#define CREATE_DUMB _IOC(_IOC_READ | _IOC_WRITE, 'd', 0xb2, sizeof(struct create_dumb))
#define GEM_CLOSE _IOC(_IOC_WRITE, 'd', 0x09, sizeof(struct gem_close))
#define PG 4096u

static int fd;

static void layout(const char *tag) {
  static char b[65536];
  int f = open("/sys/kernel/debug/dri/3/qxl_mem_mm", O_RDONLY);
  int n = f < 0 ? -1 : (int)read(f, b, sizeof b - 1);
  if (f >= 0) close(f);
  b[n > 0 ? n : 0] = 0;
  printf("[%s]", tag);
  for (char *l = strtok(b, "\n"); l; l = strtok(NULL, "\n")) {
    unsigned long long s, e;
    unsigned c;
    char w[16];
    if (sscanf(l, "0x%llx-0x%llx: %u: %15s", &s, &e, &c, w) == 4) printf(" %llx+%u%s", s, c, w[0] == 'u' ? "U" : "f");
  }
  printf("\n");
}
static int alloc(uint32_t pages, uint32_t *h) {
  struct qxl_alloc a = {.size = pages * PG};
  int r = ioctl(fd, QXL_ALLOC, &a);
  *h = a.handle;
  return r ? -errno : 0;
}
static uint8_t *map(uint32_t h, uint32_t pages) {
  struct qxl_map q = {.handle = h};
  if (ioctl(fd, QXL_MAP, &q)) return NULL;
  uint8_t *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)q.offset);
  return p == MAP_FAILED ? NULL : p;
}
static void gclose(uint32_t h) {
  struct gem_close g = {.handle = h};
  int r = ioctl(fd, GEM_CLOSE, &g);
  printf("gem_close %u -> %d\n", h, r ? -errno : 0);
}
static void step(const char *what, uint32_t pages, uint32_t *h) {
  int r = alloc(pages, h);
  if (r) printf("alloc %s %u pages -> %d\n", what, pages, r);
  else printf("alloc %s %u pages -> 0 handle %u\n", what, pages, *h);
}

int main(void) {
  fd = open("/dev/dri/card3", O_RDWR);
  if (fd < 0) { printf("open card3: %d\n", errno); return 1; }
  uint32_t h, a, b, c, d, s1, s2;
  layout("boot");
  step("x", 0, &h);
  step("x", 4096, &h); /* 16 MiB: more than the manager (4094 pages) */
  layout("after 4096");
  step("x", 4094, &h);
  step("x", 2556, &h); /* the pinned 768 pages at 0x301 split the rest: 769 + 2555 */
  step("x", 2555, &h);
  layout("2555");
  gclose(h);
  layout("closed");
  step("A", 1024, &a);
  step("B", 1024, &b);
  layout("A B");
  uint8_t *pa = map(a, 1024), *pb = map(b, 1024);
  if (!pa || !pb) { printf("map failed\n"); return 1; }
  memset(pa, 0xAA, 1024 * PG);
  memset(pb, 0xBB, 1024 * PG);
  pa[5] = 1; /* A written after B: a fault does not move A on the LRU */
  step("C", 1024, &c);
  layout("C");
  uint8_t *pc = map(c, 1024);
  if (!pc) { printf("map failed\n"); return 1; }
  printf("C reads %x %x, last page %x\n", pc[0], pc[5], pc[1023 * PG]);
  printf("A reads %x %x, last page %x; B reads %x\n", pa[0], pa[5], pa[1023 * PG], pb[0]);
  pa[7] = 0x77;
  printf("A after a write through the old mapping reads %x\n", pa[7]);
  layout("A written");
  step("D", 1024, &d);
  layout("D");
  uint8_t *pd = map(d, 1024);
  if (!pd) { printf("map failed\n"); return 1; }
  printf("D reads %x\n", pd[0]);
  printf("A reads %x %x\n", pa[0], pa[7]);
  munmap(pb, 1024 * PG);
  layout("B unmapped");
  gclose(b);
  layout("B closed");
  gclose(c);
  layout("C closed, still mapped");
  munmap(pc, 1024 * PG);
  layout("C unmapped");
  step("small", 1, &s1);
  step("small", 2, &s2);
  layout("small");
  /* a one-page hole low in VRAM (best fit puts 768 pages into the 769 at 0): a one-page bo
   * (TOPDOWN, DRM_MM_INSERT_HIGH) still goes to the top of the highest hole, not the best fit */
  uint32_t e, s3;
  step("E", 768, &e);
  step("small", 1, &s3);
  layout("E, small");
  struct create_dumb k = {.width = 256, .height = 256, .bpp = 32};
  int r = ioctl(fd, CREATE_DUMB, &k);
  printf("create_dumb 256x256x32 -> %d handle %u pitch %u size %llu\n", r ? -errno : 0, k.handle, k.pitch, (unsigned long long)k.size);
  uint8_t *pk = map(k.handle, 64);
  if (pk) {
    printf("dumb reads %x\n", pk[0]);
    pk[0] = 1;
  }
  layout("dumb written");
  return 0;
}
