#!/usr/bin/env bash
# The command line itself (tools/options.c): every command's options come
# from one table that getopt_long parses and --help and the manual page
# print.
#
#   bash test_options.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# Checks: each command's --help (exit 0, "usage: chachong CMD" on stdout);
# every option its --help lists is taken by the parser (as --opt=x or
# --opt), and is in the manual page; an unknown option, a missing value, a
# value given to a switch, an abbreviation, a missing required option and a
# stray argument are each ONE line on stderr naming the option and saying
# "see 'chachong CMD --help'", exit 2, with no value echoed; --opt=value
# runs the fixtures to the same findings.jsonl as --opt value; a date that
# does not exist is bad input (exit 3, README); id and workdays operands,
# "--" before a value that starts with '-'. Ends with "N passed, M failed".
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/run/basic
COMMANDS=(run id workdays resolve review audit query export report)
# A valid ID number (GB 11643's example; check character X worked out by
# hand) that no message may echo.
ID=11010519491231002X
echo "$ID" >"$S/ids.txt"

# check_usage NAME WANT: exit 2 and exactly one stderr line that contains
# WANT and "see 'chachong CMD --help'" (CMD from the command line).
check_usage() {
  local name=$1 want=$2 see="; see 'chachong ${3:+$3 }--help'" lines
  lines=$(wc -l <"$S/$name.stderr")
  if [ "$RC" = 2 ] && [ "$lines" = 1 ] &&
     grep -q -F -- "$want" "$S/$name.stderr" &&
     grep -q -F -- "$see" "$S/$name.stderr"; then
    pass "$name: exit 2, one line naming $want"
  else
    fail "$name: exit 2, one line naming $want" \
      "exit $RC, $lines lines: $(head -c 600 "$S/$name.stderr")"
  fi
}

# --- every command: --help, and its table against the parser -----------
for c in "${COMMANDS[@]}"; do
  run_cc "help_$c" "$c" --help
  check_exit "$c --help" 0 "$RC" "$S/help_$c.stderr"
  check "$c --help starts with its usage" \
    grep -q "^usage: chachong $c" "$S/help_$c.stdout"
  run_cc "h_$c" "$c" -h
  check "$c -h is --help" cmp -s "$S/help_$c.stdout" "$S/h_$c.stdout"
  # The options --help lists: "  --name ARG  text" or "  --name  text".
  sed -n 's/^  \(--[a-z-]*\)\( [^ ]*\)\{0,1\}  .*$/\1\2/p;s/^  \(--[a-z-]*\)\( [^ ]*\)\{0,1\}$/\1\2/p' \
    "$S/help_$c.stdout" >"$S/opts_$c.txt"
  if [ "$c" = id ]; then
    check "id has no options but --help" test ! -s "$S/opts_$c.txt"
  else
    check "$c --help lists options" test -s "$S/opts_$c.txt"
  fi
  bad=""
  while read -r opt arg; do
    # A value option takes --opt=x, a switch takes none; --help after it
    # then ends the parse with exit 0, before anything is opened, unless
    # the command refuses x itself (a number, a date, a format): then the
    # message names the option, and it is neither unknown nor valueless.
    if [ -n "$arg" ]; then
      "$CC" "$c" "$opt=x" --help >/dev/null 2>"$S/o.err"
    else
      "$CC" "$c" "$opt" --help >/dev/null 2>"$S/o.err"
    fi
    rc=$?
    if [ "$rc" != 0 ] && { ! grep -q -F -- "$opt" "$S/o.err" ||
         grep -q -E 'unknown option|takes no value|needs a value' "$S/o.err"; }; then
      bad="$bad $opt($rc: $(head -c 200 "$S/o.err"))"
    fi
  done <"$S/opts_$c.txt"
  if [ -z "$bad" ]; then
    pass "$c: every option --help lists is parsed"
  else
    fail "$c: every option --help lists is parsed" "$bad"
  fi
  run_cc "bogus_$c" "$c" --bogus-option
  check_usage "bogus_$c" "unknown option '--bogus-option'" "$c"
