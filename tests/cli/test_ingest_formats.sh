#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# chachong run on the ingest fixtures of fixtures/ingest: the same five
# mohrss rows in every format the contract accepts, each beside the same
# plain UTF-8 moe roster (partner_moe.csv), so every case has the same
# hand-worked expectation (see fixtures/ingest/README.md):
#
#   gb18030.csv  GB18030 + CRLF, read without --encoding (and once with it)
#   bom.csv      UTF-8 with a byte order mark
#   tab.tsv      tab-separated; a comma inside a field is just a character
#   english.csv  English header aliases in odd case with spaces; English
#                status words
#   mapped.csv   other header spellings, mapped by mapped.map (--map)
#   missing_status.csv  no 学籍状态 column: exit 3, stderr names file and column
#   cr.csv       bom.csv's rows with lone CR line ends (old Mac exports)
#   utf16.txt    tab.tsv as Excel's "Unicode text": UTF-16LE with a BOM, CRLF
#   title.csv    a title row above the header: lines one further down
#   stray.csv    a row whose stray quote would have swallowed three rows
#   workbook     title.csv as an .xlsx, written here with openpyxl
#   header_quote.csv, mixed.csv  refused: exit 3, file, line, column named
#   the CR roster as the next period: the findings stay, none cleared
#
#   bash test_ingest_formats.sh <chachong> <gen_roster> <source dir> <scratch dir>
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/ingest
PERIOD=2026-09
ISSUED=2026-09-25
DEADLINE=2026-10-15 # see fixtures/run/basic/README.md

fixture_ids "$S/ids.txt" "$FX/partner_moe.csv" "$FX/bom.csv" "$FX/tab.tsv"
check "the fixtures hold ID numbers to look for" test -s "$S/ids.txt"

# The GB18030 fixture must really be GB18030, not UTF-8 that happens to work.
if iconv -f UTF-8 -t UTF-8 "$FX/gb18030.csv" >/dev/null 2>&1; then
  fail "gb18030.csv is not valid UTF-8 (so the reader has to detect GB18030)"
else
  pass "gb18030.csv is not valid UTF-8 (so the reader has to detect GB18030)"
fi

# run_case NAME FILE EXPECTED_STEM [EXTRA ARGS...]
run_case() {
  local name=$1 file=$2 stem=$3
  shift 3
  local out=$S/out_$name f
  run_cc "$name" run --db "$S/db_$name" --period "$PERIOD" --issued "$ISSUED" \
    --roster "moe=$FX/partner_moe.csv" --roster "mohrss=$file" --out "$out" "$@"
  check_exit "$name: run succeeds" 0 "$RC" "$S/$name.stderr"
  [ "$RC" = 0 ] || return 0
  f=$out/findings.jsonl
  if [ ! -f "$f" ] || [ ! -f "$out/rejects.csv" ]; then
    fail "$name: findings.jsonl and rejects.csv written" "$(ls -l "$out" 2>&1)"
    return 0
  fi
  if bash "$PROJECT" "$f" >"$out/projection.txt" 2>"$out/projection.err"; then
    check_diff "$name: findings projection" "$FX/$stem.expected" "$out/projection.txt"
  else
    fail "$name: findings projection" "$(cat "$out/projection.err")"
  fi
  check_valid_utf8 "$name: rejects.csv is UTF-8" "$out/rejects.csv"
  if bash "$PROJECT" --rejects "$out/rejects.csv" >"$out/rejects_projection.txt" \
      2>"$out/rejects_projection.err"; then
    check_diff "$name: rejects projection" "$FX/$stem.rejects.expected" \
      "$out/rejects_projection.txt"
  else
    fail "$name: rejects projection" "$(cat "$out/rejects_projection.err")"
  fi
  check_jq "$name: names arrive decoded and as registered (張偉, 阿依古丽•买买提, 王𠮷)" '
    [.[] | select(.type == "dual_enrollment") | .members[]
     | select(.roster == "mohrss") | .name] | sort
    == (["張偉", "阿依古丽•买买提", "王𠮷"] | sort)' "$f"
  check_jq "$name: a comma inside a field stays in the school name" '
    [.[] | select(.person.id_number == "370103200909090664") | .members[]
     | select(.roster == "mohrss") | .school_name] | length > 0
    and all(.[]; . == "青岛技师学院,西海岸校区")' "$f"
  check_jq "$name: every finding: issued $ISSUED, deadline $DEADLINE" \
    "length > 0 and all(.[]; .period == \"$PERIOD\" and .issued == \"$ISSUED\"
                            and .deadline == \"$DEADLINE\"
                            and .deadline_provisional == false)" "$f"
  check_mode "$name: findings.jsonl is mode 0600" "$f" 600
  check_mode "$name: rejects.csv is mode 0600" "$out/rejects.csv" 600
  check_no_ids "$name: no full ID number on stdout, stderr or in summary.txt" \
    "$S/ids.txt" "$S/$name.stdout" "$S/$name.stderr" "$out/summary.txt"
}

