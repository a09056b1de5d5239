#!/usr/bin/env python3
"""The service's API and pages, end to end (issue 14, SPEC 5).

    python3 serve_check.py <chachong> <source dir> <scratch dir>

Runs fixtures/run/basic into a database, adds one account per role, starts
`chachong serve` (several instances: the throttling, timeout and slow-client
cases each get their own, with small limits) and drives it with http.client
and raw sockets: every call and role, the scope by id, by filter and by
download, masking, CSRF, session fixation, cookie flags, throttling, idle and
absolute timeouts, slow clients, oversized and malformed requests, security
headers, the audit entry of each call, a new period seen without a restart,
and the pages. The expected scopes are computed from the fixture's
hand-worked expected_findings.txt and the roster files' school columns,
never from the service's answers. Prints "ok"/"FAIL" lines and
"N passed, M failed"; exits 1 on any failure.
"""
import atexit
import csv
import http.client
import io
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import zipfile

CC, SRC, S = sys.argv[1], sys.argv[2], sys.argv[3]
FX = os.path.join(SRC, "fixtures", "run", "basic")
DB = os.path.join(S, "db")
PASSED = FAILED = 0
SERVERS = []


def check(what, cond, evidence=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print("ok   - " + what)
    else:
        FAILED += 1
        print("FAIL - " + what)
        if evidence:
            print("       " + str(evidence)[:600].replace("\n", "\n       "))


def finish():
    for p in SERVERS:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    print("%d passed, %d failed" % (PASSED, FAILED))
    sys.exit(1 if FAILED else 0)


def cleanup():
    # also after an exception: no server is left running
    for p in SERVERS:
        if p.poll() is None:
            p.kill()


atexit.register(cleanup)


def cc(*args, stdin=None):
    return subprocess.run([CC] + list(args), input=stdin, capture_output=True)


# ---------------------------------------------------------------------------
# What each scope must see, from the fixture (not from the service).

def roster_lines(path):
    """{physical line of a record's first line: row dict}."""
    out = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        text = f.read()
    reader = csv.DictReader(io.StringIO(text))
    start = 2
    for row in reader:
        out[start] = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        start = reader.line_num + 1
    return out


ROSTERS = {"moe": roster_lines(os.path.join(FX, "moe.csv")),
           "mohrss": roster_lines(os.path.join(FX, "mohrss.csv")),
           "sd": roster_lines(os.path.join(FX, "provincial.csv"))}
EXPECTED = []
with open(os.path.join(FX, "expected_findings.txt"), encoding="utf-8") as f:
    for line in f:
        if line.strip() and not line.startswith("#"):
            typ, scope, valid, amount, members = line.split()
            ms = []
            for m in members.split(","):
                label, ln = m.split(":")
                row = ROSTERS[label][int(ln)]
                ms.append((row.get("学校代码", ""), row.get("所在地区代码", "")))
            EXPECTED.append({"type": typ, "members": ms})


def expected_count(role, scope, school=None, region=None, type_=None):
    n = 0
    for e in EXPECTED:
        ms = e["members"]
        if role == "school":
            inside = any(s == scope for s, r in ms)
        elif role in ("province", "city"):
            inside = any(r.startswith(scope) for s, r in ms)
        else:
            inside = True
        if not inside:
            continue
        if school and not any(s == school for s, r in ms):
            continue
        if region and not any(r.startswith(region) for s, r in ms):
            continue
        if type_ and e["type"] != type_:
            continue
        n += 1
    return n


# ---------------------------------------------------------------------------
# HTTP.

class Server:
    def __init__(self, *extra, tls=False):
        self.tls = tls
        log = open(os.path.join(S, "serve%d.log" % len(SERVERS)), "w+")
        self.proc = subprocess.Popen(
            [CC, "serve", "--db", DB, "--listen", "127.0.0.1:0"] + list(extra),
            stdout=log, stderr=log)
        SERVERS.append(self.proc)
        self.port = None
        for _ in range(600):  # the service says its port once it listens
            log.seek(0)
            m = re.search(r"port (\d+)", log.read())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if self.port is None:
            log.seek(0)
            check("chachong serve starts", False, log.read())
            finish()

    def req(self, method, path, body=None, headers=None, cookie=None, csrf=None):
        h = dict(headers or {})
        if cookie:
            h["Cookie"] = "cc_session=" + cookie
        if csrf:
            h["X-CSRF-Token"] = csrf
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        if self.tls:
            c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=120,
                                            context=ssl._create_unverified_context())
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hs = {}
        for k, v in r.getheaders():
            hs.setdefault(k.lower(), []).append(v)
        c.close()
        return r.status, hs, data

    def login(self, user, password, cookie=None):
        st, hs, data = self.req("POST", "/api/v1/login",
                                {"user": user, "password": password}, cookie=cookie)
        sid = None
        for c in hs.get("set-cookie", []):
            m = re.match(r"cc_session=([0-9a-f]*)", c)
            if m:
                sid = m.group(1)
        tok = json.loads(data)["csrf_token"] if st == 200 else None
        return st, sid, tok, hs, data


