#!/usr/bin/env bash
# Sets up chachong and runs the whole test suite twice: a normal build, then
# a build with AddressSanitizer and UBSan; then each fuzz target briefly
# (FUZZ_SECONDS each, default 30; 0 skips them).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# No test depends on the machine's speed: a busy machine (shared cores) or
# a sanitizer build only takes longer. ctest's limits, set per tier in
# tests/CMakeLists.txt (quick 1800 s, long 7200 s), only catch a hang, and
# Check's own are stretched past them there.
BUILD_DIR=build bash scripts/setup.sh
# The sources as .clang-format lays them out (scripts/format.sh).
bash scripts/format.sh --check
(cd build && ctest --output-on-failure -j"$jobs")
BUILD_DIR=build-asan CC_SANITIZE=ON bash scripts/setup.sh
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")
if [ "${FUZZ_SECONDS:-30}" != 0 ]; then
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
fi
