#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq and python programs are single-quoted on purpose
# chachong query over fixtures/run/basic run as three periods into one --db.
# Every count below was worked out by hand from fixtures/run/basic/README.md
# and expected_findings.txt (21 findings), never from the program's output.
#
#   bash test_query.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# The periods:
#   2026-09  issued 2026-09-25, moe + mohrss + sd: the 21 findings, all new
#            (deadline 2026-10-15).
#   2026-10  issued 2026-10-09, moe + mohrss only. The three findings with an
#            sd member are gone: 郑爽's double_grant (moe:19,mohrss:15,sd:2)
#            and dual_enrollment (same members), 王𠮷's dual_enrollment
#            (moe:20,sd:3) -> 3 cleared. 郑爽 still has two schools and two
#            grants: a dual_enrollment and a double_grant (1000 + 750.5,
#            750.5 at risk) over moe:19,mohrss:15; their schools differ from
#            the three-roster ones, so a new finding_id -> 2 new. The other
#            18 are seen again by their deadline (10-09 <= 10-15) -> 18 open.
#            23 in all.
#   2026-11  issued 2026-11-02, moe + mohrss: the same 20, all past their
#            deadlines (10-15; the 2 new ones 10-22) -> 20 overdue; the
#            cleared ones are not repeated.
#   All periods: 21 + 23 + 20 = 64.
#
# Filters (by hand from the rosters):
#   --school J3702001 (mohrss 青岛技师学院) in 2026-09: 王芳's
#     duplicate_record and double_grant (mohrss:4,5), 孙丽's dual_enrollment
#     (mohrss:11), 郑爽's dual_enrollment and double_grant (mohrss:15) = 5;
#     in 2026-10 the same 5 (郑爽's now two-school ones) + 郑爽's 2 cleared = 7.
#   --region 3706 (烟台) in 2026-09: members with region 370602: 周杰 moe:11,
#     冯雷 moe:22,23 (duplicate_record and dual_enrollment), 孙涛 mohrss:8
#     (the id_conflict), 徐磊 mohrss:12 = 5; of them dual_enrollment: 3.
#   --region 65: no school is in Xinjiang (阿依古丽's ID starts with 65,
#     her schools do not) = 0.
#   --type double_grant in 2026-09 = 3; with --type double_waiver = 5.
#
# Checks: exit codes; rows and the "N findings matched" line; masking by
# default and --unmasked; jsonl is JSON and projects to expected_findings.txt;
# csv parses (python3 csv) with its header; one audit entry per query (none
# for a refused one), with masked IDs only. Ends with "N passed, M failed".
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/run/basic
DB=$S/db
fixture_ids "$S/ids.txt" "$FX"/*.csv
check "the fixtures hold ID numbers to look for" test -s "$S/ids.txt"

if ! "$CC" query --help >/dev/null 2>&1; then
  fail "chachong has a query command" "$("$CC" query --help 2>&1 | head -5)"
  cli_finish
fi

run_cc p09 run --db "$DB" --period 2026-09 --issued 2026-09-25 --quiet \
  --roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv" \
  --roster "sd=$FX/provincial.csv" --out "$S/out09"
check_exit "run 2026-09" 0 "$RC" "$S/p09.stderr"
run_cc p10 run --db "$DB" --period 2026-10 --issued 2026-10-09 --quiet \
  --roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv" --out "$S/out10"
check_exit "run 2026-10" 0 "$RC" "$S/p10.stderr"
run_cc p11 run --db "$DB" --period 2026-11 --issued 2026-11-02 --quiet \
  --roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv" --out "$S/out11"
check_exit "run 2026-11" 0 "$RC" "$S/p11.stderr"

audit_queries() {
  "$CC" audit --db "$DB" 2>/dev/null | awk -F '\t' '$3 == "query"' | wc -l
}
BASE=$(audit_queries)
NQ=0 # successful queries so far: each must leave one audit entry

# q NAME ARGS...: chachong query --db DB ARGS, outputs in $S/NAME.*
q() {
  local name=$1
  shift
  run_cc "$name" query --db "$DB" "$@"
  if [ "$RC" = 0 ]; then
    NQ=$((NQ + 1))
  fi
}

# rows NAME N DESCRIPTION: a table query succeeded with N rows (header and
# rule line aside, nothing at all for 0) and said "N findings matched".
rows() {
  local name=$1 n=$2 what=$3 got last want
  if [ "$RC" != 0 ]; then
    fail "$what" "exit $RC: $(head -c 500 "$S/$name.stderr")"
    return
  fi
  got=$(wc -l <"$S/$name.stdout")
  [ "$got" -gt 0 ] && got=$((got - 2))
  last=$(tail -n 1 "$S/$name.stderr")
  want="$n findings matched"
  [ "$n" = 1 ] && want="1 finding matched"
  if [ "$got" = "$n" ] && [ "$last" = "$want" ]; then
    pass "$what: $n"
  else
    fail "$what" "rows: $got, want $n; last stderr line: '$last', want '$want'"
  fi
}

# jrows NAME N DESCRIPTION: a jsonl query printed N lines.
jrows() {
  local got
  got=$(wc -l <"$S/$1.stdout")
  if [ "$RC" = 0 ] && [ "$got" = "$2" ]; then
    pass "$3: $2"
  else
    fail "$3" "exit $RC, $got lines, want $2: $(head -c 300 "$S/$1.stderr")"
  fi
}

# contains DESCRIPTION FILE TEXT / lacks DESCRIPTION FILE TEXT
contains() {
  if grep -q -F -- "$3" "$2"; then pass "$1"; else fail "$1" "no '$3' in $(head -c 600 "$2")"; fi
}
lacks() {
  if grep -q -F -- "$3" "$2"; then fail "$1" "'$3' in $2"; else pass "$1"; fi
}

# --- periods and the table -----------------------------------------------
q latest
rows latest 20 "default: the latest period (2026-11)"
check_no_ids "default output masks every ID number" "$S/ids.txt" \
  "$S/latest.stdout" "$S/latest.stderr"
contains "masked as 110101********123X" "$S/latest.stdout" "370102********1231"
if head -n 1 "$S/latest.stdout" | grep -q -E '^期间 +问题编号 +类型 +状态 +身份证号 +姓名 +学校 +涉及金额 +截止日期$'; then
  pass "table header in Chinese"
else
  fail "table header in Chinese" "$(head -n 1 "$S/latest.stdout")"
fi
contains "types in Chinese" "$S/latest.stdout" "双重学籍"
contains "states in Chinese" "$S/latest.stdout" "已逾期"
contains "schools as label:code" "$S/latest.stdout" "moe:4137010001, mohrss:J3701001"
# Alignment: 身份证号 starts at the same display column on every line.
if python3 - "$S/latest.stdout" <<'EOF'
import sys, unicodedata, re
def w(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
cols = set()
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    if i == 1:
        continue
    # (the type 同一身份证号对应不同姓名 holds 身份证号 too)
    m = re.search(r"身份证号" if i == 0 else r"\d{6}\*{8}[\dX]{4}", line)
    if not m:
        sys.exit("no ID column in: " + line)
    cols.add(w(line[:m.start()]))
    if line.rstrip("\n").endswith(" "):
        sys.exit("trailing blank: " + line)
sys.exit(0 if len(cols) == 1 else "ID column at %s" % sorted(cols))
EOF
then pass "table columns aligned by display width (CJK = 2)"
else fail "table columns aligned by display width (CJK = 2)"
fi
q unmasked --unmasked
rows unmasked 20 "--unmasked"
contains "--unmasked shows the full ID" "$S/unmasked.stdout" "370102200803151231"

q p09 --period 2026-09
rows p09 21 "--period 2026-09"
q p0910 --period 2026-09 --period 2026-10
rows p0910 44 "--period 2026-09 --period 2026-10"
q all --all-periods --format jsonl
jrows all 64 "--all-periods"
check_jq "--all-periods: 21 + 23 + 20 by period, oldest first" \
  '(map(.period) | group_by(.) | map([.[0], length])) == [["2026-09",21],["2026-10",23],["2026-11",20]]
   and (map(.period) == (map(.period) | sort))' "$S/all.stdout"
check_jq "states: 2026-09 21 new; 2026-10 18 open, 2 new, 3 cleared; 2026-11 20 overdue" '
  (map(select(.period == "2026-09") | .state) | unique) == ["new"]
  and (map(select(.period == "2026-10" and .state == "open")) | length) == 18
  and (map(select(.period == "2026-10" and .state == "new")) | length) == 2
  and (map(select(.period == "2026-10" and .state == "cleared")) | length) == 3
  and (map(select(.period == "2026-11")) | all(.state == "overdue"))' "$S/all.stdout"

# --- jsonl and csv ---------------------------------------------------------
q j09 --period 2026-09 --format jsonl
jrows j09 21 "jsonl 2026-09"
if bash "$PROJECT" "$S/j09.stdout" >"$S/j09.proj" 2>"$S/j09.proj.err"; then
  check_diff "jsonl projects to expected_findings.txt" "$FX/expected_findings.txt" "$S/j09.proj"
else
  fail "jsonl projects to expected_findings.txt" "$(cat "$S/j09.proj.err")"
fi
check "jsonl: every line is a JSON object (python3 json)" python3 -c '
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    assert isinstance(json.loads(l), dict)' "$S/j09.stdout"
check_jq "jsonl: every person.id_number masked" \
  'all(.[]; .person.id_number | test("^[0-9]{6}\\*{8}[0-9X]{4}$"))' "$S/j09.stdout"
check_no_ids "jsonl: no full ID anywhere" "$S/ids.txt" "$S/j09.stdout"
q j09u --period 2026-09 --format jsonl --unmasked
check_jq "jsonl --unmasked: full IDs (张伟's among them)" \
  'any(.[]; .person.id_number == "370102200803151231")
   and all(.[]; .person.id_number | test("^[0-9]{17}[0-9X]$"))' "$S/j09u.stdout"

q c09 --period 2026-09 --format csv
check_exit "csv 2026-09" 0 "$RC" "$S/c09.stderr"
check_valid_utf8 "csv is UTF-8" "$S/c09.stdout"
check "csv parses (python3 csv): a BOM, English header, 21 rows, masked IDs, Chinese intact" \
  python3 -c '
import csv, re, sys
assert open(sys.argv[1], "rb").read(3) == b"\xef\xbb\xbf", "no BOM"
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
head = ("period,finding_id,type,scope,state,id_number,id_valid,name,members,"
        "schools,school_names,region_codes,member_names,amount_at_risk,issued,"
        "deadline,deadline_provisional,first_period,cleared,claimed_resolved,reason").split(",")
assert rows[0] == head, rows[0]
body = rows[1:]
assert len(body) == 21, len(body)
assert all(len(r) == len(head) for r in body)
ids = [r[5] for r in body]
assert all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", i) for i in ids), ids
z = [r for r in body if r[5] == "370102********1231"]
assert len(z) == 1 and z[0][7] == "张伟" and z[0][12] == "张伟;張偉", z
g = [r for r in body if r[2] == "double_grant" and r[13] == "1750.5"]
assert len(g) == 1 and g[0][8] == "moe:19;mohrss:15;sd:2", g
nl = [r for r in body if "\n" in r[10]]
assert nl, "the school name with a newline survives quoting"
' "$S/c09.stdout"
check_no_ids "csv: no full ID anywhere" "$S/ids.txt" "$S/c09.stdout"

# --- each filter ----------------------------------------------------------
q id1 --id 370102200803151231
rows id1 1 "--id 张伟"
q id1all --id 370102200803151231 --all-periods
rows id1all 3 "--id 张伟 --all-periods"
q idapos --id "'370181200812300572"
rows idapos 1 "--id with Excel's apostrophe (周杰)"
q idfw --id "３７０８８３２００９０４１９０２６０"
rows idfw 1 "--id in full-width digits (吴敏)"
q idsp --id "371102　200906030484"
rows idsp 1 "--id with U+3000 inside (孙丽)"
q idx --id 37030320080712051x
rows idx 1 "--id with a lower-case x (徐磊)"
q id15 --id 370203850611137
rows id15 1 "--id 15 digits, upgraded (林建国)"
contains "the 15-digit --id finds 370203********1374" "$S/id15.stdout" "370203********1374"
q idinv --id 370725200808180935 --format jsonl
check_jq "--id of an invalid (kept) number: 黄强's finding" \
  'length == 1 and .[0].person.id_valid == false' "$S/idinv.stdout"
q id2 --id 370102200803151231 --id 370112200902080646
rows id2 3 "two --id: 张伟 (1) or 王芳 (2)"
q idnone --id 370102200810190175
rows idnone 0 "--id of a single record (高翔): nothing, exit 0"

q name1 --name 張偉
rows name1 1 "--name 張偉 finds 张伟"
q name2 --name 孫濤
rows name2 1 "--name 孫濤 finds the member 孙涛 (id_conflict)"
q name3 --name "阿依古丽•买买提"
rows name3 2 "--name with U+2022 finds 阿依古丽·买买提"
q name4 --name "李 娜"
rows name4 2 "--name '李 娜' (dual_enrollment, double_waiver)"

q sch09 --period 2026-09 --school J3702001
rows sch09 5 "--school J3702001 in 2026-09"
q sch10 --period 2026-10 --school J3702001
rows sch10 7 "--school J3702001 in 2026-10 (cleared included)"
q sch2 --period 2026-09 --school J3702001 --school SD370102
rows sch2 6 "two --school: J3702001 (5) or SD370102 (王𠮷, 1)"

q reg --period 2026-09 --region 3706
rows reg 5 "--region 3706"
q reg65 --period 2026-09 --region 65
rows reg65 0 "--region 65: nothing, exit 0"
q reg2 --period 2026-09 --region 3706 --region 370211
rows reg2 10 "two --region: 3706 (5) or 370211 (王芳 2, 孙丽, 郑爽 2)"

q t1 --period 2026-09 --type double_grant
rows t1 3 "--type double_grant"
q t2 --period 2026-09 --type double_grant --type double_waiver
rows t2 5 "--type double_grant --type double_waiver"

q s1 --state overdue
rows s1 20 "--state overdue (latest)"
q s2 --state new
rows s2 0 "--state new (latest): none"
q s3 --period 2026-10 --state cleared
rows s3 3 "--state cleared in 2026-10"
q s4 --period 2026-10 --state new --state cleared
rows s4 5 "--state new --state cleared in 2026-10"
q s5 --period 2026-10 --state open
rows s5 18 "--state open in 2026-10"
q s6 --all-periods --state new
rows s6 23 "--all-periods --state new (21 + 2)"

# --- combined ---------------------------------------------------------------
q c1 --period 2026-09 --type dual_enrollment --school J3702001
rows c1 2 "--type dual_enrollment --school J3702001 (孙丽, 郑爽)"
q c2 --period 2026-09 --region 3706 --type dual_enrollment
rows c2 3 "--region 3706 --type dual_enrollment (周杰, 冯雷, 徐磊)"
q c3 --all-periods --id 371425200901300247 --state cleared
rows c3 2 "--all-periods --id 郑爽 --state cleared"
q c4 --name 冯雷 --type duplicate_record --region 3706
rows c4 1 "--name 冯雷 --type duplicate_record --region 3706"
q c5 --name 冯雷 --type duplicate_record --region 3701
rows c5 0 "--name 冯雷 --type duplicate_record --region 3701: none"
q lim --all-periods --limit 5
if [ "$RC" = 0 ] && [ "$(($(wc -l <"$S/lim.stdout") - 2))" = 5 ] &&
   [ "$(tail -n 1 "$S/lim.stderr")" = "64 findings matched, 5 shown (--limit)" ]; then
  pass "--limit 5: 5 rows of 64"
else
  fail "--limit 5: 5 rows of 64" "$(tail -n 1 "$S/lim.stderr")"
fi

# --- refused queries: exit codes, no audit entry ----------------------------
q e1 --type bogus
check_exit "unknown --type is bad input" 3 "$RC" "$S/e1.stderr"
q e2 --period 2027-01
check_exit "a period the database does not hold is bad input" 3 "$RC" "$S/e2.stderr"
q e3 --state "done"
check_exit "unknown --state is bad input" 3 "$RC" "$S/e3.stderr"
q e4 --region 3
check_exit "--region of one digit is bad input" 3 "$RC" "$S/e4.stderr"
q e5 --id 3.70102E+17
check_exit "--id in scientific notation is bad input" 3 "$RC" "$S/e5.stderr"
q e6 --period 2026-13
check_exit "--period 2026-13 is bad input" 3 "$RC" "$S/e6.stderr"
run_cc e7 query --type dual_enrollment
check_exit "no --db is a usage error" 2 "$RC"
q e8 --bogus
check_exit "an unknown option is a usage error" 2 "$RC"
q e9 --period 2026-09 --all-periods
check_exit "--period with --all-periods is a usage error" 2 "$RC"
q e10 --format xml
check_exit "--format xml is a usage error" 2 "$RC"
q e11 --limit 0
check_exit "--limit 0 is a usage error" 2 "$RC"
run_cc e12 query --db "$S/no-such-db"
check_exit "a database that does not exist is bad input" 3 "$RC" "$S/e12.stderr"
check "... and is not created" test ! -e "$S/no-such-db"
check_no_ids "error messages hold no full ID" "$S/ids.txt" "$S"/e*.stderr "$S"/e*.stdout

# --- the audit log ------------------------------------------------------------
q au --id 370102200803151231 --unmasked --format csv --user auditor-1
check_exit "audited query" 0 "$RC" "$S/au.stderr"
"$CC" audit --db "$DB" >"$S/audit.txt" 2>"$S/audit.err"
check_exit "chachong audit" 0 "$?" "$S/audit.err"
got=$(awk -F '\t' '$3 == "query"' "$S/audit.txt" | wc -l)
if [ "$got" = "$((BASE + NQ))" ]; then
  pass "one audit entry per query ($NQ queries; none for the refused ones)"
else
  fail "one audit entry per query" "$got entries, want $((BASE + NQ))"
fi
last=$(awk -F '\t' '$3 == "query"' "$S/audit.txt" | tail -n 1)
IFS=$'\t' read -r a_time a_user a_cmd a_records a_what a_os_user <<<"$last"
if [ "$a_user" = auditor-1 ] && [ "$a_cmd" = query ] && [ "$a_records" = 1 ] &&
   [ "$a_what" = "period=2026-11(latest) id=370102********1231 format=csv unmasked" ] &&
   [ "$a_os_user" = "$(id -un)" ] && [ -n "$a_time" ]; then
  pass "audit entry: user, command, records, what (ID masked, unmasked noted), os_user"
else
  fail "audit entry: user, command, records, what" "$last"
fi
check_no_ids "the audit log holds no full ID" "$S/ids.txt" "$S/audit.txt"

cli_finish
