#!/usr/bin/env bash
# Records every public symbol of the given src projects (default: all) in PublicAPI.Unshipped.txt.
# Run after changing a public API on purpose; review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
projects=("$@")
[ ${#projects[@]} -gt 0 ] || mapfile -t projects < <(ls src/*/*.csproj)
for p in "${projects[@]}"; do
  dotnet format analyzers "$p" --diagnostics RS0016 RS0017 --severity info -v q || true
done
