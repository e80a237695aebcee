#!/bin/bash
# Set up the real-kernel back end: Debian's 6.1 kernel, the static executor and a busybox
# initramfs that loads vgem, bochs and cirrus and runs the executor on the program channel.
# Idempotent: rerun any time (e.g. after editing executor/gemcheck-exec.c).
#
#   bash kernel/setup.sh                 everything (installs Debian packages when root)
#   bash kernel/setup.sh --initramfs     only rebuild the executor and the initramfs
#
# Env: GEMCHECK_CACHE_DIR (default <repo>/.cache/kernel), GEMCHECK_KERNEL_PKG (pin a package,
# e.g. linux-image-6.1.0-56-amd64; default: the kernel already cached, else the newest).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${GEMCHECK_CACHE_DIR:-$REPO/.cache/kernel}
PACKAGES=(qemu-system-x86 busybox-static cpio gzip gcc libc6-dev kmod)
# Load order. Each module's modinfo dependencies must come earlier (checked below).
DRM_MODULES=(drm drm_shmem_helper vgem drm_kms_helper ttm drm_ttm_helper drm_vram_helper bochs cirrus qxl)
# For the virtio-serial program channel.
VIRTIO_MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console)

fail() { echo "kernel/setup.sh: error: $*" >&2; exit 1; }
step() { echo "kernel/setup.sh: $*"; }

only_initramfs=0
case "${1:-}" in
  --initramfs) only_initramfs=1 ;;
  "") ;;
  *) fail "unknown option $1 (usage: setup.sh [--initramfs])" ;;
esac

# ---- 1. Debian packages ----
apt_updated=0
apt_update() {
  [ $apt_updated = 1 ] && return
  step "apt-get update"
  apt-get update -qq >/dev/null || fail "apt-get update failed"
  apt_updated=1
}
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "missing packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}"
  apt_update
  step "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not found after install"
[ -x /bin/busybox ] || fail "/bin/busybox not found (busybox-static)"

mkdir -p "$CACHE"

