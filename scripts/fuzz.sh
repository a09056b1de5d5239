#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (CMake CC_FUZZ=ON, in
# build-fuzz/) and runs each for SECONDS (default 60), niced, one after the
# other. The committed seeds (fuzz/corpus/<target>/) are read, never written:
# what a run learns goes to build-fuzz/corpus/<target>/, which later runs
# start from. Anything found is written to build-fuzz/artifacts/ and makes
# the script fail.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: id name ingest xlsx)
#   FUZZ_BUILD_DIR  build directory (default: build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(id name ingest xlsx)
build=${FUZZ_BUILD_DIR:-build-fuzz}

CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCC_FUZZ=ON \
  -DBUILD_TESTS=OFF -DBUILD_CLI=OFF -DBUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  bin=$build/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz: no target $t" >&2; exit 2; }
  mkdir -p "$build/corpus/$t"
  echo "fuzz: $t for ${seconds}s" >&2
  # -timeout: a single input taking five minutes is a hang (generous: the machine
  # may be busy, and CI must not fail for that); -rss_limit_mb bounds
  # memory; the ingest limits are small in this build, so no input needs more.
  if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
       UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
       nice -n 10 "$bin" -max_total_time="$seconds" -timeout=300 -rss_limit_mb=2048 \
         -print_final_stats=1 -artifact_prefix="$build/artifacts/${t}-" \
         "$build/corpus/$t" "fuzz/corpus/$t" 2>"$build/fuzz_$t.log"; then
    echo "fuzz: $t FOUND SOMETHING (see $build/fuzz_$t.log and $build/artifacts/)" >&2
    tail -n 40 "$build/fuzz_$t.log" >&2
    status=1
  else
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+[[:space:]]+DONE' \
      "$build/fuzz_$t.log" | sed "s/^/fuzz: $t: /" >&2 || true
  fi
done
exit $status
