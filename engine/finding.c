/*
 * finding.c - the finding type: storage, order and its JSON line.
 *
 * Owns: the vocabulary of a finding (types, policy reasons, match bases,
 * evidence fields and levels, states, responses' actions: English codes for
 * machines, Chinese for people), the storage of a list of findings (a chain
 * of blocks that lists can hand to each other, so per-thread lists are
 * merged without copying), the output order, and findings.jsonl's line
 * format (SPEC 3.1). It depends on no stage: the stages use it.
 * JSON strings are escaped here; bytes that are not UTF-8 (a roster may
 * hold any) are written as U+FFFD so every line is valid JSON.
 */
#include <stdio.h>
#include <stdlib.h>

#include <omp.h>
#include <string.h>

#include "chachong/record.h"
#include "buf_internal.h"
#include "finding_internal.h"

static const char *const type_code[CC_FT_COUNT_] = {
    "dual_enrollment",   "duplicate_record", "double_grant",
    "double_waiver",     "id_conflict",      "ineligible_grant",
    "ineligible_waiver", "subsidy_review"};
static const char *const type_zh[CC_FT_COUNT_] = {"双重学籍",
                                                  "同校重复注册",
                                                  "重复享受国家助学金",
                                                  "重复享受免学费",
                                                  "同一身份证号对应不同姓名",
                                                  "违规享受国家助学金",
                                                  "违规享受免学费",
                                                  "资助待核实"};

/* Policy reasons (SPEC 3.2): codes, Chinese names, and what to do. */
static const char *const reason_code[CC_REASON_COUNT_] = {
    "", "part_time", "third_year", "beyond_program", "over_age"};
static const char *const reason_zh[CC_REASON_COUNT_] = {
    "", "非全日制学生", "三年级及以上学生", "超学制年限", "大龄学生"};

const char *cc_finding_type_code(cc_finding_type t)
{
  return t < CC_FT_COUNT_ ? type_code[t] : "unknown";
}

const char *cc_finding_type_zh(cc_finding_type t)
{
  return t < CC_FT_COUNT_ ? type_zh[t] : "未知";
}

int cc_finding_type_is_policy(cc_finding_type t)
{
  return t >= CC_FT_POLICY_FIRST && t < CC_FT_COUNT_;
}

const char *cc_finding_reason_code(cc_finding_reason r)
{
  return r < CC_REASON_COUNT_ ? reason_code[r] : "unknown";
}

const char *cc_finding_reason_zh(cc_finding_reason r)
{
  return r < CC_REASON_COUNT_ ? reason_zh[r] : "未知";
}

int cc_finding_reason_parse(const char *code)
{
  int i;
  for (i = 1; i < CC_REASON_COUNT_; i++)
    if (strcmp(code, reason_code[i]) == 0)
      return i;
  return -1;
}

/* The fuzzy tier's match bases and evidence (SPEC 2.3, docs/FUZZY.md):
 * codes and the Chinese explanations auditors read. Their weights are the
 * fuzzy tier's (fuzzy.c). */
static const char *const basis_code[CC_BASIS_COUNT_] = {
    "id_exact", "id_typo", "name_birth", "reviewed"};
static const char *const field_code[CC_EV_COUNT_] = {"id", "name", "birth_date",
                                                     "sex", "region"};

typedef struct level_name {
  const char *code, *zh;
} level_name;

