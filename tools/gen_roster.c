/*
 * gen_roster.c - deterministic synthetic rosters with planted, known findings.
 *
 * Writes DIR/moe.csv and DIR/mohrss.csv (one MOE and one MOHRSS monthly
 * extract, RFC 4180, Chinese headers, the two files in different column
 * orders) and the truth a correct engine must find in them, in the projection
 * format of docs/RULES.md: DIR/expected_findings.txt and
 * DIR/expected_rejects.txt. Same seed and arguments, same bytes.
 *
 * How it works, in order:
 *   1. Tables from the seed: counties (gen_names.h), schools of each system,
 *      and two ID domains (students aged 15-20 at the period; adults born
 *      1970-1999).
 *   2. The plan: planted scenarios (dual enrollment, duplicates, double
 *      payments, ID conflicts, harmless look-alikes, damaged IDs and names,
 *      rejected rows). Each scenario is a group of records of one cleaned ID
 *      whose meaning is known by construction; only these are remembered.
 *   3. Each roster is written row by row into one large buffer: the planted
 *      rows land on random slots (selection sampling) between ordinary rows,
 *      and the physical line of each is noted (quoted line breaks in school
 *      names and majors shift the lines after them).
 *   4. The truth: the rules of docs/RULES.md applied to the planted groups
 *      from what was planned (status, school, amounts, name identity), never
 *      by re-reading the text, and never through the engine's normalizers.
 *      The policy truth (SPEC 3.2, DIR/expected_policy.txt) is worked out
 *      on every accepted row as it is written, from what the row was made
 *      to say (money, 学习形式, year of study, 入学日期, 学制, the ID's birth
 *      date and validity): paid rows keep the rules but for the planted
 *      breaches (--policy) and the over-age adults.
 *
 * IDs are unique without memory: a person's index goes through a keyed
 * Feistel permutation (a bijection, cycle-walked to the domain size) to a
 * (county, police station, number, birth date), so no two indexes share
 * an ID.
 * Planted persons take the first indexes of each domain, ordinary rows of
 * roster r take indexes offset by their slot, so the ranges never meet.
 *
 * How dense the generator is (issue 9). Different people who look alike
 * are what a fuzzy tier must never merge, so ordinary people are drawn as
 * densely as published statistics say (figures: bench/RESULTS.md, "How
 * dense the generator is"):
 *   - Surnames: GEN_SURNAMES, shares after the Ministry of Public
 *     Security's name reports (王 7.1%, 李 7.0%, 张 6.8%, 刘 5.4%, 陈 4.5%;
 *     the five 30.8% of registered people in 2020, the first hundred 85.9%
 *     in 2019). The 265 surnames listed carry all the mass, so each is
 *     1/0.955 of its share: sum of s^2 = 0.028 (about 0.025 with the tail).
 *   - Given names of Han people, per sex (gen_name): 8% one character
 *     (one-character given names are 6.3% of registered names in the 2020
 *     report, 27.6% at their peak); 6% a head of 40 most used names,
 *     weights 1 / (rank + 8), so that the first, with what the two-character
 *     draw adds, is about 0.5% of its sex's births (the reports: 沐宸 2.3万
 *     of 468.1万 boys born 2021, 0.49%; 若汐 1.8万 of 419.2万 girls, 0.43%);
 *     86% two characters drawn one by one from GEN_GIVEN_MALE / _FEMALE,
 *     weights 1 / (rank + 12). Surname and given name are independent. The
 *     sum of p^2 over the full names this draws is computed from the tables
 *     as quantized (han_sum_p2): 1.2e-5 for men, 1.4e-5 for women. A full
 *     name like 张浩宇 comes out at 7.1% x 0.5% = 0.036% of its birth year's
 *     boys; all ages mixed, the reports count 张伟 290,607, 王伟 281,568, 王芳
 *     268,268 (each about 0.02% of 1.4 billion, 0.04% of one sex).
 *   - Birth dates: students 15-20 years old on the period's first day,
 *     D = 2,191 dates, uniform.
 *   - Counties: 2,843 county-level divisions (the Ministry of Civil
 *     Affairs' count), per province as GEN_PROV_DENSITY says: the 421 real
 *     ones of GEN_REGIONS (schools sit in these) and codes made up under
 *     the real prefecture codes of data/regions/gbt2260.txt (build_counties).
 *     A county's share of people follows its province's population over its
 *     counties (7th census), through its number of police stations.
 *   - ID numbers as the police issue them: digits 15-16 are the police
 *     station that registered the birth (01..stations, one per 35,000
 *     people), digit 17 is its number for the child, odd for a boy. Two
 *     children of one town born on one day differ in digit 17 and the check
 *     character alone.
 *   - So namesakes (same name, birth date, sex) among N Han students: a
 *     cell (birth date, sex) holds n = N / 2D on average, and the expected
 *     pairs are the sum over cells of C(n, 2) x sum p^2 = N^2 / 8D x (sum p^2
 *     of men + sum p^2 of women): about 1,300 at 1M rows, 400,000 at 17.5M.
 *     With --fuzzy the generator counts the pairs it wrote and prints both
 *     on stderr. (Its Uyghur and Tibetan names, a few hundred per sex, make
 *     more namesakes still; they are counted apart.)
 *
 * The fuzzy tier (--fuzzy RATE, docs/FUZZY.md) gets its own truth, RATE x
 * rows persons in groups invisible to the exact tier (every record has its
 * own cleaned ID; expected_findings.txt gets nothing from them), each
 * `<kind> <roster>:<line> <roster>:<line>`:
 *   - DIR/expected_links.txt: one person's two records whose cleaned IDs
 *     differ, one typed wrong (it fails its checks or has 17 digits): one
 *     digit substituted (check character as typed), two adjacent digits
 *     swapped, the check character mistyped, one character left out; with
 *     the same name, a homophone (the given name typed through a pinyin
 *     IME) or the traditional form; at two schools, or twice at one school
 *     of one roster (same_school_*: both 在籍, some both paid). The findings
 *     the rules give each link go to DIR/expected_fuzzy_findings.txt.
 *   - DIR/expected_review.txt: pairs no single slip explains, which must
 *     not be linked (possible.jsonl, for a population-registry check): one
 *     person under two valid IDs one digit apart (check recomputed); a typo
 *     one edit from both the person's own ID and a namesake's of the same
 *     station (ambiguous_typo_own, ambiguous_typo_namesake).
 *   - DIR/expected_negatives.txt: two people alike: namesakes of one
 *     station, of one county, of two counties; twins (one surname, birthday
 *     and station, the next number of that sex when no one has it; given
 *     names sharing a character, a third homophones like 思源 / 思远); valid
 *     IDs one digit apart with other names; and every natural namesake
 *     pair among all the rows, by the people's own birth dates and sexes
 *     (natural_namesake, natural_namesake_same_county).
 * Planted rates are far above life's (a few thousand of each at 1M rows and
 * --fuzzy 0.03) so that precision can be measured; the natural namesakes
 * come at the population's own rate. IDs made for them (a typo, another
 * person's number) are checked against the permutation: the inverse gives
 * the index an ID would have, and an index in use by anyone (planted or
 * ordinary) is refused, as is an ID made twice. With --fuzzy 0 (the
 * default) nothing of this runs and the output is the same as without the
 * option.
 */
#include <assert.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <chachong/types.h>

#include "gen_names.h"

#define NREGIONS (sizeof(GEN_REGIONS) / sizeof(GEN_REGIONS[0]))
#define NPROV (sizeof(GEN_PROVINCES) / sizeof(GEN_PROVINCES[0]))
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum { MOE = 0, MOHRSS = 1, NROSTER = 2 };
static const char *const ROSTER_LABEL[NROSTER] = {"moe", "mohrss"};

/* ---- columns ---- */

enum {
  C_ID,
  C_NAME,
  C_SCODE,
  C_SNAME,
  C_REGION,
  C_RECID,
  C_MODE,
  C_GRADE,
  C_EDATE,
  C_YEARS,
  C_MAJOR,
  C_STATUS,
  C_GRANT,
  C_WAIVER,
  NCOL
};
static const char *const COL_NAMES[NCOL] = {
    "身份证号", "姓名",     "学校代码", "学校名称", "所在地区代码",
    "学籍号",   "学习形式", "年级",     "入学日期", "学制",
    "专业名称", "学籍状态", "助学金",   "免学费",
};
/* The MOHRSS export orders its columns differently: header mapping. */
static const int COL_ORDER[NROSTER][NCOL] = {
    {C_ID, C_NAME, C_SCODE, C_SNAME, C_REGION, C_RECID, C_MODE, C_GRADE,
     C_EDATE, C_YEARS, C_MAJOR, C_STATUS, C_GRANT, C_WAIVER},
    {C_SCODE, C_SNAME, C_RECID, C_NAME, C_ID, C_REGION, C_MAJOR, C_GRADE,
     C_YEARS, C_EDATE, C_MODE, C_STATUS, C_WAIVER, C_GRANT},
};

/* ---- statuses ---- */

enum {
  ST_ENROLLED,
  ST_SUSPENDED,
  ST_WITHDRAWN,
  ST_TRANSFERRED,
  ST_GRADUATED,
  ST_COMPLETED,
  ST_CANCELLED,
  ST_COUNT
};
static const char *const STATUS_ZH[ST_COUNT] = {"在籍", "休学", "退学", "转学",
                                                "毕业", "结业", "注销"};
static const char *const STATUS_EN[ST_COUNT] = {
    "enrolled",  "suspended", "withdrawn", "transferred",
    "graduated", "completed", "cancelled"};
static int status_holds(int st)
{
  return st == ST_ENROLLED || st == ST_SUSPENDED;
}

/* ---- reject codes (docs/RULES.md) ---- */

enum {
  R_NONE,
  R_ID_EMPTY,
  R_ID_SCI,
  R_ID_NOT_DIGITS,
  R_ID_TOO_SHORT,
  R_ID_TOO_LONG,
  R_NAME_EMPTY,
  R_SCHOOL_EMPTY,
  R_STATUS_EMPTY,
  R_STATUS_UNKNOWN,
  R_AMOUNT,
  R_COUNT
};
static const char *const REJECT_CODE[R_COUNT] = {"",
                                                 "id_empty",
                                                 "id_scientific_notation",
                                                 "id_not_digits",
                                                 "id_too_short",
                                                 "id_too_long",
                                                 "name_empty",
                                                 "school_code_empty",
                                                 "status_empty",
                                                 "status_unknown",
                                                 "amount_invalid"};

/* ---- how an ID is written ---- */

enum {
  IDF_18,
  IDF_15,
  IDF_BADCHECK,
  IDF_17, /* form of the cleaned key */
  IDF_CHECK
};     /* 17 digits and the record's own (typed) check char */
enum { /* damage cleaning undoes */
       DMG_NONE,
       DMG_APOS,
       DMG_FULLWIDTH,
       DMG_IDSP,
       DMG_NBSP,
       DMG_SPACES,
       DMG_LOWERX,
       DMG_EXCEL,
       DMG_TAB,
       DMG_COUNT
};
static const char *const DMG_NAME[DMG_COUNT] = {
    "none",   "apostrophe", "fullwidth",     "u3000", "nbsp",
    "spaces", "lower_x",    "excel_formula", "tab"};

/* Name variants that fold to the registered name (SPEC 2.2). */
enum {
  NV_NONE = 0,
  NV_TRAD = 1,
  NV_SPACE = 2,
  NV_IDSP = 3,
  NV_NBSP = 4,
  NV_TRAIL = 5,
  NV_DOT = 10,  /* + k: GEN_DOTS[k] between the two parts */
  NV_LATIN = 20 /* + 1..3: Ａ, a, ａ for the suffix A */
};
enum { NK_HAN, NK_UYGHUR, NK_TIBETAN };

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---- */

typedef struct rng {
  uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static void rng_init(rng *r, uint64_t seed, uint64_t stream)
{
  uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ULL);
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng *r)
{
  uint64_t *s = r->s;
  uint64_t out = rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64(s[3], 45);
  return out;
}

