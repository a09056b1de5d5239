/*
 * The service (SPEC 5, issue 14): `chachong serve` answers the JSON API and
 * the Chinese pages over HTTP or HTTPS, for accounts (account.h), each
 * within its scope, over the database the monthly run writes.
 */
#ifndef CHACHONG_SERVE_H
#define CHACHONG_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/index.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of cc_serve_start(); initialize with CC_SERVE_OPTIONS_INIT. */
typedef struct cc_serve_options {
  unsigned version;            /**< CC_SERVE_OPTIONS_VERSION */
  const char *listen;          /**< "HOST:PORT" (IPv4 address or "localhost";
                                   port 0: any free port) */
  const char *tls_cert;        /**< PEM certificate file: HTTPS; NULL: HTTP */
  const char *tls_key;         /**< PEM key file, with tls_cert */
  unsigned threads;            /**< worker threads; 0: 2 per core */
  unsigned max_connections;    /**< connections at once */
  unsigned per_ip_connections; /**< connections at once from one address */
  unsigned connection_timeout; /**< seconds a connection may stay silent
                                   (slow clients) */
  size_t max_body;             /**< bytes of a request body */
  size_t memory_limit;         /**< bytes per connection for the request
                                   line and headers (a larger header: 431) */
  unsigned idle_timeout;       /**< seconds a session lives unused */
  unsigned absolute_timeout;   /**< seconds a session lives at most */
  unsigned account_failures;   /**< failed logins of one name before it is
                                   locked for a while */
  unsigned address_failures;   /**< failed logins from one address before
                                   it is locked for a while */
  unsigned lockout_seconds;    /**< the first lock; doubles with each
                                   further failure, up to 15 minutes */
  unsigned max_sessions;       /**< sessions held at once */
  int audit_durable;           /**< 1: an answer waits until its audit
                                   entry is synced (fdatasync), not only
                                   written to the audit store */
} cc_serve_options;

#define CC_SERVE_OPTIONS_VERSION 2 /* 2: audit_durable */
#define CC_SERVE_OPTIONS_INIT                                                  \
  {                                                                            \
    CC_SERVE_OPTIONS_VERSION, "127.0.0.1:8080", NULL, NULL, 0, 512, 64, 30,    \
        64 * 1024, 32 * 1024, 30 * 60, 12 * 3600, 5, 20, 60, 100000, 0         \
  }

/** A running service. Opaque. */
typedef struct cc_server cc_server;

/**
 * Starts the service on its own threads and returns.
 * @param[out] out the service, to stop with cc_serve_stop(); NULL on error
 * @param db       opened read-write (answers and the audit log are written);
 *                 it must outlive the service
 * @return 0; CC_EINVALID (options, certificate); CC_EIO when the address
 *         cannot be bound; CC_ENOMEM.
 */
int cc_serve_start(cc_server **out, cc_db *db, const cc_serve_options *opts);

/** The TCP port the service listens on (when asked for port 0). */
unsigned cc_serve_port(const cc_server *s);

/** Stops the service: waits for the requests under way; NULL is allowed. */
void cc_serve_stop(cc_server *s);

#ifdef __cplusplus
}
#endif
#endif
