#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# Answers from schools that stay offline (issue 14, points 7-8): the
# lifecycle fixtures' September run is exported; school J3701101 (济南市技师
# 学院, cases A B E H I of fixtures/lifecycle/README.md) sends back its
# workbook, filled in with openpyxl through the drop-down's choices, and its
# CSV, edited as a spreadsheet would; `chachong import-responses` records
# what a member school answered and lists the rest; the October run then
# carries the answers, and `chachong query` shows them.
#
#   bash test_responses.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# Expected, by hand (J3701101's package holds 5 findings, each file):
#   workbook: A 保留本校学籍 + note, H 已请对方学校注销 + note, I "已处理" (not a
#             choice: unknown_answer), B and E left empty.
#   CSV:      E 已注销本校学籍 + note; B answered, but its 学校代码 changed to
#             J3706301 (烟台市技师学院, none of B's schools: not_member);
#             A H I left empty.
#   => 10 rows, 3 recorded, 2 refused, 5 without an answer; exit 0.
#   Again: 0 recorded, 3 already recorded; no new audit entry.
# The answers are dated 2026-10-09 (--date), before the October run's issue
# date 2026-10-15, so that run carries them: A keep; H ask_other and E
# cancel_own still present => claimed_resolved.
# Every audit entry (export, import-responses, query, report, resolve) names
# the operator (--user) and, in its last column, the operating-system
# account (id -un).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"
find_openpyxl

