#!/usr/bin/env bash
# chachong export on the run of fixtures/run/basic: every workbook is opened
# with an independent reader (openpyxl) and every CSV with Python's csv
# module, and checked against what fixtures/run/basic/expected_findings.txt
# says each school must get (export_check.py says how).
#
#   bash test_export.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# Checks: exit codes; the files, exactly, with modes 0600 (folders 0700);
# per school the rows, their types, scopes, amounts, ID numbers, names,
# other schools, dates and actions; Chinese headers of workbooks and CSV;
# the CSV's BOM, utf-8-sig decoding, CRLF and same rows as the workbook;
# roll-up counts (each finding once per city, province and nation); the
# --school and --region filters; one audit entry per export (none for a
# failed one) with the number of rows; no full ID number on stdout or
# stderr. Ends with "N passed, M failed".
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/run/basic
PERIOD=2026-09
REGIONS=$SRC/data/regions/gbt2260.txt
mapfile -t DEADLINES < <(grep -v '^[[:space:]]*#' "$FX/expected_deadline.txt" | grep -v '^[[:space:]]*$')
read -r ISSUED _ _ <<<"${DEADLINES[0]}"
fixture_ids "$S/ids.txt" "$FX"/*.csv

# A Python that has openpyxl: the one on PATH, else Debian's.
find_openpyxl_python
[ -n "$PY" ] || cli_finish

# audit_exports: the number of "export" entries in the audit log.
audit_exports() {
  "$CC" audit --db "$S/db" 2>/dev/null | awk -F'\t' '$3 == "export"' | wc -l
}

# run_check NAME OUTDIR [--school X] [--region P]: export_check.py's verdicts
# become checks; its last line gives the rows expected (in ROWS).
run_check() {
  local name=$1 out=$2 st what ev
  shift 2
  ROWS=""
  if ! "$PY" "$HERE/export_check.py" --out "$out" --fixtures "$FX" \
      --findings "$S/run/findings.jsonl" --regions "$REGIONS" "$@" \
      >"$S/$name.check" 2>"$S/$name.check.err"; then
    fail "$name: export_check.py ran" "$(cat "$S/$name.check.err")"
    return
  fi
  while IFS=$'\t' read -r st what ev; do
    case "$st" in
      ok) pass "$name: $what" ;;
      fail) fail "$name: $what" "$ev" ;;
      rows) ROWS=$what ;;
    esac
  done <"$S/$name.check"
}

# check_audit NAME BEFORE ROWS: exactly one new export entry, for ROWS rows.
check_audit() {
  local name=$1 before=$2 rows=$3 after last
  after=$(audit_exports)
  if [ "$after" -eq $((before + 1)) ]; then
    pass "$name: one audit entry"
  else
    fail "$name: one audit entry" "export entries before $before, after $after"
  fi
  last=$("$CC" audit --db "$S/db" | awk -F'\t' '$3 == "export"' | tail -n 1)
  if [ "$(printf '%s' "$last" | cut -f2)" = "auditor-1" ] &&
     [ "$(printf '%s' "$last" | cut -f4)" = "$rows" ] &&
     printf '%s' "$last" | cut -f5 | grep -q "period=$PERIOD"; then
    pass "$name: the entry names the user, the period and $rows rows"
  else
    fail "$name: the entry names the user, the period and $rows rows" "$last"
  fi
}

# --- the run --------------------------------------------------------------
run_cc run run --db "$S/db" --period "$PERIOD" --issued "$ISSUED" \
  --roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv" \
  --roster "sd=$FX/provincial.csv" --out "$S/run" --quiet
check_exit "chachong run on fixtures/run/basic" 0 "$RC" "$S/run.stderr"
[ "$RC" = 0 ] || cli_finish

# --- the whole period -----------------------------------------------------
before=$(audit_exports)
run_cc all export --db "$S/db" --period "$PERIOD" --out "$S/all" --user auditor-1
check_exit "export of the whole period" 0 "$RC" "$S/all.stderr"
if [ "$RC" = 0 ]; then
  run_check all "$S/all"
  if [ "$ROWS" = 41 ]; then
    pass "all: 41 rows expected from expected_findings.txt"
  else
    fail "all: 41 rows expected from expected_findings.txt" "export_check.py says $ROWS"
  fi
  check_audit all "$before" "$ROWS"
  check "all: stdout says how many rows" grep -q " $ROWS rows" "$S/all.stdout"
fi

# --- one city ---------------------------------------------------------------
before=$(audit_exports)
run_cc city export --db "$S/db" --period "$PERIOD" --out "$S/city" \
  --region 3706 --user auditor-1
check_exit "export --region 3706" 0 "$RC" "$S/city.stderr"
if [ "$RC" = 0 ]; then
  run_check city "$S/city" --region 3706
  check_audit city "$before" "$ROWS"
fi

# --- one school code: the dual-brand school of both rosters -------------------
before=$(audit_exports)
run_cc school export --db "$S/db" --period "$PERIOD" --out "$S/school" \
  --school 4137011234 --user auditor-1
check_exit "export --school 4137011234" 0 "$RC" "$S/school.stderr"
if [ "$RC" = 0 ]; then
  run_check school "$S/school" --school 4137011234
  check_audit school "$before" "$ROWS"
  check "school: a code of two rosters gets one package per roster" \
    test -f "$S/school/37-山东省/3701-济南市/4137011234_moe.xlsx" -a \
         -f "$S/school/37-山东省/3701-济南市/4137011234_mohrss.xlsx"
fi

# --- the same export again replaces the files and adds one entry -------------
before=$(audit_exports)
run_cc again export --db "$S/db" --period "$PERIOD" --out "$S/all" --user auditor-1
check_exit "export into the same folder again" 0 "$RC" "$S/again.stderr"
if [ "$RC" = 0 ]; then
  run_check again "$S/all"
  check_audit again "$before" "$ROWS"
fi

# --- failures: no files, no audit entry -------------------------------------
before=$(audit_exports)
run_cc noperiod export --db "$S/db" --period 2026-10 --out "$S/noperiod" --user auditor-1
check_exit "a period the database does not hold is bad input" 3 "$RC" "$S/noperiod.stderr"
check "no files for a period the database does not hold" test ! -e "$S/noperiod/汇总_全国.csv"
run_cc badregion export --db "$S/db" --period "$PERIOD" --out "$S/badregion" --region 3x
check_exit "--region with a non-digit is bad input" 3 "$RC" "$S/badregion.stderr"
after=$(audit_exports)
if [ "$after" = "$before" ]; then
  pass "failed exports leave no audit entry"
else
  fail "failed exports leave no audit entry" "before $before, after $after"
fi
run_cc nodb export --db "$S/no-such-db" --period "$PERIOD" --out "$S/nodb"
check_exit "a database that does not exist is bad input" 3 "$RC" "$S/nodb.stderr"
check "no database is created by a failed export" test ! -e "$S/no-such-db/data.mdb"
run_cc usage_none export
check_exit "export without options is a usage error" 2 "$RC"
run_cc usage_bogus export --db "$S/db" --period "$PERIOD" --out "$S/u" --bogus x
check_exit "an unknown option is a usage error" 2 "$RC"
run_cc usage_format export --db "$S/db" --period "$PERIOD" --out "$S/u" --format pdf
check_exit "an unknown --format is a usage error" 2 "$RC"

check_no_ids "no full ID number on stdout or stderr of export" "$S/ids.txt" \
  "$S"/all.stdout "$S"/all.stderr "$S"/city.std* "$S"/school.std* \
  "$S"/again.std* "$S"/noperiod.std* "$S"/badregion.std* "$S"/nodb.std* \
  "$S"/usage_*.std*

cli_finish
