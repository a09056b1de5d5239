#!/usr/bin/env bash
# The service under load (issue 14): wrk with 64 connections against
# chachong serve, the pre-registration check and a 50-item findings page,
# while `chachong run` publishes a new period into the same database.
#
#   bash bench/serve.sh [MOE_RECORDS] [MOHRSS_RECORDS] [SECONDS]
#   (default: 750000 250000 20)
# Needs a Release build in build/ and wrk (Debian: wrk). Data go to
# ${BENCH_DIR:-/tmp/chachong-bench}/serve-MOE-MOHRSS. The load generator
# runs on the same machine (2 cores here): its share of the CPU is part of
# the figures. Each call is authenticated with an API token and writes its
# audit entry (an fsync'ed LMDB commit) before it answers, as in production.
set -euo pipefail
cd "$(dirname "$0")/.."
moe=${1:-750000}
mohrss=${2:-250000}
secs=${3:-20}
dir=${BENCH_DIR:-/tmp/chachong-bench}/serve-$moe-$mohrss
command -v wrk >/dev/null || { echo "bench/serve.sh: wrk is needed (apt-get install wrk)" >&2; exit 2; }
rm -rf "$dir/db" "$dir/out" "$dir/out2"
mkdir -p "$dir"
if [ ! -f "$dir/gen/expected_findings.txt" ]; then
  ./build/gen_roster --out "$dir/gen" --seed 20261122 --moe "$moe" --mohrss "$mohrss" \
    --period 2026-10 >/dev/null
  ./build/gen_roster --out "$dir/gen2" --seed 20261123 --moe "$moe" --mohrss "$mohrss" \
    --period 2026-11 >/dev/null
fi
./build/chachong run --db "$dir/db" --period 2026-10 --roster moe="$dir/gen/moe.csv" \
  --roster mohrss="$dir/gen/mohrss.csv" --out "$dir/out" --quiet >/dev/null
echo "bench-national-pass" | ./build/chachong user add --db "$dir/db" bench --role national 2>/dev/null
token=$(./build/chachong user token --db "$dir/db" bench 2>/dev/null)
# an ID that holds enrollments: the first record of the MOE roster
id=$(awk -F, 'NR == 2 { gsub(/[^0-9X]/, "", $1); print $1; exit }' "$dir/gen/moe.csv")
port=18999
./build/chachong serve --db "$dir/db" --listen 127.0.0.1:$port 2>"$dir/serve.log" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null || true' EXIT
sleep 1
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/findings?per_page=1" >/dev/null
echo "machine: $(nproc) cores; $moe + $mohrss records; $secs s per call, 64 connections"
# the second period is published during the first measurement
( sleep 2; ./build/chachong run --db "$dir/db" --period 2026-11 --roster moe="$dir/gen2/moe.csv" \
    --roster mohrss="$dir/gen2/mohrss.csv" --out "$dir/out2" --quiet >/dev/null 2>"$dir/run2.log";
  echo "run of 2026-11 published: exit $?" ) &
run=$!
for url in "/api/v1/check?id=$id" "/api/v1/findings?per_page=50&page=3"; do
  echo "== GET $url"
  wrk -t2 -c64 -d"${secs}s" --timeout 30s --latency -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port$url" | grep -E "Requests/sec|Latency |99%|50%|Non-2xx|Socket errors|requests in"
done
wait $run
curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/periods"; echo
