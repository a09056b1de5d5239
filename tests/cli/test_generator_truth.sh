#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# chachong run against the truth planted by the generator: gen_roster writes
# rosters with known duplicates and Excel damage plus expected_findings.txt
# and expected_rejects.txt (in the projection of docs/RULES.md); the run's
# projections must equal them.
#
#   bash test_generator_truth.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# Rosters are found in S/gen as moe.<ext> and mohrss.<ext> (csv or tsv); any
# other roster file there (not expected_*) is passed as --roster STEM=FILE.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

PERIOD=2026-09
ISSUED=2026-09-25
DEADLINE=2026-10-15 # see fixtures/run/basic/README.md
G=$S/gen

if [ ! -x "$GEN" ]; then
  fail "gen_roster binary is executable: $GEN"
  cli_finish
fi
"$GEN" --out "$G" --seed 7 --moe 20000 --mohrss 8000 --gb18030 mohrss --period "$PERIOD" \
  >"$S/gen.stdout" 2>"$S/gen.stderr"
check_exit "gen_roster --seed 7 --moe 20000 --mohrss 8000 --gb18030 mohrss --period $PERIOD" 0 "$?" "$S/gen.stderr"
for x in expected_findings.txt expected_rejects.txt expected_policy.txt; do
  check "the generator wrote $x" test -f "$G/$x"
done

roster_args=()
have_moe=0
have_mohrss=0
for f in "$G"/*.csv "$G"/*.tsv; do
  [ -f "$f" ] || continue
  base=$(basename "$f")
  case "$base" in expected_*) continue ;; esac
  label=${base%.*}
  roster_args+=(--roster "$label=$f")
  [ "$label" = moe ] && have_moe=1
  [ "$label" = mohrss ] && have_mohrss=1
done
if [ "$have_moe" = 1 ] && [ "$have_mohrss" = 1 ]; then
  pass "the generator wrote moe and mohrss rosters (${#roster_args[@]} args)"
else
  fail "the generator wrote moe and mohrss rosters" "$(ls -l "$G" 2>&1)"
  cli_finish
fi
mohrss_file=$G/mohrss.csv
[ -f "$mohrss_file" ] || mohrss_file=$G/mohrss.tsv
if iconv -f UTF-8 -t UTF-8 "$mohrss_file" >/dev/null 2>&1; then
  fail "--gb18030 mohrss: the mohrss roster is not UTF-8" "$mohrss_file decodes as UTF-8"
else
  pass "--gb18030 mohrss: the mohrss roster is not UTF-8"
fi

run_cc run run --db "$S/db" --period "$PERIOD" --issued "$ISSUED" \
  "${roster_args[@]}" --out "$S/out" --threads 2
check_exit "chachong run on the generated rosters" 0 "$RC" "$S/run.stderr"
if [ "$RC" = 0 ]; then
  LC_ALL=C sort "$G/expected_findings.txt" >"$S/expected_findings.sorted"
  LC_ALL=C sort "$G/expected_rejects.txt" >"$S/expected_rejects.sorted"
  if bash "$PROJECT" --exact "$S/out/findings.jsonl" >"$S/projection.txt" 2>"$S/projection.err"; then
    check_diff "exact-tier findings equal the planted truth ($(wc -l <"$S/expected_findings.sorted") findings)" \
      "$S/expected_findings.sorted" "$S/projection.txt"
  else
    fail "findings projection" "$(cat "$S/projection.err")"
  fi
  # The policy findings (SPEC 3.2): planted breaches and look-alikes, and
  # every row's own truth, worked out by the generator from what it wrote.
  LC_ALL=C sort "$G/expected_policy.txt" >"$S/expected_policy.sorted"
  if bash "$PROJECT" --policy "$S/out/findings.jsonl" >"$S/policy.txt" 2>"$S/policy.err"; then
    check_diff "policy findings equal the planted truth ($(wc -l <"$S/expected_policy.sorted") findings)" \
      "$S/expected_policy.sorted" "$S/policy.txt"
  else
    fail "policy projection" "$(cat "$S/policy.err")"
  fi
  check "the generator planted every kind of breach and look-alike" \
    grep -Eq 'rows planted: part_time [1-9][0-9]* third_year [1-9][0-9]* beyond_program [1-9][0-9]* unpaid_part_time [1-9][0-9]* cohort_year_1 [1-9][0-9]* date_forms [1-9][0-9]*$' "$S/gen.stdout"
  check "every reason is among the findings" \
    test "$(cut -d' ' -f2 "$S/expected_policy.sorted" | sort -u | tr '\n' ' ')" = "beyond_program over_age part_time third_year "
  if bash "$PROJECT" --rejects "$S/out/rejects.csv" >"$S/rejects_projection.txt" \
      2>"$S/rejects_projection.err"; then
    check_diff "rejects projection equals the planted truth ($(wc -l <"$S/expected_rejects.sorted") rejects)" \
      "$S/expected_rejects.sorted" "$S/rejects_projection.txt"
  else
    fail "rejects projection" "$(cat "$S/rejects_projection.err")"
  fi
  check_jq "every finding: issued $ISSUED, deadline $DEADLINE" \
    "all(.[]; .issued == \"$ISSUED\" and .deadline == \"$DEADLINE\"
              and .deadline_provisional == false)" "$S/out/findings.jsonl"
  check_mode "findings.jsonl is mode 0600" "$S/out/findings.jsonl" 600
  check_mode "rejects.csv is mode 0600" "$S/out/rejects.csv" 600
fi

cli_finish
