#!/usr/bin/env bash
# Installs what chachong needs on Debian 12 (when missing) and builds it.
#   BUILD_DIR  where to build (default: build)
#   CC_SANITIZE=ON  build with AddressSanitizer and UBSan
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config libxxhash-dev liblmdb-dev check
          libicu-dev libopencc-dev libopencc-data unicode-data libbz2-dev jq python3
          libxlsxwriter-dev python3-openpyxl chromium fonts-noto-cjk
          libzip-dev libexpat1-dev clang libclang-rt-14-dev man-db lmdb-utils
          libsodium-dev libmicrohttpd-dev openssl chromium-driver python3-selenium
          wrk clang-format)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCC_SANITIZE="${CC_SANITIZE:-OFF}" >/dev/null
cmake --build "$build" -j"$(nproc)"