run_case gb18030 "$FX/gb18030.csv" gb18030
run_case gb18030_told "$FX/gb18030.csv" gb18030 --encoding mohrss=GB18030
run_case bom "$FX/bom.csv" bom
run_case tsv "$FX/tab.tsv" tab
run_case english "$FX/english.csv" english
run_case mapped "$FX/mapped.csv" mapped --map "$FX/mapped.map"
run_case cr "$FX/cr.csv" bom
run_case utf16 "$FX/utf16.txt" tab
run_case title "$FX/title.csv" title
run_case stray "$FX/stray.csv" stray

# The summary says what was skipped and what a stray quote did.
check "title: summary.txt says the title row was skipped" \
  grep -q -F "1 title row above the header skipped (the header is line 2)." \
  "$S/out_title/summary.txt"
check "stray: summary.txt counts the rows the stray quote ran into" \
  grep -q -F "1 row rejected for a stray quote; the 3 rows it ran into were read as rows." \
  "$S/out_stray/summary.txt"
check "utf16: summary.txt names the encoding" \
  grep -q -F "(UTF-16LE, TSV)" "$S/out_utf16/summary.txt"

# A workbook: title.csv's cells, every one a text cell, as an .xlsx.
find_openpyxl_python
if [ -n "$PY" ]; then
  "$PY" - "$FX/title.csv" "$S/roster.xlsx" <<'PY'
import csv, sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    for row in csv.reader(f):
        ws.append([c if c != "" else None for c in row])
wb.save(sys.argv[2])
PY
  run_case workbook "$S/roster.xlsx" title
  check "workbook: summary.txt names it a workbook" \
    grep -q -F "(workbook, first worksheet)" "$S/out_workbook/summary.txt"
fi

# The CR roster as the next period after bom.csv: read as it is, so every
# finding stays open and none is cleared.
run_cc period1 run --db "$S/db_periods" --period 2026-09 --issued 2026-09-25 \
  --roster "moe=$FX/partner_moe.csv" --roster "mohrss=$FX/bom.csv" --out "$S/out_p1"
check_exit "periods: 2026-09 with bom.csv" 0 "$RC" "$S/period1.stderr"
run_cc period2 run --db "$S/db_periods" --period 2026-10 --issued 2026-10-26 \
  --roster "moe=$FX/partner_moe.csv" --roster "mohrss=$FX/cr.csv" --out "$S/out_p2"
check_exit "periods: 2026-10 with cr.csv" 0 "$RC" "$S/period2.stderr"
# (2026-10-26 is past their deadline, 2026-10-15: overdue, not cleared.)
check_jq "periods: the CR roster clears nothing; the five findings stay, overdue" '
  length == 5 and all(.[]; .state == "overdue")' "$S/out_p2/findings.jsonl"

