#!/usr/bin/env bash
# The service under load (issue 14): wrk with 64 connections against
# chachong serve, the pre-registration check and a 50-item findings page,
# while `chachong run` publishes a new period into the same database.
#
#   bash bench/serve.sh [MOE_RECORDS] [MOHRSS_RECORDS] [SECONDS]
#   (default: 13000000 4500000 20, the national workload)
# BENCH_SERVE_FLAGS adds options to chachong serve (e.g. --audit-durable).
# Needs a Release build in build/ and wrk (Debian: wrk). Data go to
# ${BENCH_DIR:-/tmp/chachong-bench}/serve-MOE-MOHRSS (the generated rosters
# are kept for the next time). The load generator runs on the same machine
# (2 cores here): its share of the CPU is part of the figures. Each call is
# authenticated with an API token and its audit entry is written (group
# commit into audit-serve.log, synced right behind) before it is answered,
# as in production.
#
# Steps: period 2026-10 is run (its wall time T is taken) and the service
# started. Then the check is measured in a burst that holds the whole of a
# run of period 2026-11 into the same database, from its start to 2 s after
# it has published (wrk stopped by SIGINT); then the findings page just
# after it (the new period loaded by the first request); the findings page
# in a burst that holds a run of period 2026-12 (the rosters of 2026-10
# again); and the check without a run, SECONDS long. The check asks for
# 2,000 different IDs of the 2026-11 rosters in turn (bench/serve_ids.lua).
# Last, the entries the service wrote are counted against the answers wrk
# received.
set -euo pipefail
cd "$(dirname "$0")/.."
moe=${1:-13000000}
mohrss=${2:-4500000}
secs=${3:-20}
dir=${BENCH_DIR:-/tmp/chachong-bench}/serve-$moe-$mohrss
command -v wrk >/dev/null || { echo "bench/serve.sh: wrk is needed (apt-get install wrk)" >&2; exit 2; }
rm -rf "$dir/db" "$dir/out" "$dir/out2" "$dir/out3" "$dir/run2.log"
mkdir -p "$dir"
if [ ! -f "$dir/gen2/expected_findings.txt" ]; then
  ./build/gen_roster --out "$dir/gen" --seed 20261122 --moe "$moe" --mohrss "$mohrss" \
    --period 2026-10 >/dev/null
  ./build/gen_roster --out "$dir/gen2" --seed 20261123 --moe "$moe" --mohrss "$mohrss" \
    --period 2026-11 >/dev/null
fi
t0=$(date +%s.%N)
./build/chachong run --db "$dir/db" --period 2026-10 --roster moe="$dir/gen/moe.csv" \
  --roster mohrss="$dir/gen/mohrss.csv" --out "$dir/out" --quiet >/dev/null
run_secs=$(echo "$(date +%s.%N) - $t0" | bc)
echo "bench-national-pass" | ./build/chachong user add --db "$dir/db" bench --role national 2>/dev/null
token=$(./build/chachong user token --db "$dir/db" bench 2>/dev/null)
# 2,000 IDs of the 2026-11 rosters (cleaned as the check cleans them)
awk -F, 'NR > 1 && NR % 97 == 0 { gsub(/[^0-9Xx]/, "", $1)
                                  if (length($1) == 18) { print $1; if (++n == 2000) exit } }' \
  "$dir/gen2/moe.csv" >"$dir/ids.txt"
port=18999
read -r -a serve_flags <<<"${BENCH_SERVE_FLAGS:-}"
# The 64 connections stand for 64 clients; here they come from one address,
# as does the script's own curl: the limit per address (default 64) is
# raised so that a connection the service has not yet reaped (its worker
# busy loading a new period) does not make it turn wrk's away.
./build/chachong serve --db "$dir/db" --listen 127.0.0.1:$port --per-ip-connections 128 \
  "${serve_flags[@]}" 2>"$dir/serve.log" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null || true' EXIT
sleep 1
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/findings?per_page=1" >/dev/null
echo "$(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores; $moe + $mohrss records;" \
  "$secs s per burst, 64 connections; run of 2026-10: $run_secs s;" \
  "serve ${BENCH_SERVE_FLAGS:-(no flags)}"

