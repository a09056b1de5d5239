#!/usr/bin/env python3
"""Recall and precision of the fuzzy tier against the generator's truth.

usage: fuzzy_eval.py GEN_DIR OUT_DIR [RECORDS]

GEN_DIR holds gen_roster's expected_links.txt and expected_negatives.txt
(`<kind> <roster>:<line> <roster>:<line>`); OUT_DIR holds a run's
findings.jsonl and possible.jsonl. A pair of records counts as linked when
some fuzzy finding (match.basis other than id_exact) has both as members and
their IDs differ. Recall is per kind of damage; precision is over every
linked pair: a linked pair that is not a planted link is a false match
(hard negatives are counted apart).
"""
import collections
import json
import sys


def rec(roster, line):
    return "%s:%d" % (roster, line)


def main():
    gen, out = sys.argv[1], sys.argv[2]
    records = int(sys.argv[3]) if len(sys.argv) > 3 else 0
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


if __name__ == "__main__":
    main()
