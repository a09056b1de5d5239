#!/usr/bin/env python3
"""Checks the school packages of `chachong export` with independent readers.

    export_check.py --out DIR --fixtures DIR --findings FILE --regions FILE
                    [--school CODE] [--region PREFIX]

Workbooks are opened with openpyxl, CSV files with Python's csv module.
What each school must get is worked out from the fixture, not from the
program: expected_findings.txt (RULES.md projection: type, scope, validity,
amount, roster:line members) and the roster files (which school and region
each roster:line is at). findings.jsonl of the same run is used only to
look up the finding_id shown in a row, so that its ID number, names and
amounts can be compared with what the engine found.

Prints one line per check, tab-separated: "ok<TAB>what" or
"fail<TAB>what<TAB>evidence", and last "rows<TAB>N": the number of package
rows expected (for the audit entry).
"""
import argparse
import collections
import csv
import io
import json
import os
import stat
import sys

import openpyxl

SCHOOL_HEADER = [
    "问题编号", "问题类型", "范围", "状态", "学生姓名", "身份证号", "匹配依据", "本校学籍号",
    "本校学籍状态", "本校助学金（元）", "本校免学费（元）", "重复发放金额（元）",
    "涉及的其他学校", "下发日期", "整改截止日期", "应采取的措施", "学校反馈", "备注",
    "学校代码", "本校处理结果", "处理说明",
]
# The answer column's drop-down (issue 14.7): exactly these three choices.
ANSWER_CHOICES = ["保留本校学籍", "已注销本校学籍", "已请对方学校注销"]
TYPE_ZH = {
    "dual_enrollment": "双重学籍",
    "duplicate_record": "同校重复注册",
    "double_grant": "重复享受国家助学金",
    "double_waiver": "重复享受免学费",
    "id_conflict": "同一身份证号对应不同姓名",
}
SCOPE_ZH = {"cross": "跨系统", "within": "系统内"}
# A word each type's action must contain (POLICY.md).
ACTION_WORD = {
    "dual_enrollment": "实际就读",
    "duplicate_record": "保留一条",
    "double_grant": "助学金",
    "double_waiver": "免学费",
    "id_conflict": "身份证件",
}
SYSTEM_ZH = {"moe": "教育部中职", "mohrss": "人社部技工"}
MISSING = "地区代码缺失"
ROSTER_FILES = {"moe": "moe.csv", "mohrss": "mohrss.csv", "sd": "provincial.csv"}

results = []


def check(ok, what, evidence=""):
    results.append((bool(ok), what, evidence))
    return ok


def money(v):
    """A yuan amount as the projection writes it: 1000, 1750.5."""
    s = ("%.2f" % float(v)).rstrip("0").rstrip(".")
    return s


def read_regions(path):
    names = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 1)
            if len(parts) == 2 and parts[0].isdigit() and len(parts[0]) in (2, 4):
                names[parts[0]] = parts[1].strip()
    return names


def read_rosters(fixtures):
    """(label, physical line) -> the record's cells (trimmed)."""
    recs = {}
    for label, name in ROSTER_FILES.items():
        with open(os.path.join(fixtures, name), encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader)]
            prev = reader.line_num
            for row in reader:
                start = prev + 1
                prev = reader.line_num
                d = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
                recs[(label, start)] = d
    return recs


