#!/usr/bin/env bash
# Runs every benchmark program built from bench/*.cpp. Numbers go to docs/performance.md with the
# machine they came from; compare ratios measured in one run, not absolute times across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
programs=(build/bench/bench_*)
if [ ${#programs[@]} -eq 0 ]; then
  echo "error: no benchmark programs in build/bench; run make build first" >&2
  exit 1
fi
for program in "${programs[@]}"; do
  echo "== ${program##*/}"
  "$program" --benchmark_min_time=0.5 "$@"
done
