#!/usr/bin/env python3
"""Recall and precision of the fuzzy tier against the generator's truth.

usage: fuzzy_eval.py [--check RECALL PRECISION] GEN_DIR OUT_DIR [RECORDS]

GEN_DIR holds gen_roster's truth, each line `<kind> <roster>:<line>
<roster>:<line>`:
  expected_links.txt       one person under two cleaned IDs, one typed wrong:
                           must be linked (a fuzzy finding with both)
  expected_review.txt      pairs a keystroke cannot explain (two valid IDs of
                           one person; a typo one edit from two namesakes'
                           IDs): must not be linked; belong in possible.jsonl
  expected_negatives.txt   two people alike (namesakes, twins, valid IDs one
                           digit apart, natural namesakes of the population):
                           must never be linked
  expected_fuzzy_findings.txt  (optional) `<type> a b`: the finding types the
                           rules give each linked pair (duplicate_record,
                           dual_enrollment, double_grant, double_waiver)
OUT_DIR holds a run's findings.jsonl and possible.jsonl. Two records are
linked when some fuzzy finding (match.basis other than id_exact, not
cleared) has both as members and their IDs differ.

Printed: recall per kind of link, and per class (each typo, each name
variant, same school or not); precision of the linked pairs overall and
per basis; for every hard-negative kind the pairs planted, linked (merged)
and sent to review; for every review kind the pairs planted, in
possible.jsonl and linked; the finding types of the linked pairs; how
many pairs of possible.jsonl nobody planted.

With --check RECALL PRECISION (percentages, e.g. --check 97 99.5) the exit
status is 1 when the recall of any class falls below RECALL, the precision
below PRECISION, or any hard negative or review pair is linked; the report
is printed either way. Classes (not single kinds) are gated so that a small
run's one miss among twenty does not decide it. Streams its inputs: memory
follows the truth files, not findings.jsonl.
"""
import collections
import json
import sys

DAMAGES = ("id_sub", "id_swap", "id_check", "id_omit")


def usage():
    sys.exit("usage: fuzzy_eval.py [--check RECALL PRECISION] GEN_DIR OUT_DIR [RECORDS]")