def j(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


def header(hs, name):
    v = hs.get(name.lower())
    return v[0] if v else None


def audit_lines():
    r = cc("audit", "--db", DB)
    return r.stdout.decode().splitlines()


def audit_count(user, command="serve", contains=""):
    return sum(1 for l in audit_lines()
               if l.split("\t")[1:3] == [user, command] and contains in l)


# ---------------------------------------------------------------------------
# The database and the accounts.

r = cc("run", "--db", DB, "--period", "2026-09", "--issued", "2026-09-25",
       "--roster", "moe=" + os.path.join(FX, "moe.csv"),
       "--roster", "mohrss=" + os.path.join(FX, "mohrss.csv"),
       "--roster", "sd=" + os.path.join(FX, "provincial.csv"),
       "--out", os.path.join(S, "out"))
check("the fixture runs", r.returncode == 0, r.stderr)
ACCOUNTS = [("nat", "national", "", "national-pass-1"),
            ("sd", "province", "37", "province-pass-1"),
            ("bj", "province", "11", "beijing-pass-1"),
            ("qd", "city", "3702", "qingdao-pass-1"),
            ("s1", "school", "4137010001", "school-one-pass"),
            ("s2", "school", "J3702001", "school-two-pass")]
for name, role, scope, pw in ACCOUNTS:
    args = ["user", "add", "--db", DB, name, "--role", role]
    if scope:
        args += ["--scope", scope]
    r = cc(*args, stdin=(pw + "\n").encode())
    check("user add %s (%s)" % (name, role), r.returncode == 0, r.stderr)
PW = {a[0]: a[3] for a in ACCOUNTS}
SCOPE = {a[0]: (a[1], a[2]) for a in ACCOUNTS}
r = cc("user", "add", "--db", DB, "pw-argv", "--role", "national", "--password", "x")
check("user add takes no password on the command line", r.returncode == 2, r.stderr)
r = cc("user", "token", "--db", DB, "sd")
TOKEN = r.stdout.decode().strip()
check("user token prints one token", re.fullmatch(r"cct_[0-9a-f]{64}", TOKEN) is not None,
      r.stdout)
BEARER = {"Authorization": "Bearer " + TOKEN}

srv = Server()

# ---------------------------------------------------------------------------
# Security headers; health; no session.

st, hs, data = srv.req("GET", "/healthz")
check("GET /healthz is 200 without login", st == 200 and data == b"ok\n", (st, data))


def secure_headers(hs):
    csp = header(hs, "Content-Security-Policy") or ""
    return ("frame-ancestors 'none'" in csp and "default-src 'none'" in csp and
            "script-src" not in csp and header(hs, "X-Frame-Options") == "DENY" and
            header(hs, "X-Content-Type-Options") == "nosniff" and
            header(hs, "Referrer-Policy") == "same-origin" and
            header(hs, "Cache-Control") == "no-store")


check("security headers on /healthz", secure_headers(hs), hs)
for method, path in [("GET", "/api/v1/periods"), ("GET", "/api/v1/findings"),
                     ("GET", "/api/v1/findings/0123456789abcdef"),
                     ("POST", "/api/v1/findings/0123456789abcdef/responses"),
                     ("GET", "/api/v1/check?id=370102200803151231"),
                     ("GET", "/api/v1/export"), ("GET", "/api/v1/report"),
                     ("GET", "/api/v1/audit"), ("POST", "/api/v1/logout")]:
    st, hs, data = srv.req(method, path, body={} if method == "POST" else None)
    check("%s %s without a session is 401" % (method, path),
          st == 401 and (j(data) or {}).get("error") == "unauthorized", (st, data))
check("security headers on a 401", secure_headers(hs), hs)
st, hs, data = srv.req("GET", "/api/v1/periods", cookie="ab" * 32)
check("an unknown session id is 401", st == 401, st)

# ---------------------------------------------------------------------------
# Login: one 401, cookie flags, fixation.

st1, _, _, _, d1 = srv.login("s1", "wrong-password")
st2, _, _, _, d2 = srv.login("nobody", "wrong-password")
check("wrong password and unknown name: the same 401", st1 == st2 == 401 and d1 == d2,
      (st1, d1, st2, d2))
st, sid, csrf, hs, data = srv.login("s1", PW["s1"])
check("login is 200 with a CSRF token", st == 200 and re.fullmatch("[0-9a-f]{64}", csrf or ""),
      (st, data))
cookie = header(hs, "Set-Cookie") or ""
check("session id has 256 bits (64 hex digits)", re.fullmatch("[0-9a-f]{64}", sid or ""), cookie)
check("cookie is HttpOnly, SameSite=Strict, Path=/",
      "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie, cookie)
check("cookie is not Secure over plain HTTP (Secure under HTTPS)", "Secure" not in cookie, cookie)
check("security headers on login", secure_headers(hs), hs)
check("login body holds no password", PW["s1"].encode() not in data, data)
st, hs, data = srv.req("POST", "/api/v1/login", "user=s1&password=" + PW["s1"],
                       {"Content-Type": "application/x-www-form-urlencoded"})
check("API login must be JSON (415)", st == 415, (st, data))

planted = "cd" * 32
st, sid_f, _, hs, _ = srv.login("s1", PW["s1"], cookie=planted)
check("fixation: a planted id is not adopted", st == 200 and sid_f not in (planted, None),
      sid_f)
st, _, data = srv.req("GET", "/api/v1/periods", cookie=planted)
check("fixation: the planted id stays unauthorised", st == 401, st)
st, sid_g, _, _, _ = srv.login("s1", PW["s1"], cookie=sid_f)
st_old, _, _ = srv.req("GET", "/api/v1/periods", cookie=sid_f)
st_new, _, _ = srv.req("GET", "/api/v1/periods", cookie=sid_g)
check("fixation: a new id at login ends the old one", sid_g != sid_f and st_old == 401 and
      st_new == 200, (st_old, st_new))

SESS = {}
for name in PW:
    st, sid, tok, _, data = srv.login(name, PW[name])
    check("login %s" % name, st == 200, data)
    SESS[name] = (sid, tok)


def get(name, path):
    sid, _ = SESS[name]
    return srv.req("GET", path, cookie=sid)


# ---------------------------------------------------------------------------
# Periods and findings by role.

st, _, data = get("s1", "/api/v1/periods")
check("GET /api/v1/periods", st == 200 and j(data) == {"periods": ["2026-09"]}, data)

FULL_ID = re.compile(r"\b\d{17}[\dX]\b")


def in_scope(name, item):
    role, scope = SCOPE[name]
    for m in item["members"]:
        if role == "national":
            return True
        if role == "school" and m["school_code"] == scope:
            return True
        if role in ("province", "city") and m["region_code"].startswith(scope):
            return True
    return False


for name in PW:
    role, scope = SCOPE[name]
    n0 = audit_count(name)
    st, hs, data = get(name, "/api/v1/findings?per_page=200")
    d = j(data) or {}
    want = expected_count(role, scope)
    check("%s (%s %s) sees its %d findings" % (name, role, scope or "-", want),
          st == 200 and d.get("total") == want and len(d.get("items", [])) == want,
          (st, d.get("total")))
    check("%s: every item is within the scope" % name,
          all(in_scope(name, i) for i in d.get("items", [])))
    check("%s: the list call is audited under its name" % name, audit_count(name) == n0 + 1,
          audit_lines()[-3:])
    check("%s: Cache-Control no-store on data" % name,
          header(hs, "Cache-Control") == "no-store")
    if name == "s1":
        S1_ITEMS = d["items"]

# masking, as the school s1 sees it
own = [i for i in S1_ITEMS if any(m["school_code"] == "4137010001" for m in i["members"])]
zw = [i for i in S1_ITEMS if i["person"]["name"] == "张伟"]
check("a school sees the full ID of its own student",
      zw and zw[0]["person"]["id_number"] == "370102200803151231", zw[:1])
other = [m for i in S1_ITEMS for m in i["members"] if m["school_code"] != "4137010001"]
check("members at other schools: names masked",
      other and all("*" in m["name"] or m["name"] == "" for m in other),
      [m["name"] for m in other])
check("members at other schools: record numbers masked",
      all("*" in m["record_id"] or m["record_id"] == "" for m in other),
      [m["record_id"] for m in other])
check("members at other schools: school, status and amounts stay",
      all(m["school_code"] and m["status"] for m in other))
zw_other = [m for m in zw[0]["members"] if m["school_code"] == "J3701001"] if zw else []
check("the other school's name of 张伟 is 張* (first character kept)",
      zw_other and zw_other[0]["name"] == "張*", zw_other)

# filters cannot widen
for name, q, kw in [("s1", "school=J3702001", {"school": "J3702001"}),
                    ("s1", "region=3702", {"region": "3702"}),
                    ("s1", "type=double_grant", {"type_": "double_grant"}),
                    ("qd", "region=3701", {"region": "3701"}),
                    ("bj", "region=37", {"region": "37"}),
                    ("sd", "school=4137010001", {"school": "4137010001"})]:
    role, scope = SCOPE[name]
    st, _, data = get(name, "/api/v1/findings?per_page=200&" + q)
    want = expected_count(role, scope, **kw)
    check("%s with %s: %d (the filter narrows, never widens)" % (name, q, want),
          st == 200 and (j(data) or {}).get("total") == want, (st, data[:200]))

# paging and sorting
st, _, data = get("nat", "/api/v1/findings?per_page=5&page=2&sort=deadline")
d = j(data) or {}
check("paging: page 2 of 5", st == 200 and d.get("page") == 2 and len(d.get("items", [])) == 5
      and d.get("total") == 21, data[:200])
st, _, data = get("nat", "/api/v1/findings?per_page=200&sort=amount&order=desc")
amounts = [i["amount_at_risk"] for i in (j(data) or {}).get("items", [])]
check("sort=amount&order=desc", amounts and amounts == sorted(amounts, reverse=True), amounts)
st, _, data = get("nat", "/api/v1/findings?page=99")
check("a page past the end is empty", st == 200 and (j(data) or {}).get("items") == [], data)

for q in ["type=bogus", "state=done", "region=3", "per_page=0", "per_page=201",
          "page=abc", "period=2026-9", "sort=name"]:
    st, _, data = get("nat", "/api/v1/findings?" + q)
    check("malformed filter %s is 400" % q, st == 400 and j(data).get("error") == "bad_request",
          (st, data))
st, _, data = get("nat", "/api/v1/findings?period=2025-01")
check("a period not held is 404", st == 404, (st, data))

# ---------------------------------------------------------------------------
# One finding: in scope, out of scope, absent.

nat_items = j(get("nat", "/api/v1/findings?per_page=200")[2])["items"]
by_members = {}
for i in nat_items:
    by_members.setdefault(tuple(sorted(m["school_code"] for m in i["members"])), i)
s1_fid = zw[0]["finding_id"]
s2_only = [i for i in nat_items if i["type"] == "duplicate_record" and
           all(m["school_code"] == "J3702001" for m in i["members"])]
check("the fixture has a finding only at J3702001", len(s2_only) == 1, s2_only)
s2_fid = s2_only[0]["finding_id"]
st, _, data = get("s1", "/api/v1/findings/" + s1_fid)
d = j(data) or {}
check("GET a finding in scope: finding, history, responses",
      st == 200 and d["finding"]["finding_id"] == s1_fid and
      d["history"] and d["history"][0]["period"] == "2026-09" and d["responses"] == [],
      data[:300])
st_out, _, d_out = get("s1", "/api/v1/findings/" + s2_fid)
st_abs, _, d_abs = get("s1", "/api/v1/findings/0000000000000001")
check("a finding outside the scope is 404, like one that does not exist",
      st_out == st_abs == 404 and d_out == d_abs, (st_out, d_out, st_abs, d_abs))
st, _, _ = get("s2", "/api/v1/findings/" + s2_fid)
check("the same finding is 200 for its own school", st == 200, st)
st, _, _ = get("bj", "/api/v1/findings/" + s1_fid)
check("a finding outside a province is 404", st == 404, st)
st, _, _ = get("s1", "/api/v1/findings/zz")
check("a malformed finding id is 404", st == 404, st)
n0 = audit_count("s1", contains=s1_fid)
get("s1", "/api/v1/findings/" + s1_fid)
check("the detail call is audited with the finding id", audit_count("s1", contains=s1_fid) ==
      n0 + 1)

# ---------------------------------------------------------------------------
# Answers: CSRF, role, scope.

sid1, tok1 = SESS["s1"]
path = "/api/v1/findings/%s/responses" % s1_fid
body = {"action": "ask_other", "note": "已联系济南技师学院"}
st, _, data = srv.req("POST", path, body, cookie=sid1)
check("an answer without X-CSRF-Token is 403", st == 403 and j(data)["error"] == "csrf", data)
st, _, data = srv.req("POST", path, body, cookie=sid1, csrf=SESS["s2"][1])
check("an answer with another session's CSRF token is 403", st == 403, data)
st, _, data = srv.req("POST", path, body, cookie=sid1, csrf=tok1,
                      headers={"Origin": "http://evil.example"})
check("an answer from another origin is 403", st == 403, data)
st, _, data = srv.req("POST", path, "action=keep", cookie=sid1, csrf=tok1,
                      headers={"Content-Type": "text/plain"})
check("an answer that is not JSON is 415", st == 415, data)
st, _, data = srv.req("POST", path, {"action": "delete_all"}, cookie=sid1, csrf=tok1)
check("an unknown action is 400", st == 400, data)
st, _, data = srv.req("POST", path, "{\"action\":", cookie=sid1, csrf=tok1,
                      headers={"Content-Type": "application/json"})
check("malformed JSON is 400", st == 400, data)
n0 = audit_count("s1", contains="responses")
st, _, data = srv.req("POST", path, body, cookie=sid1, csrf=tok1,
                      headers={"Origin": "http://127.0.0.1:%d" % srv.port})
check("the school answers (201)", st == 201 and j(data)["action"] == "ask_other" and
      j(data)["school_code"] == "4137010001" and j(data)["by"] == "s1", data)
check("the answer is audited under s1", audit_count("s1", contains="responses") == n0 + 1)
d = j(get("s1", "/api/v1/findings/" + s1_fid)[2])
check("the answer is in the finding's responses",
      d["responses"] and d["responses"][-1]["action"] == "ask_other" and
      d["responses"][-1]["note"] == "已联系济南技师学院", d["responses"])
st, _, data = srv.req("POST", "/api/v1/findings/%s/responses" % s2_fid, body, cookie=sid1,
                      csrf=tok1)
check("an answer to a finding outside the scope is 404", st == 404, data)
st, _, data = srv.req("POST", path, body, cookie=SESS["sd"][0], csrf=SESS["sd"][1])
check("a province cannot answer for a school (403)", st == 403, data)
st, _, data = srv.req("POST", path, body, headers=BEARER)
check("an API token needs no CSRF token but keeps its role (403)", st == 403 and
      j(data)["error"] == "forbidden", data)

# ---------------------------------------------------------------------------
# The pre-registration check.

n0 = audit_count("s2", contains="check")
st, _, data = get("s2", "/api/v1/check?id=370102200803151231")
d = j(data) or {}
got = sorted((e["roster"], e["school_code"], e["status"]) for e in d.get("enrolled", []))
check("check: 张伟 is enrolled at moe 4137010001 and mohrss J3701001",
      st == 200 and d.get("id_valid") is True and
      got == [("moe", "4137010001", "在籍"), ("mohrss", "J3701001", "在籍")], data)
check("check: no name, no ID in the answer", "张伟" not in data.decode() and
      "370102200803151231" not in data.decode(), data)
check("check: audited with the ID masked", audit_count("s2", contains="check") == n0 + 1 and
      not any("370102200803151231" in l for l in audit_lines()))
st, _, data = get("s2", "/api/v1/check?id=370124200602140358")
got = [(e["roster"], e["school_code"]) for e in (j(data) or {}).get("enrolled", [])]
check("check: 马超 graduated at moe, enrolled at mohrss J3701002 only",
      got == [("mohrss", "J3701002")], data)
st, _, data = get("s2", "/api/v1/check?id=110101200001011230")
check("check: a person nobody holds", st == 200 and j(data)["enrolled"] == [], data)
st, _, data = get("s2", "/api/v1/check?id=abc")
check("check: a value that is no ID is 400", st == 400, data)
st, _, data = get("s2", "/api/v1/check")
check("check: a missing id is 400", st == 400, data)

# ---------------------------------------------------------------------------
# Downloads.

n0 = audit_count("s1", "export")
st, hs, data = get("s1", "/api/v1/export")
check("export: a school gets its workbook", st == 200 and data[:2] == b"PK" and
      "xlsx" in (header(hs, "Content-Disposition") or ""), (st, hs))
check("export: audited under the school's name", audit_count("s1", "export") == n0 + 1)
try:
    z = zipfile.ZipFile(io.BytesIO(data))
    xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                  if n.endswith(".xml"))
    check("export: the workbook shows its students' full IDs",
          "370102200803151231" in xml)
except zipfile.BadZipFile as e:
    check("export: the workbook is a zip", False, e)
n0 = audit_count("sd", "query")
st, hs, data = get("sd", "/api/v1/export")
rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
check("export: a province gets its scope's CSV", st == 200 and rows and
      rows[0][:3] == ["period", "finding_id", "type"] and
      len(rows) - 1 == expected_count("province", "37"), (st, len(rows)))
check("export: the CSV's IDs are masked", not FULL_ID.search(data.decode()), data[:300])
check("export: audited (query) under the province's name", audit_count("sd", "query") == n0 + 1)
st, _, data = get("bj", "/api/v1/export")
rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
check("export: a province with no findings gets a CSV with its header only",
      st == 200 and len(rows) == 1, rows)
st, hs, data = get("sd", "/api/v1/report")
csp = header(hs, "Content-Security-Policy") or ""
check("report: a province gets its HTML report", st == 200 and b"<html" in data[:500].lower(),
      (st, data[:200]))
check("report: its CSP allows inline style, no script, no framing",
      "style-src 'unsafe-inline'" in csp and "script" not in csp and
      "frame-ancestors 'none'" in csp, csp)
st, _, data = get("s1", "/api/v1/report")
check("report: a school gets 403", st == 403, data)

# ---------------------------------------------------------------------------
# The audit log.

st, _, data = get("s1", "/api/v1/audit")
check("audit: a school gets 403", st == 403, data)
st, _, data = get("qd", "/api/v1/audit")
check("audit: a city gets 403", st == 403, data)
st, _, data = get("nat", "/api/v1/audit")
users = {e["user"] for e in (j(data) or {}).get("entries", [])}
check("audit: national sees every account's entries", {"s1", "s2", "sd", "nat"} <= users, users)
st, _, data = get("sd", "/api/v1/audit")
users = {e["user"] for e in (j(data) or {}).get("entries", [])}
check("audit: a province sees its own province's accounts only",
      st == 200 and "sd" in users and "s1" in users and "qd" in users and
      "nat" not in users and "bj" not in users, users)
st, _, data = get("nat", "/api/v1/audit?since=2099-01-01")
check("audit: since", st == 200 and j(data)["entries"] == [], data)
st, _, data = get("nat", "/api/v1/audit?since=yesterday")
check("audit: a bad since is 400", st == 400, data)

# ---------------------------------------------------------------------------
# Malformed and oversized requests.

st, _, data = srv.req("POST", "/api/v1/login", "x" * 70000,
                      {"Content-Type": "application/json"})
check("a 70 kB body is 413", st == 413, (st, data))
sk = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
sk.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Content-Length: 100000000\r\n\r\n")
resp = sk.recv(4096)
sk.close()
check("a body announced at 100 MB is refused before it is sent (413)",
      resp.startswith(b"HTTP/1.1 413"), resp[:100])
sk = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
sk.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
resp = b""
try:
    while True:
        chunk = sk.recv(4096)
        if not chunk:
            break
        resp += chunk
except (ConnectionResetError, socket.timeout):
    pass
sk.close()
check("a 40 kB header is refused (431 or 413), never served",
      resp[:12] in (b"HTTP/1.1 431", b"HTTP/1.1 413") or resp == b"", resp[:100])
for bad in ["{\"user\":\"s1\"}", "[1,2]", "{\"user\":{\"a\":1},\"password\":\"x\"}", "",
            "{\"user\":\"s1\",\"password\":\"x\"} trailing"]:
    st, _, data = srv.req("POST", "/api/v1/login", bad, {"Content-Type": "application/json"})
    check("malformed login body %r is 400" % bad[:30], st == 400, (st, data))
st, _, data = srv.req("PUT", "/api/v1/periods", cookie=SESS["nat"][0])
check("PUT is 405", st == 405, (st, data))
st, _, data = get("nat", "/api/v1/nothing")
check("an unknown API path is 404", st == 404, data)

# ---------------------------------------------------------------------------
# Account changes end sessions and tokens.

sid_tmp = srv.login("s2", PW["s2"])[1]
r = cc("user", "passwd", "--db", DB, "s2", stdin=b"school-two-new-pass\n")
st, _, _ = srv.req("GET", "/api/v1/periods", cookie=sid_tmp)
check("a new password ends the sessions opened before it", r.returncode == 0 and st == 401,
      (r.stderr, st))
st, _, _ = srv.req("GET", "/api/v1/periods", headers=BEARER)
check("the API token works", st == 200, st)
cc("user", "disable", "--db", DB, "sd")
st, _, _ = srv.req("GET", "/api/v1/periods", headers=BEARER)
st2, _, _ = srv.req("GET", "/api/v1/periods", cookie=SESS["sd"][0])
check("a disabled account's token and session stop", st == 401 and st2 == 401, (st, st2))
cc("user", "enable", "--db", DB, "sd")
cc("user", "token", "--db", DB, "sd", "--revoke")
st, _, _ = srv.req("GET", "/api/v1/periods", headers=BEARER)
check("a revoked token stops", st == 401, st)

# ---------------------------------------------------------------------------
# Logout.

sid_l, tok_l = srv.login("qd", PW["qd"])[1:3]
st, _, _ = srv.req("POST", "/api/v1/logout", cookie=sid_l)
check("logout needs the CSRF token", st == 403, st)
st, hs, _ = srv.req("POST", "/api/v1/logout", cookie=sid_l, csrf=tok_l)
st2, _, _ = srv.req("GET", "/api/v1/periods", cookie=sid_l)
check("logout is 204 and ends the session", st == 204 and st2 == 401 and
      "Max-Age=0" in (header(hs, "Set-Cookie") or ""), (st, st2, hs))

# ---------------------------------------------------------------------------
# The pages.

st, hs, _ = srv.req("GET", "/")
check("pages: / without a session goes to /login (303)", st == 303 and
      header(hs, "Location") == "/login", (st, hs))
st, hs, data = srv.req("GET", "/login")
check("pages: the login page is Chinese, no script, with security headers",
      st == 200 and "登录" in data.decode() and b"<script" not in data and
      secure_headers(hs), data[:200])
st, hs, data = srv.req("POST", "/login", "user=s1&password=wrong-pass-1",
                       {"Content-Type": "application/x-www-form-urlencoded"})
check("pages: a wrong password shows the login page again (401)", st == 401 and
      "用户名或密码错误" in data.decode(), st)
st, hs, _ = srv.req("POST", "/login", "user=s1&password=" + PW["s1"],
                    {"Content-Type": "application/x-www-form-urlencoded"})
m = re.match(r"cc_session=([0-9a-f]{64})", header(hs, "Set-Cookie") or "")
check("pages: the form login sets the cookie and goes to / (303)", st == 303 and m, hs)
psid = m.group(1) if m else ""
for path, text in [("/", "概况"), ("/findings", "问题清单"), ("/findings?type=double_grant",
                   "问题清单"), ("/check?id=370102200803151231", "已持有学籍"),
                   ("/downloads", "本校问题工作簿"), ("/findings/" + s1_fid, "学校反馈")]:
    st, hs, data = srv.req("GET", path, cookie=psid)
    page = data.decode()
    check("pages: %s (%s)" % (path, text), st == 200 and text in page and "<script" not in page
          and secure_headers(hs), (st, page[:300]))
st, _, data = srv.req("GET", "/findings/" + s2_fid, cookie=psid)
check("pages: a finding outside the scope is 404", st == 404, st)
st, _, data = srv.req("GET", "/audit", cookie=psid)
check("pages: a school gets no audit page", st == 403, st)
page = srv.req("GET", "/findings/" + s1_fid, cookie=psid)[2].decode()
m = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
check("pages: the answer form carries the CSRF token", m is not None)
ptok = m.group(1) if m else ""
form = "csrf=%s&action=keep&note=%s" % (ptok, "学生在本校就读")
st, _, _ = srv.req("POST", "/findings/%s/answer" % s1_fid, "action=keep",
                   {"Content-Type": "application/x-www-form-urlencoded"}, cookie=psid)
check("pages: an answer without the form's CSRF token is 403", st == 403, st)
import urllib.parse
st, hs, _ = srv.req("POST", "/findings/%s/answer" % s1_fid,
                    urllib.parse.urlencode({"csrf": ptok, "action": "keep",
                                            "note": "学生在本校就读"}),
                    {"Content-Type": "application/x-www-form-urlencoded"}, cookie=psid)
check("pages: the form answer is stored (303 to the finding)", st == 303 and
      header(hs, "Location") == "/findings/" + s1_fid, (st, hs))
page = srv.req("GET", "/findings/" + s1_fid, cookie=psid)[2].decode()
check("pages: the answer shows on the finding", "学生在本校就读" in page)
page = srv.req("GET", "/audit", cookie=SESS["nat"][0])[2].decode()
check("pages: the national audit page lists s1's calls", "s1" in page and "serve" in page)

# ---------------------------------------------------------------------------
# A new period while the service runs: seen without a restart.

r = cc("run", "--db", DB, "--period", "2026-10", "--issued", "2026-10-26",
       "--roster", "moe=" + os.path.join(FX, "moe.csv"),
       "--roster", "mohrss=" + os.path.join(FX, "mohrss.csv"),
       "--roster", "sd=" + os.path.join(FX, "provincial.csv"),
       "--out", os.path.join(S, "out10"))
st, _, data = get("nat", "/api/v1/periods")
check("a period published during service is seen at once", r.returncode == 0 and
      j(data) == {"periods": ["2026-09", "2026-10"]}, (r.stderr[-300:], data))
st, _, data = get("nat", "/api/v1/findings?per_page=200")
d = j(data) or {}
check("the latest period is the default; its findings are carried over (not new)",
      d.get("period") == "2026-10" and d.get("total") == 21 and
      all(i["state"] != "new" for i in d.get("items", [])), data[:300])
st, _, data = get("s1", "/api/v1/findings/" + s1_fid)
hist = [h["period"] for h in (j(data) or {}).get("history", [])]
check("a finding's history spans both periods", hist == ["2026-09", "2026-10"], data[:300])
# 2026-10-26 is past the first period's deadline: every carried finding is
# overdue, so each school in scope with a finding is a late school.
page = srv.req("GET", "/", cookie=psid)[2].decode()
late = page.split("逾期未整改较多的学校", 1)[-1].split("<h2>", 1)[0]
codes = re.findall(r"<tr><td>([^<]*)</td>", late)
check("dashboard: a school's late schools are itself only", codes == ["4137010001"], codes)
page = srv.req("GET", "/", cookie=SESS["qd"][0])[2].decode()
late = page.split("逾期未整改较多的学校", 1)[-1].split("<h2>", 1)[0]
codes = set(re.findall(r"<tr><td>([^<]*)</td>", late))
want = {s for e in EXPECTED for s, r in e["members"] if r.startswith("3702")}
check("dashboard: a city's late schools are its own schools with findings", codes == want,
      (codes, want))

# ---------------------------------------------------------------------------
# Throttling (a server of its own: the lock is per process).

t = Server("--lockout", "60")
for k in range(5):
    st, _, _, _, _ = t.login("s1", "guess-%d-wrong" % k)
st, _, _, hs, data = t.login("s1", PW["s1"])
check("throttle: after 5 failures even the right password is refused (429)",
      st == 429 and int(header(hs, "Retry-After") or 0) > 0, (st, hs))
st, _, _, _, _ = t.login("nat", PW["nat"])
check("throttle: another account from the same address still logs in", st == 200, st)
for k in range(20):
    t.login("ghost%d" % k, "guess-wrong-%d" % k)
st, _, _, hs, _ = t.login("qd", PW["qd"])
check("throttle: 20 failures from one address lock the address (429)", st == 429, st)

# ---------------------------------------------------------------------------
# Timeouts (servers of their own, small limits; only expiry is asserted:
# a slow machine can only make the wait longer).

t = Server("--idle-timeout", "2")
sid = t.login("nat", PW["nat"])[1]
time.sleep(3.5)
st, _, _ = t.req("GET", "/api/v1/periods", cookie=sid)
check("idle timeout: a session unused for longer is 401", st == 401, st)
t = Server("--absolute-timeout", "3", "--idle-timeout", "3600")
sid = t.login("nat", PW["nat"])[1]
time.sleep(4.5)
st, _, _ = t.req("GET", "/api/v1/periods", cookie=sid)
check("absolute timeout: a session older than the limit is 401", st == 401, st)
t = Server("--connection-timeout", "2")
sk = socket.create_connection(("127.0.0.1", t.port), timeout=60)
sk.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and then nothing
t0 = time.monotonic()
try:
    closed = sk.recv(4096) == b""
except ConnectionResetError:
    closed = True
except socket.timeout:
    closed = False
sk.close()
check("slow client: a silent connection is closed by the server", closed,
      time.monotonic() - t0)

# Connections from one address: with --per-ip-connections 2, two held
# open, a third is closed without an answer; one of the two closed, a new
# one is served again.
t = Server("--per-ip-connections", "2")
held = [socket.create_connection(("127.0.0.1", t.port), timeout=60) for _ in range(2)]
for sk in held:  # each connection is seen by the service (answered once)
    sk.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    sk.recv(4096)
third = socket.create_connection(("127.0.0.1", t.port), timeout=60)
try:
    third.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    refused = third.recv(4096) == b""
except (ConnectionResetError, BrokenPipeError):
    refused = True
third.close()
check("per-address limit: a third connection from one address is closed", refused)
held[0].close()
ok = False
for _ in range(100):  # until the service has seen the close
    st = None
    try:
        st = t.req("GET", "/healthz")[0]
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        time.sleep(0.1)
    if st == 200:
        ok = True
        break
check("per-address limit: a connection closed makes room again", ok)
held[1].close()

# ---------------------------------------------------------------------------
# HTTPS: the cookie gets Secure and the __Host- prefix, HSTS is sent.

key, cert = os.path.join(S, "key.pem"), os.path.join(S, "cert.pem")
r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost"], capture_output=True)
check("a test certificate is made (openssl)", r.returncode == 0, r.stderr)
t = Server("--tls-cert", cert, "--tls-key", key, tls=True)
st, hs, data = t.req("POST", "/api/v1/login", {"user": "nat", "password": PW["nat"]})
cookie = header(hs, "Set-Cookie") or ""
check("https: login works", st == 200, (st, data))
check("https: the cookie is __Host-, Secure, HttpOnly, SameSite=Strict",
      cookie.startswith("__Host-cc_session=") and "; Secure" in cookie and
      "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie)
check("https: Strict-Transport-Security is sent",
      (header(hs, "Strict-Transport-Security") or "").startswith("max-age="), hs)
m = re.match(r"__Host-cc_session=([0-9a-f]{64})", cookie)
st, _, _ = t.req("GET", "/api/v1/periods",
                 headers={"Cookie": "__Host-cc_session=" + (m.group(1) if m else "")})
check("https: the session works", st == 200, st)
sk = socket.create_connection(("127.0.0.1", t.port), timeout=60)
sk.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
try:
    resp = sk.recv(4096)
except (ConnectionResetError, socket.timeout):
    resp = b""
sk.close()
check("https: plain HTTP on the TLS port gets no page", b"ok" not in resp, resp[:80])

# ---------------------------------------------------------------------------
# The service's audit store (group commit): 48 calls at once, each told
# only once its entry is written; the service killed (-9) the moment the
# last answer is in: every answered call has its entry. Then a torn tail
# is skipped with a warning naming the file and the offset, and the
# listing merges the service's entries with the database's (export,
# query) in time order.

import threading

STORE = os.path.join(DB, "audit-serve.log")
r = cc("user", "token", "--db", DB, "sd")  # a token again: the first was revoked
BEARER = {"Authorization": "Bearer " + r.stdout.decode().strip()}
k = Server()
n0 = audit_count("sd", contains="GET /api/v1/check")
answered = []
lock = threading.Lock()


def one_check(i):
    try:
        st, _, _ = k.req("GET", "/api/v1/check?id=370102200803151231", headers=BEARER)
    except OSError:
        st = None
    with lock:
        answered.append(st)


threads = [threading.Thread(target=one_check, args=(i,)) for i in range(48)]
for t in threads:
    t.start()
for t in threads:
    t.join()
k.proc.kill()  # SIGKILL: nothing is flushed on the way out
k.proc.wait()
ok200 = sum(1 for st in answered if st == 200)
check("group commit: 48 calls at once are all answered", ok200 == 48, answered)
check("group commit: killed at once, every answered call has its entry",
      audit_count("sd", contains="GET /api/v1/check") == n0 + ok200,
      (n0, ok200, audit_count("sd", contains="GET /api/v1/check")))
check("the service's store is its own file, mode 0600",
      os.path.exists(STORE) and (os.stat(STORE).st_mode & 0o777) == 0o600)

lines = audit_lines()
commands = {l.split("\t")[2] for l in lines}
times = [l.split("\t")[0] for l in lines]
check("audit lists the service's entries and the database's together",
      {"serve", "export", "query", "user"} <= commands, commands)
check("audit lists them in time order", times == sorted(times), times[:5])

with open(STORE, "rb") as f:  # the data end before the zeros written ahead
    size = len(f.read().rstrip(b"\0"))
with open(STORE, "r+b") as f:
    f.seek(size)
    f.write(b"CCA1\x00\x00\x00\x1ftorn")  # a crash in the middle of an entry
r = cc("audit", "--db", DB)
check("a torn tail: audit still lists every entry", r.returncode == 0 and
      r.stdout.decode().splitlines() == lines, r.stderr)
check("a torn tail: a warning names the file and the offset",
      ("audit store %s: torn or damaged tail at offset %d (12 bytes skipped)" %
       (STORE, size)) in r.stderr.decode(), r.stderr)
k = Server()  # appends after the torn bytes
st, _, _ = k.req("GET", "/api/v1/check?id=370102200803151231", headers=BEARER)
r = cc("audit", "--db", DB)
check("after a restart the next entry is read past the torn bytes",
      st == 200 and len(r.stdout.decode().splitlines()) == len(lines) + 1 and
      ("audit store %s: damaged entry at offset %d (12 bytes skipped)" % (STORE, size))
      in r.stderr.decode(), r.stderr)

finish()