done

# --- the manual page lists every command and option -----------------------
run_cc man --man
check_exit "chachong --man" 0 "$RC" "$S/man.stderr"
check "the manual page is roff with a title" grep -q '^\.TH CHACHONG 1 ' "$S/man.stdout"
missing=""
for c in "${COMMANDS[@]}"; do
  grep -q "^\.SS \"chachong $c\"" "$S/man.stdout" || missing="$missing $c"
  while read -r opt _; do
    # roff writes "--" as "\-\-".
    grep -q -F -- "\\fB$(printf '%s' "$opt" | sed 's/-/\\-/g')\\fR" "$S/man.stdout" ||
      missing="$missing $c:$opt"
  done <"$S/opts_$c.txt"
done
if [ -z "$missing" ]; then
  pass "the manual page has every command and option"
else
  fail "the manual page has every command and option" "missing:$missing"
fi
for code in 0 1 2 3 4 5 6 130; do
  grep -q "^\.B $code\$" "$S/man.stdout" || missing="$missing exit:$code"
done
check "the manual page lists every exit code" test -z "$missing"

# --- usage errors: one line, naming the option ---------------------------
run_cc nocmd frobnicate
check_usage nocmd "unknown command 'frobnicate'" ""
run_cc frob run --frobnicate
check_usage frob "unknown option '--frobnicate'" run
run_cc frob_value run "--frobnicate=$ID"
check_usage frob_value "unknown option '--frobnicate'" run
run_cc short run -x
check_usage short "unknown option '-x'" run
run_cc needs run --db
check_usage needs "--db needs a value" run
run_cc needs_next run --db "$S/db_n" --out --quiet
check_usage needs_next "--out needs a value" run
run_cc switch run --quiet=yes
check_usage switch "--quiet takes no value" run
run_cc abbrev run --db "$S/db_n" --per 2026-09
check_usage abbrev "unknown option '--per'" run
run_cc missing run --db "$S/db_n" --period 2026-09
check_usage missing "missing --roster, --out" run
run_cc one_roster run --db "$S/db_n" --period 2026-09 --roster "moe=$FX/moe.csv" --out "$S/o_n"
check_usage one_roster "two --roster are needed, 1 given" run
run_cc stray report --db "$S/db_n" --out "$S/r.html" stray
check_usage stray "unexpected argument 'stray'" report
run_cc stray_id query --db "$S/db_n" "$ID"
check_usage stray_id "unexpected argument" query
run_cc threads export --db "$S/db_n" --period 2026-09 --out "$S/e" --threads=0
check_usage threads "--threads takes a number from 1 to 1024" export
run_cc resolve_missing resolve --db "$S/db_n" --action keep
check_usage resolve_missing "missing --finding, --by" resolve
check "no database is made by a usage error" test ! -e "$S/db_n"
check_no_ids "usage errors echo no ID number" "$S/ids.txt" "$S"/*.stderr "$S"/*.stdout

# --- --opt=value works like --opt value ----------------------------------
run_cc eq run "--db=$S/db_eq" --period=2026-09 --issued=2026-09-25 \
  "--roster=moe=$FX/moe.csv" "--roster=mohrss=$FX/mohrss.csv" \
  "--roster=sd=$FX/provincial.csv" "--out=$S/out_eq" --threads=1 --quiet
check_exit "run with --opt=value" 0 "$RC" "$S/eq.stderr"
run_cc sp run --db "$S/db_sp" --period 2026-09 --issued 2026-09-25 \
  --roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv" \
  --roster "sd=$FX/provincial.csv" --out "$S/out_sp" --threads 1 --quiet
check_exit "run with --opt value" 0 "$RC" "$S/sp.stderr"
check "both spellings give the same findings.jsonl" \
  cmp "$S/out_eq/findings.jsonl" "$S/out_sp/findings.jsonl"
check "the findings are not empty" test -s "$S/out_eq/findings.jsonl"
run_cc q_eq query "--db=$S/db_eq" --format=jsonl --limit=1 --user=op
check_exit "query with --opt=value" 0 "$RC" "$S/q_eq.stderr"
check "query --limit=1 prints one finding" test "$(wc -l <"$S/q_eq.stdout")" = 1

# --- a date that does not exist is bad input (exit 3) --------------------
run_cc issued run --db "$S/db_d" --period 2026-09 --issued 2026-02-30 \
  --roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv" --out "$S/out_d"
check_exit "run --issued 2026-02-30 is bad input" 3 "$RC" "$S/issued.stderr"
check "the --issued message is one line naming it" \
  sh -c "test \"\$(wc -l <'$S/issued.stderr')\" = 1 && grep -q -- '--issued' '$S/issued.stderr'"
run_cc issued_eq run --db "$S/db_d" --period 2026-09 --issued=2026-13-01 \
  --roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv" --out "$S/out_d"
check_exit "run --issued=2026-13-01 is bad input" 3 "$RC" "$S/issued_eq.stderr"
check "no database is made by a bad --issued" test ! -e "$S/db_d"
run_cc since audit --db "$S/db_eq" --since 2026-02-29
check_exit "audit --since 2026-02-29 (2026 is no leap year) is bad input" 3 "$RC"
run_cc wd_date workdays add 2026-02-29 5
check_exit "workdays add 2026-02-29 is bad input" 3 "$RC"

# --- operands: id, workdays ----------------------------------------------
run_cc id_ok id "$ID"
check_exit "id of a valid number" 0 "$RC" "$S/id_ok.stderr"
printf '%s\tvalid\t' "$ID" >"$S/id_ok.want"
check "id prints the cleaned number and valid" \
  sh -c "head -c $(wc -c <"$S/id_ok.want") '$S/id_ok.stdout' | cmp -s - '$S/id_ok.want'"
run_cc id_bad id "$ID" 110105194912310021
check_exit "id with one invalid check digit" 1 "$RC"
check "id prints a line per value" test "$(wc -l <"$S/id_bad.stdout")" = 2
run_cc id_dash id -- -123
check_exit "id -- -123: a value, not valid" 1 "$RC"
run_cc id_neg id -123
check_exit "id -123: a value, not valid (a negative number is no option)" 1 "$RC"
check "id -123 prints its line" test "$(wc -l <"$S/id_neg.stdout")" = 1
run_cc id_opt id "$ID" -x
check_usage id_opt "unknown option '-x'" id
check "a refused id line prints no results" test ! -s "$S/id_opt.stdout"
run_cc id_none id
check_usage id_none "no VALUE given" id
# 2026-03-02 is a Monday; no holiday until Qingming: the 5th working day
# after it is Monday 2026-03-09.
run_cc wd workdays add 2026-03-02 5
check_exit "workdays add 2026-03-02 5" 0 "$RC" "$S/wd.stderr"
check "workdays add 2026-03-02 5 is 2026-03-09" test "$(cat "$S/wd.stdout")" = 2026-03-09
run_cc wd_after workdays add 2026-03-02 --calendar="$SRC/data/calendar/cn-2015-2026.txt" 5
check_exit "workdays with --calendar=FILE between the operands" 0 "$RC" "$S/wd_after.stderr"
check "the same date with --calendar=FILE" test "$(cat "$S/wd_after.stdout")" = 2026-03-09
run_cc wd_action workdays sub 2026-03-02 5
check_usage wd_action "unknown action" workdays
run_cc wd_extra workdays add 2026-03-02 5 6
check_usage wd_extra "unexpected argument" workdays
run_cc wd_neg workdays add 2026-03-02 -5
check_exit "workdays add 2026-03-02 -5: N is bad input" 3 "$RC"
run_cc wd_empty workdays add 2026-03-02 5 --calendar=
check_usage wd_empty "--calendar needs a FILE" workdays

cli_finish
