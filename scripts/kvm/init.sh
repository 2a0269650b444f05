#!/bin/busybox sh
# /init of the ResCoin test guest (busybox initramfs built by scripts/setup-host.sh).
# The workload is chosen on the kernel command line:
#   rescoin.work=idle|cpu|mem|disk   (default idle)
#   rescoin.mem=MiB                  (mem: how much to allocate in a tmpfs, default 48)
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_balloon virtio_blk failover net_failover virtio_net; do
  [ -f "/lib/modules/$m.ko" ] && insmod "/lib/modules/$m.ko" 2>/dev/null
done
work=idle
mem=48
for a in $(cat /proc/cmdline); do
  case "$a" in
    rescoin.work=*) work="${a#rescoin.work=}" ;;
    rescoin.mem=*) mem="${a#rescoin.mem=}" ;;
  esac
done
echo "rescoin-guest: ready work=$work"
case "$work" in
  cpu)
    while :; do :; done ;;
  mem)
    mount -t tmpfs -o size=$((mem + 8))m tmpfs /tmp
    dd if=/dev/zero of=/tmp/fill bs=1M count="$mem" 2>/dev/null
    echo "rescoin-guest: allocated ${mem} MiB"
    while :; do sleep 3600; done ;;
  disk)
    while :; do dd if=/dev/zero of=/dev/vda bs=64k count=256 oflag=direct 2>/dev/null; done ;;
  *)
    while :; do sleep 3600; done ;;
esac
