#!/bin/busybox sh
# /init of the guest-agent demo guest: busybox + glibc libraries + the single-file agent, no .NET.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/local/bin HOME=/tmp
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_balloon failover net_failover virtio_net; do
  [ -f "/lib/modules/$m.ko" ] && insmod "/lib/modules/$m.ko" 2>/dev/null
done
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
echo "guest: dotnet on PATH? $(command -v dotnet || echo no)"
echo "guest: $(grep MemTotal /proc/meminfo)"
exec rescoin-guest-agent --tcp 10.0.2.15:4588 --no-vsock
