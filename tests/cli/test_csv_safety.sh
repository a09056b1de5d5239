#!/usr/bin/env bash
# CSV files are opened in Excel: every CSV chachong writes starts with a
# UTF-8 BOM, and a cell that carries outside text (a roster's names and
# school names, a roster's file path) and starts with a formula lead
# (= + - @ TAB CR, OWASP "CSV Injection") is written with a leading
# apostrophe (engine/buf.c, cc_csv_cell).
#
#   bash test_csv_safety.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# The rosters (written below) hold four persons in both systems whose
# names and school names start with each lead: "=cmd|' /C calc'!A0",
# "+1", "-1" and "@SUM(1)"; ingest keeps them (they are letters to it),
# so each person is a dual_enrollment finding. A leading TAB or CR cannot
# reach a name (ingest trims both, SPEC 2.1), so those two leads are shown
# through the rosters' file paths, which rejects.csv and invalid_ids.csv
# carry in their first cell.
#
# Expected cells, by hand (rejects: the ID "abc" of moe line 6 and "xyz" of
# mohrss line 6; invalid IDs: the four 110101... IDs fail their check digit,
# moe lines 3, 4, 5, 7 and mohrss lines 3, 4, 5):
#   query --format csv, the row of "+1": name '+1, school_names
#     '+1学校;+1学校, member_names '+1;+1 (the first member's text leads
#     the cell; the second follows a ';' and is left alone).
#   export, school 4137010001 (moe): 学生姓名 '=cmd|' /C calc'!A0 and
#     涉及的其他学校 '=cmd|' /C calc'!A0（J1，人社部技工）.
#   rejects.csv of a run whose moe roster is the file "=cmd|' /C calc'!A0"
#     (a folder "=cmd|' " holding "C calc'!A0"): first cell
#     '=cmd|' /C calc'!A0; of a roster "+1": '+1; of "-1": '-1; of
#     "@SUM(1)": '@SUM(1); of "<TAB>moe.csv": '\x09moe.csv (a control
#     character is shown as an escape); of "<CR>mohrss.csv": '\x0dmohrss.csv.
# And no cell of any of these files starts with a formula lead.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

EVIL="=cmd|' /C calc'!A0"
TAB=$'\t'
CR=$'\r'

# moe: the four persons, one row with a bad ID (a reject), one with a
# leading TAB in name and school name (trimmed by ingest).
moe_rows() {
  echo '身份证号,姓名,学籍号,学校代码,学校名称,所在地区代码,学籍状态,学习形式,年级,助学金,免学费'
  echo "370102200803151231,\"$EVIL\",2024370100001,4137010001,\"$EVIL\",370102,在籍,全日制,2,1000,1200"
  echo '110101200001010016,+1,2024370100002,4137010002,+1学校,370102,在籍,全日制,2,1000,1200'
  echo '110101200001010024,-1,2024370100003,4137010003,-1学校,370102,在籍,全日制,2,1000,1200'
  echo '110101200001010032,@SUM(1),2024370100004,4137010004,@SUM(1),370102,在籍,全日制,2,1000,1200'
  echo 'abc,王五,2024370100005,4137010005,某学校,370102,在籍,全日制,2,1000,1200'
  echo "110101200001010040,\"${TAB}张三\",2024370100006,4137010006,\"${TAB}某学校\",370102,在籍,全日制,2,1000,1200"
}
mohrss_rows() {
  echo '学籍号,姓名,身份证号,学校代码,学校名称,所在地区代码,学籍状态,年级,助学金,免学费'
  echo "T1,\"$EVIL\",370102200803151231,J1,\"$EVIL\",370112,在籍,2,0,0"
  echo 'T2,+1,110101200001010016,J2,+1学校,370112,在籍,2,0,0'
  echo 'T3,-1,110101200001010024,J3,-1学校,370112,在籍,2,0,0'
  echo 'T4,@SUM(1),110101200001010032,J4,@SUM(1),370112,在籍,2,0,0'
  echo 'T5,赵六,xyz,J5,某学校,370112,在籍,2,0,0'
}

mkdir -p "$S/r" "$S/r/=cmd|' "
moe_rows >"$S/r/=cmd|' /C calc'!A0"
mohrss_rows >"$S/r/+1"
moe_rows >"$S/r/-1"
mohrss_rows >"$S/r/@SUM(1)"
moe_rows >"$S/r/${TAB}moe.csv"
mohrss_rows >"$S/r/${CR}mohrss.csv"

# run_in NAME MOE MOHRSS: a run from $S/r with the rosters given relative
# to it, so that rejects.csv's file cell starts with the name itself.
run_in() {
  local name=$1 moe=$2 mohrss=$3
  (cd "$S/r" && "$CC" run --quiet --db "$S/db_$name" --period 2026-09 \
     --issued 2026-09-01 --roster "moe=$moe" --roster "mohrss=$mohrss" \
     --out "$S/out_$name") >"$S/$name.stdout" 2>"$S/$name.stderr" </dev/null
  RC=$?
  check_exit "$name: the run succeeds" 0 "$RC" "$S/$name.stderr"
}
run_in evil "$EVIL" "+1"
run_in dash "-1" "@SUM(1)"
run_in ctl "${TAB}moe.csv" "${CR}mohrss.csv"

