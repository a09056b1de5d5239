#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# Findings across months (SPEC §3, docs/RULES.md "Across months"): three
# periods of fixtures/lifecycle run in order into one --db, with school
# responses (chachong resolve) recorded between the runs. Every expectation
# was worked out by hand; see fixtures/lifecycle/README.md.
#
#   bash test_lifecycle.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# Checks: each run's findings.jsonl projected to
#   <type> <state> <issued> <deadline> <cleared|-> <on_time|-> <claimed 0|1> <members>
# against expected_<period>.txt (diff -u); finding_id stable across months
# and the state of each case in each month; first_period and seen; the
# responses carried (latest one) and claimed_resolved; resolve exit codes
# (unknown finding = 3); one audit entry per resolve; re-running the last
# period gives the same findings. Ends with "N passed, M failed".
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/lifecycle
DB=$S/db

# periods.txt: "period issued new-deadline"
mapfile -t PLINES < <(grep -v '^[[:space:]]*#' "$FX/periods.txt" | grep -v '^[[:space:]]*$')
PERIODS=()
declare -A ISSUED NEWDL
for l in "${PLINES[@]}"; do
  read -r p d dl <<<"$l"
  PERIODS+=("$p")
  ISSUED[$p]=$d
  NEWDL[$p]=$dl
done
P1=${PERIODS[0]} P2=${PERIODS[1]} P3=${PERIODS[2]}

