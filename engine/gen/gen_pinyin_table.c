/*
 * gen_pinyin_table.c - builds the pinyin table of name_match.c (build time
 * only).
 *
 * Owns the truth behind cc_name_pinyin(): for every Han ideograph below
 * U+40000 (the BMP blocks U+3400-U+4DBF, U+4E00-U+9FFF, U+F900-U+FAFF, U+3007
 * and the supplementary blocks B to H, U+20000-U+323AF) it asks ICU's
 * "Han-Latin" transliterator for the reading of the one-character string,
 * strips the tones, and writes the answers as C arrays (pinyin_table.inc)
 * that name_match.c compiles in. The library never opens a transliterator.
 *
 * Tones are stripped here rather than by ICU's "Latin-ASCII", which folds ü
 * to u and so would make 吕 (lǚ) and 鲁 (lǔ), 女 (nǚ) and 努 (nǔ) homophones:
 * the reading is decomposed (NFD), tone marks are dropped, and u + U+0308
 * becomes "v", as pinyin input methods type it (吕 "lv", 略 "lve").
 *
 * Readings of a surname (the first character of a name) come from, in
 * order: the compound surnames below, the single surnames below, and ICU's
 * "Han-Latin/Names" transliterator on the character alone. The two lists
 * are facts from public sources (the 百家姓 and the surname entries of the
 * 现代汉语词典); where they disagree with ICU's Names rules the lists win,
 * and each such line says so.
 *
 * Usage: gen_pinyin_table OUT.inc  (deterministic for a given ICU version;
 * written to OUT.inc.tmp then renamed). Layout: see the comment written at
 * the top of the output.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <unicode/uversion.h>

/* Code points covered: everything below LIMIT (planes 0 to 3). */
#define LIMIT 0x40000u
/* Blocks of 1 << SHIFT code points; identical blocks are stored once. */
#ifndef SHIFT
#define SHIFT 6
#endif
#define BLK (1u << SHIFT)
#define NSTAGE1 (LIMIT >> SHIFT)

/* Entry bits; must match name_match.c. */
#define E_SURNAME 0x8000u /* the character has a surname reading or starts
                             a compound surname */
#define E_HAN 0x4000u     /* the character is a Han ideograph */
#define E_SYL 0x0FFFu     /* syllable index; 0 = no reading */

/* Longest syllable string kept (bytes, without NUL): one slot of 8 bytes
 * holds the string and, in its last byte, the length. */
#define SYL_MAX 7
#define MAX_SYLS 4096

static void die(const char *what)
{
  fprintf(stderr, "gen_pinyin_table: %s\n", what);
  exit(1);
}

/*
 * Single surnames whose reading differs from the character's usual one.
 * Toneless, 'v' for ü. Sources: the surname (姓) entries of the 现代汉语词典
 * and common public lists of 多音字姓氏.
 */
