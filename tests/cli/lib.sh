# shellcheck shell=bash disable=SC2034
# Shared helpers of the command-line tests (sourced, not run). Each check
# prints "ok - ..." or "FAIL - ..." with the evidence; cli_finish prints the
# closing "N passed, M failed" line and exits non-zero on any failure.
#
# The caller sets CC (the chachong binary), GEN (gen_roster), SRC (source
# tree) and S (scratch directory) through cli_init "$@".

CLI_PASS=0
CLI_FAIL=0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT="$HERE/project.sh"

cli_init() {
  if [ $# -ne 4 ]; then
    echo "usage: bash $(basename "$0") <chachong> <gen_roster> <source dir> <scratch dir>" >&2
    exit 2
  fi
  CC=$1
  GEN=$2
  SRC=$3
  S=$4
  # A fresh scratch directory; refuse obviously dangerous values.
  case "$S" in
    ""|/|.|..) echo "refusing scratch dir '$S'" >&2; exit 2 ;;
  esac
  rm -rf -- "$S"
  mkdir -p -- "$S"
  S=$(cd "$S" && pwd)
  # Outputs must be owner-only whatever the caller's umask.
  umask 022
  if ! command -v jq >/dev/null 2>&1; then
    fail "jq is installed (the tests project findings.jsonl with it)"
    cli_finish
  fi
  if [ ! -x "$CC" ]; then
    fail "chachong binary is executable: $CC"
    cli_finish
  fi
}

pass() {
  CLI_PASS=$((CLI_PASS + 1))
  echo "ok   - $1"
}

# fail DESCRIPTION [EVIDENCE]
fail() {
  CLI_FAIL=$((CLI_FAIL + 1))
  echo "FAIL - $1"
  if [ $# -gt 1 ] && [ -n "$2" ]; then
    printf '%s\n' "$2" | head -n 60 | sed 's/^/       /'
  fi
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
  local what=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    pass "$what"
  else
    fail "$what" "$out"
  fi
}

# check_diff DESCRIPTION EXPECTED_FILE ACTUAL_FILE
check_diff() {
  local d
  if d=$(diff -u --label "expected: $2" --label "actual" "$2" "$3" 2>&1); then
    pass "$1"
  else
    fail "$1" "$d"
  fi
}

# check_exit DESCRIPTION EXPECTED_CODE ACTUAL_CODE [STDERR_FILE]
check_exit() {
  if [ "$2" = "$3" ]; then
    pass "$1 (exit $3)"
  else
    local ev="exit $3, expected $2"
    if [ $# -gt 3 ] && [ -s "$4" ]; then
      ev="$ev; stderr: $(head -c 2000 "$4")"
    fi
    fail "$1" "$ev"
  fi
}

# check_jq DESCRIPTION FILTER FILE: FILTER runs on the slurped findings
# (an array) and must yield true.
check_jq() {
  local out
  if out=$(jq -s -e "$2" "$3" 2>&1) && [ "$out" = true ]; then
    pass "$1"
  else
    fail "$1" "jq -s '$2' gave: $out"
  fi
}

# check_mode DESCRIPTION FILE OCTAL
check_mode() {
  local m
  if [ ! -e "$2" ]; then
    fail "$1" "$2 does not exist"
    return
  fi
  m=$(stat -c %a "$2")
  if [ "$m" = "$3" ]; then
    pass "$1"
  else
    fail "$1" "$2 has mode $m, expected $3"
  fi
}

# check_no_ids DESCRIPTION IDLIST FILE...: none of the ID numbers in IDLIST
# (one a line) appears in any of the files.
check_no_ids() {
  local what=$1 list=$2 f hits=""
  shift 2
  for f in "$@"; do
    [ -e "$f" ] || continue
    if grep -a -F -f "$list" -- "$f" >/dev/null 2>&1; then
      hits="$hits$f: $(grep -a -o -F -f "$list" -- "$f" | sort -u | sed 's/^\(......\).*/\1************/' | tr '\n' ' ')
"
    fi
  done
  if [ -z "$hits" ]; then
    pass "$what"
  else
    fail "$what" "$hits"
  fi
}

# fixture_ids OUT FILE...: every 18-character ID number (17 digits and a
# check character) written in ASCII in the fixtures, upper-cased.
fixture_ids() {
  local out=$1
  shift
  LC_ALL=C grep -a -h -o -E '[0-9]{17}[0-9Xx]' -- "$@" | tr x X | LC_ALL=C sort -u >"$out"
}

# check_valid_utf8 DESCRIPTION FILE
check_valid_utf8() {
  if iconv -f UTF-8 -t UTF-8 "$2" >/dev/null 2>&1; then
    pass "$1"
  else
    fail "$1" "$2 is not valid UTF-8"
  fi
}

# find_openpyxl: sets PY to a python3 that has openpyxl (the one on PATH,
# else Debian's), or fails the test and finishes.
find_openpyxl() {
  find_openpyxl_python
  [ -n "$PY" ] || cli_finish
}

# run_cc NAME ARGS...: runs "$CC" ARGS with stdout/stderr kept in
# $S/NAME.stdout and $S/NAME.stderr; the exit code is left in RC.
run_cc() {
  local name=$1
  shift
  "$CC" "$@" >"$S/$name.stdout" 2>"$S/$name.stderr" </dev/null
  RC=$?
}

cli_finish() {
  echo "$CLI_PASS passed, $CLI_FAIL failed"
  if [ "$CLI_FAIL" -gt 0 ]; then
    exit 1
  fi
  exit 0
}

# A Python that has openpyxl, in PY: the one on PATH, else Debian's; PY is
# empty (and a failure recorded) when there is none.
find_openpyxl_python() {
  local p
  PY=""
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import openpyxl' >/dev/null 2>&1; then
      PY=$p
      return 0
    fi
  done
  fail "python3 with openpyxl is installed (Debian: python3-openpyxl)"
}