/* Uniform in [0, n): Lemire's multiply-shift (bias below 2^-32, fine here). */
static inline uint32_t rng_below(rng *r, uint32_t n)
{
  return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability pm / 1000. */
static inline int rng_pm(rng *r, uint32_t pm)
{
  return rng_below(r, 1000) < pm;
}

static inline int rng_chance(rng *r, double p)
{
  return (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

/* ---- keyed Feistel permutation of [0, n) ---- */

typedef struct perm {
  uint64_t n;      /* domain size */
  unsigned half;   /* bits per half; 2 * half >= log2(n) */
  uint64_t mask;   /* (1 << half) - 1 */
  uint64_t key[4]; /* round keys */
} perm;

static inline uint64_t mix64(uint64_t z)
{
  z ^= z >> 33;
  z *= 0xFF51AFD7ED558CCDULL;
  z ^= z >> 33;
  z *= 0xC4CEB9FE1A85EC53ULL;
  return z ^ (z >> 33);
}

static void perm_init(perm *p, uint64_t n, uint64_t seed)
{
  unsigned bits = 2;
  uint64_t x = seed;
  while (bits < 62 && (1ULL << bits) < n)
    bits++;
  bits += bits & 1;
  p->n = n;
  p->half = bits / 2;
  p->mask = (1ULL << p->half) - 1;
  for (int i = 0; i < 4; i++)
    p->key[i] = splitmix64(&x);
}

/* A bijection of [0, n): Feistel rounds on 2*half bits, walking the cycle
 * until the value falls back inside the domain. */
static uint64_t perm_apply(const perm *p, uint64_t x)
{
  do {
    uint64_t l = x >> p->half, r = x & p->mask;
    for (int i = 0; i < 4; i++) {
      uint64_t t = l ^ (mix64(r ^ p->key[i]) & p->mask);
      l = r;
      r = t;
    }
    x = (l << p->half) | r;
  } while (x >= p->n);
  return x;
}

/* The inverse of perm_apply: the index whose image is y (y < n). */
static uint64_t perm_invert(const perm *p, uint64_t y)
{
  do {
    uint64_t l = y >> p->half, r = y & p->mask;
    for (int i = 3; i >= 0; i--) {
      uint64_t t = r ^ (mix64(l ^ p->key[i]) & p->mask);
      r = l;
      l = t;
    }
    y = (l << p->half) | r;
  } while (y >= p->n);
  return y;
}

/* ---- ID numbers ---- */

static char id_check(uint64_t id17)
{
  static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                            3, 7, 9,  10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 16; i >= 0; i--) {
    sum += (int)(id17 % 10) * w[i];
    id17 /= 10;
  }
  return "10X98765432"[sum % 11];
}

/* Writes n decimal digits of v, zero-padded. */
static void put_digits(char *out, uint64_t v, int n)
{
  for (int i = n - 1; i >= 0; i--) {
    out[i] = (char)('0' + v % 10);
    v /= 10;
  }
}

/* A county-level division as ID numbers know it: the real ones of
 * gen_names.h (which schools sit in) and codes made up under real
 * prefectures until each province has its real number of counties. */
typedef struct county {
  int32_t code;     /* six digits */
  int8_t prov;      /* GEN_PROVINCES index, -1 for residence permits */
  uint8_t flags;    /* GEN_REGION_* */
  uint8_t stations; /* police stations: digits 15-16 run 01..stations */
} county;

/* A domain of IDs: day x county-slot x sequence, through a permutation.
 * A county's slots are its stations x 10: digits 15-16 name the station
 * that registered the birth, digit 17 is the station's number for it (odd
 * for a man, even for a woman). */
typedef struct iddomain {
  perm pm;           /* index -> slot */
  uint32_t ndays;    /* birth dates in the domain */
  int32_t *ymd;      /* day offset -> yyyymmdd */
  uint32_t nreg;     /* counties in the domain */
  uint16_t *reg;     /* county slot -> county index */
  int32_t *code;     /* county slot -> six-digit code */
  uint32_t *by_code; /* county slots sorted by code */
  uint64_t *pre;     /* prefix sums of sequence capacity, nreg + 1 */
  uint64_t size;     /* ndays * pre[nreg] */
} iddomain;

typedef struct person {
  uint64_t id17;   /* region(6) birth(8) sequence(3) */
  char check;      /* MOD 11-2 character */
  uint8_t male;    /* sequence is odd */
  uint8_t adult;   /* from the adult domain */
  uint16_t region; /* county index */
} person;

static void domain_person(person *p, const iddomain *d, uint64_t idx, int adult)
{
  uint64_t y = perm_apply(&d->pm, idx);
  uint32_t day = (uint32_t)(y % d->ndays);
  uint64_t z = y / d->ndays, slot, seq;
  uint32_t lo = 0, hi = d->nreg; /* pre[lo] <= z < pre[hi] */
  while (hi - lo > 1) {
    uint32_t mid = (lo + hi) / 2;
    if (d->pre[mid] <= z)
      lo = mid;
    else
      hi = mid;
  }
  slot = z - d->pre[lo];
  seq = (slot / 10 + 1) * 10 + slot % 10; /* station 01.., number 0-9 */
  p->region = d->reg[lo];
  p->id17 = (uint64_t)d->code[lo] * 100000000000ULL +
            (uint64_t)d->ymd[day] * 1000ULL + seq;
  p->check = id_check(p->id17);
  p->male = (uint8_t)(seq & 1);
  p->adult = (uint8_t)adult;
}

/* ---- schools ---- */

typedef struct school {
  char code[16];  /* as registered, NUL-terminated */
  char name[224]; /* UTF-8, may hold , " or a line break */
  uint8_t code_len;
  uint8_t roster; /* MOE or MOHRSS */
  uint8_t quoted; /* 0; 1 comma, 2 quotes, 3 line break in the name */
  uint8_t prov;   /* GEN_PROVINCES index */
  uint16_t name_len;
  uint16_t region; /* GEN_REGIONS index */
  int32_t twin;    /* dual-brand: the other roster's school, or -1 */
} school;

/* ---- the plan: planted records ---- */

typedef struct prec {
  uint64_t id17;      /* the 17 digits typed (a typo's, or the person's) */
  uint64_t true17;    /* the person's own 17 digits */
  uint64_t name_seed; /* regenerates the registered name */
  uint32_t group;     /* planted group (one cleaned ID) */
  uint32_t line;      /* physical line, set when written */
  uint32_t school;    /* index into gen.schools */
  int32_t grant2;     /* 助学金 in half yuan */
  int32_t waiver2;    /* 免学费 in half yuan */
  uint8_t roster;     /* MOE or MOHRSS */
  uint8_t status;     /* ST_* */
  uint8_t idform;     /* IDF_* */
  uint8_t iddamage;   /* DMG_* */
  uint8_t namevar;    /* NV_* */
  uint8_t namekind;   /* NK_* */
  uint8_t latin;      /* name carries the suffix A */
  uint8_t reject;     /* R_*: this row is planted to be rejected */
  uint8_t adult;      /* from the adult domain */
  uint8_t male;       /* draws the name (a typo can change the ID's sex) */
  char chk;           /* the check character typed, for IDF_CHECK */
  uint8_t altpos;     /* alt replaces this character of the given name */
  const char *alt;    /* NULL, or a character (homophone, twin's name) */
} prec;

typedef struct pgroup {
  uint32_t first; /* first record in gen.recs */
  uint16_t count; /* records */
  uint8_t kind;   /* scenario; K_COUNT + FK_* for the fuzzy tier */
  uint8_t sub;    /* variant of the scenario */
  uint8_t pos;    /* fuzzy: the ID digit (1-18) a typo changed, or 0 */
  uint8_t dmg;    /* fuzzy same_school: the typo (FK_SUB .. FK_OMIT) */
} pgroup;

/* A planted person while planning. */
typedef struct pperson {
  person p;
  uint64_t seed; /* name seed */
  uint8_t kind;  /* NK_* */
  uint8_t latin;
} pperson;

typedef struct rejrow {
  uint32_t line;
  uint8_t roster;
  uint8_t code;
} rejrow;

/* ---- scenarios ---- */

enum {
  K_DUAL_CROSS,
  K_DUAL_WITHIN,
  K_SUSPENDED,
  K_DUPLICATE,
  K_BRAND,
  K_GRANT_CROSS,
  K_GRANT_TRANSFER,
  K_WAIVER,
  K_CONFLICT,
  K_TRANSFER_OK,
  K_GRADUATE,
  K_WITHDRAWN,
  K_LEGACY15,
  K_NAMEVAR,
  K_IDDAMAGE,
  K_INVALID,
  K_TRIPLE,
  K_QUOTED,
  K_REJECT,
  K_COUNT
};
static const struct {
  const char *name;
  int weight; /* share among random draws, per mille-ish */
  int nsub;   /* variants; the first round plants each once */
} KINDS[K_COUNT] = {
    {"dual_cross", 120, 1},
    {"dual_within", 70, 2},
    {"suspended_dual", 40, 2},
    {"duplicate_record", 50, 2},
    {"dual_brand_school", 30, 1},
    {"grant_cross", 50, 3},
    {"grant_transfer", 50, 2},
    {"waiver_twice", 50, 3},
    {"id_conflict", 40, 3},
    {"transfer_ok", 50, 2},
    {"graduate_reenrolled", 40, 2},
    {"withdrawn_reenrolled", 40, 2},
    {"legacy_15_digit", 30, 2},
    {"name_variant", 70, 14},
    {"id_damage", 70, DMG_COUNT - 1},
    {"invalid_id_shared", 40, 4},
    {"triple", 20, 1},
    {"quoted_school", 10, 2},
    {"rejected_row", 80, R_COUNT - 1},
};

/* ---- fuzzy-tier scenarios (--fuzzy): K_COUNT + FK_* ---- */

enum {
  /* true links: one person, two records of different cleaned IDs, one of
   * them typed wrong (it fails its checks or has 17 digits) */
  FK_SUB,         /* one digit substituted, check character as typed */
  FK_SWAP,        /* two adjacent digits swapped */
  FK_CHECK,       /* the check character mistyped */
  FK_OMIT,        /* one character left out: 17 digits */
  FK_SAME_SCHOOL, /* registered twice at one school, the second typo'd */
  /* for review (possible.jsonl), never a finding */
  FK_REV_VALID,     /* one person under two valid IDs one digit apart */
  FK_REV_AMBIGUOUS, /* a typo one edit from the own ID and a namesake's */
  /* hard negatives: two people */
  FK_NEG_STATION,   /* namesakes of one station: digit 17 and check differ */
  FK_NEG_COUNTY,    /* namesakes of one county, another station */
  FK_NEG_ELSEWHERE, /* namesakes of two counties */
  FK_NEG_TWINS,     /* twins: one surname, birthday and station */
  FK_NEG_ONE_DIGIT, /* valid IDs one digit apart, other names */
  FK_COUNT
};
enum { FT_LINK, FT_REVIEW, FT_NEG };
static const struct {
  const char *name;
  int weight; /* share among random draws, in groups */
  int type;   /* FT_* */
  int nvar;   /* name variants (FV_* for links and review) */
} FKINDS[FK_COUNT] = {
    {"id_sub", 14, FT_LINK, 3},
    {"id_swap", 10, FT_LINK, 3},
    {"id_check", 8, FT_LINK, 3},
    {"id_omit", 8, FT_LINK, 3},
    {"same_school", 14, FT_LINK, 3},
    {"review_valid_one_digit", 6, FT_REVIEW, 3},
    {"ambiguous_typo", 4, FT_REVIEW, 1},
    {"namesake_same_station", 14, FT_NEG, 1},
    {"namesake_same_county", 8, FT_NEG, 1},
    {"namesake_other_county", 12, FT_NEG, 1},
    {"twins", 10, FT_NEG, 2},
    {"one_digit_valid_other_name", 10, FT_NEG, 1},
};
/* The name on the second record of a true link. */
enum { FV_SAME, FV_HOMOPHONE, FV_TRAD, FV_COUNT };
static const char *const FV_SUFFIX[FV_COUNT] = {"", "+homophone",
                                                "+traditional"};
static const int FV_WEIGHT[FV_COUNT] = {50, 30, 20};
/* Twins' given names: one character shared, the other read otherwise
 * (经国 / 纬国) or alike (思源 / 思远: a homophone). */
static const char *const TWIN_SUFFIX[2] = {"", "_homophone"};

/* ---- output buffers ---- */

typedef struct writer {
  FILE *fp;
  char *buf; /* UTF-8 rows */
  size_t len, cap;
  iconv_t cd; /* (iconv_t)-1 for UTF-8 output */
  char *conv; /* GB18030 bytes */
  size_t convcap;
  uint64_t bytes; /* written to the file */
  int err;        /* errno of the first failure */
  const char *path;
} writer;

/* A row's namesake key (name as registered, birth date, sex) and who it is,
 * for the natural namesakes of expected_negatives.txt. */
typedef struct nsent {
  uint64_t key; /* hash of the plain name, birth date and sex */
  uint64_t pid; /* the person's own 17 digits */
  uint32_t line;
  uint32_t meta; /* roster << 31 | ordinary Han student << 30 | group */
} nsent;
#define NS_NOGROUP 0x3FFFFFFFu

#define WBUF_CAP (16u << 20)
#define WBUF_SLACK (64u << 10)

typedef struct gen {
  /* options */
  uint64_t seed;
  int py, pm;          /* period year and month */
  uint32_t n[NROSTER]; /* data rows per roster */
  int gb[NROSTER];     /* write in GB18030 */
  double plant, damage, fuzzy, policy;
  int crlf, bom, explain;
  const char *out;
  /* tables */
  iddomain stu, adu;
  school *schools;
  uint32_t nschools;
  uint32_t sfirst[NROSTER], scount[NROSTER];
  uint32_t *by_prov[NROSTER]; /* school indexes by province */
  uint32_t prov_start[NROSTER][NPROV + 1];
  uint32_t *twins; /* MOHRSS schools with a MOE twin */
  uint32_t ntwins;
  uint32_t special[NROSTER][3]; /* comma, quotes, line break */
  int8_t region_prov[NREGIONS]; /* -1 for residence permits */
  county *cty;                  /* counties of ID numbers */
  uint32_t ncty;
  uint16_t *plain_cty; /* counties without GEN_REGION_* */
  uint32_t nplain;
  uint16_t surname_lut[65536];
  uint8_t char_lut[2][65536]; /* given-name characters [male] */
  uint8_t head_lut[2][65536]; /* most used given names [male] */
  double sum_p2[2];           /* Han full names: sum of p^2 */
  /* plan */
  prec *recs;
  uint32_t nrecs, caprecs;
  pgroup *groups;
  uint32_t ngroups, capgroups;
  uint64_t stu_next, adu_next; /* planted persons drawn so far */
  uint32_t persons;            /* planted persons */
  uint32_t planned[NROSTER];   /* planted rows per roster */
  uint32_t *plist[NROSTER];    /* planted rows, in file order */
  uint32_t nplist[NROSTER];
  int32_t stu_hi_ymd;                   /* latest birth date of students */
  uint64_t *made;                       /* fuzzy: IDs made (id17 + 1) */
  uint32_t nmade, capmade;              /* open addressing, power of 2 */
  uint32_t fgroups[FK_COUNT][FV_COUNT]; /* fuzzy groups planted */
  struct nsent *ns;                     /* every accepted row's name key */
  uint64_t nns, capns;
  uint64_t stu_rows_han; /* ordinary Han students written */
  /* results */
  rejrow *rej;
  uint32_t nrej, caprej;
  uint32_t lines[NROSTER]; /* physical lines written */
  uint64_t bytes[NROSTER];
  uint32_t rejects[NROSTER];
  uint32_t nfindings;
  struct polhit *pol; /* policy truth, one per hit */
  uint32_t npol, cappol;
  uint32_t polkind[8]; /* rows per P_* plant */
} gen;

static void die(const char *msg, const char *arg)
{
  fprintf(stderr, "gen_roster: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  exit(1);
}

/* Exit codes: 1 for I/O or memory failures (die), 2 for a bad command
 * line (bad_arg). */
static void bad_arg(const char *msg, const char *arg)
{
  fprintf(stderr, "gen_roster: %s: %s (see --help)\n", msg, arg);
  exit(2);
}

static void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p)
    die("out of memory", NULL);
  return p;
}

static void *xgrow(void *p, uint32_t *cap, size_t elem, uint32_t need)
{
  if (need <= *cap)
    return p;
  uint32_t c = *cap ? *cap : 64;
  while (c < need)
    c *= 2;
  p = realloc(p, (size_t)c * elem);
  if (!p)
    die("out of memory", NULL);
  *cap = c;
  return p;
}

/* ---- string helpers over a caller's buffer ---- */

static char *cat(char *p, const char *s)
{
  size_t n = strlen(s);
  memcpy(p, s, n);
  return p + n;
}

static char *cat_uint(char *p, uint64_t v)
{
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n)
    *p++ = tmp[--n];
  return p;
}

/* "济南市" -> "济南"; other prefectures (州, 盟, 地区) keep their name. */
static char *cat_city_short(char *p, const char *city)
{
  size_t n = strlen(city);
  if (n > 6 && memcmp(city + n - 3, "市", 3) == 0)
    n -= 3;
  memcpy(p, city, n);
  return p + n;
}

/* ---- tables ---- */

static int region_ok_for_schools(size_t r)
{
  return GEN_REGIONS[r].flags == 0;
}

static int prov_index(int code2);

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void domain_build(const gen *g, iddomain *d, cc_date lo, cc_date hi,
                         int adult, uint64_t seed)
{
  uint32_t k = 0;
  uint64_t *keyed = xmalloc(sizeof(uint64_t) * g->ncty);
  d->ndays = (uint32_t)(hi - lo + 1);
  d->ymd = xmalloc(sizeof(int32_t) * d->ndays);
  for (uint32_t i = 0; i < d->ndays; i++) {
    int y, m, dd;
    cc_date_to_ymd(lo + (cc_date)i, &y, &m, &dd);
    d->ymd[i] = y * 10000 + m * 100 + dd;
  }
  d->reg = xmalloc(sizeof(uint16_t) * g->ncty);
  d->code = xmalloc(sizeof(int32_t) * g->ncty);
  d->by_code = xmalloc(sizeof(uint32_t) * g->ncty);
  d->pre = xmalloc(sizeof(uint64_t) * (g->ncty + 1));
  d->pre[0] = 0;
  for (uint32_t c = 0; c < g->ncty; c++) {
    /* abolished before today's students were born */
    if ((g->cty[c].flags & GEN_REGION_LEGACY) && !adult)
      continue;
    d->reg[k] = (uint16_t)c;
    d->code[k] = g->cty[c].code;
    keyed[k] = (uint64_t)(uint32_t)g->cty[c].code << 32 | k;
    d->pre[k + 1] = d->pre[k] + 10u * g->cty[c].stations;
    k++;
  }
  d->nreg = k;
  qsort(keyed, k, sizeof(uint64_t), cmp_u64); /* by code, then slot */
  for (uint32_t i = 0; i < k; i++)
    d->by_code[i] = (uint32_t)keyed[i];
  free(keyed);
  d->size = (uint64_t)d->ndays * d->pre[k];
  perm_init(&d->pm, d->size, seed);
}

/* The county slot of a six-digit code in d, or -1. */
static int64_t domain_slot(const iddomain *d, int32_t code)
{
  uint32_t lo = 0, hi = d->nreg;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (d->code[d->by_code[mid]] < code)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == d->nreg || d->code[d->by_code[lo]] != code)
    return -1;
  return d->by_code[lo];
}

/* The counties of ID numbers: every county of GEN_REGIONS, then, per
 * province, codes made up under its real prefectures (GEN_PREFECTURES, in
 * turn: districts 02-19, counties 21-49, county-level cities 81-89) until
 * the province has its real number of county-level divisions
 * (GEN_PROV_DENSITY, 2,843 in all). A county gets one police station per
 * 35,000 of its province's people per county (China has some 40,000 police
 * stations for 1.41 billion people), times 0.5-1.5 from a hash of its code,
 * at least 3; residence permits have one. */
static void build_counties(gen *g)
{
  static const int nums[] = {2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
                             14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26,
                             27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38,
                             39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 81,
                             82, 83, 84, 85, 86, 87, 88, 89};
  uint32_t cap = (uint32_t)NREGIONS + 3000, n = 0;
  g->cty = xmalloc(sizeof(county) * cap);
  for (size_t r = 0; r < NREGIONS; r++) {
    county *c = &g->cty[n++];
    c->code = GEN_REGIONS[r].code;
    c->prov = g->region_prov[r];
    c->flags = (uint8_t)GEN_REGIONS[r].flags;
  }
  for (size_t pi = 0; pi < COUNT(GEN_PROV_DENSITY); pi++) {
    const gen_prov_density *pd = &GEN_PROV_DENSITY[pi];
    uint32_t have = 0, npref = 0, k = 0, fails = 0;
    int pref[64];
    uint8_t next[64];
    for (size_t r = 0; r < NREGIONS; r++)
      if (GEN_REGIONS[r].code / 10000 == pd->code && GEN_REGIONS[r].flags == 0)
        have++;
    for (size_t i = 0; i < COUNT(GEN_PREFECTURES) && npref < 64; i++)
      if (GEN_PREFECTURES[i] / 100 == pd->code) {
        pref[npref] = GEN_PREFECTURES[i];
        next[npref++] = 0;
      }
    while (have < (uint32_t)pd->counties && npref && fails < 64 * 64) {
      uint32_t j = k++ % npref;
      int code, taken = 0;
      if (next[j] >= COUNT(nums)) {
        fails++;
        continue;
      }
      code = pref[j] * 100 + nums[next[j]++];
      for (uint32_t i = 0; i < n && !taken; i++)
        taken = g->cty[i].code == code;
      if (taken) {
        k--; /* the same prefecture tries its next number */
        continue;
      }
      if (n == cap)
        die("internal: too many counties", NULL);
      g->cty[n].code = code;
      g->cty[n].prov = (int8_t)prov_index(pd->code);
      g->cty[n].flags = 0;
      n++;
      have++;
    }
  }
  g->ncty = n;
  g->plain_cty = xmalloc(sizeof(uint16_t) * n);
  g->nplain = 0;
  for (uint32_t i = 0; i < n; i++) {
    county *c = &g->cty[i];
    double people = 1e5;
    for (size_t pi = 0; pi < COUNT(GEN_PROV_DENSITY); pi++)
      if (GEN_PROV_DENSITY[pi].code == c->code / 10000)
        people = GEN_PROV_DENSITY[pi].pop * 1e4 / GEN_PROV_DENSITY[pi].counties;
    people *= 0.5 + (double)(mix64((uint64_t)c->code) >> 11) * 0x1.0p-53;
    people /= 35000;
    c->stations = (uint8_t)(people < 3 ? 3 : people > 99 ? 99 : people);
    if (c->flags & GEN_REGION_PERMIT)
      c->stations = 1;
    if (c->flags == 0)
      g->plain_cty[g->nplain++] = (uint16_t)i;
  }
}

/* A county people are born in (not a residence permit, not abolished). */
static uint16_t random_county(const gen *g, rng *r)
{
  return g->plain_cty[rng_below(r, g->nplain)];
}

static void build_surnames(gen *g)
{
  uint64_t total = 0, acc = 0;
  size_t j = 0;
  for (size_t i = 0; i < COUNT(GEN_SURNAMES); i++)
    total += (uint64_t)GEN_SURNAMES[i].weight;
  for (uint32_t i = 0; i < 65536; i++) {
    /* slot i covers weight position (i + 0.5) * total / 65536 */
    uint64_t pos = ((uint64_t)i * 2 + 1) * total / (2 * 65536);
    while (acc + (uint64_t)GEN_SURNAMES[j].weight <= pos) {
      acc += (uint64_t)GEN_SURNAMES[j].weight;
      j++;
    }
    g->surname_lut[i] = (uint16_t)j;
  }
}

/* Given names (see "How dense the generator is" above): per mille of Han
 * given names of one character, and of the most used names (the head
 * lists); the rest are two characters drawn one by one. Weights fall as
 * 1 / (rank + B). */
#define GIVEN_SINGLE_PM 80
#define GIVEN_HEAD_PM 60
#define GIVEN_CHAR_B 12.0
#define GIVEN_HEAD_B 8.0

/* A 65536-slot table that draws index i of n with weight 1 / (i + 1 + b). */
static void build_zipf_lut(uint8_t *lut, size_t n, double b)
{
  double total = 0, acc = 0;
  size_t j = 0;
  for (size_t i = 0; i < n; i++)
    total += 1.0 / ((double)i + 1 + b);
  for (uint32_t i = 0; i < 65536; i++) {
    double pos = ((double)i + 0.5) / 65536 * total;
    while (j + 1 < n && acc + 1.0 / ((double)j + 1 + b) <= pos) {
      acc += 1.0 / ((double)j + 1 + b);
      j++;
    }
    lut[i] = (uint8_t)j;
  }
}

/* The sum of p^2 over the Han full names one sex draws, from the tables as
 * quantized (so what is computed is what is drawn): names are surname x
 * given name, independent; a given name is one character, a head name or
 * two characters, and the same text reached two ways adds up. */
static double han_sum_p2(const gen *g, int male)
{
  const char *const *set = male ? GEN_GIVEN_MALE : GEN_GIVEN_FEMALE;
  const char *const *head = male ? GEN_GIVEN_HEAD_MALE : GEN_GIVEN_HEAD_FEMALE;
  size_t n = male ? COUNT(GEN_GIVEN_MALE) : COUNT(GEN_GIVEN_FEMALE);
  size_t nh = male ? COUNT(GEN_GIVEN_HEAD_MALE) : COUNT(GEN_GIVEN_HEAD_FEMALE);
  double c[128] = {0}, h[64] = {0}, *t, s2 = 0, g2 = 0;
  uint32_t cnt[1024] = {0};
  for (uint32_t i = 0; i < 65536; i++) {
    c[g->char_lut[male][i]] += 1.0 / 65536;
    h[g->head_lut[male][i]] += 1.0 / 65536;
  }
  t = xmalloc(sizeof(double) * n * n);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      t[i * n + j] =
          (1000 - GIVEN_SINGLE_PM - GIVEN_HEAD_PM) / 1000.0 * c[i] * c[j];
  for (size_t k = 0; k < nh; k++) {
    double p = GIVEN_HEAD_PM / 1000.0 * h[k];
    size_t a = n, b = n;
    for (size_t i = 0; i < n; i++) {
      if (memcmp(set[i], head[k], 3) == 0)
        a = i;
      if (memcmp(set[i], head[k] + 3, 3) == 0)
        b = i;
    }
    if (a < n && b < n)
      t[a * n + b] += p;
    else
      g2 += p * p;
  }
  for (size_t i = 0; i < n * n; i++)
    g2 += t[i] * t[i];
  for (size_t i = 0; i < n; i++)
    g2 += (GIVEN_SINGLE_PM / 1000.0 * c[i]) * (GIVEN_SINGLE_PM / 1000.0 * c[i]);
  free(t);
  for (uint32_t i = 0; i < 65536; i++)
    cnt[g->surname_lut[i]]++;
  for (size_t i = 0; i < COUNT(GEN_SURNAMES); i++)
    s2 += (cnt[i] / 65536.0) * (cnt[i] / 65536.0);
  return s2 * g2;
}