# csv_check NAME PYTHON FILE...: runs the python checks on the files.
csv_check() {
  local what=$1 code=$2
  shift 2
  check "$what" python3 -c "
import csv, sys
LEADS = ('=', '+', '-', '@', '\t', '\r')
def rows(path):
    raw = open(path, 'rb').read()
    assert raw[:3] == b'\xef\xbb\xbf', '%s: no BOM' % path
    return list(csv.reader(open(path, encoding='utf-8-sig', newline='')))
def no_lead(path):
    for r in rows(path):
        for c in r:
            assert not c.startswith(LEADS), '%s: cell %r' % (path, c)
$code
" "$@"
}

# --- rejects.csv and invalid_ids.csv: the file cell -----------------------
csv_check "rejects.csv, invalid_ids.csv: BOM, file cells neutralised" '
want = {"evil": ("'"'"'=cmd|'"'"' /C calc'"'"'!A0", "'"'"'+1"),
        "dash": ("'"'"'-1", "'"'"'@SUM(1)"),
        "ctl": ("'"'"'\\x09moe.csv", "'"'"'\\x0dmohrss.csv")}
S = sys.argv[1]
for name, (moe, mohrss) in want.items():
    for f in ("rejects.csv", "invalid_ids.csv"):
        p = "%s/out_%s/%s" % (S, name, f)
        body = rows(p)[1:]
        got = sorted(set((r[0], r[1]) for r in body))
        exp = sorted([(moe, "moe"), (mohrss, "mohrss")])
        assert got == exp, (p, got, exp)
        lines = sorted((r[1], int(r[2])) for r in body)
        if f == "rejects.csv":
            assert lines == [("moe", 6), ("mohrss", 6)], lines
        else:
            assert lines == [("moe", 3), ("moe", 4), ("moe", 5), ("moe", 7),
                             ("mohrss", 3), ("mohrss", 4), ("mohrss", 5)], lines
        no_lead(p)
' "$S"

# --- query --format csv -----------------------------------------------------
run_cc query query --db "$S/db_evil" --period 2026-09 --format csv
check_exit "query --format csv" 0 "$RC" "$S/query.stderr"
cp "$S/query.stdout" "$S/query.csv"
csv_check "query --format csv: BOM, names and school names neutralised" '
body = rows(sys.argv[1])[1:]
assert len(body) == 4, len(body)
by = {r[7]: r for r in body}
assert sorted(by) == sorted(["'"'"'=cmd|'"'"' /C calc'"'"'!A0", "'"'"'+1", "'"'"'-1", "'"'"'@SUM(1)"]), sorted(by)
r = by["'"'"'+1"]
assert r[10] == "'"'"'+1学校;+1学校", r[10]
assert r[12] == "'"'"'+1;+1", r[12]
r = by["'"'"'=cmd|'"'"' /C calc'"'"'!A0"]
assert r[10] == "'"'"'=cmd|'"'"' /C calc'"'"'!A0;=cmd|'"'"' /C calc'"'"'!A0", r[10]
assert r[13] == "0", r[13]
no_lead(sys.argv[1])
' "$S/query.csv"

# --- export -----------------------------------------------------------------
run_cc export export --db "$S/db_evil" --period 2026-09 --out "$S/ex" --format csv --user tester
check_exit "export --format csv" 0 "$RC" "$S/export.stderr"
csv_check "export: every CSV has a BOM and no cell with a formula lead" '
import glob
files = glob.glob(sys.argv[1] + "/**/*.csv", recursive=True)
assert len(files) == 11, files
for p in files:
    no_lead(p)
' "$S/ex"
csv_check "export: school 4137010001, name and other school neutralised" '
import glob
p, = glob.glob(sys.argv[1] + "/**/4137010001.csv", recursive=True)
head, row = rows(p)
assert head[4] == "学生姓名" and head[12] == "涉及的其他学校", head
assert row[4] == "'"'"'=cmd|'"'"' /C calc'"'"'!A0", row[4]
assert row[12] == "'"'"'=cmd|'"'"' /C calc'"'"'!A0（J1，人社部技工）", row[12]
p, = glob.glob(sys.argv[1] + "/**/4137010003.csv", recursive=True)
head, row = rows(p)
assert row[4] == "'"'"'-1" and row[12] == "'"'"'-1学校（J3，人社部技工）", row
' "$S/ex"

# --- the other CSV: data_quality.csv ------------------------------------------
csv_check "data_quality.csv: BOM" 'rows(sys.argv[1])' "$S/out_evil/data_quality.csv"

cli_finish