static const level_name id_levels[CC_IDL_COUNT_] = {
    {"one_substitution_check_fails",
     "身份证号仅一位数字不同，且其中一个校验码不符（典型录入错误）"},
    {"adjacent_swap_check_fails",
     "身份证号相邻两位颠倒，且其中一个校验码不符（典型录入错误）"},
    {"check_character_only", "身份证号仅校验码不同"},
    {"one_substitution_both_valid", "身份证号仅一位数字不同，两个号码均有效"},
    {"adjacent_swap_both_valid", "身份证号相邻两位颠倒，两个号码均有效"},
    {"different", "身份证号有多位不同"},
    {"one_digit_missing", "身份证号少录一位（17位），补上后与另一号码相同"},
};
static const level_name name_levels[3] = {
    {"equal", "姓名相同"},
    {"homophone", "姓名同音不同字（如拼音输入法选错字）"},
    {"different", "姓名不同"},
};
static const level_name birth_levels[3] = {
    {"equal", "出生日期相同"},
    {"different", "出生日期不同"},
    {"in_typo", "出生日期的差异即身份证号的录入错误所在"},
};
static const level_name sex_levels[3] = {
    {"equal", "性别相同"},
    {"different", "性别不同"},
    {"in_typo", "性别位的差异即身份证号的录入错误所在"},
};
static const level_name region_levels[4] = {
    {"county", "身份证号前六位（户籍县）相同"},
    {"province", "户籍省份相同，县不同"},
    {"different", "户籍省份不同"},
    {"in_typo", "户籍地代码的差异即身份证号的录入错误所在"},
};

static const level_name *level_of(int field, int level)
{
  static const level_name unknown = {"unknown", "未知"};
  switch (field) {
  case CC_EV_ID:
    return level >= 0 && level < CC_IDL_COUNT_ ? &id_levels[level] : &unknown;
  case CC_EV_NAME:
    return level >= 0 && level < 3 ? &name_levels[level] : &unknown;
  case CC_EV_BIRTH:
    return level >= 0 && level < 3 ? &birth_levels[level] : &unknown;
  case CC_EV_SEX:
    return level >= 0 && level < 3 ? &sex_levels[level] : &unknown;
  case CC_EV_REGION:
    return level >= 0 && level < 4 ? &region_levels[level] : &unknown;
  default:
    return &unknown;
  }
}

const char *cc_match_basis_code(cc_match_basis b)
{
  return b < CC_BASIS_COUNT_ ? basis_code[b] : "unknown";
}

const char *cc_evidence_field_code(int field)
{
  return field >= 0 && field < CC_EV_COUNT_ ? field_code[field] : "unknown";
}

const char *cc_evidence_level_code(int field, int level)
{
  return level_of(field, level)->code;
}

const char *cc_evidence_zh(int field, int level)
{
  return level_of(field, level)->zh;
}

/* States across months and the actions of schools (SPEC 3). */
static const char *const state_code[CC_STATE_COUNT_] = {"new", "open",
                                                        "overdue", "cleared"};
static const char *const state_zh[CC_STATE_COUNT_] = {"新发现", "整改中",
                                                      "已逾期", "已清理"};
static const char *const action_code[CC_ACTION_COUNT_] = {
    "none", "keep", "cancel_own", "ask_other"};
static const char *const action_zh[CC_ACTION_COUNT_] = {
    "无", "学生在本校就读，保留本校学籍", "已注销本校学籍",
    "已请对方学校注销学籍"};

const char *cc_finding_state_code(cc_finding_state s)
{
  return s < CC_STATE_COUNT_ ? state_code[s] : "unknown";
}

const char *cc_finding_state_zh(cc_finding_state s)
{
  return s < CC_STATE_COUNT_ ? state_zh[s] : "未知";
}

int cc_finding_state_parse(const char *code)
{
  int i;
  for (i = 0; i < CC_STATE_COUNT_; i++)
    if (strcmp(code, state_code[i]) == 0)
      return i;
  return -1;
}

const char *cc_response_action_code(cc_response_action a)
{
  return a < CC_ACTION_COUNT_ ? action_code[a] : "unknown";
}

const char *cc_response_action_zh(cc_response_action a)
{
  return a < CC_ACTION_COUNT_ ? action_zh[a] : "未知";
}

int cc_response_action_parse(const char *code)
{
  int i;
  for (i = 1; i < CC_ACTION_COUNT_; i++)
    if (strcmp(code, action_code[i]) == 0)
      return i;
  return -1;
}