static void build_names(gen *g)
{
  for (int male = 0; male < 2; male++) {
    build_zipf_lut(g->char_lut[male],
                   male ? COUNT(GEN_GIVEN_MALE) : COUNT(GEN_GIVEN_FEMALE),
                   GIVEN_CHAR_B);
    build_zipf_lut(g->head_lut[male],
                   male ? COUNT(GEN_GIVEN_HEAD_MALE)
                        : COUNT(GEN_GIVEN_HEAD_FEMALE),
                   GIVEN_HEAD_B);
  }
  for (int male = 0; male < 2; male++)
    g->sum_p2[male] = han_sum_p2(g, male);
}

static int prov_index(int code2)
{
  for (size_t i = 0; i < NPROV; i++)
    if (GEN_PROVINCES[i].code == code2)
      return (int)i;
  return -1;
}

/* A random county that schools may sit in. */
static uint16_t school_region(rng *r)
{
  for (;;) {
    uint32_t k = rng_below(r, NREGIONS);
    if (region_ok_for_schools(k))
      return (uint16_t)k;
  }
}

static void school_name(school *s, rng *r)
{
  const gen_region *rg = &GEN_REGIONS[s->region];
  const gen_province *pv = &GEN_PROVINCES[s->prov];
  const char *kw = GEN_SCHOOL_KW[rng_below(r, COUNT(GEN_SCHOOL_KW))];
  const char *num = GEN_CN_NUM[rng_below(r, COUNT(GEN_CN_NUM))];
  size_t cl = strlen(rg->county);
  int county_is_district = cl >= 3 && memcmp(rg->county + cl - 3, "区", 3) == 0;
  char *p = s->name;
  if (s->roster == MOE) {
    switch (rng_below(r, 6)) {
    case 0:
      p = cat(cat(cat(cat(p, rg->city), "第"), num), "职业中等专业学校");
      break;
    case 1:
      if (county_is_district)
        p = cat(p, rg->city);
      p = cat(cat(p, rg->county), "职业教育中心");
      break;
    case 2:
      p = cat(cat(cat_city_short(p, rg->city), kw), "职业学校");
      break;
    case 3:
      p = cat(cat(cat(p, pv->school), kw), "学校");
      break;
    case 4:
      p = cat(cat(cat_city_short(p, rg->city), kw), "中等专业学校");
      break;
    default:
      if (county_is_district)
        p = cat_city_short(p, rg->city);
      p = cat(cat(p, rg->county), "职业中专");
      break;
    }
  } else {
    switch (rng_below(r, 6)) {
    case 0:
      p = cat(p, pv->school);
      if (rng_below(r, 3))
        p = cat(p, kw);
      p = cat(p, "技师学院");
      break;
    case 1:
      p = cat(cat(cat_city_short(p, rg->city), kw), "技师学院");
      break;
    case 2:
      p = cat(cat(p, rg->city), "高级技工学校");
      break;
    case 3:
      p = cat(cat(cat_city_short(p, rg->city), kw), "技工学校");
      break;
    case 4:
      if (county_is_district)
        p = cat(p, rg->city);
      p = cat(cat(p, rg->county), "技工学校");
      break;
    default:
      p = cat(cat(cat(cat(p, rg->city), "第"), num), "技工学校");
      break;
    }
  }
  /* Names an Excel export must quote. */
  switch (s->quoted) {
  case 1:
    p = cat(cat(cat(p, ","), rg->city), "职工培训中心");
    break;
  case 2:
    p = cat(p, "（\"国家级重点\"）");
    break;
  case 3:
    p = cat(cat(cat(p, "\n（"), rg->county), "校区）");
    break;
  default:
    break;
  }
  *p = '\0';
  s->name_len = (uint16_t)(p - s->name);
}

static void build_schools(gen *g, rng *r)
{
  uint32_t nm = g->n[MOE] / 1800, nh = g->n[MOHRSS] / 3000, k = 0;
  uint16_t *seq[NROSTER];
  nm = nm < 40 ? 40 : nm > 7500 ? 7500 : nm;
  nh = nh < 24 ? 24 : nh > 1500 ? 1500 : nh;
  g->nschools = nm + nh;
  g->schools = xmalloc(sizeof(school) * g->nschools);
  g->sfirst[MOE] = 0;
  g->scount[MOE] = nm;
  g->sfirst[MOHRSS] = nm;
  g->scount[MOHRSS] = nh;
  for (int ro = 0; ro < NROSTER; ro++) {
    seq[ro] = xmalloc(sizeof(uint16_t) * NREGIONS);
    memset(seq[ro], 0, sizeof(uint16_t) * NREGIONS);
  }
  g->twins = xmalloc(sizeof(uint32_t) * nh);
  g->ntwins = 0;
  for (int ro = 0; ro < NROSTER; ro++) {
    for (uint32_t i = 0; i < g->scount[ro]; i++, k++) {
      school *s = &g->schools[k];
      uint16_t reg;
      memset(s, 0, sizeof(*s));
      s->roster = (uint8_t)ro;
      s->twin = -1;
      /* The first three schools of each roster carry the names to quote. */
      if (i < 3)
        s->quoted = (uint8_t)(i + 1);
      else if (rng_pm(r, 10))
        s->quoted = (uint8_t)(1 + rng_below(r, 3));
      if (i < 3)
        g->special[ro][i] = k;
      /* One MOHRSS school in 30 is the second plate of a MOE school. */
      if (ro == MOHRSS && i >= 3 && (i % 30) == 7 && g->ntwins < nm) {
        uint32_t m = rng_below(r, nm);
        while (g->schools[m].twin >= 0)
          m = (m + 1) % nm;
        s->region = g->schools[m].region;
        s->prov = g->schools[m].prov;
        memcpy(s->code, g->schools[m].code, sizeof(s->code));
        s->code_len = g->schools[m].code_len;
        s->twin = (int32_t)m;
        g->schools[m].twin = (int32_t)k;
        g->twins[g->ntwins++] = k;
        school_name(s, r);
        continue;
      }
      do
        reg = school_region(r);
      while (seq[ro][reg] >= 999);
      s->region = reg;
      s->prov = (uint8_t)g->region_prov[reg];
      seq[ro][reg]++;
      if (ro == MOE) {
        /* 学校标识码: ten digits */
        s->code[0] = '3';
        put_digits(s->code + 1, (uint64_t)GEN_REGIONS[reg].code, 6);
        put_digits(s->code + 7, seq[ro][reg], 3);
        s->code_len = 10;
      } else {
        /* technical schools: another shape */
        s->code[0] = 'J';
        s->code[1] = 'G';
        put_digits(s->code + 2, (uint64_t)GEN_REGIONS[reg].code, 6);
        put_digits(s->code + 8, seq[ro][reg], 3);
        s->code_len = 11;
      }
      s->code[s->code_len] = '\0';
      school_name(s, r);
    }
  }
  /* Index by province for local recruitment. */
  for (int ro = 0; ro < NROSTER; ro++) {
    uint32_t cnt[NPROV] = {0}, pos[NPROV];
    g->by_prov[ro] = xmalloc(sizeof(uint32_t) * g->scount[ro]);
    for (uint32_t i = 0; i < g->scount[ro]; i++)
      cnt[g->schools[g->sfirst[ro] + i].prov]++;
    g->prov_start[ro][0] = 0;
    for (size_t p = 0; p < NPROV; p++) {
      g->prov_start[ro][p + 1] = g->prov_start[ro][p] + cnt[p];
      pos[p] = g->prov_start[ro][p];
    }
    for (uint32_t i = 0; i < g->scount[ro]; i++) {
      uint32_t idx = g->sfirst[ro] + i;
      g->by_prov[ro][pos[g->schools[idx].prov]++] = idx;
    }
    free(seq[ro]);
  }
}

/* A school of roster ro for a person born in county reg: most study in
 * their own province. */
static uint32_t pick_school(const gen *g, rng *r, int ro, uint16_t reg)
{
  int pv = g->cty[reg].prov;
  if (pv >= 0 && rng_pm(r, 850)) {
    uint32_t a = g->prov_start[ro][pv], b = g->prov_start[ro][pv + 1];
    if (b > a)
      return g->by_prov[ro][a + rng_below(r, b - a)];
  }
  return g->sfirst[ro] + rng_below(r, g->scount[ro]);
}

static uint32_t pick_other_school(const gen *g, rng *r, int ro, uint16_t reg,
                                  uint32_t avoid)
{
  for (;;) {
    uint32_t s = pick_school(g, r, ro, reg);
    if (s != avoid)
      return s;
  }
}

/* ---- names ---- */

typedef struct nameparts {
  const char *p1;   /* surname, or Uyghur given name */
  char p2[40];      /* given name, or father's name */
  uint8_t kind;     /* NK_* */
  uint16_t surname; /* GEN_SURNAMES index for Han names */
} nameparts;

static void gen_name(const gen *g, rng *r, int male, int kind, int avoid,
                     nameparts *out)
{
  out->kind = (uint8_t)kind;
  if (kind == NK_UYGHUR) {
    out->p1 = male ? GEN_UYGHUR_MALE[rng_below(r, COUNT(GEN_UYGHUR_MALE))]
                   : GEN_UYGHUR_FEMALE[rng_below(r, COUNT(GEN_UYGHUR_FEMALE))];
    strcpy(out->p2, GEN_UYGHUR_FATHER[rng_below(r, COUNT(GEN_UYGHUR_FATHER))]);
    out->surname = 0xFFFF;
    return;
  }
  if (kind == NK_TIBETAN) {
    uint32_t a = rng_below(r, COUNT(GEN_TIBETAN));
    uint32_t n = COUNT(GEN_TIBETAN), b = (a + 1 + rng_below(r, n - 1)) % n;
    out->p1 = GEN_TIBETAN[a];
    strcpy(out->p2, GEN_TIBETAN[b]);
    out->surname = 0xFFFF;
    return;
  }
  uint16_t s = g->surname_lut[rng_next(r) >> 48];
  if (avoid >= 0 && s == (uint16_t)avoid)
    s = (uint16_t)((s + 1) % COUNT(GEN_SURNAMES));
  out->surname = s;
  out->p1 = GEN_SURNAMES[s].name;
  const char *const *set = male ? GEN_GIVEN_MALE : GEN_GIVEN_FEMALE;
  const uint8_t *lut = g->char_lut[male ? 1 : 0];
  uint32_t x = rng_below(r, 1000);
  char *p = out->p2;
  if (x < GIVEN_SINGLE_PM) {
    p = cat(p, set[lut[rng_next(r) >> 48]]);
  } else if (x < GIVEN_SINGLE_PM + GIVEN_HEAD_PM) {
    const char *const *head =
        male ? GEN_GIVEN_HEAD_MALE : GEN_GIVEN_HEAD_FEMALE;
    p = cat(p, head[g->head_lut[male ? 1 : 0][rng_next(r) >> 48]]);
  } else {
    p = cat(p, set[lut[rng_next(r) >> 48]]);
    if (rng_below(r, 20000) == 0)
      p = cat(p, GEN_GIVEN_ASTRAL);
    else
      p = cat(p, set[lut[rng_next(r) >> 48]]);
  }
  *p = '\0';
}

static int name_kind_for(const gen *g, rng *r, uint16_t reg)
{
  int code2 = g->cty[reg].code / 10000;
  if (code2 == 65)
    return rng_pm(r, 550) ? NK_UYGHUR : NK_HAN;
  if (code2 == 54)
    return rng_pm(r, 700) ? NK_TIBETAN : NK_HAN;
  if (rng_below(r, 1000) < 3) /* 内地新疆班 */
    return NK_UYGHUR;
  return NK_HAN;
}

static const char *trad_of(const char *c)
{
  for (size_t i = 0; i < COUNT(GEN_TRAD); i++)
    if (memcmp(c, GEN_TRAD[i].simp, 3) == 0)
      return GEN_TRAD[i].trad;
  return NULL;
}

/* Copies s, or its traditional spelling. */
static char *cat_name_part(char *p, const char *s, int trad)
{
  while (*s) {
    unsigned char c = (unsigned char)*s;
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    const char *t = trad && n == 3 ? trad_of(s) : NULL;
    if (t) {
      p = cat(p, t);
    } else {
      memcpy(p, s, n);
      p += n;
    }
    s += n;
  }
  return p;
}

static int name_has_trad(const nameparts *np)
{
  const char *parts[2] = {np->p1, np->p2};
  for (int k = 0; k < 2; k++)
    for (const char *s = parts[k]; *s;) {
      unsigned char c = (unsigned char)*s;
      size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      if (n == 3 && trad_of(s))
        return 1;
      s += n;
    }
  return 0;
}

/* Renders a name as registered, in one of the variants that fold to it. */
static char *render_name(char *p, const nameparts *np, int var, int latin)
{
  const char *sep = "";
  if (np->kind == NK_UYGHUR)
    sep = GEN_DOTS[var >= NV_DOT && var < NV_DOT + 7 ? var - NV_DOT : 0];
  else if (var == NV_SPACE)
    sep = " ";
  else if (var == NV_IDSP)
    sep = "\xE3\x80\x80";
  else if (var == NV_NBSP)
    sep = "\xC2\xA0";
  p = cat_name_part(p, np->p1, var == NV_TRAD);
  p = cat(p, sep);
  p = cat_name_part(p, np->p2, var == NV_TRAD);
  if (latin) {
    static const char *const forms[4] = {"A", "\xEF\xBC\xA1", "a",
                                         "\xEF\xBD\x81"};
    p = cat(p,
            forms[var > NV_LATIN && var <= NV_LATIN + 3 ? var - NV_LATIN : 0]);
  }
  if (var == NV_TRAIL)
    p = cat(p, " ");
  return p;
}

static void name_from_seed(const gen *g, uint64_t seed, int male, int kind,
                           int avoid, nameparts *np)
{
  rng r;
  rng_init(&r, seed, 7);
  gen_name(g, &r, male, kind, avoid, np);
}

