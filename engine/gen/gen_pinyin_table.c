/*
 * gen_pinyin_table.c - builds the pinyin table of name_match.c (build time
 * only).
 *
 * Owns the truth behind cc_name_pinyin() and cc_name_compare(): for every
 * Han ideograph below U+40000 (the BMP blocks U+3400-U+4DBF, U+4E00-U+9FFF,
 * U+F900-U+FAFF, U+3007 and the supplementary blocks B to H) the set of its
 * toneless readings in names, at most four, the primary one first; and the
 * readings of surnames. Written as C arrays (pinyin_table.inc) that
 * name_match.c compiles in: the library never reads Unihan nor opens a
 * transliterator.
 *
 * Where the readings come from, per character:
 *  1. Unihan (Unicode's Unihan_Readings.txt, Debian package unicode-data:
 *     /usr/share/unicode/Unihan_Readings.txt.bz2, read through libbz2):
 *     kMandarin (the customary reading, which comes first) and the modern
 *     dictionaries kTGHZ2013 (通用规范汉字字典, 2013) and kXHC1983 (现代汉语
 *     词典). A character that neither modern dictionary has (rare and
 *     traditional forms) takes kMandarin and kHanyuPinyin (汉语大字典).
 *  2. ICU's Han-Latin transliterator, only for a character that has no
 *     Unihan reading at all (so no character has fewer readings than with
 *     the ICU-only table this generator used to write).
 *  3. Neutral-tone readings (no tone mark: 地 de, 著 zhe, 的 de, 了 le) are
 *     dropped when the character has a toned one: they are particles and
 *     suffixes, and no name is read with them.
 *  4. name_readings below: for heteronyms used in given names, the readings
 *     that names use, primary first (长 chang, not zhang; 晟 sheng, not
 *     cheng). Each must be one of the character's Unihan readings.
 *  5. More than four readings left (18 rare characters): the first four.
 *
 * Tones are stripped here rather than by ICU's "Latin-ASCII", which folds ü
 * to u and so would make 吕 (lǚ) and 鲁 (lǔ), 女 (nǚ) and 努 (nǔ) homophones:
 * the reading is decomposed (NFD), tone marks are dropped, and u + U+0308
 * becomes "v", as pinyin input methods type it (吕 "lv", 略 "lve").
 *
 * Readings of a surname (the first character of a name) come from, in
 * order: the compound surnames below, the single surnames below, and ICU's
 * "Han-Latin/Names" transliterator where it reads the character alone
 * otherwise than Han-Latin does (and the reading is one of Unihan's). The
 * lists are facts from public sources (the 百家姓, the surname (姓) entries
 * of the 现代汉语词典); where they disagree with ICU's Names rules the lists
 * win, and each such line says so.
 *
 * Usage: gen_pinyin_table UNIHAN_READINGS OUT.inc
 *        gen_pinyin_table UNIHAN_READINGS --dump   (one line per character
 *        with readings, for review: "U+957F 长 chang | surname chang")
 * UNIHAN_READINGS is Unihan_Readings.txt or its .bz2. Deterministic for a
 * given Unihan and ICU; written to OUT.inc.tmp then renamed. Layout: see
 * the comment written at the top of the output.
 */
#include <bzlib.h>
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

/* Entry bits; must match name_match.c.
 *   E_SURNAME  the character has a surname reading or starts a compound
 *              surname
 *   E_HAN      the character is a Han ideograph
 *   E_CODE     reading code: 0 = no reading; R_MULTI clear: the one
 *              syllable index; R_MULTI set: index into pinyin_set (two or
 *              more readings)
 *   E_SET      while building: reading-set index */
#define E_SURNAME 0x8000u
#define E_HAN 0x4000u
#define E_CODE 0x3FFFu
#define R_MULTI 0x2000u
#define E_SET 0x1FFFu

/* Readings kept per character (must match CC_NAME_READINGS_MAX). */
#define NREAD 4
/* Readings gathered per character before the cut to NREAD. */
#define NGATHER 8

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
 * Heteronyms in given names: the readings names use, primary first,
 * toneless ('v' for ü), separated by spaces. The characters are the
 * heteronyms (two or more toned readings in the 现代汉语词典 or the 通用
 * 规范汉字字典) among the 2,614 given-name characters of the Chinese Names
 * Database 1930-2008 (Bao 2020; statistics of the National Citizen Identity
 * Information Center, 1.2 billion people), whose table also names each
 * character's usual reading in names; the readings kept are those the
 * dictionaries give for the senses used in names. Where a name uses two
 * readings (行 xíng / háng, 重 zhòng / chóng, 朝 zhāo / cháo), both are kept;
 * 乐 keeps lè only (欢乐; yuè, as in 音乐, is not a given-name sense; the
 * surname 乐 is Yuè or Lè, in single_surnames).
 * Readings dropped, e.g.: 长 zhǎng (names: 长青 cháng), 晟 chéng (names:
 * shèng; the 现代汉语词典 has both), 珩 háng (héng), 靓 jìng (liàng), 琢
 * zuó (zhuó), 焘 dào (tāo), 著 zhuó (zhù), 似 shì (sì), 红 gōng (女红), 广
 * ān, 和 huó / huò / hú, 盛 chéng, 阿 ē, 娜 nuó (婀娜; 人名 nà), 单 chán /
 * shàn (the surname 单 shàn is in single_surnames).
 */