int cc_finding_reason_fits(cc_finding_type t, cc_finding_reason r)
{
  switch (t) {
  case CC_FT_INELIGIBLE_GRANT:
    return r == CC_REASON_PART_TIME || r == CC_REASON_THIRD_YEAR ||
           r == CC_REASON_BEYOND_PROGRAM;
  case CC_FT_INELIGIBLE_WAIVER:
    return r == CC_REASON_PART_TIME || r == CC_REASON_BEYOND_PROGRAM;
  case CC_FT_SUBSIDY_REVIEW:
    return r == CC_REASON_OVER_AGE;
  default:
    return 0;
  }
}

const char *cc_finding_reason_todo_zh(cc_finding_type t, cc_finding_reason r)
{
  /* The notices' words: 000_ 二(二)1 (part-time students and trainees never
   * qualify), 001_ 四 (grants for years 1-2; 禁止超学制年限资助), 003_
   * (大龄人群 to be verified). */
  int grant = t == CC_FT_INELIGIBLE_GRANT;
  if (!cc_finding_reason_fits(t, r))
    return r != CC_REASON_NONE && r < CC_REASON_COUNT_ ? "请核实并处理。"
                                                       : NULL;
  switch (r) {
  case CC_REASON_PART_TIME:
    return grant ? "非全日制学生不得享受国家助学金：请退回已发放的助学金；"
                   "如该生实为全日制学生，请更正学籍系统中的学习形式。"
                 : "非全日制学生不得享受免学费：请退回已免除的学费资金；"
                   "如该生实为全日制学生，请更正学籍系统中的学习形式。";
  case CC_REASON_THIRD_YEAR:
    return "国家助学金只资助一、二年级学生：请退回三年级（及以上）学生领取的"
           "助学金；如年级登记有误，请更正学籍系统中的年级。";
  case CC_REASON_BEYOND_PROGRAM:
    return grant ? "禁止超学制年限资助：请退回超出学制年限发放的助学金；"
                   "如入学日期或学制登记有误，请予更正。"
                 : "禁止超学制年限资助：请退回超出学制年限免除的学费资金；"
                   "如入学日期或学制登记有误，请予更正。";
  case CC_REASON_OVER_AGE:
    return "大龄学生享受资助，需核实：请核实学生身份、年龄及是否在校就读"
           "（防止在籍不在校）；核实无误的可继续资助，否则停发并退回资金。";
  default:
    break;
  }
  return r != CC_REASON_NONE && r < CC_REASON_COUNT_ ? "请核实并处理。" : NULL;
}

void cc_finding_id_hex(char out[17], uint64_t id)
{
  static const char hex[] = "0123456789abcdef";
  int i;
  for (i = 15; i >= 0; i--, id >>= 4)
    out[i] = hex[id & 15];
  out[16] = '\0';
}

/* ------------------------------------------------------------------ */
/* Storage. */

typedef struct pool_block {
  struct pool_block *next;
  size_t used, cap;
  max_align_t data[];
} pool_block;

#define POOL_BLOCK (256 * 1024)

void *cc_finding_alloc(cc_finding_list *list, size_t n)
{
  pool_block *b = list->mem_;
  n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  if (b == NULL || b->cap - b->used < n) {
    size_t cap = n > POOL_BLOCK ? n : POOL_BLOCK;
    b = malloc(sizeof *b + cap);
    if (b == NULL)
      return NULL;
    b->used = 0;
    b->cap = cap;
    b->next = list->mem_;
    list->mem_ = b;
  }
  b->used += n;
  return (char *)b->data + b->used - n;
}

int cc_finding_strdup(cc_str *out, cc_finding_list *list, const char *p,
                      size_t n)
{
  char *copy = cc_finding_alloc(list, n ? n : 1);
  if (copy == NULL)
    return -1;
  memcpy(copy, p, n);
  out->ptr = copy;
  out->len = (uint32_t)n;
  return 0;
}

