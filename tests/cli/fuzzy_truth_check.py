#!/usr/bin/env python3
"""Checks gen_roster's fuzzy-tier truth against the rosters it wrote.

usage: fuzzy_truth_check.py GEN_NAMES_H GEN_DIR

Reads GEN_DIR/moe.csv and mohrss.csv (UTF-8) and, for every line of
expected_links.txt, expected_review.txt and expected_negatives.txt, checks
that the two rows are what the kind says, from the rows alone (IDs cleaned
of Excel and typist damage, names folded of white space, middle dots and
the traditional forms of GEN_NAMES_H): a typo is one substitution, swap,
check character or left-out character away, with exactly one ID failing
its checks; review pairs are two valid IDs one digit apart, or a typo one
edit from two IDs; namesakes share name, birth date and sex with the
station, county or neither; twins share surname, station and a given-name
character. Then, over every accepted row whose ID is valid and 18 digits,
every pair with the same folded name, birth date and sex and two IDs must
be in one of the files: the natural namesakes are complete.

Prints one line per failure (at most 20 per kind) and a summary; exits 1
when anything failed. Independent of gen_roster's code: what it checks is
the text of the rosters.
"""
import collections
import csv
import re
import sys
import unicodedata

W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ENROLLED = {"在籍", "enrolled"}
DOTS = dict.fromkeys(map(ord, "•・‧."), "·")


def valid(i):
    """MOD 11-2 over an 18-character ID (birth date and province aside)."""
    if len(i) != 18 or not i[:17].isdigit():
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(i, W)) % 11] == i[17]


def clean_id(s):
    s = unicodedata.normalize("NFKC", s).upper()
    return "".join(c for c in s if c.isdigit() or c == "X")


def load_trad(path):
    text = open(path, encoding="utf-8").read()
    body = text[text.index("GEN_TRAD[] = {"):]
    body = body[:body.index("};")]
    return {t: s for s, t in re.findall(r'\{"(.)", "(.)"\}', body)}


