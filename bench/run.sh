#!/usr/bin/env bash
# End-to-end benchmark: generate rosters, run the monthly check, report
# seconds and records per second per stage, and peak resident memory.
#
#   bash bench/run.sh [MOE_RECORDS] [MOHRSS_RECORDS] [THREADS...]
#   (default: 750000 250000, threads "2 1")
# Needs a Release build in build/ (bash scripts/setup.sh). Data go to
# ${BENCH_DIR:-/tmp/chachong-bench}. The database is fsync'ed at commit as in
# production; set BENCH_NO_SYNC=1 to add --no-sync. BENCH_FLAGS adds options
# to chachong run (e.g. --no-fuzzy); BENCH_GEN adds options to gen_roster
# (e.g. "--gb18030 mohrss") and names its own data directory.
#
# BENCH_REPEAT=N runs every thread count N times, interleaved (2 1 2 1 ...),
# and reports the median of each stage and the scaling between medians: on
# a shared machine one run can be slowed as a whole by its neighbours, and a
# ratio of two single runs then says more about them than about chachong.
set -euo pipefail
cd "$(dirname "$0")/.."
moe=${1:-750000}
mohrss=${2:-250000}
shift $(( $# > 2 ? 2 : $# ))
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(2 1)
repeat=${BENCH_REPEAT:-1}
gen_args=${BENCH_GEN:-}
dir=${BENCH_DIR:-/tmp/chachong-bench}/$moe-$mohrss${gen_args:+-$(echo "$gen_args" | tr -c 'a-z0-9' '_')}
mkdir -p "$dir"
if [ ! -f "$dir/gen/expected_findings.txt" ]; then
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  ./build/gen_roster --out "$dir/gen" --seed 20261122 --moe "$moe" --mohrss "$mohrss" $gen_args >/dev/null
  echo "generated $moe + $mohrss records in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
fi
total=$((moe + mohrss))
sync_flag=()
[ "${BENCH_NO_SYNC:-0}" = 1 ] && sync_flag=(--no-sync)
read -r -a extra <<<"${BENCH_FLAGS:-}"
declare -A runs checked
rate() { awk -v n="$total" -v s="$1" 'BEGIN { if (s > 0) printf "%.1f M/s", n / s / 1e6; else print "-" }'; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
for ((r = 1; r <= repeat; r++)); do
  for t in "${threads[@]}"; do
    rm -rf "$dir/db" "$dir/out"
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    # Warm the page cache the same way for every thread count.
    cat "$dir/gen/"*.csv >/dev/null
    /usr/bin/time -f '%e %M' -o "$dir/time.txt" ./build/chachong run --quiet \
      --db "$dir/db" --period 2026-11 --issued 2026-11-23 \
      --roster moe="$dir/gen/moe.csv" --roster mohrss="$dir/gen/mohrss.csv" \
      --out "$dir/out" --threads "$t" "${sync_flag[@]}" "${extra[@]}"
    read -r wall rss < "$dir/time.txt"
    line=$(grep '^time:' "$dir/out/summary.txt")
    ing=$(sed -E 's/.*ingest\+normalize ([0-9.]+) s.*/\1/' <<<"$line")
    idx=$(sed -E 's/.*index ([0-9.]+) s.*/\1/' <<<"$line")
    cmp=$(sed -E 's/.*compare ([0-9.]+) s.*/\1/' <<<"$line")
    emt=$(sed -E 's/.*emit ([0-9.]+) s.*/\1/' <<<"$line")
    fuz=$(sed -E 's/.*fuzzy ([0-9.]+) s.*/\1/' <<<"$line")
    tot=$(sed -E 's/.*total ([0-9.]+) s.*/\1/' <<<"$line")
    # The summary is written before the period is published (one LMDB
    # transaction with an fsync) and before the process lets go of its
    # memory: that tail is the wall time past the summary's total.
    pub=$(awk -v w="$wall" -v t="$tot" 'BEGIN { printf "%.2f", w - t }')
    findings=$(wc -l < "$dir/out/findings.jsonl")
    runs[$t]+="$ing $idx $cmp $fuz $emt $pub $wall $((rss / 1024))"$'\n'
    if [ "$repeat" -gt 1 ]; then
      printf 'run %d threads=%s: wall %ss, ingest %ss, index %ss, compare %ss, fuzzy %ss, emit %ss, publish+exit %ss, peak %sMB\n' \
        "$r" "$t" "$wall" "$ing" "$idx" "$cmp" "$fuz" "$emt" "$pub" "$((rss / 1024))"
    fi
    # The findings are checked once per thread count.
    if [ -z "${checked[$t]:-}" ]; then
      checked[$t]=1
      bash tests/cli/project.sh --exact "$dir/out/findings.jsonl" > "$dir/proj.txt"
      if cmp -s "$dir/proj.txt" "$dir/gen/expected_findings.txt"; then
        checked[$t]="$findings findings, equal to the generator's expected findings"
      else
        checked[$t]="$findings findings, DIFFERENT from the generator's expected findings"
      fi
    fi
  done
done
# Median of every column over the runs of each thread count.
declare -A med
for t in "${threads[@]}"; do
  med[$t]=$(printf '%s' "${runs[$t]}" | awk '
    { for (i = 1; i <= NF; i++) v[i, NR] = $i; nf = NF; n = NR }
    END {
      for (i = 1; i <= nf; i++) {
        for (a = 1; a <= n; a++) c[a] = v[i, a];
        for (a = 2; a <= n; a++) { x = c[a]; for (b = a - 1; b >= 1 && c[b] > x; b--) c[b + 1] = c[b]; c[b + 1] = x }
        m = n % 2 ? c[(n + 1) / 2] : (c[n / 2] + c[n / 2 + 1]) / 2;
        printf "%s%.2f", (i > 1 ? " " : ""), m
      }
    }')
  read -r ing idx cmp fuz emt pub wall rss <<<"${med[$t]}"
  label=""
  [ "$repeat" -gt 1 ] && label=" (median of $repeat runs)"
  printf 'threads=%s records=%s wall=%ss peak_rss=%sMB%s\n' "$t" "$total" "$wall" "${rss%.*}" "$label"
  printf '  ingest+normalize %6ss %10s\n  index            %6ss %10s\n  compare          %6ss %10s\n  fuzzy            %6ss %10s\n  emit             %6ss %10s\n  publish+exit     %6ss\n' \
    "$ing" "$(rate "$ing")" "$idx" "$(rate "$idx")" "$cmp" "$(rate "$cmp")" \
    "$fuz" "$(rate "$fuz")" "$emt" "$(rate "$emt")" "$pub"
  echo "  ${checked[$t]}"
done
if [ -n "${med[1]:-}" ] && [ -n "${med[2]:-}" ]; then
  # Speed-up from 1 to 2 threads, stage by stage.
  awk -v one="${med[1]}" -v two="${med[2]}" 'BEGIN {
    split(one, a, " "); split(two, b, " ");
    n = split("ingest+normalize index compare fuzzy emit", name, " ");
    printf "scaling 1 -> 2 threads:";
    for (i = 1; i <= n; i++)
      if (b[i] > 0) printf " %s %.2fx", name[i], a[i] / b[i];
    printf " wall %.2fx\n", a[7] / b[7] }'
fi