fixture_ids "$S/ids.txt" "$FX"/*/*.csv
check "the fixtures hold ID numbers to look for" test -s "$S/ids.txt"

# project FINDINGS OUT: the lifecycle projection (README.md), sorted bytewise.
project() {
  jq -r '
    def need($k): if has($k) and .[$k] != null then .[$k]
                  else error("finding \(.finding_id // "?") without \($k)") end;
    def opt($k): if has($k) and .[$k] != null then (.[$k] | tostring) else "-" end;
    [ need("type"), need("state"), need("issued"), need("deadline"),
      opt("cleared"), opt("cleared_on_time"),
      (if .claimed_resolved == true then "1" else "0" end),
      ([ need("members")[] | [.roster, .line] ] | sort
       | map("\(.[0]):\(.[1])") | join(","))
    ] | join(" ")' "$1" >"$2.unsorted" 2>"$2.err" || return 1
  LC_ALL=C sort "$2.unsorted" >"$2"
}

# fid FINDINGS TYPE ROSTER:LINE: sets FOUND to the finding_id of the one
# finding of TYPE, not cleared, with that member; empty (and a FAIL) unless
# exactly one. (Not in $(...): fail must count in this shell.)
FOUND=
fid() {
  local r=${3%%:*} l=${3##*:} out n
  FOUND=
  out=$(jq -r --arg t "$2" --arg r "$r" --argjson l "$l" '
    select(.type == $t and .state != "cleared"
           and any(.members[]; .roster == $r and .line == $l)) | .finding_id' "$1" 2>&1)
  n=$(printf '%s' "$out" | grep -c .)
  if [ "$n" = 1 ]; then
    FOUND=$out
  else
    fail "one $2 finding with member $3 in $(basename "$(dirname "$1")")" "found $n: $out"
  fi
}

# run_period P: runs period P into $DB, out dir $S/out_P[_SUFFIX].
run_period() {
  local p=$1 sfx=${2:-}
  local out=$S/out_$p$sfx
  run_cc "run_$p$sfx" run --db "$DB" --period "$p" --issued "${ISSUED[$p]}" \
    --roster "moe=$FX/$p/moe.csv" --roster "mohrss=$FX/$p/mohrss.csv" --out "$out"
  check_exit "run $p$sfx (issued ${ISSUED[$p]}) succeeds" 0 "$RC" "$S/run_$p$sfx.stderr"
  [ "$RC" = 0 ] || return 1
  local f=$out/findings.jsonl
  if [ ! -f "$f" ]; then
    fail "run $p$sfx: findings.jsonl written" "no $f"
    return 1
  fi
  if project "$f" "$out/lifecycle.txt"; then
    check_diff "run $p$sfx: lifecycle projection" "$FX/expected_$p.txt" "$out/lifecycle.txt"
  else
    fail "run $p$sfx: lifecycle projection" "$(cat "$out/lifecycle.txt.err")"
  fi
  local d=${ISSUED[$p]}
  check_jq "run $p$sfx: every finding has seen == $d, first_period, no provisional deadline" \
    "length > 0 and all(.[]; .seen == \"$d\" and .deadline_provisional == false
       and (.first_period | type == \"string\" and test(\"^[0-9]{4}-[0-9]{2}\$\")))" "$f"
  check_jq "run $p$sfx: states are new/open/overdue/cleared; current findings have period $p" \
    "all(.[]; (.state | IN(\"new\", \"open\", \"overdue\", \"cleared\"))
       and (.state == \"cleared\" or .period == \"$p\"))" "$f"
  check_jq "run $p$sfx: every new finding is issued $d, deadline ${NEWDL[$p]}" \
    "all(.[] | select(.state == \"new\"); .issued == \"$d\" and .deadline == \"${NEWDL[$p]}\")" "$f"
  check_jq "run $p$sfx: cleared findings say cleared $d and a boolean cleared_on_time" \
    "all(.[] | select(.state == \"cleared\"); .cleared == \"$d\"
       and (.cleared_on_time | type == \"boolean\"))" "$f"
  check_jq "run $p$sfx: finding_id is unique" \
    '(map(.finding_id) | unique | length) == length' "$f"
  check_no_ids "run $p$sfx: no full ID number on stdout or stderr" "$S/ids.txt" \
    "$S/run_$p$sfx.stdout" "$S/run_$p$sfx.stderr"
  return 0
}

# state_of FINDINGS FID: the state of the finding, "absent", or "many".
state_of() {
  jq -r -s --arg id "$2" '[.[] | select(.finding_id == $id) | .state]
    | if length == 0 then "absent" elif length == 1 then .[0] else "many" end' "$1"
}

# check_states P CASE=STATE...: the state of each case's finding in P.
check_states() {
  local p=$1 f=$S/out_$1/findings.jsonl kv c want got
  shift
  for kv in "$@"; do
    c=${kv%%=*} want=${kv#*=}
    if [ -z "${FID[$c]:-}" ]; then
      fail "$p: case $c is $want" "no finding_id for case $c"
      continue
    fi
    got=$(state_of "$f" "${FID[$c]}")
    if [ "$got" = "$want" ]; then
      pass "$p: case $c (finding ${FID[$c]}) is $want"
    else
      fail "$p: case $c (finding ${FID[$c]}) is $want" "got: $got"
    fi
  done
}

# resolve NAME FID ACTION BY SCHOOL DATE NOTE USER: records a response.
NRESOLVE=0
RESOLVE_USERS=()
resolve() {
  local name=$1 id=$2 action=$3 by=$4 school=$5 date=$6 note=$7 user=$8
  if [ -z "$id" ]; then
    fail "resolve $name: $action by $school" "no finding_id to resolve"
    return
  fi
  run_cc "resolve_$name" resolve --db "$DB" --finding "$id" --action "$action" \
    --by "$by" --school "$school" --date "$date" --note "$note" --user "$user"
  check_exit "resolve $name: $action by $school dated $date" 0 "$RC" "$S/resolve_$name.stderr"
  if [ "$RC" = 0 ]; then
    NRESOLVE=$((NRESOLVE + 1))
    RESOLVE_USERS+=("$user")
  fi
}

# check_response P CASE ACTION BY DATE SCHOOL NOTE CLAIMED(true|false)
check_response() {
  local p=$1 c=$2 f=$S/out_$1/findings.jsonl
  check_jq "$p: case $c carries response $3 by $4 ($6, $5), claimed_resolved $8" \
    "[.[] | select(.finding_id == \"${FID[$c]:-none}\")] as \$x
     | (\$x | length) == 1
     and \$x[0].response.action == \"$3\" and \$x[0].response.by == \"$4\"
     and \$x[0].response.date == \"$5\" and \$x[0].response.school_code == \"$6\"
     and \$x[0].response.note == \"$7\"
     and ((\$x[0].claimed_resolved == true) == $8)" "$f"
}

# check_no_response P CASE...: those findings carry no response.
check_no_response() {
  local p=$1 f=$S/out_$1/findings.jsonl ids
  shift
  ids=$(for c in "$@"; do printf '"%s",' "${FID[$c]:-none}"; done)
  check_jq "$p: no response on cases $*" \
    "all(.[] | select(.finding_id | IN(${ids%,})); (.response // null) == null)" "$f"
}

declare -A FID

# ---- period 1 ----------------------------------------------------------
if run_period "$P1"; then
  F1=$S/out_$P1/findings.jsonl
  check_jq "$P1: first run into a fresh --db: all new, none claimed, no responses" \
    'all(.[]; .state == "new" and (.claimed_resolved != true) and ((.response // null) == null))' "$F1"
  fid "$F1" dual_enrollment moe:2; FID[A]=$FOUND
  fid "$F1" dual_enrollment moe:3; FID[B]=$FOUND
  fid "$F1" double_waiver moe:4; FID[C]=$FOUND
  fid "$F1" double_grant moe:5; FID[E]=$FOUND
  fid "$F1" dual_enrollment moe:6; FID[F]=$FOUND
  fid "$F1" id_conflict moe:7; FID[G]=$FOUND
  fid "$F1" dual_enrollment moe:8; FID[H]=$FOUND
  fid "$F1" dual_enrollment moe:9; FID[I]=$FOUND
fi

# ---- responses after period 1 ------------------------------------------
NOTE_E='已停发本校助学金并注销学籍'
NOTE_F='学生在本校就读，保留学籍'
NOTE_H='已函请济南市商贸职业中等专业学校注销学籍'
resolve E "${FID[E]:-}" cancel_own 李老师 J3701101 2026-10-09 "$NOTE_E" op-jnjs-li
resolve F "${FID[F]:-}" keep 陈老师 4137060301 2026-10-12 "$NOTE_F" op-ytzf-chen
resolve H "${FID[H]:-}" ask_other 赵老师 J3701101 2026-10-16 "$NOTE_H" op-jnjs-zhao

run_cc resolve_unknown resolve --db "$DB" --finding 0123456789abcdef --action keep \
  --by 某老师 --school 4137010101 --date 2026-10-09 --user op-unknown
check_exit "resolve of a finding no period holds is bad input" 3 "$RC"
run_cc resolve_badaction resolve --db "$DB" --finding "${FID[A]:-0123456789abcdef}" \
  --action delete --by 某老师 --date 2026-10-09 --user op-bad
check_exit "resolve with an unknown --action is a usage error" 2 "$RC"
run_cc resolve_noby resolve --db "$DB" --finding "${FID[A]:-0123456789abcdef}" \
  --action keep --date 2026-10-09 --user op-bad
check_exit "resolve without --by is a usage error" 2 "$RC"

# ---- period 2 ----------------------------------------------------------
if run_period "$P2"; then
  F2=$S/out_$P2/findings.jsonl
  fid "$F2" duplicate_record mohrss:4; FID[D]=$FOUND
  fid "$F2" dual_enrollment moe:3; a2=$FOUND
  if [ -n "$a2" ] && [ "$a2" = "${FID[A]:-}" ]; then
    pass "$P2: A keeps its finding_id (lines moved, ID written with a lower-case x)"
  else
    fail "$P2: A keeps its finding_id" "$P1: ${FID[A]:-?}, $P2: $a2"
  fi
  check_states "$P2" A=open B=cleared C=open D=new E=open F=open G=cleared H=open I=open
  check_jq "$P2: D is first seen in $P2; B (cleared) was first seen in $P1" \
    "([.[] | select(.finding_id == \"${FID[D]:-none}\")][0].first_period == \"$P2\")
     and ([.[] | select(.finding_id == \"${FID[B]:-none}\")][0].first_period == \"$P1\")" "$F2"
  check_response "$P2" E cancel_own 李老师 2026-10-09 J3701101 "$NOTE_E" true
  check_response "$P2" F keep 陈老师 2026-10-12 4137060301 "$NOTE_F" false
  check_jq "$P2: H is not claimed resolved (its ask_other is dated 2026-10-16, after the issue date)" \
    "[.[] | select(.finding_id == \"${FID[H]:-none}\")] as \$x
     | (\$x | length) == 1 and (\$x[0].claimed_resolved != true)" "$F2"
  check_no_response "$P2" A B C D G I
fi

# ---- responses after period 2: two on A, the latest is keep -------------
NOTE_A1='已函请济南市技师学院注销学籍'
NOTE_A2='学生在本校就读，保留学籍'
resolve A1 "${FID[A]:-}" ask_other 孙老师 4137010101 2026-10-20 "$NOTE_A1" op-jnsm-sun
resolve A2 "${FID[A]:-}" keep 钱老师 J3701101 2026-10-23 "$NOTE_A2" op-jnjs-qian

# ---- period 3 ----------------------------------------------------------
if run_period "$P3"; then
  F3=$S/out_$P3/findings.jsonl
  fid "$F3" dual_enrollment moe:9; FID[Inew]=$FOUND
  if [ -n "${FID[Inew]}" ] && [ "${FID[Inew]}" != "${FID[I]:-}" ]; then
    pass "$P3: I at other schools is another finding_id"
  else
    fail "$P3: I at other schools is another finding_id" "old ${FID[I]:-?}, new ${FID[Inew]:-?}"
  fi
  check_states "$P3" A=overdue B=absent C=cleared D=overdue E=cleared F=overdue \
    G=new H=overdue I=cleared Inew=new
  check_jq "$P3: first_period: A $P1, D $P2, the new I $P3" \
    "([.[] | select(.finding_id == \"${FID[A]:-none}\")][0].first_period == \"$P1\")
     and ([.[] | select(.finding_id == \"${FID[D]:-none}\")][0].first_period == \"$P2\")
     and ([.[] | select(.finding_id == \"${FID[Inew]:-none}\")][0].first_period == \"$P3\")" "$F3"
  check_response "$P3" A keep 钱老师 2026-10-23 J3701101 "$NOTE_A2" false
  check_response "$P3" E cancel_own 李老师 2026-10-09 J3701101 "$NOTE_E" false
  check_response "$P3" F keep 陈老师 2026-10-12 4137060301 "$NOTE_F" false
  check_response "$P3" H ask_other 赵老师 2026-10-16 J3701101 "$NOTE_H" true
  check_no_response "$P3" C D G I Inew
  check_jq "$P3: only H is claimed resolved" \
    "[.[] | select(.claimed_resolved == true) | .finding_id] == [\"${FID[H]:-none}\"]" "$F3"
fi

# ---- the audit log -----------------------------------------------------
run_cc audit audit --db "$DB"
check_exit "audit lists the log" 0 "$RC" "$S/audit.stderr"
if [ "$RC" = 0 ]; then
  n=$(awk -F'\t' '$3 == "resolve"' "$S/audit.stdout" | grep -c .)
  if [ "$n" -ge "$NRESOLVE" ] && [ "$NRESOLVE" -gt 0 ]; then
    pass "audit lists at least $NRESOLVE resolve entries ($n)"
  else
    fail "audit lists at least $NRESOLVE resolve entries" "found $n; audit output:
$(head -n 20 "$S/audit.stdout")"
  fi
  for u in "${RESOLVE_USERS[@]}"; do
    n=$(awk -F'\t' -v u="$u" '$2 == u && $3 == "resolve" && NF >= 5 && $4 ~ /^[0-9]+$/' \
      "$S/audit.stdout" | grep -c .)
    if [ "$n" = 1 ]; then
      pass "audit: one resolve entry by $u (time, user, command, records, what)"
    else
      fail "audit: one resolve entry by $u" "found $n; audit output:
$(head -n 20 "$S/audit.stdout")"
    fi
  done
  check_no_ids "audit prints no full ID number" "$S/ids.txt" "$S/audit.stdout" "$S/audit.stderr"
fi

# ---- re-running period 3 ------------------------------------------------
if run_period "$P3" _rerun; then
  jq -S -c . "$S/out_$P3/findings.jsonl" | LC_ALL=C sort >"$S/p3.canon" 2>&1
  jq -S -c . "$S/out_${P3}_rerun/findings.jsonl" | LC_ALL=C sort >"$S/p3_rerun.canon" 2>&1
  check_diff "re-running $P3 gives the same findings (every field)" \
    "$S/p3.canon" "$S/p3_rerun.canon"
fi

cli_finish
