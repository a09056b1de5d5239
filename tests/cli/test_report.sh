#!/usr/bin/env bash
# shellcheck disable=SC2016  # jq programs are single-quoted on purpose
# chachong report (issue 3, point 5) over the three periods of
# fixtures/lifecycle (run in order into one --db, with the responses that
# make a finding "claimed resolved") and the one period of
# fixtures/run/basic (money at risk, a third roster, a school with no
# region code).
#
#   bash test_report.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# Checks: exit codes; mode 0600; the page's numbers, read with python3's
# html.parser through their data-k hooks, agree with each run's
# findings.jsonl (counts by type and state, not cleared, overdue, cleared,
# claimed, money at risk, schools, provinces, the overdue list, the trend of
# every period) for the nation, a province, a city and an earlier period;
# the page is well-formed, holds no script, no URL and no full ID number;
# one audit entry per report with the findings counted; headless Chromium
# renders it with no console message, and the screenshot (report.png in the
# scratch directory) exists and is not trivial. Ends with "N passed, M
# failed". Chromium is required: without it the test fails and says so.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/lifecycle
BASIC=$SRC/fixtures/run/basic
DB=$S/db

if ! command -v python3 >/dev/null 2>&1; then
  fail "python3 is installed (the page is read with html.parser)"
  cli_finish
fi

mapfile -t PLINES < <(grep -v '^[[:space:]]*#' "$FX/periods.txt" | grep -v '^[[:space:]]*$')
PERIODS=()
declare -A ISSUED
for l in "${PLINES[@]}"; do
  read -r p d _ <<<"$l"
  PERIODS+=("$p")
  ISSUED[$p]=$d
done
P1=${PERIODS[0]} P2=${PERIODS[1]} P3=${PERIODS[2]}