static size_t u8len(unsigned char c)
{
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Characters of the given name (p2). */
static int given_chars(const nameparts *np, int *all3)
{
  int n = 0;
  *all3 = 1;
  for (const char *s = np->p2; *s; s += u8len((unsigned char)*s), n++)
    if (u8len((unsigned char)*s) != 3)
      *all3 = 0;
  return n;
}

/* Replaces character pos (from 0) of the given name with ch. */
static void given_replace(nameparts *np, int pos, const char *ch)
{
  char tmp[sizeof(np->p2)], *o = tmp;
  int k = 0;
  for (const char *s = np->p2; *s; k++) {
    size_t n = u8len((unsigned char)*s);
    if (k == pos) {
      o = cat(o, ch);
    } else {
      memcpy(o, s, n);
      o += n;
    }
    s += n;
  }
  *o = '\0';
  memcpy(np->p2, tmp, (size_t)(o - tmp) + 1);
}

/* The registered name of a planted record: its seed's name, with one
 * character of the given name replaced for a homophone or a twin. */
static void name_of(const gen *g, const prec *x, nameparts *np)
{
  name_from_seed(g, x->name_seed, x->male, x->namekind, -1, np);
  if (x->alt)
    given_replace(np, x->altpos, x->alt);
}

/* ---- ID rendering ---- */

/* The cleaned key of a planted record (what the engine must group by);
 * chk is the typed check character of IDF_CHECK. */
static int id_key(char *out, uint64_t id17, int form, char chk)
{
  char c = id_check(id17);
  put_digits(out, id17, 17);
  switch (form) {
  case IDF_17:
    out[17] = '\0';
    return 17;
  case IDF_BADCHECK: {
    static const char map[] = "10X98765432";
    int ci = (int)(strchr(map, c) - map);
    out[17] = map[(ci + 1 + (int)(id17 % 10)) % 11];
    break;
  }
  case IDF_CHECK:
    out[17] = chk;
    break;
  default:
    out[17] = c;
    break;
  }
  out[18] = '\0';
  return 18;
}

/* The ID as written: the form (15 digits for a legacy number) with damage
 * that cleaning undoes. */
static char *render_id(char *p, uint64_t id17, int form, char chk, int dmg,
                       rng *r)
{
  char s[20];
  int n;
  if (form == IDF_15) {
    char k[20];
    put_digits(k, id17, 17);
    memcpy(s, k, 6);
    memcpy(s + 6, k + 8, 9); /* drop "19": yymmdd + sequence */
    n = 15;
  } else {
    n = id_key(s, id17, form, chk);
  }
  if (dmg == DMG_LOWERX && s[n - 1] != 'X')
    dmg = DMG_APOS;
  switch (dmg) {
  case DMG_APOS:
    *p++ = '\'';
    break;
  case DMG_EXCEL:
    p = cat(p, "=\"");
    break;
  case DMG_SPACES:
    if (rng_below(r, 2)) /* typist's grouping */
      break;
    *p++ = ' ';
    break;
  case DMG_IDSP:
    if (rng_below(r, 2) == 0) {
      p = cat(p, "\xE3\x80\x80");
      dmg = DMG_NONE; /* leading only */
    }
    break;
  default:
    break;
  }
  for (int i = 0; i < n; i++) {
    char c = s[i];
    if (dmg == DMG_FULLWIDTH) {
      /* U+FF10..U+FF19, U+FF38 */
      *p++ = '\xEF';
      *p++ = '\xBC';
      *p++ = c == 'X' ? '\xB8' : (char)(0x90 + (c - '0'));
      continue;
    }
    if (dmg == DMG_LOWERX && i == n - 1)
      c = 'x';
    *p++ = c;
    if (i == 5 || i == (n == 15 ? 11 : 13)) {
      if (dmg == DMG_SPACES)
        *p++ = ' ';
      else if (dmg == DMG_IDSP && i == 5)
        p = cat(p, "\xE3\x80\x80");
    }
  }
  switch (dmg) {
  case DMG_EXCEL:
    *p++ = '"';
    break;
  case DMG_NBSP:
    p = cat(p, "\xC2\xA0");
    break;
  case DMG_TAB:
    *p++ = '\t';
    break;
  default:
    break;
  }
  return p;
}

/* What Excel shows for an 18-digit number in a General cell: 4.10102E+17. */
static char *render_sci(char *p, uint64_t id17)
{
  char k[20];
  int last = 5;
  put_digits(k, id17, 17);
  while (last > 0 && k[last] == '0')
    last--;
  *p++ = k[0];
  if (last > 0) {
    *p++ = '.';
    memcpy(p, k + 1, (size_t)last);
    p += last;
  }
  return cat(p, "E+17");
}

/* ---- amounts ---- */

/* v in half yuan. fmt: 0 plain, 1 two decimals, 2 grouped, 3 ¥, 4 ￥ grouped
 * with decimals, 5 empty when zero. */
static char *render_amount(char *p, int32_t v, int fmt)
{
  uint32_t y = (uint32_t)v / 2;
  int half = v & 1;
  if (v == 0 && (fmt == 3 || fmt == 4 || fmt == 5))
    return p;
  if (fmt == 3)
    p = cat(p, "\xC2\xA5");
  else if (fmt == 4)
    p = cat(p, "\xEF\xBF\xA5");
  if ((fmt == 2 || fmt == 4) && y >= 1000) {
    p = cat_uint(p, y / 1000);
    *p++ = ',';
    put_digits(p, y % 1000, 3);
    p += 3;
  } else {
    p = cat_uint(p, y);
  }
  if (fmt == 1 || fmt == 4)
    p = cat(p, half ? ".50" : ".00");
  else if (half)
    p = cat(p, ".5");
  return p;
}

static char *cat_amount_proj(char *p, int64_t v)
{
  p = cat_uint(p, (uint64_t)(v / 2));
  if (v & 1)
    p = cat(p, ".5");
  return p;
}

static int32_t typical_waiver(rng *r)
{
  static const int32_t w[] = {1000, 1000, 1200, 1250, 1500,
                              1500, 1600, 1750, 2000, 2000};
  if (rng_pm(r, 30)) {
    static const int32_t h[] = {2875, 3125, 2375}; /* 1437.5, 1562.5, 1187.5 */
    return h[rng_below(r, 3)];
  }
  return 2 * w[rng_below(r, COUNT(w))];
}

static int32_t typical_grant(rng *r)
{
  static const int32_t w[] = {1000, 1000, 1000, 1000, 1000, 1200, 1250, 1500};
  if (rng_pm(r, 20))
    return 2125; /* 1062.5 */
  return 2 * w[rng_below(r, COUNT(w))];
}

/* ---- planning ---- */

static void new_person(gen *g, rng *r, pperson *a, int adult)
{
  if (adult)
    domain_person(&a->p, &g->adu, g->adu_next++, 1);
  else
    domain_person(&a->p, &g->stu, g->stu_next++, 0);
  a->seed = rng_next(r);
  a->kind = (uint8_t)name_kind_for(g, r, a->p.region);
  a->latin = 0;
  g->persons++;
}

static void begin_group(gen *g, int kind, int sub)
{
  g->groups = xgrow(g->groups, &g->capgroups, sizeof(pgroup), g->ngroups + 1);
  g->groups[g->ngroups].first = g->nrecs;
  g->groups[g->ngroups].count = 0;
  g->groups[g->ngroups].kind = (uint8_t)kind;
  g->groups[g->ngroups].sub = (uint8_t)sub;
  g->groups[g->ngroups].pos = 0;
  g->groups[g->ngroups].dmg = 0;
  g->ngroups++;
}

static prec *add(gen *g, const pperson *a, int ro, uint32_t sch, int st,
                 int32_t grant2, int32_t waiver2)
{
  prec *x;
  g->recs = xgrow(g->recs, &g->caprecs, sizeof(prec), g->nrecs + 1);
  x = &g->recs[g->nrecs++];
  memset(x, 0, sizeof(*x));
  x->id17 = a->p.id17;
  x->true17 = a->p.id17;
  x->name_seed = a->seed;
  x->group = g->ngroups - 1;
  x->school = sch;
  x->grant2 = grant2;
  x->waiver2 = waiver2;
  x->roster = (uint8_t)ro;
  x->status = (uint8_t)st;
  x->idform = IDF_18;
  x->namekind = a->kind;
  x->latin = a->latin;
  x->adult = a->p.adult;
  x->male = a->p.male;
  g->groups[g->ngroups - 1].count++;
  return x;
}

#define SCH(ro) pick_school(g, r, (ro), a.p.region)
#define OTHER(ro, s) pick_other_school(g, r, (ro), a.p.region, (s))
#define MAYBE(pm, v) (rng_pm(r, (pm)) ? (v) : 0)

/* Plants one scenario: its group of records. */
static void plan_one(gen *g, rng *r, int kind, int sub)
{
  pperson a, b;
  uint32_t s1, s2;
  int ro, other;
  prec *x;

  begin_group(g, kind, sub);
  switch (kind) {
  case K_DUAL_CROSS: /* 在籍 in both systems */
    new_person(g, r, &a, 0);
    add(g, &a, MOE, SCH(MOE), ST_ENROLLED, MAYBE(300, typical_grant(r)),
        MAYBE(850, typical_waiver(r)));
    add(g, &a, MOHRSS, SCH(MOHRSS), ST_ENROLLED, MAYBE(200, typical_grant(r)),
        MAYBE(600, typical_waiver(r)));
    break;
  case K_DUAL_WITHIN: /* 在籍 at two schools of one system */
    new_person(g, r, &a, 0);
    ro = sub;
    s1 = SCH(ro);
    add(g, &a, ro, s1, ST_ENROLLED, 0, MAYBE(850, typical_waiver(r)));
    add(g, &a, ro, OTHER(ro, s1), ST_ENROLLED, 0,
        MAYBE(400, typical_waiver(r)));
    break;
  case K_SUSPENDED: /* 休学 still holds the enrollment */
    new_person(g, r, &a, 0);
    if (sub == 0) {
      add(g, &a, MOE, SCH(MOE), ST_SUSPENDED, 0, 0);
      add(g, &a, MOHRSS, SCH(MOHRSS), ST_ENROLLED, 0,
          MAYBE(700, typical_waiver(r)));
    } else {
      s1 = SCH(MOE);
      add(g, &a, MOE, s1, ST_ENROLLED, MAYBE(300, typical_grant(r)),
          MAYBE(850, typical_waiver(r)));
      add(g, &a, MOE, OTHER(MOE, s1), ST_SUSPENDED, 0, 0);
    }
    break;
  case K_DUPLICATE: /* same school twice in one roster */
    new_person(g, r, &a, 0);
    ro = rng_pm(r, 700) ? MOE : MOHRSS;
    s1 = SCH(ro);
    add(g, &a, ro, s1, ST_ENROLLED, 0, MAYBE(850, typical_waiver(r)));
    add(g, &a, ro, s1, rng_pm(r, 800) ? ST_ENROLLED : ST_SUSPENDED, 0,
        MAYBE(300, typical_waiver(r)));
    if (sub == 1) /* and a third record in the other system */
      add(g, &a, 1 - ro, SCH(1 - ro), ST_ENROLLED, 0,
          MAYBE(500, typical_waiver(r)));
    break;
  case K_BRAND: /* 一校两牌: one code, both systems */
    new_person(g, r, &a, 0);
    if (g->ntwins) {
      s2 = g->twins[rng_below(r, g->ntwins)];
      s1 = (uint32_t)g->schools[s2].twin;
    } else {
      s1 = SCH(MOE);
      s2 = SCH(MOHRSS);
    }
    add(g, &a, MOE, s1, ST_ENROLLED, 0, MAYBE(800, typical_waiver(r)));
    add(g, &a, MOHRSS, s2, ST_ENROLLED, 0, MAYBE(500, typical_waiver(r)));
    break;
  case K_GRANT_CROSS: { /* 助学金 paid by both systems */
    static const int st[3] = {ST_ENROLLED, ST_GRADUATED, ST_WITHDRAWN};
    new_person(g, r, &a, 0);
    add(g, &a, MOE, SCH(MOE), ST_ENROLLED, typical_grant(r),
        MAYBE(800, typical_waiver(r)));
    add(g, &a, MOHRSS, SCH(MOHRSS), st[sub], typical_grant(r), 0);
    break;
  }
  case K_GRANT_TRANSFER: /* 转学 paid at the old school and the new one */
    new_person(g, r, &a, 0);
    ro = sub;
    s1 = SCH(ro);
    add(g, &a, ro, s1, ST_TRANSFERRED, typical_grant(r), 0);
    add(g, &a, ro, OTHER(ro, s1), ST_ENROLLED, typical_grant(r),
        MAYBE(800, typical_waiver(r)));
    break;
  case K_WAIVER: /* 免学费 twice */
    new_person(g, r, &a, 0);
    if (sub == 0) {
      add(g, &a, MOE, SCH(MOE), ST_ENROLLED, 0, typical_waiver(r));
      add(g, &a, MOHRSS, SCH(MOHRSS), ST_WITHDRAWN, 0, typical_waiver(r));
    } else if (sub == 1) {
      s1 = SCH(MOE);
      add(g, &a, MOE, s1, ST_CANCELLED, 0, typical_waiver(r));
      add(g, &a, MOE, OTHER(MOE, s1), ST_ENROLLED, 0, typical_waiver(r));
    } else {
      s1 = SCH(MOHRSS);
      add(g, &a, MOHRSS, s1, ST_ENROLLED, 0, typical_waiver(r));
      add(g, &a, MOHRSS, OTHER(MOHRSS, s1), ST_GRADUATED, 0, typical_waiver(r));
    }
    break;
  case K_CONFLICT: { /* one ID, two people */
    nameparts na, nb;
    char ra[128], rb[128];
    new_person(g, r, &a, 0);
    b = a;
    b.kind = NK_HAN;
    /* Two people, so two names that are not one name typed twice: not
     * equal after folding and not homophones either. Both surnames come
     * from the ten most common, whose readings all differ (王 李 张 刘 陈
     * 杨 黄 赵 吴 周), and differ from each other. Names are drawn as the rows
     * render them (no surname avoidance), so what is checked is what is
     * written. */
    name_from_seed(g, a.seed, a.p.male, a.kind, -1, &na);
    while (na.kind == NK_HAN && na.surname >= 10) {
      a.seed = rng_next(r);
      name_from_seed(g, a.seed, a.p.male, a.kind, -1, &na);
    }
    *render_name(ra, &na, NV_NONE, 0) = '\0';
    do {
      b.seed = rng_next(r);
      name_from_seed(g, b.seed, b.p.male, NK_HAN, -1, &nb);
      *render_name(rb, &nb, NV_NONE, 0) = '\0';
    } while (strcmp(ra, rb) == 0 || nb.surname >= 10 ||
             (na.kind == NK_HAN && nb.surname == na.surname));
    g->persons++;
    if (sub == 0) {
      add(g, &a, MOE, SCH(MOE), ST_ENROLLED, 0, MAYBE(700, typical_waiver(r)));
      add(g, &b, MOHRSS, SCH(MOHRSS), ST_ENROLLED, 0, 0);
    } else if (sub == 1) {
      s1 = SCH(MOE);
      add(g, &a, MOE, s1, ST_ENROLLED, 0, MAYBE(700, typical_waiver(r)));
      add(g, &b, MOE, OTHER(MOE, s1), ST_GRADUATED, 0, 0);
    } else {
      add(g, &a, MOHRSS, SCH(MOHRSS), ST_ENROLLED, 0,
          MAYBE(700, typical_waiver(r)));
      add(g, &b, MOE, SCH(MOE), ST_WITHDRAWN, 0, 0);
    }
    break;
  }
  case K_TRANSFER_OK: /* transferred out, enrolled elsewhere, paid once */
    new_person(g, r, &a, 0);
    s1 = SCH(MOE);
    add(g, &a, MOE, s1, ST_TRANSFERRED, 0, 0);
    if (sub == 0)
      add(g, &a, MOE, OTHER(MOE, s1), ST_ENROLLED, MAYBE(400, typical_grant(r)),
          typical_waiver(r));
    else
      add(g, &a, MOHRSS, SCH(MOHRSS), ST_ENROLLED, MAYBE(400, typical_grant(r)),
          typical_waiver(r));
    break;
  case K_GRADUATE: /* graduated, enrolled again elsewhere */
    new_person(g, r, &a, 0);
    ro = rng_below(r, 2);
    other = rng_below(r, 2);
    s1 = SCH(ro);
    add(g, &a, ro, s1, sub ? ST_COMPLETED : ST_GRADUATED, 0, 0);
    add(g, &a, other, OTHER(other, s1), ST_ENROLLED, 0, typical_waiver(r));
    break;
  case K_WITHDRAWN: /* withdrawn or cancelled beside a live record */
    new_person(g, r, &a, 0);
    ro = rng_below(r, 2);
    other = rng_below(r, 2);
    s1 = SCH(ro);
    add(g, &a, ro, s1, sub ? ST_CANCELLED : ST_WITHDRAWN, 0, 0);
    add(g, &a, other, OTHER(other, s1), ST_ENROLLED,
        MAYBE(300, typical_grant(r)), typical_waiver(r));
    break;
  case K_LEGACY15: /* a 15-digit number here, its 18-digit form there */
    new_person(g, r, &a, 1);
    x = add(g, &a, MOE, SCH(MOE), ST_ENROLLED, 0,
            MAYBE(500, typical_waiver(r)));
    if (sub == 0)
      x->idform = IDF_15;
    x = add(g, &a, MOHRSS, SCH(MOHRSS), ST_ENROLLED, 0,
            MAYBE(500, typical_waiver(r)));
    if (sub == 1)
      x->idform = IDF_15;
    break;
  case K_NAMEVAR: { /* spellings that fold to one name: no id_conflict */
    int var, cross = sub % 2 == 0;
    new_person(g, r, &a, 0);
    if (sub == 0) {
      nameparts np;
      var = NV_TRAD;
      a.kind = NK_HAN;
      for (;;) {
        name_from_seed(g, a.seed, a.p.male, NK_HAN, -1, &np);
        if (name_has_trad(&np))
          break;
        a.seed = rng_next(r);
      }
    } else if (sub <= 4) {
      static const int v[5] = {0, NV_SPACE, NV_IDSP, NV_NBSP, NV_TRAIL};
      var = v[sub];
      if (a.kind == NK_UYGHUR)
        a.kind = NK_HAN;
    } else if (sub <= 10) {
      var = NV_DOT + (sub - 4); /* 1..6 */
      a.kind = NK_UYGHUR;
    } else {
      var = NV_LATIN + (sub - 10); /* 1..3 */
      a.kind = NK_HAN;
      a.latin = 1;
    }
    ro = cross ? MOE : rng_below(r, 2);
    s1 = SCH(ro);
    x = add(g, &a, ro, s1, ST_ENROLLED, 0, MAYBE(800, typical_waiver(r)));
    if (var >= NV_DOT && var < NV_DOT + 7 && rng_below(r, 3) == 0)
      x->namevar = (uint8_t)(NV_DOT + 1 + rng_below(r, 6));
    other = cross ? MOHRSS : ro;
    x = add(g, &a, other, OTHER(other, s1), ST_ENROLLED, 0,
            MAYBE(500, typical_waiver(r)));
    x->namevar = (uint8_t)var;
    break;
  }
  case K_IDDAMAGE: { /* the same person behind a damaged ID */
    int dmg = 1 + sub;
    new_person(g, r, &a, 0);
    if (dmg == DMG_LOWERX) /* needs an ID that ends in X */
      while (a.p.check != 'X')
        domain_person(&a.p, &g->stu, g->stu_next++, 0);
    ro = sub % 2 ? MOE : MOHRSS;
    x = add(g, &a, MOE, SCH(MOE), ST_ENROLLED, 0,
            MAYBE(800, typical_waiver(r)));
    if (ro == MOE)
      x->iddamage = (uint8_t)dmg;
    x = add(g, &a, MOHRSS, SCH(MOHRSS), ST_ENROLLED,
            MAYBE(300, typical_grant(r)), MAYBE(500, typical_waiver(r)));
    if (ro == MOHRSS)
      x->iddamage = (uint8_t)dmg;
    break;
  }
  case K_INVALID: { /* an invalid ID is still a key */
    int form = sub & 1 ? IDF_17 : IDF_BADCHECK;
    new_person(g, r, &a, 0);
    if (sub < 2) {
      x = add(g, &a, MOE, SCH(MOE), ST_ENROLLED, 0,
              MAYBE(800, typical_waiver(r)));
      x->idform = (uint8_t)form;
      x = add(g, &a, MOHRSS, SCH(MOHRSS), ST_ENROLLED, 0,
              MAYBE(800, typical_waiver(r)));
    } else {
      s1 = SCH(MOE);
      x = add(g, &a, MOE, s1, ST_ENROLLED, 0, MAYBE(800, typical_waiver(r)));
      x->idform = (uint8_t)form;
      x = add(g, &a, MOE, OTHER(MOE, s1), ST_ENROLLED, 0,
              MAYBE(800, typical_waiver(r)));
    }
    x->idform = (uint8_t)form;
    break;
  }
  case K_TRIPLE: /* three schools, three grants */
    new_person(g, r, &a, 0);
    s1 = SCH(MOE);
    add(g, &a, MOE, s1, ST_ENROLLED, typical_grant(r), typical_waiver(r));
    add(g, &a, MOE, OTHER(MOE, s1), ST_ENROLLED, typical_grant(r),
        typical_waiver(r));
    add(g, &a, MOHRSS, SCH(MOHRSS), ST_ENROLLED, typical_grant(r), 0);
    break;
  case K_QUOTED: /* school names with a line break, a comma, quotes */
    new_person(g, r, &a, 0);
    add(g, &a, MOE, g->special[MOE][2], ST_ENROLLED, 0,
        MAYBE(800, typical_waiver(r)));
    add(g, &a, MOHRSS, g->special[MOHRSS][sub], ST_ENROLLED, 0, 0);
    break;
  case K_REJECT: { /* a good record, and a row of the same person rejected */
    int code = 1 + sub;
    new_person(g, r, &a, 0);
    ro = rng_below(r, 2);
    other = rng_below(r, 2);
    s1 = SCH(ro);
    add(g, &a, ro, s1, ST_ENROLLED, 0, typical_waiver(r));
    x = add(g, &a, other, OTHER(other, s1), ST_ENROLLED,
            MAYBE(300, typical_grant(r)), typical_waiver(r));
    x->reject = (uint8_t)code;
    break;
  }
  default:
    break;
  }
}

/* Extra harmless damage on the planted rows from `first` on: 8% get ID
 * text that cleaning undoes, 4% of Han names get white space. */
static void plan_damage(gen *g, rng *r, uint32_t first)
{
  for (uint32_t i = first; i < g->nrecs; i++) {
    prec *x = &g->recs[i];
    if (x->reject)
      continue;
    if (x->iddamage == DMG_NONE && rng_pm(r, 80)) {
      x->iddamage = (uint8_t)(1 + rng_below(r, DMG_COUNT - 1));
      if (x->idform == IDF_15 && x->iddamage == DMG_LOWERX)
        x->iddamage = DMG_APOS;
    }
    if (x->namevar == NV_NONE && x->namekind == NK_HAN && !x->latin &&
        rng_pm(r, 40))
      x->namevar = (uint8_t)(NV_SPACE + rng_below(r, 4));
  }
}

/* ---- the fuzzy tier's plan (--fuzzy) ---- */

/* Digit i (from 0) of a 17-digit number, and the number with it set. */
static int id_digit(uint64_t id17, int i)
{
  for (int k = 16; k > i; k--)
    id17 /= 10;
  return (int)(id17 % 10);
}

static uint64_t id_set_digit(uint64_t id17, int i, int d)
{
  uint64_t w = 1;
  for (int k = 16; k > i; k--)
    w *= 10;
  return id17 - (uint64_t)id_digit(id17, i) * w + (uint64_t)d * w;
}

/* The index an ID has in domain d (its preimage under the permutation), or
 * UINT64_MAX when no index of d gives it. */
static uint64_t domain_index(const iddomain *d, uint64_t id17)
{
  int32_t code = (int32_t)(id17 / 100000000000ULL);
  int32_t ymd = (int32_t)(id17 / 1000 % 100000000);
  uint64_t seq = id17 % 1000, within;
  uint32_t lo = 0, hi = d->ndays;
  int64_t slot = domain_slot(d, code);
  if (slot < 0 || seq < 10)
    return UINT64_MAX;
  within = (seq / 10 - 1) * 10 + seq % 10; /* station 01.. and its number */
  if (within >= d->pre[slot + 1] - d->pre[slot])
    return UINT64_MAX;
  while (lo < hi) { /* d->ymd ascends */
    uint32_t mid = (lo + hi) / 2;
    if (d->ymd[mid] < ymd)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == d->ndays || d->ymd[lo] != ymd)
    return UINT64_MAX;
  return perm_invert(&d->pm, (d->pre[slot] + within) * d->ndays + lo);
}

/* 1 when an ID is some person's of these rosters: planted persons take the
 * indexes below *_next, ordinary rows the next n[MOE] + n[MOHRSS]. */
static int id_in_use(const gen *g, uint64_t id17)
{
  const iddomain *d[2] = {&g->stu, &g->adu};
  uint64_t next[2] = {g->stu_next, g->adu_next};
  for (int k = 0; k < 2; k++) {
    uint64_t i = domain_index(d[k], id17);
    person p;
    if (i == UINT64_MAX)
      continue;
    domain_person(&p, d[k], i, k);
    if (p.id17 != id17)
      die("internal: the inverse permutation is wrong", NULL);
    if (i < next[k] + (uint64_t)g->n[MOE] + g->n[MOHRSS])
      return 1;
  }
  return 0;
}

/* Takes id17 for an ID made here (a typo, another person): 0 when it is in
 * use or was made before. */
static int claim_id(gen *g, uint64_t id17)
{
  uint32_t h, mask;
  if (id_in_use(g, id17))
    return 0;
  if ((g->nmade + 1) * 2 > g->capmade) {
    uint64_t *old = g->made;
    uint32_t oldcap = g->capmade;
    g->capmade = oldcap ? oldcap * 2 : 1024;
    g->made = xmalloc(sizeof(uint64_t) * g->capmade);
    memset(g->made, 0, sizeof(uint64_t) * g->capmade);
    for (uint32_t i = 0; i < oldcap; i++)
      if (old[i]) {
        h = (uint32_t)mix64(old[i]) & (g->capmade - 1);
        while (g->made[h])
          h = (h + 1) & (g->capmade - 1);
        g->made[h] = old[i];
      }
    free(old);
  }
  mask = g->capmade - 1;
  h = (uint32_t)mix64(id17 + 1) & mask;
  while (g->made[h]) {
    if (g->made[h] == id17 + 1)
      return 0;
    h = (h + 1) & mask;
  }
  g->made[h] = id17 + 1;
  g->nmade++;
  return 1;
}

/* A valid ID can be made from id17: a province, a real birth date between
 * 1900 and the youngest student's. */
static int id_plausible(const gen *g, uint64_t id17)
{
  int32_t ymd = (int32_t)(id17 / 1000 % 100000000);
  int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
  return prov_index((int)(id17 / 1000000000000000ULL)) >= 0 && y >= 1900 &&
         cc_date_valid(y, m, d) && ymd <= g->stu_hi_ymd;
}

/* Position in the given name of a character with a homophone in
 * GEN_HOMOPHONES (*alt receives the homophone), or -1. */
static int homophone_at(const nameparts *np, const char **alt)
{
  int k = 0;
  for (const char *s = np->p2; *s; s += u8len((unsigned char)*s), k++) {
    if (u8len((unsigned char)*s) != 3)
      continue;
    for (size_t i = 0; i < COUNT(GEN_HOMOPHONES); i++) {
      if (memcmp(s, GEN_HOMOPHONES[i].a, 3) == 0) {
        *alt = GEN_HOMOPHONES[i].b;
        return k;
      }
      if (memcmp(s, GEN_HOMOPHONES[i].b, 3) == 0) {
        *alt = GEN_HOMOPHONES[i].a;
        return k;
      }
    }
  }
  return -1;
}

static int fuzzy_status(rng *r)
{
  return rng_pm(r, 900) ? ST_ENROLLED : ST_SUSPENDED;
}

/* Plants one fuzzy group. A link or a review pair: two records of one
 * person at two schools, one roster (a quarter) or both, both holding an
 * enrollment, sometimes both paid; same_school puts both at one school,
 * both 在籍. A hard negative: two people alike. ambiguous_typo: the person's
 * two records and a namesake's third. The IDs that must be made (the typo,
 * the other person's) are made by fuzzy_finalize once every index in use is
 * known. */
static void plan_fuzzy_one(gen *g, rng *r, int fk, int var, int dmg)
{
  pperson a, b;
  nameparts np;
  const char *alt = NULL;
  int cross = rng_pm(r, 750), ro1 = (int)rng_below(r, 2);
  int ro2 = cross ? 1 - ro1 : ro1, grant = rng_pm(r, 200),
      waiver = rng_pm(r, 500), pos = -1;
  int twins = fk == FK_NEG_TWINS, named = FKINDS[fk].type != FT_NEG;
  int homophone = (named && var == FV_HOMOPHONE) || (twins && var == 1);
  int trad = named && var == FV_TRAD;
  uint32_t s1, s2, ia, ib;
  uint16_t regb;

  begin_group(g, K_COUNT + fk, var);
  g->groups[g->ngroups - 1].dmg = (uint8_t)dmg;
  new_person(g, r, &a, 0);
  if (fk == FK_NEG_COUNTY) /* needs a second police station */
    while (g->cty[a.p.region].stations < 2)
      domain_person(&a.p, &g->stu, g->stu_next++, 0);
  if (homophone || trad || twins)
    a.kind = NK_HAN;
  for (;;) { /* a name the variant applies to */
    int all3 = 0, ok = 1;
    name_from_seed(g, a.seed, a.p.male, a.kind, -1, &np);
    if (homophone)
      ok = (pos = homophone_at(&np, &alt)) >= 0;
    else if (trad)
      ok = name_has_trad(&np);
    if (ok && twins)
      ok = given_chars(&np, &all3) == 2 && all3;
    if (ok)
      break;
    a.seed = rng_next(r);
  }
  b = a;
  regb = a.p.region;
  if (FKINDS[fk].type == FT_NEG || fk == FK_REV_AMBIGUOUS)
    g->persons++;
  if (fk == FK_NEG_ELSEWHERE) { /* another county, the same birth date */
    do
      regb = random_county(g, r);
    while (g->cty[regb].code == g->cty[a.p.region].code);
    b.p.region = regb;
    b.p.id17 = (uint64_t)g->cty[regb].code * 100000000000ULL +
               a.p.id17 / 1000 % 100000000 * 1000; /* sequence made later */
  }
  if (fk == FK_SAME_SCHOOL) { /* twice at one school, both 在籍 */
    int ro = rng_pm(r, 700) ? MOE : MOHRSS, g2 = rng_pm(r, 300),
        w2 = rng_pm(r, 600);
    s1 = pick_school(g, r, ro, a.p.region);
    ia = g->nrecs;
    add(g, &a, ro, s1, ST_ENROLLED, g2 ? typical_grant(r) : 0,
        w2 ? typical_waiver(r) : MAYBE(700, typical_waiver(r)));
    ib = g->nrecs;
    add(g, &b, ro, s1, ST_ENROLLED, g2 ? typical_grant(r) : 0,
        w2 ? typical_waiver(r) : 0);
  } else {
    s1 = pick_school(g, r, ro1, a.p.region);
    s2 = cross ? pick_school(g, r, ro2, regb)
               : pick_other_school(g, r, ro2, regb, s1);
    ia = g->nrecs;
    add(g, &a, ro1, s1, fuzzy_status(r), grant ? typical_grant(r) : 0,
        waiver ? typical_waiver(r) : MAYBE(600, typical_waiver(r)));
    ib = g->nrecs;
    add(g, &b, ro2, s2, fuzzy_status(r), grant ? typical_grant(r) : 0,
        waiver ? typical_waiver(r) : 0);
    if (fk == FK_REV_AMBIGUOUS) { /* the namesake, at a third school */
      int ro3 = (int)rng_below(r, 2);
      uint32_t s3;
      do
        s3 = pick_school(g, r, ro3, a.p.region);
      while (s3 == s1 || s3 == s2);
      add(g, &a, ro3, s3, fuzzy_status(r), 0, MAYBE(500, typical_waiver(r)));
    }
  }
  if (twins && !homophone) { /* 经国 / 纬国: one character, read otherwise */
    int k = (int)rng_below(r, 2);
    uint32_t i, j, n = COUNT(GEN_TWIN_CHARS);
    const char *keep = np.p2 + (k ? 0 : 3); /* the shared character */
    do {
      i = rng_below(r, n);
      j = rng_below(r, n);
    } while (strcmp(GEN_TWIN_CHARS[i].pinyin, GEN_TWIN_CHARS[j].pinyin) == 0 ||
             memcmp(GEN_TWIN_CHARS[i].ch, keep, 3) == 0 ||
             memcmp(GEN_TWIN_CHARS[j].ch, keep, 3) == 0);
    g->recs[ia].alt = GEN_TWIN_CHARS[i].ch;
    g->recs[ia].altpos = (uint8_t)k;
    g->recs[ib].alt = GEN_TWIN_CHARS[j].ch;
    g->recs[ib].altpos = (uint8_t)k;
  } else if (homophone) { /* 思源 / 思远; 伟 / 玮 typed through an IME */
    g->recs[ib].alt = alt;
    g->recs[ib].altpos = (uint8_t)pos;
  } else if (trad) {
    g->recs[ib].namevar = NV_TRAD;
  }
}

/* The 17 digits with the sequence (digits 15-17) replaced. */
static uint64_t id_with_seq(uint64_t id17, unsigned seq)
{
  return id17 - id17 % 1000 + seq;
}

/* Another person's 17 digits beside id17: the same county and birth date,
 * the same sex, and a sequence no one has. where 0: the same police
 * station, the nearest numbers first (twins, neighbours); 1: another
 * station of the county; 2: any station. 0 when none is free. */
static uint64_t neighbour_id(gen *g, rng *r, uint64_t id17, int where)
{
  int64_t slot = domain_slot(&g->stu, (int32_t)(id17 / 100000000000ULL));
  unsigned seq = (unsigned)(id17 % 1000), st = seq / 10, o = seq % 10;
  unsigned nst =
      slot < 0 ? 1 : (unsigned)((g->stu.pre[slot + 1] - g->stu.pre[slot]) / 10);
  for (uint32_t tries = 0; tries < 10000; tries++) {
    unsigned st2 = st, o2 = (o & 1) + 2 * rng_below(r, 5);
    uint64_t t;
    if (where == 1) {
      if (nst < 2)
        return 0;
      do
        st2 = 1 + rng_below(r, nst);
      while (st2 == st);
    } else if (where == 2) {
      st2 = 1 + rng_below(r, nst);
    } else if (tries < 2) {
      o2 = tries == 0 ? o + 2 : o - 2;
    }
    if (o2 > 9 || (st2 == st && o2 == o))
      continue;
    t = id_with_seq(id17, st2 * 10 + o2);
    if (claim_id(g, t))
      return t;
  }
  return 0;
}

/* Makes the IDs of the fuzzy groups, now that every index in use is known
 * (no person is drawn after this). */
static void fuzzy_finalize(gen *g)
{
  static const char checks[] = "0123456789X";
  rng r;
  rng_init(&r, g->seed, 4);
  for (uint32_t gi = 0; gi < g->ngroups; gi++) {
    pgroup *gr = &g->groups[gi];
    prec *a, *b;
    uint64_t id, t = 0;
    int fk, how, pos = -1;
    uint32_t tries = 0;
    if (gr->kind < K_COUNT)
      continue;
    fk = gr->kind - K_COUNT;
    how = fk == FK_SAME_SCHOOL ? gr->dmg : fk;
    a = &g->recs[gr->first];
    b = a + 1;
    id = a->id17;
    switch (how) {
    case FK_SUB:
    case FK_REV_VALID:
    case FK_NEG_ONE_DIGIT:
      for (;; tries++) {
        if (tries > 100000)
          die("internal: no free ID one digit away", NULL);
        pos = (int)rng_below(&r, 17);
        t = id_set_digit(id, pos,
                         (id_digit(id, pos) + 1 + (int)rng_below(&r, 9)) % 10);
        /* A substitution always breaks MOD 11-2: keeping the check character
         * makes the ID invalid, recomputing it needs a date and province. */
        if (how != FK_SUB && !id_plausible(g, t))
          continue;
        if (claim_id(g, t))
          break;
      }
      b->id17 = t;
      if (how == FK_SUB) {
        b->idform = IDF_CHECK;
        b->chk = id_check(id);
      }
      break;
    case FK_SWAP:
      for (;; tries++) {
        int d0, d1;
        if (tries > 100000)
          die("internal: no free ID with two digits swapped", NULL);
        pos = (int)rng_below(&r, 16);
        d0 = id_digit(id, pos);
        d1 = id_digit(id, pos + 1);
        if (d0 == d1)
          continue;
        t = id_set_digit(id_set_digit(id, pos, d1), pos + 1, d0);
        if (claim_id(g, t))
          break;
      }
      b->id17 = t;
      b->idform = IDF_CHECK; /* kept: MOD 11-2 catches every adjacent swap */
      b->chk = id_check(id);
      break;
    case FK_CHECK:
      pos = 17;
      b->idform = IDF_CHECK;
      do
        b->chk = checks[rng_below(&r, 11)];
      while (b->chk == id_check(id));
      break;
    case FK_OMIT: /* 17 characters typed: one of the 18 left out */
      for (;; tries++) {
        char k[20];
        if (tries > 100000)
          die("internal: no free ID with a digit left out", NULL);
        put_digits(k, id, 17);
        k[17] = id_check(id);
        pos = (int)rng_below(&r, 18);
        if (pos == 17) { /* the check character: the person's own body */
          t = id;
          break;
        }
        if (k[17] == 'X')
          continue; /* the rest would not be 17 digits */
        t = 0;
        for (int i = 0; i < 18; i++)
          if (i != pos)
            t = t * 10 + (uint64_t)(k[i] - '0');
        if (claim_id(g, t))
          break;
      }
      b->id17 = t;
      b->idform = IDF_17;
      break;
    case FK_REV_AMBIGUOUS: { /* A, A's typo, and B: A's namesake */
      prec *c = a + 2;
      t = neighbour_id(g, &r, id, 0);
      if (!t)
        die("internal: no free sequence number", NULL);
      c->id17 = c->true17 = t;
      /* A's 17 digits with B's check character: one edit from both */
      b->idform = IDF_CHECK;
      b->chk = id_check(t);
      pos = 17;
      break;
    }
    case FK_NEG_STATION:
    case FK_NEG_TWINS:
    case FK_NEG_COUNTY:
    case FK_NEG_ELSEWHERE:
      t = neighbour_id(
          g, &r, how == FK_NEG_ELSEWHERE ? id_with_seq(b->id17, id % 1000) : id,
          how == FK_NEG_COUNTY      ? 1
          : how == FK_NEG_ELSEWHERE ? 2
                                    : 0);
      if (!t)
        die("internal: no free sequence number", NULL);
      b->id17 = b->true17 = t;
      break;
    default:
      break;
    }
    if (fk == FK_NEG_ONE_DIGIT) { /* another person: own sex, own name */
      nameparts na, nb;
      b->true17 = t;
      b->male = (uint8_t)(t & 1);
      b->namekind = NK_HAN;
      name_of(g, a, &na);
      do {
        b->name_seed = rng_next(&r);
        name_of(g, b, &nb);
      } while (strcmp(na.p1, nb.p1) == 0 || strcmp(na.p2, nb.p2) == 0);
    }
    gr->pos = (uint8_t)(pos + 1);
  }
}

/* The fuzzy groups: RATE x rows persons (a link or a review pair is one,
 * a hard negative and ambiguous_typo two), each kind and name variant once
 * first (same_school once per typo and name variant). */
static void plan_fuzzy(gen *g, const uint32_t budget[NROSTER])
{
  rng r;
  int first[FK_COUNT * FV_COUNT * 4][3], nfirst = 0, fk, var, dmg;
  uint32_t wtotal = 0, fails = 0, persons0 = g->persons, need = 0;
  uint64_t target;

  rng_init(&r, g->seed, 3);
  for (fk = 0; fk < FK_COUNT; fk++) {
    wtotal += (uint32_t)FKINDS[fk].weight;
    for (var = 0; var < FKINDS[fk].nvar; var++)
      for (dmg = 0; dmg < (fk == FK_SAME_SCHOOL ? FK_OMIT + 1 : 1); dmg++) {
        first[nfirst][0] = fk;
        first[nfirst][1] = var;
        first[nfirst][2] = dmg;
        nfirst++;
        need += FKINDS[fk].type == FT_NEG || fk == FK_REV_AMBIGUOUS ? 2 : 1;
      }
  }
  target = (uint64_t)(g->fuzzy * ((double)g->n[MOE] + g->n[MOHRSS]) + 0.5);
  if (target < need)
    target = need;
  for (uint32_t i = 0; g->persons - persons0 < target && fails < 200; i++) {
    uint32_t rec0 = g->nrecs, pers0 = g->persons, cnt[NROSTER] = {0, 0};
    if (i < (uint32_t)nfirst) {
      fk = first[i][0];
      var = first[i][1];
      dmg = first[i][2];
    } else {
      uint32_t w = rng_below(&r, wtotal);
      for (fk = 0; w >= (uint32_t)FKINDS[fk].weight; fk++)
        w -= (uint32_t)FKINDS[fk].weight;
      var = FV_SAME;
      dmg = fk == FK_SAME_SCHOOL ? (int)rng_below(&r, FK_OMIT + 1) : 0;
      if (FKINDS[fk].nvar == FV_COUNT) {
        w = rng_below(&r, 100);
        while (w >= (uint32_t)FV_WEIGHT[var])
          w -= (uint32_t)FV_WEIGHT[var++];
      } else if (FKINDS[fk].nvar == 2) {
        var = rng_below(&r, 3) == 0; /* a third of twins: homophones */
      }
    }
    plan_fuzzy_one(g, &r, fk, var, dmg);
    plan_damage(g, &r, rec0);
    for (uint32_t j = rec0; j < g->nrecs; j++)
      cnt[g->recs[j].roster]++;
    if (g->planned[MOE] + cnt[MOE] > budget[MOE] ||
        g->planned[MOHRSS] + cnt[MOHRSS] > budget[MOHRSS]) {
      g->nrecs = rec0; /* does not fit: dropped, its index stays unused */
      g->ngroups--;
      g->persons = pers0;
      fails++;
      continue;
    }
    g->planned[MOE] += cnt[MOE];
    g->planned[MOHRSS] += cnt[MOHRSS];
  }
  fuzzy_finalize(g);
}

static void build_plan(gen *g)
{
  rng r;
  uint64_t target;
  uint32_t budget[NROSTER], fails = 0;
  int first_round[256][2], nfirst = 0, k;
  uint32_t wtotal = 0;

  rng_init(&r, g->seed, 2);
  for (k = 0; k < K_COUNT; k++) {
    wtotal += (uint32_t)KINDS[k].weight;
    for (int s = 0; s < KINDS[k].nsub; s++) {
      first_round[nfirst][0] = k;
      first_round[nfirst][1] = s;
      nfirst++;
    }
  }
  target = (uint64_t)(g->plant * ((double)g->n[MOE] + g->n[MOHRSS]) + 0.5);
  if (g->plant > 0 && target < (uint64_t)nfirst + 2)
    target = (uint64_t)nfirst + 2;
  for (int ro = 0; ro < NROSTER; ro++)
    budget[ro] = g->n[ro] / 2;

  for (uint32_t i = 0; g->persons < target && fails < 200; i++) {
    uint32_t rec0 = g->nrecs, pers0 = g->persons, cnt[NROSTER] = {0, 0};
    int sub;
    if (i < (uint32_t)nfirst) {
      k = first_round[i][0];
      sub = first_round[i][1];
    } else {
      uint32_t w = rng_below(&r, wtotal);
      for (k = 0; w >= (uint32_t)KINDS[k].weight; k++)
        w -= (uint32_t)KINDS[k].weight;
      sub = (int)rng_below(&r, (uint32_t)KINDS[k].nsub);
    }
    plan_one(g, &r, k, sub);
    plan_damage(g, &r, rec0);
    for (uint32_t j = rec0; j < g->nrecs; j++)
      cnt[g->recs[j].roster]++;
    if (g->planned[MOE] + cnt[MOE] > budget[MOE] ||
        g->planned[MOHRSS] + cnt[MOHRSS] > budget[MOHRSS]) {
      /* Does not fit (tiny rosters): drop it. Its IDs stay unused. */
      g->nrecs = rec0;
      g->ngroups--;
      g->persons = pers0;
      fails++;
      continue;
    }
    g->planned[MOE] += cnt[MOE];
    g->planned[MOHRSS] += cnt[MOHRSS];
  }
  if (g->fuzzy > 0)
    plan_fuzzy(g, budget);
  /* File order of the planted rows: shuffled per roster. */
  for (int ro = 0; ro < NROSTER; ro++) {
    uint32_t n = 0;
    g->plist[ro] = xmalloc(sizeof(uint32_t) * (g->planned[ro] + 1));
    for (uint32_t j = 0; j < g->nrecs; j++)
      if (g->recs[j].roster == ro)
        g->plist[ro][n++] = j;
    for (uint32_t j = n; j > 1; j--) {
      uint32_t t = rng_below(&r, j), tmp = g->plist[ro][j - 1];
      g->plist[ro][j - 1] = g->plist[ro][t];
      g->plist[ro][t] = tmp;
    }
    g->nplist[ro] = n;
  }
}

/* ---- writing ---- */

static void w_open(writer *w, const char *path, int gb)
{
  memset(w, 0, sizeof(*w));
  w->path = path;
  w->fp = fopen(path, "wb");
  if (!w->fp)
    die(strerror(errno), path);
  w->cap = WBUF_CAP;
  w->buf = xmalloc(w->cap);
  w->cd = (iconv_t)-1;
  if (gb) {
    w->cd = iconv_open("GB18030", "UTF-8");
    if (w->cd == (iconv_t)-1)
      die("iconv cannot convert UTF-8 to GB18030", NULL);
    /* GB18030 takes at most twice the bytes of UTF-8 (U+0080..U+07FF). */
    w->convcap = 2 * w->cap + 16;
    w->conv = xmalloc(w->convcap);
  }
}

static void w_flush(writer *w)
{
  const char *out = w->buf;
  size_t n = w->len;
  if (!n)
    return;
  if (w->cd != (iconv_t)-1) {
    char *in = w->buf, *o = w->conv;
    size_t inleft = w->len, outleft = w->convcap;
    if (iconv(w->cd, &in, &inleft, &o, &outleft) == (size_t)-1)
      die("GB18030 conversion failed", w->path);
    out = w->conv;
    n = w->convcap - outleft;
  }
  if (fwrite(out, 1, n, w->fp) != n)
    die(strerror(errno), w->path);
  w->bytes += n;
  w->len = 0;
}

static void w_close(writer *w)
{
  w_flush(w);
  if (fclose(w->fp) != 0)
    die(strerror(errno), w->path);
  if (w->cd != (iconv_t)-1)
    iconv_close(w->cd);
  free(w->buf);
  free(w->conv);
}

static inline void w_raw(writer *w, const char *s, size_t n)
{
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

/* Writes one CSV field, quoted when it must be; returns its line breaks. */
static inline int w_field(writer *w, const char *s, size_t n)
{
  int quote = 0, nl = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ',' || c == '"' || c == '\r')
      quote = 1;
    else if (c == '\n') {
      quote = 1;
      nl++;
    }
  }
  if (!quote) {
    w_raw(w, s, n);
    return 0;
  }
  char *p = w->buf + w->len;
  *p++ = '"';
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"')
      *p++ = '"';
    *p++ = s[i];
  }
  *p++ = '"';
  w->len = (size_t)(p - w->buf);
  return nl;
}

