#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# Hardening (issue 10, points 1, 2, 3 and 5), each case built from the
# issue's reproduction:
#   - a symbolic link planted at the old temporary name and at a final
#     name is not written through;
#   - an existing --out or --db of mode 0777 is refused (exit 3);
#   - two concurrent runs: the second exits 6 and names the first (which
#     is held, deterministically, by a roster that is a FIFO);
#   - as the second period, a roster with lone CR line ends, one whose
#     header has a stray quote, a header alone and a shrunken roster:
#     nothing is cleared (the run is stopped, exit 3, or the file is read
#     right), and --allow-empty / --allow-shrink confirm;
#   - 100,000 rows under one ID: one data-quality item, no findings;
#   - a forged audit line in --by, and ESC/BEL in a name through
#     query --format csv: shown as escapes.
# Expectations are worked out by hand from the rules (README.md "Safety
# rails", docs/RULES.md "Data quality").
#
#   bash test_hardening.sh <chachong> <gen_roster> <source dir> <scratch dir>
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/run/basic
ROSTERS=(--roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv")

# --- a planted symbolic link -------------------------------------------
mkdir -p "$S/o1"
printf 'victim\n' >"$S/victim"
for n in findings.jsonl rejects.csv invalid_ids.csv possible.jsonl data_quality.csv summary.txt; do
  ln -s "$S/victim" "$S/o1/.$n.tmp"
done
ln -s "$S/victim" "$S/o1/findings.jsonl"
run_cc symlink run --db "$S/db1" --period 2026-09 --issued 2026-09-01 "${ROSTERS[@]}" --out "$S/o1" --quiet
check_exit "symlink: the run succeeds" 0 "$RC" "$S/symlink.stderr"
check "symlink: the victim file is untouched" test "$(cat "$S/victim")" = victim
if [ -f "$S/o1/findings.jsonl" ] && [ ! -L "$S/o1/findings.jsonl" ]; then
  pass "symlink: findings.jsonl is a regular file, not the link"
else
  fail "symlink: findings.jsonl is a regular file, not the link" "$(ls -la "$S/o1")"
fi
check_mode "symlink: findings.jsonl is 0600" "$S/o1/findings.jsonl" 600
check "symlink: the findings are there" test -s "$S/o1/findings.jsonl"

# --- folders others can write -------------------------------------------
mkdir -p "$S/o777" "$S/db777"
chmod 0777 "$S/o777" "$S/db777"
run_cc open_out run --db "$S/db2" --period 2026-09 "${ROSTERS[@]}" --out "$S/o777" --quiet
check_exit "0777 --out: refused" 3 "$RC" "$S/open_out.stderr"
check "0777 --out: the message says why and what to do" \
  grep -q "can be written by others (mode 0777).*chmod 700" "$S/open_out.stderr"
check "0777 --out: nothing written there" test -z "$(ls -A "$S/o777")"
check_mode "0777 --out: its mode left as it was" "$S/o777" 777
run_cc open_db run --db "$S/db777" --period 2026-09 "${ROSTERS[@]}" --out "$S/o2" --quiet
check_exit "0777 --db: refused" 3 "$RC" "$S/open_db.stderr"
check "0777 --db: no database written" test ! -e "$S/db777/data.mdb"

# --- two concurrent runs -------------------------------------------------
mkfifo "$S/moe.fifo"
"$CC" run --db "$S/db3" --period 2026-09 --issued 2026-09-01 --roster "moe=$S/moe.fifo" \
  --roster "mohrss=$FX/mohrss.csv" --out "$S/o3" --quiet >"$S/first.stdout" 2>"$S/first.stderr" &
FIRST=$!
# The first run takes its locks before it reads the FIFO, where it waits;
# however long that takes on a busy machine (ctest's limit ends a hang), as
# long as the first run lives.
while [ ! -s "$S/db3/chachong-run.lock" ] && kill -0 "$FIRST" 2>/dev/null; do
  sleep 0.1
done
run_cc second run --db "$S/db3" --period 2026-09 --issued 2026-09-01 "${ROSTERS[@]}" --out "$S/o3b" --quiet
check_exit "concurrent: the second run on one database" 6 "$RC" "$S/second.stderr"
check "concurrent: it names the first run's pid and command" \
  grep -q "database $S/db3 is in use by another run (pid $FIRST on .*moe=$S/moe.fifo" "$S/second.stderr"
run_cc second_out run --db "$S/db3b" --period 2026-09 --issued 2026-09-01 "${ROSTERS[@]}" --out "$S/o3" --quiet
check_exit "concurrent: the second run into one output folder" 6 "$RC" "$S/second_out.stderr"
check "concurrent: it names the output folder" \
  grep -q "output folder $S/o3 is in use by another run (pid $FIRST " "$S/second_out.stderr"
cat "$FX/moe.csv" >"$S/moe.fifo"
wait "$FIRST"
check_exit "concurrent: the first run completes" 0 "$?" "$S/first.stderr"
run_cc third run --db "$S/db3" --period 2026-09 --issued 2026-09-01 "${ROSTERS[@]}" --out "$S/o3b" --quiet
check_exit "concurrent: once it ended, the next run goes through" 0 "$RC" "$S/third.stderr"

# --- safety rails: misread rosters as the second period ------------------
# The fixture's moe rows without quotes (a quote elsewhere would close the
# stray one of the header below), blank rows left out.
grep -v '"' "$FX/moe.csv" | grep -v '^,*$' >"$S/moe_plain.csv"
DB=$S/db4
run_cc p1 run --db "$DB" --period 2026-09 --issued 2026-09-01 --roster "moe=$S/moe_plain.csv" \
  --roster "mohrss=$FX/mohrss.csv" --out "$S/o4" --quiet
check_exit "rails: period 2026-09" 0 "$RC" "$S/p1.stderr"
OPEN=$(jq -s '[.[] | select(.state != "cleared")] | length' "$S/o4/findings.jsonl")
check "rails: 2026-09 has open findings to lose" test "$OPEN" -gt 0
MOE_RECORDS=$(grep -o 'moe .*: [0-9]* rows, [0-9]* records' "$S/o4/summary.txt" | grep -o '[0-9]* records' | grep -o '[0-9]*')

# The damaged files of issue 10, from the same rows: lone CR line ends; a
# header ending in a stray quote, which swallows the whole file; the
# header alone; and the first three rows (张伟, 阿依古丽·买买提, 李娜:
# 3 records against 2026-09's, under half).
tr '\n' '\r' <"$S/moe_plain.csv" >"$S/moe_cr.csv"
sed '1s/$/,"备注/' "$S/moe_plain.csv" >"$S/moe_quote.csv"
head -n 1 "$S/moe_plain.csv" >"$S/moe_header.csv"
head -n 4 "$S/moe_plain.csv" >"$S/moe_small.csv"
for case in cr quote header small; do
  # Each case from its own copy of the 2026-09 database.
  cp -a "$DB" "$S/db4_$case"
  run_cc "p2_$case" run --db "$S/db4_$case" --period 2026-10 --issued 2026-10-09 \
    --roster "moe=$S/moe_$case.csv" --roster "mohrss=$FX/mohrss.csv" --out "$S/o4_$case" --quiet
  if [ "$RC" = 0 ] && [ "$case" = cr ]; then
    # Read right (once ingest reads lone CR line ends): the same rows as
    # 2026-09, so nothing is cleared.
    check_jq "rails: $case read right, nothing cleared" \
      'all(.[]; .state != "cleared")' "$S/o4_$case/findings.jsonl"
    continue
  fi
  check_exit "rails: $case stopped before publishing" 3 "$RC" "$S/p2_$case.stderr"
  check "rails: $case: nothing written to the output folder" test ! -e "$S/o4_$case/findings.jsonl"
  run_cc "q_$case" query --db "$S/db4_$case" --period 2026-10 --user test
  check_exit "rails: $case: no 2026-10 in the database" 3 "$RC" "$S/q_$case.stderr"
done
check "rails: the header alone: roster, file and confirmation named" \
  grep -q "roster 'moe' ($S/moe_header.csv) yields no records.*--allow-empty" "$S/p2_header.stderr"
check "rails: the shrunken roster: counts before and now named" \
  grep -q "roster 'moe' ($S/moe_small.csv) has 3 records against $MOE_RECORDS in 2026-09, under 50% of them.*--allow-shrink" \
  "$S/p2_small.stderr"
run_cc p2_shrink run --db "$DB" --period 2026-10 --issued 2026-10-09 --allow-shrink \
  --roster "moe=$S/moe_small.csv" --roster "mohrss=$FX/mohrss.csv" --out "$S/o4_ok" --quiet
check_exit "rails: --allow-shrink confirms the shrunken roster" 0 "$RC" "$S/p2_shrink.stderr"
run_cc p2_empty run --db "$DB" --period 2026-10 --issued 2026-10-09 --allow-empty \
  --roster "moe=$S/moe_header.csv" --roster "mohrss=$FX/mohrss.csv" --out "$S/o4_ok" --quiet
check_exit "rails: --allow-empty confirms the empty roster" 0 "$RC" "$S/p2_empty.stderr"
check_jq "rails: confirmed, the findings with moe members are cleared" \
  'any(.[]; .state == "cleared") and all(.[]; .state == "cleared" or (.members | all(.roster != "moe")))' \
  "$S/o4_ok/findings.jsonl"
run_cc bad_share run --db "$DB" --period 2026-10 --min-roster-share 2 "${ROSTERS[@]}" --out "$S/o4_ok"
check_exit "rails: --min-roster-share outside 0-1 is a usage error" 2 "$RC" "$S/bad_share.stderr"

# --- 100,000 rows under one ID -------------------------------------------
GID=110101200501011239
{
  echo "身份证号,姓名,学校代码,学籍状态"
  awk -v id=$GID 'BEGIN { for (i = 0; i < 100000; i++) printf "%s,张三,S%d,在籍\n", id, i % 7 }'
} >"$S/generic_moe.csv"
{ echo "身份证号,姓名,学校代码,学籍状态"; echo "$GID,张三,J1,在籍"; } >"$S/generic_mohrss.csv"
run_cc generic run --db "$S/db5" --period 2026-09 --issued 2026-09-01 \
  --roster "moe=$S/generic_moe.csv" --roster "mohrss=$S/generic_mohrss.csv" --out "$S/o5" --quiet
check_exit "generic ID: the run succeeds" 0 "$RC" "$S/generic.stderr"
# The file opens with a BOM (Excel reads it as UTF-8).
{ printf '\357\273\277'; printf '%s\n' "code,id_masked,records,schools,school_codes,message" \
  "generic_id,110101********1239,100001,8,moe:S0;moe:S1;moe:S2;moe:S3;moe:S4;...,同一身份证号下有100001条记录，超过一人可能有的20条，疑为占位号或测试号，未展开为疑点，请核查"; } \
  >"$S/dq.expected"
check_diff "generic ID: one data-quality item" "$S/dq.expected" "$S/o5/data_quality.csv"
check "generic ID: no finding" test ! -s "$S/o5/findings.jsonl"
check "generic ID: the summary says so" \
  grep -q "data quality: 1 IDs carry more than 20 records each (100001 records in all)" "$S/o5/summary.txt"
check_no_ids "generic ID: the ID is masked everywhere" <(echo $GID) "$S/o5/data_quality.csv" \
  "$S/o5/summary.txt" "$S/generic.stdout" "$S/generic.stderr"

# --- text that leaves: the audit listing and a CSV -----------------------
ESC=$(printf '\033')
BEL=$(printf '\007')
{
  echo "身份证号,姓名,学校代码,学籍状态"
  echo "$GID,张${ESC}[31m三${BEL},S1,在籍"
} >"$S/esc_moe.csv"
run_cc esc run --db "$S/db6" --period 2026-09 --issued 2026-09-01 \
  --roster "moe=$S/esc_moe.csv" --roster "mohrss=$S/generic_mohrss.csv" --out "$S/o6" --quiet
check_exit "controls: the run succeeds" 0 "$RC" "$S/esc.stderr"
run_cc csv query --db "$S/db6" --format csv --user "tester"
check_exit "controls: query --format csv" 0 "$RC" "$S/csv.stderr"
check "controls: no ESC or BEL in the CSV" bash -c "! grep -q '[$ESC$BEL]' '$S/csv.stdout'"
check "controls: the name shown with escapes" grep -qF '张\x1b[31m三\x07' "$S/csv.stdout"
FID=$(jq -r 'select(.type == "dual_enrollment") | .finding_id' "$S/o6/findings.jsonl" | head -n 1)
BY=$(printf 'x\n2020-01-01T00:00:00Z\tboss\texport\t99\tall')
run_cc resolve resolve --db "$S/db6" --finding "$FID" --action keep --by "$BY" \
  --school S1 --note "$(printf 'n\033[2J')" --user "$(printf 'ops\tz')"
check_exit "controls: resolve with a forged --by" 0 "$RC" "$S/resolve.stderr"
check "controls: resolve's echo shows the escapes" grep -qF 'by x\x0a2020-01-01T00:00:00Z\x09boss' "$S/resolve.stdout"
run_cc audit audit --db "$S/db6"
check_exit "controls: audit" 0 "$RC" "$S/audit.stderr"
check "controls: two audit entries, two lines" test "$(wc -l <"$S/audit.stdout")" = 2
check "controls: no line starts with the forged date" bash -c "! grep -q '^2020-01-01' '$S/audit.stdout'"
check "controls: every line has exactly five tabs" \
  bash -c "awk -F '\t' 'NF != 6 { exit 1 }' '$S/audit.stdout'"
check "controls: the forged --by shown with escapes" \
  grep -qF 'by=x\x0a2020-01-01T00:00:00Z\x09boss\x09export\x0999\x09all' "$S/audit.stdout"
check "controls: the --user tab shown as an escape" grep -qF 'ops\x09z' "$S/audit.stdout"
check "controls: no ESC anywhere in the listing" bash -c "! grep -q '$ESC' '$S/audit.stdout'"

cli_finish
