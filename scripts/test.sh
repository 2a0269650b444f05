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
labels=()
# run NAME LABEL [dotnet test arguments...]: runs tests/NAME, keeps its TRX and log as LABEL, shows the verdict line
# and every failure with its message.
run() {
  local name=$1 label=$2; shift 2
  labels+=("$label")
  set +e
  dotnet test "tests/$name/$name.csproj" -c Release --no-build -nologo "$@" \
    --logger "trx;LogFileName=$label.trx" --results-directory "$results" > "$results/$label.log" 2>&1
  local rc=$?
  set -e
  grep -E "^\s*(Failed|Skipped) |Error Message:|Passed!|Failed!" "$results/$label.log" | head -n 60 || true
  if [ $rc -ne 0 ]; then
    status=1
    echo "-- $label failed (exit $rc); last lines of its log:"
    tail -n 40 "$results/$label.log"
  fi
}

# One project at a time: the real-VM and real-cgroup tests share the host.
for proj in tests/*/*Tests.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  run "$name" "$name"
done

# The hot path has AVX code and a scalar fallback (other CPUs): run its tests again with AVX switched off.
echo "== ResCoin.Scheduling.Tests (scalar, DOTNET_EnableAVX=0)"
DOTNET_EnableAVX=0 run ResCoin.Scheduling.Tests ResCoin.Scheduling.Tests.scalar \
  --filter "FullyQualifiedName~HotPath|FullyQualifiedName~KnownAnswer|FullyQualifiedName~PeriodEngine|FullyQualifiedName~CreditLedger"
echo "== ResCoin.Prediction.Tests (scalar, DOTNET_EnableAVX=0)"
DOTNET_EnableAVX=0 run ResCoin.Prediction.Tests ResCoin.Prediction.Tests.scalar

# The closing line counts what the TRX files say, per project; a project that wrote no TRX (it crashed or did not
# build) counts as one failure, so the line never reads better than the run was.
python3 - "$results" "${labels[@]}" <<'PY' || status=1
import os, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
results, labels = sys.argv[1], sys.argv[2:]
p = f = s = 0
for label in labels:
    trx = os.path.join(results, label + ".trx")
    c = ET.parse(trx).getroot().find("t:ResultSummary/t:Counters", ns) if os.path.exists(trx) else None
    if c is None:
        print(f"  {label}: no test results (the project crashed or did not run): counted as 1 failed")
        f += 1
        continue
    cp = int(c.get("passed", 0)); cf = int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    cs = int(c.get("notExecuted", 0)) + int(c.get("inconclusive", 0))
    print(f"  {label}: {cp} passed, {cf} failed, {cs} skipped")
    p += cp; f += cf; s += cs
print(f"tests: {p} passed, {f} failed, {s} skipped")
sys.exit(1 if f else 0)
PY
exit $status