/* One row ready to write: fields in canonical column order. */
/*
 * Policy plants (SPEC 3.2, docs/RULES.md "Policy findings"). Every paid row
 * is otherwise written to keep the rules (全日制; a grant only up to year
 * 2; 学制 at least the year of study, so the program has not ended); these
 * break one rule, or look as if they did and do not. The truth is worked
 * out from what each row says (policy_truth), whatever made it so.
 */
enum {
  P_NONE = 0,
  P_PART_TIME,   /* 非全日制 and paid */
  P_THIRD_YEAR,  /* a grant in year 3 */
  P_BEYOND,      /* enrolled 学制 + 1 years before the period, paid */
  L_UNPAID_PART, /* look-alike: 非全日制, paid nothing */
  L_COHORT_Y1,   /* look-alike: 年级 as the cohort of year 1, a grant */
  L_DATE_FORMS,  /* look-alike: 2024/9/1, 20240901, a serial day; paid */
  P_COUNT
};
static const char *const P_NAME[P_COUNT] = {
    "none",           "part_time",        "third_year",
    "beyond_program", "unpaid_part_time", "cohort_year_1",
    "date_forms"};

/* What a written row says, for the policy truth. */
typedef struct polrow {
  int part;  /* 学习形式 非全日制 */
  int year;  /* year of study in the period (年级 as written means it) */
  int eyear; /* 入学日期's year (September) */
  int years; /* 学制 */
} polrow;

