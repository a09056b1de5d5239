#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# chachong review (issue 9, point 5; docs/RULES.md "Review decisions") on
# the run of fixtures/review: one person registered at two schools under a
# valid ID and a mistyped one (a fuzzy finding), and one exact case (see
# fixtures/review/README.md).
#
#   bash test_review.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# Checks: a decision on the fuzzy finding and on a pair is recorded (exit
# 0), one audit entry each naming the operator and the login name, IDs
# masked; --list shows every decision in recording order, masked unless
# --unmasked, the superseded ones marked, and is itself audited; exit
# codes: 2 for usage errors, 3 for an exact finding, an unknown finding, a
# value that is not an ID, a date that does not exist (README: a bad date
# is bad input), a missing database (not created); nothing is
# stored or audited for a refused decision; no full ID on stdout or stderr
# except in --list --unmasked. Ends with "N passed, M failed".
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/review
DB=$S/db
V=370102200803152461   # 张明华 at the MOE school: valid
T=370102200803152761   # 张明华 at the MOHRSS school: digit 16 mistyped
L=370112200907022349   # 李强, the same ID at both schools
fixture_ids "$S/ids.txt" "$FX"/*.csv

run_cc run run --db "$DB" --period 2026-09 --issued 2026-09-25 \
  --roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv" --out "$S/out" --quiet
check_exit "chachong run on fixtures/review" 0 "$RC" "$S/run.stderr"
[ "$RC" = 0 ] || cli_finish
F=$S/out/findings.jsonl
FUZZY=$(jq -r 'select(.type == "dual_enrollment" and .match.basis == "id_typo") | .finding_id' "$F")
EXACT=$(jq -r 'select(.type == "dual_enrollment" and .match.basis == "id_exact") | .finding_id' "$F")
if [ ${#FUZZY} = 16 ] && [ ${#EXACT} = 16 ]; then
  pass "the run has the fuzzy and the exact dual_enrollment"
else
  fail "the run has the fuzzy and the exact dual_enrollment" "$(cat "$F")"
  cli_finish
fi

# audit_review: the "review" entries of the audit log.
audit_review() {
  "$CC" audit --db "$DB" 2>/dev/null | awk -F'\t' '$3 == "review"'
}
ME=$(id -un 2>/dev/null || echo "uid:$(id -u)")

# --- a decision on the fuzzy finding -----------------------------------
run_cc f1 review --db "$DB" --finding "$FUZZY" --decision different \
  --by 王审核 --note "户籍核查：两人" --date 2026-10-08 --user auditor-1
check_exit "review --finding (fuzzy) --decision different" 0 "$RC" "$S/f1.stderr"
check "it says what it recorded" grep -qx "recorded: finding $FUZZY, different, by 王审核" "$S/f1.stdout"
a=$(audit_review)
if [ "$(printf '%s\n' "$a" | grep -c .)" = 1 ] &&
   [ "$(printf '%s' "$a" | cut -f2)" = auditor-1 ] &&
   [ "$(printf '%s' "$a" | cut -f4)" = 1 ] &&
   [ "$(printf '%s' "$a" | cut -f5)" = "finding=$FUZZY period=2026-09 pairs=1 decision=different by=王审核 date=2026-10-08 os_user=$ME" ]; then
  pass "one audit entry: operator, 1 pair, the finding, period, decision, login name"
else
  fail "one audit entry: operator, 1 pair, the finding, period, decision, login name" "$a"
fi

# --- a later decision on the same pair, given as IDs (in the other order,
# the MOHRSS one with Excel's apostrophe) ----------------------------------
run_cc p1 review --db "$DB" --pair "'$T,$V" --decision same --by 李审核 --user auditor-2 \
  --date 2026-10-20
check_exit "review --pair --decision same" 0 "$RC" "$S/p1.stderr"
a=$(audit_review | tail -n 1)
if [ "$(printf '%s' "$a" | cut -f5)" = "pair=370102********2761,370102********2461 decision=same by=李审核 date=2026-10-20 os_user=$ME" ]; then
  pass "the pair's audit entry masks both IDs"
else
  fail "the pair's audit entry masks both IDs" "$a"
fi

# --- --list: masked, in recording order, the first superseded --------------
run_cc l1 review --db "$DB" --list --user auditor-3
check_exit "review --list" 0 "$RC" "$S/l1.stderr"
cut -f2- "$S/l1.stdout" >"$S/l1.cut"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
  2026-10-08 different 370102********2461 370102********2761 "$FUZZY" 2026-09 王审核 auditor-1 superseded "户籍核查：两人" \
  2026-10-20 same 370102********2461 370102********2761 - - 李审核 auditor-2 current "" >"$S/l1.want"
check_diff "--list: both decisions, masked, the first superseded" "$S/l1.want" "$S/l1.cut"
a=$(audit_review | tail -n 1)
if [ "$(printf '%s' "$a" | cut -f2,4,5)" = "$(printf 'auditor-3\t2\tlist os_user=%s' "$ME")" ]; then
  pass "--list is audited: operator, 2 records"
else
  fail "--list is audited: operator, 2 records" "$a"
fi
run_cc l2 review --db "$DB" --list --unmasked --user auditor-3
check_exit "review --list --unmasked" 0 "$RC" "$S/l2.stderr"
if [ "$(cut -f4,5 "$S/l2.stdout" | sort -u)" = "$(printf '%s\t%s' "$V" "$T")" ]; then
  pass "--list --unmasked shows the full IDs"
else
  fail "--list --unmasked shows the full IDs" "$(cat "$S/l2.stdout")"
fi
check "--unmasked is in the audit entry" sh -c "'$CC' audit --db '$DB' | tail -n 1 | grep -q 'list unmasked'"

# --- refused: nothing stored, nothing audited ------------------------------
before=$(audit_review | grep -c .)
run_cc exact review --db "$DB" --finding "$EXACT" --decision same --by x
check_exit "an exact finding (one ID) is bad input" 3 "$RC" "$S/exact.stderr"
run_cc unknown review --db "$DB" --finding 0123456789abcdef --decision same --by x
check_exit "an unknown finding is bad input" 3 "$RC" "$S/unknown.stderr"
run_cc period review --db "$DB" --finding "$FUZZY" --period 2026-08 --decision same --by x
check_exit "a period the database lacks is bad input" 3 "$RC" "$S/period.stderr"
run_cc notid review --db "$DB" --pair "$V,37010220080315" --decision same --by x
check_exit "a value that is not an ID is bad input" 3 "$RC" "$S/notid.stderr"
run_cc sameid review --db "$DB" --pair "$L,'$L" --decision same --by x
check_exit "one ID twice is bad input" 3 "$RC" "$S/sameid.stderr"
run_cc nodb review --db "$S/no-such-db" --pair "$V,$L" --decision same --by x
check_exit "a database that does not exist is bad input" 3 "$RC" "$S/nodb.stderr"
check "no database is created by a refused review" test ! -e "$S/no-such-db/data.mdb"
run_cc u1 review
check_exit "no options: usage" 2 "$RC"
run_cc u2 review --db "$DB" --pair "$V,$L" --finding "$FUZZY" --decision same --by x
check_exit "--pair and --finding together: usage" 2 "$RC"
run_cc u3 review --db "$DB" --pair "$V,$L" --decision maybe --by x
check_exit "an unknown decision: usage" 2 "$RC"
run_cc u4 review --db "$DB" --pair "$V,$L" --decision same
check_exit "no --by: usage" 2 "$RC"
run_cc u5 review --db "$DB" --pair "$V" --decision same --by x
check_exit "--pair with one ID: usage" 2 "$RC"
run_cc u6 review --db "$DB" --finding xyz --decision same --by x
check_exit "--finding that is not 16 hex digits: usage" 2 "$RC"
run_cc u7 review --db "$DB" --list --decision same
check_exit "--list with a decision: usage" 2 "$RC"
run_cc u8 review --db "$DB" --pair "$V,$L" --decision same --by x --date 2026-13-01
check_exit "a bad --date: bad input" 3 "$RC"
run_cc help review --help
check_exit "review --help" 0 "$RC"
check "--help names both forms and the decisions" sh -c \
  "grep -q -- '--pair ID_A,ID_B' '$S/help.stdout' && grep -q -- '--list' '$S/help.stdout' && grep -q 'different' '$S/help.stdout'"
after=$(audit_review | grep -c .)
if [ "$after" = "$before" ]; then
  pass "refused reviews leave no audit entry"
else
  fail "refused reviews leave no audit entry" "before $before, after $after"
fi
run_cc l3 review --db "$DB" --list
if [ "$(grep -c . "$S/l3.stdout")" = 2 ]; then
  pass "refused reviews store nothing (2 decisions listed)"
else
  fail "refused reviews store nothing (2 decisions listed)" "$(cat "$S/l3.stdout")"
fi

check_no_ids "no full ID number on stdout or stderr of review (but --unmasked)" "$S/ids.txt" \
  "$S"/f1.std* "$S"/p1.std* "$S"/l1.std* "$S"/l2.stderr "$S"/l3.std* "$S"/exact.std* \
  "$S"/unknown.std* "$S"/period.std* "$S"/notid.std* "$S"/sameid.std* "$S"/nodb.std* \
  "$S"/u?.std*
check "the audit log holds no full ID" sh -c "! '$CC' audit --db '$DB' | grep -a -F -f '$S/ids.txt'"

cli_finish
