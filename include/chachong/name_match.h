/*
 * Names compared by sound: the toneless pinyin key of a folded name, the
 * keys of all its readings for blocking, and the equal / homophone /
 * different relation of the fuzzy tier (docs/FUZZY.md).
 *
 * Readings: every reading a character has in names counts. The table is
 * generated at build time (engine/gen/gen_pinyin_table.c) from Unihan's
 * kMandarin, kTGHZ2013 (通用规范汉字字典) and kXHC1983 (现代汉语词典)
 * readings (kHanyuPinyin for characters those two lack; ICU's Han-Latin for
 * the few Unihan has no reading for), neutral tones dropped (地 de, 著 zhe),
 * and for the heteronyms of given names restricted to the readings names
 * use, primary first: 长 cháng (not zhǎng), 晟 shèng (not chéng), 珩 héng,
 * 靓 liàng, 琢 zhuó, 焘 tāo, 著 zhù, 似 sì, 乐 lè (yuè is the surname's);
 * 行 xíng / háng, 朝 zhāo / cháo and 重 zhòng / chóng keep both. At most
 * CC_NAME_READINGS_MAX per character.
 * The first character of a name is read as a surname when it is one: 曾
 * zēng, 单 shàn, 仇 qiú, 查 zhā, 解 xiè, 朴 piáo, 区 ōu, 盖 gě, 薄 bó, 拓 tuò,
 * 覃 qín / tán; compound surnames read as a unit: 尉迟 yù chí, 万俟 mò qí,
 * 长孙 zhǎng sūn, 单于 chán yú, 澹台 tán tái, 拓跋 / 拓拔 tuò bá. Tones are
 * not kept; ü is written "v".
 */
#ifndef CHACHONG_NAME_MATCH_H
#define CHACHONG_NAME_MATCH_H

#include <stddef.h>
#include <stdint.h>

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

/** Most readings kept for one character (the primary one first). */
#define CC_NAME_READINGS_MAX 4

/** Most keys cc_name_pinyin_keys() returns for one name. */
#define CC_NAME_PINYIN_KEYS_MAX 4

/** How two folded names relate (the name field of the fuzzy tier). */
typedef enum cc_name_relation {
  CC_NAME_EQUAL = 0,     /**< the same bytes after folding */
  CC_NAME_HOMOPHONE = 1, /**< other characters, every one sharing a reading
                              with its counterpart (张伟 / 张玮, 李晟 / 李盛) */
  CC_NAME_DIFFERENT = 2  /**< anything else (蒋经国 / 蒋纬国) */
} cc_name_relation;

/**
 * The toneless pinyin key of a folded name read by the primary reading of
 * each character: the key of one reading, for display and for callers that
 * want one; blocking uses cc_name_pinyin_keys().
 *
 * - Each Han character becomes its primary toneless lower-case syllable, ü
 *   written "v" as input methods type it: 吕 "lv", 鲁 "lu", 略 "lve"; 长
 *   "chang", 晟 "sheng", 行 "xing" (its other reading hang is not in this
 *   key).
 * - The first character of the name takes its primary reading as a surname
 *   when it has a special one: 曾 "zeng", 单 "shan", 仇 "qiu", 查 "zha", 解
 *   "xie", 朴 "piao", 区 "ou", 盖 "ge", 乐 "yue", 缪 "miao", 翟 "zhai", 覃
 *   "qin", 薄 "bo", ... and a name starting with a compound surname reads
 *   both of its characters so: 尉迟 "yu chi", 万俟 "mo qi", 长孙 "zhang sun",
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
 * So two names have the same key when their primary readings are alike
 * character by character: 张伟 / 张玮 "zhang wei", and 曾伟 / 增伟 "zeng
 * wei"; homophones through another reading (王行 / 王航, "wang xing" and
 * "wang hang") have different keys here.
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
 *       point. The table is generated at build time from Unihan and ICU
 *       (engine/gen/gen_pinyin_table.c, which also holds the name and
 *       surname lists) and compiled in; neither is read at run time.
 */
int cc_name_pinyin(char *out, size_t cap, size_t *out_len, const char *folded,
                   size_t len);

