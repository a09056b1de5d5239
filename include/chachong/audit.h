/*
 * The audit log: who exported or queried what ("谁导出、谁负责", POLICY).
 * Every query, export, report, resolve, review and import-responses adds
 * one entry, in the database, with the operator named (--user, else the
 * login name) and, beside it, the operating-system account of the process
 * that wrote it (os_user), whatever --user says.
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
  int64_t when;     /**< Unix seconds */
  char user[64];    /**< the operator: --user, else the login name */
  char command[32]; /**< "query", "export", "report", "resolve", "run" */
  char what[1024];  /**< what was asked (options; IDs masked) */
  uint64_t records; /**< how many records or findings came back */
  char os_user[64]; /**< the operating-system account of the process
                            that wrote the entry (getpwuid(geteuid())):
                            cc_audit_record fills it in when left "";
                            "" in entries written before it was kept */
} cc_audit_entry;

/**
 * The operator to record: `given` when not NULL/empty, else the process's
 * operating-system account (cc_audit_os_user).
 * @param[out] out at least 64 bytes
 */
void cc_audit_user(char *out, const char *given);

/**
 * The operating-system account of the process: the name of its effective
 * user (getpwuid(geteuid())), else "uid:N" when it has none.
 * @param[out] out at least 64 bytes
 */
void cc_audit_os_user(char *out);

/**
 * Appends an entry (its own write transaction). An entry whose os_user is
 * "" is stored with cc_audit_os_user()'s.
 * @return 0 or an error code; a failed audit write must stop the export.
 */
int cc_audit_record(cc_db *db, const cc_audit_entry *e);

/**
 * One line of the audit listing, tab-separated: time (UTC, ISO 8601),
 * user, command, records, what, os_user, and a line feed. Entries keep the text as
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