# ---- 2. kernel package: download and extract ----
if [ $only_initramfs = 0 ]; then
  pkg=${GEMCHECK_KERNEL_PKG:-}
  if [ -z "$pkg" ] && [ -f "$CACHE/kernel-package" ] && [ -f "$CACHE/linux/.complete" ]; then
    pkg=$(cat "$CACHE/kernel-package") # keep what we have: runs stay comparable
  fi
  if [ -z "$pkg" ]; then
    newest() { apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | cut -d' ' -f1 | sort -V | tail -n1; }
    pkg=$(newest)
    if [ -z "$pkg" ]; then apt_update; pkg=$(newest); fi
    [ -n "$pkg" ] || fail "no linux-image-6.1.0-*-amd64 package in the apt lists (apt-cache search found none)"
  fi
  if [ "$(cat "$CACHE/kernel-package" 2>/dev/null)" != "$pkg" ] || [ ! -f "$CACHE/linux/.complete" ]; then
    step "downloading $pkg"
    rm -rf "$CACHE/deb" "$CACHE/linux" "$CACHE/linux.tmp"
    mkdir -p "$CACHE/deb"
    # apt's sandbox user may not write into the repo; we are root here or the download fails anyway
    (cd "$CACHE/deb" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    if ! ls "$CACHE"/deb/"$pkg"_*.deb >/dev/null 2>&1; then
      apt_update
      (cd "$CACHE/deb" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    fi
    deb=$(ls "$CACHE"/deb/"$pkg"_*.deb 2>/dev/null | head -n1)
    [ -n "$deb" ] || fail "apt-get download $pkg produced no .deb"
    step "extracting $(basename "$deb")"
    dpkg-deb -x "$deb" "$CACHE/linux.tmp" || fail "dpkg-deb -x $deb failed"
    touch "$CACHE/linux.tmp/.complete"
    mv "$CACHE/linux.tmp" "$CACHE/linux"
    echo "$pkg" >"$CACHE/kernel-package"
  fi
fi
[ -f "$CACHE/linux/.complete" ] || fail "no extracted kernel in $CACHE/linux; run kernel/setup.sh without --initramfs"

vmlinuz=$(ls "$CACHE"/linux/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$vmlinuz" ] || fail "no vmlinuz in $CACHE/linux/boot"
kver=${vmlinuz##*/vmlinuz-}
moddir=$CACHE/linux/lib/modules/$kver/kernel
[ -d "$moddir" ] || fail "no module tree $moddir"
cp -f "$vmlinuz" "$CACHE/vmlinuz"

modpath() { find "$moddir" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" | head -n1; }

# ---- 3. module dependency check ----
loaded=()
for m in "${DRM_MODULES[@]}" "${VIRTIO_MODULES[@]}"; do
  f=$(modpath "$m")
  [ -n "$f" ] || fail "module $m not found under $moddir"
  case "$f" in *.ko) ;; *) fail "module $m is compressed ($f); the initramfs insmod needs plain .ko" ;; esac
  for d in $(modinfo -F depends "$f" | tr ',' ' '); do
    [[ " ${loaded[*]} " == *" $d "* ]] || fail "module $m needs $d loaded before it"
  done
  loaded+=("$m")
done

# ---- 4. executor ----
step "building executor"
gcc -O2 -static -Wall -Wextra -Werror -o "$CACHE/gemcheck-exec.tmp" "$REPO/executor/gemcheck-exec.c" \
  || fail "gcc failed on executor/gemcheck-exec.c"
mv "$CACHE/gemcheck-exec.tmp" "$CACHE/gemcheck-exec"

# ---- 5. initramfs ----
step "building initramfs ($kver)"
root=$CACHE/initramfs.d
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
chmod 1777 "$root/tmp" # where the executor puts uploaded binaries (file/data/exec)
cp /bin/busybox "$root/bin/"
for a in sh mount insmod poweroff cat ls dmesg readlink echo sleep grep sed basename head tr; do
  ln -s busybox "$root/bin/$a"
done
cp "$CACHE/gemcheck-exec" "$root/bin/gemcheck-exec"
for m in "${DRM_MODULES[@]}" "${VIRTIO_MODULES[@]}"; do cp "$(modpath "$m")" "$root/lib/modules/"; done
echo "${VIRTIO_MODULES[*]}" >"$root/lib/modules/virtio.order"
echo "${DRM_MODULES[*]}" >"$root/lib/modules/drm.order"
cat >"$root/init" <<'EOF'
#!/bin/sh
# gemcheck guest init: load modules, then serve the program channel with the executor.
export PATH=/bin
mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null # TTM usage (qxl_mem_mm), for probes
fail() { echo "gemcheck-init: FAIL $*"; poweroff -f; }
arg() { for w in $(cat /proc/cmdline); do case "$w" in "$1="*) echo "${w#*=}";; esac; done; }
chan=$(arg gemcheck.chan)
[ -n "$chan" ] || chan=virtio
if [ "$chan" = virtio ]; then
  for m in $(cat /lib/modules/virtio.order); do insmod /lib/modules/$m.ko || fail "insmod $m"; done
fi
# vgem first (card0 + renderD128), then bochs (card1), then cirrus (card2), then qxl (card3)
for m in $(cat /lib/modules/drm.order); do insmod /lib/modules/$m.ko || fail "insmod $m"; done
if [ "$chan" = virtio ]; then
  chan=
  for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    for p in /sys/class/virtio-ports/*; do
      [ "$(cat $p/name 2>/dev/null)" = gemcheck ] && chan=/dev/$(basename $p)
    done
    [ -n "$chan" ] && [ -e "$chan" ] && break
    sleep 0.1
  done
  [ -n "$chan" ] || fail "virtio port gemcheck not found"
fi
if [ -n "$(arg gemcheck.diag)" ]; then
  echo "gemcheck-diag: begin"
  for c in /sys/class/drm/*; do echo "gemcheck-diag: $c -> $(readlink $c/device/driver)"; done
  ls -l /dev/dri | sed 's/^/gemcheck-diag: /'
  dmesg | grep -iE 'drm|vgem|bochs|ttm|vram|fb' | sed 's/^/gemcheck-diag: /'
  echo "gemcheck-diag: end"
fi
flags=--taint
[ "$(arg gemcheck.flush)" = each ] && flags="$flags --flush-each"
echo "gemcheck-init: executor on $chan"
/bin/gemcheck-exec --io "$chan" $flags
echo "gemcheck-init: executor exited rc=$?"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1 >"$CACHE/initramfs.cpio.gz.tmp") \
  || fail "cpio/gzip failed"
mv "$CACHE/initramfs.cpio.gz.tmp" "$CACHE/initramfs.cpio.gz"
rm -rf "$root"

{
  echo "kernel_package=$(cat "$CACHE/kernel-package")"
  echo "kernel_version=$kver"
  echo "executor_sha256=$(sha256sum "$CACHE/gemcheck-exec" | cut -d' ' -f1)"
  echo "executor_source_sha256=$(sha256sum "$REPO/executor/gemcheck-exec.c" | cut -d' ' -f1)"
} >"$CACHE/manifest"
step "ready: $CACHE (kernel $kver)"
