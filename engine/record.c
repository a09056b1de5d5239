/*
 * record.c - the normalized roster row and the vocabulary around it.
 *
 * Owns: the column names of SPEC section 1 (Chinese canonical, English
 * aliases), the seven enrollment statuses, money cells (parsed to fen so
 * that sums are exact), the reject reasons of docs/RULES.md and the ID hash
 * that keys the index. Everything here is a pure function over bytes, used
 * by ingest (to build records), by compare (statuses, money) and by the
 * outputs (names, codes).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <xxhash.h>

#include "chachong/record.h"
#include "utf8_internal.h"

static const char *const column_zh[CC_COL_COUNT] = {
    "身份证号",     "姓名",     "学校代码", "学籍状态", "学校名称",
    "所在地区代码", "学籍号",   "学习形式", "年级",     "入学日期",
    "学制",         "专业名称", "助学金",   "免学费"};

static const char *const column_en[CC_COL_COUNT] = {
    "id_number",     "name",      "school_code",  "status",       "school_name",
    "region_code",   "record_id", "study_mode",   "grade",        "enroll_date",
    "program_years", "major",     "grant_amount", "waiver_amount"};

const char *cc_column_name_zh(cc_column col)
{
  return column_zh[col];
}
const char *cc_column_name_en(cc_column col)
{
  return column_en[col];
}

/* Trims ASCII white space and U+3000 / U+00A0 around a cell. */
static inline void trim(const char **p, size_t *len)
{
  const unsigned char *s = (const unsigned char *)*p;
  size_t n = *len;
  /* Ingest hands over cells it has trimmed already (all but '\n'): when
   * the end bytes cannot belong to a blank (one starts with a byte <= ' ',
   * E3 or C2 and ends with one <= ' ', 80 or A0), there is nothing to do. */
  if (n == 0 || (s[0] > ' ' && s[0] != 0xE3 && s[0] != 0xC2 && s[n - 1] > ' ' &&
                 s[n - 1] != 0x80 && s[n - 1] != 0xA0))
    return;
  utf8_trim_blanks(&s, &n, 1);
  *p = (const char *)s;
  *len = n;
}

int cc_column_lookup(const char *header, size_t len)
{
  int i;
  trim(&header, &len);
  for (i = 0; i < CC_COL_COUNT; i++) {
    size_t zl = strlen(column_zh[i]);
    size_t el = strlen(column_en[i]);
    if (len == zl && memcmp(header, column_zh[i], zl) == 0)
      return i;
    if (len == el && strncasecmp(header, column_en[i], el) == 0)
      return i;
  }
  return -1;
}

/* The words with their lengths, worked out by the compiler: this runs
 * once per roster row. */
typedef struct word {
  const char *s;
  size_t n;
} word;
#define WORD(lit)                                                              \
  {                                                                            \
    lit, sizeof lit - 1                                                        \
  }

static const word status_zh[CC_STATUS_COUNT_] = {
    WORD(""),     WORD("在籍"), WORD("休学"), WORD("退学"),
    WORD("转学"), WORD("毕业"), WORD("结业"), WORD("注销")};
static const word status_en[CC_STATUS_COUNT_] = {
    WORD(""),          WORD("enrolled"),    WORD("suspended"),
    WORD("withdrawn"), WORD("transferred"), WORD("graduated"),
    WORD("completed"), WORD("cancelled")};

cc_status cc_status_parse(const char *text, size_t len)
{
  int i;
  trim(&text, &len);
  for (i = 1; i < CC_STATUS_COUNT_; i++) {
    /* The first byte settles most mismatches without a call. */
    if (len == status_zh[i].n && text[0] == status_zh[i].s[0] &&
        memcmp(text, status_zh[i].s, len) == 0)
      return (cc_status)i;
    if (len == status_en[i].n && strncasecmp(text, status_en[i].s, len) == 0)
      return (cc_status)i;
  }
  return CC_STATUS_UNKNOWN;
}

const char *cc_status_zh(cc_status st)
{
  return st > 0 && st < CC_STATUS_COUNT_ ? status_zh[st].s : "";
}

int cc_status_holds(cc_status st)
{
  return st == CC_STATUS_ENROLLED || st == CC_STATUS_SUSPENDED;
}

/* isdigit() without its table lookup through __ctype_b_loc (isdigit is
 * 0-9 in every locale). */
static inline int is_digit(unsigned char c)
{
  return (unsigned)(c - '0') < 10u;
}