static const struct {
  const char *han; /* one character, UTF-8 */
  const char *syl; /* its readings in names */
} name_readings[] = {
    {"红", "hong"},
    {"强", "qiang"},
    {"长", "chang"},
    {"会", "hui"},
    {"广", "guang"},
    {"大", "da"},
    {"娜", "na"},
    {"朝", "chao zhao"},
    {"万", "wan"},
    {"思", "si"},
    {"传", "chuan"},
    {"和", "he"},
    {"乐", "le"},
    {"其", "qi"},
    {"南", "nan"},
    {"奇", "qi"},
    {"叶", "ye"},
    {"盛", "sheng"},
    {"合", "he"},
    {"柏", "bai"},
    {"露", "lu"},
    {"阿", "a"},
    {"育", "yu"},
    {"石", "shi"},
    {"虹", "hong"},
    {"得", "de"},
    {"召", "zhao"},
    {"伯", "bo"},
    {"乾", "qian"},
    {"若", "ruo"},
    {"齐", "qi"},
    {"茜", "qian xi"},
    {"行", "xing hang"},
    {"术", "shu"},
    {"六", "liu"},
    {"莎", "sha"},
    {"腊", "la"},
    {"丁", "ding"},
    {"艾", "ai"},
    {"见", "jian"},
    {"劲", "jin jing"},
    {"革", "ge"},
    {"楷", "kai"},
    {"重", "zhong chong"},
    {"繁", "fan"},
    {"蔚", "wei"},
    {"陆", "lu"},
    {"晟", "sheng"},
    {"仔", "zi zai"},
    {"敦", "dun"},
    {"谷", "gu"},
    {"杉", "shan"},
    {"校", "xiao"},
    {"省", "sheng"},
    {"绿", "lv"},
    {"靓", "liang"},
    {"曾", "ceng"},
    {"屏", "ping"},
    {"澄", "cheng"},
    {"蔓", "man"},
    {"陶", "tao"},
    {"屹", "yi"},
    {"榜", "bang"},
    {"将", "jiang"},
    {"单", "dan"},
    {"都", "du dou"},
    {"俞", "yu"},
    {"盟", "meng"},
    {"筠", "yun"},
    {"模", "mo"},
    {"朴", "pu"},
    {"解", "jie"},
    {"涌", "yong"},
    {"佃", "dian"},
    {"烟", "yan"},
    {"员", "yuan"},
    {"隽", "juan jun"},
    {"胖", "pang"},
    {"珩", "heng"},
    {"亲", "qin"},
    {"焯", "zhuo chao"},
    {"琢", "zhuo"},
    {"佛", "fo"},
    {"浚", "jun"},
    {"沈", "shen"},
    {"拓", "tuo"},
    {"觉", "jue"},
    {"参", "can"},
    {"虾", "xia"},
    {"尉", "wei"},
    {"泊", "bo"},
    {"桔", "ju"},
    {"尾", "wei"},
    {"冯", "feng"},
    {"钿", "dian tian"},
    {"卡", "ka"},
    {"无", "wu"},
    {"莫", "mo"},
    {"厂", "chang"},
    {"焘", "tao"},
    {"著", "zhu"},
    {"提", "ti"},
    {"藏", "cang zang"},
    {"期", "qi"},
    {"殷", "yin"},
    {"珲", "hui"},
    {"偲", "si cai"},
    {"纤", "xian"},
    {"那", "na"},
    {"落", "luo"},
    {"乘", "cheng"},
    {"车", "che"},
    {"称", "cheng"},
    {"橙", "cheng"},
    {"约", "yue"},
    {"颉", "jie xie"},
    {"拾", "shi"},
    {"槟", "bin"},
    {"吓", "xia"},
    {"适", "shi"},
    {"崴", "wei"},
    {"秘", "mi"},
    {"泷", "long shuang"},
    {"芒", "mang"},
    {"调", "tiao diao"},
    {"已", "yi"},
    {"鸟", "niao"},
    {"查", "cha"},
    {"莘", "shen xin"},
    {"圻", "qi"},
    {"寻", "xun"},
    {"栎", "li yue"},
    {"番", "fan"},
    {"钥", "yao yue"},
    {"市", "shi"},
    {"莞", "wan guan"},
    {"度", "du"},
    {"栖", "qi"},
    {"菀", "wan"},
    {"择", "ze"},
    {"还", "huan"},
    {"盖", "gai"},
    {"伽", "jia qie"},
    {"识", "shi"},
    {"覃", "tan qin"},
    {"镐", "hao"},
    {"数", "shu"},
    {"坷", "ke"},
    {"炅", "jiong gui"},
    {"雀", "que"},
    {"厦", "xia sha"},
    {"屯", "tun"},
    {"鹄", "hu"},
    {"洞", "dong"},
    {"堤", "di"},
    {"兹", "zi"},
    {"玢", "bin fen"},
    {"昳", "yi die"},
    {"率", "shuai"},
    {"囤", "tun"},
    {"桧", "hui gui"},
    {"区", "qu"},
    {"峙", "zhi"},
    {"纶", "lun"},
    {"浅", "qian"},
    {"贾", "jia"},
    {"峤", "qiao jiao"},
    {"洗", "xi"},
    {"角", "jiao jue"},
    {"夯", "hang"},
    {"种", "zhong"},
    {"禅", "chan"},
    {"棱", "leng"},
    {"折", "zhe"},
    {"降", "jiang"},
    {"僮", "tong"},
    {"浒", "hu xu"},
    {"汤", "tang"},
    {"似", "si"},
    {"塞", "sai"},
    {"薄", "bo bao"},
    {"核", "he"},
    {"埔", "pu"},
    {"侗", "dong"},
    {"铅", "qian"},
    {"栅", "zha"},
    {"炮", "pao"},
    {"翟", "zhai di"},
    {"蕃", "fan"},
    {"着", "zhuo"},
    {"嵌", "qian"},
    {"烙", "lao"},
    {"蹊", "xi qi"},
    {"铣", "xian xi"},
    {"绰", "chuo"},
    {"擘", "bo"},
    {"呵", "he"},
    {"枞", "cong"},
    {"玚", "yang chang"},
    {"仡", "yi"},
    {"络", "luo"},
    {"锬", "tan"},
    {"宿", "su"},
    {"读", "du"},
    {"趣", "qu"},
    {"荠", "ji qi"},
    {"矜", "jin"},
    {"系", "xi"},
    {"缪", "miao miu"},
    {"属", "shu"},
    {"综", "zong"},
    {"瞿", "qu"},
    {"冒", "mao"},
    {"铛", "dang"},
    {"侥", "yao"},
    {"跞", "li luo"},
    {"仇", "chou"},
    {"瀑", "pu"},
    {"牟", "mou"},
    {"帧", "zhen"},
    {"褚", "chu"},
    {"剡", "yan shan"},
    {"镡", "tan xin"},
    {"血", "xue"},
    {"柜", "gui"},
    {"澹", "dan tan"},
    {"叨", "dao"},
    {"遗", "yi"},
    {"阚", "kan"},
    {"莨", "lang liang"},
    {"郇", "xun huan"},
    {"暴", "bao"},
    {"隗", "wei kui"},
    {"偈", "ji jie"},
    {"椎", "zhui"},
    {"耆", "qi"},
    {"夹", "jia"},
    {"玟", "wen min"}, /* 通用规范: wén only; 汉语大字典 mín, wén */
    /* Heteronyms that the corpus of bench/RESULTS.md showed: */
    {"氏", "shi"},  /* not zhī (月氏) */
    {"濬", "jun"},  /* as 浚; not xùn */
    {"说", "shuo"}, /* not shuì, nor yuè (= 悦, classical) */
    {"贲", "ben"},  /* 虎贲; not bì, féi */
    {"价", "jia"},  /* not jiè (classical: a servant) */
};

