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
  uint64_t hash;            /* XXH3-64 of its cleaned ID (its idx key) */
  uint32_t line;
  uint16_t roster;
  uint8_t id_len;
  char id[CC_ID_MAX + 1];
} cc_typo_seed;

/* Most blocking keys of one record: two per reading of its name. */
#define CC_FUZZY_BLOCK_KEYS_MAX (2 * CC_NAME_PINYIN_KEYS_MAX)

/* The blocking keys of a record (docs/FUZZY.md): for each combination of
 * its name's readings (cc_name_pinyin_keys), XXH3-64 of that reading with
 * (1) its birth date and sex (out[2i]), (2) its county and sequence digits
 * 15-16 (out[2i + 1]). Returns how many (2 to CC_FUZZY_BLOCK_KEYS_MAX), or
 * 0 when the record cannot be blocked (an ID of 16 or 17 digits, an empty
 * name, a name that is not text). */
int cc_fuzzy_block_keys(uint64_t out[CC_FUZZY_BLOCK_KEYS_MAX], const cc_record *r);

typedef struct cc_fuzzy_stats {
  uint64_t candidates;  /* pairs scored */
  uint64_t links;       /* pairs linked into persons */
  uint64_t possible;    /* pairs written for review, all reasons */
  uint64_t both_valid;  /* of them: above the threshold, two valid IDs */
  uint64_t ambiguous;   /* of them: a link that would merge two valid IDs */
  uint64_t names_differ; /* of them: above the threshold, names differ */
  uint64_t reviewed_same, reviewed_different; /* pairs a reviewer decided */
  uint64_t groups;      /* persons made of two or more IDs */
  cc_fuzzy_model model; /* the weights the month was scored with */
} cc_fuzzy_stats;

/*
 * The fuzzy tier over generation `gen` (its idx database): finds
 * candidate pairs from the typo seeds and the blocks (`blocks`: entries of
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
                 const cc_block_entry *blocks, size_t n_blocks,
                 const cc_review_set *reviews, const cc_generic_ids *generic,
                 int threads);

#endif