def load_homophones(path):
    text = open(path, encoding="utf-8").read()
    body = text[text.index("GEN_HOMOPHONES[] = {"):]
    body = body[:body.index("\n};")]
    pairs = set()
    for a, b in re.findall(r'\{"(.)", "(.)", "[a-z]+"\}', body):
        pairs.add((a, b))
        pairs.add((b, a))
    return pairs


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: fuzzy_truth_check.py GEN_NAMES_H GEN_DIR")
    names_h, gen = sys.argv[1], sys.argv[2]
    trad = load_trad(names_h)
    homophones = load_homophones(names_h)

    def fold(name):
        n = unicodedata.normalize("NFKC", name).translate(DOTS)
        n = "".join(c for c in n if not c.isspace())
        return "".join(trad.get(c, c) for c in n).upper()

    rejected = set()
    with open(gen + "/expected_rejects.txt", encoding="utf-8") as fp:
        for line in fp:
            rejected.add(line.split()[0])
    rows = {}
    for roster in ("moe", "mohrss"):
        with open("%s/%s.csv" % (gen, roster), encoding="utf-8-sig", newline="") as fp:
            reader = csv.reader(fp)
            head = next(reader)
            col = {h: head.index(h) for h in ("身份证号", "姓名", "学校代码", "学籍状态")}
            start = 2
            for row in reader:
                key = "%s:%d" % (roster, start)
                start = reader.line_num + 1
                if len(row) < len(head) or key in rejected:
                    continue
                rows[key] = (clean_id(row[col["身份证号"]]), row[col["姓名"]],
                             fold(row[col["姓名"]]), roster + "/" + row[col["学校代码"]].strip(),
                             row[col["学籍状态"]].strip().lower())

    failures = collections.Counter()
    checked = collections.Counter()

    def fail(kind, a, b, why):
        failures[kind] += 1
        if failures[kind] <= 20:
            print("FAIL %s %s %s: %s (%s | %s)" % (kind, a, b, why, rows.get(a), rows.get(b)))

    def one_sub(x, y):
        """Two 18-character IDs whose first 17 digits differ in one."""
        return len(x) == len(y) == 18 and sum(p != q for p, q in zip(x[:17], y[:17])) == 1

    def typo_ok(damage, x, y):
        """x, y: the two cleaned IDs of one person, one typed wrong."""
        if damage == "id_omit":
            long, short = (x, y) if len(x) == 18 else (y, x)
            return (len(long) == 18 and len(short) == 17 and valid(long)
                    and any(long[:i] + long[i + 1:] == short for i in range(18)))
        if len(x) != 18 or len(y) != 18 or valid(x) == valid(y):
            return False
        diff = [i for i in range(18) if x[i] != y[i]]
        if damage == "id_sub":
            return len(diff) == 1 and diff[0] < 17
        if damage == "id_swap":
            return (len(diff) == 2 and diff[1] == diff[0] + 1 and diff[1] < 17
                    and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]])
        if damage == "id_check":
            return diff == [17]
        return False

    def name_ok(variant, ra, rb):
        if variant == "homophone":
            fa, fb = ra[2], rb[2]
            diff = [i for i in range(min(len(fa), len(fb))) if fa[i] != fb[i]]
            return len(fa) == len(fb) and len(diff) == 1 and (fa[diff[0]], fb[diff[0]]) in homophones
        if variant == "traditional":
            return ra[2] == rb[2] and ra[1].strip() != rb[1].strip()
        return ra[2] == rb[2]

    def namesakes(ra, rb):
        """Same folded name, birth date and sex, two valid IDs."""
        x, y = ra[0], rb[0]
        return (valid(x) and valid(y) and x != y and ra[2] == rb[2]
                and x[6:14] == y[6:14] and int(x[16]) % 2 == int(y[16]) % 2)

    # The typed side of a review_valid_one_digit pair is a valid ID that is
    # not its person's: natural namesakes are of people (their own birth
    # date and sex), so these rows are judged by the pair alone.
    not_own = set()
    with open(gen + "/expected_review.txt", encoding="utf-8") as fp:
        for line in fp:
            kind, a, b = line.split()
            if kind.startswith("review_valid_one_digit"):
                not_own.update((a, b))

    listed = set()
    for fname in ("expected_links.txt", "expected_review.txt", "expected_negatives.txt"):
        with open("%s/%s" % (gen, fname), encoding="utf-8") as fp:
            for line in fp:
                kind, a, b = line.split()
                listed.add((a, b) if a <= b else (b, a))
                checked[kind] += 1
                if a not in rows or b not in rows:
                    fail(kind, a, b, "a row is missing or rejected")
                    continue
                ra, rb = rows[a], rows[b]
                x, y = ra[0], rb[0]
                base, _, variant = kind.partition("+")
                if fname == "expected_links.txt":
                    same = base.startswith("same_school_")
                    damage = base[len("same_school_"):] if same else base
                    if not typo_ok(damage, x, y):
                        fail(kind, a, b, "not a %s typo" % damage)
                    if not name_ok(variant, ra, rb):
                        fail(kind, a, b, "names are not %s" % (variant or "the same"))
                    if same and (ra[3] != rb[3] or ra[4] not in ENROLLED or rb[4] not in ENROLLED):
                        fail(kind, a, b, "not both 在籍 at one school")
                    if not same and ra[3] == rb[3]:
                        fail(kind, a, b, "one school")
                elif base == "review_valid_one_digit":
                    if not (valid(x) and valid(y) and one_sub(x, y) and x[17] != y[17]):
                        fail(kind, a, b, "not two valid IDs one digit apart")
                    if not name_ok(variant, ra, rb):
                        fail(kind, a, b, "names are not %s" % (variant or "the same"))
                elif kind == "ambiguous_typo_own":
                    if not (valid(x) != valid(y) and x[:17] == y[:17] and ra[2] == rb[2]):
                        fail(kind, a, b, "not a check-character typo of one name")
                elif kind == "ambiguous_typo_namesake":
                    t, v = (x, y) if not valid(x) else (y, x)
                    if not (valid(v) and not valid(t) and len(t) == 18 and t[17] == v[17]
                            and [i for i in range(17) if t[i] != v[i]] == [16] and ra[2] == rb[2]):
                        fail(kind, a, b, "the typo is not one digit-17 edit from the namesake")
                elif base in ("namesake_same_station", "ambiguous_typo_namesakes"):
                    if not (namesakes(ra, rb) and x[:16] == y[:16]):
                        fail(kind, a, b, "not namesakes of one station")
                elif base == "namesake_same_county":
                    if not (namesakes(ra, rb) and x[:6] == y[:6] and x[14:16] != y[14:16]):
                        fail(kind, a, b, "not namesakes of one county, two stations")
                elif base == "namesake_other_county":
                    if not (namesakes(ra, rb) and x[:6] != y[:6]):
                        fail(kind, a, b, "not namesakes of two counties")
                elif base in ("twins", "twins_homophone"):
                    # the next number of that sex when it is free, else
                    # another of the same station; a surname of one or two
                    # characters and a given name of two
                    fa, fb = ra[2], rb[2]
                    diff = [i for i in range(min(len(fa), len(fb))) if fa[i] != fb[i]]
                    if not (valid(x) and valid(y) and x[:16] == y[:16] and x[16] != y[16]
                            and int(x[16]) % 2 == int(y[16]) % 2 and len(fa) == len(fb)
                            and len(fa) in (3, 4) and len(diff) == 1 and diff[0] >= len(fa) - 2):
                        fail(kind, a, b, "not twins of one station sharing surname and a character")
                    elif (base == "twins_homophone") != ((fa[diff[0]], fb[diff[0]]) in homophones):
                        fail(kind, a, b, "homophone or not, against the kind")
                elif base == "one_digit_valid_other_name":
                    if not (valid(x) and valid(y) and one_sub(x, y) and ra[2] != rb[2]):
                        fail(kind, a, b, "not two valid IDs one digit apart with other names")
                elif base in ("natural_namesake", "natural_namesake_same_county"):
                    if valid(x) and valid(y) and a not in not_own and b not in not_own:
                        # a typo record is judged by its person, not here
                        if not namesakes(ra, rb):
                            fail(kind, a, b, "not namesakes")
                        elif (x[:6] == y[:6]) != (base == "natural_namesake_same_county"):
                            fail(kind, a, b, "same county or not, against the kind")
                else:
                    fail(kind, a, b, "unknown kind")

    # Completeness of the natural namesakes.
    cells = collections.defaultdict(list)
    for key, r in rows.items():
        if valid(r[0]) and r[2] and key not in not_own:
            cells[(r[2], r[0][6:14], int(r[0][16]) % 2)].append(key)
    missing = 0
    for members in cells.values():
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                a, b = members[i], members[j]
                if rows[a][0] == rows[b][0]:
                    continue
                if ((a, b) if a <= b else (b, a)) not in listed:
                    missing += 1
                    if missing <= 20:
                        print("FAIL namesakes not listed: %s %s (%s | %s)" % (a, b, rows[a], rows[b]))
    total = sum(failures.values()) + missing
    print("fuzzy truth: %d lines of %d kinds checked, %d wrong, %d namesake pairs unlisted"
          % (sum(checked.values()), len(checked), sum(failures.values()), missing))
    sys.exit(1 if total else 0)


if __name__ == "__main__":
    main()
