#!/usr/bin/env bash
# Sets up chachong and runs the monthly cross-check on the bundled fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
rm -rf out/demo-db
./build/chachong run --db out/demo-db --period 2026-09 --issued 2026-09-25 \
  --roster moe=fixtures/run/basic/moe.csv \
  --roster mohrss=fixtures/run/basic/mohrss.csv \
  --roster sd=fixtures/run/basic/provincial.csv \
  --out out/demo
echo
echo "The findings are in out/demo/findings.jsonl (one JSON object per line);"
echo "rejected rows in out/demo/rejects.csv, invalid ID numbers in out/demo/invalid_ids.csv."
