/*
 * The rules of docs/RULES.md for the records of one person (person.c),
 * which the exact walk (compare.c) and the fuzzy tier (fuzzy.c) both
 * apply, and the generic IDs that both leave out.
 */
#ifndef CC_PERSON_INTERNAL_H
#define CC_PERSON_INTERNAL_H

#include "chachong/finding.h"
#include "store_internal.h"

/* What the rules need besides the records; one per thread. */
typedef struct cc_person {
  cc_finding_list *list;     /* findings are appended here */
  const char *const *labels; /* roster labels, by roster number */
  const cc_finding *match;   /* NULL: the exact tier (basis id_exact,
                                 confidence 1); else the fuzzy group's
                                 basis, confidence and evidence */
  size_t *pick, pick_cap;    /* scratch: indexes of a finding's members */
} cc_person;

/*
 * Applies docs/RULES.md to the records of one person, it[0..n), n >= 2,
 * sorted by roster then line, appending the findings to p->list. For a
 * fuzzy group (p->match set) only findings whose members hold two or more
 * IDs are made, and no id_conflict. Returns 0 or an error code.
 */
int cc_person_rules(cc_person *p, const cc_index_item *it, size_t n);
/*
 * The members of the findings list->items[from..n) get their text (name,
 * record_id, school code and name, region code) from the rec database of
 * g, and each finding its person_name (the name of the first member
 * carrying the finding's ID, else of its first member): cc_person_rules
 * leaves them empty, since looking each member up as its finding is made
 * costs a random descent and page fault per member. Here they are read in
 * file order on `threads` threads. Returns 0 or an error code.
 */
int cc_person_fill_text(cc_finding_list *list, size_t from, const cc_gen *g,
                        int threads);
/* Frees p's scratch (not the list). */
void cc_person_dispose(cc_person *p);

/* Copies a stored record's texts (name, record_id, school code and name,
 * region code) into a member, the strings into l. */
int cc_person_member_text(cc_member *m, cc_finding_list *l,
                          const cc_index_rec *r);

/* Orders items by (cleaned ID, roster, line). */
int cc_person_item_cmp(const cc_index_item *a, const cc_index_item *b);

/* Schools listed for a generic ID, and the bytes of a code kept. */
#define CC_GENERIC_SCHOOLS_SHOWN 5
#define CC_GENERIC_CODE_MAX 40

/*
 * An ID carried by more records than any person could have (docs/RULES.md
 * "Data quality": a placeholder or a system's test ID). It is reported
 * once and never expanded into findings.
 */
typedef struct cc_generic_id {
  uint64_t hash;          /* XXH3-64 of the cleaned ID (the idx key) */
  char id[CC_ID_MAX + 1]; /* the cleaned ID */
  uint64_t records;       /* records under it, every roster */
  uint64_t schools;       /* distinct (roster, school code) among them */
  uint8_t n_shown;        /* entries of shown[] */
  struct {
    uint16_t roster;
    char code[CC_GENERIC_CODE_MAX + 1]; /* cut at CC_GENERIC_CODE_MAX bytes */
  } shown
      [CC_GENERIC_SCHOOLS_SHOWN]; /* the first schools, (roster, line) order */
} cc_generic_id;

/* The generic IDs of a generation, sorted by (hash, id). */
typedef struct cc_generic_ids {
  cc_generic_id *items;
  size_t n, cap;
} cc_generic_ids;

/*
 * 1 when (hash, id) is one of g's generic IDs: the fuzzy tier calls this
 * to leave such records out of its blocks and typo seeds, as the exact
 * walk leaves them out of its groups. With id NULL, the hash alone is
 * matched (for the blocking entries, which carry the ID's hash only; a
 * person whose ID's XXH3-64 equals a generic ID's would be left out too).
 * g may be NULL (then 0). Binary search; safe from any number of threads.
 */
int cc_generic_ids_has(const cc_generic_ids *g, uint64_t hash, const char *id,
                       size_t id_len);

/* Sorts g's items by (hash, id), the order cc_generic_ids_has needs. */
void cc_generic_ids_sort(cc_generic_ids *g);

void cc_generic_ids_dispose(cc_generic_ids *g);

#endif
