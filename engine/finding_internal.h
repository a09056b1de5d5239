/* Building finding lists (private to the engine: compare.c, run.c). */
#ifndef CC_FINDING_INTERNAL_H
#define CC_FINDING_INTERNAL_H

#include "chachong/finding.h"

/* Allocates n bytes owned by the list (freed by cc_finding_list_dispose). */
void *cc_finding_alloc(cc_finding_list *list, size_t n);
/* Copies a string into the list's storage. */
int cc_finding_strdup(cc_str *out, cc_finding_list *list, const char *p,
                      size_t n);
/* Appends a finding (shallow copy; its pointers must be list-owned). */
int cc_finding_push(cc_finding_list *list, const cc_finding *f);
/* Moves every finding and all storage of src to the end of dst. */
int cc_finding_list_merge(cc_finding_list *dst, cc_finding_list *src);

/* The output order of findings (cc_finding_list_sort). */
int cc_finding_cmp(const cc_finding *a, const cc_finding *b);
/* Sorts a list on the calling thread. */
void cc_finding_list_sort_here(cc_finding_list *list);
/* Replaces dst (disposed first) by the merge of k sorted lists, on up to
 * `threads` threads, taking over their storage; src are left empty. -1
 * when out of memory (then nothing has moved). */
int cc_finding_list_merge_sorted(cc_finding_list *dst, cc_finding_list *src,
                                 size_t k, int threads);

#endif
