#!/usr/bin/env bash
# The daemon's cost on a real host: CPU of rescoin-host's whole process tree plus the extra CPU it makes libvirtd spend,
# per VM per period, in steady state, at N tiny TCG guests (one burning CPU, the others idle), optionally side by side
# with oVirt MOM (the Python manager, Balloon + CpuTune controllers, every interval 1 s) on the same guests in the same run.
#
#   flock /tmp/rescoin-host.lock benchmarks/daemon-cost/run.sh [--vms "2 8"] [--mom DIR] [--rounds R]
#        [--warmup S] [--window S] [--variant NAME=ARGS]... [--profile] [--no-build]
#
#   --vms       guest counts, one measurement set each (default "2 8")
#   --mom DIR   a MOM checkout whose README says how to run it (also RESCOIN_MOM_DIR); run from DIR as
#               `PYTHONPATH=. /usr/bin/python3 momd.in -c bench.conf -r doc/balloon.rules` (needs python3-libvirt)
#   --variant   a rescoin-host run: NAME=extra arguments (default: defaults="" and none="--metrics none"); always with
#               --period 1 and a private journal
#   --warmup/--window  seconds excluded after start (default 20) and measured (default 60)
#   --rounds    repeat every run R times (default 1)
#   --profile   one more rescoin-host run per N under `strace -c -f` (syscalls per period) with libvirt's client
#               RPC log (LIBVIRT_LOG_FILTERS=1:rpc.netclientprogram: RPCs per period by procedure); files in the output dir
#   --no-build  use the rescoin-host published by an earlier run
#   --monitor-benchmark  instead of the cost runs, the libvirt monitor benchmark (bulk call against one call per VM per
#               resource, benchmarks/ResCoin.Benchmarks/Libvirt) on the same N guests; output in the output dir
#
# Method: libvirtd's extra CPU is its utime+stime during the window minus its utime+stime in an equal window with no
# daemon running (measured in the same round, right before); a daemon's CPU is utime+stime of its process and every
# descendant (/proc/PID/stat; children that exited are counted through cutime+cstime). Per VM per period =
# (daemon + libvirtd extra) / (window / 1 s) / VMs. Start-up: the daemon's CPU during the warm-up, and its RSS at the
# end. Guests: rescoin-cost-1 (rescoin.work=cpu) and rescoin-cost-2..N (idle), 1 vCPU, 192 MiB, a 64 MiB virtio disk,
# a virtio balloon with stats every 2 s (like scripts/kvm/guests.sh). Other running domains are counted as VMs and
# reported. rescoin-host is published Release, framework-dependent, as samples/ResCoin.Host builds it (ReadyToRun, TieredPGO
# off, workstation non-concurrent GC: see its csproj). Needs root, libvirtd and the test guest (scripts/setup-host.sh).
# Output: a table per N on stdout and everything under artifacts/daemon-cost/ (git-ignored).
#
# The profile run's write and gettid counts include libvirt's own debug log (LIBVIRT_LOG_FILTERS), which it turns on.
#
# Latest results (2026-12-03, the shared 2-core AMD EPYC dev VM, Debian 12, libvirt 9.0, QEMU 7.2, TCG guests; load
# average 10-20 from other engineers' builds and tests throughout, so absolute figures are inflated; compare within a run).
# "per VM per period" = (daemon + libvirtd extra) / 60 periods / VMs. Warm-up = CPU in the first 20 s (start-up included).
#
# Before (HEAD 1995306: one lookup + GetInfo + GetBlockIoTune per VM per period, every stats group, per-VM lines on stdout,
# changes logged at information level, tiered JIT, concurrent GC), N=2:
# | daemon | daemon CPU / 60 s | libvirtd extra / 60 s | per VM per period | warm-up CPU | RSS |
# |---|---|---|---|---|---|
# | rescoin-host (defaults, Prometheus on) | 0.56 s | 0.40 s | 8.0 ms | 0.83 s | 91 MiB |
# | rescoin-host --metrics none | 0.47 s | 0.40 s | 7.3 ms | 0.79 s | 82 MiB |
# | MOM (same run) | 0.45 s | 0.30 s | 6.3 ms | 0.30 s | 39 MiB |
# rescoin-host = 1.28x MOM (defaults), 1.16x (none). Per period: ~650 system calls (277 sched_yield, 153 write, 71 futex).
#
# After (this tree), N=2:
# | daemon | daemon CPU / 60 s | libvirtd extra / 60 s | per VM per period | warm-up CPU | RSS |
# |---|---|---|---|---|---|
# | rescoin-host (defaults, Prometheus on) | 0.08 s | 0.18 s | 2.17 ms | 0.57 s | 83 MiB |
# | rescoin-host --metrics none | 0.07 s | 0.17 s | 2.00 ms | 0.42 s | 72 MiB |
# | MOM (same run) | 0.48 s | 0.34 s | 6.83 ms | 0.38 s | 39 MiB |
# rescoin-host = 0.32x MOM (defaults), 0.29x (none). Per period: 126 system calls (52 futex, 0.2 sched_yield), 1.0 bulk
# stats RPC + 0.2 cpu_shares sets (2 RPCs each: libvirt's client asks connectSupportsFeature before every typed-parameter
# set), no other libvirt call; 0 GCs, ~13 KB allocated per period (dotnet-counters).
#
# After, N=8 (same tree, 12:05-12:12 UTC; the host's appsettings.json now ships Weighting MaxBoost 8 / CreditPeriods 10,
# whose weights move faster: 1.8 cpu_shares sets per period over the 8 VMs, ~0.25 s of the 0.59 s of libvirtd):
# | daemon | daemon CPU / 60 s | libvirtd extra / 60 s | per VM per period | warm-up CPU | RSS |
# |---|---|---|---|---|---|
# | rescoin-host (defaults, Prometheus on) | 0.14 s | 0.59 s | 1.52 ms | 0.65 s | 85 MiB |
# | MOM (same run) | 1.18 s | 1.01 s | 4.56 ms | 0.54 s | 40 MiB |
# rescoin-host = 0.33x MOM. Per period: 1.0 bulk stats RPC + 1.8 cpu_shares sets (3.6 RPCs), 0.5 sched_yield. The
# per-VM cost falls with the VM count (2.17 -> 1.52 ms; MOM 6.83 -> 4.56 ms). The issue's target, 1 ms per VM per period,
# is not met on this loaded machine: libvirtd's bulk statistics alone cost ~1 ms per VM here (virsh domstats, same day).
#
# This round (2026-12-03 14:05-15:20 UTC, quiet machine: load average below 1 before the guests start; one CPU-burning
# TCG guest keeps one core busy), three runs with MOM in each, per VM per period:
# | tree | N=2 rescoin-host | N=2 MOM | N=8 rescoin-host | N=8 MOM |
# |---|---|---|---|---|
# | a859eea (start of the round) | 1.33 ms (0.06 + 0.10 s) | 5.67 ms | 1.31 ms (0.11 + 0.52 s) | 4.19 ms |
# | + CPU time from /proc/PID/stat (52790df) | 1.42 ms (0.06 + 0.11 s) | 5.75 ms | 1.33 ms (0.15 + 0.49 s) | 4.52 ms |
# | + balloon group once per guest stats period, 2 s (cd64644) | 1.50 ms (0.08 + 0.10 s) | 6.75 ms | 0.96 ms (0.12 + 0.34 s) | 4.88 ms |
# (daemon + libvirtd extra CPU over the 60 s window in brackets; 1 tick = 10 ms, so N=2 figures move by ~0.1 ms per tick.)
# rescoin-host = 0.20x MOM at N=8, 0.22x at N=2. The 1 ms target is met at 8 guests, not at 2: there the fixed cost of a
# period dominates (daemon ~1.3 ms: perf over 30 steady periods put 35 % in the kernel's context switches and futexes,
# 12 % in the runtime, 11 % in jitted code, the rest spread over libvirt's client, glib and libc: thread wake-ups of the
# timer, the thread pool and the libvirt call gate, not computation; libvirtd ~1.7 ms for one bulk RPC). In steady state
# the actuator makes no call at all: with 2 guests, the only sets in 80 s were the idle guest's cpu_shares ramp (1024 ->
# 7490 in 15 steps of the 10 % dead band over its first 30 s of credit), then none.
#
# Next round (2026-12-03 16:40-17:20 UTC, quiet machine as above), after three cuts of the fixed cost of a period:
# (1) quiet periods (8376e7d): no libvirtd call when only the states would be asked and the QEMU run directory's mtime
# has not moved (4 periods in 10 with the balloon every 2 s and the slow groups every 5 s); (2) the control loop on its
# own thread, sleeping until the next tick, instead of a PeriodicTimer (timer thread -> pool worker); (3) the
# period deadline's timer armed only when a stage goes asynchronous: armed and disarmed every period, it left the timer
# thread a wake-up at every old due time, which it handed to a pool worker, and kept the pool's starvation monitor
# polling getrusage twice a second. strace -f over 30 steady periods (N=2, after a 60 s warm-up): futex calls per period
# 48 -> 44 -> 33; the timer thread, the pool workers and the pool's gate thread went from 6-8 wake-ups a second each to
# under 1. Per VM per period (daemon + libvirtd extra over 60 s in brackets):
# | tree | N=2 rescoin-host | N=2 MOM | N=8 rescoin-host | N=8 MOM |
# |---|---|---|---|---|
# | 6a9e646 (start; measured at f6b532c, same daemon) | 1.50 ms (0.08 + 0.10 s) | 6.75 ms | 0.96 ms (0.12 + 0.34 s) | 4.88 ms |
# | + quiet periods (two rounds, no MOM) | 1.08 / 0.92 ms (0.06 + 0.07, 0.05 + 0.06 s) | | | |
# | + own loop thread (a step of 9bdb7fb; two rounds, no MOM) | 0.75 / 0.92 ms (0.04 + 0.05, 0.06 + 0.05 s) | | | |
# | + deadline timer armed only when waiting (9bdb7fb) | **0.92 ms** (0.05 + 0.06 s) | 5.58 ms | **0.83 ms** (0.09 + 0.31 s) | 5.31 ms |
# | + vCPU run/wait from the threads' schedstat, no vcpu group (e432498); two rounds | 1.17 / 0.92 ms | 6.08 / 6.17 ms | 0.94 / 0.83 ms | 4.63 / 4.56 ms |
# | + no thread hop per VM in the actuator (4da5620); two rounds, N=2 with --window 120 | **0.79 / 0.88 ms** (0.09 + 0.10, 0.09 + 0.12 s / 120 s) | 5.67 / 5.58 ms | **0.75 / 0.88 ms** (0.09 + 0.27, 0.11 + 0.31 s) | 4.56 / 4.46 ms |
# rescoin-host = 0.15x MOM at 2 guests and 0.18x at 8; the issue's target (<= 1 ms at 2 and at 8) is met in every run of
# the final tree. At N=2 a 60 s window is 10-14 ticks (1 tick = 0.08 ms per VM per period; one round of e432498, where
# MOM rose 9 % too, read 1.17), hence 120 s windows there. The N=8 libvirtd figure still holds the cpu_shares ramp of
# the idle guests' first minute of credit (1.5 ms of libvirtd a set). perf stat on the final daemon (N=2, after 60 s):
# 21.8 ms of CPU over 30 periods, 5.9 context switches a period; perf record: 31 % kernel (context switches, futex,
# poll, the /proc reads), 16 % CoreLib, 15 % coreclr, 7 % JIT (late first calls), 5 % ResCoin.Libvirt, 5 % libvirt.
main() {
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
out="$root/artifacts/daemon-cost"
kvm="$root/artifacts/kvm"
virsh="virsh -q -c qemu:///system"
vms_list="2 8"
mom_dir=${RESCOIN_MOM_DIR:-}
warmup=20
window=60
rounds=1
profile=0
build=1
monitor_benchmark=0
memory_mib=${RESCOIN_COST_GUEST_MIB:-192}
variants=()
say() { echo "daemon-cost: $*" >&2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --vms) vms_list=$2; shift 2 ;;
    --mom) mom_dir=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --variant) variants+=("$2"); shift 2 ;;
    --profile) profile=1; shift ;;
    --no-build) build=0; shift ;;
    --monitor-benchmark) monitor_benchmark=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) say "unknown argument $1 (see --help)"; exit 2 ;;
  esac
