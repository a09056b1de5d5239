#!/usr/bin/env python3
"""Recall and precision of the fuzzy tier against the generator's truth.

usage: fuzzy_eval.py [--check RECALL PRECISION] GEN_DIR OUT_DIR [RECORDS]

GEN_DIR holds gen_roster's expected_links.txt and expected_negatives.txt
(`<kind> <roster>:<line> <roster>:<line>`); OUT_DIR holds a run's
findings.jsonl and possible.jsonl. A pair of records counts as linked when
some fuzzy finding (match.basis other than id_exact) has both as members and
their IDs differ. Recall is per kind of damage; precision is over every
linked pair: a linked pair that is not a planted link is a false match
(hard negatives are counted apart).

With --check RECALL PRECISION (percentages, e.g. --check 97 99.5) the exit
status is 1 when the recall over all links or the precision falls below
them, so a test can gate on the figures; the report is printed either way.
"""
import collections
import json
import sys


def rec(roster, line):
    return "%s:%d" % (roster, line)


def usage():
    sys.exit("usage: fuzzy_eval.py [--check RECALL PRECISION] GEN_DIR OUT_DIR [RECORDS]")


def main():
    args, check = sys.argv[1:], None
    if args[:1] == ["--check"]:
        if len(args) < 3:
            usage()
        try:
            check = (float(args[1]), float(args[2]))
        except ValueError:
            usage()
        args = args[3:]
    if len(args) not in (2, 3):
        usage()
    gen, out = args[0], args[1]
    records = int(args[2]) if len(args) > 2 else 0
    truth, kinds = set(), {}
    for line in open(gen + "/expected_links.txt", encoding="utf-8"):
        kind, a, b = line.split()
        key = tuple(sorted((a, b)))
        truth.add(key)
        kinds[key] = kind
    negatives = {}
    for line in open(gen + "/expected_negatives.txt", encoding="utf-8"):
        kind, a, b = line.split()
        negatives[tuple(sorted((a, b)))] = kind

    linked = set()
    for line in open(out + "/findings.jsonl", encoding="utf-8"):
        f = json.loads(line)
        if f["match"]["basis"] == "id_exact" or f.get("state") == "cleared":
            continue
        members = [(rec(m["roster"], m["line"]), m.get("id_number")) for m in f["members"]]
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                if members[i][1] != members[j][1]:
                    linked.add(tuple(sorted((members[i][0], members[j][0]))))
    possible = sum(1 for _ in open(out + "/possible.jsonl", encoding="utf-8"))

    by_kind = collections.Counter(kinds.values())
    found = collections.Counter(kinds[p] for p in truth & linked)
    print("%-28s %7s %7s %8s" % ("kind", "planted", "found", "recall"))
    for kind in sorted(by_kind):
        print("%-28s %7d %7d %7.1f%%" % (kind, by_kind[kind], found[kind],
                                        100.0 * found[kind] / by_kind[kind]))
    tp = len(truth & linked)
    fp = linked - truth
    neg_linked = collections.Counter(negatives[p] for p in fp if p in negatives)
    print("%-28s %7d %7d %7.1f%%" % ("all links", len(truth), tp, 100.0 * tp / max(1, len(truth))))
    print("linked pairs %d, of them not planted %d: precision %.2f%%"
          % (len(linked), len(fp), 100.0 * tp / max(1, len(linked))))
    for kind in sorted(set(negatives.values())):
        total = sum(1 for k in negatives.values() if k == kind)
        print("hard negatives %-22s %5d planted, %d linked" % (kind, total, neg_linked[kind]))
    line = "possible (for review): %d" % possible
    if records:
        line += ", %.0f per million records" % (possible * 1e6 / records)
    print(line)
    if check is not None:
        recall = 100.0 * tp / max(1, len(truth))
        precision = 100.0 * tp / max(1, len(linked))
        ok = recall >= check[0] and precision >= check[1]
        print("check: recall %.2f%% (at least %g%%), precision %.2f%% (at least %g%%): %s"
              % (recall, check[0], precision, check[1], "ok" if ok else "FAILED"))
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