typedef struct row {
  const char *f[NCOL];
  uint32_t n[NCOL];
  char scratch[2048];
  polrow pol; /* what the row says, for the policy truth */
} row;

typedef struct rowctx {
  gen *g;
  writer w;
  rng r;
  int ro;
  const char *eol;
  size_t eol_len;
  uint32_t line;  /* physical line the next row starts on */
  uint64_t rowno; /* data rows so far */
} rowctx;

static int emit_row(rowctx *c, const row *rw)
{
  int nl = 0;
  const int *order = COL_ORDER[c->ro];
  if (c->w.len + WBUF_SLACK > c->w.cap)
    w_flush(&c->w);
  for (int i = 0; i < NCOL; i++) {
    if (i)
      c->w.buf[c->w.len++] = ',';
    nl += w_field(&c->w, rw->f[order[i]], rw->n[order[i]]);
  }
  w_raw(&c->w, c->eol, c->eol_len);
  return nl;
}

/* A row's details apart from identity, status and money. */
typedef struct rowspec {
  uint64_t id17;
  int idform, iddamage;
  char chk; /* IDF_CHECK */
  nameparts np;
  int namevar, latin;
  const school *s;
  int status;
  int32_t grant2, waiver2;
  int reject;
  int adult;
  int cosmetic; /* harmless damage of other fields */
  int policy;   /* P_*: a policy plant or look-alike (ordinary rows) */
} rowspec;

static int age_at_period(const gen *g, uint64_t id17)
{
  int ymd = (int)((id17 / 1000) % 100000000), by = ymd / 10000;
  int bm = ymd / 100 % 100, bd = ymd % 100;
  int age = g->py - by;
  if (g->pm < bm || (g->pm == bm && bd > 1))
    age--;
  return age;
}

#define FIELD(col, start, end)                                                 \
  do {                                                                         \
    rw->f[col] = (start);                                                      \
    rw->n[col] = (uint32_t)((end) - (start));                                  \
  } while (0)

static void build_row(rowctx *c, const rowspec *sp, row *rw)
{
  gen *g = c->g;
  rng *r = &c->r;
  char *p = rw->scratch, *q;
  int age = age_at_period(g, sp->id17), grade, eyear, st = sp->status;
  const school *s = sp->s;

  /* 身份证号 */
  q = p;
  switch (sp->reject) {
  case R_ID_EMPTY: {
    static const char *const e[3] = {"", " ", "\xE3\x80\x80"};
    p = cat(p, e[rng_below(r, 3)]);
    break;
  }
  case R_ID_SCI:
    p = render_sci(p, sp->id17);
    break;
  case R_ID_NOT_DIGITS:
    if (rng_below(r, 4) == 0) {
      static const char *const e[3] = {"无", "待补录", "身份证号码"};
      p = cat(p, e[rng_below(r, 3)]);
    } else { /* the letter O typed for a zero */
      char k[20];
      id_key(k, sp->id17, IDF_18, 0);
      k[6 + rng_below(r, 8)] = 'O';
      memcpy(p, k, 18);
      p += 18;
    }
    break;
  case R_ID_TOO_SHORT: {
    char k[20];
    put_digits(k, sp->id17, 17);
    memcpy(p, k, 12);
    p += 12;
    break;
  }
  case R_ID_TOO_LONG: /* 19 digits (an X before the end would be
                        * id_not_digits, which is checked first) */
    put_digits(p, sp->id17, 17);
    put_digits(p + 17, rng_below(r, 100), 2);
    p += 19;
    break;
  default:
    p = render_id(p, sp->id17, sp->idform, sp->chk, sp->iddamage, r);
    break;
  }
  FIELD(C_ID, q, p);

  /* 姓名 */
  q = p;
  if (sp->reject == R_NAME_EMPTY) {
    static const char *const e[3] = {"", " ", "\xE3\x80\x80"};
    p = cat(p, e[rng_below(r, 3)]);
  } else {
    p = render_name(p, &sp->np, sp->namevar, sp->latin);
  }
  FIELD(C_NAME, q, p);

  /* 学校代码: surrounding spaces are trimmed by the rules */
  q = p;
  if (sp->reject != R_SCHOOL_EMPTY) {
    int sp_around = sp->cosmetic == 4;
    if (sp_around)
      *p++ = ' ';
    memcpy(p, s->code, s->code_len);
    p += s->code_len;
    if (sp_around)
      *p++ = ' ';
  }
  FIELD(C_SCODE, q, p);
  FIELD(C_SNAME, s->name, s->name + s->name_len);

  /* 所在地区代码 */
  q = p;
  if (!rng_pm(r, 5)) {
    put_digits(p, (uint64_t)GEN_REGIONS[s->region].code, 6);
    p += 6;
  }
  FIELD(C_REGION, q, p);

  /* 年级 and 入学日期 follow the age */
  grade = age - 15 + (int)rng_below(r, 2);
  if (sp->adult)
    grade = 1 + (int)rng_below(r, 3);
  grade = grade < 1 ? 1 : grade > 3 ? 3 : grade;
  /* Paid rows keep the grant rule unless planted to break it. */
  if (sp->grant2 > 0 && grade > 2 && sp->policy != P_THIRD_YEAR)
    grade = 2;
  if (sp->policy == P_THIRD_YEAR)
    grade = 3;
  if (sp->policy == L_COHORT_Y1)
    grade = 1;
  eyear = g->py - grade + (g->pm >= 9 ? 1 : 0);
  rw->pol.year = grade;

  /* 学籍号: unique per roster */
  q = p;
  if (c->ro == MOE) {
    put_digits(p, (uint64_t)GEN_REGIONS[s->region].code / 10000, 2);
    put_digits(p + 2, (uint64_t)eyear, 4);
    put_digits(p + 6, c->rowno + 1, 8);
    p += 14;
  } else {
    p = cat(p, "JG");
    put_digits(p, (uint64_t)eyear, 4);
    put_digits(p + 4, c->rowno + 1, 8);
    p += 12;
  }
  FIELD(C_RECID, q, p);

  /* 学习形式: part-time study is never paid, unless planted */
  q = p;
  rw->pol.part = sp->adult ? rng_pm(r, 850) : rng_pm(r, 30);
  if (sp->grant2 > 0 || sp->waiver2 > 0)
    rw->pol.part = 0;
  if (sp->policy == P_PART_TIME || sp->policy == L_UNPAID_PART)
    rw->pol.part = 1;
  if (rw->pol.part && rng_pm(r, 50))
    p = cat(p, rng_below(r, 2) ? "非全日制 " : "非 全日制"); /* typed */
  else
    p = cat(p, rw->pol.part ? "非全日制" : "全日制");
  FIELD(C_MODE, q, p);

  /* 年级: the year of study, or (as some schools write it) the cohort */
  q = p;
  if (sp->policy == L_COHORT_Y1 || rng_pm(r, 20)) {
    static const char *const zh[3] = {"一年级", "二年级", "三年级"};
    switch (sp->policy == L_COHORT_Y1 ? rng_below(r, 2) : rng_below(r, 4)) {
    case 0: /* 2024级 */
      p = cat(cat_uint(p, (uint64_t)eyear), "级");
      break;
    case 1: /* 2024 */
      p = cat_uint(p, (uint64_t)eyear);
      break;
    case 2:
      p = cat(p, zh[grade - 1]);
      break;
    default:
      p = cat(cat_uint(p, (uint64_t)grade), "年级");
      break;
    }
  } else {
    *p++ = (char)('0' + grade);
  }
  FIELD(C_GRADE, q, p);

  /* 学制 is drawn here, before 入学日期, which a planted overrun moves */
  {
    uint32_t y = rng_below(r, 100);
    rw->pol.years = y < 92 ? 3 : y < 95 ? 2 : c->ro == MOHRSS && y < 99 ? 5 : 4;
    if ((sp->grant2 > 0 || sp->waiver2 > 0) && rw->pol.years < grade &&
        sp->policy != P_BEYOND)
      rw->pol.years = grade; /* paid: the program has not ended */
  }
  if (sp->policy == P_BEYOND)
    eyear = g->py - rw->pol.years - 1; /* ended last year at the latest */
  rw->pol.eyear = eyear;

  q = p;
  {
    int day = 1 + (int)rng_below(r, 10);
    switch (sp->cosmetic == 5 || sp->policy == L_DATE_FORMS ? rng_below(r, 3)
                                                            : 3) {
    case 0: /* 2024/9/1 */
      p = cat_uint(p, (uint64_t)eyear);
      p = cat(p, "/9/");
      p = cat_uint(p, (uint64_t)day);
      break;
    case 1: /* 20240901 */
      put_digits(p, (uint64_t)(eyear * 10000 + 900 + day), 8);
      p += 8;
      break;
    case 2: /* Excel's serial day number */
      p = cat_uint(p, (uint64_t)(cc_date_from_ymd(eyear, 9, day) -
                                 cc_date_from_ymd(1899, 12, 30)));
      break;
    default:
      put_digits(p, (uint64_t)eyear, 4);
      p = cat(p + 4, "-09-");
      put_digits(p, (uint64_t)day, 2);
      p += 2;
      break;
    }
  }
  FIELD(C_EDATE, q, p);

  q = p;
  if (rng_pm(r, 20)) {
    static const char *const zh[6] = {"", "", "二", "三", "四", "五"};
    p = rng_below(r, 2) ? cat(cat_uint(p, (uint64_t)rw->pol.years), "年")
                        : cat(cat(p, zh[rw->pol.years]), "年制");
  } else {
    *p++ = (char)('0' + rw->pol.years);
  }
  FIELD(C_YEARS, q, p);

  /* 专业名称: a few must be quoted */
  if (rng_pm(r, 3)) {
    const char *m = GEN_MAJORS_QUOTED[rng_below(r, COUNT(GEN_MAJORS_QUOTED))];
    FIELD(C_MAJOR, m, m + strlen(m));
  } else {
    const char *m;
    if (c->ro == MOE)
      m = GEN_MAJORS_MOE[rng_below(r, COUNT(GEN_MAJORS_MOE))];
    else
      m = GEN_MAJORS_MOHRSS[rng_below(r, COUNT(GEN_MAJORS_MOHRSS))];
    FIELD(C_MAJOR, m, m + strlen(m));
  }

  /* 学籍状态 */
  q = p;
  if (sp->reject == R_STATUS_EMPTY) {
    /* empty */
  } else if (sp->reject == R_STATUS_UNKNOWN) {
    static const char *const e[5] = {"在校", "正常", "在读", "应届", "待审核"};
    p = cat(p, e[rng_below(r, 5)]);
  } else if (sp->cosmetic == 3) { /* English alias, any case */
    const char *e = STATUS_EN[st];
    uint32_t how = rng_below(r, 3);
    for (size_t i = 0; e[i]; i++)
      *p++ = how == 2 || (how == 1 && i == 0) ? (char)(e[i] - 32) : e[i];
  } else {
    p = cat(p, STATUS_ZH[st]);
  }
  FIELD(C_STATUS, q, p);

  /* 助学金, 免学费 */
  {
    int fg = 0, fw = 0, bad = -1;
    if (sp->cosmetic == 2) {
      fg = (int)rng_below(r, 6);
      fw = (int)rng_below(r, 6);
    }
    if (sp->reject == R_AMOUNT)
      bad = (int)rng_below(r, 2);
    for (int k = 0; k < 2; k++) {
      int32_t v = k ? sp->waiver2 : sp->grant2;
      q = p;
      if (bad == k) {
        static const char *const e[5] = {"-", "元", "一千元", ".005", "N/A"};
        uint32_t how = rng_below(r, 5);
        if (v == 0)
          v = 2000;
        if (how == 0)
          p = render_amount(cat(p, "-"), v & ~1, 0);
        else if (how == 1 || how == 3)
          p = cat(render_amount(p, v & ~1, 0), e[how]);
        else
          p = cat(p, e[how]);
      } else {
        p = render_amount(p, v, k ? fw : fg);
      }
      FIELD(k ? C_WAIVER : C_GRANT, q, p);
    }
  }
}

/* An ordinary person: appears once, needs no memory. */
static void ordinary_spec(rowctx *c, rowspec *sp, uint64_t stu_index,
                          uint64_t adu_index)
{
  gen *g = c->g;
  rng *r = &c->r;
  person p;
  int adult = rng_below(r, 1000) < 4;
  if (adult)
    domain_person(&p, &g->adu, adu_index, 1);
  else
    domain_person(&p, &g->stu, stu_index, 0);
  memset(sp, 0, sizeof(*sp));
  sp->id17 = p.id17;
  sp->adult = adult;
  sp->idform = IDF_18;
  gen_name(g, r, p.male, name_kind_for(g, r, p.region), -1, &sp->np);
  sp->s = &g->schools[pick_school(g, r, c->ro, p.region)];
  {
    /* per mille, cumulative, in ST_* order: mostly 在籍 */
    static const uint16_t cum[ST_COUNT] = {920, 935, 950, 960, 985, 990, 1000};
    uint32_t x = rng_below(r, 1000);
    sp->status = 0;
    while (x >= cum[sp->status])
      sp->status++;
  }
  if (status_holds(sp->status)) {
    int age = age_at_period(g, p.id17);
    if (!adult && age <= 17 && sp->status == ST_ENROLLED && rng_pm(r, 250))
      sp->grant2 = typical_grant(r);
    if (rng_pm(r, adult ? 500 : 900))
      sp->waiver2 = typical_waiver(r);
  } else if (rng_pm(r, 200)) {
    sp->waiver2 = typical_waiver(r);
  }
  /* Policy plants and look-alikes, each kind alike often. */
  if (g->policy > 0 && rng_chance(r, g->policy)) {
    sp->policy = 1 + (int)rng_below(r, P_COUNT - 1);
    switch (sp->policy) {
    case P_PART_TIME:
    case P_BEYOND:
    case L_DATE_FORMS:
      if (sp->grant2 == 0 && sp->waiver2 == 0)
        sp->waiver2 = typical_waiver(r);
      break;
    case P_THIRD_YEAR:
    case L_COHORT_Y1:
      if (sp->grant2 == 0)
        sp->grant2 = typical_grant(r);
      break;
    case L_UNPAID_PART:
      sp->grant2 = sp->waiver2 = 0;
      break;
    }
    g->polkind[sp->policy]++;
  }
  /* Damage: harmless (cleaning undoes it) or, rarely, a rejected row. */
  if (g->damage > 0 && rng_chance(r, g->damage)) {
    uint32_t x = rng_below(r, 100);
    if (x < 50) {
      sp->iddamage = 1 + (int)rng_below(r, DMG_COUNT - 1);
      if (adult && rng_below(r, 2))
        sp->idform = IDF_15; /* an adult's old 15-digit number */
      if (sp->idform == IDF_15 && sp->iddamage == DMG_LOWERX)
        sp->iddamage = DMG_NONE;
    } else if (x < 60) {
      sp->namevar = sp->np.kind == NK_UYGHUR ? NV_DOT + 1 + (int)rng_below(r, 6)
                                             : NV_SPACE + (int)rng_below(r, 4);
    } else if (x < 75) {
      sp->cosmetic = 2; /* amounts */
    } else if (x < 85) {
      sp->cosmetic = 3; /* English status */
    } else if (x < 90) {
      sp->cosmetic = 4; /* spaces around the school code */
    } else {
      sp->cosmetic = 5; /* date formats */
    }
  }
  if (g->damage > 0 && rng_chance(r, g->damage / 10)) {
    /* Excel's scientific notation is by far the most common. */
    static const uint8_t code[10] = {
        R_ID_SCI,       R_ID_NOT_DIGITS, R_ID_EMPTY,       R_ID_TOO_SHORT,
        R_ID_TOO_LONG,  R_NAME_EMPTY,    R_STATUS_UNKNOWN, R_AMOUNT,
        R_SCHOOL_EMPTY, R_STATUS_EMPTY};
    static const uint8_t cum[10] = {50, 58, 66, 70, 74, 80, 86, 92, 97, 100};
    uint32_t x = rng_below(r, 100), k = 0;
    while (x >= cum[k])
      k++;
    sp->iddamage = DMG_NONE;
    sp->idform = IDF_18;
    sp->cosmetic = 0;
    sp->reject = code[k];
  }
}

