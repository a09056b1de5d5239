/*
 * Names compared by sound: the toneless pinyin key of a folded name and the
 * equal / homophone / different relation of the fuzzy tier (docs/FUZZY.md).
 */
#ifndef CHACHONG_NAME_MATCH_H
#define CHACHONG_NAME_MATCH_H

#include <stddef.h>

#include "chachong/normalize_name.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Longest pinyin key of a name of CC_NAME_MAX bytes, without the NUL: a Han
 * character of 3 or 4 bytes gives at most 6 letters and 2 spaces, anything
 * else gives its own bytes, so a key is at most 3 times its name.
 */
#define CC_NAME_PINYIN_MAX (3 * CC_NAME_MAX)

/** How two folded names relate (the name field of the fuzzy tier). */
typedef enum cc_name_relation {
  CC_NAME_EQUAL = 0,     /**< the same bytes after folding */
  CC_NAME_HOMOPHONE = 1, /**< other characters, the same pinyin key
                              (张伟 / 张玮) */
  CC_NAME_DIFFERENT = 2  /**< anything else (蒋经国 / 蒋纬国) */
} cc_name_relation;

/**
 * The toneless pinyin key of a folded name, for comparing names by sound
 * and for the blocking key of the fuzzy tier.
 *
 * - Each Han character becomes its toneless lower-case syllable, ü written
 *   "v" as input methods type it: 吕 "lv", 鲁 "lu", 略 "lve". A polyphonic
 *   character gets its first reading in ICU's Han-Latin transliteration
 *   (which is Unihan's kMandarin, e.g. 长 "zhang", 曾 "ceng").
 * - The first character of the name takes its reading as a surname when it
 *   has a special one: 曾 "zeng", 单 "shan", 仇 "qiu", 查 "zha", 解 "xie",
 *   朴 "piao", 区 "ou", 盖 "ge", 乐 "yue", 缪 "miao", 翟 "zhai", 覃 "qin",
 *   黑 "he", ... and a name starting with a compound surname reads both of
 *   its characters so: 尉迟 "yu chi", 万俟 "mo qi", 长孙 "zhang sun",
 *   单于 "chan yu", 澹台 "tan tai". Only the first character of the whole
 *   name: after a middle dot it is a given name, not a surname.
 * - Every other code point (Latin letters, upper-case as the fold left
 *   them; digits; the middle dot U+00B7) is copied as it is, and so is a
 *   Han character without a reading (𠮷 U+20BB7).
 * - One space (0x20, which folded names never hold) separates a Han
 *   character from its neighbours, except next to a middle dot: 曾伟
 *   "zeng wei", 西安 "xi an" (not 先 "xian"), 阿依古丽·买买提
 *   "a yi gu li·mai mai ti", 张A "zhang A", JOHN "JOHN".
 *
 * So two names have the same key when they read alike character by
 * character: 张伟 / 张玮 "zhang wei", and 曾伟 / 增伟 "zeng wei".
 *
 * @param[out] out     the key, NUL-terminated; "" on error (when cap > 0)
 * @param cap          size of out; CC_NAME_PINYIN_MAX + 1 is enough for any
 *                     name cc_name_fold() returns, 3 * len + 1 for any input
 * @param[out] out_len length of the key without the NUL; 0 on error
 * @param folded       a name as cc_name_fold() returns it, UTF-8 (need not be
 *                     terminated; may be NULL when len is 0)
 * @param len          its length in bytes; 0 gives the empty key
 * @return 0; CC_EINVALID when `folded` is not valid UTF-8 (a NUL byte counts
 *         as invalid); CC_ENOMEM when the key does not fit in cap.
 * @note Thread-safe, no locks, no allocation: one table lookup per code
 *       point. The table is generated at build time from ICU
 *       (engine/gen/gen_pinyin_table.c, which also holds the surname lists)
 *       and compiled in; ICU is not called.
 */
int cc_name_pinyin(char *out, size_t cap, size_t *out_len, const char *folded,
                   size_t len);

/**
 * How two folded names relate: CC_NAME_EQUAL when their bytes are equal,
 * CC_NAME_HOMOPHONE when their pinyin keys (cc_name_pinyin()) are equal,
 * CC_NAME_DIFFERENT otherwise. Siblings 蒋经国 / 蒋纬国 are different
 * ("jing" is not "wei"); 买买提 / 买买题 are homophones ("ti"), but not
 * 买买提 / 买买堤 (堤 is "di"); names of different lengths are different.
 *
 * @param a    a folded name, UTF-8 (may be NULL when alen is 0)
 * @param alen its length in bytes
 * @param b    the other folded name
 * @param blen its length in bytes
 * @return the relation. Unequal names without a key of at most
 *         CC_NAME_PINYIN_MAX bytes (invalid UTF-8, or longer than any name
 *         cc_name_fold() returns) are CC_NAME_DIFFERENT.
 * @note Thread-safe, no allocation; does not touch cc_error_last().
 */
cc_name_relation cc_name_compare(const char *a, size_t alen, const char *b,
                                 size_t blen);

#ifdef __cplusplus
}
#endif
#endif
