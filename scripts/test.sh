#!/usr/bin/env bash
# The README's test command: installs and starts what the tests need, builds with warnings as errors,
# runs every test project and prints one closing line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Real components (libvirtd + QEMU guests, cgroups) need Debian packages and daemons.
if [ -x scripts/setup-host.sh ]; then
  scripts/setup-host.sh
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build ResCoin.sln -c Release -warnaserror -nologo -clp:NoSummary -v q

results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
status=0
# One project at a time: the real-VM and real-cgroup tests share the host.
for proj in tests/*/*.Tests.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  set +e
  dotnet test "$proj" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" > "$results/$name.log" 2>&1
  rc=$?
  set -e
  # Show the verdict line, and every failure with its message.
  grep -E "^\s*(Failed|Skipped) |Error Message:|Passed!|Failed!" "$results/$name.log" | head -n 60 || true
  if [ $rc -ne 0 ]; then
    status=1
    echo "-- $name failed (exit $rc); last lines of its log:"
    tail -n 40 "$results/$name.log"
  fi
done

# The hot path has AVX code and a scalar fallback (other CPUs): run its tests again with AVX switched off.
for spec in "ResCoin.Scheduling.Tests|FullyQualifiedName~HotPath|FullyQualifiedName~KnownAnswer|FullyQualifiedName~PeriodEngine|FullyQualifiedName~CreditLedger" \
            "ResCoin.Prediction.Tests|FullyQualifiedName~ResCoin"; do
  name=${spec%%|*}; filter=${spec#*|}
  echo "== $name (scalar, DOTNET_EnableAVX=0)"
  set +e
  DOTNET_EnableAVX=0 dotnet test "tests/$name/$name.csproj" -c Release --no-build -nologo --filter "$filter" \
    --logger "trx;LogFileName=$name.scalar.trx" --results-directory "$results" > "$results/$name.scalar.log" 2>&1
  rc=$?
  set -e
  grep -E "^\s*(Failed|Skipped) |Error Message:|Passed!|Failed!" "$results/$name.scalar.log" | head -n 60 || true
  if [ $rc -ne 0 ]; then
    status=1
    echo "-- $name (scalar) failed (exit $rc); last lines of its log:"
    tail -n 40 "$results/$name.scalar.log"
  fi
done

python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
p = f = s = 0
for trx in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(trx).getroot().find("t:ResultSummary/t:Counters", ns)
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    s += int(c.get("notExecuted", 0))
print(f"tests: {p} passed, {f} failed, {s} skipped")
PY
exit $status