static void planted_spec(rowctx *c, rowspec *sp, const prec *x)
{
  gen *g = c->g;
  rng *r = &c->r;
  memset(sp, 0, sizeof(*sp));
  sp->id17 = x->id17;
  sp->idform = x->idform;
  sp->chk = x->chk;
  sp->iddamage = x->iddamage;
  sp->adult = x->adult;
  sp->s = &g->schools[x->school];
  sp->status = x->status;
  sp->grant2 = x->grant2;
  sp->waiver2 = x->waiver2;
  sp->reject = x->reject;
  sp->namevar = x->namevar;
  sp->latin = x->latin;
  name_of(g, x, &sp->np);
  if (!x->reject && rng_pm(r, 100))
    sp->cosmetic = 2 + (int)rng_below(r, 4); /* amounts, status, code, date */
}

/* FNV-1a over the bytes, then mixed with seed. */
static uint64_t hash_bytes(const char *s, size_t n, uint64_t seed)
{
  uint64_t h = 0xCBF29CE484222325ULL;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001B3ULL;
  return mix64(h ^ mix64(seed + 0x9E3779B97F4A7C15ULL));
}

/* Notes an accepted row for the natural namesakes: its plain name, the
 * person's birth date and sex, who the person is and where the row is. */
static void note_namesake(gen *g, const rowspec *sp, int ro, uint32_t line,
                          uint64_t pid, uint32_t group, int ordinary_han)
{
  char name[160];
  size_t n = (size_t)(render_name(name, &sp->np, NV_NONE, sp->latin) - name);
  nsent *e;
  if (g->nns == g->capns) {
    g->capns = g->capns ? g->capns * 2 : 1u << 16;
    g->ns = realloc(g->ns, sizeof(nsent) * g->capns);
    if (!g->ns)
      die("out of memory", NULL);
  }
  e = &g->ns[g->nns++];
  e->key = hash_bytes(name, n, pid / 1000 % 100000000 * 2 + (pid & 1));
  e->pid = pid;
  e->line = line;
  e->meta = (uint32_t)ro << 31 | (uint32_t)(ordinary_han != 0) << 30 |
            (group & NS_NOGROUP);
}

/* ---- the policy truth: docs/RULES.md "Policy findings" on every row ---- */

typedef struct polhit {
  char key[80]; /* type, reason, cleaned ID, roster, school: a finding */
  const char *type, *reason;
  int valid;
  int64_t amount2; /* half yuan */
  uint8_t roster;
  uint32_t line;
} polhit;

/* SPEC 2.1 on a cleaned 18-character key: a province, a real birth date
 * not after the period, and the check character. */
static int key_valid(const gen *g, const char *k, int len)
{
  static const int prov[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                             35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                             53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};
  int pv, y, m, d, ok = 0;
  uint64_t id17 = 0;
  if (len != 18)
    return 0;
  for (int i = 0; i < 17; i++) {
    if (k[i] < '0' || k[i] > '9')
      return 0;
    id17 = id17 * 10 + (uint64_t)(k[i] - '0');
  }
  pv = (k[0] - '0') * 10 + (k[1] - '0');
  for (size_t i = 0; i < sizeof(prov) / sizeof(*prov); i++)
    ok |= prov[i] == pv;
  y = (int)(id17 / 1000 / 10000 % 10000);
  m = (int)(id17 / 1000 / 100 % 100);
  d = (int)(id17 / 1000 % 100);
  if (!ok || !cc_date_valid(y, m, d) ||
      cc_date_from_ymd(y, m, d) > cc_date_from_ymd(g->py, g->pm, 1))
    return 0;
  return k[17] == id_check(id17);
}

static void pol_add(gen *g, const char *key, const char *type,
                    const char *reason, int valid, int64_t amount2, int ro,
                    uint32_t line, const school *s)
{
  polhit *h;
  if (g->npol == g->cappol) {
    g->cappol = g->cappol ? g->cappol * 2 : 1u << 12;
    g->pol = realloc(g->pol, sizeof(polhit) * g->cappol);
    if (!g->pol)
      die("out of memory", NULL);
  }
  h = &g->pol[g->npol++];
  snprintf(h->key, sizeof(h->key), "%s %s %s %d %.*s", type, reason, key, ro,
           (int)s->code_len, s->code);
  h->type = type;
  h->reason = reason;
  h->valid = valid;
  h->amount2 = amount2;
  h->roster = (uint8_t)ro;
  h->line = line;
}

/* The rules of SPEC 3.2 (defaults) on one accepted row, from what it says:
 * its money, 学习形式, year of study, 入学日期 (September of eyear) + 学制,
 * and the birth date of its ID when valid. */
static void policy_truth(gen *g, const rowspec *sp, const row *rw, int ro,
                         uint32_t line)
{
  const polrow *pr = &rw->pol;
  char key[24];
  int len = id_key(key, sp->id17, sp->idform, sp->chk), valid;
  int64_t gr = sp->grant2 > 0 ? sp->grant2 : 0,
          wv = sp->waiver2 > 0 ? sp->waiver2 : 0;
  if (gr == 0 && wv == 0)
    return;
  valid = key_valid(g, key, len);
  if (pr->part) {
    if (gr)
      pol_add(g, key, "ineligible_grant", "part_time", valid, gr, ro, line,
              sp->s);
    if (wv)
      pol_add(g, key, "ineligible_waiver", "part_time", valid, wv, ro, line,
              sp->s);
  }
  if (gr && pr->year >= 3)
    pol_add(g, key, "ineligible_grant", "third_year", valid, gr, ro, line,
            sp->s);
  /* The program ends in September of eyear + years (the day is 1-10); the
   * period begins on its 1st: beyond when that September is before the
   * period's month. */
  if (pr->eyear + pr->years < g->py ||
      (pr->eyear + pr->years == g->py && 9 < g->pm)) {
    if (gr)
      pol_add(g, key, "ineligible_grant", "beyond_program", valid, gr, ro, line,
              sp->s);
    if (wv)
      pol_add(g, key, "ineligible_waiver", "beyond_program", valid, wv, ro,
              line, sp->s);
  }
  if (valid && age_at_period(g, sp->id17) >= 30)
    pol_add(g, key, "subsidy_review", "over_age", valid, 0, ro, line, sp->s);
}

static int cmp_polhit(const void *a, const void *b)
{
  const polhit *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c)
    return c;
  if (x->roster != y->roster)
    return x->roster < y->roster ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line;
}

static void push_reject(gen *g, int ro, uint32_t line, int code)
{
  g->rej = xgrow(g->rej, &g->caprej, sizeof(rejrow), g->nrej + 1);
  g->rej[g->nrej].line = line;
  g->rej[g->nrej].roster = (uint8_t)ro;
  g->rej[g->nrej].code = (uint8_t)code;
  g->nrej++;
  g->rejects[ro]++;
}

static void write_roster(gen *g, int ro)
{
  char path[4096];
  rowctx c;
  row rw;
  rowspec sp;
  uint32_t n = g->n[ro], pi = 0, np = g->nplist[ro];
  uint64_t stu_base = g->stu_next + (ro == MOHRSS ? g->n[MOE] : 0);
  uint64_t adu_base = g->adu_next + (ro == MOHRSS ? g->n[MOE] : 0);
  uint32_t blank_mid = UINT32_MAX, trailing;
  const char *blank = ",,,,,,,,,,,,,";

  snprintf(path, sizeof(path), "%s/%s.csv", g->out, ROSTER_LABEL[ro]);
  memset(&c, 0, sizeof(c));
  c.g = g;
  c.ro = ro;
  rng_init(&c.r, g->seed, 10 + (uint64_t)ro);
  c.eol = g->crlf ? "\r\n" : "\n";
  c.eol_len = strlen(c.eol);
  w_open(&c.w, path, g->gb[ro]);
  if (g->bom && !g->gb[ro])
    w_raw(&c.w, "\xEF\xBB\xBF", 3);
  for (int i = 0; i < NCOL; i++) {
    const char *h = COL_NAMES[COL_ORDER[ro][i]];
    if (i)
      w_raw(&c.w, ",", 1);
    w_raw(&c.w, h, strlen(h));
  }
  w_raw(&c.w, c.eol, c.eol_len);
  c.line = 2;
  if (g->damage > 0 && n >= 10)
    blank_mid = rng_below(&c.r, n);
  trailing = 1 + rng_below(&c.r, 4);

  for (uint32_t slot = 0; slot < n; slot++) {
    const prec *x = NULL;
    if (slot == blank_mid) { /* an empty row in the middle: skipped */
      if (c.w.len + WBUF_SLACK > c.w.cap)
        w_flush(&c.w);
      w_raw(&c.w, blank, strlen(blank));
      w_raw(&c.w, c.eol, c.eol_len);
      c.line++;
    }
    if (pi < np && rng_below(&c.r, n - slot) < np - pi) {
      prec *px = &g->recs[g->plist[ro][pi++]];
      px->line = c.line;
      x = px;
      planted_spec(&c, &sp, x);
    } else {
      /* The slot's own index in each domain: disjoint from every other. */
      ordinary_spec(&c, &sp, stu_base + slot, adu_base + slot);
    }
    build_row(&c, &sp, &rw);
    if (!sp.reject)
      policy_truth(g, &sp, &rw, ro, c.line);
    if (sp.reject) {
      push_reject(g, ro, c.line, sp.reject);
    } else if (g->fuzzy > 0) { /* the natural namesakes' truth */
      int han = !x && !sp.adult && sp.np.kind == NK_HAN;
      note_namesake(g, &sp, ro, c.line, x ? x->true17 : sp.id17,
                    x ? x->group : NS_NOGROUP, han);
      g->stu_rows_han += (uint64_t)han;
    }
    c.line += 1 + (uint32_t)emit_row(&c, &rw);
    c.rowno++;
  }
  for (uint32_t i = 0; i < trailing; i++) { /* Excel's trailing empty rows */
    w_raw(&c.w, blank, strlen(blank));
    w_raw(&c.w, c.eol, c.eol_len);
    c.line++;
  }
  w_close(&c.w);
  g->lines[ro] = c.line - 1;
  g->bytes[ro] = c.w.bytes;
}

/* ---- the truth: docs/RULES.md applied to the planted groups ---- */

typedef struct lines {
  char *buf; /* NUL-separated lines */
  uint32_t len, cap;
  uint32_t *off; /* start of each line */
  uint32_t n, capn;
} lines;

static void lines_add(lines *v, const char *s, size_t n)
{
  v->buf = xgrow(v->buf, &v->cap, 1, v->len + (uint32_t)n + 1);
  v->off = xgrow(v->off, &v->capn, sizeof(uint32_t), v->n + 1);
  v->off[v->n++] = v->len;
  memcpy(v->buf + v->len, s, n);
  v->len += (uint32_t)n;
  v->buf[v->len++] = '\0';
}