int cc_finding_push(cc_finding_list *list, const cc_finding *f)
{
  /* Capacity is kept as the next power of two above n. */
  size_t n = list->n;
  if ((n & (n - 1)) == 0 && n >= 8) {
    cc_finding *grown = realloc(list->items, n * 2 * sizeof *grown);
    if (grown == NULL)
      return -1;
    list->items = grown;
  } else if (n == 0) {
    /* An empty list may hold storage already (a merge of empty lists). */
    cc_finding *fresh = realloc(list->items, 8 * sizeof *fresh);
    if (fresh == NULL)
      return -1;
    list->items = fresh;
  }
  list->items[list->n++] = *f;
  return 0;
}

/* The capacity cc_finding_push keeps for n findings: 8, or the next power
 * of two at or above n. */
static size_t capacity_for(size_t n)
{
  size_t cap = 8;
  while (cap < n)
    cap *= 2;
  return cap;
}

int cc_finding_list_merge(cc_finding_list *dst, cc_finding_list *src)
{
  size_t n = dst->n + src->n;
  if (src->n) {
    /* One copy, not one push per finding (370,000 at national scale). */
    cc_finding *grown = realloc(dst->items, capacity_for(n) * sizeof *grown);
    if (grown == NULL)
      return -1;
    memcpy(grown + dst->n, src->items, src->n * sizeof *grown);
    dst->items = grown;
    dst->n = n;
  }
  cc_finding_list_adopt(dst, src);
  return 0;
}

void cc_finding_list_adopt(cc_finding_list *dst, cc_finding_list *src)
{
  pool_block *b = src->mem_;
  if (b) {
    pool_block *last = b;
    while (last->next)
      last = last->next;
    last->next = dst->mem_;
    dst->mem_ = b;
  }
  free(src->items);
  src->items = NULL;
  src->n = 0;
  src->mem_ = NULL;
}

void cc_finding_list_dispose(cc_finding_list *list)
{
  pool_block *b = list->mem_;
  while (b) {
    pool_block *next = b->next;
    free(b);
    b = next;
  }
  free(list->items);
  list->items = NULL;
  list->n = 0;
  list->mem_ = NULL;
}

static int finding_cmp(const void *pa, const void *pb)
{
  const cc_finding *a = pa, *b = pb;
  int c;
  if (a->type != b->type)
    return a->type < b->type ? -1 : 1;
  c = strcmp(a->id, b->id);
  if (c)
    return c;
  if (a->finding_id != b->finding_id)
    return a->finding_id < b->finding_id ? -1 : 1;
  return 0;
}

int cc_finding_cmp(const cc_finding *a, const cc_finding *b)
{
  return finding_cmp(a, b);
}

void cc_finding_list_sort_here(cc_finding_list *list)
{
  if (list->n >= 2)
    qsort(list->items, list->n, sizeof *list->items, finding_cmp);
}

