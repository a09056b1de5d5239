#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# chachong run on the hand-made rosters of fixtures/run/basic (three rosters:
# moe, mohrss, sd). Every expectation there was worked out by hand from
# SPEC + docs/RULES.md; see fixtures/run/basic/README.md.
#
#   bash test_run_basic.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# Checks: exit code; findings and rejects projections (diff -u); the JSON
# shape of every finding; issued/deadline/period/state of every finding;
# names, school names, amounts and cleaned IDs of chosen findings; modes
# 0600; no fixture ID number on stdout, stderr or in summary.txt; byte-equal
# findings.jsonl with --threads 1 and 2; the same findings when the same
# period is run again into the same --db; the restart with
# glibc.malloc.hugetlb=1 and OMP_WAIT_POLICY=PASSIVE (tools/chachong.c); a
# second issue date; usage and I/O exit codes. Ends with "N passed, M failed".
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/run/basic
PERIOD=2026-09
ROSTERS=(--roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv"
         --roster "sd=$FX/provincial.csv")

# expected_deadline.txt: "issued deadline provisional" lines; the first is
# the main run's.
mapfile -t DEADLINES < <(grep -v '^[[:space:]]*#' "$FX/expected_deadline.txt" | grep -v '^[[:space:]]*$')
read -r ISSUED DEADLINE PROVISIONAL <<<"${DEADLINES[0]}"

