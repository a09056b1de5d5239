/* The fuzzy tier's run (private: run.c). */
#ifndef CC_FUZZY_INTERNAL_H
#define CC_FUZZY_INTERNAL_H

#include <stdio.h>

#include "chachong/fuzzy.h"
#include "chachong/name_match.h"
#include "chachong/record.h"
#include "chachong/review.h"
#include "person_internal.h"
#include "store_internal.h"

/* A record whose ID is invalid: the starting point of a typo search. */
typedef struct cc_typo_seed {
  uint64_t hash; /* XXH3-64 of its cleaned ID (its idx key) */
  uint32_t line;
  uint16_t roster;
  uint8_t id_len;
  char id[CC_ID_MAX + 1];
} cc_typo_seed;

/*
 * The IDs of a generation as a bit set, for the typo search: bit
 * (hash >> shift) set for every idx entry's hash. A clear bit proves that
 * no record has the ID; a set one sends the search to the index (an ID
 * absent from the rosters finds its bit set with probability about
 * n / 2^(64 - shift), at most 1/8). Nearly every variant of a mistyped ID
 * the search tries is nobody's, and each one looked up in the index costs a
 * descent at a random place of the file.
 */
typedef struct cc_id_filter {
  uint64_t *bits; /* 2^(64 - shift) bits; NULL: every ID may be there */
  unsigned shift;
} cc_id_filter;

/* Builds f over the n entries e (sorted by hash, as the index stage leaves
 * them: the bits are set in order); 0 or CC_ENOMEM. */
int cc_id_filter_build(cc_id_filter *f, const cc_index_entry *e, size_t n);
/* 0 when no entry has this hash; 1 when one may (or f has no bits). */
static inline int cc_id_filter_may_have(const cc_id_filter *f, uint64_t hash)
{
  uint64_t b;
  if (f == NULL || f->bits == NULL)
    return 1;
  b = hash >> f->shift;
  return (int)(f->bits[b >> 6] >> (b & 63) & 1);
}
void cc_id_filter_free(cc_id_filter *f);

/* Most blocking keys of one record: two per reading of its name. */
#define CC_FUZZY_BLOCK_KEYS_MAX (2 * CC_NAME_PINYIN_KEYS_MAX)

/* The blocking keys of a record (docs/FUZZY.md): for each combination of
 * its name's readings (cc_name_pinyin_keys), XXH3-64 of that reading with
 * (1) its birth date and sex (out[2i]), (2) its county and sequence digits
 * 15-16 (out[2i + 1]). Returns how many (2 to CC_FUZZY_BLOCK_KEYS_MAX), or
 * 0 when the record cannot be blocked (an ID of 16 or 17 digits, an empty
 * name, a name that is not text). */
int cc_fuzzy_block_keys(uint64_t out[CC_FUZZY_BLOCK_KEYS_MAX],
                        const cc_record *r);

typedef struct cc_fuzzy_stats {
  uint64_t candidates;   /* pairs scored */
  uint64_t links;        /* pairs linked into persons */
  uint64_t possible;     /* pairs written for review, all reasons */
  uint64_t both_valid;   /* of them: above the threshold, two valid IDs */
  uint64_t ambiguous;    /* of them: a link that would merge two valid IDs */
  uint64_t names_differ; /* of them: above the threshold, names differ */
  uint64_t reviewed_same, reviewed_different; /* pairs a reviewer decided */
  uint64_t groups;      /* persons made of two or more IDs */
  cc_fuzzy_model model; /* the weights the month was scored with */
} cc_fuzzy_stats;

/*
 * The fuzzy tier over generation `gen` (its idx database): finds
 * candidate pairs from the typo seeds (whose variants are looked up only
 * where `ids`, which may be NULL, may have them) and the blocks (`blocks`: entries of
 * blocks of two or more, sorted by (key, roster, line); the blocks live in
 * memory for the run only, never in the database), in parallel, scores
 * them, writes the possible matches to `possible` (JSON lines; may be
 * NULL), links the pairs above the upper threshold into persons and appends
 * their findings to `out`. `reviews` (may be NULL) are the reviewers'
 * decisions: a pair decided `different` is never linked, one decided
 * `same` is linked whatever its score, even when no search met it.
 * Records of a generic ID (`generic`, from the exact walk; may be NULL)
 * are neither searched for typos nor paired.
 */
int cc_fuzzy_run(cc_finding_list *out, cc_fuzzy_stats *stats, FILE *possible,
                 cc_db *db, uint32_t gen, const char *const *labels,
                 const cc_typo_seed *seeds, size_t n_seeds,
                 const cc_id_filter *ids, const cc_block_entry *blocks,
                 size_t n_blocks, const cc_review_set *reviews,
                 const cc_generic_ids *generic, int threads);

/*
 * cc_fuzzy_run over the generation g (from cc_store_gen_open, or in
 * memory: cc_store_gen_memory), without the members' texts of the
 * findings it appends: the caller fills them from the stored generation
 * (cc_person_fill_text, from the findings `out` held before the call).
 */
int cc_fuzzy_run_gen(cc_finding_list *out, cc_fuzzy_stats *stats,
                     FILE *possible, const cc_gen *g, const char *const *labels,
                     const cc_typo_seed *seeds, size_t n_seeds,
                     const cc_id_filter *ids, const cc_block_entry *blocks,
                     size_t n_blocks, const cc_review_set *reviews,
                     const cc_generic_ids *generic, int threads);

#endif
