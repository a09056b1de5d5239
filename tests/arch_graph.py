#!/usr/bin/env python3
"""The include-and-call graph of engine/*.c (docs/ARCHITECTURE.md).

    arch_graph.py LIBRARY ENGINE_DIR            check the library as built
    arch_graph.py --self-test LIBRARY ENGINE_DIR  check that each rule fails
                                                  on a graph that breaks it

Nodes are the files engine/X.c. An edge X -> Y when X.c calls a function or
uses a variable that Y.c defines (read from `nm` of the static library's
members: X's undefined symbols against Y's defined ones) or when X.c
includes Y's header ("Y_internal.h", "chachong/Y.h"; store_lmdb_internal.h
is store.c's). The rules:
  1. no loop: no two files reach each other;
  2. finding.c, the shared type, reaches no stage;
  3. only store.c, store_roster.c and store_findings.c call mdb_*, and only
     they include <lmdb.h> or store_lmdb_internal.h.
Exit 0 when every rule holds, 1 with one line per broken rule otherwise.
"""
import os
import re
import subprocess
import sys

STORAGE = {"store", "store_roster", "store_findings"}
# The stages and the storage layer: what the shared finding type must not
# reach. The support files (error, text, record, normalize_id, calendar,
# date, region, ...) are leaves every module may use.
STAGES = {"ingest", "xlsx_read", "index", "compare", "person", "fuzzy",
          "lifecycle", "policy", "review", "audit", "export", "query",
          "report", "run"} | STORAGE
HEADER_OWNER = {"store_lmdb_internal.h": "store"}


def members(library):
    """{member: (defined symbols, undefined symbols)} of a static library."""
    out = subprocess.run(["nm", "-A", library], check=True,
                         capture_output=True, text=True).stdout
    table = {}
    for line in out.splitlines():
        # "lib.a:store.c.o:0000000000000000 T cc_store_error" or
        # "lib.a:store.c.o:                 U mdb_get"
        m = re.match(r"^[^:]+:([^:]+\.c\.o):\s*(?:[0-9a-f]+\s+)?([A-Za-z])\s+(\S+)$",
                     line)
        if not m:
            continue
        name = m.group(1)[:-len(".c.o")]
        kind, sym = m.group(2), m.group(3)
        d, u = table.setdefault(name, (set(), set()))
        if kind == "U":
            u.add(sym)
        elif kind.isupper():
            d.add(sym)
    return table


def includes(engine_dir, files):
    """{file: set of quoted headers it includes}."""
    inc = {}
    for f in files:
        path = os.path.join(engine_dir, f + ".c")
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        inc[f] = set(re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M))
        if re.search(r'^\s*#\s*include\s+<lmdb\.h>', text, re.M):
            inc[f].add("<lmdb.h>")
    return inc


def header_file(header, files):
    """The engine file a header belongs to, or None (a helper header)."""
    base = os.path.basename(header)
    if base in HEADER_OWNER:
        return HEADER_OWNER[base]
    stem = base[:-len(".h")] if base.endswith(".h") else base
    if stem.endswith("_internal"):
        stem = stem[:-len("_internal")]
    return stem if stem in files else None


def build_graph(table, inc):
    files = set(table)
    owner = {}
    for f, (d, _) in table.items():
        for s in d:
            owner.setdefault(s, f)
    edges = {f: set() for f in files}
    for f, (_, u) in table.items():
        for s in u:
            g = owner.get(s)
            if g and g != f:
                edges[f].add(g)
    for f, hs in inc.items():
        for h in hs:
            g = header_file(h, files)
            if g and g != f:
                edges[f].add(g)
    return edges


def reach(edges, start):
    seen, todo = set(), [start]
    while todo:
        for g in edges.get(todo.pop(), ()):
            if g not in seen:
                seen.add(g)
                todo.append(g)
    return seen


def check(edges, table, inc):
    """The broken rules, one line each."""
    bad = []
    loops = set()
    for f in sorted(edges):
        for g in sorted(reach(edges, f)):
            if g != f and f in reach(edges, g):
                loops.add(tuple(sorted((f, g))))
    for a, b in sorted(loops):
        bad.append("loop: %s.c and %s.c reach each other" % (a, b))
    if "finding" in edges:
        for g in sorted(reach(edges, "finding") & STAGES):
            bad.append("finding.c reaches the stage %s.c" % g)
    for f, (_, u) in sorted(table.items()):
        calls = sorted(s for s in u if s.startswith("mdb_"))
        if calls and f not in STORAGE:
            bad.append("%s.c calls %s outside the storage layer" %
                       (f, ", ".join(calls)))
    for f, hs in sorted(inc.items()):
        for h in ("<lmdb.h>", "store_lmdb_internal.h"):
            if h in hs and f not in STORAGE:
                bad.append("%s.c includes %s outside the storage layer" % (f, h))
    return bad


def self_test(table, inc):
    """Each rule must fail on a graph that breaks it: a rule that cannot
    fail checks nothing."""
    base = build_graph(table, inc)
    failures = []

    def expect(what, edges, tbl, incl, needle):
        bad = check(edges, tbl, incl)
        if not any(needle in b for b in bad):
            failures.append("%s: not caught (%s)" % (what, bad))

    # A loop: lifecycle already uses finding; finding calling lifecycle back.
    e = {k: set(v) for k, v in base.items()}
    e.setdefault("lifecycle", set()).add("finding")
    e.setdefault("finding", set()).add("lifecycle")
    expect("loop", e, table, inc, "loop: finding.c and lifecycle.c")
    # finding reaching a stage through a support file.
    e = {k: set(v) for k, v in base.items()}
    e.setdefault("error", set()).add("fuzzy")
    e.setdefault("finding", set()).add("error")
    expect("finding reaches a stage", e, table, inc,
           "finding.c reaches the stage fuzzy.c")
    # A stage calling LMDB, and one including the storage's own header.
    t = {k: (set(d), set(u)) for k, (d, u) in table.items()}
    t["compare"][1].add("mdb_txn_begin")
    expect("mdb_ in a stage", base, t, inc, "compare.c calls mdb_txn_begin")
    i = {k: set(v) for k, v in inc.items()}
    i["fuzzy"].add("store_lmdb_internal.h")
    expect("storage header in a stage", build_graph(table, i), table, i,
           "fuzzy.c includes store_lmdb_internal.h")
    # The clean graph passes, and it has the storage layer in it.
    if not STORAGE <= set(table):
        failures.append("the library lacks %s" % sorted(STORAGE - set(table)))
    return failures


def main(argv):
    selftest = len(argv) > 1 and argv[1] == "--self-test"
    if selftest:
        argv = argv[1:]
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    table = members(argv[1])
    if not table:
        print("arch_graph: no engine objects in %s" % argv[1])
        return 1
    inc = includes(argv[2], table)
    if selftest:
        failures = self_test(table, inc)
        for f in failures:
            print("self-test: " + f)
        return 1 if failures else 0
    bad = check(build_graph(table, inc), table, inc)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
