#!/usr/bin/env bash
# The test projection of docs/RULES.md ("Projection (for tests)").
#
#   project.sh FINDINGS.jsonl          one line per finding:
#       <type> <scope> <valid|invalid> <amount_at_risk> <roster>:<line>[,...]
#     members sorted by roster label (bytewise) then line (numeric); amounts
#     in yuan without trailing zeros (1000, 1500.5, 0.25).
#   project.sh --exact FINDINGS.jsonl  the same, exact-tier duplicate findings
#     only (match.basis id_exact and no policy reason: what the generator's
#     expected_findings.txt holds)
#   project.sh --policy FINDINGS.jsonl policy findings only (SPEC 3.2):
#       <type> <reason> <valid|invalid> <amount_at_risk> <roster>:<line>[,...]
#   project.sh --duplicates FINDINGS.jsonl every finding but the policy ones
#   project.sh --fuzzy FINDINGS.jsonl  fuzzy-tier findings only, one line each:
#       <type> <basis> <roster>:<line>[,...]
#   project.sh --rejects REJECTS.csv   one line per reject: <roster>:<line> <code>
#
# Output is sorted bytewise (LC_ALL=C sort). Exit status is non-zero when the
# input cannot be read or a finding lacks a field the projection needs, so a
# malformed findings.jsonl fails the test instead of projecting to nothing.
# Needs jq; the rejects mode uses python3's csv module when present and a
# byte-wise RFC 4180 reader in awk otherwise (quoted fields, "" escapes,
# embedded commas and newlines, CRLF).
set -euo pipefail

usage() {
  echo "usage: project.sh FINDINGS.jsonl | project.sh --rejects REJECTS.csv" >&2
  exit 2
}

# Yuan from a JSON number, without trailing zeros. jq 1.6 and 1.7 print
# numbers differently (1.7 keeps literals such as 1000.0), so the amount is
# printed from integer cents.
JQ_YUAN='
    def yuan: (. * 100 | round) as $c
      | ($c / 100 | floor) as $i | ($c - $i * 100) as $f
      | if $f == 0 then "\($i)"
        elif ($f % 10) == 0 then "\($i).\($f / 10)"
        elif $f < 10 then "\($i).0\($f)"
        else "\($i).\($f)" end;'

project_findings() {
  local file=$1 filter=${2:-.}
  command -v jq >/dev/null 2>&1 || { echo "project.sh: jq not found" >&2; exit 2; }
  [ -r "$file" ] || { echo "project.sh: cannot read $file" >&2; exit 1; }
  jq -r '
    def need($k): if has($k) and .[$k] != null then .[$k]
                  else error("finding without \($k)") end;
    '"$JQ_YUAN"'
    select('"$filter"')
    | (need("person") | need("id_valid")) as $v
    | [ need("type"), need("scope"),
        (if $v == true then "valid" elif $v == false then "invalid"
         else error("id_valid is not a boolean") end),
        (need("amount_at_risk") | if type == "number" then yuan
         else error("amount_at_risk is not a number") end),
        ([ need("members")[] | [(need("roster")), (need("line"))] ]
         | sort | map("\(.[0]):\(.[1])") | join(","))
      ] | join(" ")
  ' "$file" | LC_ALL=C sort
}

project_rejects_py() {
  python3 - "$1" <<'PY'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
    rows = csv.reader(f)
    header = next(rows)
    col = {name: i for i, name in enumerate(header)}
    for need in ("roster", "line", "code"):
        if need not in col:
            sys.exit("project.sh: rejects header lacks %r" % need)
    for row in rows:
        if not row:
            continue
        print("%s:%s %s" % (row[col["roster"]], row[col["line"]], row[col["code"]]))
PY
}

project_rejects_awk() {
  LC_ALL=C awk '
    # Split one complete record (quotes balanced) into fld[1..n].
    function split_record(rec,    i, c, n, inq, cur) {
      n = 0; inq = 0; cur = ""
      for (i = 1; i <= length(rec); i++) {
        c = substr(rec, i, 1)
        if (inq) {
          if (c == "\"") {
            if (substr(rec, i + 1, 1) == "\"") { cur = cur "\""; i++ }
            else inq = 0
          } else cur = cur c
        } else if (c == "\"") inq = 1
        else if (c == ",") { fld[++n] = cur; cur = "" }
        else cur = cur c
      }
      fld[++n] = cur
      return n
    }
    function quotes(s,    t) { t = s; return gsub(/"/, "", t) }
    {
      buf = (pending ? buf "\n" : "") $0
      q += quotes($0)
      if (q % 2) { pending = 1; next }
      pending = 0; q = 0
      sub(/\r$/, "", buf)
      n = split_record(buf); buf = ""
      if (!seen_header) {
        seen_header = 1
        sub(/^\357\273\277/, "", fld[1])
        for (i = 1; i <= n; i++) col[fld[i]] = i
        if (!("roster" in col) || !("line" in col) || !("code" in col)) {
          print "project.sh: rejects header lacks roster/line/code" > "/dev/stderr"
          exit 1
        }
        next
      }
      if (n == 1 && fld[1] == "") next
      print fld[col["roster"]] ":" fld[col["line"]] " " fld[col["code"]]
    }
    END { if (pending) { print "project.sh: unterminated quote" > "/dev/stderr"; exit 1 } }
  ' "$1"
}

project_rejects() {
  local file=$1
  [ -r "$file" ] || { echo "project.sh: cannot read $file" >&2; exit 1; }
  if [ "${PROJECT_SH_AWK:-}" != 1 ] && command -v python3 >/dev/null 2>&1; then
    project_rejects_py "$file" | LC_ALL=C sort
  else
    project_rejects_awk "$file" | LC_ALL=C sort
  fi
}

project_policy() {
  local file=$1
  [ -r "$file" ] || { echo "project.sh: cannot read $file" >&2; exit 1; }
  jq -r '
    '"$JQ_YUAN"'
    select(has("reason"))
    | [ .type, .reason, (if .person.id_valid then "valid" else "invalid" end),
        (.amount_at_risk | yuan),
        ([ .members[] | [.roster, .line] ] | sort | map("\(.[0]):\(.[1])") | join(","))
      ] | join(" ")' "$file" | LC_ALL=C sort
}

project_fuzzy() {
  local file=$1
  [ -r "$file" ] || { echo "project.sh: cannot read $file" >&2; exit 1; }
  jq -r 'select(.match.basis != "id_exact")
    | [ .type, .match.basis,
        ([ .members[] | [.roster, .line] ] | sort | map("\(.[0]):\(.[1])") | join(","))
      ] | join(" ")' "$file" | LC_ALL=C sort
}

case "${1:-}" in
  --rejects) [ $# -eq 2 ] || usage; project_rejects "$2" ;;
  --exact) [ $# -eq 2 ] || usage
    project_findings "$2" '.match.basis == "id_exact" and (has("reason") | not)' ;;
  --duplicates) [ $# -eq 2 ] || usage; project_findings "$2" 'has("reason") | not' ;;
  --policy) [ $# -eq 2 ] || usage; project_policy "$2" ;;
  --fuzzy) [ $# -eq 2 ] || usage; project_fuzzy "$2" ;;
  -h|--help|"") usage ;;
  -*) usage ;;
  *) [ $# -eq 1 ] || usage; project_findings "$1" ;;
esac