/*
 * Single surnames: their readings as surnames, toneless, 'v' for ü, the
 * usual one first. Sources: the surname (姓) entries of the 现代汉语词典 and
 * common public lists of 多音字姓氏. A character with two surname readings
 * (覃 Qín / Tán, 乐 Yuè / Lè) keeps both.
 */
static const struct {
  const char *han; /* one character, UTF-8 */
  const char *syl; /* its readings as a surname */
} single_surnames[] = {
    {"曾", "zeng"},   {"单", "shan"},
    {"仇", "qiu"},    {"查", "zha"},
    {"解", "xie"},    {"朴", "piao"}, /* ICU Names: pu (wrong: 朴 Piáo) */
    {"区", "ou"},     {"盖", "ge"},
    {"乐", "yue le"}, {"缪", "miao"},    /* ICU Names: mou */
    {"翟", "zhai"},   {"覃", "qin tan"}, /* ICU Names: tan only */
    {"种", "chong"},  {"秘", "bi"},
    {"尉", "wei yu"}, /* ICU Names: yu only; 尉健行 is Wèi Jiànxíng */
    {"繁", "po"},     {"召", "shao"},
    {"员", "yun"},    {"折", "she"},
    {"句", "gou"},    /* ICU Names: ju */
    {"牟", "mou"},    /* ICU Names: mu, which is the place name 牟平 */
    {"莘", "shen"},   /* ICU Names: xin, which is the place name 莘庄 */
    {"蔚", "yu wei"}, /* ICU Names: wei only; 蔚 Yù (蔚县) first */
    {"祭", "zhai"},   /* ICU Names: ji */
    {"能", "nai"},    /* ICU Names: neng */
    {"角", "jue"},    /* ICU Names: jiao */
    {"阚", "kan"},    /* ICU: han */
    {"佴", "nai"},    /* ICU Names: er */
    {"长", "chang"},  {"重", "chong"},
    {"刀", "diao"},   {"卜", "bu"},
    {"过", "guo"},    {"纪", "ji"},
    {"任", "ren"},    {"华", "hua"},
    {"沈", "shen"},   {"燕", "yan"},
    {"粘", "nian"},   {"舍", "she"},
    {"冼", "xian"},   {"洗", "xian"},
    {"柏", "bai"},    {"都", "du"},
    {"藏", "zang"},   {"隽", "juan"},
    {"厍", "she"},    {"逄", "pang"},
    {"薄", "bo"},  /* Unihan kMandarin: bao; the surname is Bó (薄熙来) */
    {"拓", "tuo"}, /* Unihan kMandarin: ta; the surname is Tuò */
    {"朝", "chao"},   {"行", "xing"},
    {"宿", "su"},     {"澹", "tan"},
    {"郇", "huan"},   {"隗", "wei"},
    {"褚", "chu"},    {"瞿", "qu"},
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
    {"万俟", "mo qi"},                          /* ICU Han-Latin: wan qi */
    {"尉迟", "yu chi"},                         /* ICU Han-Latin: wei chi */
    {"长孙", "zhang sun"}, {"单于", "chan yu"}, /* ICU Names: shan yu */
    {"澹台", "tan tai"},                        /* ICU Han-Latin: dan tai */
    {"令狐", "ling hu"},   {"乐正", "yue zheng"},  {"仉督", "zhang du"},
    {"子车", "zi ju"},     {"宰父", "zai fu"},     {"皇甫", "huang fu"},
    {"谷梁", "gu liang"},  {"拓跋", "tuo ba"},     {"拓拔", "tuo ba"},
    {"羊舌", "yang she"},  {"鲜于", "xian yu"},    {"段干", "duan gan"},
    {"第五", "di wu"},     {"欧阳", "ou yang"},    {"司马", "si ma"},
    {"诸葛", "zhu ge"},    {"上官", "shang guan"}, {"夏侯", "xia hou"},
    {"慕容", "mu rong"},   {"东方", "dong fang"},  {"公孙", "gong sun"},
    {"宇文", "yu wen"},    {"轩辕", "xuan yuan"},  {"闾丘", "lv qiu"},
    {"漆雕", "qi diao"},   {"亓官", "qi guan"},    {"呼延", "hu yan"},
    {"钟离", "zhong li"},  {"宗政", "zong zheng"}, {"濮阳", "pu yang"},
    {"淳于", "chun yu"},   {"太叔", "tai shu"},    {"申屠", "shen tu"},
    {"公冶", "gong ye"},   {"赫连", "he lian"},    {"闻人", "wen ren"},
    {"西门", "xi men"},    {"南宫", "nan gong"},   {"左丘", "zuo qiu"},
    {"梁丘", "liang qiu"}, {"百里", "bai li"},     {"东郭", "dong guo"},
    {"壤驷", "rang si"},   {"公良", "gong liang"}, {"巫马", "wu ma"},
    {"公西", "gong xi"},   {"公羊", "gong yang"},  {"颛孙", "zhuan sun"},
    {"端木", "duan mu"},   {"司徒", "si tu"},      {"司空", "si kong"},
    {"独孤", "du gu"},
};

