#!/usr/bin/env bash
# Real cgroup v2 for the tests: boots a TCG guest (the Debian kernel from artifacts/kvm, a busybox initramfs, a 64 MiB
# virtio disk; no libvirt, no KVM) whose /init (guest-init.sh) mounts cgroup2 with cpu, memory and io, starts a CPU
# burner, an idle-then-bursting cgroup and a memory/disk toucher, and runs the real rescoin-cgroups against them: run A is
# killed with -9, run B restarts (restores A's leftovers), lets the idle cgroup burst, and is stopped with SIGTERM. The
# guest checks everything itself and prints "CGT <check> ok|FAIL <detail>" lines on the serial console.
#   scripts/cgroup-guest/run.sh [CONSOLE_LOG]     (default artifacts/cgroup-guest/console.log)
# Publishes rescoin-cgroups self-contained, single file, ReadyToRun (no JIT work at start under TCG). Needs
# qemu-system-x86_64, cpio, gzip and the test guest (scripts/setup-host.sh). Run it alone on the host
# (flock /tmp/rescoin-host.lock): the guest's CPU measurements assume the cores are not shared with other guests.
# Exits 0 when every check passed; REUSE_PUBLISHED=1 skips the publish when a binary is there. Wall time: about 1.5-3 min on the 2-core development VM (see the README).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out="$root/artifacts/cgroup-guest"
kvm="$root/artifacts/kvm"
console=${1:-$out/console.log}
timeout_s=${GUEST_TIMEOUT_SECONDS:-600}
say() { echo "cgroup-guest: $*"; }
[ -f "$kvm/vmlinuz" ] && [ -f "$kvm/initramfs.gz" ] || { say "no test guest in artifacts/kvm: run scripts/setup-host.sh"; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { say "qemu-system-x86_64 is missing: run scripts/setup-host.sh"; exit 1; }
mkdir -p "$out"
start=$(date +%s)
# REUSE_PUBLISHED=1 boots the binary published by an earlier run (for iterating on the guest script only).
if [ "${REUSE_PUBLISHED:-0}" != 1 ] || [ ! -x "$out/publish/rescoin-cgroups" ]; then
  if ! dotnet publish samples/ResCoin.CgroupScheduler -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true \
      -p:PublishReadyToRun=true -p:InvariantGlobalization=true -o "$out/publish" -v q -nologo > "$out/publish.log" 2>&1; then
    grep -E 'error|Error' "$out/publish.log" | sort -u | head -n 20
    say "publishing rescoin-cgroups failed (log: $out/publish.log)"
    exit 1
  fi
fi
published=$(date +%s)
work=$(mktemp -d)
qemu_pid=
cleanup() { if [ -n "$qemu_pid" ]; then kill "$qemu_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT
"$root/samples/ResCoin.GuestAgent/guest-demo/build-initramfs.sh" "$out/publish/rescoin-cgroups" "$work/initramfs.gz" "$root/scripts/cgroup-guest/guest-init.sh"
# The runtime dlopens OpenSSL (ldd does not list it; the settings journal's unique names use it): a second cpio archive
# appended to the initramfs (the kernel unpacks them in turn) adds libssl and libcrypto.
mkdir -p "$work/ssl/lib/x86_64-linux-gnu"
for lib in libssl.so.3 libcrypto.so.3; do
  src=$(ls /usr/lib/x86_64-linux-gnu/$lib /lib/x86_64-linux-gnu/$lib 2>/dev/null | head -n 1)
  [ -n "$src" ] || { say "$lib not found on the host (Debian: libssl3)"; exit 1; }
  cp -L "$src" "$work/ssl/lib/x86_64-linux-gnu/"
done
(cd "$work/ssl" && find . | cpio -o -H newc --quiet | gzip -1) >> "$work/initramfs.gz"
truncate -s 64M "$work/disk.raw"
rm -f "$console"
qemu-system-x86_64 -machine pc,accel=tcg -m 768 -smp 1 -kernel "$kvm/vmlinuz" -initrd "$work/initramfs.gz" \
  -append "console=ttyS0 quiet no_timer_check panic=-1" -display none -serial "file:$console" \
  -drive "file=$work/disk.raw,if=virtio,format=raw" -no-reboot &
qemu_pid=$!
booted=$(date +%s)
for _ in $(seq 1 "$timeout_s"); do
  kill -0 "$qemu_pid" 2>/dev/null || break
  sleep 1
done
if kill -0 "$qemu_pid" 2>/dev/null; then
  say "the guest did not finish within $timeout_s s"
  kill "$qemu_pid" 2>/dev/null || true
fi
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
end=$(date +%s)
grep -a '^CGT' "$console" || true
say "publish $((published - start)) s, initramfs $((booted - published)) s, guest $((end - booted)) s, total $((end - start)) s"
done_line=$(grep -a '^CGT done ' "$console" | tail -n 1 | tr -d '\r' || true)
[ -n "$done_line" ] || { say "the guest printed no result (see $console)"; exit 1; }
n=${done_line#CGT done }
[ "${n%/*}" = "${n#*/}" ] || { say "failed: $n checks passed"; exit 1; }
say "all $n checks passed"