fixture_ids "$S/ids.txt" "$FX"/*.csv
check "the fixtures hold ID numbers to look for" test -s "$S/ids.txt"

# check_run NAME OUTDIR ISSUED DEADLINE PROVISIONAL: the checks every
# successful run of the basic fixtures gets.
check_run() {
  local name=$1 out=$2 issued=$3 deadline=$4 prov=$5
  local f=$out/findings.jsonl r=$out/rejects.csv
  local have=1 x
  for x in findings.jsonl rejects.csv summary.txt; do
    if [ ! -f "$out/$x" ]; then
      fail "$name: $x written" "no $out/$x"
      have=0
    fi
  done
  [ "$have" = 1 ] || return 0
  pass "$name: findings.jsonl, rejects.csv, summary.txt written"

  # One JSON object per line.
  local nl nv
  nl=$(grep -c . "$f")
  nv=$(jq -s 'length' "$f" 2>&1)
  if [ "$nl" = "$nv" ] && jq -s -e 'all(.[]; type == "object")' "$f" >/dev/null 2>&1; then
    pass "$name: findings.jsonl is one JSON object per line ($nl)"
  else
    fail "$name: findings.jsonl is one JSON object per line" "$nl non-empty lines, jq read: $nv"
  fi

  if bash "$PROJECT" "$f" >"$out/projection.txt" 2>"$out/projection.err"; then
    check_diff "$name: findings projection" "$FX/expected_findings.txt" "$out/projection.txt"
  else
    fail "$name: findings projection" "$(cat "$out/projection.err")"
  fi

  local h
  h=$(head -n 1 "$r" | tr -d '\r')
  # A BOM first: Excel then reads the file as UTF-8.
  if [ "$h" = $'\xEF\xBB\xBF'"file,roster,line,column,code,message" ]; then
    pass "$name: rejects.csv BOM and header"
  else
    fail "$name: rejects.csv BOM and header" "got: $h"
  fi
  check_valid_utf8 "$name: rejects.csv is UTF-8" "$r"
  if bash "$PROJECT" --rejects "$r" >"$out/rejects_projection.txt" 2>"$out/rejects_projection.err"; then
    check_diff "$name: rejects projection" "$FX/expected_rejects.txt" "$out/rejects_projection.txt"
  else
    fail "$name: rejects projection" "$(cat "$out/rejects_projection.err")"
  fi

  check_jq "$name: every finding has the contract's fields and types" '
    def one_of($xs): . as $v | $xs | any(. == $v);
    length > 0 and all(.[];
      (.finding_id | type == "string" and length > 0)
      and (.type | one_of(["dual_enrollment", "duplicate_record",
                           "double_grant", "double_waiver", "id_conflict"]))
      and (.scope | one_of(["cross", "within"]))
      and (.person | type == "object"
           and (.id_number | type == "string" and length > 0)
           and (.name | type == "string" and length > 0)
           and (.id_valid | type == "boolean")
           and (if .id_valid then true
                else (.id_reason | type == "string" and length > 0) end))
      and .match.basis == "id_exact" and .match.confidence == 1
      and (.members | type == "array" and length >= 1 and all(.[];
             (.roster | type == "string") and (.line | type == "number")
             and has("record_id") and has("school_code")
             and has("school_name") and has("region_code")
             and (.status | type == "string") and (.name | type == "string")
             and (.grant_amount | type == "number")
             and (.waiver_amount | type == "number")))
      and (.amount_at_risk | type == "number")
      and (.state | one_of(["new", "open", "overdue", "cleared"]))
      and (.deadline_provisional | type == "boolean"))' "$f"
  check_jq "$name: every finding: period $PERIOD, issued $issued, deadline $deadline, provisional $prov" \
    "all(.[]; .period == \"$PERIOD\" and .issued == \"$issued\"
              and .deadline == \"$deadline\" and .deadline_provisional == $prov)" "$f"
  check_jq "$name: finding_id is unique per finding" \
    '(map(.finding_id) | unique | length) == length' "$f"

  check_mode "$name: findings.jsonl is mode 0600" "$f" 600
  check_mode "$name: rejects.csv is mode 0600" "$r" 600
  check_no_ids "$name: no full ID number on stdout, stderr or in summary.txt" \
    "$S/ids.txt" "$S/$name.stdout" "$S/$name.stderr" "$out/summary.txt"

  # summary.json: JSON, 0600, and the same facts as summary.txt (each
  # count the text prints, read back from the text).
  check_mode "$name: summary.json is mode 0600" "$out/summary.json" 600
  check "$name: summary.json says what summary.txt says" python3 -c '
import json, re, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
t = open(sys.argv[2], encoding="utf-8").read()
m = re.search(r"chachong run (\S+): issued (\S+), clearing deadline (\S+)", t)
assert (j["period"], j["issued"], j["deadline"]) == m.groups(), m.groups()
for typ, v in j["findings"].items():
    if typ in ("all", "amount_at_risk"):
        continue
    c, w, n = map(int, re.search(r"\n  %s +(\d+) +(\d+) +(\d+)\n" % typ, t).groups())
    assert (v["cross"], v["within"], v["total"]) == (c, w, n), typ
assert "amount at risk: %s yuan\n" % j["findings"]["amount_at_risk"] in t
for r in j["rosters"]:
    assert (" %d rows, %d records, %d rejected, %d blank, %d invalid IDs, "
            "%d upgraded" % (r["rows"], r["records"], r["rejected"], r["blank"],
                             r["invalid_ids"], r["upgraded_from_15"])) in t, r
x = j["totals"]
assert ("records %d, rejected %d, invalid IDs %d, schools %d\n" % (x["records"],
        x["rejected"], x["invalid_ids"], x["schools"])) in t
l = j["lifecycle"]
assert ("%d new, %d open, %d overdue, %d cleared; %d claimed" % (l["new"], l["open"],
        l["overdue"], l["cleared"], l["claimed_resolved"])) in t
f = j["fuzzy"]
assert ("fuzzy tier: %d pairs scored, %d linked into %d persons, %d possible"
        % (f["pairs_scored"], f["linked"], f["persons"], f["possible"])) in t
assert sorted(j["outputs"]) == sorted(["findings.jsonl", "rejects.csv",
    "invalid_ids.csv", "possible.jsonl", "data_quality.csv", "summary.json",
    "summary.txt"])
' "$out/summary.json" "$out/summary.txt"
}

# --- the main run -------------------------------------------------------
run_cc main run --db "$S/db" --period "$PERIOD" --issued "$ISSUED" \
  "${ROSTERS[@]}" --out "$S/out"
check_exit "main run succeeds" 0 "$RC" "$S/main.stderr"
if [ "$RC" = 0 ]; then
  check_run main "$S/out" "$ISSUED" "$DEADLINE" "$PROVISIONAL"
  F=$S/out/findings.jsonl
  check "main: summary.txt is not empty" test -s "$S/out/summary.txt"
  check_jq "main: first run into a fresh --db: every finding is new" \
    'all(.[]; .state == "new")' "$F"

  # Names are shown as registered; folding is for comparison only.
  check_jq "張偉 and 张伟 are one person, shown as registered, no id_conflict" '
    [.[] | select(.person.id_number == "370102200803151231")] as $x
    | ($x | length) == 1 and $x[0].type == "dual_enrollment"
    and ($x[0].members | map(.name) | sort) == (["张伟", "張偉"] | sort)' "$F"
  check_jq "阿依古丽·买买提 and 阿依古丽•买买提 are one person, shown as registered" '
    [.[] | select(.person.id_number == "650102200907210467")] as $x
    | ($x | map(.type) | sort) == ["double_waiver", "dual_enrollment"]
    and all($x[]; (.members | map(.name) | sort)
                  == (["阿依古丽·买买提", "阿依古丽•买买提"] | sort))' "$F"
  check_jq "the only id_conflict is 赵磊/孙涛" '
    [.[] | select(.type == "id_conflict")] as $x
    | ($x | length) == 1 and $x[0].person.id_number == "371302200801200150"
    and ($x[0].members | map(.name) | sort) == (["孙涛", "赵磊"] | sort)' "$F"
  check_jq "王𠮷 (outside the BMP) survives in person and members" '
    [.[] | select(.person.id_number == "370103200909090664")] as $x
    | ($x | length) == 1 and $x[0].person.name == "王𠮷"
    and all($x[0].members[]; .name == "王𠮷")' "$F"
  check_jq "a quoted school name keeps its comma" '
    [.[] | select(.type == "id_conflict") | .members[]
     | select(.roster == "moe")][0].school_name == "山东省济南商贸学校,历下校区"' "$F"
  check_jq "a quoted school name keeps its embedded newline" '
    [.[] | select(.type == "dual_enrollment" and .scope == "within")
     | .members[] | select(.line == 5)][0].school_name
    == "济南市历城职业中等专业学校\n（东校区）"' "$F"
  check_jq "amounts \"1,000.00\" and ￥1000 read as 1000 (transfer route)" '
    [.[] | select(.type == "double_grant"
                  and .person.id_number == "370602200905120820")] as $x
    | ($x | length) == 1
    and ($x[0].members | map(.grant_amount)) == [1000, 1000]
    and ($x[0].members | map(.status) | sort) == (["在籍", "转学"] | sort)' "$F"
  check_jq "three-roster double grant: 1000 + 750.5 + 1000, 1750.5 at risk" '
    [.[] | select(.type == "double_grant"
                  and .person.id_number == "371425200901300247")] as $x
    | ($x | length) == 1 and $x[0].amount_at_risk == 1750.5
    and ($x[0].members | map(.grant_amount) | sort) == [750.5, 1000, 1000]' "$F"
  check_jq "休学 holds an enrollment (阿依古丽's mohrss record)" '
    [.[] | select(.type == "dual_enrollment"
                  and .person.id_number == "650102200907210467")
     | .members[] | select(.roster == "mohrss")][0].status == "休学"' "$F"
  check_jq "damaged IDs are reported in their cleaned form" '
    [.[] | .person.id_number] as $ids
    | all(("370181200812300572", "370883200904190260", "371102200906030484",
           "37030320080712051X", "370203198506111374"); . as $i | $ids | index([$i]) != null)' "$F"
  check_jq "the one invalid ID (wrong check digit) is kept as the key and says why" '
    [.[] | select(.person.id_valid == false)] as $x
    | ($x | length) == 1 and $x[0].person.id_number == "370725200808180935"
    and ($x[0].person.id_reason | type == "string" and length > 0)' "$F"
  check_jq "valid findings carry no id_reason" \
    'all(.[] | select(.person.id_valid); .person | has("id_reason") | not)' "$F"
  check_jq "amount_at_risk adds up to 6950.5 yuan" \
    '(map(.amount_at_risk) | add) == 6950.5' "$F"
fi

# --- determinism: --threads 1 and --threads 2 -----------------------------
for t in 1 2; do
  run_cc "threads$t" run --db "$S/db_t$t" --period "$PERIOD" --issued "$ISSUED" \
    "${ROSTERS[@]}" --out "$S/out_t$t" --threads "$t"
  check_exit "run with --threads $t succeeds" 0 "$RC" "$S/threads$t.stderr"
  if [ "$RC" = 0 ]; then
    check_run "threads$t" "$S/out_t$t" "$ISSUED" "$DEADLINE" "$PROVISIONAL"
  fi
done
check "findings.jsonl is byte-identical with --threads 1 and --threads 2" \
  cmp "$S/out_t1/findings.jsonl" "$S/out_t2/findings.jsonl"
check "rejects.csv is byte-identical with --threads 1 and --threads 2" \
  cmp "$S/out_t1/rejects.csv" "$S/out_t2/rejects.csv"
check "findings.jsonl is byte-identical with the default threads and --threads 1" \
  cmp "$S/out/findings.jsonl" "$S/out_t1/findings.jsonl"

# --- run restarts itself with its tunables ---------------------------------
# tools/chachong.c: `chachong run` adds glibc.malloc.hugetlb=1 to the
# tunables it was given, and OMP_WAIT_POLICY=PASSIVE when none is set, and
# starts itself again. Seen in the environment of the running process,
# which waits at the open of a FIFO roster until the test has looked
# (glibc rewrites a list of several tunables in place, so the environment
# shows the tunable only when it is the one given). With settings of the
# caller's the run must still succeed, and keep them; the findings must be
# the run's usual ones either way.
# run_waiting NAME ENV...: starts the run with a FIFO roster under `env
# ENV...`, leaves its GLIBC_TUNABLES and OMP_WAIT_POLICY lines in
# $S/NAME.env, feeds the FIFO and leaves the exit code in RC.
run_waiting() {
  local name=$1 pid e=""
  shift
  rm -f "$S/$name.fifo"
  mkfifo "$S/$name.fifo"
  env "$@" "$CC" run --db "$S/db_$name" --period "$PERIOD" --issued "$ISSUED" \
    --roster "moe=$S/$name.fifo" --roster "mohrss=$FX/mohrss.csv" \
    --roster "sd=$FX/provincial.csv" --out "$S/out_$name" --threads 1 \
    >"$S/$name.stdout" 2>"$S/$name.stderr" </dev/null &
  pid=$!
  for _ in $(seq 600); do
    e=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
      grep -a -E '^(GLIBC_TUNABLES|OMP_WAIT_POLICY)=' | sort || true)
    [ "$(grep -c . <<<"$e")" = 2 ] && break
    sleep 0.1
  done
  printf '%s\n' "$e" >"$S/$name.env"
  cat "$FX/moe.csv" >"$S/$name.fifo"
  wait "$pid"
  RC=$?
}
run_waiting thp -u GLIBC_TUNABLES -u OMP_WAIT_POLICY
check "run restarts itself with glibc.malloc.hugetlb=1 and OMP_WAIT_POLICY=PASSIVE" \
  test "$(cat "$S/thp.env")" = "$(printf 'GLIBC_TUNABLES=glibc.malloc.hugetlb=1\nOMP_WAIT_POLICY=PASSIVE')"
check_exit "run after its restart succeeds" 0 "$RC" "$S/thp.stderr"
check "findings.jsonl after the restart is byte-identical to --threads 1's" \
  cmp "$S/out_t1/findings.jsonl" "$S/out_thp/findings.jsonl"
run_waiting thp_own -u GLIBC_TUNABLES OMP_WAIT_POLICY=ACTIVE
check "run keeps the caller's OMP_WAIT_POLICY" \
  test "$(cat "$S/thp_own.env")" = "$(printf 'GLIBC_TUNABLES=glibc.malloc.hugetlb=1\nOMP_WAIT_POLICY=ACTIVE')"
check_exit "run with the caller's OMP_WAIT_POLICY succeeds" 0 "$RC" "$S/thp_own.stderr"
GLIBC_TUNABLES=glibc.malloc.tcache_count=7 run_cc thp2 run --db "$S/db_thp2" \
  --period "$PERIOD" --issued "$ISSUED" "${ROSTERS[@]}" --out "$S/out_thp2" \
  --threads 1
check_exit "run with a tunable of the caller's succeeds" 0 "$RC" "$S/thp2.stderr"
check "findings.jsonl with a tunable of the caller's is byte-identical" \
  cmp "$S/out_t1/findings.jsonl" "$S/out_thp2/findings.jsonl"

# --- the same period again into the same --db ---------------------------
run_cc rerun run --db "$S/db" --period "$PERIOD" --issued "$ISSUED" \
  "${ROSTERS[@]}" --out "$S/out_rerun"
check_exit "re-running the same period into the same --db succeeds" 0 "$RC" "$S/rerun.stderr"
if [ "$RC" = 0 ]; then
  check_run rerun "$S/out_rerun" "$ISSUED" "$DEADLINE" "$PROVISIONAL"
  # The lifecycle state of a re-run is the engine's to decide; everything
  # else, finding_id included, must not move.
  jq -c 'del(.state)' "$S/out/findings.jsonl" >"$S/first.nostate" 2>&1
  jq -c 'del(.state)' "$S/out_rerun/findings.jsonl" >"$S/rerun.nostate" 2>&1
  check_diff "re-run gives the same findings (finding_id, members, deadlines)" \
    "$S/first.nostate" "$S/rerun.nostate"
fi

# --- the other issue dates of expected_deadline.txt ---------------------
for ((i = 1; i < ${#DEADLINES[@]}; i++)); do
  read -r iss dl pv <<<"${DEADLINES[$i]}"
  run_cc "issued$i" run --db "$S/db_issued$i" --period "$PERIOD" --issued "$iss" \
    "${ROSTERS[@]}" --out "$S/out_issued$i"
  check_exit "run issued $iss succeeds" 0 "$RC" "$S/issued$i.stderr"
  if [ "$RC" = 0 ]; then
    check_jq "issued $iss: every deadline is $dl (provisional $pv)" \
      "length > 0 and all(.[]; .issued == \"$iss\" and .deadline == \"$dl\"
                              and .deadline_provisional == $pv)" \
      "$S/out_issued$i/findings.jsonl"
  fi
done

# --- exit codes ---------------------------------------------------------
run_cc usage_none run
check_exit "run without options is a usage error" 2 "$RC"
run_cc usage_bogus run --db "$S/db_u" --period "$PERIOD" "${ROSTERS[@]}" \
  --out "$S/out_u" --no-such-option
check_exit "an unknown option is a usage error" 2 "$RC"
run_cc usage_roster run --db "$S/db_u" --period "$PERIOD" --roster moe \
  --roster "mohrss=$FX/mohrss.csv" --out "$S/out_u"
check_exit "--roster without LABEL=FILE is a usage error" 2 "$RC"
run_cc io_missing run --db "$S/db_io" --period "$PERIOD" --issued "$ISSUED" \
  --roster "moe=$S/no-such-roster.csv" --roster "mohrss=$FX/mohrss.csv" \
  --out "$S/out_io"
check_exit "a roster file that does not exist is bad input" 3 "$RC" "$S/io_missing.stderr"
check_no_ids "error runs print no full ID number" "$S/ids.txt" \
  "$S"/usage_*.stdout "$S"/usage_*.stderr "$S/io_missing.stdout" "$S/io_missing.stderr"

cli_finish