static int cmp_cstr(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes the lines sorted bytewise (strcmp compares unsigned bytes). */
static void lines_write_sorted(lines *v, const char *dir, const char *file)
{
  char path[4096];
  FILE *fp;
  const char **ptr = xmalloc(sizeof(char *) * (v->n + 1));
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  for (uint32_t i = 0; i < v->n; i++)
    ptr[i] = v->buf + v->off[i];
  qsort(ptr, v->n, sizeof(char *), cmp_cstr);
  fp = fopen(path, "wb");
  if (!fp)
    die(strerror(errno), path);
  for (uint32_t i = 0; i < v->n; i++)
    if (fputs(ptr[i], fp) == EOF || fputc('\n', fp) == EOF)
      die(strerror(errno), path);
  if (fclose(fp) != 0)
    die(strerror(errno), path);
  free(ptr);
}

static int cmp_member(const void *a, const void *b)
{
  const prec *x = *(const prec *const *)a, *y = *(const prec *const *)b;
  if (x->roster != y->roster)
    return x->roster < y->roster ? -1 : 1; /* "moe" < "mohrss" bytewise */
  return x->line < y->line ? -1 : x->line > y->line;
}

/* <type> <scope> <valid|invalid> <amount_at_risk> <roster>:<line>,... */
static void finding(gen *g, lines *out, const char *type, int valid,
                    int64_t amount2, const prec **m, int n, int always_within)
{
  char buf[1024], *p = buf;
  int cross = 0;
  qsort(m, (size_t)n, sizeof(*m), cmp_member);
  for (int i = 1; i < n; i++)
    if (m[i]->roster != m[0]->roster)
      cross = 1;
  p = cat(cat(p, type), " ");
  p = cat(p, cross && !always_within ? "cross " : "within ");
  p = cat(p, valid ? "valid " : "invalid ");
  p = cat(cat_amount_proj(p, amount2), " ");
  for (int i = 0; i < n; i++) {
    if (i)
      *p++ = ',';
    p = cat(cat(p, ROSTER_LABEL[m[i]->roster]), ":");
    p = cat_uint(p, m[i]->line);
  }
  lines_add(out, buf, (size_t)(p - buf));
  g->nfindings++;
}

/* Money findings: members with an amount above zero, at risk sum - max. */
static void money_finding(gen *g, lines *out, const char *type, int valid,
                          const prec **R, int nr, int waiver)
{
  const prec *m[16];
  int n = 0;
  int64_t sum = 0, max = 0;
  for (int i = 0; i < nr; i++) {
    int32_t v = waiver ? R[i]->waiver2 : R[i]->grant2;
    if (v <= 0)
      continue;
    m[n++] = R[i];
    sum += v;
    if (v > max)
      max = v;
  }
  if (n >= 2)
    finding(g, out, type, valid, sum - max, m, n, 0);
}

static void build_truth(gen *g, lines *fnd, lines *rej)
{
  for (uint32_t gi = 0; gi < g->ngroups; gi++) {
    const pgroup *gr = &g->groups[gi];
    const prec *R[16], *H[16], *m[16];
    int nr = 0, nh = 0, valid = 1, nschools = 0, names = 0;
    uint32_t schools[16];
    char plain[17][160];
    assert(gr->count <= 16); /* scenarios plant at most three rows */
    if (gr->kind >= K_COUNT)
      continue; /* fuzzy: one record per cleaned ID, no exact finding */
    for (uint32_t i = gr->first; i < gr->first + gr->count; i++) {
      const prec *x = &g->recs[i];
      if (x->reject)
        continue; /* rejected rows never reach the findings */
      R[nr++] = x;
      if (status_holds(x->status))
        H[nh++] = x;
    }
    if (!nr)
      continue;
    valid = R[0]->idform == IDF_18 || R[0]->idform == IDF_15;
    /* duplicate_record: a school (roster, code) twice among H */
    for (int i = 0; i < nh; i++) {
      int seen = 0, n = 0;
      for (int j = 0; j < nschools; j++)
        if (schools[j] == H[i]->school)
          seen = 1;
      if (seen)
        continue;
      schools[nschools++] = H[i]->school;
      for (int j = i; j < nh; j++)
        if (H[j]->school == H[i]->school)
          m[n++] = H[j];
      if (n >= 2)
        finding(g, fnd, "duplicate_record", valid, 0, m, n, 1);
    }
    /* dual_enrollment: H covers two or more schools */
    if (nschools >= 2) {
      for (int i = 0; i < nh; i++)
        m[i] = H[i];
      finding(g, fnd, "dual_enrollment", valid, 0, m, nh, 0);
    }
    money_finding(g, fnd, "double_grant", valid, R, nr, 0);
    money_finding(g, fnd, "double_waiver", valid, R, nr, 1);
    /* id_conflict: two or more names that differ after folding. Compare
     * the names' plain spellings, not their seeds: two seeds can draw the
     * same name (两个"李泽"), and then there is no conflict. */
    for (int i = 0; i < nr; i++) {
      nameparts np;
      int seen = 0;
      name_of(g, R[i], &np);
      *render_name(plain[names], &np, NV_NONE, R[i]->latin) = '\0';
      for (int j = 0; j < names; j++)
        if (strcmp(plain[j], plain[names]) == 0)
          seen = 1;
      if (!seen)
        names++;
    }
    if (names >= 2) {
      for (int i = 0; i < nr; i++)
        m[i] = R[i];
      finding(g, fnd, "id_conflict", valid, 0, m, nr, 0);
    }
  }
  for (uint32_t i = 0; i < g->nrej; i++) {
    char buf[64], *p = buf;
    p = cat(cat(p, ROSTER_LABEL[g->rej[i].roster]), ":");
    p = cat(cat(cat_uint(p, g->rej[i].line), " "), REJECT_CODE[g->rej[i].code]);
    lines_add(rej, buf, (size_t)(p - buf));
  }
}

/* <type> <reason> <valid|invalid> <amount_at_risk> <roster>:<line>,...:
 * one finding per (type, reason, cleaned ID, school), so one person twice
 * at one school against one rule is one finding of two members. */
static void build_policy_truth(gen *g, lines *out)
{
  qsort(g->pol, g->npol, sizeof(polhit), cmp_polhit);
  for (uint32_t i = 0; i < g->npol;) {
    uint32_t j = i;
    int64_t amount = 0;
    char buf[1024], *p = buf;
    while (j < g->npol && strcmp(g->pol[j].key, g->pol[i].key) == 0)
      amount += g->pol[j++].amount2;
    p = cat(cat(cat(cat(p, g->pol[i].type), " "), g->pol[i].reason), " ");
    p = cat(p, g->pol[i].valid ? "valid " : "invalid ");
    p = cat(cat_amount_proj(p, amount), " ");
    for (uint32_t k = i; k < j && p < buf + sizeof(buf) - 32; k++) {
      if (k > i)
        *p++ = ',';
      p = cat(cat(p, ROSTER_LABEL[g->pol[k].roster]), ":");
      p = cat_uint(p, g->pol[k].line);
    }
    lines_add(out, buf, (size_t)(p - buf));
    i = j;
  }
}

/* The name of a fuzzy group's kind, as the truth files give it. */
static char *cat_fuzzy_kind(char *p, const pgroup *gr)
{
  int fk = gr->kind - K_COUNT;
  if (fk == FK_SAME_SCHOOL)
    p = cat(cat(p, "same_school_"), FKINDS[gr->dmg].name);
  else
    p = cat(p, FKINDS[fk].name);
  if (fk == FK_NEG_TWINS)
    return cat(p, TWIN_SUFFIX[gr->sub ? 1 : 0]);
  if (FKINDS[fk].nvar == FV_COUNT)
    p = cat(p, FV_SUFFIX[gr->sub]);
  return p;
}

/* <kind> <roster>:<line> <roster>:<line>, members ordered like a
 * finding's. */
static void pair_line(lines *out, const char *kind, const prec *x,
                      const prec *y)
{
  const prec *m[2] = {x, y};
  char buf[256], *p = buf;
  qsort(m, 2, sizeof(*m), cmp_member);
  p = cat(p, kind);
  for (int i = 0; i < 2; i++) {
    p = cat(cat(cat(p, " "), ROSTER_LABEL[m[i]->roster]), ":");
    p = cat_uint(p, m[i]->line);
  }
  lines_add(out, buf, (size_t)(p - buf));
}

/* The fuzzy tier's truth: true links, pairs for review and hard negatives
 * apart, and the findings docs/RULES.md gives a linked pair (both holding
 * an enrollment: duplicate_record at one school, dual_enrollment at two;
 * both paid: double_grant, double_waiver). */
static void build_fuzzy_truth(gen *g, lines *links, lines *review, lines *negs,
                              lines *ffind)
{
  for (uint32_t gi = 0; gi < g->ngroups; gi++) {
    const pgroup *gr = &g->groups[gi];
    const prec *x, *y;
    char kind[96];
    int fk;
    if (gr->kind < K_COUNT)
      continue;
    fk = gr->kind - K_COUNT;
    x = &g->recs[gr->first];
    y = x + 1;
    *cat_fuzzy_kind(kind, gr) = '\0';
    g->fgroups[fk][gr->sub]++;
    if (fk == FK_REV_AMBIGUOUS) {
      assert(gr->count == 3);
      pair_line(review, "ambiguous_typo_own", x, y);
      pair_line(review, "ambiguous_typo_namesake", y, x + 2);
      pair_line(negs, "ambiguous_typo_namesakes", x, x + 2);
      continue;
    }
    assert(gr->count == 2);
    if (FKINDS[fk].type == FT_NEG) {
      pair_line(negs, kind, x, y);
      continue;
    }
    if (FKINDS[fk].type == FT_REVIEW) {
      pair_line(review, kind, x, y);
      continue;
    }
    pair_line(links, kind, x, y);
    if (status_holds(x->status) && status_holds(y->status))
      pair_line(ffind,
                x->school == y->school ? "duplicate_record" : "dual_enrollment",
                x, y);
    if (x->grant2 > 0 && y->grant2 > 0)
      pair_line(ffind, "double_grant", x, y);
    if (x->waiver2 > 0 && y->waiver2 > 0)
      pair_line(ffind, "double_waiver", x, y);
  }
}

static int cmp_nsent(const void *a, const void *b)
{
  const nsent *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  if ((x->meta >> 31) != (y->meta >> 31))
    return (x->meta >> 31) < (y->meta >> 31) ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line;
}

/* Natural namesakes: every two accepted rows of different people with the
 * same plain name, birth date and sex (as the people are, not as typed),
 * unless both are of one planted group (whose pairs are planted truth).
 * Written to negs as natural_namesake or natural_namesake_same_county;
 * *han_pairs counts those between two ordinary Han students (what the
 * density estimate predicts). */
static uint64_t natural_namesakes(gen *g, lines *negs, uint64_t *han_pairs,
                                  uint64_t *same_county)
{
  uint64_t n = 0;
  *han_pairs = 0;
  *same_county = 0;
  qsort(g->ns, g->nns, sizeof(nsent), cmp_nsent);
  for (uint64_t i = 0; i < g->nns;) {
    uint64_t j = i + 1;
    while (j < g->nns && g->ns[j].key == g->ns[i].key)
      j++;
    for (uint64_t a = i; a < j; a++)
      for (uint64_t b = a + 1; b < j; b++) {
        const nsent *x = &g->ns[a], *y = &g->ns[b];
        uint32_t gx = x->meta & NS_NOGROUP, gy = y->meta & NS_NOGROUP;
        int same = x->pid / 100000000000ULL == y->pid / 100000000000ULL;
        char buf[128], *p = buf;
        if (x->pid == y->pid || (gx != NS_NOGROUP && gx == gy))
          continue;
        p = cat(p,
                same ? "natural_namesake_same_county " : "natural_namesake ");
        p = cat(cat(p, ROSTER_LABEL[x->meta >> 31]), ":");
        p = cat(cat(cat_uint(p, x->line), " "), ROSTER_LABEL[y->meta >> 31]);
        p = cat_uint(cat(p, ":"), y->line);
        lines_add(negs, buf, (size_t)(p - buf));
        n++;
        *same_county += (uint64_t)same;
        if ((x->meta >> 30 & 1) && (y->meta >> 30 & 1))
          (*han_pairs)++;
      }
    i = j;
  }
  return n;
}

/* DIR/planted.txt (--explain): what was planted where, for a reader. */
static void write_explain(gen *g)
{
  char path[4096];
  FILE *fp;
  snprintf(path, sizeof(path), "%s/planted.txt", g->out);
  fp = fopen(path, "wb");
  if (!fp)
    die(strerror(errno), path);
  for (uint32_t gi = 0; gi < g->ngroups; gi++) {
    const pgroup *gr = &g->groups[gi];
    if (gr->kind >= K_COUNT) {
      char kind[96];
      *cat_fuzzy_kind(kind, gr) = '\0';
      fprintf(fp, "group %u fuzzy:%s pos=%u\n", gi, kind, gr->pos);
    } else
      fprintf(fp, "group %u %s/%u\n", gi, KINDS[gr->kind].name, gr->sub);
    for (uint32_t i = gr->first; i < gr->first + gr->count; i++) {
      const prec *x = &g->recs[i];
      char key[20], name[160];
      nameparts np;
      static const char *const form[5] = {"id18", "id15", "bad_check", "id17",
                                          "typed_check"};
      id_key(key, x->id17, x->idform == IDF_15 ? IDF_18 : x->idform, x->chk);
      name_of(g, x, &np);
      *render_name(name, &np, x->namevar, x->latin) = '\0';
      fprintf(fp,
              "  %s:%u key=%s %s dmg=%s name=\"%s\" nv=%u school=%s "
              "status=%s grant=%g waiver=%g%s%s\n",
              ROSTER_LABEL[x->roster], x->line, key, form[x->idform],
              DMG_NAME[x->iddamage], name, x->namevar,
              g->schools[x->school].code, STATUS_ZH[x->status], x->grant2 / 2.0,
              x->waiver2 / 2.0, x->reject ? " REJECT=" : "",
              REJECT_CODE[x->reject]);
    }
  }
  if (fclose(fp) != 0)
    die(strerror(errno), path);
}

static void gen_dispose(gen *g)
{
  iddomain *d[2] = {&g->stu, &g->adu};
  for (int i = 0; i < 2; i++) {
    free(d[i]->ymd);
    free(d[i]->reg);
    free(d[i]->code);
    free(d[i]->by_code);
    free(d[i]->pre);
  }
  free(g->cty);
  free(g->plain_cty);
  free(g->ns);
  for (int ro = 0; ro < NROSTER; ro++) {
    free(g->by_prov[ro]);
    free(g->plist[ro]);
  }
  free(g->schools);
  free(g->twins);
  free(g->recs);
  free(g->groups);
  free(g->rej);
  free(g->made);
}

/* ---- command line ---- */

static void usage(FILE *fp)
{
  fputs(
      "usage: gen_roster --out DIR [options]\n"
      "Writes DIR/moe.csv, DIR/mohrss.csv, DIR/expected_findings.txt and\n"
      "DIR/expected_rejects.txt (docs/RULES.md projection). Deterministic.\n"
      "  --out DIR            output folder (created if missing)\n"
      "  --seed N             PRNG seed (default 1)\n"
      "  --moe N              MOE data rows (default 13000; k/M suffixes)\n"
      "  --mohrss N           MOHRSS data rows (default 4500)\n"
      "  --period YYYY-MM     the extract's month (default 2026-11)\n"
      "  --encoding E         utf8 or gb18030, for both files (default utf8)\n"
      "  --gb18030 LABEL      write roster LABEL (moe, mohrss) in GB18030\n"
      "  --plant RATE         share of persons in planted scenarios (0.02)\n"
      "  --damage RATE        share of rows with Excel/typist damage (0.01)\n"
      "  --fuzzy RATE         share of persons in fuzzy-tier scenarios: ID\n"
      "                       typos and look-alike people (default 0, off);\n"
      "                       truth in DIR/expected_links.txt,\n"
      "                       expected_review.txt, expected_negatives.txt "
      "(with\n"
      "                       every natural namesake pair) and\n"
      "                       expected_fuzzy_findings.txt; density on stderr\n"
      "  --policy RATE       share of rows planted against a subsidy rule or "
      "as\n"
      "                       a look-alike (default 0.003); truth of every "
      "row\n"
      "                       in DIR/expected_policy.txt (SPEC 3.2)\n"
      "  --crlf               CRLF line ends\n"
      "  --bom                UTF-8 byte order mark\n"
      "  --explain            also write DIR/planted.txt\n",
      fp);
}

static uint32_t parse_count(const char *s, const char *opt)
{
  char *end;
  double v;
  errno = 0;
  v = strtod(s, &end);
  if (end == s || errno)
    bad_arg("not a number", opt);
  if (*end == 'k' || *end == 'K')
    v *= 1e3, end++;
  else if (*end == 'm' || *end == 'M')
    v *= 1e6, end++;
  if (*end || v < 0 || v > 4e9)
    bad_arg("not a row count", opt);
  return (uint32_t)(v + 0.5);
}

static double parse_rate(const char *s, const char *opt)
{
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || !(v >= 0 && v <= 1))
    bad_arg("not a rate between 0 and 1", opt);
  return v;
}

static int roster_of(const char *label)
{
  for (int ro = 0; ro < NROSTER; ro++)
    if (strcmp(label, ROSTER_LABEL[ro]) == 0)
      return ro;
  bad_arg("unknown roster label (moe, mohrss)", label);
  return -1;
}

int main(int argc, char **argv)
{
  static gen G;
  gen *g = &G;
  lines fnd = {0}, rej = {0}, lnk = {0}, neg = {0}, rev = {0}, ffd = {0},
        pol = {0};
  uint64_t natural = 0, han_pairs = 0, same_county = 0;
  int enc_gb = 0, gb_label[NROSTER] = {0, 0};
  const char *period = "2026-11";
  char extra = 0;

  g->seed = 1;
  g->n[MOE] = 13000;
  g->n[MOHRSS] = 4500;
  g->plant = 0.02;
  g->damage = 0.01;
  g->policy = 0.003;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                                \
  do {                                                                         \
    if (!v)                                                                    \
      bad_arg("missing value", a);                                             \
    i++;                                                                       \
  } while (0)
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--out")) {
      NEEDV();
      g->out = v;
    } else if (!strcmp(a, "--seed")) {
      char *end;
      NEEDV();
      errno = 0;
      g->seed = strtoull(v, &end, 0);
      if (end == v || *end || errno)
        bad_arg("not a seed", v);
    } else if (!strcmp(a, "--moe")) {
      NEEDV();
      g->n[MOE] = parse_count(v, a);
    } else if (!strcmp(a, "--mohrss")) {
      NEEDV();
      g->n[MOHRSS] = parse_count(v, a);
    } else if (!strcmp(a, "--period")) {
      NEEDV();
      period = v;
    } else if (!strcmp(a, "--encoding")) {
      NEEDV();
      if (!strcmp(v, "utf8") || !strcmp(v, "utf-8"))
        enc_gb = 0;
      else if (!strcmp(v, "gb18030"))
        enc_gb = 1;
      else
        bad_arg("unknown encoding (utf8, gb18030)", v);
    } else if (!strcmp(a, "--gb18030")) {
      NEEDV();
      gb_label[roster_of(v)] = 1;
    } else if (!strcmp(a, "--plant")) {
      NEEDV();
      g->plant = parse_rate(v, a);
    } else if (!strcmp(a, "--damage")) {
      NEEDV();
      g->damage = parse_rate(v, a);
    } else if (!strcmp(a, "--fuzzy")) {
      NEEDV();
      g->fuzzy = parse_rate(v, a);
    } else if (!strcmp(a, "--policy")) {
      NEEDV();
      g->policy = parse_rate(v, a);
    } else if (!strcmp(a, "--crlf")) {
      g->crlf = 1;
    } else if (!strcmp(a, "--bom")) {
      g->bom = 1;
    } else if (!strcmp(a, "--explain")) {
      g->explain = 1;
    } else {
      bad_arg("unknown argument", a);
    }
#undef NEEDV
  }
  if (!g->out) {
    usage(stderr);
    return 2;
  }
  if (sscanf(period, "%4d-%2d%c", &g->py, &g->pm, &extra) != 2 ||
      strlen(period) != 7 || g->py < 2000 || g->py > 2099 || g->pm < 1 ||
      g->pm > 12)
    bad_arg("period must be YYYY-MM between 2000-01 and 2099-12", period);
  for (int ro = 0; ro < NROSTER; ro++)
    g->gb[ro] = enc_gb || gb_label[ro];
  if (mkdir(g->out, 0777) != 0 && errno != EEXIST)
    die(strerror(errno), g->out);

  /* 1. tables */
  {
    rng r;
    cc_date stu_lo, stu_hi, adu_lo, adu_hi;
    for (size_t i = 0; i < NREGIONS; i++)
      g->region_prov[i] = (int8_t)prov_index(GEN_REGIONS[i].code / 10000);
    build_surnames(g);
    /* students aged 15-20 on the first day of the period */
    stu_lo = cc_date_from_ymd(g->py - 21, g->pm, 1) + 1;
    stu_hi = cc_date_from_ymd(g->py - 15, g->pm, 1);
    /* adults born 1970-1999, never overlapping the students */
    adu_lo = cc_date_from_ymd(1970, 1, 1);
    adu_hi = cc_date_from_ymd(1999, 12, 31);
    if (adu_hi >= stu_lo)
      adu_hi = stu_lo - 1;
    build_counties(g);
    build_names(g);
    domain_build(g, &g->stu, stu_lo, stu_hi, 0,
                 mix64(g->seed ^ 0x5354550000000001ULL));
    domain_build(g, &g->adu, adu_lo, adu_hi, 1,
                 mix64(g->seed ^ 0x4144550000000002ULL));
    g->stu_hi_ymd = g->stu.ymd[g->stu.ndays - 1];
    rng_init(&r, g->seed, 1);
    build_schools(g, &r);
  }
  /* 2. the plan */
  build_plan(g);
  if (g->stu_next + (uint64_t)g->n[MOE] + g->n[MOHRSS] > g->stu.size ||
      g->adu_next + (uint64_t)g->n[MOE] + g->n[MOHRSS] > g->adu.size)
    die("more rows than distinct IDs in the domain", NULL);
  /* 3. the rosters */
  for (int ro = 0; ro < NROSTER; ro++)
    write_roster(g, ro);
  /* 4. the truth */
  build_truth(g, &fnd, &rej);
  lines_write_sorted(&fnd, g->out, "expected_findings.txt");
  lines_write_sorted(&rej, g->out, "expected_rejects.txt");
  build_policy_truth(g, &pol);
  lines_write_sorted(&pol, g->out, "expected_policy.txt");
  build_fuzzy_truth(g, &lnk, &rev, &neg, &ffd);
  if (g->fuzzy > 0)
    natural = natural_namesakes(g, &neg, &han_pairs, &same_county);
  lines_write_sorted(&lnk, g->out, "expected_links.txt");
  lines_write_sorted(&rev, g->out, "expected_review.txt");
  lines_write_sorted(&neg, g->out, "expected_negatives.txt");
  lines_write_sorted(&ffd, g->out, "expected_fuzzy_findings.txt");
  if (g->explain)
    write_explain(g);
  free(fnd.buf);
  free(fnd.off);
  free(pol.buf);
  free(pol.off);
  free(g->pol);
  free(rej.buf);
  free(rej.off);
  free(lnk.buf);
  free(lnk.off);
  free(neg.buf);
  free(neg.off);
  free(rev.buf);
  free(rev.off);
  free(ffd.buf);
  free(ffd.off);

  printf("gen_roster: seed %llu, period %04d-%02d: moe %u rows (%s, %u lines, "
         "%.1f MB), mohrss %u rows (%s, %u lines, %.1f MB); %u planted persons "
         "in %u groups (%u rows); %u expected findings, %u expected rejects "
         "-> %s\n",
         (unsigned long long)g->seed, g->py, g->pm, g->n[MOE],
         g->gb[MOE] ? "gb18030" : "utf8", g->lines[MOE], g->bytes[MOE] / 1e6,
         g->n[MOHRSS], g->gb[MOHRSS] ? "gb18030" : "utf8", g->lines[MOHRSS],
         g->bytes[MOHRSS] / 1e6, g->persons, g->ngroups, g->nrecs, g->nfindings,
         g->nrej, g->out);
  printf(
      "gen_roster: policy: %u findings in expected_policy.txt; rows planted:",
      pol.n);
  for (int k = 1; k < P_COUNT; k++)
    printf(" %s %u", P_NAME[k], g->polkind[k]);
  printf("\n");
  if (g->fuzzy > 0) {
    double d = g->stu.ndays, nh = (double)g->stu_rows_han;
    printf("gen_roster: fuzzy tier: %u true links, %u pairs for review, %u "
           "hard negatives (%llu natural namesakes):",
           lnk.n, rev.n, neg.n, (unsigned long long)natural);
    for (int fk = 0; fk < FK_COUNT; fk++)
      for (int v = 0; v < FV_COUNT; v++)
        if (g->fgroups[fk][v])
          printf(" %s%s %u", FKINDS[fk].name,
                 fk == FK_NEG_TWINS            ? TWIN_SUFFIX[v]
                 : FKINDS[fk].nvar == FV_COUNT ? FV_SUFFIX[v]
                                               : "",
                 g->fgroups[fk][v]);
    printf("\n");
    /* Han students drawn N_h, over D birth dates and two sexes: a cell
     * holds n = N_h / 2D on average, and sum C(n, 2) sum p^2 over the cells
     * is D (N_h / 2D)^2 (sum p^2 of men + sum p^2 of women) / 2. */
    fprintf(stderr,
            "gen_roster: density: %u counties, %llu student ID slots a day; "
            "Han full names sum p^2 men %.3g women %.3g; %llu ordinary Han "
            "students over %u birth dates: namesake pairs (name, birth date, "
            "sex) expected %.0f, found %llu; all natural namesake pairs %llu "
            "(%llu in one county)\n",
            g->ncty, (unsigned long long)g->stu.pre[g->stu.nreg], g->sum_p2[1],
            g->sum_p2[0], (unsigned long long)g->stu_rows_han, g->stu.ndays,
            d * (nh / (2 * d)) * (nh / (2 * d)) *
                (g->sum_p2[0] + g->sum_p2[1]) / 2,
            (unsigned long long)han_pairs, (unsigned long long)natural,
            (unsigned long long)same_county);
  }
  gen_dispose(g);
  return 0;
}