FX=$SRC/fixtures/lifecycle
DB=$S/db
ME=$(id -un)
fixture_ids "$S/ids.txt" "$FX"/*/*.csv

run_cc run09 run --db "$DB" --period 2026-09 --issued 2026-09-25 \
  --roster "moe=$FX/2026-09/moe.csv" --roster "mohrss=$FX/2026-09/mohrss.csv" --out "$S/out09"
check_exit "run 2026-09" 0 "$RC" "$S/run09.stderr"
F09=$S/out09/findings.jsonl

# fid TYPE ROSTER LINE: the finding_id of the one finding of TYPE with that
# member.
fid() {
  jq -r --arg t "$1" --arg r "$2" --argjson l "$3" '
    select(.type == $t and any(.members[]; .roster == $r and .line == $l))
    | .finding_id' "$F09"
}
A=$(fid dual_enrollment mohrss 3)
B=$(fid dual_enrollment mohrss 6)
H=$(fid dual_enrollment mohrss 2)
I=$(fid dual_enrollment mohrss 10)
E=$(fid double_grant mohrss 7)
for v in A B H I E; do
  if [ "$(printf '%s' "${!v}" | grep -c '^[0-9a-f]\{16\}$')" = 1 ]; then
    pass "case $v has one finding (${!v})"
  else
    fail "case $v has one finding" "got: ${!v}"
  fi
done

run_cc export export --db "$DB" --period 2026-09 --out "$S/exp" --user op-export
check_exit "export 2026-09" 0 "$RC" "$S/export.stderr"
PKG=$S/exp/37-山东省/3701-济南市/J3701101
check "J3701101's workbook and CSV exist" test -f "$PKG.xlsx" -a -f "$PKG.csv"

# --- the school fills them in -------------------------------------------
"$PY" - "$PKG.xlsx" "$PKG.csv" "$S/back.xlsx" "$S/back.csv" "$A" "$B" "$H" "$I" "$E" \
  >"$S/fill.out" 2>&1 <<'EOF'
import csv, io, sys
import openpyxl
xin, cin, xout, cout, A, B, H, I, E = sys.argv[1:]
CHOICES = ["保留本校学籍", "已注销本校学籍", "已请对方学校注销"]
wb = openpyxl.load_workbook(xin)
ws = wb["问题清单"]
head = [c.value for c in ws[1]]
fcol, scol, acol, ncol = (head.index(h) + 1 for h in ("问题编号", "学校代码", "本校处理结果", "处理说明"))
# The drop-down is there, over the answer column, with exactly the choices.
dvs = list(ws.data_validations.dataValidation)
letter = openpyxl.utils.get_column_letter(acol)
assert len(dvs) == 1 and dvs[0].type == "list", dvs
assert dvs[0].formula1 == '"' + ",".join(CHOICES) + '"', dvs[0].formula1
assert str(dvs[0].sqref) == "%s2:%s%d" % (letter, letter, ws.max_row), dvs[0].sqref
answers = {A: (CHOICES[0], "学生在本校就读"), H: (CHOICES[2], "已发函请对方注销"), I: ("已处理", None)}
rows = {}
for r in range(2, ws.max_row + 1):
    f = ws.cell(r, fcol).value
    assert ws.cell(r, scol).value == "J3701101", (r, ws.cell(r, scol).value)
    rows[f] = r
    if f in answers:
        ws.cell(r, acol).value, ws.cell(r, ncol).value = answers[f]
assert set(answers) <= set(rows), rows
wb.save(xout)
print("xlsx I row", rows[I])
# The CSV as a spreadsheet writes it back: BOM, CRLF, quotes where needed.
text = open(cin, encoding="utf-8-sig", newline="").read()
table = list(csv.reader(io.StringIO(text, newline="")))
h = table[0]
fcol, scol, acol, ncol = (h.index(x) for x in ("问题编号", "学校代码", "本校处理结果", "处理说明"))
for n, row in enumerate(table[1:], start=2):
    if row[fcol] == E:
        row[acol], row[ncol] = CHOICES[1], "已注销本校学籍，\"2026-10-09\""
    if row[fcol] == B:
        row[scol], row[acol] = "J3706301", CHOICES[0]
        print("csv B row", n)
with open(cout, "w", encoding="utf-8-sig", newline="") as out:
    csv.writer(out, lineterminator="\r\n").writerows(table)
EOF
check "openpyxl finds the drop-down and fills in the workbook and CSV" test "$?" = 0
cat "$S/fill.out"
IROW=$(sed -n 's/^xlsx I row //p' "$S/fill.out")
BROW=$(sed -n 's/^csv B row //p' "$S/fill.out")

# --- import ---------------------------------------------------------------
run_cc import import-responses --db "$DB" --period 2026-09 --date 2026-10-09 \
  --user op-import "$S/back.xlsx" "$S/back.csv"
check_exit "import-responses reads both files" 0 "$RC" "$S/import.stderr"
printf 'file\trow\tcolumn\tcode\treason\n' >"$S/import.expected"
printf '%s\t%s\t本校处理结果\tunknown_answer\t处理结果不是下拉列表中的选项（保留本校学籍、已注销本校学籍、已请对方学校注销）\n' \
  "$S/back.xlsx" "$IROW" >>"$S/import.expected"
printf '%s\t%s\t学校代码\tnot_member\t该学校不是这个问题涉及的学校：只能反馈涉及本校的问题\n' \
  "$S/back.csv" "$BROW" >>"$S/import.expected"
check_diff "import-responses lists the unknown answer and the non-member's row" \
  "$S/import.expected" "$S/import.stdout"
check "import-responses counts: 10 rows, 3 recorded, 5 without an answer, 2 refused" \
  grep -qF "2 file(s), 10 row(s): 3 recorded, 0 already recorded, 5 without an answer, 2 refused; 0 file(s) not read" \
  "$S/import.stderr"

run_cc import2 import-responses --db "$DB" --period 2026-09 --date 2026-10-09 \
  --user op-import "$S/back.xlsx" "$S/back.csv"
check_exit "import-responses again" 0 "$RC" "$S/import2.stderr"
check "a re-import records nothing: 3 already recorded" \
  grep -qF "2 file(s), 10 row(s): 0 recorded, 3 already recorded, 5 without an answer, 2 refused" \
  "$S/import2.stderr"

run_cc missing import-responses --db "$DB" --period 2026-09 "$S/nothere.csv"
check_exit "a file that is not there: listed, bad input" 3 "$RC" "$S/missing.stderr"
check "the missing file is listed as unreadable_file" \
  grep -qF "$(printf '%s\t0\t\tunreadable_file\t' "$S/nothere.csv")" "$S/missing.stdout"
run_cc noperiod import-responses --db "$DB" --period 2026-08 "$S/back.csv"
check_exit "a period the database lacks" 3 "$RC"
run_cc usage import-responses --db "$DB" "$S/back.csv"
check_exit "--period is required" 2 "$RC"

# --- the audit log: one entry per recorded answer, the real user beside ---
run_cc audit audit --db "$DB"
check_exit "audit" 0 "$RC" "$S/audit.stderr"
awk -F'\t' '$3 == "import-responses"' "$S/audit.stdout" >"$S/audit.import"
check "three import-responses entries (one per recorded answer, none on re-import)" \
  test "$(wc -l <"$S/audit.import")" = 3
check "each is under --user op-import with os_user $ME and one record" \
  awk -F'\t' -v me="$ME" '$2 != "op-import" || $4 != 1 || $6 != me { bad = 1 } END { exit bad }' "$S/audit.import"
for v in A H E; do
  check "the audit entry of case $v names its finding, file and period" \
    grep -qE "period=2026-09 finding=${!v} action=[a-z_]+ school=J3701101 by=学校回执 date=2026-10-09 file=back\.(xlsx|csv) row=[0-9]+" "$S/audit.import"
done
check "the notes are not in the audit log" bash -c "! grep -qF '已发函' '$S/audit.stdout'"
check "the export's entry has os_user $ME beside --user op-export" \
  awk -F'\t' -v me="$ME" '$3 == "export" { n++; if ($2 != "op-export" || $6 != me) bad = 1 } END { exit bad || n != 1 }' "$S/audit.stdout"
check_no_ids "no full ID number in the import's output or the audit log" "$S/ids.txt" \
  "$S/import.stdout" "$S/import.stderr" "$S/audit.stdout"

# --- the next run carries the answers; query shows them -------------------
run_cc run10 run --db "$DB" --period 2026-10 --issued 2026-10-15 \
  --roster "moe=$FX/2026-10/moe.csv" --roster "mohrss=$FX/2026-10/mohrss.csv" --out "$S/out10"
check_exit "run 2026-10" 0 "$RC" "$S/run10.stderr"
run_cc query query --db "$DB" --period 2026-10 --school J3701101 --format jsonl --user op-query
check_exit "query J3701101 in 2026-10" 0 "$RC" "$S/query.stderr"
check_jq "query: A's answer keep from J3701101 with its note, not claimed" \
  "any(.[]; .finding_id == \"$A\" and .response.action == \"keep\"
     and .response.school_code == \"J3701101\" and .response.by == \"学校回执\"
     and .response.note == \"学生在本校就读\" and .response.date == \"2026-10-09\"
     and (.claimed_resolved != true))" "$S/query.stdout"
check_jq "query: H's answer ask_other, still there: claimed_resolved" \
  "any(.[]; .finding_id == \"$H\" and .response.action == \"ask_other\"
     and .response.note == \"已发函请对方注销\" and .claimed_resolved == true)" "$S/query.stdout"
check_jq "query: E's answer cancel_own from the CSV, still there: claimed_resolved" \
  "any(.[]; .finding_id == \"$E\" and .response.action == \"cancel_own\"
     and .response.note == \"已注销本校学籍，\\\"2026-10-09\\\"\" and .claimed_resolved == true)" "$S/query.stdout"
check_jq "query: no answer for B (refused) or I (unknown answer)" \
  "all(.[] | select(.finding_id == \"$B\" or .finding_id == \"$I\"); (.response // null) == null)" \
  "$S/query.stdout"
run_cc report report --db "$DB" --period 2026-10 --out "$S/report.html" --user op-report
check_exit "report 2026-10" 0 "$RC" "$S/report.stderr"
run_cc resolve resolve --db "$DB" --finding "$I" --action keep --by 王老师 \
  --school J3701101 --date 2026-10-20 --user op-resolve
check_exit "resolve I by hand" 0 "$RC" "$S/resolve.stderr"
run_cc audit2 audit --db "$DB"
check "the query's entry has os_user $ME beside --user op-query" \
  awk -F'\t' -v me="$ME" '$3 == "query" { n++; if ($2 != "op-query" || $6 != me) bad = 1 } END { exit bad || n != 1 }' "$S/audit2.stdout"
check "the report's and resolve's entries have os_user $ME beside their --user" \
  awk -F'\t' -v me="$ME" '($3 == "report" && $2 == "op-report") || ($3 == "resolve" && $2 == "op-resolve") { n++; if ($6 != me) bad = 1 } END { exit bad || n != 2 }' "$S/audit2.stdout"
check "all 7 entries of the audit log (export, 3 answers, query, report, resolve) have six columns and os_user $ME" \
  awk -F'\t' -v me="$ME" 'NF != 6 || $6 != me { bad = 1 } END { exit bad || NR != 7 }' "$S/audit2.stdout"

cli_finish