/* ------------------------------------------------------------------ */
/* Syllables: toneless strings, index 0 = none; a small hash for lookup. */

static char syl_str[MAX_SYLS][SYL_MAX + 1];
static unsigned nsyl = 1;
#define SYL_HASH 8192u
static uint16_t syl_hash[SYL_HASH]; /* syllable index, 0 = empty slot */

static unsigned str_hash(const char *s)
{
  unsigned h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static unsigned syl_index(const char *s)
{
  unsigned h = str_hash(s) & (SYL_HASH - 1);
  if (strlen(s) > SYL_MAX || s[0] == '\0')
    die("reading empty or longer than 7 bytes");
  for (; syl_hash[h] != 0; h = (h + 1) & (SYL_HASH - 1))
    if (strcmp(syl_str[syl_hash[h]], s) == 0)
      return syl_hash[h];
  if (nsyl == MAX_SYLS)
    die("too many syllables");
  strcpy(syl_str[nsyl], s);
  syl_hash[h] = (uint16_t)nsyl;
  return nsyl++;
}

/* ------------------------------------------------------------------ */
/* Reading sets: up to NREAD syllable indexes packed in 64 bits, primary in
 * the low 16 bits, unused slots 0. Index 0 = the empty set. */

static uint64_t set_val[E_SET + 1];
static unsigned nset = 1;
#define SET_HASH 32768u
static uint16_t set_hash[SET_HASH];

static unsigned set_index(const uint16_t *syl, unsigned n)
{
  uint64_t v = 0;
  unsigned i, h;
  if (n == 0)
    return 0;
  for (i = 0; i < n && i < NREAD; i++)
    v |= (uint64_t)syl[i] << (16 * i);
  h = (unsigned)((v * 0x9E3779B97F4A7C15ull) >> 49) & (SET_HASH - 1);
  for (; set_hash[h] != 0; h = (h + 1) & (SET_HASH - 1))
    if (set_val[set_hash[h]] == v)
      return set_hash[h];
  if (nset > E_SET)
    die("too many reading sets");
  set_val[nset] = v;
  set_hash[h] = (uint16_t)nset;
  return nset++;
}

static unsigned set_syl(unsigned set, unsigned k)
{
  return (unsigned)(set_val[set] >> (16 * k)) & 0xFFFFu;
}

static unsigned set_size(unsigned set)
{
  unsigned k = 0;
  while (k < NREAD && set_syl(set, k) != 0)
    k++;
  return k;
}

/* The reading code of a set (see E_CODE). */
static unsigned code_of(unsigned set)
{
  if (set == 0)
    return 0;
  return set_size(set) == 1 ? set_syl(set, 0) : (R_MULTI | set);
}

/* ------------------------------------------------------------------ */
/* Toneless readings. */

static const UNormalizer2 *nfd;

/*
 * The toneless ASCII form of a reading: NFD, tone marks dropped, u + U+0308
 * to "v", letters lower-cased, spaces kept. *toned says whether a tone mark
 * was there. Returns 0 (no reading) when anything else is left, e.g. when
 * ICU gave the character back unchanged.
 */
static int toneless(const UChar *s, int32_t n, char *out, size_t cap,
                    int *toned)
{
  UChar d[256];
  UErrorCode err = U_ZERO_ERROR;
  int32_t m = unorm2_normalize(nfd, s, n, d, 256, &err), i;
  size_t k = 0;
  if (U_FAILURE(err))
    die("NFD failed");
  *toned = 0;
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
    if (u_getCombiningClass(c) != 0) {
      *toned = 1; /* a tone mark (or ê's circumflex) */
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || c == ' '))
      return 0;
    if (k + 1 >= cap)
      return 0;
    out[k++] = (char)c;
  }
  out[k] = '\0';
  return k > 0 && out[0] != ' ' && out[k - 1] != ' ';
}

static int toneless_utf8(const char *s, size_t n, char *out, size_t cap,
                         int *toned)
{
  UChar u[64];
  int32_t un = 0;
  UErrorCode err = U_ZERO_ERROR;
  u_strFromUTF8(u, 64, &un, s, (int32_t)n, &err);
  if (U_FAILURE(err) || un >= 64)
    return 0;
  return toneless(u, un, out, cap, toned);
}

/* The toneless reading of the string s by transliterator t; 0 if none. */
static int reading(UTransliterator *t, const UChar *s, int32_t n, char *out,
                   size_t cap)
{
  UChar buf[256];
  int32_t len = n, lim = n;
  int toned;
  UErrorCode err = U_ZERO_ERROR;
  memcpy(buf, s, sizeof *s * (size_t)n);
  utrans_transUChars(t, buf, &len, 256, 0, &lim, &err);
  if (U_FAILURE(err))
    die("transliteration failed");
  return toneless(buf, len, out, cap, &toned);
}

/* ------------------------------------------------------------------ */
/* Unihan: per character, the readings of each field. */

enum field { F_MANDARIN, F_TGHZ, F_XHC, F_HANYU, F_COUNT };
static const char *const field_name[F_COUNT] = {"kMandarin", "kTGHZ2013",
                                                "kXHC1983", "kHanyuPinyin"};

/* A character's gathered readings: syllable, toned?, from which fields. */
typedef struct gathered {
  uint16_t syl[F_COUNT][NGATHER];
  uint8_t toned[F_COUNT][NGATHER];
  uint8_t n[F_COUNT];
} gathered;
static gathered *uh; /* uh[c] for c < LIMIT */
static long uh_lines, uh_readings;

static void add_reading(uint32_t c, enum field f, const char *r, size_t n)
{
  char t[64];
  int toned;
  gathered *g = &uh[c];
  unsigned s, i;
  if (!toneless_utf8(r, n, t, sizeof t, &toned) || strchr(t, ' ') != NULL)
    return; /* not a single pinyin syllable */
  s = syl_index(t);
  for (i = 0; i < g->n[f]; i++)
    if (g->syl[f][i] == s) {
      g->toned[f][i] |= (uint8_t)toned;
      return;
    }
  if (g->n[f] == NGATHER)
    return;
  g->syl[f][g->n[f]] = (uint16_t)s;
  g->toned[f][g->n[f]] = (uint8_t)toned;
  g->n[f]++;
  uh_readings++;
}

/*
 * One line "U+XXXX<TAB>field<TAB>value". kMandarin's value is readings
 * separated by spaces; the others' are entries "location:reading" (and
 * kHanyuPinyin's "location:reading,reading") separated by spaces.
 */
static void parse_line(char *line)
{
  char *f, *v, *e;
  unsigned long c;
  enum field fi;
  if (line[0] != 'U' || line[1] != '+')
    return;
  c = strtoul(line + 2, &e, 16);
  if (*e != '\t' || c >= LIMIT)
    return;
  f = e + 1;
  v = strchr(f, '\t');
  if (v == NULL)
    return;
  *v++ = '\0';
  for (fi = 0; fi < F_COUNT; fi++)
    if (strcmp(f, field_name[fi]) == 0)
      break;
  if (fi == F_COUNT)
    return;
  uh_lines++;
  while (*v != '\0') {
    char *tok = v, *r;
    size_t n = strcspn(v, " ");
    v += n;
    if (*v == ' ')
      *v++ = '\0';
    else
      *v = '\0';
    r = fi == F_MANDARIN ? tok : strrchr(tok, ':');
    if (r == NULL)
      continue;
    if (r != tok)
      r++;
    /* kHanyuPinyin lists several readings after one location. */
    while (*r != '\0') {
      size_t k = strcspn(r, ",");
      add_reading((uint32_t)c, fi, r, k);
      r += k;
      if (*r == ',')
        r++;
    }
  }
}

/* Reads Unihan_Readings.txt, or its .bz2, line by line. */
static void read_unihan(const char *path)
{
  size_t plen = strlen(path);
  int bz = plen > 4 && strcmp(path + plen - 4, ".bz2") == 0;
  FILE *f = fopen(path, "rb");
  BZFILE *b = NULL;
  char buf[65536], line[4096];
  size_t ll = 0;
  int bzerr = BZ_OK, done = 0;

  if (f == NULL)
    die("cannot open the Unihan readings (Debian: apt-get install "
        "unicode-data)");
  if (bz && (b = BZ2_bzReadOpen(&bzerr, f, 0, 0, NULL, 0)) == NULL)
    die("cannot read the Unihan readings as bzip2");
  while (!done) {
    int n, i;
    if (bz) {
      n = BZ2_bzRead(&bzerr, b, buf, sizeof buf);
      if (bzerr != BZ_OK && bzerr != BZ_STREAM_END)
        die("bad bzip2 data in the Unihan readings");
      done = bzerr == BZ_STREAM_END;
    } else {
      n = (int)fread(buf, 1, sizeof buf, f);
      if (ferror(f))
        die("cannot read the Unihan readings");
      done = n == 0;
    }
    for (i = 0; i < n; i++) {
      if (buf[i] == '\n' || buf[i] == '\r') {
        line[ll] = '\0';
        parse_line(line);
        ll = 0;
      } else if (ll + 1 < sizeof line) {
        line[ll++] = buf[i];
      }
    }
  }
  line[ll] = '\0';
  parse_line(line);
  if (bz)
    BZ2_bzReadClose(&bzerr, b);
  fclose(f);
  if (uh_lines < 10000)
    die("too few readings in the Unihan file: is it Unihan_Readings.txt?");
}

/* Is syllable s one of c's Unihan readings (any field)? */
static int unihan_has(uint32_t c, unsigned s)
{
  unsigned f, i;
  for (f = 0; f < F_COUNT; f++)
    for (i = 0; i < uh[c].n[f]; i++)
      if (uh[c].syl[f][i] == s)
        return 1;
  return 0;
}

/* ------------------------------------------------------------------ */

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
    die("bad UTF-8 in a list");
  return c;
}

/* The one character of a list line, checked. */
static uint32_t list_char(const char *han)
{
  int32_t k = 0;
  UChar32 c = first_cp(han, &k);
  if (han[k] != '\0' || !is_han(c) || (uint32_t)c >= LIMIT)
    die("a list entry is not one Han character");
  return (uint32_t)c;
}

/* Parses "a b c" into syllable indexes (at most NREAD); each must be one
 * of c's Unihan readings when check is set. Returns the count. */
static unsigned list_syls(const char *s, uint16_t *out, uint32_t c, int check)
{
  unsigned n = 0;
  while (*s != '\0') {
    char w[SYL_MAX + 1];
    size_t k = strcspn(s, " ");
    if (k == 0 || k > SYL_MAX || n == NREAD)
      die("a list entry has a bad reading");
    memcpy(w, s, k);
    w[k] = '\0';
    out[n] = (uint16_t)syl_index(w);
    if (check && !unihan_has(c, out[n])) {
      fprintf(stderr, "gen_pinyin_table: U+%04X: %s is not a Unihan reading\n",
              c, w);
      exit(1);
    }
    n++;
    s += k;
    while (*s == ' ')
      s++;
  }
  if (n == 0)
    die("a list entry has no reading");
  return n;
}

static uint16_t *entry; /* entry[c] for c < LIMIT */

typedef struct surname {
  uint32_t cp;  /* the character */
  unsigned set; /* its readings as a surname */
} surname;
static surname sur[4096];
static unsigned nsur;

typedef struct compound {
  uint32_t cp[2];
  unsigned set[2]; /* one reading each */
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

static long nhan, nread, nhetero, ncut, nicu_only, nneutral_dropped;
static long nnames_listed;

/*
 * The readings of c before the name list: kMandarin first, then the modern
 * dictionaries, or kHanyuPinyin when neither has c; neutral-tone readings
 * dropped when a toned one is there. Returns the count (up to NGATHER).
 */
static unsigned unihan_readings(uint32_t c, uint16_t *out)
{
  const gathered *g = &uh[c];
  uint16_t all[NGATHER * F_COUNT];
  uint8_t toned[NGATHER * F_COUNT];
  unsigned n = 0, k = 0, i, f, any_toned = 0;
  int modern = g->n[F_TGHZ] > 0 || g->n[F_XHC] > 0;
  static const enum field order_modern[] = {F_MANDARIN, F_TGHZ, F_XHC};
  static const enum field order_old[] = {F_MANDARIN, F_HANYU};
  const enum field *order = modern ? order_modern : order_old;
  unsigned norder = modern ? 3 : 2;

  for (f = 0; f < norder; f++)
    for (i = 0; i < g->n[order[f]]; i++) {
      unsigned s = g->syl[order[f]][i], j;
      for (j = 0; j < n && all[j] != s; j++)
        ;
      if (j == n) {
        all[n] = (uint16_t)s;
        toned[n++] = g->toned[order[f]][i];
      } else {
        toned[j] |= g->toned[order[f]][i];
      }
    }
  for (i = 0; i < n; i++)
    any_toned |= toned[i];
  for (i = 0; i < n && k < NGATHER; i++) {
    if (any_toned && !toned[i]) {
      nneutral_dropped++;
      continue;
    }
    out[k++] = all[i];
  }
  return k;
}

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
  names =
      utrans_openU(u"Han-Latin/Names", -1, UTRANS_FORWARD, NULL, 0, NULL, &err);
  if (U_FAILURE(err))
    die("cannot open ICU's Han-Latin/Names transliterator");
  entry = calloc(LIMIT, sizeof *entry);
  if (entry == NULL)
    die("out of memory");

  /* The name list, checked, by character; applied in the loop below. */
  static uint16_t listed[LIMIT]; /* set index from name_readings, 0 none */
  for (i = 0; i < sizeof name_readings / sizeof *name_readings; i++) {
    uint16_t s[NREAD];
    uint32_t lc = list_char(name_readings[i].han);
    unsigned n = list_syls(name_readings[i].syl, s, lc, 1);
    if (listed[lc] != 0)
      die("a character is listed twice in name_readings");
    listed[lc] = (uint16_t)set_index(s, n);
    nnames_listed++;
  }

  for (c = 0; c < (UChar32)LIMIT; c++) {
    UChar u[2];
    int32_t n = 0;
    char r[64], rn[64];
    uint16_t rd[NGATHER];
    unsigned k, set;
    int have_plain;
    if (!is_han(c))
      continue;
    nhan++;
    entry[c] = E_HAN;
    U16_APPEND_UNSAFE(u, n, c);
    have_plain = reading(hl, u, n, r, sizeof r) && strchr(r, ' ') == NULL;
    k = unihan_readings((uint32_t)c, rd);
    if (k == 0 && have_plain) {
      rd[k++] = (uint16_t)syl_index(r); /* ICU knows it, Unihan not */
      nicu_only++;
    }
    if (listed[c] != 0) {
      set = listed[c];
    } else {
      if (k > NREAD)
        ncut++;
      set = set_index(rd, k < NREAD ? k : NREAD);
    }
    if (set != 0) {
      nread++;
      if (set_size(set) > 1)
        nhetero++;
    }
    entry[c] |= (uint16_t)set;
    /* ICU's Names reading of the character alone, i.e. at the start of a
     * name: a surname reading where it differs from the plain one and is
     * one of the character's readings. */
    if (have_plain && reading(names, u, n, rn, sizeof rn) &&
        strchr(rn, ' ') == NULL && strcmp(rn, r) != 0) {
      unsigned s = syl_index(rn);
      uint16_t one = (uint16_t)s;
      if (unihan_has((uint32_t)c, s) || k == 0) {
        if (nsur == sizeof sur / sizeof *sur)
          die("too many surname readings");
        sur[nsur].cp = (uint32_t)c;
        sur[nsur].set = set_index(&one, 1);
        nsur++;
        names_diff++;
      }
    }
  }
  /* The single-surname list wins over ICU's Names rules. */
  for (i = 0; i < sizeof single_surnames / sizeof *single_surnames; i++) {
    uint16_t s[NREAD];
    uint32_t sc = list_char(single_surnames[i].han);
    unsigned n = list_syls(single_surnames[i].syl, s, sc, 1), j, set;
    set = set_index(s, n);
    for (j = 0; j < nsur && sur[j].cp != sc; j++)
      ;
    if (j < nsur && sur[j].set != set)
      names_overridden++;
    if (j == nsur) {
      if (nsur == sizeof sur / sizeof *sur)
        die("too many surname readings");
      nsur++;
    }
    sur[j].cp = sc;
    sur[j].set = set;
  }
  /* Drop entries equal to the plain readings (a listed surname that is
   * read so anyway): they would only cost a search. */
  {
    unsigned k = 0;
    for (i = 0; i < nsur; i++)
      if (sur[i].set != (entry[sur[i].cp] & E_SET))
        sur[k++] = sur[i];
    nsur = k;
  }
  for (i = 0; i < nsur; i++)
    entry[sur[i].cp] |= E_SURNAME;
  qsort(sur, nsur, sizeof *sur, cmp_surname);
  for (i = 1; i < nsur; i++)
    if (sur[i - 1].cp == sur[i].cp)
      die("a single surname is listed twice");

  for (i = 0; i < sizeof compound_surnames / sizeof *compound_surnames; i++) {
    const char *h = compound_surnames[i].han;
    uint16_t s[NREAD];
    int32_t k = 0;
    compound *x = &comp[ncomp++];
    unsigned j;
    if (ncomp > sizeof comp / sizeof *comp)
      die("too many compound surnames");
    x->cp[0] = (uint32_t)first_cp(h, &k);
    x->cp[1] = (uint32_t)first_cp(h, &k);
    if (h[k] != '\0' || list_syls(compound_surnames[i].syl, s, 0, 0) != 2)
      die("a compound surname is not two characters and two syllables");
    if (!is_han((UChar32)x->cp[0]) || !is_han((UChar32)x->cp[1]))
      die("a compound surname is not Han");
    for (j = 0; j < 2; j++) {
      if (!unihan_has(x->cp[j], s[j])) {
        fprintf(stderr,
                "gen_pinyin_table: compound %s: %s is not a Unihan "
                "reading\n",
                h, syl_str[s[j]]);
        exit(1);
      }
      x->set[j] = set_index(&s[j], 1);
    }
    entry[x->cp[0]] |= E_SURNAME;
  }
  qsort(comp, ncomp, sizeof *comp, cmp_compound);
  for (i = 1; i < ncomp; i++)
    if (cmp_compound(&comp[i - 1], &comp[i]) == 0)
      die("a compound surname is listed twice");

  fprintf(stderr,
          "gen_pinyin_table: %ld Unihan reading lines, %ld readings; %ld Han "
          "code points, %ld with a reading (%ld from ICU only), %ld with "
          "two or more (%ld cut to %d), %ld neutral-tone readings dropped, "
          "%ld characters from the name list; %u syllables, %u reading "
          "sets; %u surname readings (%ld from ICU Names, %ld of them "
          "overridden by the list), %u compound surnames\n",
          uh_lines, uh_readings, nhan, nread, nicu_only, nhetero, ncut, NREAD,
          nneutral_dropped, nnames_listed, nsyl - 1, nset - 1, nsur, names_diff,
          names_overridden, ncomp);
  utrans_close(hl);
  utrans_close(names);
}

/* --dump: one line per Han character with a reading. */
static void dump(FILE *f)
{
  uint32_t c;
  unsigned i, k;
  for (c = 0; c < LIMIT; c++) {
    unsigned set = entry[c] & E_SET;
    char u8[5];
    int32_t n = 0;
    UBool bad = 0;
    if (!(entry[c] & E_HAN) || set == 0)
      continue;
    U8_APPEND((uint8_t *)u8, n, 4, (UChar32)c, bad);
    u8[n] = '\0';
    fprintf(f, "U+%04X %s", c, bad ? "?" : u8);
    for (k = 0; k < set_size(set); k++)
      fprintf(f, " %s", syl_str[set_syl(set, k)]);
    for (i = 0; i < nsur; i++)
      if (sur[i].cp == c) {
        fprintf(f, " | surname");
        for (k = 0; k < set_size(sur[i].set); k++)
          fprintf(f, " %s", syl_str[set_syl(sur[i].set, k)]);
      }
    fputc('\n', f);
  }
}