static const struct {
  const char *han; /* one character, UTF-8 */
  const char *syl; /* its reading as a surname */
} single_surnames[] = {
    {"曾", "zeng"},  {"单", "shan"},  {"仇", "qiu"},   {"查", "zha"},
    {"解", "xie"},   {"朴", "piao"},  /* ICU Names: pu (wrong: 朴 Piáo) */
    {"区", "ou"},    {"盖", "ge"},    {"乐", "yue"},
    {"缪", "miao"},  /* ICU Names: mou */
    {"翟", "zhai"},  {"覃", "qin"},   /* ICU Names: tan */
    {"黑", "he"},    /* ICU Names: hei */
    {"种", "chong"}, {"秘", "bi"},
    {"尉", "wei"},   /* ICU Names: yu, which is right only in 尉迟 (尉健行
                        is Wèi Jiànxíng) */
    {"繁", "po"},    {"召", "shao"},  {"员", "yun"},   {"折", "she"},
    {"句", "gou"},   /* ICU Names: ju */
    {"牟", "mou"},   /* ICU Names: mu, which is the place name 牟平 */
    {"莘", "shen"},  /* ICU Names: xin, which is the place name 莘庄 */
    {"蔚", "yu"},    /* ICU Names: wei */
    {"祭", "zhai"},  /* ICU Names: ji */
    {"能", "nai"},   /* ICU Names: neng */
    {"角", "jue"},   /* ICU Names: jiao */
    {"阚", "kan"},   /* ICU: han */
    {"佴", "nai"},   /* ICU Names: er */
    {"长", "chang"}, {"重", "chong"}, {"刀", "diao"},  {"卜", "bu"},
    {"过", "guo"},   {"纪", "ji"},    {"任", "ren"},   {"华", "hua"},
    {"沈", "shen"},  {"燕", "yan"},   {"粘", "nian"},  {"舍", "she"},
    {"冼", "xian"},  {"洗", "xian"},  {"柏", "bai"},   {"都", "du"},
    {"藏", "zang"},  {"隽", "juan"},  {"厍", "she"},   {"逄", "pang"},
};

/*
 * Compound surnames (the 百家姓's 复姓 and a few more), both characters
 * read as in the surname. Where a name starts with one of these, the pair
 * is read so even when it is really a single surname and a given name:
 * either way equal names give equal keys.
 */
static const struct {
  const char *han; /* two characters, UTF-8 */
  const char *syl; /* two syllables separated by one space */
} compound_surnames[] = {
    {"万俟", "mo qi"},     /* ICU Han-Latin: wan qi */
    {"尉迟", "yu chi"},    /* ICU Han-Latin: wei chi */
    {"长孙", "zhang sun"}, {"单于", "chan yu"}, /* ICU Names: shan yu */
    {"澹台", "tan tai"},   /* ICU Han-Latin: dan tai */
    {"令狐", "ling hu"},   {"乐正", "yue zheng"}, {"仉督", "zhang du"},
    {"子车", "zi ju"},     {"宰父", "zai fu"},    {"皇甫", "huang fu"},
    {"谷梁", "gu liang"},  {"拓跋", "tuo ba"},    {"羊舌", "yang she"},
    {"鲜于", "xian yu"},   {"段干", "duan gan"},  {"第五", "di wu"},
    {"欧阳", "ou yang"},   {"司马", "si ma"},     {"诸葛", "zhu ge"},
    {"上官", "shang guan"}, {"夏侯", "xia hou"},  {"慕容", "mu rong"},
    {"东方", "dong fang"}, {"公孙", "gong sun"},  {"宇文", "yu wen"},
    {"轩辕", "xuan yuan"}, {"闾丘", "lv qiu"},    {"漆雕", "qi diao"},
    {"亓官", "qi guan"},   {"呼延", "hu yan"},    {"钟离", "zhong li"},
    {"宗政", "zong zheng"}, {"濮阳", "pu yang"},  {"淳于", "chun yu"},
    {"太叔", "tai shu"},   {"申屠", "shen tu"},   {"公冶", "gong ye"},
    {"赫连", "he lian"},   {"闻人", "wen ren"},   {"西门", "xi men"},
    {"南宫", "nan gong"},  {"左丘", "zuo qiu"},   {"梁丘", "liang qiu"},
    {"百里", "bai li"},    {"东郭", "dong guo"},  {"壤驷", "rang si"},
    {"公良", "gong liang"}, {"巫马", "wu ma"},    {"公西", "gong xi"},
    {"公羊", "gong yang"}, {"颛孙", "zhuan sun"}, {"端木", "duan mu"},
    {"司徒", "si tu"},     {"司空", "si kong"},   {"独孤", "du gu"},
};

/* ------------------------------------------------------------------ */

static char syl_str[MAX_SYLS][SYL_MAX + 1]; /* index 0 unused: no reading */
static unsigned nsyl = 1;