def read_pairs(path, required=True):
    """{(a, b): kind} from a truth file, a and b sorted."""
    pairs = {}
    try:
        fp = open(path, encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise
        return pairs
    with fp:
        for line in fp:
            kind, a, b = line.split()
            pairs[(a, b) if a <= b else (b, a)] = kind
    return pairs


def link_classes(kind):
    """The classes a link kind counts in: its typo, name, where."""
    base, _, name = kind.partition("+")
    same = base.startswith("same_school_")
    damage = base[len("same_school_"):] if same else base
    return ("typo " + damage, "name " + (name or "same"),
            "same school" if same else "two schools")


def pct(n, d):
    return 100.0 * n / d if d else 100.0


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
    links = read_pairs(gen + "/expected_links.txt")
    review = read_pairs(gen + "/expected_review.txt", required=False)
    negatives = read_pairs(gen + "/expected_negatives.txt")
    want_types = collections.defaultdict(set)  # pair -> finding types
    try:
        with open(gen + "/expected_fuzzy_findings.txt", encoding="utf-8") as fp:
            for line in fp:
                typ, a, b = line.split()
                want_types[(a, b) if a <= b else (b, a)].add(typ)
    except FileNotFoundError:
        pass

    linked = {}  # pair -> basis of the first fuzzy finding linking it
    types = collections.defaultdict(set)  # pair -> finding types with both
    with open(out + "/findings.jsonl", encoding="utf-8") as fp:
        for line in fp:
            if '"basis": "id_exact"' in line:
                continue
            f = json.loads(line)
            if f["match"]["basis"] == "id_exact" or f.get("state") == "cleared":
                continue
            members = [("%s:%d" % (m["roster"], m["line"]), m.get("id_number"))
                       for m in f["members"]]
            for i in range(len(members)):
                for j in range(i + 1, len(members)):
                    if members[i][1] == members[j][1]:
                        continue
                    a, b = members[i][0], members[j][0]
                    key = (a, b) if a <= b else (b, a)
                    linked.setdefault(key, f["match"]["basis"])
                    if key in want_types:
                        types[key].add(f["type"])
    possible = set()
    npossible = 0
    with open(out + "/possible.jsonl", encoding="utf-8") as fp:
        for line in fp:
            npossible += 1
            recs = json.loads(line)["records"]
            a = "%s:%d" % (recs[0]["roster"], recs[0]["line"])
            b = "%s:%d" % (recs[1]["roster"], recs[1]["line"])
            possible.add((a, b) if a <= b else (b, a))

    # --- true links: recall ---------------------------------------------
    planted, found = collections.Counter(), collections.Counter()
    cplanted, cfound = collections.Counter(), collections.Counter()
    for pair, kind in links.items():
        hit = pair in linked
        planted[kind] += 1
        found[kind] += hit
        for c in link_classes(kind):
            cplanted[c] += 1
            cfound[c] += hit
    print("%-36s %7s %7s %8s" % ("true link kind", "planted", "found", "recall"))
    for kind in sorted(planted):
        print("%-36s %7d %7d %7.1f%%" % (kind, planted[kind], found[kind],
                                         pct(found[kind], planted[kind])))
    print("%-36s %7s %7s %8s" % ("class of true links", "planted", "found", "recall"))
    for c in sorted(cplanted):
        print("%-36s %7d %7d %7.1f%%" % (c, cplanted[c], cfound[c], pct(cfound[c], cplanted[c])))
    tp = sum(found.values())
    print("%-36s %7d %7d %7.1f%%" % ("all links", len(links), tp, pct(tp, len(links))))

    # --- precision -------------------------------------------------------
    by_basis, tp_basis = collections.Counter(), collections.Counter()
    for pair, basis in linked.items():
        by_basis[basis] += 1
        tp_basis[basis] += pair in links
    unplanted = sum(1 for p in linked if p not in links and p not in negatives and p not in review)
    print("linked pairs %d, of them not true links %d (%d neither planted nor natural "
          "namesakes): precision %.2f%%"
          % (len(linked), len(linked) - tp, unplanted, pct(tp, len(linked))))
    for basis in sorted(by_basis):
        print("precision basis %-20s %7d linked, %7d true: %.2f%%"
              % (basis, by_basis[basis], tp_basis[basis], pct(tp_basis[basis], by_basis[basis])))

    # --- hard negatives and review pairs ----------------------------------
    def tally(pairs):
        """Per kind: pairs planted, linked, in possible.jsonl."""
        total, hit, review_hit = (collections.Counter() for _ in range(3))
        for pair, kind in pairs.items():
            total[kind] += 1
            hit[kind] += pair in linked
            review_hit[kind] += pair in possible
        return total, hit, review_hit

    neg_total, neg_linked, neg_possible = tally(negatives)
    for kind in sorted(neg_total):
        print("hard negatives %-30s %7d planted, %d linked (%d in possible)"
              % (kind, neg_total[kind], neg_linked[kind], neg_possible[kind]))
    rev_total, rev_linked, rev_possible = tally(review)
    for kind in sorted(rev_total):
        print("review %-38s %7d planted, %d in possible, %d linked"
              % (kind, rev_total[kind], rev_possible[kind], rev_linked[kind]))

    # --- the findings linked pairs give -----------------------------------
    ftotal, ffound = collections.Counter(), collections.Counter()
    for pair, want in want_types.items():
        for typ in want:
            ftotal[typ] += 1
            ffound[typ] += typ in types.get(pair, ())
    for typ in sorted(ftotal):
        print("fuzzy findings %-30s %7d expected, %d found (%.1f%%)"
              % (typ, ftotal[typ], ffound[typ], pct(ffound[typ], ftotal[typ])))

    line = "possible (for review): %d" % npossible
    if records:
        line += ", %.0f per million records" % (npossible * 1e6 / records)
    print(line)
    # The planted review pairs and look-alikes are far denser than life's;
    # what else reaches review is what a month's real data would send.
    planted_possible = sum(1 for p in possible if p in review or p in negatives)
    print("possible pairs not planted: %d (and %d planted for review or as hard negatives)"
          % (len(possible) - planted_possible, planted_possible))
    if check is not None:
        low = [c for c in sorted(cplanted) if pct(cfound[c], cplanted[c]) < check[0]]
        precision = pct(tp, len(linked))
        merged = sum(neg_linked.values())
        rlinked = sum(rev_linked.values())
        ok = not low and precision >= check[1] and merged == 0 and rlinked == 0
        print("check: recall of every class at least %g%% (%s), precision %.2f%% "
              "(at least %g%%), hard negatives linked %d, review pairs linked %d (0 "
              "each): %s"
              % (check[0], "below: " + ", ".join(low) if low else "all",
                 precision, check[1], merged, rlinked, "ok" if ok else "FAILED"))
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
