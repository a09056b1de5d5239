#!/usr/bin/env bash
# Schools see why (issue 9, point 6): on the run of fixtures/review (one
# person at two schools under a valid and a mistyped ID, one exact case;
# fixtures/review/README.md works out every cell), `chachong export` gives
# each school's workbook and CSV a 匹配依据 column, and `chachong report`
# shows exact and fuzzy findings apart.
#
#   bash test_basis.sh <chachong> <gen_roster> <source dir> <scratch dir>
#
# Checks: each workbook, opened with openpyxl, and each CSV holds per
# finding type the 身份证号 and 匹配依据 the README gives (the school's own
# ID in full, the other school's masked); no workbook or CSV holds the other
# school's ID in full; the report's 身份证号相同 / 疑似同一人 rows count 2
# and 2 findings with 2,000.00 and 1,000.00 yuan at risk. Ends with "N
# passed, M failed".
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cli_init "$@"

FX=$SRC/fixtures/review
find_openpyxl

run_cc run run --db "$S/db" --period 2026-09 --issued 2026-09-25 \
  --roster "moe=$FX/moe.csv" --roster "mohrss=$FX/mohrss.csv" --out "$S/out" --quiet
check_exit "chachong run on fixtures/review" 0 "$RC" "$S/run.stderr"
[ "$RC" = 0 ] || cli_finish
run_cc export export --db "$S/db" --period 2026-09 --out "$S/exp" --user auditor-1
check_exit "chachong export" 0 "$RC" "$S/export.stderr"
run_cc report report --db "$S/db" --out "$S/report.html" --user auditor-1
check_exit "chachong report" 0 "$RC" "$S/report.stderr"
[ "$RC" = 0 ] || cli_finish

# The cells, from fixtures/review/README.md.
"$PY" - "$S/exp/37-山东省/3701-济南市" "$S/report.html" >"$S/check.out" 2>&1 <<'PYEOF'
import csv, io, re, sys
import openpyxl

folder, page = sys.argv[1], sys.argv[2]
V, T, L = "370102200803152461", "370102200803152761", "370112200907022349"
EVID = ("身份证号仅一位数字不同，且其中一个校验码不符（典型录入错误）；姓名相同；"
        "出生日期相同；性别相同；身份证号前六位（户籍县）相同")
FUZZY = "疑似同一人，置信度99.93%：" + EVID + "；对方记录身份证号："
want = {
    "4137010001": {"双重学籍": (L, "身份证号完全相同"),
                   "重复享受免学费": (L, "身份证号完全相同"),
                   "双重学籍*": (V, FUZZY + "370102********2761"),
                   "重复享受国家助学金": (V, FUZZY + "370102********2761")},
    "J3701001": {"双重学籍": (L, "身份证号完全相同"),
                 "重复享受免学费": (L, "身份证号完全相同"),
                 "双重学籍*": (T, FUZZY + "370102********2461"),
                 "重复享受国家助学金": (T, FUZZY + "370102********2461")},
}
other = {"4137010001": T, "J3701001": V}

def verdict(ok, what, ev=""):
    print(("ok\t%s" if ok else "fail\t%s\t%s") % ((what,) if ok else (what, ev)))

def rows_of(table):
    head = table[0]
    i_type, i_id, i_basis = head.index("问题类型"), head.index("身份证号"), head.index("匹配依据")
    verdict(i_basis == i_id + 1, "匹配依据 follows 身份证号", repr(head))
    got = {}
    for r in table[1:]:
        key = r[i_type]
        # The fuzzy dual enrollment is the one whose ID is not 李强's.
        if key == "双重学籍" and r[i_id] != L:
            key = "双重学籍*"
        got[key] = (r[i_id], r[i_basis])
    return got

for school, w in want.items():
    wb = openpyxl.load_workbook("%s/%s.xlsx" % (folder, school))
    ws = wb[wb.sheetnames[0]]
    table = [["" if c is None else c for c in r] for r in ws.iter_rows(values_only=True)]
    got = rows_of(table)
    verdict(got == w, "%s workbook: 身份证号 and 匹配依据 of its 4 rows" % school,
            "got %r" % got)
    text = open("%s/%s.csv" % (folder, school), encoding="utf-8-sig", newline="").read()
    got = rows_of(list(csv.reader(io.StringIO(text, newline=""))))
    verdict(got == w, "%s CSV: 身份证号 and 匹配依据 of its 4 rows" % school, "got %r" % got)
    flat = " ".join(str(c) for r in table for c in r) + text
    verdict(other[school] not in flat, "%s: the other school's ID is never in full" % school)

html = open(page, encoding="utf-8").read()
def num(key):
    m = re.search(r'data-k="%s"[^>]*>(?:<[^>]+>)*([0-9,.]+)' % re.escape(key), html)
    return m.group(1) if m else None
got = [num(k) for k in ("bf:exact", "ba:exact", "bf:fuzzy", "ba:fuzzy")]
verdict(got == ["2", "2,000.00", "2", "1,000.00"],
        "report: 身份证号相同 2 findings 2,000.00 yuan; 疑似同一人 2 findings 1,000.00 yuan",
        repr(got))
verdict("疑似同一人（号码录入差异）" in html and "身份证号相同" in html,
        "report: both rows are labelled")
PYEOF
if [ $? != 0 ]; then
  fail "the checks ran" "$(cat "$S/check.out")"
fi
while IFS=$'\t' read -r st what ev; do
  case "$st" in
    ok) pass "$what" ;;
    fail) fail "$what" "$ev" ;;
  esac
done <"$S/check.out"
cli_finish
