/*
 * chachong serve - serves the findings of a database to accounts (SPEC 5):
 * the JSON API and the Chinese pages, over HTTP or, with a certificate,
 * HTTPS. Runs until SIGINT or SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

static int cmd_serve(int argc, char **argv);

enum {
  OPT_DB = CC_OPT_KEY,
  OPT_LISTEN,
  OPT_CERT,
  OPT_KEY,
  OPT_THREADS,
  OPT_IDLE,
  OPT_ABSOLUTE,
  OPT_MAXCONN,
  OPT_PERIP,
  OPT_CONNTIMEOUT,
  OPT_LOCKOUT,
  OPT_AUDIT_DURABLE
};

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED, "the database of chachong run"},
    {"listen", OPT_LISTEN, "HOST:PORT", CC_OPT_REQUIRED,
     "IPv4 address (or localhost) and port"},
    {"tls-cert", OPT_CERT, "FILE", 0,
     "PEM certificate: serve HTTPS (recommended beyond localhost)"},
    {"tls-key", OPT_KEY, "FILE", 0, "PEM private key of --tls-cert"},
    {"threads", OPT_THREADS, "N", 0, "worker threads (default: 2 per core)"},
    {"idle-timeout", OPT_IDLE, "S", 0,
     "a session ends after S seconds unused (default 1800)"},
    {"absolute-timeout", OPT_ABSOLUTE, "S", 0,
     "a session ends S seconds after login (default 43200)"},
    {"max-connections", OPT_MAXCONN, "N", 0,
     "connections at once (default 512)"},
    {"per-ip-connections", OPT_PERIP, "N", 0,
     "connections at once from one address (default 64)"},
    {"connection-timeout", OPT_CONNTIMEOUT, "S", 0,
     "a silent connection is closed after S seconds (default 30)"},
    {"lockout", OPT_LOCKOUT, "S", 0,
     "first lock after repeated failed logins (default 60)"},
    {"audit-durable", OPT_AUDIT_DURABLE, NULL, 0,
     "hold each answer until its audit entry is synced to disk, not only "
     "written (slower while a run writes)"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_serve = {
    "serve",
    cmd_serve,
    "serve findings to accounts over HTTP(S), each within its scope",
    "chachong serve --db DIR --listen HOST:PORT [--tls-cert FILE --tls-key "
    "FILE]\n"
    "    [--threads N] [--idle-timeout S] [--absolute-timeout S]\n"
    "    [--max-connections N] [--per-ip-connections N]\n"
    "    [--connection-timeout S] [--lockout S]\n"
    "    [--audit-durable]",
    "Serves the findings of the database to accounts (SPEC 5): the JSON API\n"
    "and the Chinese pages, over HTTP or, with a certificate, HTTPS, until\n"
    "SIGINT or SIGTERM. Accounts: chachong user add.\n"
    "Every call that returns personal data is written to the audit store\n"
    "(audit-serve.log) before its answer leaves and synced to disk right\n"
    "behind it; --audit-durable makes the answer wait for the sync too.",
    NULL,
    options,
    NULL,
};

static int cmd_serve(int argc, char **argv)
{
  cc_serve_options so = CC_SERVE_OPTIONS_INIT;
  const char *db_dir = NULL;
  cc_server *srv = NULL;
  cc_db *db = NULL;
  cc_args args;
  sigset_t set;
  long v;
  int key, rc, sig;

  so.listen = NULL;
  cc_args_init(&args, &cc_command_serve, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    switch (key) {
    case OPT_DB:
      db_dir = args.value;
      continue;
    case OPT_LISTEN:
      so.listen = args.value;
      continue;
    case OPT_CERT:
      so.tls_cert = args.value;
      continue;
    case OPT_KEY:
      so.tls_key = args.value;
      continue;
    case OPT_AUDIT_DURABLE:
      so.audit_durable = 1;
      continue;
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_serve);
      return CC_EXIT_OK;
    case OPT_THREADS:
    case OPT_IDLE:
    case OPT_ABSOLUTE:
    case OPT_MAXCONN:
    case OPT_PERIP:
    case OPT_CONNTIMEOUT:
    case OPT_LOCKOUT:
      break;
    default:
      return CC_EXIT_USAGE;
    }
    if (cc_args_number(&args, 1, 10000000, &v) != 0)
      return CC_EXIT_USAGE;
    switch (key) {
    case OPT_THREADS:
      so.threads = (unsigned)v;
      break;
    case OPT_IDLE:
      so.idle_timeout = (unsigned)v;
      break;
    case OPT_ABSOLUTE:
      so.absolute_timeout = (unsigned)v;
      break;
    case OPT_MAXCONN:
      so.max_connections = (unsigned)v;
      break;
    case OPT_PERIP:
      so.per_ip_connections = (unsigned)v;
      break;
    case OPT_CONNTIMEOUT:
      so.connection_timeout = (unsigned)v;
      break;
    default:
      so.lockout_seconds = (unsigned)v;
      break;
    }
  }
  /* Signals are waited for, not handled: the service's threads never see
   * them (the mask is inherited by every thread started below). */
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if ((rc = cc_cmd_open_existing(&db, db_dir)) < 0 ||
      (rc = cc_serve_start(&srv, db, &so)) < 0) {
    fprintf(stderr, "chachong serve: %s\n", cc_error_last());
    cc_db_close(db);
    return cc_exit_code(rc);
  }
  fprintf(stderr, "chachong serve: listening on %s port %u (%s)\n", so.listen,
          cc_serve_port(srv), so.tls_cert ? "https" : "http");
  sigwait(&set, &sig);
  fprintf(stderr, "chachong serve: stopping\n");
  cc_serve_stop(srv);
  cc_db_close(db);
  return CC_EXIT_OK;
}
