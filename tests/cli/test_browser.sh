#!/usr/bin/env bash
# A real browser drives chachong serve's pages: headless Chromium through
# Selenium (tests/cli/browser_check.py); screenshots are kept in
# <scratch>/screenshots.
#
#   bash test_browser.sh <chachong> <gen_roster> <source dir> <scratch dir>
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"
# Debian's python3 carries python3-selenium (a python3 of its own may not).
PY=/usr/bin/python3
if ! "$PY" -c 'import selenium' 2>/dev/null || [ ! -x /usr/bin/chromedriver ]; then
  fail "python3-selenium and chromium-driver are installed (scripts/setup.sh lists them)"
  cli_finish
fi
"$PY" "$HERE/browser_check.py" "$CC" "$SRC" "$S"
