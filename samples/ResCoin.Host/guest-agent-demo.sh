#!/usr/bin/env bash
# A libvirt guest whose memory figure comes from rescoin-guest-agent, for trying the host's guest-agent overlay
# on a machine without vsock (no vhost_vsock): the busybox test guest of scripts/setup-host.sh plus the
# single-file agent (samples/ResCoin.GuestAgent, self-contained: no .NET in the guest), started as the transient libvirt domain
# rescoin-demo-agent (TCG, 512 MiB, virtio balloon with a 2 s stats period). Its agent listens on TCP
# 10.0.2.15:4588 inside QEMU user networking, forwarded to 127.0.0.1:PORT on the host (a <qemu:commandline>
# -netdev user,hostfwd=...). Then map the VM to tcp:127.0.0.1:PORT in ResCoin:GuestAgent:Agents.
#   samples/ResCoin.Host/guest-agent-demo.sh start [PORT]   default PORT 45881; waits until the agent answers
#   samples/ResCoin.Host/guest-agent-demo.sh stop           destroys the domain (scripts/kvm/guests.sh stop does too)
# AGENT_ENV="NAME=VALUE ..." is appended to the guest kernel's command line: the kernel passes such words to /init,
# so they reach the agent as environment variables (e.g. DOTNET_ runtime settings).
# Needs root, libvirtd and the test guest (scripts/setup-host.sh). Slow under TCG: the agent's .NET start-up in
# the emulated guest takes one to several minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
kvm="$root/artifacts/kvm"
name=rescoin-demo-agent
virsh="virsh -q -c qemu:///system"
# The agent as one self-contained file, NOT trimmed or compressed: the demo was recorded this way while the trimmed
# file had a (since fixed) hang; the fixed trimmed file has not been re-run in the guest.
pubdir="$kvm/demo/agent"
pub="$pubdir/rescoin-guest-agent"
say() { echo "guest-agent-demo: $*"; }

case "${1:-}" in
  start)
    port=${2:-45881}
    [ -f "$kvm/vmlinuz" ] && [ -f "$kvm/initramfs.gz" ] || { say "no test guest in artifacts/kvm: run scripts/setup-host.sh"; exit 1; }
    if $virsh domstate "$name" >/dev/null 2>&1; then say "$name already running"; exit 0; fi
    if [ ! -x "$pub" ]; then
      dotnet publish samples/ResCoin.GuestAgent -c Release -r linux-x64 -p:PublishSingleFile=true --self-contained \
        -p:PublishTrimmed=false -p:EnableCompressionInSingleFile=false -o "$pubdir" -v q
    fi

    # The initramfs: the test guest's (busybox, virtio modules) + the agent + the glibc libraries ldd lists.
    mkdir -p "$kvm/demo"
    chmod 755 "$kvm/demo"
    "$root/samples/ResCoin.GuestAgent/guest-demo/build-initramfs.sh" "$pub" "$kvm/demo/$name.initramfs.gz"
    chmod 644 "$kvm/demo/$name.initramfs.gz"
    : > "$kvm/demo/$name.log"

    cat > "$kvm/demo/$name.xml" <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$name</name>
  <memory unit='MiB'>512</memory>
  <currentMemory unit='MiB'>512</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$kvm/vmlinuz</kernel><initrd>$kvm/demo/$name.initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet no_timer_check${AGENT_ENV:+ $AGENT_ENV}</cmdline></os>
  <on_poweroff>destroy</on_poweroff><on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='$kvm/demo/$name.log'/><target port='0'/></serial>
    <memballoon model='virtio'><stats period='2'/></memballoon>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='user,id=agentnet,hostfwd=tcp:127.0.0.1:$port-10.0.2.15:4588'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=agentnet,addr=0x1f'/>
  </qemu:commandline>
</domain>
XML
    $virsh create "$kvm/demo/$name.xml" >/dev/null
    say "$name started (console: artifacts/kvm/demo/$name.log); waiting for its agent (up to ${WAIT_SECONDS:-900} s)"
    for _ in $(seq 1 "${WAIT_SECONDS:-900}"); do
      grep -q "listening on tcp:10.0.2.15:4588" "$kvm/demo/$name.log" 2>/dev/null && break
      sleep 1
    done
    grep -q "listening on tcp:10.0.2.15:4588" "$kvm/demo/$name.log" || { say "the agent did not come up"; exit 1; }
    # The first forwarded connections can be dropped while the emulated NIC settles: retry a few times.
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
      if "$pub" query "tcp:127.0.0.1:$port" --timeout 60 >/dev/null 2>&1; then
        say "agent of $name answers on tcp:127.0.0.1:$port (attempt $attempt)"
        exit 0
      fi
      sleep 10
    done
    say "the agent of $name does not answer on tcp:127.0.0.1:$port"
    exit 1
    ;;
  stop)
    if $virsh domstate "$name" >/dev/null 2>&1; then $virsh destroy "$name" >/dev/null && say "$name destroyed"; fi
    ;;
  *)
    echo "usage: samples/ResCoin.Host/guest-agent-demo.sh start [PORT] | stop" >&2
    exit 2
    ;;
esac
