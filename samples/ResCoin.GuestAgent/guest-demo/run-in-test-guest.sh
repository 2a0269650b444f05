#!/usr/bin/env bash
# Boots the single-file rescoin-guest-agent inside the busybox test guest (artifacts/kvm, built by
# scripts/setup-host.sh) with NO .NET installed, and queries it from the host through QEMU user networking.
#   1. publishes the agent as one self-contained file (unless it is there already);
#   2. unpacks artifacts/kvm/initramfs.gz, adds the agent, the glibc libraries `ldd` lists and guest-init.sh;
#   3. boots it under QEMU (TCG; the kernel is artifacts/kvm/vmlinuz), forwarding 127.0.0.1:$PORT to the guest's 4588;
#   4. waits for the agent and queries it from the host with `rescoin-guest-agent query`.
# Needs root only for nothing; needs qemu-system-x86_64, cpio, gzip and the test guest. Slow under TCG
# (the .NET runtime starts in about a minute on an idle 2-core host, several on a busy one).
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
port=${PORT:-45880}
wait_s=${WAIT_SECONDS:-900}
kvm="$root/artifacts/kvm"
pub="$root/samples/ResCoin.GuestAgent/bin/Release/net10.0/linux-x64/publish/rescoin-guest-agent"
say() { echo "guest-demo: $*"; }

[ -f "$kvm/vmlinuz" ] && [ -f "$kvm/initramfs.gz" ] || { say "no test guest in artifacts/kvm: run scripts/setup-host.sh"; exit 1; }
if [ ! -x "$pub" ]; then
  dotnet publish samples/ResCoin.GuestAgent -c Release -r linux-x64 -p:PublishSingleFile=true --self-contained -v q
fi

work=$(mktemp -d)
qemu_pid=
cleanup() { [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$root/samples/ResCoin.GuestAgent/guest-demo/build-initramfs.sh" "$pub" "$work/initramfs.gz"
say "initramfs $(du -h "$work/initramfs.gz" | cut -f1) (busybox, glibc, agent; no .NET)"

qemu-system-x86_64 -machine pc,accel=tcg -m 512 -smp 1 -kernel "$kvm/vmlinuz" -initrd "$work/initramfs.gz" \
  -append "console=ttyS0 quiet no_timer_check" -display none -serial "file:$work/console.log" \
  -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-10.0.2.15:4588" -device virtio-net-pci,netdev=n0 -no-reboot &
qemu_pid=$!

say "waiting up to $wait_s s for the agent in the guest"
for _ in $(seq 1 "$wait_s"); do
  grep -q "listening on tcp:10.0.2.15:4588" "$work/console.log" 2>/dev/null && break
  sleep 1
done
cat "$work/console.log"
grep -q "listening on tcp:10.0.2.15:4588" "$work/console.log" || { say "the agent did not come up"; exit 1; }
# The first forwarded connections can be dropped while the emulated NIC settles: retry a few times.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if dotnet "$root/samples/ResCoin.GuestAgent/bin/Release/net10.0/rescoin-guest-agent.dll" query "tcp:127.0.0.1:$port" --timeout 120; then
    say "done: the host queried the agent running in a guest without .NET (attempt $attempt)"
    exit 0
  fi
  sleep 10
done
say "the host could not query the agent in the guest"
exit 1
