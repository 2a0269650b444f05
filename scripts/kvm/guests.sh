#!/usr/bin/env bash
# Starts or stops small demo guests (transient TCG domains named rescoin-demo-*) from the test guest that
# scripts/setup-host.sh builds, for trying the ResCoin.Host sample and for the libvirt benchmark.
#   scripts/kvm/guests.sh start [WORK...]   default WORK: cpu idle disk (one guest per workload: idle|cpu|mem|disk|burst;
#                                           burst: see scripts/kvm/init.sh, started with `echo go 1 | dd of=DISK conv=notrunc`)
#   scripts/kvm/guests.sh stop              destroys every rescoin-demo-* domain
# Needs root and a running libvirtd (scripts/setup-host.sh does both).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
kvm="$root/artifacts/kvm"
virsh="virsh -q -c qemu:///system"

case "${1:-}" in
  start)
    shift
    works=("$@")
    [ ${#works[@]} -gt 0 ] || works=(cpu idle disk)
    [ -f "$kvm/vmlinuz" ] || { echo "guests: no test guest; run scripts/setup-host.sh" >&2; exit 1; }
    mkdir -p "$kvm/demo"
    chmod 755 "$kvm/demo"
    for w in "${works[@]}"; do
      name="rescoin-demo-$w"
      if $virsh domstate "$name" >/dev/null 2>&1; then echo "$name already running"; continue; fi
      truncate -s 64M "$kvm/demo/$name.raw"
      cat > "$kvm/demo/$name.xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>192</memory>
  <currentMemory unit='MiB'>192</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$kvm/vmlinuz</kernel><initrd>$kvm/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet rescoin.work=$w</cmdline></os>
  <on_poweroff>destroy</on_poweroff><on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$kvm/demo/$name.raw'/><target dev='vda' bus='virtio'/></disk>
    <serial type='file'><source path='$kvm/demo/$name.log'/><target port='0'/></serial>
    <memballoon model='virtio'><stats period='2'/></memballoon>
  </devices>
</domain>
XML
      $virsh create "$kvm/demo/$name.xml" >/dev/null
      echo "$name started (work=$w, console: artifacts/kvm/demo/$name.log)"
    done
    ;;
  stop)
    for name in $($virsh list --name | grep '^rescoin-demo-' || true); do
      $virsh destroy "$name" >/dev/null && echo "$name destroyed"
    done
    ;;
  *)
    echo "usage: scripts/kvm/guests.sh start [idle|cpu|mem|disk|burst ...] | stop" >&2
    exit 2
    ;;
esac