int cc_money_parse(int64_t *out_fen, const char *text, size_t len)
{
  const unsigned char *s;
  size_t i = 0;
  int64_t yuan = 0, fen = 0;
  int digits = 0, decimals = 0, group = -1;

  trim(&text, &len);
  s = (const unsigned char *)text;
  *out_fen = 0;
  if (len == 0)
    return 0;
  if (len >= 2 && s[0] == 0xC2 && s[1] == 0xA5) /* ¥ U+00A5 */
    i = 2;
  else if (len >= 3 && s[0] == 0xEF && s[1] == 0xBF && s[2] == 0xA5) /* ￥ */
    i = 3;
  for (; i < len && s[i] != '.'; i++) {
    if (s[i] == ',') {
      /* A group separator needs 1-3 digits before the first one and exactly
       * three between the others. */
      if (digits == 0 || (group >= 0 && group != 3) ||
          (group < 0 && digits > 3))
        return -1;
      group = 0;
      continue;
    }
    if (!is_digit(s[i]))
      return -1;
    if (yuan > (INT64_MAX / 100 - 9) / 10)
      return -1;
    yuan = yuan * 10 + (s[i] - '0');
    digits++;
    if (group >= 0)
      group++;
  }
  if (digits == 0 || (group >= 0 && group != 3))
    return -1;
  if (i < len) { /* s[i] == '.' */
    for (i++; i < len; i++) {
      if (!is_digit(s[i]) || decimals == 2)
        return -1;
      fen = fen * 10 + (s[i] - '0');
      decimals++;
    }
    if (decimals == 1)
      fen *= 10;
  }
  *out_fen = yuan * 100 + fen;
  return 0;
}

int cc_money_format(char *buf, int64_t fen)
{
  /* By hand, not snprintf: the findings' JSON writes three amounts per
   * member, millions of them in a national run. */
  char digits[20];
  uint64_t u = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
  uint64_t yuan = u / 100;
  unsigned cents = (unsigned)(u % 100);
  int n = 0, k = 0;
  if (fen < 0)
    buf[n++] = '-';
  do {
    digits[k++] = (char)('0' + yuan % 10);
    yuan /= 10;
  } while (yuan);
  while (k)
    buf[n++] = digits[--k];
  if (cents) {
    buf[n++] = '.';
    buf[n++] = (char)('0' + cents / 10);
    if (cents % 10)
      buf[n++] = (char)('0' + cents % 10);
  }
  buf[n] = '\0';
  return n;
}

static const struct {
  const char *code, *zh;
} rejects[CC_REJ_COUNT_] = {
    [CC_REJ_NONE] = {"none", "无"},
    [CC_REJ_UNTERMINATED_QUOTE] = {"unterminated_quote",
                                   "引号未闭合，该行无法解析"},
    [CC_REJ_FIELD_TOO_LONG] = {"field_too_long", "字段超长（超过64KB）"},
    [CC_REJ_BAD_TEXT] = {"bad_text", "字段含无法识别的字符编码"},
    [CC_REJ_ID_EMPTY] = {"id_empty", "身份证号为空"},
    [CC_REJ_ID_SCIENTIFIC] = {"id_scientific_notation",
                              "身份证号被Excel转为科学计数法，原号码已丢失"},
    [CC_REJ_ID_NOT_DIGITS] = {"id_not_digits", "身份证号含非数字字符"},
    [CC_REJ_ID_TOO_SHORT] = {"id_too_short", "身份证号不足15位"},
    [CC_REJ_ID_TOO_LONG] = {"id_too_long", "身份证号超过18位"},
    [CC_REJ_NAME_EMPTY] = {"name_empty", "姓名为空"},
    [CC_REJ_NAME_TOO_LONG] = {"name_too_long", "姓名超长"},
    [CC_REJ_SCHOOL_CODE_EMPTY] = {"school_code_empty", "学校代码为空"},
    [CC_REJ_SCHOOL_CODE_TOO_LONG] = {"school_code_too_long",
                                     "学校代码超过255字节"},
    [CC_REJ_STATUS_EMPTY] = {"status_empty", "学籍状态为空"},
    [CC_REJ_STATUS_UNKNOWN] = {"status_unknown", "学籍状态不是规定的七种之一"},
    [CC_REJ_AMOUNT_INVALID] = {"amount_invalid", "助学金或免学费金额无效"},
    [CC_REJ_STRAY_QUOTE] =
        {"stray_quote",
         "引号未闭合，吞并了后面的行；本行作废，后面的行照常读取"},
};

const char *cc_reject_code_str(cc_reject_code code)
{
  return code < CC_REJ_COUNT_ ? rejects[code].code : "unknown";
}

const char *cc_reject_code_zh(cc_reject_code code)
{
  return code < CC_REJ_COUNT_ ? rejects[code].zh : "未知原因";
}

uint64_t cc_id_hash(const char *id, size_t len)
{
  return XXH3_64bits(id, len);
}
