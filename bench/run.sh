#!/usr/bin/env bash
# End-to-end benchmark: generate rosters, run the monthly check, report per
# stage wall, user and system seconds, page faults and bytes written (the
# "stage:" lines of summary.txt), peak resident memory, and the same files
# through the DuckDB peer (../shared/peers/duckdb) right after chachong, with
# the ratio of the medians.
#
#   bash bench/run.sh [MOE_RECORDS] [MOHRSS_RECORDS] [THREADS...]
#   (default: 750000 250000, threads "2 1")
# Needs a Release build in build/ (bash scripts/setup.sh). Data go to
# ${BENCH_DIR:-/tmp/chachong-bench}. The database is fsync'ed at commit as in
# production; set BENCH_NO_SYNC=1 to add --no-sync. BENCH_FLAGS adds options
# to chachong run (e.g. --no-fuzzy); BENCH_GEN adds options to gen_roster
# (e.g. "--gb18030 mohrss") and names its own data directory. BENCH_DATA=DIR
# takes moe.csv and mohrss.csv (and expected_findings.txt) from DIR instead
# of generating them; BENCH_BIN runs another chachong binary (a baseline);
# BENCH_CHECK=0 skips comparing the findings with the generator's (jq over
# 1.3 GB of findings at national scale takes minutes on a busy machine).
# BENCH_FLATTEN=1 runs both programs on copies of the rosters whose quoted
# line feeds are made spaces (build/bench/flatten_csv; beside the data, as
# flat/): DuckDB's parallel CSV reader refuses a quoted line feed where it
# cuts a file, which it met in every 17.5M roster of the generator; the
# findings are then not compared with the generator's (lines move).
#
# BENCH_REPEAT=N runs every thread count N times, interleaved (2 1 2 1 ...),
# and reports the median of each figure and the scaling between medians: on
# a shared machine one run can be slowed as a whole by its neighbours, and a
# ratio of two single runs then says more about them than about chachong.
#
# DuckDB runs once per repetition, right after chachong's first thread count
# and with as many threads, on the same files: node with
# ${BENCH_DUCKDB:-/tmp/peer-duckdb/duckdb_baseline.mjs} (install it as the
# peer's README says; BENCH_DUCKDB=none skips it). The ratio printed is
# chachong's median wall over DuckDB's: an absolute time says little about
# the next machine, the ratio to a peer run in the same minutes does.
#
# When `perf stat` can count instructions here, every chachong run is wrapped
# in it and its counters are reported too (medians).
set -euo pipefail
cd "$(dirname "$0")/.."
moe=${1:-750000}
mohrss=${2:-250000}
shift $(( $# > 2 ? 2 : $# ))
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(2 1)
repeat=${BENCH_REPEAT:-1}
gen_args=${BENCH_GEN:-}
bin=${BENCH_BIN:-./build/chachong}
duck=${BENCH_DUCKDB:-/tmp/peer-duckdb/duckdb_baseline.mjs}
dir=${BENCH_DIR:-/tmp/chachong-bench}/$moe-$mohrss${gen_args:+-$(echo "$gen_args" | tr -c 'a-z0-9' '_')}
mkdir -p "$dir"
if [ -n "${BENCH_DATA:-}" ]; then
  data=$BENCH_DATA
else
  data=$dir/gen
  if [ ! -f "$data/expected_findings.txt" ]; then
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    ./build/gen_roster --out "$data" --seed 20261122 --moe "$moe" --mohrss "$mohrss" $gen_args >/dev/null
    echo "generated $moe + $mohrss records in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  fi
fi
if [ "${BENCH_FLATTEN:-0}" = 1 ]; then
  flat=$dir/flat
  mkdir -p "$flat"
  for f in moe mohrss; do
    [ -s "$flat/$f.csv" ] || ./build/bench/flatten_csv <"$data/$f.csv" >"$flat/$f.csv"
  done
  data=$flat
  BENCH_CHECK=0
fi
total=$((moe + mohrss))
sync_flag=()
[ "${BENCH_NO_SYNC:-0}" = 1 ] && sync_flag=(--no-sync)
read -r -a extra <<<"${BENCH_FLAGS:-}"
if [ "$duck" != none ] && ! { [ -f "$duck" ] && command -v node >/dev/null; }; then
  echo "DuckDB peer not found at $duck (or no node): running chachong alone"
  duck=none
fi
# perf stat: software counters always, instructions and cycles where the
# machine counts them (many virtual machines do not).
perf_events=""
if command -v perf >/dev/null && perf stat -x, -e task-clock true >/dev/null 2>&1; then
  perf_events=task-clock,context-switches,cpu-migrations,page-faults
  if perf stat -x, -e instructions true 2>&1 >/dev/null | grep -q '^[0-9]'; then
    perf_events+=,instructions,cycles
  fi
fi
stages=(setup ingest+normalize index compare fuzzy emit)
declare -A runs checked
rate() { awk -v n="$total" -v s="$1" 'BEGIN { if (s > 0) printf "%.1f M/s", n / s / 1e6; else print "-" }'; }
# Median of every column of the lines on stdin.
median() {
  awk '
    { for (i = 1; i <= NF; i++) v[i, NR] = $i; nf = NF; n = NR }
    END {
      for (i = 1; i <= nf; i++) {
        for (a = 1; a <= n; a++) c[a] = v[i, a];
        for (a = 2; a <= n; a++) { x = c[a]; for (b = a - 1; b >= 1 && c[b] > x; b--) c[b + 1] = c[b]; c[b + 1] = x }
        m = n % 2 ? c[(n + 1) / 2] : (c[n / 2] + c[n / 2 + 1]) / 2;
        printf "%s%.2f", (i > 1 ? " " : ""), m
      }
    }'
}
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "start: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg); THP $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo '?')"
[ -n "$perf_events" ] && echo "perf stat: $perf_events" || echo "perf stat: not available"
duck_runs=""
for ((r = 1; r <= repeat; r++)); do
  for t in "${threads[@]}"; do
    rm -rf "$dir/db" "$dir/out"
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    # Warm the page cache the same way for every run, DuckDB's too.
    cat "$data/"*.csv >/dev/null
    wrap=()
    [ -n "$perf_events" ] && wrap=(perf stat -x, -e "$perf_events" -o "$dir/perf.txt" --)
    /usr/bin/time -f '%e %M %U %S %R %F %O' -o "$dir/time.txt" "${wrap[@]}" "$bin" run --quiet \
      --db "$dir/db" --period 2026-11 --issued 2026-11-23 \
      --roster moe="$data/moe.csv" --roster mohrss="$data/mohrss.csv" \
      --out "$dir/out" --threads "$t" "${sync_flag[@]}" "${extra[@]}"
    read -r wall rss puser psys pmin pmaj pout < "$dir/time.txt"
    line=$(grep '^time:' "$dir/out/summary.txt")
    tot=$(sed -E 's/.*total ([0-9.]+) s.*/\1/' <<<"$line")
    # Per stage: wall user sys minor major written. A binary without the
    # "stage:" lines (an older baseline) gives the time: line's walls only.
    cols=""
    for s in "${stages[@]}"; do
      v=$(awk -v s="$s" '$1 == "stage:" && $2 == s { print $4, $7, $10, $13, $15, $18 }' "$dir/out/summary.txt")
      if [ -z "$v" ]; then
        w=0
        [ "$s" != setup ] && w=$(sed -E "s/.*${s/+/\\+} ([0-9.]+) s.*/\\1/" <<<"$line")
        v="$w 0 0 0 0 0"
      fi
      cols+="$v "
    done
    # The summary is written before the period is published (one LMDB
    # transaction with an fsync) and before the process lets go of its
    # memory: that tail is the wall time past the summary's total.
    pub=$(awk -v w="$wall" -v t="$tot" 'BEGIN { printf "%.2f", w - t }')
    perf_cols="0 0 0 0 0 0"
    if [ -n "$perf_events" ]; then
      perf_cols=$(awk -F, '
        $3 == "task-clock" { v[1] = $1 } $3 == "context-switches" { v[2] = $1 }
        $3 == "cpu-migrations" { v[3] = $1 } $3 == "page-faults" { v[4] = $1 }
        $3 == "instructions" { v[5] = $1 } $3 == "cycles" { v[6] = $1 }
        END { for (i = 1; i <= 6; i++) printf "%s%s", (i > 1 ? " " : ""), (v[i] ~ /^[0-9.]+$/ ? v[i] : 0) }' "$dir/perf.txt")
    fi
    findings=$(wc -l < "$dir/out/findings.jsonl")
    dbfile=$(stat -c %s "$dir/db/data.mdb" 2>/dev/null || echo 0)
    runs[$t]+="$cols$pub $wall $((rss / 1024)) $puser $psys $pmin $pmaj $((pout * 512)) $perf_cols $dbfile"$'\n'
    if [ "$repeat" -gt 1 ]; then
      printf 'run %d threads=%s: wall %ss (user %ss, sys %ss, %s minor faults), ingest %ss, index %ss, compare %ss, fuzzy %ss, emit %ss, publish+exit %ss, peak %sMB\n' \
        "$r" "$t" "$wall" "$puser" "$psys" "$pmin" $(awk '{ print $7, $13, $19, $25, $31 }' <<<"$cols") "$pub" "$((rss / 1024))"
    fi
    # The findings are checked once per thread count.
    if [ -z "${checked[$t]:-}" ]; then
      checked[$t]=1
      if [ "${BENCH_CHECK:-1}" = 0 ]; then
        checked[$t]="$findings findings (not compared: BENCH_CHECK=0)"
      elif [ -f "$data/expected_findings.txt" ]; then
        bash tests/cli/project.sh --exact "$dir/out/findings.jsonl" > "$dir/proj.txt"
        if cmp -s "$dir/proj.txt" "$data/expected_findings.txt"; then
          checked[$t]="$findings findings, equal to the generator's expected findings"
        else
          checked[$t]="$findings findings, DIFFERENT from the generator's expected findings"
        fi
      else
        checked[$t]="$findings findings (no expected_findings.txt to compare with)"
      fi
    fi
    if [ "$duck" != none ] && [ "$t" = "${threads[0]}" ]; then
      rm -f "$dir/duckdb.jsonl"
      cat "$data/"*.csv >/dev/null
      if ! /usr/bin/time -f '%e %M %U %S %R %F %O' -o "$dir/duck_time.txt" \
        node "$duck" "$data/moe.csv" "$data/mohrss.csv" "$dir/duckdb.jsonl" --threads "$t" \
        >"$dir/duck_out.txt" 2>"$dir/duck_err.txt"; then
        # DuckDB's CSV reader refuses some files chachong reads (its
        # parallel scanner and a quoted line break, for one): no ratio then.
        echo "DuckDB failed on these files ($(grep -m1 -o 'Error: .*' "$dir/duck_err.txt" | cut -c1-120)); see $dir/duck_err.txt"
        duck=none
        duck_runs=""
        continue
      fi
      read -r dwall drss duser dsys dmin dmaj dout < "$dir/duck_time.txt"
      dph=$(awk '{ v[$1] = $2 } END { printf "%s %s %s %s", v["load"] + 0, v["normalize"] + 0, v["join"] + 0, v["write"] + 0 }' "$dir/duck_err.txt")
      duck_runs+="$dwall $((drss / 1024)) $duser $dsys $dmin $dmaj $((dout * 512)) $dph"$'\n'
      rm -f "$dir/duckdb.jsonl"
      if [ "$repeat" -gt 1 ]; then
        printf 'run %d duckdb threads=%s: wall %ss (user %ss, sys %ss, %s minor faults), peak %sMB\n' \
          "$r" "$t" "$dwall" "$duser" "$dsys" "$dmin" "$((drss / 1024))"
      fi
    fi
  done
done
echo "end: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A med
label=""
[ "$repeat" -gt 1 ] && label=" (median of $repeat runs)"
for t in "${threads[@]}"; do
  med[$t]=$(printf '%s' "${runs[$t]}" | median)
  read -r -a m <<<"${med[$t]}"
  # Columns: 6 stages x (wall user sys minor major written), then publish,
  # wall, peak MB, user, sys, minor, major, written, perf's six, and the
  # size of data.mdb.
  printf 'threads=%s records=%s wall=%ss peak_rss=%sMB%s\n' "$t" "$total" "${m[37]}" "${m[38]%.*}" "$label"
  printf '  %-17s %7s %7s %7s %12s %6s %14s %10s\n' stage wall user sys minor-faults major written rate
  for i in "${!stages[@]}"; do
    b=$((i * 6))
    printf '  %-17s %6ss %6ss %6ss %12.0f %6.0f %14.0f %10s\n' "${stages[$i]}" "${m[b]}" "${m[b + 1]}" \
      "${m[b + 2]}" "${m[b + 3]}" "${m[b + 4]}" "${m[b + 5]}" "$([ "$i" = 0 ] && echo - || rate "${m[b]}")"
  done
  printf '  %-17s %6ss\n' publish+exit "${m[36]}"
  printf '  %-17s %6ss %6ss %6ss %12.0f %6.0f %14.0f   %.0f bytes per record\n' process "${m[37]}" \
    "${m[39]}" "${m[40]}" "${m[41]}" "${m[42]}" "${m[43]}" "$(awk -v b="${m[43]}" -v n="$total" 'BEGIN { print b / n }')"
  # What reaches the database: ingest appends records (LMDB keeps the
  # dirty pages until the commit), index writes them with the idx and blk
  # entries; publish (past the summary) stores the findings.
  awk -v i="${m[11]}" -v x="${m[17]}" -v all="${m[43]}" -v st="${m[5]} ${m[11]} ${m[17]} ${m[23]} ${m[29]} ${m[35]}" \
      -v f="${m[50]}" -v n="$total" 'BEGIN {
    split(st, s, " "); t = 0; for (k in s) t += s[k];
    printf "  database: %.0f MB written by ingest+index, %.0f bytes per record; %.0f MB after the summary (publish); data.mdb %.0f MB, %.0f bytes per record\n",
      (i + x) / 1e6, (i + x) / n, (all - t) / 1e6, f / 1e6, f / n }'
  if [ -n "$perf_events" ]; then
    printf '  perf stat: task-clock %.0f ms, context-switches %.0f, cpu-migrations %.0f, page-faults %.0f' \
      "${m[44]}" "${m[45]}" "${m[46]}" "${m[47]}"
    [[ $perf_events == *instructions* ]] && printf ', instructions %.0f, cycles %.0f' "${m[48]}" "${m[49]}"
    echo
  fi
  echo "  ${checked[$t]}"
done
if [ -n "$duck_runs" ]; then
  read -r dwall drss duser dsys dmin dmaj dout dload dnorm djoin dwrite <<<"$(printf '%s' "$duck_runs" | median)"
  printf 'duckdb threads=%s wall=%ss peak_rss=%sMB%s: user %ss, sys %ss, %.0f minor faults, %.0f bytes written; load %ss, normalize %ss, join %ss, write %ss\n' \
    "${threads[0]}" "$dwall" "${drss%.*}" "$label" "$duser" "$dsys" "$dmin" "$dout" "$dload" "$dnorm" "$djoin" "$dwrite"
  for t in "${threads[@]}"; do
    read -r -a m <<<"${med[$t]}"
    awk -v t="$t" -v dt="${threads[0]}" -v w="${m[37]}" -v c="$(awk -v u="${m[39]}" -v s="${m[40]}" 'BEGIN { print u + s }')" \
      -v dw="$dwall" -v dc="$(awk -v u="$duser" -v s="$dsys" 'BEGIN { print u + s }')" \
      'BEGIN { printf "ratio chachong threads=%s / duckdb threads=%s (medians): wall %.2f, cpu (user+sys) %.2f\n", t, dt, w / dw, c / dc }'
  done
fi
if [ -n "${med[1]:-}" ] && [ -n "${med[2]:-}" ]; then
  # Speed-up from 1 to 2 threads, stage by stage.
  awk -v one="${med[1]}" -v two="${med[2]}" 'BEGIN {
    split(one, a, " "); split(two, b, " ");
    n = split("ingest+normalize index compare fuzzy emit", name, " ");
    printf "scaling 1 -> 2 threads:";
    for (i = 1; i <= n; i++)
      if (b[i * 6 + 1] > 0) printf " %s %.2fx", name[i], a[i * 6 + 1] / b[i * 6 + 1];
    printf " wall %.2fx\n", a[38] / b[38] }'
fi