fixture_ids "$S/ids.txt" "$FX"/*/*.csv "$BASIC"/*.csv
check "the fixtures hold ID numbers to look for" test -s "$S/ids.txt"

run_period() {
  local p=$1
  run_cc "run_$p" run --db "$DB" --period "$p" --issued "${ISSUED[$p]}" \
    --roster "moe=$FX/$p/moe.csv" --roster "mohrss=$FX/$p/mohrss.csv" \
    --out "$S/out_$p" --quiet
  check_exit "run $p" 0 "$RC" "$S/run_$p.stderr"
}

# one_fid FINDINGS TYPE ROSTER LINE: the finding_id of the one finding.
one_fid() {
  jq -r --arg t "$2" --arg r "$3" --argjson l "$4" '
    select(.type == $t and any(.members[]; .roster == $r and .line == $l))
    | .finding_id' "$1" | head -n 1
}

# ---- three periods, with responses between them (fixtures/lifecycle) ----
run_period "$P1"
E=$(one_fid "$S/out_$P1/findings.jsonl" double_grant moe 5)
H=$(one_fid "$S/out_$P1/findings.jsonl" dual_enrollment moe 8)
run_cc resolve_e resolve --db "$DB" --finding "$E" --action cancel_own --by 李老师 \
  --school J3701101 --date 2026-10-09 --note 已注销 --user op-li
check_exit "resolve E (cancel_own)" 0 "$RC" "$S/resolve_e.stderr"
run_cc resolve_h resolve --db "$DB" --finding "$H" --action ask_other --by 赵老师 \
  --school J3701101 --date 2026-10-16 --note 已函请 --user op-zhao
check_exit "resolve H (ask_other)" 0 "$RC" "$S/resolve_h.stderr"
run_period "$P2"
run_period "$P3"
check_jq "$P3 has every state and a claimed finding (the page has something to show)" '
  (map(.state) | unique) == ["cleared", "new", "overdue"]
  and any(.[]; .claimed_resolved == true)' "$S/out_$P3/findings.jsonl"

# ---- the page checker ---------------------------------------------------
# check_page NAME HTML SCOPE TOP MIN_RECORDS CURRENT_PERIOD PERIOD=FINDINGS...
# reads the page and the findings of every period and prints one
# "ok|FAIL<TAB>what<TAB>evidence" line per check.
cat >"$S/check_page.py" <<'PY'
import json, re, sys
from html.parser import HTMLParser

html_path, scope, top, min_records, current = sys.argv[1:6]
top = int(top)
runs = dict(a.split("=", 1) for a in sys.argv[6:])
out = []


def check(what, ok, evidence=""):
    out.append("%s\t%s\t%s" % ("ok" if ok else "FAIL", what,
                               str(evidence).replace("\n", " ")[:1500]))


VOID = {"meta", "br", "img", "link", "input", "hr", "col", "wbr", "source"}


class Page(HTMLParser):
    """Collects the text of every data-k element and the cells of every
    data-k row; records nesting errors."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.vals, self.rows, self.errors = [], {}, {}, []
        self.row = None
        self.cell = None
        self.tags = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for k, v in attrs:
            if k.startswith("on") or (v and re.search(r"(?i)(https?:|url\()", v)):
                self.errors.append("attribute %s=%r" % (k, v))
        if tag in VOID:
            return
        key = a.get("data-k")
        self.stack.append((tag, key))
        if key:
            self.vals.setdefault(key, []).append("")
        if tag == "tr" and key:
            self.row = []
            self.rows.setdefault(key, []).append(self.row)
        if tag == "td" and self.row is not None:
            self.row.append("")
            self.cell = len(self.stack)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("</%s> closes <%s>" % (
                tag, self.stack[-1][0] if self.stack else "nothing"))
            return
        self.stack.pop()
        if tag == "td":
            self.cell = None
        if tag == "tr":
            self.row = None

    def handle_data(self, d):
        for tag, key in self.stack:
            if key:
                self.vals[key][-1] += d
        if self.row is not None and self.cell is not None:
            self.row[-1] += d


def number(text):
    t = re.sub(r"[,\s元条所天%]", "", text)
    try:
        return float(t)
    except ValueError:
        return None


def fen(x):
    return None if x is None else int(round(float(x) * 100))


raw = open(html_path, "rb").read()
try:
    text = raw.decode("utf-8")
    check("the page is UTF-8", True)
except UnicodeDecodeError as e:
    check("the page is UTF-8", False, e)
    text = raw.decode("utf-8", "replace")
p = Page()
p.feed(text)
p.close()
check("the page is well-formed (every element closed in order, no handler "
      "or URL attribute)", not p.errors and not p.stack, p.errors[:5] or p.stack)
check("no script, no external resource",
      not ({"script", "link", "img", "iframe", "object", "embed"} & p.tags)
      and not re.search(r"(?i)https?://|url\(|@import", text),
      sorted({"script", "link", "img", "iframe"} & p.tags))


def val(key):
    v = p.vals.get(key)
    return number(v[0]) if v else None


def in_scope_member(m):
    return scope == "" or (m.get("region_code") or "").startswith(scope)


def load(path):
    fs = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    return [f for f in fs if any(in_scope_member(m) for m in f["members"])]


cur = load(runs[current])
types = ["dual_enrollment", "duplicate_record", "double_grant",
         "double_waiver", "id_conflict", "ineligible_grant", "ineligible_waiver",
         "subsidy_review"]
policy_types = types[5:]


def dup_money(fs):
    """Money paid twice: the duplicates' (policy money is counted apart)."""
    return sum(fen(f["amount_at_risk"]) for f in fs if f["type"] not in policy_types)


def policy_money(fs):
    return sum(fen(f["amount_at_risk"]) for f in fs if f["type"] in policy_types)
states = ["new", "open", "overdue", "cleared"]
live = [f for f in cur if f["state"] != "cleared"]

bad = []
for t in types:
    for s in states:
        want = sum(1 for f in cur if f["type"] == t and f["state"] == s)
        got = val("ts:%s:%s" % (t, s))
        if got != want:
            bad.append("%s/%s page %s findings %d" % (t, s, got, want))
    want = sum(1 for f in live if f["type"] == t)
    if val("t:" + t) != want:
        bad.append("%s not cleared: page %s findings %d" % (t, val("t:" + t), want))
    want = sum(fen(f["amount_at_risk"]) for f in live if f["type"] == t)
    got = val("ta:" + t)
    if got is None or fen(got) != want:
        bad.append("%s amount: page %s findings %.2f" % (t, got, want / 100))
check("counts by type and state, and money by type, agree with the findings "
      "(%d in scope)" % len(cur), not bad, "; ".join(bad))

bad = []
for s in states:
    want = sum(1 for f in cur if f["state"] == s)
    if val("s:" + s) != want:
        bad.append("state %s: page %s findings %d" % (s, val("s:" + s), want))
for key, want in [("open", len(live)),
                  ("overdue", sum(1 for f in cur if f["state"] == "overdue")),
                  ("new", sum(1 for f in cur if f["state"] == "new")),
                  ("cleared", sum(1 for f in cur if f["state"] == "cleared")),
                  ("claimed", sum(1 for f in live if f.get("claimed_resolved"))),
                  ("overdue-total", sum(1 for f in cur if f["state"] == "overdue"))]:
    if val(key) != want:
        bad.append("%s: page %s findings %d" % (key, val(key), want))
check("totals by state, not cleared, overdue, new, cleared, claimed agree",
      not bad, "; ".join(bad))

want = dup_money(live)
got = val("amount")
check("money at risk %.2f yuan agrees" % (want / 100),
      got is not None and fen(got) == want, "page: %s" % got)
want = policy_money(live)
got = val("amount-policy")
check("money against the rules %.2f yuan agrees, apart" % (want / 100),
      got is not None and fen(got) == want, "page: %s" % got)
bad = []
for f_type in policy_types:
    for reason in ["part_time", "third_year", "beyond_program", "over_age"]:
        for s in states:
            want = sum(1 for f in cur if f["type"] == f_type and f.get("reason") == reason
                       and f["state"] == s)
            got = val("ps:%s:%s:%s" % (f_type, reason, s))
            if got is None and want == 0:
                continue  # a pair SPEC 3.2 does not define has no row
            if got != want:
                bad.append("%s/%s/%s page %s findings %d" % (f_type, reason, s, got, want))
check("policy findings by type, reason and state agree", not bad, "; ".join(bad))

schools = {(m["roster"], (m.get("school_code") or "").strip())
           for f in cur for m in f["members"] if in_scope_member(m)}
check("schools with a finding: %d" % len(schools), val("schools") == len(schools),
      "page: %s" % val("schools"))
check("one breakdown row per school", len(p.rows.get("school", [])) == len(schools),
      "%d rows" % len(p.rows.get("school", [])))
provs = {(m.get("region_code") or "")[:2] if len(m.get("region_code") or "") >= 2
         else "" for f in cur for m in f["members"] if in_scope_member(m)}
check("one province row per province (%d)" % len(provs),
      len(p.rows.get("prov", [])) == len(provs), "%d rows" % len(p.rows.get("prov", [])))


def day(s):
    y, m, d = map(int, s.split("-"))
    import datetime
    return datetime.date(y, m, d).toordinal()


od = [f for f in cur if f["state"] == "overdue"]
rows = p.rows.get("od", [])
check("the overdue list has min(%d, %d) rows" % (top, len(od)),
      len(rows) == min(top, len(od)), "%d rows" % len(rows))
want_days = sorted((day(f["seen"]) - day(f["deadline"]) for f in od), reverse=True)
got_days = [number(r[7]) if len(r) > 7 else None for r in rows]
check("overdue days (seen - deadline), most overdue first",
      got_days == want_days[:len(rows)], "page %s findings %s" % (got_days, want_days))
ids = {f["finding_id"]: f for f in od}
bad = [r for r in rows if len(r) < 10 or r[1].strip() not in ids]
check("overdue rows name overdue findings by finding_id", not bad, bad)
bad = [r[3] for r in rows if len(r) >= 10 and (
       not re.fullmatch(r"\d{6}\*{8}[\dX]{4}", r[3].strip())
       or r[3].strip()[:6] != ids.get(r[1].strip(), {}).get("person", {}).get("id_number", "")[:6])]
check("overdue rows show the ID masked (6 + 8 * + 4)", not bad, bad)

trend = p.rows.get("trend", [])
check("one trend row per period (%d)" % len(runs), len(trend) == len(runs),
      "%d rows" % len(trend))
bad = []
for row, period in zip(trend, sorted(runs)):
    fs = load(runs[period])
    lv = [f for f in fs if f["state"] != "cleared"]
    nt = len(types)
    if len(row) < nt + 6 or row[0].strip() != period:
        bad.append("row %s for %s" % (row[0], period))
        continue
    for i, t in enumerate(types):
        if number(row[1 + i]) != sum(1 for f in lv if f["type"] == t):
            bad.append("%s %s: %s" % (period, t, row[1 + i]))
    if number(row[nt + 1]) != len(lv):
        bad.append("%s not cleared: %s vs %d" % (period, row[nt + 1], len(lv)))
    if number(row[nt + 2]) != sum(1 for f in fs if f["state"] == "overdue"):
        bad.append("%s overdue: %s" % (period, row[nt + 2]))
    if number(row[nt + 3]) != sum(1 for f in fs if f["state"] == "cleared"):
        bad.append("%s cleared: %s" % (period, row[nt + 3]))
    if fen(number(row[nt + 4])) != dup_money(lv):
        bad.append("%s amount: %s" % (period, row[nt + 4]))
    if fen(number(row[nt + 5])) != policy_money(lv):
        bad.append("%s policy amount: %s" % (period, row[nt + 5]))
check("the trend table agrees with every period's findings", not bad, "; ".join(bad))
check("both trend charts are there",
      "chart-findings" in p.vals and "chart-amount" in p.vals, sorted(p.vals)[:20])
check("the page names the period %s" % current,
      (p.vals.get("period") or [""])[0].strip() == current, p.vals.get("period"))

ranked = p.rows.get("rank", [])
rates = [number(r[-1]) for r in ranked]
check("the ranking is by findings per thousand records, highest first",
      None not in rates and rates == sorted(rates, reverse=True), rates)
bad = [r for r in ranked if len(r) < 9 or None in (number(r[4]), number(r[5]), number(r[-1]))
       or number(r[4]) < int(min_records) or number(r[4]) == 0
       or abs(number(r[-1]) - 1000 * number(r[5]) / number(r[4])) > 0.051]
check("every ranked school: rate = not cleared * 1000 / records, records >= %s"
      % min_records, not bad, bad[:3])
print("\n".join(out))
PY

# check_page NAME HTML SCOPE TOP MIN_RECORDS CURRENT PERIOD=FINDINGS...
check_page() {
  local name=$1 line status what ev
  shift
  if ! python3 "$S/check_page.py" "$@" >"$S/$name.checks" 2>"$S/$name.checks.err"; then
    fail "$name: the page checker ran" "$(cat "$S/$name.checks.err")"
    return
  fi
  while IFS= read -r line; do
    status=${line%%$'\t'*}
    line=${line#*$'\t'}
    what=${line%%$'\t'*}
    ev=${line#*$'\t'}
    if [ "$status" = ok ]; then
      pass "$name: $what"
    else
      fail "$name: $what" "$ev"
    fi
  done <"$S/$name.checks"
}

ALL_RUNS=("$P1=$S/out_$P1/findings.jsonl" "$P2=$S/out_$P2/findings.jsonl"
          "$P3=$S/out_$P3/findings.jsonl")

# ---- the nation, latest period (the default) ----------------------------
run_cc rep_nation report --db "$DB" --out "$S/pages/nation.html" --user 审计员甲 \
  --min-records 1 --top 3
check_exit "report (nation, latest period)" 0 "$RC" "$S/rep_nation.stderr"
check_mode "the page is mode 0600" "$S/pages/nation.html" 600
check "stdout names the page and the period" grep -q "period $P3" "$S/rep_nation.stdout"
check_page nation "$S/pages/nation.html" "" 3 1 "$P3" "${ALL_RUNS[@]}"
check_no_ids "no full ID number in the page" "$S/ids.txt" "$S/pages/nation.html" \
  "$S/rep_nation.stdout" "$S/rep_nation.stderr"
check "the page is in Chinese with the operator's name" \
  grep -q '学籍与资助查重报告.*' "$S/pages/nation.html"
check "the operator is on the page" grep -q '审计员甲' "$S/pages/nation.html"

# ---- a province, a city, an earlier period ------------------------------
run_cc rep_37 report --db "$DB" --region 37 --out "$S/pages/p37.html" --min-records 1
check_exit "report --region 37" 0 "$RC" "$S/rep_37.stderr"
check_page p37 "$S/pages/p37.html" 37 50 1 "$P3" "${ALL_RUNS[@]}"
check "the province is named" grep -q '山东省' "$S/pages/p37.html"
run_cc rep_3702 report --db "$DB" --region 3702 --out "$S/pages/c3702.html"
check_exit "report --region 3702 (a city)" 0 "$RC" "$S/rep_3702.stderr"
check_page c3702 "$S/pages/c3702.html" 3702 50 30 "$P3" "${ALL_RUNS[@]}"
run_cc rep_p2 report --db "$DB" --period "$P2" --out "$S/pages/p2.html"
check_exit "report --period $P2" 0 "$RC" "$S/rep_p2.stderr"
check_page "p$P2" "$S/pages/p2.html" "" 50 30 "$P2" "${ALL_RUNS[@]}"

# ---- one period with money at risk and no region (fixtures/run/basic) --
run_cc run_basic run --db "$S/db_basic" --period 2026-09 --issued 2026-09-25 \
  --roster "moe=$BASIC/moe.csv" --roster "mohrss=$BASIC/mohrss.csv" \
  --roster "sd=$BASIC/provincial.csv" --out "$S/out_basic" --quiet
check_exit "run fixtures/run/basic" 0 "$RC" "$S/run_basic.stderr"
run_cc rep_basic report --db "$S/db_basic" --out "$S/pages/basic.html" --min-records 0
check_exit "report over one period" 0 "$RC" "$S/rep_basic.stderr"
check_page basic "$S/pages/basic.html" "" 50 0 2026-09 "2026-09=$S/out_basic/findings.jsonl"
check "6,950.50 yuan at risk on the basic page (hand-worked total)" \
  grep -q 'data-k="amount">6,950.50<' "$S/pages/basic.html"
check "a school without region code is under 未填地区代码" \
  grep -q '未填地区代码' "$S/pages/basic.html"
check_no_ids "no full ID number in the basic page" "$S/ids.txt" "$S/pages/basic.html"

# ---- the audit log: one entry per report ---------------------------------
run_cc audit audit --db "$DB"
check_exit "audit lists the log" 0 "$RC" "$S/audit.stderr"
n=$(awk -F'\t' '$3 == "report"' "$S/audit.stdout" | wc -l)
if [ "$n" = 4 ]; then
  pass "four reports, four audit entries"
else
  fail "four reports, four audit entries" "$(cat "$S/audit.stdout")"
fi
want=$(jq -s 'length' "$S/out_$P3/findings.jsonl")
if awk -F'\t' -v w="$want" '$3 == "report" && $2 == "审计员甲" && $4 == w && $5 ~ /region=nation/' \
     "$S/audit.stdout" | grep -q .; then
  pass "the nation report's entry: user 审计员甲, $want findings counted"
else
  fail "the nation report's entry: user 审计员甲, $want findings counted" "$(cat "$S/audit.stdout")"
fi

# ---- errors ---------------------------------------------------------------
run_cc err_usage report --db "$DB"
check_exit "report without --out is a usage error" 2 "$RC"
run_cc err_region report --db "$DB" --region 3 --out "$S/pages/x.html"
check_exit "--region 3 is a usage error" 2 "$RC"
run_cc err_period report --db "$DB" --period 2025-01 --out "$S/pages/x.html"
check_exit "a period the database does not hold is bad input" 3 "$RC" "$S/err_period.stderr"
check "no page is left behind by a failed report" test ! -e "$S/pages/x.html"
run_cc err_db report --db "$S/no-such-db" --out "$S/pages/x.html"
check_exit "a database that does not exist is bad input" 3 "$RC" "$S/err_db.stderr"
check "a report does not create a database" test ! -e "$S/no-such-db/data.mdb"
n=$(awk -F'\t' '$3 == "report"' <("$CC" audit --db "$DB" 2>/dev/null) | wc -l)
if [ "$n" = 4 ]; then
  pass "failed reports leave no audit entry"
else
  fail "failed reports leave no audit entry" "$n report entries"
fi

# ---- headless Chromium ----------------------------------------------------
CHROMIUM=
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then
    CHROMIUM=$c
    break
  fi
done
if [ -z "$CHROMIUM" ]; then
  fail "Chromium is installed (the page must render in a real browser)" \
    "install it: apt-get install -y chromium fonts-noto-cjk (scripts/setup.sh lists both)"
  cli_finish
fi
chrome() {
  local profile
  profile=$(mktemp -d "$S/chrome-profile.XXXXXX")
  # A hang guard only: a busy machine may take minutes to start Chromium.
  timeout 1800 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    "$@" </dev/null
}
for page in nation p37 basic; do
  chrome --screenshot="$S/$page.png" --window-size=1280,2400 \
    "file://$S/pages/$page.html" >"$S/chrome_$page.out" 2>"$S/chrome_$page.err"
  rc=$?
  check_exit "Chromium renders the $page page" 0 "$rc" "$S/chrome_$page.err"
  # Every console message (script errors, blocked loads, CSP violations)
  # is logged as ...:CONSOLE...; the page must cause none.
  if grep -E ':CONSOLE|Uncaught|Content Security Policy|net::ERR_' \
       "$S/chrome_$page.err" >"$S/chrome_$page.console"; then
    fail "$page: no console message, no blocked load" "$(cat "$S/chrome_$page.console")"
  else
    pass "$page: no console message, no blocked load"
  fi
  size=$(stat -c %s "$S/$page.png" 2>/dev/null || echo 0)
  if [ "$(head -c 8 "$S/$page.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
     && [ "$size" -gt 40000 ]; then
    pass "$page: screenshot $S/$page.png is a PNG of $size bytes"
  else
    fail "$page: screenshot is a non-trivial PNG" "$S/$page.png: $size bytes"
  fi
done
cp "$S/nation.png" "$S/report.png" 2>/dev/null
chrome --dump-dom "file://$S/pages/nation.html" >"$S/nation.dom" 2>"$S/chrome_dom.err"
check_exit "Chromium dumps the DOM" 0 "$?" "$S/chrome_dom.err"
if grep -q 'data-k="open"' "$S/nation.dom" && grep -q '学籍与资助查重报告' "$S/nation.dom" \
   && grep -q '<svg' "$S/nation.dom"; then
  pass "the rendered DOM holds the figures, the title and the charts"
else
  fail "the rendered DOM holds the figures, the title and the charts" "$(head -c 600 "$S/nation.dom")"
fi
if grep -Eq ':CONSOLE|Uncaught' "$S/chrome_dom.err"; then
  fail "no console message while dumping the DOM" "$(grep -E ':CONSOLE|Uncaught' "$S/chrome_dom.err")"
else
  pass "no console message while dumping the DOM"
fi

cli_finish
