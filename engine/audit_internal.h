/* The audit log's entry layout (private: audit.c, and review.c, which
 * writes a decision and its audit entry in one transaction). */
#ifndef CC_AUDIT_INTERNAL_H
#define CC_AUDIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/audit.h"

/*
 * Records the entry of an action taken now by `user` (cc_audit_user:
 * --user, else the login name): command, the records it concerned and
 * what was done, as printf's format and arguments (cut at the entry's
 * size). The library's actions call this (cc_audit_record) so that every
 * caller leaves an entry.
 */
int cc_audit_action(cc_db *db, const char *user, const char *command,
                    uint64_t records, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

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

/* The service's audit store: the file beside the environment (layout and
 * the reasons at the top of audit.c). */
#define CC_AUDIT_FILE "audit-serve.log"

/* Its path, "<db dir>/audit-serve.log", into out. */
void cc_audit_file_path(char *out, size_t cap, cc_db *db);

/* The store open for appending, with its committer thread. */
typedef struct cc_audit_log cc_audit_log;

/* Called by the committer once an entry's batch is written (rc 0; also
 * durable when the store was opened durable) or has failed (rc < 0,
 * cc_error_last() on the calling thread says why). */
typedef void (*cc_audit_done)(void *ctx, int rc);

/* Opens (creates, mode 0600) the store of a writable database and starts
 * its committer. durable: the committer syncs each batch before its
 * callbacks are called; else they are called once it is written, and a
 * syncer thread makes it durable behind them (top of audit.c). */
int cc_audit_log_open(cc_audit_log **out, cc_db *db, int durable);

/* Writes what is queued, syncs it and stops both threads: every callback
 * has been called when it returns, and a later submit fails. NULL is
 * allowed. */
void cc_audit_log_stop(cc_audit_log *log);

/* Stops the store (cc_audit_log_stop) and closes it; NULL is allowed. */
void cc_audit_log_close(cc_audit_log *log);

/*
 * Queues n entries (1 to 8, an os_user of "" stored as
 * cc_audit_os_user()'s) to be written together in the next batch; done(ctx,
 * rc) is called from the committer thread when it is written (durable:
 * synced), never from
 * inside this call. Returns 0, or an error (then done is never called).
 */
int cc_audit_log_submit(cc_audit_log *log, const cc_audit_entry *e, size_t n,
                        cc_audit_done done, void *ctx);

/* Queues one entry and waits until it is written as submit's callback is
 * called (a call that changes something records its entry first). */
int cc_audit_log_write(cc_audit_log *log, const cc_audit_entry *e);

/* Waits until everything written is synced; 0, or the store's failed
 * sync (kept: every later submit fails too). */
int cc_audit_log_synced(cc_audit_log *log);

/* Tests: when set, every fdatasync of the store fails with EIO. */
extern int cc_audit_fail_sync;

/* The entries queued and the batches written since the store was opened. */
void cc_audit_log_stats(cc_audit_log *log, uint64_t *entries,
                        uint64_t *batches);

#endif
