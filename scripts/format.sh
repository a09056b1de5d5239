#!/usr/bin/env bash
# Formats the C sources with .clang-format (clang-format 14: Debian's
# clang-format package). `bash scripts/format.sh --check` changes nothing
# and fails when a file is not formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '^tools/gen_names\.h$')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi
