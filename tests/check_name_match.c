/*
 * check_name_match.c - cc_name_pinyin and cc_name_compare against known
 * answers.
 *
 * The expected keys and relations were worked out by hand from the
 * readings of the 现代汉语词典 (toneless, ü written v) and the rules of
 * name_match.h, e.g.
 *   张 zhāng 伟 wěi           -> "zhang wei"; 玮 wěi gives the same key
 *   曾 surname Zēng, else céng -> 曾伟 "zeng wei", 王曾 "wang ceng"
 *   尉 surname Wèi (尉健行), but 尉迟 Yùchí -> "wei jian xing", "yu chi gong"
 *   吕 lǚ / 鲁 lǔ              -> "lv" / "lu": not homophones
 *   提 tí, 题 tí, 堤 dī        -> 买买提 / 买买题 homophones, 买买堤 not
 *   长 in names cháng (长青), not zhǎng: 王长青 / 王常青 homophones,
 *   王长青 / 王章青 not; 晟 shèng: 李晟 / 李盛 yes, 李晟 / 李成 (chéng) no;
 *   珩 héng (恒), 靓 liàng (亮); 薄 surname Bó: 薄磊 / 鲍磊 (Bào) no
 *   行 xíng or háng, 重 zhòng or chóng: 王重行 / 王崇航 and 王重行 / 王众星
 *   homophones; 乐 lè in given names (王乐 / 王勒 yes, 王乐 / 王悦 no),
 *   Yuè or Lè as a surname (乐嘉 / 岳嘉 and 乐嘉 / 勒嘉 yes);
 *   王行 / 王航 and 王行 / 王星 too, but 王航 / 王星 not
 * and the layout of the key from name_match.h: one space between a Han
 * character and its neighbours, none next to the middle dot U+00B7.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "chachong/errors.h"
#include "chachong/name_match.h"
#include "chachong/normalize_name.h"
#include "test_util.h"

#define DOT "\xc2\xb7"          /* U+00B7 */
#define GIRL "\xf0\xa0\xae\xb7" /* U+20BB7 𠮷, no reading in ICU 72 */

typedef struct key_row {
  const char *in;  /* a folded name */
  size_t len;      /* its length; 0 means strlen(in) */
  int rc;          /* expected return */
  const char *key; /* expected key when rc == 0 */
} key_row;

static const key_row key_rows[] = {
    /* Homophones: the same key. */
    {"张伟", 0, 0, "zhang wei"},
    {"王长青", 0, 0, "wang chang qing"}, /* names: cháng */
    {"王常青", 0, 0, "wang chang qing"},
    {"李晟", 0, 0, "li sheng"}, /* names: shèng */
    {"王珩", 0, 0, "wang heng"},
    {"刘靓", 0, 0, "liu liang"},
    {"王琢", 0, 0, "wang zhuo"},
    {"王焘", 0, 0, "wang tao"},
    {"王著", 0, 0, "wang zhu"}, /* not the particle zhe */
    {"王似", 0, 0, "wang si"},
    {"王地", 0, 0, "wang di"}, /* not the particle de */
    {"张玮", 0, 0, "zhang wei"},
    {"王丽", 0, 0, "wang li"},
    {"王俐", 0, 0, "wang li"},
    {"李静", 0, 0, "li jing"},
    {"李婧", 0, 0, "li jing"},
    {"陈杰", 0, 0, "chen jie"},
    {"陈洁", 0, 0, "chen jie"},
    {"蒋经国", 0, 0, "jiang jing guo"},
    {"蒋纬国", 0, 0, "jiang wei guo"},
    {"张三", 0, 0, "zhang san"},

    /* Surnames with a reading of their own, first position only. */
    {"曾伟", 0, 0, "zeng wei"},
    {"王曾", 0, 0, "wang ceng"},
    {"曾", 0, 0, "zeng"},
    {"单伟", 0, 0, "shan wei"},
    {"王单", 0, 0, "wang dan"},
    {"仇伟", 0, 0, "qiu wei"},
    {"王仇", 0, 0, "wang chou"},
    {"查伟", 0, 0, "zha wei"},
    {"王查", 0, 0, "wang cha"},
    {"解缙", 0, 0, "xie jin"},
    {"朴树", 0, 0, "piao shu"},
    {"区伟", 0, 0, "ou wei"},
    {"盖伟", 0, 0, "ge wei"},
    {"乐嘉", 0, 0, "yue jia"},
    {"缪伟", 0, 0, "miao wei"},
    {"翟伟", 0, 0, "zhai wei"},
    {"覃伟", 0, 0, "qin wei"},
    {"黑伟", 0, 0, "hei wei"}, /* Unihan and the 现代汉语词典: hēi only */
    {"薄磊", 0, 0, "bo lei"},  /* surname Bó, not báo */
    {"王薄", 0, 0, "wang bo"}, /* given name: bó first, báo second */
    {"拓磊", 0, 0, "tuo lei"}, /* surname Tuò, not tà */
    {"乐嘉", 0, 0, "yue jia"}, /* surname Yuè first */
    {"王乐", 0, 0, "wang le"}, /* given name lè first */
    {"种伟", 0, 0, "chong wei"},
    {"秘伟", 0, 0, "bi wei"},
    {"尉健行", 0, 0, "wei jian xing"},
    {"曾曾", 0, 0, "zeng ceng"},

    /* Compound surnames: both characters read as in the surname. */
    {"尉迟恭", 0, 0, "yu chi gong"},
    {"万俟卨", 0, 0, "mo qi xie"},
    {"长孙无忌", 0, 0, "zhang sun wu ji"},
    {"单于伟", 0, 0, "chan yu wei"},
    {"澹台明月", 0, 0, "tan tai ming yue"},
    {"欧阳修", 0, 0, "ou yang xiu"},
    {"司马光", 0, 0, "si ma guang"},
    {"诸葛亮", 0, 0, "zhu ge liang"},
    {"上官婉儿", 0, 0, "shang guan wan er"},
    {"拓跋宏", 0, 0, "tuo ba hong"},
    {"拓拔宏", 0, 0, "tuo ba hong"},
    {"王尉迟", 0, 0, "wang wei chi"}, /* not at the start: plain readings */
    {"万伟", 0, 0, "wan wei"},        /* 万 alone is not 万俟 */

    /* ü as v, so 吕 and 鲁 stay apart. */
    {"吕伟", 0, 0, "lv wei"},
    {"鲁伟", 0, 0, "lu wei"},
    {"女", 0, 0, "nv"},
    {"略", 0, 0, "lve"},

    /* Minority names keep their middle dot, with no space beside it. */
    {"阿依古丽" DOT "买买提", 0, 0, "a yi gu li" DOT "mai mai ti"},
    {"阿依古丽" DOT "买买题", 0, 0, "a yi gu li" DOT "mai mai ti"},
    {"阿依古丽" DOT "买买堤", 0, 0, "a yi gu li" DOT "mai mai di"},
    {"曾" DOT "曾", 0, 0, "zeng" DOT "ceng"}, /* a given name after the dot */
    {DOT "曾", 0, 0, DOT "ceng"},             /* the first character is · */

    /* Latin, digits and the rest as they are; spaces only next to Han. */
    {"JOHN", 0, 0, "JOHN"},
    {"JOHN" DOT "SMITH", 0, 0, "JOHN" DOT "SMITH"},
    {"张A", 0, 0, "zhang A"},
    {"A张B", 0, 0, "A zhang B"},
    {"A曾", 0, 0, "A ceng"}, /* 曾 is not first */
    {"张3", 0, 0, "zhang 3"},
    {"ZHANGWEI", 0, 0, "ZHANGWEI"},
    {"JOSÉ", 0, 0, "JOSÉ"},
    {"가", 0, 0, "가"},
    {"西安", 0, 0, "xi an"},
    {"先", 0, 0, "xian"},

    /* Outside the BMP: 𠮷 has no reading and keeps its bytes; U+20000 has
     * one (hē). U+3007 〇 is Han too. */
    {GIRL "田", 0, 0, GIRL " tian"},
    {"吉田", 0, 0, "ji tian"},
    {"A" GIRL, 0, 0, "A " GIRL},
    {"\xf0\xa0\x80\x80", 0, 0, "he"},
    {"王〇", 0, 0, "wang ling"},

    /* Empty, and not UTF-8. */
    {"", 0, 0, ""},
    {"\xff", 0, CC_EINVALID, ""},
    {"张\xe4\xb8", 0, CC_EINVALID, ""},       /* cut short */
    {"曾\xe4\xb8", 0, CC_EINVALID, ""},       /* after a surname */
    {"\xc0\xaf", 0, CC_EINVALID, ""},         /* overlong '/' */
    {"\xed\xa0\x80", 0, CC_EINVALID, ""},     /* a surrogate */
    {"\xf4\x90\x80\x80", 0, CC_EINVALID, ""}, /* above U+10FFFF */
    {"张\0三", 7, CC_EINVALID, ""},           /* NUL inside */
};

START_TEST(test_name_match_pinyin_known_answers)
{
  const key_row *row = &key_rows[_i];
  char out[CC_NAME_PINYIN_MAX + 1];
  size_t len = row->len ? row->len : strlen(row->in), olen = 99;
  int rc = cc_name_pinyin(out, sizeof out, &olen, row->in, len);
  ck_assert_msg(rc == row->rc, "row %d: rc %d, want %d", _i, rc, row->rc);
  if (rc != 0) {
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(olen, 0);
    return;
  }
  ck_assert_str_eq(out, row->key);
  ck_assert_uint_eq(olen, strlen(row->key));
}
END_TEST

typedef struct cmp_row {
  const char *a, *b;    /* two folded names */
  cc_name_relation rel; /* how they relate, either way round */
} cmp_row;

static const cmp_row cmp_rows[] = {
    {"张三", "张三", CC_NAME_EQUAL},
    {"", "", CC_NAME_EQUAL},
    {"阿依古丽" DOT "买买提", "阿依古丽" DOT "买买提", CC_NAME_EQUAL},
    {GIRL "田", GIRL "田", CC_NAME_EQUAL},

    {"伟", "玮", CC_NAME_HOMOPHONE},
    {"丽", "俐", CC_NAME_HOMOPHONE},
    {"静", "婧", CC_NAME_HOMOPHONE},
    {"杰", "洁", CC_NAME_HOMOPHONE},
    {"张伟", "张玮", CC_NAME_HOMOPHONE},
    {"王丽", "王俐", CC_NAME_HOMOPHONE},
    {"曾伟", "增伟", CC_NAME_HOMOPHONE}, /* zeng, the surname reading */
    {"单伟", "善伟", CC_NAME_HOMOPHONE}, /* shan */
    {"仇伟", "求伟", CC_NAME_HOMOPHONE}, /* qiu */
    {"查伟", "扎伟", CC_NAME_HOMOPHONE}, /* zha */
    {"区伟", "欧伟", CC_NAME_HOMOPHONE}, /* ou */
    /* The heteronyms of issue 9: the readings names use. */
    {"李晟", "李盛", CC_NAME_HOMOPHONE},     /* shèng */
    {"王珩", "王恒", CC_NAME_HOMOPHONE},     /* héng */
    {"王长青", "王常青", CC_NAME_HOMOPHONE}, /* cháng */
    {"刘靓", "刘亮", CC_NAME_HOMOPHONE},     /* liàng */
    {"王琢", "王卓", CC_NAME_HOMOPHONE},     /* zhuó */
    {"王焘", "王涛", CC_NAME_HOMOPHONE},     /* tāo */
    {"王著", "王柱", CC_NAME_HOMOPHONE},     /* zhù */
    {"王似", "王四", CC_NAME_HOMOPHONE},     /* sì */
    {"王地", "王帝", CC_NAME_HOMOPHONE},     /* dì */
    /* Every reading a name uses counts. */
    {"王重行", "王众星", CC_NAME_HOMOPHONE}, /* zhòng xíng */
    {"王乐", "王勒", CC_NAME_HOMOPHONE},     /* lè */
    {"王行", "王航", CC_NAME_HOMOPHONE},     /* háng */
    {"王行", "王星", CC_NAME_HOMOPHONE},     /* xíng */
    {"王重阳", "王崇阳", CC_NAME_HOMOPHONE}, /* chóng */
    {"王重阳", "王众阳", CC_NAME_HOMOPHONE}, /* zhòng */
    {"王重行", "王崇航", CC_NAME_HOMOPHONE}, /* chóng háng */
    /* Surnames read as surnames, given names as given names. */
    {"单伟", "丹伟", CC_NAME_DIFFERENT}, /* the surname is Shàn */
    {"王单", "王丹", CC_NAME_HOMOPHONE}, /* given name dān */
    {"王曾", "王层", CC_NAME_HOMOPHONE}, /* céng */
    {"王仇", "王愁", CC_NAME_HOMOPHONE}, /* chóu */
    {"查伟", "茶伟", CC_NAME_DIFFERENT}, /* the surname is Zhā */
    {"王查", "王茶", CC_NAME_HOMOPHONE}, /* chá */
    {"解缙", "谢缙", CC_NAME_HOMOPHONE}, /* the surname is Xiè */
    {"解缙", "姐缙", CC_NAME_DIFFERENT},
    {"王解", "王姐", CC_NAME_HOMOPHONE},     /* jiě */
    {"朴树", "瓢树", CC_NAME_HOMOPHONE},     /* the surname is Piáo */
    {"盖伟", "葛伟", CC_NAME_HOMOPHONE},     /* the surname is Gě */
    {"薄磊", "伯磊", CC_NAME_HOMOPHONE},     /* the surname is Bó */
    {"拓磊", "唾磊", CC_NAME_HOMOPHONE},     /* the surname is Tuò */
    {"拓跋宏", "拓拔宏", CC_NAME_HOMOPHONE}, /* tuò bá */
    {"乐嘉", "岳嘉", CC_NAME_HOMOPHONE},     /* the surname is Yuè or Lè */
    {"乐嘉", "勒嘉", CC_NAME_HOMOPHONE},
    {"覃伟", "秦伟", CC_NAME_HOMOPHONE}, /* Qín or Tán */
    {"覃伟", "谭伟", CC_NAME_HOMOPHONE},
    {"长江", "常江", CC_NAME_HOMOPHONE},         /* the surname is Cháng */
    {"长孙无忌", "张孙无忌", CC_NAME_HOMOPHONE}, /* 长孙 Zhǎngsūn */
    /* Outside the BMP: U+20000 is hē. */
    {"\xf0\xa0\x80\x80", "喝", CC_NAME_HOMOPHONE},
    {GIRL "田", GIRL "甜", CC_NAME_HOMOPHONE}, /* 𠮷 itself, tián */
    {"阿依古丽" DOT "买买提", "阿依古丽" DOT "买买题", CC_NAME_HOMOPHONE},

    {"蒋经国", "蒋纬国", CC_NAME_DIFFERENT}, /* siblings: jing, wei */
    {"李晟", "李成", CC_NAME_DIFFERENT},     /* 晟 is not chéng in names */
    {"王长青", "王章青", CC_NAME_DIFFERENT}, /* 长 is not zhǎng in names */
    {"薄磊", "鲍磊", CC_NAME_DIFFERENT},     /* Bó, Bào */
    {"王珩", "王杭", CC_NAME_DIFFERENT},     /* 珩 is not háng in names */
    {"刘靓", "刘静", CC_NAME_DIFFERENT},     /* 靓 is not jìng in names */
    {"王航", "王星", CC_NAME_DIFFERENT},     /* 行 is both, they are not */
    {"王乐", "王悦", CC_NAME_DIFFERENT},     /* given name 乐 is lè */
    {"拓磊", "踏磊", CC_NAME_DIFFERENT},     /* the surname is not tà */
    {"长孙无忌", "常孙无忌", CC_NAME_DIFFERENT}, /* zhǎng, cháng */
    {"王长青", "王长", CC_NAME_DIFFERENT},
    {"阿依古" DOT "丽买买提", "阿依古丽" DOT "买买提", CC_NAME_DIFFERENT},
    {"阿依古丽" DOT "买买提", "阿依古丽买买提买", CC_NAME_DIFFERENT},
    {"张伟", "张" DOT, CC_NAME_DIFFERENT},
    {"张A", "张B", CC_NAME_DIFFERENT},
    {"张A", "张A伟", CC_NAME_DIFFERENT},
    {"张伟", "张伟伟", CC_NAME_DIFFERENT},
    {"张伟", "张", CC_NAME_DIFFERENT},
    {"张伟", "", CC_NAME_DIFFERENT},
    {"王曾", "王增", CC_NAME_DIFFERENT}, /* ceng, not zeng, when not first */
    {"吕伟", "鲁伟", CC_NAME_DIFFERENT}, /* lv, lu */
    {"西安", "先", CC_NAME_DIFFERENT},   /* "xi an", "xian" */
    {"张伟", "ZHANGWEI", CC_NAME_DIFFERENT},
    {"张伟", "ZHANG WEI", CC_NAME_DIFFERENT},
    {"阿依古丽" DOT "买买提", "阿依古丽" DOT "买买堤", CC_NAME_DIFFERENT},
    {"阿依古丽" DOT "买买提", "阿依古丽买买提", CC_NAME_DIFFERENT},
    {GIRL "田", "吉田", CC_NAME_DIFFERENT}, /* SPEC: 𠮷 is not 吉 */
    {"JOHN", "JOHM", CC_NAME_DIFFERENT},
    {"张伟", "张\xff", CC_NAME_DIFFERENT}, /* no key: not UTF-8 */
};

START_TEST(test_name_match_compare_known_answers)
{
  const cmp_row *row = &cmp_rows[_i];
  size_t al = strlen(row->a), bl = strlen(row->b);
  ck_assert_msg(cc_name_compare(row->a, al, row->b, bl) == row->rel,
                "row %d: a, b", _i);
  ck_assert_msg(cc_name_compare(row->b, bl, row->a, al) == row->rel,
                "row %d: b, a", _i);
}
END_TEST

/* Registered names, folded, then compared: the two stages together. */
START_TEST(test_name_match_after_fold)
{
  static const cmp_row rows[] = {
      {"張偉", "张伟", CC_NAME_EQUAL},
      {"張瑋", "张伟", CC_NAME_HOMOPHONE},
      {"曾 偉", "增伟", CC_NAME_HOMOPHONE},
      {"歐陽 修", "欧阳修", CC_NAME_EQUAL},
      {"阿依古丽•买买提", "阿依古丽．买买题", CC_NAME_HOMOPHONE},
      {"蔣經國", "蒋纬国", CC_NAME_DIFFERENT},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char a[CC_NAME_MAX + 1], b[CC_NAME_MAX + 1];
    size_t al, bl;
    ck_assert_int_eq(
        cc_name_fold(a, sizeof a, &al, rows[i].a, strlen(rows[i].a)), 0);
    ck_assert_int_eq(
        cc_name_fold(b, sizeof b, &bl, rows[i].b, strlen(rows[i].b)), 0);
    ck_assert_msg(cc_name_compare(a, al, b, bl) == rows[i].rel, "row %zu", i);
  }
}
END_TEST

/* Every cap from 0 up: too small is CC_ENOMEM with "" out, and the first
 * cap that fits gives the whole key. Covers the 8-byte syllable store at
 * the end of the buffer (ASan checks it). */
START_TEST(test_name_match_cap)
{
  static const char *names[] = {"张伟",        "尉迟恭",  "A张B",
                                "庄" DOT "庄", GIRL "田", "JOHN"};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    char full[64];
    size_t flen, cap;
    ck_assert_int_eq(
        cc_name_pinyin(full, sizeof full, &flen, names[i], strlen(names[i])),
        0);
    for (cap = 1; cap <= flen + 1; cap++) {
      char *out = malloc(cap); /* exactly cap bytes, for ASan */
      size_t olen = 99;
      int rc;
      ck_assert_ptr_nonnull(out);
      rc = cc_name_pinyin(out, cap, &olen, names[i], strlen(names[i]));
      if (cap <= flen) {
        ck_assert_int_eq(rc, CC_ENOMEM);
        ck_assert_str_eq(out, "");
        ck_assert_uint_eq(olen, 0);
      } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(out, full);
        ck_assert_uint_eq(olen, flen);
      }
      free(out);
    }
  }
  {
    char one[1] = {'x'};
    size_t olen = 99;
    ck_assert_int_eq(cc_name_pinyin(NULL, 0, &olen, "张", 3), CC_ENOMEM);
    ck_assert_uint_eq(olen, 0);
    /* The empty name needs only the NUL. */
    ck_assert_int_eq(cc_name_pinyin(one, 1, &olen, NULL, 0), 0);
    ck_assert_int_eq(one[0], '\0');
    ck_assert_uint_eq(olen, 0);
  }
}
END_TEST

/* The bound of CC_NAME_PINYIN_MAX: keys of the longest folded names. */
START_TEST(test_name_match_longest)
{
  char out[CC_NAME_PINYIN_MAX + 1];
  size_t olen, len;
  char *s;

  /* 85 x 庄 (255 bytes): 85 x "zhuang" and 84 spaces. */
  s = tu_repeat("庄", 85, &len);
  ck_assert_int_eq(cc_name_pinyin(out, sizeof out, &olen, s, len), 0);
  ck_assert_uint_eq(olen, 85 * 6 + 84);
  ck_assert_int_eq(cc_name_compare(s, len, s, len), CC_NAME_EQUAL);
  free(s);
  /* 庄A repeated: 4 bytes give "zhuang A " (9 bytes). */
  s = tu_repeat("庄A", 63, &len);
  ck_assert_int_eq(cc_name_pinyin(out, sizeof out, &olen, s, len), 0);
  ck_assert_uint_eq(olen, 63 * 9 - 1);
  ck_assert_uint_le(olen, 3 * len);
  free(s);
  /* Longer than any folded name: a key still comes if the cap allows,
   * but compare calls two such names different unless byte-equal. */
  s = tu_repeat("庄", 200, &len);
  ck_assert_int_eq(cc_name_pinyin(out, sizeof out, &olen, s, len), CC_ENOMEM);
  ck_assert_int_eq(cc_name_compare(s, len, s, len), CC_NAME_EQUAL);
  {
    char *t = tu_repeat("装", 200, &len); /* zhuang too */
    ck_assert_int_eq(cc_name_compare(s, len, t, len), CC_NAME_DIFFERENT);
    free(t);
  }
  free(s);
}
END_TEST

/* Random mixes of Han (with and without readings, surnames), Latin,
 * digits and dots: the key never exceeds 3 bytes per byte of name, and
 * every name is equal to itself. Deterministic (a fixed LCG). */
START_TEST(test_name_match_random_bound)
{
  static const char *parts[] = {"庄", "曾", "单", "尉", "迟",
                                "万", "俟", "A",  "7",  DOT,
                                GIRL, "伟", "〇", "가", "\xf0\xa0\x80\x80"};
  uint32_t seed = 12345;
  int round;
  for (round = 0; round < 20000; round++) {
    char name[CC_NAME_MAX + 1], out[CC_NAME_PINYIN_MAX + 1];
    size_t len = 0, olen;
    for (;;) {
      const char *p;
      size_t n;
      seed = seed * 1103515245u + 12345u;
      p = parts[(seed >> 16) % (sizeof parts / sizeof parts[0])];
      n = strlen(p);
      if (len + n > CC_NAME_MAX || (seed >> 8) % 97 == 0)
        break;
      memcpy(name + len, p, n);
      len += n;
    }
    ck_assert_int_eq(cc_name_pinyin(out, sizeof out, &olen, name, len), 0);
    ck_assert_uint_le(olen, 3 * len);
    ck_assert_uint_eq(strlen(out), olen);
    ck_assert_int_eq(cc_name_compare(name, len, name, len), CC_NAME_EQUAL);
  }
}
END_TEST

/* The keys of a name: expected key strings, in order, hashed here. */
typedef struct keys_row {
  const char *in;      /* a folded name */
  int capped;          /* expected *capped */
  const char *keys[4]; /* expected keys, primary first; NULL after */
} keys_row;

static const keys_row keys_rows[] = {
    {"张伟", 0, {"zhang wei"}},
    {"", 0, {""}},
    {"王行", 0, {"wang xing", "wang hang"}},
    {"王乐", 0, {"wang le"}},
    /* 乐 as a surname: yuè, lè; 行: xíng, háng. 2 x 2, in that order. */
    {"乐行", 0, {"yue xing", "yue hang", "le xing", "le hang"}},
    /* The given name 乐 is lè only: still 2 x 2. */
    {"乐乐行", 0, {"yue le xing", "yue le hang", "le le xing", "le le hang"}},
    /* Eight combinations do not fit in four: capped, the primary then one
     * position changed at a time, left to right (重: zhòng, chóng). */
    {"乐重行",
     1,
     {"yue zhong xing", "le zhong xing", "yue chong xing", "yue zhong hang"}},
    {"乐乐行行",
     1,
     {"yue le xing xing", "le le xing xing", "yue le hang xing",
      "yue le xing hang"}},
    {"拓跋宏", 0, {"tuo ba hong"}},
    {"阿依古丽" DOT "买买提", 0, {"a yi gu li" DOT "mai mai ti"}},
    {GIRL "行", 0, {GIRL " xing", GIRL " hang"}},
};

START_TEST(test_name_match_keys_known_answers)
{
  const keys_row *row = &keys_rows[_i];
  uint64_t keys[CC_NAME_PINYIN_KEYS_MAX];
  char primary[CC_NAME_PINYIN_MAX + 1];
  size_t plen;
  int capped = -1, n, want = 0, i;
  while (want < 4 && row->keys[want] != NULL)
    want++;
  n = cc_name_pinyin_keys(keys, &capped, row->in, strlen(row->in));
  ck_assert_int_eq(n, want);
  ck_assert_int_eq(capped, row->capped);
  for (i = 0; i < n; i++)
    ck_assert_msg(keys[i] == XXH3_64bits(row->keys[i], strlen(row->keys[i])),
                  "row %d key %d: want \"%s\"", _i, i, row->keys[i]);
  /* The first key is the hash of cc_name_pinyin()'s key. */
  ck_assert_int_eq(
      cc_name_pinyin(primary, sizeof primary, &plen, row->in, strlen(row->in)),
      0);
  ck_assert_str_eq(primary, row->keys[0]);
  ck_assert(keys[0] == XXH3_64bits(primary, plen));
}
END_TEST

START_TEST(test_name_match_keys_errors)
{
  uint64_t keys[CC_NAME_PINYIN_KEYS_MAX];
  int capped = -1;
  size_t len;
  char *s;
  ck_assert_int_eq(cc_name_pinyin_keys(keys, &capped, "张\xff", 4),
                   CC_EINVALID);
  ck_assert_int_eq(capped, 0);
  ck_assert_int_eq(cc_name_pinyin_keys(keys, NULL, "张\0三", 7), CC_EINVALID);
  ck_assert_int_eq(cc_name_pinyin_keys(keys, NULL, NULL, 0), 1);
  /* The longest folded name fits; a longer one does not. */
  s = tu_repeat("庄", 85, &len);
  ck_assert_int_eq(cc_name_pinyin_keys(keys, &capped, s, len), 1);
  free(s);
  s = tu_repeat("庄", 200, &len);
  ck_assert_int_eq(cc_name_pinyin_keys(keys, &capped, s, len), CC_ENOMEM);
  free(s);
}
END_TEST

/* Every hand-worked pair that compare calls equal or homophones shares a
 * key (none of them is capped). */
START_TEST(test_name_match_keys_meet_rows)
{
  size_t i;
  for (i = 0; i < sizeof cmp_rows / sizeof cmp_rows[0]; i++) {
    const cmp_row *r = &cmp_rows[i];
    uint64_t ka[4], kb[4];
    int ca, cb, na, nb, x, y, meet = 0;
    if (r->rel == CC_NAME_DIFFERENT)
      continue;
    na = cc_name_pinyin_keys(ka, &ca, r->a, strlen(r->a));
    nb = cc_name_pinyin_keys(kb, &cb, r->b, strlen(r->b));
    ck_assert_msg(na > 0 && nb > 0 && !ca && !cb, "row %zu", i);
    for (x = 0; x < na; x++)
      for (y = 0; y < nb; y++)
        meet |= ka[x] == kb[y];
    ck_assert_msg(meet, "row %zu: no shared key", i);
  }
}
END_TEST

/*
 * Generated pairs: names of 1 to 4 positions from groups of characters
 * that sound alike through one reading or another (长 常 章 张: cháng or
 * zhǎng; 乐 悦 勒 月; 行 星 航 形 ...), each paired with a copy whose
 * positions are swapped within their group. Checks: compare is symmetric;
 * whenever it says equal or homophone and neither name is capped, the key
 * sets meet; names of one reading per character are homophones exactly
 * when their primary keys are equal. Deterministic (a fixed LCG); at least
 * 100 homophone and 100 different pairs are seen, so it cannot pass empty.
 */
START_TEST(test_name_match_keys_meet_generated)
{
  static const char *groups[][4] = {
      {"长", "常", "章", "张"}, {"晟", "盛", "成", "胜"},
      {"乐", "悦", "勒", "月"}, {"行", "星", "航", "形"},
      {"重", "中", "虫", "崇"}, {"单", "善", "丹", "禅"},
      {"曾", "增", "层", "赠"}, {"朝", "潮", "招", "昭"},
      {"伟", "玮", "炜", "维"}, {"A", "B", DOT, GIRL},
  };
  const size_t ng = sizeof groups / sizeof groups[0];
  uint32_t seed = 4242;
  int round, homophones = 0, different = 0, capped_seen = 0;
  for (round = 0; round < 600; round++) {
    char a[64], b[64];
    size_t al = 0, bl = 0;
    int npos, k, single = 1;
    uint64_t ka[4], kb[4];
    int ca, cb, na, nb, x, y, meet = 0;
    cc_name_relation ab, ba;
    seed = seed * 1103515245u + 12345u;
    npos = 1 + (int)((seed >> 16) % 4);
    for (k = 0; k < npos; k++) {
      const char *pa, *pb;
      size_t g;
      seed = seed * 1103515245u + 12345u;
      g = (seed >> 16) % ng;
      pa = groups[g][(seed >> 8) % 4];
      seed = seed * 1103515245u + 12345u;
      /* Half the positions keep the character, half swap it. */
      pb = (seed >> 20) % 2 ? pa : groups[g][(seed >> 8) % 4];
      memcpy(a + al, pa, strlen(pa));
      al += strlen(pa);
      memcpy(b + bl, pb, strlen(pb));
      bl += strlen(pb);
    }
    ab = cc_name_compare(a, al, b, bl);
    ba = cc_name_compare(b, bl, a, al);
    ck_assert_int_eq(ab, ba);
    na = cc_name_pinyin_keys(ka, &ca, a, al);
    nb = cc_name_pinyin_keys(kb, &cb, b, bl);
    ck_assert(na >= 1 && nb >= 1);
    capped_seen += ca || cb;
    for (x = 0; x < na; x++)
      for (y = 0; y < nb; y++)
        meet |= ka[x] == kb[y];
    if (ab == CC_NAME_DIFFERENT) {
      different++;
    } else {
      homophones += ab == CC_NAME_HOMOPHONE;
      if (!ca && !cb)
        ck_assert_msg(meet, "round %d: no shared key", round);
    }
    single = na == 1 && nb == 1 && !ca && !cb;
    if (single)
      ck_assert_int_eq(ab != CC_NAME_DIFFERENT, ka[0] == kb[0]);
  }
  ck_assert_int_ge(homophones, 100);
  ck_assert_int_ge(different, 100);
  ck_assert_int_ge(capped_seen, 1);
}
END_TEST

static Suite *name_match_suite(void)
{
  Suite *s = suite_create("name_match");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  /* Generous: under ASan on a busy shared machine these take seconds. */
  tcase_set_timeout(core, 300);
  tcase_set_timeout(limits, 300);
  tcase_add_loop_test(core, test_name_match_pinyin_known_answers, 0,
                      (int)(sizeof key_rows / sizeof key_rows[0]));
  tcase_add_loop_test(core, test_name_match_compare_known_answers, 0,
                      (int)(sizeof cmp_rows / sizeof cmp_rows[0]));
  tcase_add_test(core, test_name_match_after_fold);
  tcase_add_loop_test(core, test_name_match_keys_known_answers, 0,
                      (int)(sizeof keys_rows / sizeof keys_rows[0]));
  tcase_add_test(core, test_name_match_keys_errors);
  tcase_add_test(core, test_name_match_keys_meet_rows);
  tcase_add_test(core, test_name_match_keys_meet_generated);
  tcase_add_test(limits, test_name_match_cap);
  tcase_add_test(limits, test_name_match_longest);
  tcase_add_test(limits, test_name_match_random_bound);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_run_suite(name_match_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
