#!/usr/bin/env bash
# Runs every benchmark program built from bench/*.cpp: bench_ceiling first, whose best calls
# (sgemm GFLOP/s, STREAM GB/s per memory level and thread count) are exported so every other
# program of this run divides by the same ceilings (bench/common.h), then the rest. Arguments go
# to every program, e.g.
#   bash bench/run.sh --benchmark_min_time=0.1          # a quick pass
#   CAJAL_BUILD_DIR=build-release bash bench/run.sh --benchmark_format=json
#   CAJAL_BENCH_OUT=/tmp/bench bash bench/run.sh   # also writes /tmp/bench/bench_<name>.json
# Each program picks its own --benchmark_min_time (about a minute per program) unless one is given.
# Numbers go to docs/performance.md with the machine they came from; compare ratios measured in
# one run, not absolute times across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${CAJAL_BUILD_DIR:-build}"
shopt -s nullglob
programs=("$build_dir"/bench/bench_*)
if [ ${#programs[@]} -eq 0 ]; then
  echo "error: no benchmark programs in $build_dir/bench; run make build first" >&2
  exit 1
fi
out_dir="${CAJAL_BENCH_OUT:-}"
[ -n "$out_dir" ] && mkdir -p "$out_dir"
# Per program: --benchmark_out=DIR/NAME.json when CAJAL_BENCH_OUT is set.
out_args() {
  if [ -n "$out_dir" ]; then
    echo "--benchmark_out=$out_dir/$1.json --benchmark_out_format=json"
  fi
}
ceilings="$(mktemp)"
trap 'rm -f "$ceilings"' EXIT
if [ -x "$build_dir/bench/bench_ceiling" ]; then
  echo "== bench_ceiling"
  # shellcheck disable=SC2046
  "$build_dir/bench/bench_ceiling" --write_ceilings="$ceilings" $(out_args bench_ceiling) "$@"
  # shellcheck disable=SC1090
  . "$ceilings"
fi
for program in "${programs[@]}"; do
  [ "${program##*/}" = bench_ceiling ] && continue
  echo "== ${program##*/}"
  # shellcheck disable=SC2046
  "$program" $(out_args "${program##*/}") "$@"
done
