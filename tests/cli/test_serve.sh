#!/usr/bin/env bash
# chachong serve and chachong user, end to end: tests/cli/serve_check.py
# starts the service on the run of fixtures/run/basic and drives its API and
# pages (every call and role, scopes, CSRF, fixation, cookie flags,
# throttling, timeouts, oversized and malformed requests, audit entries).
#
#   bash test_serve.sh <chachong> <gen_roster> <source dir> <scratch dir>
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"
python3 "$HERE/serve_check.py" "$CC" "$SRC" "$S"