answered=0 errors=0
# wrk_args URL [lua] [SECONDS]: the arguments of one burst of 64
# connections, into the array args (0 seconds: an hour, for a burst ended
# by SIGINT, when wrk prints what it measured).
wrk_args() {
  local d=${3:-$secs}
  [ "$d" = 0 ] && d=3600
  args=(-t2 -c64 -d"${d}s" --timeout 30s --latency)
  [ -n "${2:-}" ] && args+=(-s "$2")
  args+=(-H "Authorization: Bearer $token" "http://127.0.0.1:$port$1")
}
# report OUTPUT: the lines of wrk's output that matter, and the answers.
report() {
  echo "$1" | grep -E "Requests/sec|Latency |99%|50%|Non-2xx|Socket errors|requests in"
  if echo "$1" | grep -q -E "Non-2xx|Socket errors"; then
    echo "   ERRORS (see above)"
    errors=1
  fi
  answered=$((answered + $(echo "$1" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')))
}
burst() { # burst LABEL URL [lua]
  echo "== $1 (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  wrk_args "$2" "${3:-}"
  report "$(IDS="$dir/ids.txt" wrk "${args[@]}")"
}

# A burst that holds the whole of a run: wrk starts with the run and is
# stopped (SIGINT) 2 s after the run has published.
# during PERIOD ROSTERS_DIR OUT_DIR LABEL URL [lua]
during() {
  local period=$1 rosters=$2 out=$3 run w t0 t1 rc=0
  echo "== $4 (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  wrk_args "$5" "${6:-}" 0
  IDS="$dir/ids.txt" wrk "${args[@]}" >"$dir/wrk.out" &
  w=$! # wrk itself: a background job's shell would ignore SIGINT
  sleep 0.5
  t0=$(date +%s.%N)
  ./build/chachong run --db "$dir/db" --period "$period" \
    --roster moe="$rosters/moe.csv" --roster mohrss="$rosters/mohrss.csv" \
    --out "$out" --quiet >/dev/null 2>>"$dir/run2.log" || rc=$?
  t1=$(date +%s.%N)
  sleep 2
  kill -INT $w
  wait $w || true
  echo "   (run of $period inside the burst: exit $rc, published $(echo "$t1 - $t0" | bc) s after its start)"
  report "$(cat "$dir/wrk.out")"
}

# Period 2026-11 is published during the check's first burst, 2026-12
# (the rosters of 2026-10 again) during the findings page's.
during 2026-11 "$dir/gen2" "$dir/out2" \
  "GET /api/v1/check?id=… (2,000 IDs), run publishing meanwhile" "/api/v1/check" bench/serve_ids.lua
burst "GET /api/v1/findings?per_page=50&page=3 (just after the run)" "/api/v1/findings?per_page=50&page=3"
during 2026-12 "$dir/gen" "$dir/out3" \
  "GET /api/v1/findings?per_page=50&page=3, run publishing meanwhile" "/api/v1/findings?per_page=50&page=3"
curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/periods" ||
  { echo "   ERROR: the periods call failed (curl exit $?)"; errors=1; }
echo
burst "GET /api/v1/check?id=… (2,000 IDs), no run" "/api/v1/check" bench/serve_ids.lua

# One entry per answered call: wrk counts the answers it read; the service
# may also have answered up to 64 calls whose answers wrk did not wait for
# at the end of a burst (64 connections x 4 bursts at most).
kill $srv; wait $srv 2>/dev/null || true
trap - EXIT
entries=$(./build/chachong audit --db "$dir/db" 2>"$dir/audit.err" |
  awk -F'\t' '$2 == "bench" && $3 == "serve" && $5 ~ /^GET \/api\/v1\/(check|findings)/' | wc -l)
echo "audit: $entries entries of the service's calls; wrk read $answered answers" \
  "(entries - answers = $((entries - answered)), 0 to $((4 * 64)) expected);" \
  "$(wc -c <"$dir/db/audit-serve.log") bytes in audit-serve.log"
[ -s "$dir/audit.err" ] && { echo "audit warned:"; cat "$dir/audit.err"; }
if [ "$errors" = 1 ]; then
  echo "bench/serve.sh: errors (above)" >&2
  exit 1
fi
if [ "$entries" -lt "$answered" ] || [ $((entries - answered)) -gt $((4 * 64)) ]; then
  echo "bench/serve.sh: the audit store does not hold one entry per answered call" >&2
  exit 1
fi