static void emit(FILE *f)
{
  uint16_t *stage1 = malloc(sizeof *stage1 * NSTAGE1);
  uint16_t *blocks = malloc(sizeof *blocks * LIMIT);
  unsigned nblocks = 0, b, i, k, maxlen = 0;
  UVersionInfo uv;
  char uvs[U_MAX_VERSION_STRING_LENGTH];

  if (stage1 == NULL || blocks == NULL)
    die("out of memory");
  /* Set indexes become reading codes. */
  for (i = 0; i < LIMIT; i++)
    entry[i] = (uint16_t)((entry[i] & ~E_CODE) | code_of(entry[i] & E_SET));
  for (b = 0; b < NSTAGE1; b++) {
    const uint16_t *blk = entry + b * BLK;
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
          " * Sources: Unihan kMandarin, kTGHZ2013, kXHC1983, kHanyuPinyin "
          "(the\n"
          " * readings of every character, neutral tones dropped), the "
          "generator's\n"
          " * name list and surname lists, ICU %s (Unicode %s) Han-Latin where"
          "\n"
          " * Unihan has no reading and Han-Latin/Names for surnames; tones "
          "stripped,\n"
          " * ü as v.\n"
          " *\n"
          " * Entry (uint16) for c < 0x%X:\n"
          " *   pinyin_stage2[pinyin_stage1[c >> %u] * %u + (c & %u)]\n"
          " * bits 0-13: the reading code: 0 = no reading; bit 13 clear: the\n"
          " * index of c's one syllable in pinyin_syl; bit 13 set: bits 0-12\n"
          " * index pinyin_set (two or more readings). Bit 14: c is a\n"
          " * Han ideograph (Ideographic and script Han); bit 15: c has a\n"
          " * surname reading (pinyin_surname_*) or starts a compound "
          "surname\n"
          " * (pinyin_compound). pinyin_set[i]: up to %d syllable indexes, "
          "the\n"
          " * primary first, 0 after the last. pinyin_syl[i]: the toneless\n"
          " * syllable, NUL-padded, its length in byte 7. %ld Han code points,"
          "\n"
          " * %ld with a reading, %ld with two or more.\n"
          " * Sizes: stage1 %u B, stage2 %u blocks = %u B, sets %u x 8 = %u "
          "B,\n"
          " * syllables %u x 8 = %u B, surnames %u x 6 B, compounds %u x 16 "
          "B.\n */\n",
          U_ICU_VERSION, uvs, LIMIT, SHIFT, BLK, BLK - 1, NREAD, nhan, nread,
          nhetero, NSTAGE1 * 2u, nblocks, nblocks * BLK * 2u, nset, nset * 8u,
          nsyl, nsyl * 8u, nsur, ncomp);
  fprintf(f, "#define PINYIN_SOURCES \"Unihan + ICU %s, Unicode %s\"\n",
          U_ICU_VERSION, uvs);
  fprintf(f, "#define PINYIN_LIMIT 0x%Xu\n", LIMIT);
  fprintf(f, "#define PINYIN_SHIFT %u\n", SHIFT);
  fprintf(f, "#define PINYIN_READINGS %d\n", NREAD);
  fprintf(f, "#define PINYIN_SET_COUNT %u\n", nset);
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
  fprintf(f, "\n};\n\nstatic const uint16_t pinyin_set[%u][%d] = {", nset,
          NREAD);
  for (i = 0; i < nset; i++) {
    fprintf(f, "%s{", i % 4 ? " " : "\n  ");
    for (k = 0; k < NREAD; k++)
      fprintf(f, "%u%s", set_syl(i, k), k + 1 < NREAD ? ", " : "},");
  }
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
  fprintf(f, "\n};\n\nstatic const uint16_t pinyin_surname_code[%u] = {",
          nsur ? nsur : 1);
  for (i = 0; i < nsur; i++)
    fprintf(f, "%s%u,", i % 12 ? " " : "\n  ", code_of(sur[i].set));
  fprintf(f,
          "\n};\n\n/* {first, second, reading code of first, of second}, "
          "sorted. */\n"
          "static const uint32_t pinyin_compound[%u][4] = {\n",
          ncomp);
  for (i = 0; i < ncomp; i++)
    fprintf(f, "  {0x%05x, 0x%05x, %u, %u}, /* %s %s */\n", comp[i].cp[0],
            comp[i].cp[1], code_of(comp[i].set[0]), code_of(comp[i].set[1]),
            syl_str[set_syl(comp[i].set[0], 0)],
            syl_str[set_syl(comp[i].set[1], 0)]);
  fprintf(f, "};\n");
  free(stage1);
  free(blocks);
}

int main(int argc, char **argv)
{
  UErrorCode err = U_ZERO_ERROR;
  char tmp[4096];
  FILE *f;
  if (argc != 3)
    die("usage: gen_pinyin_table UNIHAN_READINGS OUT.inc|--dump");
  nfd = unorm2_getNFDInstance(&err);
  if (U_FAILURE(err))
    die("no ICU NFD instance");
  uh = calloc(LIMIT, sizeof *uh);
  if (uh == NULL)
    die("out of memory");
  read_unihan(argv[1]);
  build();
  if (strcmp(argv[2], "--dump") == 0) {
    dump(stdout);
  } else {
    if (snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]) >= (int)sizeof tmp)
      die("path too long");
    f = fopen(tmp, "w");
    if (f == NULL)
      die("cannot write the output");
    emit(f);
    if (fclose(f) != 0 || rename(tmp, argv[2]) != 0)
      die("cannot write the output");
  }
  free(entry);
  free(uh);
  return 0;
}