static unsigned syl_index(const char *s)
{
  unsigned i;
  if (strlen(s) > SYL_MAX)
    die("reading longer than 7 bytes");
  for (i = 1; i < nsyl; i++)
    if (strcmp(syl_str[i], s) == 0)
      return i;
  if (nsyl == MAX_SYLS || nsyl > E_SYL)
    die("too many syllables");
  strcpy(syl_str[nsyl], s);
  return nsyl++;
}

static const UNormalizer2 *nfd;

/*
 * The toneless ASCII form of a transliteration: NFD, tone marks dropped,
 * u + U+0308 to "v", letters lower-cased, ICU's spaces between syllables
 * kept. Returns 0 (no reading) when anything else is left, e.g. when ICU
 * gave the character back unchanged.
 */
static int toneless(const UChar *s, int32_t n, char *out, size_t cap)
{
  UChar d[256];
  UErrorCode err = U_ZERO_ERROR;
  int32_t m = unorm2_normalize(nfd, s, n, d, 256, &err), i;
  size_t k = 0;
  if (U_FAILURE(err))
    die("NFD failed");
  for (i = 0; i < m; i++) {
    UChar32 c = d[i];
    if (c >= 'A' && c <= 'Z')
      c += 'a' - 'A';
    if (c == 0x0308) {
      if (k == 0 || out[k - 1] != 'u')
        return 0;
      out[k - 1] = 'v';
      continue;
    }
    if (u_getCombiningClass(c) != 0)
      continue; /* a tone mark */
    if (!((c >= 'a' && c <= 'z') || c == ' '))
      return 0;
    if (k + 1 >= cap)
      return 0;
    out[k++] = (char)c;
  }
  out[k] = '\0';
  return k > 0 && out[0] != ' ' && out[k - 1] != ' ';
}

/* The toneless reading of the string s by transliterator t; 0 if none. */
static int reading(UTransliterator *t, const UChar *s, int32_t n, char *out,
                   size_t cap)
{
  UChar buf[256];
  int32_t len = n, lim = n;
  UErrorCode err = U_ZERO_ERROR;
  memcpy(buf, s, sizeof *s * (size_t)n);
  utrans_transUChars(t, buf, &len, 256, 0, &lim, &err);
  if (U_FAILURE(err))
    die("transliteration failed");
  return toneless(buf, len, out, cap);
}

static int is_han(UChar32 c)
{
  UErrorCode err = U_ZERO_ERROR;
  return u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC) &&
         uscript_getScript(c, &err) == USCRIPT_HAN && U_SUCCESS(err);
}

static UChar32 first_cp(const char *u8, int32_t *i)
{
  UChar32 c;
  U8_NEXT(u8, *i, (int32_t)strlen(u8), c);
  if (c < 0)
    die("bad UTF-8 in a surname list");
  return c;
}

static uint16_t *entry; /* entry[c] for c < LIMIT */

typedef struct surname {
  uint32_t cp;  /* the character */
  unsigned syl; /* its reading as a surname */
} surname;
static surname sur[4096];
static unsigned nsur;

typedef struct compound {
  uint32_t cp[2];
  unsigned syl[2];
} compound;
static compound comp[256];
static unsigned ncomp;

static int cmp_surname(const void *a, const void *b)
{
  const surname *x = a, *y = b;
  return (x->cp > y->cp) - (x->cp < y->cp);
}

static int cmp_compound(const void *a, const void *b)
{
  const compound *x = a, *y = b;
  if (x->cp[0] != y->cp[0])
    return (x->cp[0] > y->cp[0]) - (x->cp[0] < y->cp[0]);
  return (x->cp[1] > y->cp[1]) - (x->cp[1] < y->cp[1]);
}

static long nhan, nread, nmulti, nsupp_read;