def read_expected(fixtures):
    out = []
    with open(os.path.join(fixtures, "expected_findings.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            typ, scope, valid, amount, members = line.split(" ")
            ms = []
            for m in members.split(","):
                lab, ln = m.split(":")
                ms.append((lab, int(ln)))
            out.append({"type": typ, "scope": scope, "valid": valid,
                        "amount": amount, "members": ms})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--findings", required=True)
    ap.add_argument("--regions", required=True)
    ap.add_argument("--school")
    ap.add_argument("--region")
    a = ap.parse_args()

    regions = read_regions(a.regions)
    recs = read_rosters(a.fixtures)
    expected = read_expected(a.fixtures)
    engine = {}
    with open(a.findings, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                j = json.loads(line)
                engine[j["finding_id"]] = j

    # Every school of the period, its region, and the rows it must get.
    school_region = {}
    rows = collections.defaultdict(list)   # school -> [expected finding]
    for e in expected:
        seen = []
        for lab, ln in e["members"]:
            r = recs[(lab, ln)]
            key = (lab, r["学校代码"])
            school_region.setdefault(key, r.get("所在地区代码", ""))
            if key not in seen:
                seen.append(key)
        e["schools"] = seen
        for key in seen:
            rows[key].append(e)
    codes = collections.Counter(code for _, code in school_region)

    def kept(key):
        if a.school and key[1] != a.school:
            return False
        if a.region and not school_region[key].startswith(a.region):
            return False
        return True

    def area(key):
        reg = school_region[key]
        if len(reg) >= 2 and reg[:2].isdigit() and reg[:2] != "00":
            prov = reg[:2]
            city = reg[:4] if len(reg) >= 4 and reg[:4].isdigit() else prov + "00"
            return (prov + "-" + regions.get(prov, prov),
                    city + "-" + regions.get(city, city))
        return ("00-" + MISSING, "0000-" + MISSING)

    def base(key):
        lab, code = key
        return code + "_" + lab if codes[code] > 1 else code

    schools = sorted(k for k in rows if kept(k))
    expect_files = set()
    for key in schools:
        p, c = area(key)
        for ext in (".xlsx", ".csv"):
            expect_files.add(os.path.join(p, c, base(key) + ext))
            expect_files.add(os.path.join(p, c, "汇总_" + c[:4] + ext))
            expect_files.add(os.path.join(p, "汇总_" + p[:2] + ext))
            expect_files.add("汇总_全国" + ext)

    # The files: exactly those, 0600; folders 0700.
    found, bad_modes = set(), []
    for dirpath, dirnames, filenames in os.walk(a.out):
        m = stat.S_IMODE(os.stat(dirpath).st_mode)
        if m != 0o700:
            bad_modes.append("%s %o" % (dirpath, m))
        for fn in filenames:
            full = os.path.join(dirpath, fn)
            found.add(os.path.relpath(full, a.out))
            m = stat.S_IMODE(os.stat(full).st_mode)
            if m != 0o600:
                bad_modes.append("%s %o" % (full, m))
    check(found == expect_files, "exactly the expected files (%d)" % len(expect_files),
          "missing: %s; unexpected: %s" % (sorted(expect_files - found)[:10],
                                          sorted(found - expect_files)[:10]))
    check(not bad_modes, "files are 0600 and folders 0700", "; ".join(bad_modes[:10]))

    total_rows = 0
    for key in schools:
        p, c = area(key)
        stem = os.path.join(a.out, p, c, base(key))
        want = rows[key]
        total_rows += len(want)
        name = "%s/%s" % key
        if not os.path.exists(stem + ".xlsx"):
            check(False, "%s: workbook exists" % name, stem + ".xlsx")
            continue
        try:
            wb = openpyxl.load_workbook(stem + ".xlsx")
        except Exception as ex:  # the reader is the judge
            check(False, "%s: workbook opens in openpyxl" % name, repr(ex))
            continue
        check(wb.sheetnames and wb.sheetnames[0] == "问题清单",
              "%s: first sheet is 问题清单" % name, repr(wb.sheetnames))
        ws = wb[wb.sheetnames[0]]
        table = [list(r) for r in ws.iter_rows(values_only=True)]
        check(table and table[0] == SCHOOL_HEADER, "%s: Chinese headers intact" % name,
              repr(table[:1]))
        body = table[1:]
        check(len(body) == len(want), "%s: %d rows (one per finding)" % (name, len(want)),
              "got %d" % len(body))
        got_kinds = sorted((r[1], r[2]) for r in body)
        want_kinds = sorted((TYPE_ZH[e["type"]], SCOPE_ZH[e["scope"]]) for e in want)
        check(got_kinds == want_kinds, "%s: types and scopes of its rows" % name,
              "got %s want %s" % (got_kinds, want_kinds))
        got_amounts = sorted(money(r[11] or 0) for r in body)
        want_amounts = sorted(e["amount"] for e in want)
        check(got_amounts == want_amounts, "%s: amounts at risk of its rows" % name,
              "got %s want %s" % (got_amounts, want_amounts))

        # Each row against the engine's finding of the same id.
        problems = []
        for r in body:
            j = engine.get(r[0])
            if j is None:
                problems.append("no finding %s in findings.jsonl" % r[0])
                continue
            here = [m for m in j["members"] if (m["roster"], m["school_code"].strip()) == key]
            if not here:
                problems.append("%s has no member at this school" % r[0])
                continue
            names = []
            for m in here:
                if m["name"] not in names:
                    names.append(m["name"])
            if r[4] != "；".join(names):
                problems.append("%s name %r, want %r" % (r[0], r[4], "；".join(names)))
            if j["match"]["basis"] == "id_exact":
                want_id = j["person"]["id_number"]
                if r[6] != "身份证号完全相同":
                    problems.append("%s 匹配依据 %r" % (r[0], r[6]))
            else:
                # A fuzzy finding: the school's own records' IDs, each once.
                own = []
                for m in here:
                    if m["id_number"] not in own:
                        own.append(m["id_number"])
                want_id = "；".join(own)
                if not (r[6] or "").startswith("疑似同一人，置信度"):
                    problems.append("%s 匹配依据 %r" % (r[0], r[6]))
            if r[5] != want_id or len(r[5]) < 15 or "*" in r[5]:
                problems.append("%s ID is not the full cleaned ID" % r[0])
            if float(r[9] or 0) != sum(m["grant_amount"] for m in here):
                problems.append("%s grant %r" % (r[0], r[9]))
            if float(r[10] or 0) != sum(m["waiver_amount"] for m in here):
                problems.append("%s waiver %r" % (r[0], r[10]))
            if r[3] != "新发现":
                problems.append("%s state %r" % (r[0], r[3]))
            if r[13] != j["issued"] or not str(r[14]).startswith(j["deadline"]):
                problems.append("%s dates %r %r" % (r[0], r[13], r[14]))
            if ACTION_WORD[j["type"]] not in (r[15] or ""):
                problems.append("%s action %r" % (r[0], r[15]))
            others = {(m["roster"], m["school_code"].strip()) for m in j["members"]} - {key}
            for lab, code in others:
                sysname = SYSTEM_ZH.get(lab, lab)
                if "（%s，%s" % (code, sysname) not in (r[12] or ""):
                    problems.append("%s other school %s/%s missing from %r" % (r[0], lab, code, r[12]))
            if not others and r[12] != "无（本校内重复）":
                problems.append("%s other schools %r" % (r[0], r[12]))
            # Whose row it is (the import reads it back), and the answer
            # and its note left empty for the school.
            if r[18] != key[1] or r[19] is not None or r[20] is not None:
                problems.append("%s school/answer/note %r %r %r" % (r[0], r[18], r[19], r[20]))
        check(not problems, "%s: rows agree with the findings (ID, names, money, dates, action, other schools)" % name,
              "; ".join(problems[:6]))

        # The drop-down: one list validation over the answer column's rows,
        # listing exactly the three choices, nothing else accepted.
        dvs = list(ws.data_validations.dataValidation)
        col = openpyxl.utils.get_column_letter(SCHOOL_HEADER.index("本校处理结果") + 1)
        want_ref = "%s2:%s%d" % (col, col, len(body) + 1) if len(body) > 1 else "%s2" % col
        ok = len(dvs) == 1
        if ok:
            dv = dvs[0]
            f1 = dv.formula1 or ""
            listed = f1[1:-1].split(",") if f1.startswith('"') and f1.endswith('"') else None
            ok = (dv.type == "list" and listed == ANSWER_CHOICES
                  and str(dv.sqref) == want_ref and dv.showErrorMessage
                  and (dv.errorStyle in (None, "stop")))
        check(ok, "%s: the answer column is a drop-down of exactly the three choices (%s)" % (name, want_ref),
              repr([(d.type, d.formula1, str(d.sqref), d.showErrorMessage, d.errorStyle) for d in dvs]))

        # The CSV: BOM, UTF-8, CRLF, the same rows.
        if not check(os.path.exists(stem + ".csv"), "%s: CSV exists" % name, stem + ".csv"):
            continue
        raw = open(stem + ".csv", "rb").read()
        check(raw.startswith(b"\xef\xbb\xbf"), "%s: CSV starts with a BOM" % name)
        try:
            text = raw.decode("utf-8-sig")
            ok = True
        except UnicodeDecodeError as ex:
            ok = check(False, "%s: CSV decodes as utf-8-sig" % name, str(ex))
        if not ok:
            continue
        crows = list(csv.reader(io.StringIO(text, newline="")))
        check(crows and crows[0] == SCHOOL_HEADER, "%s: CSV Chinese headers intact" % name,
              repr(crows[:1]))
        check(raw.endswith(b"\r\n") and raw.count(b"\r\n") >= len(crows),
              "%s: CSV lines end in CRLF" % name)
        diffs = []
        if len(crows) != len(table):
            diffs.append("%d CSV rows, %d sheet rows" % (len(crows), len(table)))
        for cr, xr in zip(crows[1:], body):
            for cv, xv in zip(cr, xr):
                if xv is None:
                    xv = ""
                if isinstance(xv, (int, float)):
                    same = cv != "" and float(cv) == float(xv)
                else:
                    same = cv == xv or (cv == "'" + xv and xv[:1] in "=+-@")
                if not same:
                    diffs.append("%r vs %r" % (cv, xv))
        check(not diffs, "%s: CSV holds the same rows as the workbook" % name,
              "; ".join(diffs[:6]))

    # Roll-ups: per school / city / province counts; each finding once in a total.
    def rollup(path, first):
        wb = openpyxl.load_workbook(path)
        t = [list(r) for r in wb[wb.sheetnames[0]].iter_rows(values_only=True)]
        check(t and t[0][0] == first and "问题总数" in t[0],
              "%s: Chinese headers intact" % os.path.relpath(path, a.out), repr(t[:1]))
        return t

    def distinct(keys):
        ids = {}
        for k in keys:
            for e in rows[k]:
                ids[id(e)] = e
        return list(ids.values())

    by_city = collections.defaultdict(list)
    for key in schools:
        by_city[area(key)].append(key)
    for (p, c), keys in sorted(by_city.items()):
        path = os.path.join(a.out, p, c, "汇总_%s.xlsx" % c[:4])
        if not os.path.exists(path):
            continue
        t = rollup(path, "学校代码")
        col = t[0].index("问题总数")
        got = {(r[0], r[2]): r[col] for r in t[1:-1]}
        want = {(k[1], SYSTEM_ZH.get(k[0], k[0])): len(rows[k]) for k in keys}
        check(got == want, "%s: findings per school" % os.path.relpath(path, a.out),
              "got %s want %s" % (got, want))
        check(t[-1][0] == "合计" and t[-1][col] == len(distinct(keys)),
              "%s: 合计 counts each finding once (%d)" % (os.path.relpath(path, a.out),
                                                    len(distinct(keys))), repr(t[-1]))
    by_prov = collections.defaultdict(list)
    for key in schools:
        by_prov[area(key)[0]].append(key)
    for p, keys in sorted(by_prov.items()):
        path = os.path.join(a.out, p, "汇总_%s.xlsx" % p[:2])
        if os.path.exists(path):
            t = rollup(path, "城市代码")
            col = t[0].index("问题总数")
            check(t[-1][0] == "合计" and t[-1][col] == len(distinct(keys)),
                  "%s: 合计 counts each finding once (%d)" % (os.path.relpath(path, a.out),
                                                        len(distinct(keys))), repr(t[-1]))
    path = os.path.join(a.out, "汇总_全国.xlsx")
    if os.path.exists(path):
        t = rollup(path, "省份代码")
        col = t[0].index("问题总数")
        # The duplicates' money; money against the subsidy rules has a
        # column of its own (none in these fixtures).
        money_col = t[0].index("风险金额（元，不含已清理）")
        everything = distinct(schools)
        amount = sum(float(e["amount"]) for e in everything)
        check(t[-1][0] == "合计" and t[-1][col] == len(everything)
              and abs(float(t[-1][money_col]) - amount) < 0.005
              and float(t[-1][t[0].index("违规资助金额（元，不含已清理）")]) == 0,
              "汇总_全国: %d findings, %s yuan at risk" % (len(everything), money(amount)),
              repr(t[-1]))
        raw = open(os.path.join(a.out, "汇总_全国.csv"), "rb").read()
        check(raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8-sig").startswith("省份代码,省份名称"),
              "汇总_全国.csv: BOM and Chinese headers")

    for ok, what, ev in results:
        if ok:
            print("ok\t%s" % what)
        else:
            print("fail\t%s\t%s" % (what, ev.replace("\t", " ").replace("\n", " ")))
    print("rows\t%d" % total_rows)


if __name__ == "__main__":
    main()
