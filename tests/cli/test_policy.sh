#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# The policy findings of SPEC 3.2 end to end, over the hand-made rosters of
# fixtures/policy (every expectation worked out in its README.md): every
# reason and look-alike, a roster missing the columns two rules need, a
# rules file that turns one rule off, exempts one region and raises the age;
# the settings stored with the period; the summary's counts; query --type
# and --reason; the school's workbook (what to do, in Chinese); the report's
# money apart from the duplicates; the next month's states.
#
#   bash test_policy.sh <chachong> <gen_roster> <source dir> <scratch dir>
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/policy
ROSTERS=(--roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv")

fixture_ids "$S/ids.txt" "$FX"/*.csv

# --- defaults --------------------------------------------------------------
"$CC" run --db "$S/db" --period 2026-11 --issued 2026-11-23 "${ROSTERS[@]}" \
  --out "$S/out" --quiet --no-sync >"$S/run.stdout" 2>"$S/run.stderr"
check_exit "run 2026-11 with the default rules" 0 $? "$S/run.stderr"
F=$S/out/findings.jsonl

if bash "$PROJECT" --policy "$F" >"$S/policy.txt" 2>"$S/policy.err"; then
  check_diff "policy findings equal the hand-made expectation" \
    "$FX/expected_defaults.txt" "$S/policy.txt"
else
  fail "project --policy" "$(cat "$S/policy.err")"
fi
if bash "$PROJECT" --duplicates "$F" >"$S/dup.txt" 2>"$S/dup.err"; then
  check_diff "the duplicates beside them are unchanged" \
    "$FX/expected_duplicates.txt" "$S/dup.txt"
else
  fail "project --duplicates" "$(cat "$S/dup.err")"
fi
check_jq "each policy finding: one member, reason_zh, within, issued 2026-11-23, deadline 2026-12-07, new" \
  '[.[] | select(has("reason"))] | length == 12 and all(.[];
     (.members | length) == 1 and .scope == "within" and (.reason_zh | length) > 0
     and .issued == "2026-11-23" and .deadline == "2026-12-07" and .state == "new"
     and .first_period == "2026-11" and .match.basis == "id_exact")' "$F"
check_jq "reason_zh names the reason in Chinese" \
  '[.[] | select(has("reason")) | [.reason, .reason_zh]] | unique ==
   [["beyond_program","超学制年限"],["over_age","大龄学生"],["part_time","非全日制学生"],
    ["third_year","三年级及以上学生"]]' "$F"
check_jq "finding_ids are distinct" '[.[].finding_id] | length == (unique | length)' "$F"
check_jq "moe:7's two beyond_program findings carry its grant and waiver as registered" \
  '[.[] | select(.reason == "beyond_program") | .members[0]
    | [.roster, .line, .grant_amount, .waiver_amount, .name, .school_code]] | unique ==
   [["moe", 7, 1000, 2000, "吴六", "4137010002"]]' "$F"

# The summary: per rule what was judged and not (README's table), money apart.
rule_line() { awk -v r="$1" '$1 == r { $1 = ""; sub(/^ /, ""); print; exit }' "$S/out/summary.txt"; }
check "summary: part_time judged 12, found 3, empty 4, unreadable 0, exempt 0" \
  test "$(rule_line part_time | tr -s ' ')" = "12 3 4 0 0"
check "summary: third_year judged 13, found 4" \
  test "$(rule_line third_year | tr -s ' ')" = "13 4 0 0 0"
check "summary: beyond_program judged 13, found 1, empty 3" \
  test "$(rule_line beyond_program | tr -s ' ')" = "13 1 3 0 0"
check "summary: over_age judged 15, found 2, unreadable 1 (an invalid ID)" \
  test "$(rule_line over_age | tr -s ' ')" = "15 2 0 1 0"
check "summary: grants against the rules 8 findings, 8000 yuan" \
  grep -q '^  ineligible_grant  *8   amount at risk: 8000 yuan$' "$S/out/summary.txt"
check "summary: waivers against the rules 2 findings, 4000 yuan" \
  grep -q '^  ineligible_waiver  *2   amount at risk: 4000 yuan$' "$S/out/summary.txt"
check "summary: reviews 2, nothing at risk" \
  grep -q '^  subsidy_review  *2   amount at risk: 0 yuan$' "$S/out/summary.txt"
check "summary: the duplicates' money is 1000 yuan, apart" \
  grep -q '^  amount at risk: 1000 yuan$' "$S/out/summary.txt"
check_no_ids "no full ID number on stdout, stderr or in summary.txt" \
  "$S/ids.txt" "$S/run.stdout" "$S/run.stderr" "$S/out/summary.txt"

# The settings used are stored with the period (its run record).
run_record() {
  python3 - "$1/data.mdb" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
key = b'"policy_rules": '
i = data.rfind(key)
assert i >= 0, "no policy_rules in the database"
j = i + len(key)
depth = 0
for k in range(j, len(data)):
    c = data[k:k + 1]
    if c == b"{":
        depth += 1
    elif c == b"}":
        depth -= 1
        if depth == 0:
            print(json.dumps(json.loads(data[j:k + 1]), sort_keys=True))
            break
PY
}
check "the run record stores the default rules" \
  test "$(run_record "$S/db")" = '{"rules": {"beyond_program": {"exempt": [], "on": true}, "over_age": {"exempt": [], "min_age": 30, "on": true}, "part_time": {"exempt": [], "on": true}, "third_year": {"exempt": [], "grant_years": 2, "on": true}}, "source": "defaults"}'

# Byte-identical on one thread.
"$CC" run --db "$S/db1" --period 2026-11 --issued 2026-11-23 "${ROSTERS[@]}" \
  --out "$S/out1" --quiet --no-sync --threads 1 >/dev/null 2>"$S/run1.stderr"
check_exit "run on one thread" 0 $? "$S/run1.stderr"
check "findings.jsonl is byte-identical with --threads 1" cmp "$F" "$S/out1/findings.jsonl"

# --- query --type / --reason -------------------------------------------------
"$CC" query --db "$S/db" --type ineligible_grant --reason third_year --format jsonl \
  --unmasked --user tester >"$S/q1.jsonl" 2>"$S/q1.stderr"
check_exit "query --type ineligible_grant --reason third_year" 0 $? "$S/q1.stderr"
check_jq "it finds moe:4, moe:5, moe:12 and mohrss:3" \
  '[.[] | "\(.members[0].roster):\(.members[0].line)"] | sort ==
   ["moe:12","moe:4","moe:5","mohrss:3"]' "$S/q1.jsonl"
"$CC" query --db "$S/db" --reason part_time --reason over_age --format csv \
  --user tester >"$S/q2.csv" 2>"$S/q2.stderr"
check_exit "query --reason part_time --reason over_age" 0 $? "$S/q2.stderr"
check "csv: 6 rows (4 part_time, 2 over_age), the reason last" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
assert rows[0][-1] == "reason", rows[0]
body = rows[1:]
assert sorted(r[-1] for r in body) == ["over_age"] * 2 + ["part_time"] * 4, body
' "$S/q2.csv"
"$CC" query --db "$S/db" --type subsidy_review --user tester >"$S/q3.txt" 2>"$S/q3.stderr"
check_exit "query --type subsidy_review (table)" 0 $? "$S/q3.stderr"
check "the table names the type and the reason in Chinese" grep -q '资助待核实（大龄学生）' "$S/q3.txt"
"$CC" query --db "$S/db" --reason too_old >/dev/null 2>"$S/q4.stderr"
rc=$?
check "an unknown --reason is refused (exit 2 or 3)" test "$rc" = 2 -o "$rc" = 3
check "... naming the reasons" grep -q 'part_time, third_year, beyond_program, over_age' "$S/q4.stderr"

# --- the school's workbook ----------------------------------------------------
"$CC" export --db "$S/db" --period 2026-11 --school 4137010001 --out "$S/exp" \
  --user tester >"$S/exp.stdout" 2>"$S/exp.stderr"
check_exit "export --school 4137010001" 0 $? "$S/exp.stderr"
SCSV=$(find "$S/exp" -name '*.csv' -path '*4137010001*' | head -n 1)
check "the school's CSV exists" test -n "$SCSV"
if [ -n "$SCSV" ]; then
  check "it names each finding's type with its reason" \
    grep -q '违规享受国家助学金（非全日制学生）' "$SCSV"
  check "it says what to do about a part-time grant: return it or correct 学习形式" \
    grep -q '非全日制学生不得享受国家助学金：请退回已发放的助学金；如该生实为全日制学生，请更正学籍系统中的学习形式。' "$SCSV"
  check "it says what to do about a year-3 grant: return it or correct 年级" \
    grep -q '请退回三年级（及以上）学生领取的助学金；如年级登记有误，请更正学籍系统中的年级。' "$SCSV"
  check "it says what to do about an over-age student: verify age and attendance" \
    grep -q '请核实学生身份、年龄及是否在校就读' "$SCSV"
  check "its 匹配依据 says one record judged by the rules, not a match" \
    grep -q '单条记录，按资助政策核查（非全日制学生）' "$SCSV"
fi

# --- the report ------------------------------------------------------------------
"$CC" report --db "$S/db" --period 2026-11 --out "$S/report.html" --user tester \
  >"$S/rep.stdout" 2>"$S/rep.stderr"
check_exit "report 2026-11" 0 $? "$S/rep.stderr"
kpi() { python3 - "$S/report.html" "$1" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'data-k="%s"[^>]*>([^<]*)<' % re.escape(sys.argv[2]), html)
print(m.group(1).replace(",", "").strip() if m else "none")
PY
}
check "report: money against the rules 12000 yuan, apart" \
  test "$(kpi amount-policy)" = "12000.00" -o "$(kpi amount-policy)" = "12000"
check "report: the duplicates' money 1000 yuan" \
  test "$(kpi amount)" = "1000.00" -o "$(kpi amount)" = "1000"
check "report: ineligible_grant third_year, new: 4" test "$(kpi ps:ineligible_grant:third_year:new)" = 4
check "report: ineligible_waiver part_time, new: 1" test "$(kpi ps:ineligible_waiver:part_time:new)" = 1
check "report: subsidy_review over_age, money 0" \
  test "$(kpi pa:subsidy_review:over_age)" = "0.00" -o "$(kpi pa:subsidy_review:over_age)" = "0"
check "report: no row for waivers in year 3 (grants only)" \
  test "$(kpi ps:ineligible_waiver:third_year:new)" = none

# --- a rules file --------------------------------------------------------------
"$CC" run --db "$S/dbr" --period 2026-11 --issued 2026-11-23 "${ROSTERS[@]}" \
  --rules "$FX/rules.txt" --out "$S/outr" --quiet --no-sync >/dev/null 2>"$S/runr.stderr"
check_exit "run with --rules (part_time off, third_year exempt in 44, age 35)" 0 $? "$S/runr.stderr"
if bash "$PROJECT" --policy "$S/outr/findings.jsonl" >"$S/policyr.txt" 2>"$S/policyr.err"; then
  check_diff "policy findings under the rules file" "$FX/expected_rules.txt" "$S/policyr.txt"
else
  fail "project --policy (rules)" "$(cat "$S/policyr.err")"
fi
check "summary: part_time is off" grep -q '^  part_time *off (rules file)$' "$S/outr/summary.txt"
check "summary: third_year judged 11, found 3, exempts two grants in 44 (moe:12, moe:13)" \
  test "$(awk '$1 == "third_year" { print $2, $3, $6 }' "$S/outr/summary.txt")" = "11 3 2"
check "the run record stores the file's settings" \
  test "$(run_record "$S/dbr")" = '{"rules": {"beyond_program": {"exempt": [], "on": true}, "over_age": {"exempt": [], "min_age": 35, "on": true}, "part_time": {"exempt": [], "on": false}, "third_year": {"exempt": ["44"], "grant_years": 2, "on": true}}, "source": "'"$FX"'/rules.txt"}'
printf 'part_time = sometimes\n' >"$S/bad_rules.txt"
"$CC" run --db "$S/dbx" --period 2026-11 --issued 2026-11-23 "${ROSTERS[@]}" \
  --rules "$S/bad_rules.txt" --out "$S/outx" --quiet --no-sync >/dev/null 2>"$S/runx.stderr"
check_exit "a bad rules file is bad input" 3 $? "$S/runx.stderr"
check "... and the message names the file and line" grep -q 'bad_rules.txt:1: part_time is' "$S/runx.stderr"
check "... and nothing was written" test ! -e "$S/outx/findings.jsonl"

# --- the next month --------------------------------------------------------------
mkdir -p "$S/2026-12"
# moe:2's 学习形式 corrected to 全日制 (line 2 only).
sed '2s/,非全日制,/,全日制,/' "$FX/moe.csv" >"$S/2026-12/moe.csv"
check "the December roster differs in line 2 only" \
  test "$(diff "$FX/moe.csv" "$S/2026-12/moe.csv" | grep -c '^[<>]')" = 2
"$CC" run --db "$S/db" --period 2026-12 --issued 2026-12-04 \
  --roster "moe=$S/2026-12/moe.csv" --roster "mohrss=$FX/mohrss.csv" \
  --out "$S/out12" --quiet --no-sync >/dev/null 2>"$S/run12.stderr"
check_exit "run 2026-12 into the same database" 0 $? "$S/run12.stderr"
jq -r 'select(has("reason")) | "\(.type) \(.reason) \(.members[0].roster):\(.members[0].line) \(.state)"' \
  "$S/out12/findings.jsonl" | LC_ALL=C sort >"$S/states12.txt"
check_diff "December: moe:2 cleared, moe:8 and moe:10 new, the rest open" \
  "$FX/expected_2026-12.txt" "$S/states12.txt"
check_jq "December: carried-over findings keep issued 2026-11-23 and deadline 2026-12-07; cleared on time" \
  '[.[] | select(has("reason") and .state != "new")] | length == 12 and all(.[];
     .issued == "2026-11-23" and .deadline == "2026-12-07" and .first_period == "2026-11"
     and (.state != "cleared" or .cleared_on_time == true))' "$S/out12/findings.jsonl"
jq -r 'select(has("reason") and .state != "new") | .finding_id' "$S/out12/findings.jsonl" | sort >"$S/ids12.txt"
jq -r 'select(has("reason")) | .finding_id' "$F" | sort >"$S/ids11.txt"
check_diff "December: every November policy finding keeps its finding_id" "$S/ids11.txt" "$S/ids12.txt"

cli_finish
