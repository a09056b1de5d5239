/* Policy findings from the rules' hits (private: run.c). */
#ifndef CC_POLICY_INTERNAL_H
#define CC_POLICY_INTERNAL_H

#include "chachong/policy.h"

/*
 * Appends the finding of one hit on record r of roster `label` to list
 * (its strings copied into the list): one member, the record's ID and
 * name, amount_at_risk = hit->amount, finding_id from the type, the
 * cleaned ID, the school and the reason (docs/RULES.md). -1 when out of
 * memory.
 */
int cc_policy_finding_add(cc_finding_list *list, const cc_policy_hit *hit,
                          const cc_record *r, const char *label);

/*
 * Moves the findings of parts[0, k) into out (emptied first), sorted, with
 * findings of equal finding_id (one person registered twice at one school,
 * both records against the same rule) made one finding with both members
 * and both amounts. The parts are left empty. -1 when out of memory.
 */
int cc_policy_findings_gather(cc_finding_list *out, cc_finding_list *parts,
                              size_t k);

#endif