static void build(void)
{
  UErrorCode err = U_ZERO_ERROR;
  UTransliterator *hl, *names;
  UChar32 c;
  unsigned i;
  long names_diff = 0, names_overridden = 0;

  hl = utrans_openU(u"Han-Latin", -1, UTRANS_FORWARD, NULL, 0, NULL, &err);
  if (U_FAILURE(err))
    die("cannot open ICU's Han-Latin transliterator");
  names = utrans_openU(u"Han-Latin/Names", -1, UTRANS_FORWARD, NULL, 0, NULL,
                       &err);
  if (U_FAILURE(err))
    die("cannot open ICU's Han-Latin/Names transliterator");
  entry = calloc(LIMIT, sizeof *entry);
  if (entry == NULL)
    die("out of memory");

  /* Syllable 0 means "no reading"; index 1.. in order of first use by
   * code point, so the output is deterministic. */
  for (c = 0; c < (UChar32)LIMIT; c++) {
    UChar u[2];
    int32_t n = 0;
    char r[64], rn[64];
    if (!is_han(c))
      continue;
    nhan++;
    entry[c] = E_HAN;
    U16_APPEND_UNSAFE(u, n, c);
    if (reading(hl, u, n, r, sizeof r)) {
      if (strchr(r, ' ') != NULL)
        nmulti++; /* two syllables for one character (none in ICU 72) */
      entry[c] |= (uint16_t)syl_index(r);
      nread++;
      if (c >= 0x10000)
        nsupp_read++;
    }
    /* The Names reading of the character alone, i.e. at the start of a
     * name; kept where it differs from the plain one. */
    if (reading(names, u, n, rn, sizeof rn) &&
        ((entry[c] & E_SYL) == 0 ||
         strcmp(rn, syl_str[entry[c] & E_SYL]) != 0)) {
      if (nsur == sizeof sur / sizeof *sur)
        die("too many surname readings");
      sur[nsur].cp = (uint32_t)c;
      sur[nsur].syl = syl_index(rn);
      nsur++;
      names_diff++;
    }
  }
  /* The single-surname list wins over ICU's Names rules. */
  for (i = 0; i < sizeof single_surnames / sizeof *single_surnames; i++) {
    int32_t k = 0;
    UChar32 s = first_cp(single_surnames[i].han, &k);
    unsigned j, syl = syl_index(single_surnames[i].syl);
    if (single_surnames[i].han[k] != '\0' || !is_han(s))
      die("a single surname is not one Han character");
    for (j = 0; j < nsur && sur[j].cp != (uint32_t)s; j++)
      ;
    if (j < nsur && sur[j].syl != syl)
      names_overridden++;
    if (j == nsur) {
      if (nsur == sizeof sur / sizeof *sur)
        die("too many surname readings");
      nsur++;
    }
    sur[j].cp = (uint32_t)s;
    sur[j].syl = syl;
  }
  /* Drop entries equal to the plain reading (a listed surname that ICU
   * already reads right): they would only cost a search. */
  {
    unsigned k = 0;
    for (i = 0; i < nsur; i++)
      if (sur[i].syl != (entry[sur[i].cp] & E_SYL))
        sur[k++] = sur[i];
    nsur = k;
  }
  for (i = 0; i < nsur; i++)
    entry[sur[i].cp] |= E_SURNAME;
  qsort(sur, nsur, sizeof *sur, cmp_surname);

  for (i = 0; i < sizeof compound_surnames / sizeof *compound_surnames; i++) {
    const char *h = compound_surnames[i].han, *sp;
    char a[16];
    int32_t k = 0;
    compound *x = &comp[ncomp++];
    if (ncomp > sizeof comp / sizeof *comp)
      die("too many compound surnames");
    x->cp[0] = (uint32_t)first_cp(h, &k);
    x->cp[1] = (uint32_t)first_cp(h, &k);
    sp = strchr(compound_surnames[i].syl, ' ');
    if (h[k] != '\0' || sp == NULL ||
        (size_t)(sp - compound_surnames[i].syl) >= sizeof a)
      die("a compound surname is not two characters and two syllables");
    {
      size_t n1 = (size_t)(sp - compound_surnames[i].syl);
      memcpy(a, compound_surnames[i].syl, n1);
      a[n1] = '\0';
    }
    x->syl[0] = syl_index(a);
    x->syl[1] = syl_index(sp + 1);
    if (!is_han((UChar32)x->cp[0]) || !is_han((UChar32)x->cp[1]))
      die("a compound surname is not Han");
    entry[x->cp[0]] |= E_SURNAME;
  }
  qsort(comp, ncomp, sizeof *comp, cmp_compound);
  for (i = 1; i < ncomp; i++)
    if (cmp_compound(&comp[i - 1], &comp[i]) == 0)
      die("a compound surname is listed twice");

  fprintf(stderr,
          "gen_pinyin_table: %ld Han code points, %ld with a reading (%ld "
          "above the BMP, %ld of two syllables); %u syllables; %u surname "
          "readings (%ld from ICU Names, %ld of them overridden by the "
          "list), %u compound surnames\n",
          nhan, nread, nsupp_read, nmulti, nsyl - 1, nsur, names_diff,
          names_overridden, ncomp);
  utrans_close(hl);
  utrans_close(names);
}

