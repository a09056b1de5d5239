/*
 * The audit log: who exported or queried what ("谁导出、谁负责", POLICY).
 * Every query, export, report and resolve adds one entry, in the database.
 */
#ifndef CHACHONG_AUDIT_H
#define CHACHONG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/index.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One audit entry. */
typedef struct cc_audit_entry {
  int64_t when;        /**< Unix seconds */
  char user[64];       /**< the operator: --user, else the login name */
  char command[32];    /**< "query", "export", "report", "resolve", "run" */
  char what[1024];     /**< what was asked (options; IDs masked) */
  uint64_t records;    /**< how many records or findings came back */
} cc_audit_entry;

/**
 * The operator to record: `given` when not NULL/empty, else the login name
 * of the process's user (getpwuid), else "uid:N".
 * @param[out] out at least 64 bytes
 */
void cc_audit_user(char *out, const char *given);

/**
 * Appends an entry (its own write transaction).
 * @return 0 or an error code; a failed audit write must stop the export.
 */
int cc_audit_record(cc_db *db, const cc_audit_entry *e);

/**
 * One line of the audit listing, tab-separated: time (UTC, ISO 8601),
 * user, command, records, what, and a line feed. Entries keep the text as
 * given; here every control character (a tab or line break in --user,
 * --by or --note included) is shown as a visible escape (cc_text_visible;
 * backslashes doubled in the user), so that no entry can print a line or
 * a column of its own.
 *
 * @param[out] out cap bytes, NUL-terminated (cut when too small)
 * @return the length of the whole line (as snprintf)
 */
size_t cc_audit_format(char *out, size_t cap, const cc_audit_entry *e);

/**
 * Lists entries, oldest first, optionally only those with when >= since.
 * @param[out] out malloc'd array (free it); NULL when none
 */
int cc_audit_list(cc_audit_entry **out, size_t *n, cc_db *db, int64_t since);

#ifdef __cplusplus
}
#endif
#endif