/* First index of a[0, n) not less than x. */
static size_t lower_bound(const cc_finding *a, size_t n, const cc_finding *x)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (finding_cmp(&a[mid], x) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Merges src[i].items[from[i], to[i]) for i < k into out (k-way, with a
 * binary heap of the lists' heads). */
static void merge_parts(cc_finding *out, const cc_finding_list *src,
                        const size_t *from, const size_t *to, size_t *pos,
                        size_t *heap, size_t k)
{
  size_t h = 0, i, o = 0;
#define HEAD(q) (&src[heap[q]].items[pos[heap[q]]])
  for (i = 0; i < k; i++) {
    size_t c;
    pos[i] = from[i];
    if (from[i] == to[i])
      continue;
    heap[h] = i;
    for (c = h++; c > 0 && finding_cmp(HEAD(c), HEAD((c - 1) / 2)) < 0;
         c = (c - 1) / 2) {
      size_t t = heap[c];
      heap[c] = heap[(c - 1) / 2];
      heap[(c - 1) / 2] = t;
    }
  }
  while (h > 0) {
    size_t c = 0;
    out[o++] = *HEAD(0);
    if (++pos[heap[0]] == to[heap[0]])
      heap[0] = heap[--h];
    for (;;) {
      size_t l = 2 * c + 1, m = c, t;
      if (l < h && finding_cmp(HEAD(l), HEAD(m)) < 0)
        m = l;
      if (l + 1 < h && finding_cmp(HEAD(l + 1), HEAD(m)) < 0)
        m = l + 1;
      if (m == c)
        break;
      t = heap[c];
      heap[c] = heap[m];
      heap[m] = t;
      c = m;
    }
  }
#undef HEAD
}

int cc_finding_list_merge_sorted(cc_finding_list *dst, cc_finding_list *src,
                                 size_t k, int threads)
{
  /* The output is cut into `threads` parts at splitters taken from the
   * largest list: the lists hold disjoint hash ranges, so each is a fair
   * sample of the output order. Each part is merged on its own thread
   * into its own place; cut[t * k + i] is where part t starts in list i. */
  size_t n = 0, big = 0, i, *cut;
  cc_finding *items;
  int t, failed = 0;
  if (threads < 1)
    threads = 1;
  for (i = 0; i < k; i++) {
    n += src[i].n;
    if (src[i].n > src[big].n)
      big = i;
  }
  if (n < 20000)
    threads = 1;
  items = malloc(capacity_for(n) * sizeof *items);
  cut = malloc(((size_t)threads + 1) * (k ? k : 1) * sizeof *cut);
  if (items == NULL || cut == NULL) {
    free(items);
    free(cut);
    return -1;
  }
  for (i = 0; i < k; i++) {
    cut[i] = 0;
    cut[(size_t)threads * k + i] = src[i].n;
  }
  for (t = 1; t < threads; t++) {
    const cc_finding *splitter =
        &src[big].items[src[big].n * (size_t)t / (size_t)threads];
    for (i = 0; i < k; i++)
      cut[(size_t)t * k + i] = lower_bound(src[i].items, src[i].n, splitter);
  }
#pragma omp parallel num_threads(threads)
  {
    int me = omp_get_thread_num();
    size_t *scratch = malloc(2 * (k ? k : 1) * sizeof *scratch), at = 0, j;
    if (scratch == NULL) {
#pragma omp atomic write
      failed = 1;
    } else {
      for (j = 0; j < k; j++)
        at += cut[(size_t)me * k + j];
      merge_parts(items + at, src, cut + (size_t)me * k,
                  cut + ((size_t)me + 1) * k, scratch, scratch + k, k);
      free(scratch);
    }
  }
  free(cut);
  if (failed) {
    free(items);
    return -1;
  }
  cc_finding_list_dispose(dst);
  dst->items = items;
  dst->n = n;
  for (i = 0; i < k; i++)
    cc_finding_list_adopt(dst, &src[i]);
  return 0;
}

void cc_finding_list_sort(cc_finding_list *list)
{
  size_t n = list->n, half = n / 2, i = 0, j, k = 0;
  cc_finding *a = list->items, *merged;
  if (n < 2)
    return;
  /* National runs sort some 370,000 findings: the halves are sorted on two
   * threads and merged, so this step scales with the rest of compare. */
  merged = n >= 20000 ? malloc(n * sizeof *merged) : NULL;
  if (merged == NULL) {
    qsort(a, n, sizeof *a, finding_cmp);
    return;
  }
#pragma omp parallel sections num_threads(2)
  {
#pragma omp section
    qsort(a, half, sizeof *a, finding_cmp);
#pragma omp section
    qsort(a + half, n - half, sizeof *a, finding_cmp);
  }
  j = half;
  while (i < half && j < n)
    merged[k++] = finding_cmp(&a[j], &a[i]) < 0 ? a[j++] : a[i++];
  while (i < half)
    merged[k++] = a[i++];
  while (j < n)
    merged[k++] = a[j++];
  memcpy(a, merged, n * sizeof *a);
  free(merged);
}

/* ------------------------------------------------------------------ */
/* JSON. */

static void put_money(cc_buf *o, int64_t fen)
{
  char num[24];
  int len = cc_money_format(num, fen);
  cc_buf_put(o, num, (size_t)len);
}

static void put_kv_str(cc_buf *o, const char *key, const char *p, size_t n)
{
  cc_buf_put(o, "\"", 1);
  cc_buf_puts(o, key);
  cc_buf_put(o, "\": ", 3);
  cc_json_str(o, p, n);
}

size_t cc_finding_to_json(char *buf, size_t cap, const cc_finding *f,
                          const cc_finding_context *ctx)
{
  cc_buf o;
  char hex[17], date[11], num[32];
  uint32_t i;

  cc_buf_init_fixed(&o, buf, cap);
  cc_finding_id_hex(hex, f->finding_id);
  cc_buf_puts(&o, "{\"finding_id\": \"");
  cc_buf_puts(&o, hex);
  cc_buf_puts(&o, "\", \"type\": \"");
  cc_buf_puts(&o, cc_finding_type_code(f->type));
  cc_buf_puts(&o, "\", \"scope\": \"");
  cc_buf_puts(&o, f->cross ? "cross" : "within");
  cc_buf_puts(&o, "\", ");
  if (f->reason) {
    const char *zh = cc_finding_reason_zh((cc_finding_reason)f->reason);
    cc_buf_puts(&o, "\"reason\": \"");
    cc_buf_puts(&o, cc_finding_reason_code((cc_finding_reason)f->reason));
    cc_buf_puts(&o, "\", ");
    put_kv_str(&o, "reason_zh", zh, strlen(zh));
    cc_buf_puts(&o, ", ");
  }
  put_kv_str(&o, "period", ctx->period, strlen(ctx->period));
  cc_buf_puts(&o, ", \"person\": {");
  put_kv_str(&o, "id_number", f->id, strlen(f->id));
  cc_buf_puts(&o, ", ");
  put_kv_str(&o, "name", f->person_name.ptr, f->person_name.len);
  cc_buf_puts(&o,
              f->id_valid ? ", \"id_valid\": true" : ", \"id_valid\": false");
  if (!f->id_valid) {
    cc_buf_puts(&o, ", \"id_reason\": \"");
    cc_buf_puts(&o, cc_id_reason_code((cc_id_reason)f->id_reason));
    cc_buf_puts(&o, "\"");
  }
  if (f->basis == CC_BASIS_ID_EXACT) {
    cc_buf_puts(&o,
                "}, \"match\": {\"basis\": \"id_exact\", \"confidence\": 1.0}, "
                "\"members\": [");
  } else {
    uint8_t e;
    snprintf(num, sizeof num, "%.4f", f->confidence / 10000.0);
    cc_buf_puts(&o, "}, \"match\": {\"basis\": \"");
    cc_buf_puts(&o, cc_match_basis_code((cc_match_basis)f->basis));
    cc_buf_puts(&o, "\", \"confidence\": ");
    cc_buf_puts(&o, num);
    cc_buf_puts(&o, ", \"evidence\": [");
    for (e = 0; e < f->n_evidence && e < CC_EVIDENCE_MAX; e++) {
      const cc_evidence *ev = &f->evidence[e];
      const char *zh = cc_evidence_zh(ev->field, ev->level);
      if (e)
        cc_buf_puts(&o, ", ");
      cc_buf_puts(&o, "{\"field\": \"");
      cc_buf_puts(&o, cc_evidence_field_code(ev->field));
      cc_buf_puts(&o, "\", \"level\": \"");
      cc_buf_puts(&o, cc_evidence_level_code(ev->field, ev->level));
      snprintf(num, sizeof num, "\", \"weight\": %.1f, ", ev->weight10 / 10.0);
      cc_buf_puts(&o, num);
      put_kv_str(&o, "zh", zh, strlen(zh));
      cc_buf_puts(&o, "}");
    }
    cc_buf_puts(&o, "]}, \"members\": [");
  }
  for (i = 0; i < f->n_members; i++) {
    const cc_member *m = &f->members[i];
    if (i)
      cc_buf_puts(&o, ", ");
    cc_buf_puts(&o, "{");
    put_kv_str(&o, "roster", m->label.ptr, m->label.len);
    {
      /* By hand, not snprintf (see cc_money_format). */
      char digits[10];
      uint32_t v = m->line;
      int k = 0;
      do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
      } while (v);
      cc_buf_puts(&o, ", \"line\": ");
      while (k)
        cc_buf_put(&o, &digits[--k], 1);
      cc_buf_puts(&o, ", ");
    }
    put_kv_str(&o, "record_id", m->record_id.ptr, m->record_id.len);
    cc_buf_puts(&o, ", ");
    put_kv_str(&o, "school_code", m->school_code.ptr, m->school_code.len);
    cc_buf_puts(&o, ", ");
    put_kv_str(&o, "school_name", m->school_name.ptr, m->school_name.len);
    cc_buf_puts(&o, ", ");
    put_kv_str(&o, "region_code", m->region_code.ptr, m->region_code.len);
    cc_buf_puts(&o, ", ");
    put_kv_str(&o, "status", cc_status_zh((cc_status)m->status),
               strlen(cc_status_zh((cc_status)m->status)));
    cc_buf_puts(&o, ", ");
    put_kv_str(&o, "name", m->name.ptr, m->name.len);
    if (m->id.len) {
      cc_buf_puts(&o, ", ");
      put_kv_str(&o, "id_number", m->id.ptr, m->id.len);
    }
    cc_buf_puts(&o, ", \"grant_amount\": ");
    put_money(&o, m->grant);
    cc_buf_puts(&o, ", \"waiver_amount\": ");
    put_money(&o, m->waiver);
    cc_buf_puts(&o, "}");
  }
  cc_buf_puts(&o, "], \"amount_at_risk\": ");
  put_money(&o, f->amount_at_risk);
  cc_date_format(date, f->issued);
  cc_buf_puts(&o, ", \"issued\": \"");
  cc_buf_puts(&o, date);
  cc_date_format(date, f->deadline);
  cc_buf_puts(&o, "\", \"deadline\": \"");
  cc_buf_puts(&o, date);
  cc_buf_puts(&o, f->deadline_provisional
                      ? "\", \"deadline_provisional\": true"
                      : "\", \"deadline_provisional\": false");
  cc_buf_puts(&o, ", \"state\": \"");
  cc_buf_puts(&o, cc_finding_state_code((cc_finding_state)f->state));
  cc_buf_puts(&o, "\", ");
  put_kv_str(&o, "first_period", f->first_period, strlen(f->first_period));
  cc_date_format(date, f->seen);
  cc_buf_puts(&o, ", \"seen\": \"");
  cc_buf_puts(&o, date);
  cc_buf_puts(&o, "\"");
  if (f->state == CC_STATE_CLEARED) {
    cc_date_format(date, f->cleared);
    cc_buf_puts(&o, ", \"cleared\": \"");
    cc_buf_puts(&o, date);
    cc_buf_puts(&o, f->cleared_on_time ? "\", \"cleared_on_time\": true"
                                       : "\", \"cleared_on_time\": false");
  }
  cc_buf_puts(&o, f->claimed ? ", \"claimed_resolved\": true"
                             : ", \"claimed_resolved\": false");
  if (f->response_action) {
    const char *act =
        cc_response_action_code((cc_response_action)f->response_action);
    cc_date_format(date, f->response_date);
    cc_buf_puts(&o, ", \"response\": {\"action\": \"");
    cc_buf_puts(&o, act);
    cc_buf_puts(&o, "\", \"date\": \"");
    cc_buf_puts(&o, date);
    cc_buf_puts(&o, "\", ");
    put_kv_str(&o, "by", f->response_by.ptr, f->response_by.len);
    cc_buf_puts(&o, ", ");
    put_kv_str(&o, "school_code", f->response_school.ptr,
               f->response_school.len);
    cc_buf_puts(&o, ", ");
    put_kv_str(&o, "note", f->response_note.ptr, f->response_note.len);
    cc_buf_puts(&o, "}");
  }
  cc_buf_puts(&o, "}\n");
  return o.len;
}