done
[ ${#variants[@]} -gt 0 ] || variants=("defaults=" "none=--metrics none")
[ "$(id -u)" -eq 0 ] || { say "needs root (qemu:///system)"; exit 1; }
[ -f "$kvm/vmlinuz" ] && [ -f "$kvm/initramfs.gz" ] || { say "no test guest in artifacts/kvm: run scripts/setup-host.sh"; exit 1; }
$virsh version >/dev/null 2>&1 || { say "libvirtd does not answer on qemu:///system: run scripts/setup-host.sh"; exit 1; }
if [ -n "$mom_dir" ]; then
  [ -f "$mom_dir/momd.in" ] || { say "--mom $mom_dir: no momd.in there"; exit 1; }
  if ! /usr/bin/python3 -c 'import libvirt' 2>/dev/null; then
    say "installing python3-libvirt (MOM needs it)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-libvirt >/dev/null
  fi
fi
mkdir -p "$out/guests"
chmod 755 "$root/artifacts" "$out" "$out/guests"
host_dir="$out/host"
if [ "$monitor_benchmark" = 1 ]; then
  dotnet build benchmarks/ResCoin.Benchmarks -c Release -v q -nologo > "$out/benchmark-build.log" 2>&1 || { say "building the benchmarks failed (log: $out/benchmark-build.log)"; exit 1; }
  build=0
fi
if [ "$monitor_benchmark" = 0 ] && { [ "$build" = 1 ] || [ ! -x "$host_dir/rescoin-host" ]; }; then
  say "publishing rescoin-host (Release)"
  if ! dotnet publish samples/ResCoin.Host -c Release -o "$host_dir" -v q -nologo > "$out/publish.log" 2>&1; then
    grep -E 'error' "$out/publish.log" | sort -u | head -n 20
    say "publish failed (log: $out/publish.log)"
    exit 1
  fi
fi
tck=$(getconf CLK_TCK)
libvirtd_pid=$(pgrep -x libvirtd | head -n 1)

# utime+stime(+cutime+cstime) in ticks of a process and all its descendants.
tree_ticks() {
  awk -v top="$1" '
    FNR == 1 {
      line = $0; sub(/^[0-9]+ \(.*\) /, "", line); n = split(line, f, " ")
      pid = FILENAME; sub(/^\/proc\//, "", pid); sub(/\/stat$/, "", pid)
      ppid[pid] = f[2]; t[pid] = f[12] + f[13]; c[pid] = f[14] + f[15]
    }
    END {
      inTree[top] = 1; changed = 1
      while (changed) { changed = 0; for (p in ppid) if (!(p in inTree) && (ppid[p] in inTree)) { inTree[p] = 1; changed = 1 } }
      s = 0; for (p in inTree) if (p in t) s += t[p] + (p == top ? c[p] : 0)
      print s
    }' /proc/[0-9]*/stat 2>/dev/null
}
ticks() { awk '{ line = $0; sub(/^[0-9]+ \(.*\) /, "", line); split(line, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
secs() { awk -v t="$1" -v k="$tck" 'BEGIN { printf "%.2f", t / k }'; }

start_guests() {
  local n=$1 i name w
  for i in $(seq 1 "$n"); do
    name="rescoin-cost-$i"
    w=idle; [ "$i" = 1 ] && w=cpu
    $virsh destroy "$name" >/dev/null 2>&1 || true
    truncate -s 64M "$out/guests/$name.raw"
    : > "$out/guests/$name.log"
    cat > "$out/guests/$name.xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$memory_mib</memory>
  <currentMemory unit='MiB'>$memory_mib</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$kvm/vmlinuz</kernel><initrd>$kvm/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet rescoin.work=$w</cmdline></os>
  <on_poweroff>destroy</on_poweroff><on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$out/guests/$name.raw'/><target dev='vda' bus='virtio'/></disk>
    <serial type='file'><source path='$out/guests/$name.log'/><target port='0'/></serial>
    <memballoon model='virtio'><stats period='2'/></memballoon>
  </devices>
</domain>
XML
    $virsh create "$out/guests/$name.xml" >/dev/null
  done
  for _ in $(seq 1 120); do
    local ready=0
    for i in $(seq 1 "$n"); do grep -q 'rescoin-guest: ready' "$out/guests/rescoin-cost-$i.log" 2>/dev/null && ready=$((ready + 1)); done
    [ "$ready" = "$n" ] && return 0
    sleep 1
  done
  say "not every guest reached userspace in 120 s (going on)"
}
stop_guests() {
  for name in $($virsh list --name | grep '^rescoin-cost-' || true); do $virsh destroy "$name" >/dev/null 2>&1 || true; done
}
trap stop_guests EXIT

# One measured run: $1 label, $2 log file, the rest the command. Prints "label daemon_ticks libvirtd_ticks warmup_ticks rss".
measure() {
  local label=$1 log=$2; shift 2
  "$@" > "$log" 2>&1 &
  local pid=$!
  sleep "$warmup"
  kill -0 "$pid" 2>/dev/null || { say "$label exited during the warm-up (log: $log)"; tail -n 5 "$log" >&2; echo "$label NaN NaN NaN ?"; return; }
  local d0 l0 d1 l1 rss
  d0=$(tree_ticks "$pid"); l0=$(ticks "$libvirtd_pid")
  sleep "$window"
  d1=$(tree_ticks "$pid"); l1=$(ticks "$libvirtd_pid")
  rss=$(rss_mib "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$label $((d1 - d0)) $((l1 - l0)) $d0 $rss"
}

run_host() { # $1 journal, rest: extra args
  local journal=$1; shift
  # shellcheck disable=SC2086
  exec "$host_dir/rescoin-host" --period 1 --journal "$journal" "$@"
}
run_mom() { cd "$mom_dir" && PYTHONPATH=. exec /usr/bin/python3 momd.in -c bench.conf -r doc/balloon.rules; }

summary=()
for n in $vms_list; do
  say "N=$n: starting guests"
  start_guests "$n"
  sleep 5
  others=$($virsh list --name | grep -v '^rescoin-cost-' | grep -c . || true)
  vms=$((n + others))
  [ "$others" = 0 ] || say "N=$n: $others other running domain(s) on the host are counted as VMs too"
  rows=()
  if [ "$monitor_benchmark" = 1 ]; then
    say "N=$n: libvirt monitor benchmark ($vms VMs)"
    dotnet run -c Release --no-build --project benchmarks/ResCoin.Benchmarks -- --filter '*LibvirtMonitor*' > "$out/monitor-benchmark-$n.log" 2>&1 || say "the benchmark failed (log: $out/monitor-benchmark-$n.log)"
    grep -E '^\| |running VMs' "$out/monitor-benchmark-$n.log" >&2 || true
    stop_guests
    continue
  fi
  for r in $(seq 1 "$rounds"); do
    l0=$(ticks "$libvirtd_pid"); sleep "$window"; l1=$(ticks "$libvirtd_pid")
    base=$((l1 - l0))
    say "N=$n round $r: libvirtd alone $(secs $base) s / ${window} s"
    for v in "${variants[@]}"; do
      name=${v%%=*}; args=${v#*=}
      journal=$(mktemp -d)/journal.json
      # shellcheck disable=SC2086
      row=$(measure "rescoin-host($name)" "$out/host-$name-$n-$r.log" run_host "$journal" $args)
      rows+=("$row $base")
      say "N=$n round $r: $row"
    done
    if [ -n "$mom_dir" ]; then
      row=$(measure "MOM" "$out/mom-$n-$r.log" run_mom)
      rows+=("$row $base")
      say "N=$n round $r: $row"
    fi
  done
  if [ "$profile" = 1 ]; then
    journal=$(mktemp -d)/journal.json
    rpclog="$out/rpc-$n.log"; : > "$rpclog"
    LIBVIRT_LOG_FILTERS="1:rpc.netclient 1:libvirt.domain 1:libvirt.host" LIBVIRT_LOG_OUTPUTS="1:file:$rpclog" \
      "$host_dir/rescoin-host" --period 1 --journal "$journal" --metrics none > "$out/host-profile-$n.log" 2>&1 &
    pid=$!
    sleep "$warmup"
    skip=$(wc -l < "$rpclog")
    counters=$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")
    cpid=
    if [ -x "$counters" ]; then
      rm -f "$out/counters-$n.csv"
      "$counters" collect -p "$pid" --counters System.Runtime --refresh-interval 10 --format csv \
        -o "$out/counters-$n.csv" --duration "$(printf '%02d:%02d:%02d' $((window / 3600)) $((window % 3600 / 60)) $((window % 60)))" > /dev/null 2>&1 &
      cpid=$!
    fi
    timeout -s INT "$window" strace -c -f -p "$pid" -o "$out/strace-$n.txt" >/dev/null 2>&1 || true
    [ -z "$cpid" ] || wait "$cpid" 2>/dev/null || true
    tail -n +"$((skip + 1))" "$rpclog" > "$out/rpc-window-$n.log"
    kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    {
      echo "== N=$n: syscalls per period (strace -c -f over $window periods), top 15"
      awk -v w="$window" 'NR > 2 && $NF != "total" && $4 ~ /^[0-9]+$/ { printf "%-22s %8.1f\n", $NF, $4 / w }' "$out/strace-$n.txt" | sort -k2 -nr | head -n 15
      awk -v w="$window" '$NF == "total" { printf "%-22s %8.1f\n", "total", $4 / w }' "$out/strace-$n.txt"
      if [ -f "$out/counters-$n.csv" ]; then
        echo "== N=$n: .NET runtime counters over the window (dotnet-counters, System.Runtime)"
        grep -E 'gc.collections|total_allocated|thread_pool.thread.count|lock_contentions|timer.count' "$out/counters-$n.csv" | tail -n 12
      fi
      echo "== N=$n: libvirt RPCs sent per period by program and procedure number (keepalive is prog=1801807216)"
      grep 'RPC_CLIENT_MSG_TX_QUEUE' "$out/rpc-window-$n.log" | grep -o 'prog=[0-9]* vers=[0-9]* proc=[0-9]*' | sort | uniq -c \
        | awk -v w="$window" '{ printf "%-40s %8.2f\n", $2 " " $4, $1 / w }' | sort -k3 -nr
      echo "== N=$n: libvirt API calls per period (RPC or local)"
      grep -E ' : vir(Domain|Connect|Node)[A-Za-z]*:[0-9]+ : ' "$out/rpc-window-$n.log" | grep -v 'virNetClient' \
        | sed -E 's/.* : (vir[A-Za-z]+):[0-9]+ : .*/\1/' | sort | uniq -c | awk -v w="$window" '{ printf "%-40s %8.2f\n", $2, $1 / w }' | sort -k2 -nr
    } | tee "$out/profile-$n.txt" >&2
  fi
  stop_guests
  for row in "${rows[@]}"; do
    set -- $row
    summary+=("$(awk -v label="$1" -v d="$2" -v l="$3" -v wu="$4" -v rss="$5" -v base="$6" -v n="$vms" -v w="$window" -v k="$tck" 'BEGIN {
      extra = l - base; per = (d + extra) / k / w / n * 1000
      printf "| %d | %s | %.2f s | %.2f s (%.2f - %.2f) | %.2f ms | %.2f s | %s MiB |", n, label, d / k, extra / k, l / k, base / k, per, wu / k, rss }')")
  done
done
echo
echo "| VMs | daemon | daemon CPU / ${window} s | libvirtd extra CPU / ${window} s (with - alone) | per VM per period | CPU in the ${warmup} s warm-up | RSS |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
if [ -n "$mom_dir" ]; then
  echo
  printf '%s\n' "${summary[@]}" | awk -F'|' '
    { gsub(/ /, "", $2); gsub(/ ms/, "", $6); v = $2; if ($3 ~ /MOM/) { mom[v] += $6; nm[v]++ } else { split($3, a, "("); name = $3; gsub(/^ +| +$/, "", name); rc[v, name] += $6; cnt[v, name]++; names[name] = 1; vv[v] = 1 } }
    END { for (v in vv) for (nm2 in names) if (cnt[v, nm2] && nm[v]) printf "N=%s: %s costs %.2f of MOM per VM per period (%.2f ms against %.2f ms)\n", v, nm2, (rc[v, nm2] / cnt[v, nm2]) / (mom[v] / nm[v]), rc[v, nm2] / cnt[v, nm2], mom[v] / nm[v] }'
fi
}

# Everything runs from main, read whole before it starts: editing this file during a run cannot derail it.
main "$@"
