#!/usr/bin/env bash
# Builds an initramfs for the busybox test guest (artifacts/kvm/initramfs.gz, from scripts/setup-host.sh) that runs
# the single-file rescoin-guest-agent as its init: the test guest's files, the agent, the glibc libraries `ldd` lists
# for it, and guest-init.sh (or INIT) as /init. No .NET in the guest.
#   build-initramfs.sh AGENT OUTPUT.gz [INIT]
set -euo pipefail
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: build-initramfs.sh AGENT OUTPUT.gz [INIT]" >&2; exit 2; }
pub=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
init=${3:-$here/guest-init.sh}
kvm="$here/../../../artifacts/kvm"
[ -f "$kvm/initramfs.gz" ] || { echo "build-initramfs: no test guest in artifacts/kvm: run scripts/setup-host.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root"
(cd "$work/root" && zcat "$kvm/initramfs.gz" | cpio -id --quiet)
mkdir -p "$work/root/usr/local/bin" "$work/root/lib64" "$work/root/lib/x86_64-linux-gnu"
cp "$pub" "$work/root/usr/local/bin/"
for lib in $(ldd "$pub" | grep -o '/[^ ]*\.so[^ ]*'); do
  case "$lib" in
    */ld-linux*) cp -L "$lib" "$work/root/lib64/" ;;
    *) cp -L "$lib" "$work/root/lib/x86_64-linux-gnu/" ;;
  esac
done
install -m 755 "$init" "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