static void emit(FILE *f)
{
  uint16_t *stage1 = malloc(sizeof *stage1 * NSTAGE1);
  uint16_t *blocks = malloc(sizeof *blocks * LIMIT);
  unsigned nblocks = 0, b, i, maxlen = 0;
  UVersionInfo uv;
  char uvs[U_MAX_VERSION_STRING_LENGTH];

  if (stage1 == NULL || blocks == NULL)
    die("out of memory");
  for (b = 0; b < NSTAGE1; b++) {
    const uint16_t *blk = entry + b * BLK;
    unsigned k;
    for (k = 0; k < nblocks; k++)
      if (memcmp(blocks + k * BLK, blk, BLK * sizeof *blk) == 0)
        break;
    if (k == nblocks) {
      memcpy(blocks + k * BLK, blk, BLK * sizeof *blk);
      nblocks++;
    }
    if (k > UINT16_MAX)
      die("too many blocks");
    stage1[b] = (uint16_t)k;
  }
  for (i = 1; i < nsyl; i++)
    if (strlen(syl_str[i]) > maxlen)
      maxlen = (unsigned)strlen(syl_str[i]);

  u_getUnicodeVersion(uv);
  u_versionToString(uv, uvs);
  fprintf(f,
          "/* pinyin_table.inc - GENERATED by engine/gen/gen_pinyin_table.c;"
          " do not edit.\n"
          " * Source: ICU %s (Unicode %s) transliterators Han-Latin (every\n"
          " * character) and Han-Latin/Names (surnames), tones stripped, ü "
          "as v;\n"
          " * the surname lists of the generator.\n"
          " *\n"
          " * Entry (uint16) for c < 0x%X:\n"
          " *   pinyin_stage2[pinyin_stage1[c >> %u] * %u + (c & %u)]\n"
          " * bits 0-11: index into pinyin_syl, 0 = no reading; bit 14: c is"
          " a\n"
          " * Han ideograph (Ideographic and script Han); bit 15: c has a\n"
          " * surname reading (pinyin_surname_*) or starts a compound "
          "surname\n"
          " * (pinyin_compound). pinyin_syl[i]: the toneless syllable, NUL-\n"
          " * padded, its length in byte 7. %ld Han code points, %ld with a "
          "reading.\n"
          " * Sizes: stage1 %u B, stage2 %u blocks = %u B, syllables %u x 8 ="
          " %u B,\n"
          " * surnames %u x 6 B, compounds %u x 12 B.\n */\n",
          U_ICU_VERSION, uvs, LIMIT, SHIFT, BLK, BLK - 1, nhan, nread,
          NSTAGE1 * 2u, nblocks, nblocks * BLK * 2u, nsyl, nsyl * 8u, nsur,
          ncomp);
  fprintf(f, "#define PINYIN_SOURCES \"ICU %s Han-Latin, Unicode %s\"\n",
          U_ICU_VERSION, uvs);
  fprintf(f, "#define PINYIN_LIMIT 0x%Xu\n", LIMIT);
  fprintf(f, "#define PINYIN_SHIFT %u\n", SHIFT);
  fprintf(f, "#define PINYIN_SYL_COUNT %u\n", nsyl);
  fprintf(f, "#define PINYIN_SYL_MAXLEN %u\n", maxlen);
  fprintf(f, "#define PINYIN_SURNAME_COUNT %u\n", nsur);
  fprintf(f, "#define PINYIN_COMPOUND_COUNT %u\n\n", ncomp);

  fprintf(f, "static const uint16_t pinyin_stage1[%u] = {", NSTAGE1);
  for (i = 0; i < NSTAGE1; i++)
    fprintf(f, "%s%u,", i % 16 ? " " : "\n  ", stage1[i]);
  fprintf(f, "\n};\n\nstatic const uint16_t pinyin_stage2[%u] = {",
          nblocks * BLK);
  for (i = 0; i < nblocks * BLK; i++)
    fprintf(f, "%s0x%04x,", i % 10 ? " " : "\n  ", blocks[i]);
  fprintf(f, "\n};\n\nstatic const char pinyin_syl[%u][8] = {\n", nsyl);
  for (i = 0; i < nsyl; i++) {
    size_t n = strlen(syl_str[i]);
    fprintf(f, "  {");
    for (b = 0; b < 7; b++)
      if (b < n)
        fprintf(f, "'%c', ", syl_str[i][b]);
      else
        fprintf(f, "0, ");
    fprintf(f, "%zu},%s\n", n, i == 0 ? " /* no reading */" : "");
  }
  fprintf(f, "};\n\nstatic const uint32_t pinyin_surname_cp[%u] = {",
          nsur ? nsur : 1);
  for (i = 0; i < nsur; i++)
    fprintf(f, "%s0x%05x,", i % 8 ? " " : "\n  ", sur[i].cp);
  fprintf(f, "\n};\n\nstatic const uint16_t pinyin_surname_syl[%u] = {",
          nsur ? nsur : 1);
  for (i = 0; i < nsur; i++)
    fprintf(f, "%s%u,", i % 12 ? " " : "\n  ", sur[i].syl);
  fprintf(f, "\n};\n\n/* {first, second, reading of first, reading of "
             "second}, sorted. */\n"
             "static const uint32_t pinyin_compound[%u][4] = {\n",
          ncomp);
  for (i = 0; i < ncomp; i++)
    fprintf(f, "  {0x%05x, 0x%05x, %u, %u}, /* %s %s */\n", comp[i].cp[0],
            comp[i].cp[1], comp[i].syl[0], comp[i].syl[1],
            syl_str[comp[i].syl[0]], syl_str[comp[i].syl[1]]);
  fprintf(f, "};\n");
  free(stage1);
  free(blocks);
}

int main(int argc, char **argv)
{
  UErrorCode err = U_ZERO_ERROR;
  char tmp[4096];
  FILE *f;
  if (argc != 2)
    die("usage: gen_pinyin_table OUT.inc");
  nfd = unorm2_getNFDInstance(&err);
  if (U_FAILURE(err))
    die("no ICU NFD instance");
  build();
  if (snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]) >= (int)sizeof tmp)
    die("path too long");
  f = fopen(tmp, "w");
  if (f == NULL)
    die("cannot write the output");
  emit(f);
  if (fclose(f) != 0 || rename(tmp, argv[1]) != 0)
    die("cannot write the output");
  free(entry);
  return 0;
}