# Determinism and re-run, on the GB18030 case.
for t in 1 2; do
  run_cc "gb_threads$t" run --db "$S/db_gb_t$t" --period "$PERIOD" --issued "$ISSUED" \
    --roster "moe=$FX/partner_moe.csv" --roster "mohrss=$FX/gb18030.csv" \
    --out "$S/out_gb_t$t" --threads "$t"
  check_exit "gb18030 with --threads $t succeeds" 0 "$RC" "$S/gb_threads$t.stderr"
done
check "gb18030: findings.jsonl is byte-identical with --threads 1 and --threads 2" \
  cmp "$S/out_gb_t1/findings.jsonl" "$S/out_gb_t2/findings.jsonl"
run_cc gb_rerun run --db "$S/db_gb_t1" --period "$PERIOD" --issued "$ISSUED" \
  --roster "moe=$FX/partner_moe.csv" --roster "mohrss=$FX/gb18030.csv" \
  --out "$S/out_gb_rerun"
check_exit "gb18030: re-running the same period into the same --db succeeds" 0 "$RC" \
  "$S/gb_rerun.stderr"
jq -c 'del(.state)' "$S/out_gb_t1/findings.jsonl" >"$S/gb_first.nostate" 2>&1
jq -c 'del(.state)' "$S/out_gb_rerun/findings.jsonl" >"$S/gb_rerun.nostate" 2>&1
check_diff "gb18030: re-run gives the same findings" "$S/gb_first.nostate" "$S/gb_rerun.nostate"

# A required column missing: exit 3 and a message naming file and column.
# missing_status.expected holds "exit N" and "stderr TEXT" lines.
want_exit=$(awk '$1 == "exit" { print $2 }' "$FX/missing_status.expected")
run_cc missing_status run --db "$S/db_missing" --period "$PERIOD" --issued "$ISSUED" \
  --roster "moe=$FX/partner_moe.csv" --roster "mohrss=$FX/missing_status.csv" \
  --out "$S/out_missing"
check_exit "missing 学籍状态: bad input" "$want_exit" "$RC" "$S/missing_status.stderr"
while IFS= read -r want; do
  if grep -q -F -- "$want" "$S/missing_status.stderr"; then
    pass "missing 学籍状态: stderr mentions '$want'"
  else
    fail "missing 学籍状态: stderr mentions '$want'" "stderr: $(head -c 2000 "$S/missing_status.stderr")"
  fi
done < <(sed -n 's/^stderr //p' "$FX/missing_status.expected")
check_no_ids "missing 学籍状态: no full ID number on stdout or stderr" "$S/ids.txt" \
  "$S/missing_status.stdout" "$S/missing_status.stderr"

# Refused files: the header with a stray quote and the mixed file, each as
# the next period of db_periods: exit 3, the message of <case>.expected,
# and nothing published for the period.
for case in header_quote mixed; do
  want_exit=$(awk '$1 == "exit" { print $2 }' "$FX/$case.expected")
  run_cc "$case" run --db "$S/db_periods" --period 2026-11 --issued 2026-11-25 \
    --roster "moe=$FX/partner_moe.csv" --roster "mohrss=$FX/$case.csv" --out "$S/out_$case"
  check_exit "$case: bad input" "$want_exit" "$RC" "$S/$case.stderr"
  while IFS= read -r want; do
    if grep -q -F -- "$want" "$S/$case.stderr"; then
      pass "$case: stderr mentions '$want'"
    else
      fail "$case: stderr mentions '$want'" "stderr: $(head -c 2000 "$S/$case.stderr")"
    fi
  done < <(sed -n 's/^stderr //p' "$FX/$case.expected")
  check "$case: no findings.jsonl published" test ! -e "$S/out_$case/findings.jsonl"
  check_no_ids "$case: no full ID number on stdout or stderr" "$S/ids.txt" \
    "$S/$case.stdout" "$S/$case.stderr"
done

cli_finish
