/* The audit log's entry layout (private: audit.c, and review.c, which
 * writes a decision and its audit entry in one transaction). */
#ifndef CC_AUDIT_INTERNAL_H
#define CC_AUDIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/audit.h"

/* The sub-database of the log (layout at the top of audit.c). */
#define CC_AUDIT_DB "audit"
/* Its key: u64 microseconds | u32 process id. */
#define CC_AUDIT_KEY_LEN 12
/* The longest value. */
#define CC_AUDIT_VALUE_MAX (8 + 8 + 1 + 64 + 1 + 32 + 2 + 1024 + 1 + 64)

/*
 * Encodes an entry: its key, whose first 8 bytes (the time) are left 0 for
 * cc_db_put_timed / cc_db_put_timed_n to write at offset 0, and its value
 * into val (CC_AUDIT_VALUE_MAX bytes). Returns the value's length.
 */
size_t cc_audit_encode(uint8_t key[CC_AUDIT_KEY_LEN], uint8_t *val,
                       const cc_audit_entry *e);

#endif
