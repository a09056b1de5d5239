#!/usr/bin/env bash
# Sets up chachong and runs the whole test suite twice: a normal build, then
# a build with AddressSanitizer and UBSan; then each fuzz target briefly
# (FUZZ_SECONDS each, default 30; 0 skips them).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# Check's per-test timeouts are for an idle machine: a busy one (shared
# cores) or a sanitizer build takes longer, and no test may fail for that.
# (ctest's own limit, 900 s per binary, still catches a hang.)
BUILD_DIR=build bash scripts/setup.sh
(cd build && CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4} \
   ctest --output-on-failure -j"$jobs")
BUILD_DIR=build-asan CC_SANITIZE=ON bash scripts/setup.sh
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-10} ctest --output-on-failure -j"$jobs")
if [ "${FUZZ_SECONDS:-30}" != 0 ]; then
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
fi
