#!/bin/busybox sh
# /init of the ResCoin test guest (busybox initramfs built by scripts/setup-host.sh).
# The workload is chosen on the kernel command line:
#   rescoin.work=idle|cpu|mem|disk|burst   (default idle)
#     burst: idles, polling the first line of /dev/vda every 0.5 s; when the host writes "go SEQ" there (a new SEQ),
#     it spins, counting loop iterations (its work) and printing "rescoin-work: SEQ COUNT" every 2000 (re-reading the
#     line every 16000), until the line changes; then prints "rescoin-burst: SEQ COUNT" and idles again. The host times the burst (a TCG guest's own
#     clock slows down when its vCPU is starved) from when the lines reach the console file.
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
  burst)
    # Only shell builtins in the loops (no process per check): the sector is re-read after dropping the page cache.
    last=
    while :; do
      echo 1 > /proc/sys/vm/drop_caches
      read -r cmd seq rest < /dev/vda
      if [ "$cmd" = go ] && [ -n "$seq" ] && [ "$seq" != "$last" ]; then
        last=$seq
        n=0
        while [ "$cmd" = go ] && [ "$seq" = "$last" ]; do
          k=0
          while [ $k -lt 8 ]; do
            i=0
            while [ $i -lt 2000 ]; do i=$((i + 1)); done
            n=$((n + 2000))
            k=$((k + 1))
            echo "rescoin-work: $last $n"
          done
          echo 1 > /proc/sys/vm/drop_caches
          read -r cmd seq rest < /dev/vda
        done
        echo "rescoin-burst: $last $n"
      fi
      sleep 0.5
    done ;;
  *)
    while :; do sleep 3600; done ;;
esac