/**
 * The blocking keys of a folded name: the 64-bit XXH3 hashes of the keys
 * (as cc_name_pinyin() writes them) of its combinations of readings, so
 * that names cc_name_compare() calls equal or homophones share a key.
 *
 * - out[0] is always the hash of the primary key: XXH3_64bits() of what
 *   cc_name_pinyin() writes. The others are distinct.
 * - A name whose positions have at most CC_NAME_PINYIN_KEYS_MAX
 *   combinations of readings gets all of them: 张伟 1 key; 王行 2 ("wang
 *   xing", "wang hang"); 乐行 4 (乐 as a surname: yuè, lè). Then *capped
 *   is 0, and: whenever
 *   cc_name_compare(a, b) is EQUAL or HOMOPHONE and neither name was
 *   capped, the key sets of a and b intersect (the shared reading of every
 *   position is one combination of each).
 * - A name with more combinations (乐重行: 2 x 2 x 2) is capped: it gets the primary
 *   combination, then those that change one position from it, left to
 *   right, CC_NAME_PINYIN_KEYS_MAX in all, and *capped is 1. A homophone of
 *   a capped name may share no key with it (rare: 5 of 249,659 real names,
 *   bench/RESULTS.md).
 * - The empty name has one key, the hash of "".
 *
 * @param[out] out    the keys, out[0] the primary one
 * @param[out] capped 1 when the name was capped, else 0 (may be NULL)
 * @param folded      a name as cc_name_fold() returns it, UTF-8 (need not
 *                    be terminated; may be NULL when len is 0)
 * @param len         its length in bytes
 * @return the number of keys (1 to CC_NAME_PINYIN_KEYS_MAX); CC_EINVALID
 *         when `folded` is not valid UTF-8 (a NUL byte counts as invalid);
 *         CC_ENOMEM when a key is longer than CC_NAME_PINYIN_MAX (a name
 *         longer than any cc_name_fold() returns).
 * @note Thread-safe, no allocation: one walk over the name to count its
 *       readings, one per key to write and hash it (on the stack).
 */
int cc_name_pinyin_keys(uint64_t out[CC_NAME_PINYIN_KEYS_MAX], int *capped,
                        const char *folded, size_t len);

/**
 * How two folded names relate: CC_NAME_EQUAL when their bytes are equal;
 * CC_NAME_HOMOPHONE when they have the same number of positions and every
 * position shares at least one reading with its counterpart; otherwise
 * CC_NAME_DIFFERENT. Both ways round give the same answer.
 *
 * - A position is one code point; the first is read by its surname
 *   readings when it is a surname (单伟 / 善伟 homophones, shàn; 王单 /
 *   王善 different, dān), and a compound surname is its two characters with
 *   their surname readings (拓跋宏 / 拓拔宏 homophones).
 * - Heteronyms: 李晟 / 李盛 (shèng), 王珩 / 王恒 (héng), 王长青 / 王常青
 *   (cháng), 刘靓 / 刘亮 (liàng) are homophones; 李晟 / 李成, 王长青 /
 *   王章青, 薄磊 / 鲍磊 (bó, bào) are different.
 * - A code point without a reading (Latin, digits, the middle dot, a Han
 *   character without one such as 𠮷) must be the same on both sides: the
 *   middle dots of minority names must align. Siblings 蒋经国 / 蒋纬国 are
 *   different ("jing" is not "wei"); 买买提 / 买买题 are homophones ("ti"),
 *   but not 买买提 / 买买堤 (堤 is "di"); names of different lengths are
 *   different.
 *
 * @param a    a folded name, UTF-8 (may be NULL when alen is 0)
 * @param alen its length in bytes
 * @param b    the other folded name
 * @param blen its length in bytes
 * @return the relation. Unequal names that are not valid UTF-8, or longer
 *         than CC_NAME_MAX (than any name cc_name_fold() returns), are
 *         CC_NAME_DIFFERENT.
 * @note Thread-safe, no allocation; does not touch cc_error_last(). One
 *       table lookup per code point and at most 16 small-integer compares
 *       per position; stops at the first position that differs.
 */
cc_name_relation cc_name_compare(const char *a, size_t alen, const char *b,
                                 size_t blen);

#ifdef __cplusplus
}
#endif
#endif
