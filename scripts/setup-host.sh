#!/usr/bin/env bash
# Prepares this machine for the real-VM tests (tests/ResCoin.Libvirt.Tests) and the ResCoin.Host sample:
#   1. as root, installs the Debian packages when any is missing (apt-get update + install);
#   2. starts virtlogd and libvirtd when they are not running (no systemd needed) and waits for qemu:///system;
#   3. builds the test guest into artifacts/kvm/ (git-ignored): a readable kernel copy, a busybox initramfs
#      whose /init loads the virtio modules and runs the workload named by rescoin.work= on the kernel
#      command line (idle|cpu|mem|disk), and a raw disk template.
# Idempotent and quick when everything is done already. Prints nothing alarming; exits 0 when ready.
# Not root / not Debian: says what is missing and exits 0 (the real-VM tests then skip locally, fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/artifacts/kvm"
pkgs=(qemu-system-x86 libvirt-daemon-system libvirt-clients libvirt-dev busybox-static linux-image-amd64 cpio)
say() { echo "setup-host: $*"; }

if [ "$(id -u)" -ne 0 ]; then
  say "not root: skipping package install, daemons and test guest (real-VM tests need root)"
  exit 0
fi

# 1. Packages.
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  say "no dpkg: install ${pkgs[*]} (or your distribution's equivalents) by hand"
fi

# 2. Daemons (systemd may not be PID 1 here: start them by hand when they are not running).
# The daemons must not inherit this script's descriptors: run as `flock LOCK scripts/setup-host.sh`, they would hold
# the lock for as long as they live (fd 255 is bash's own script descriptor, close-on-exec).
nofds() { ( for fd in $(ls /proc/$BASHPID/fd); do if [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ]; then eval "exec $fd>&-"; fi; done; exec "$@" ); }
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  mkdir -p /run/libvirt
  if ! pgrep -x virtlogd >/dev/null; then nofds virtlogd -d; fi
  if ! pgrep -x libvirtd >/dev/null; then nofds libvirtd -d; fi
  for _ in $(seq 1 60); do
    if virsh -c qemu:///system version >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  if ! virsh -c qemu:///system version >/dev/null 2>&1; then
    say "libvirtd does not answer on qemu:///system"
    exit 1
  fi
fi

# 3. The test guest.
kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$kernel" ]; then
  say "no /boot/vmlinuz-*: install linux-image-amd64"
  exit 1
fi
kver=${kernel#/boot/vmlinuz-}
stamp="$kver $(sha256sum scripts/kvm/init.sh scripts/setup-host.sh | sha256sum | cut -c1-16)"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.gz" ] && [ -f "$out/disk.raw" ]; then
  exit 0
fi

mkdir -p "$out"
chmod 755 "$root/artifacts" "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,lib/modules,proc,sys,dev,tmp}
cp /bin/busybox "$tmp/bin/busybox"
cp scripts/kvm/init.sh "$tmp/init"
chmod 755 "$tmp/init" "$tmp/bin/busybox"
kmod=/lib/modules/$kver/kernel
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
         drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/virtio/virtio_balloon \
         drivers/block/virtio_blk net/core/failover drivers/net/net_failover drivers/net/virtio_net; do
  name=$(basename "$m")
  if [ -f "$kmod/$m.ko" ]; then
    cp "$kmod/$m.ko" "$tmp/lib/modules/$name.ko"
  elif [ -f "$kmod/$m.ko.xz" ]; then
    xz -dc "$kmod/$m.ko.xz" > "$tmp/lib/modules/$name.ko"
  fi
done
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.gz.new"
mv "$out/initramfs.gz.new" "$out/initramfs.gz"
install -m 644 "$kernel" "$out/vmlinuz"
if [ ! -f "$out/disk.raw" ]; then truncate -s 64M "$out/disk.raw"; fi
chmod 644 "$out/initramfs.gz" "$out/disk.raw"
echo "$stamp" > "$out/stamp"
say "test guest ready in artifacts/kvm (kernel $kver)"
