/*
 * What the service reads from a period beyond its findings
 * (engine/enrollment_store.c).
 */
#ifndef CC_SERVE_STORE_INTERNAL_H
#define CC_SERVE_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/index.h"

/* An active enrollment of a person. */
typedef struct cc_enrollment {
  char label[33];        /* roster label */
  char school_code[256]; /* as registered */
  char school_name[256]; /* as registered, or "" */
  uint8_t status;        /* cc_status: enrolled or suspended */
} cc_enrollment;

/*
 * The records of a period whose cleaned ID is id and whose status holds an
 * enrollment (在籍, 休学), in index order (roster, line).
 * @param[out] out malloc'd (free it); NULL when none
 * @return 0; CC_ENOTFOUND when the period is not held; CC_EIO; CC_ENOMEM.
 */
int cc_db_enrollments(cc_enrollment **out, size_t *n, cc_db *db,
                      const char *period, const char *id, size_t id_len);

#endif
