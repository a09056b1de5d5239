/*
 * chachong serve - serves the findings of a database to accounts (SPEC 5):
 * the JSON API and the Chinese pages, over HTTP or, with a certificate,
 * HTTPS. Runs until SIGINT or SIGTERM.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

static const char usage_text[] =
    "usage: chachong serve --db DIR --listen HOST:PORT [--tls-cert FILE --tls-key FILE]\n"
    "           [--threads N] [--idle-timeout S] [--absolute-timeout S]\n"
    "           [--max-connections N] [--connection-timeout S]\n"
    "\n"
    "  --listen HOST:PORT   IPv4 address (or localhost) and port\n"
    "  --tls-cert, --tls-key  PEM files: serve HTTPS (recommended beyond localhost)\n"
    "  --threads N          worker threads (default: 2 per core)\n"
    "  --idle-timeout S     a session ends after S seconds unused (default 1800)\n"
    "  --absolute-timeout S a session ends S seconds after login (default 43200)\n"
    "  --max-connections N  connections at once (default 512)\n"
    "  --connection-timeout S  a silent connection is closed after S seconds (30)\n"
    "  --lockout S          first lock after repeated failed logins (default 60)\n"
    "\n"
    "Accounts: chachong user add --db DIR NAME --role ROLE [--scope CODE]\n";

static unsigned number(const char *v, const char *opt, int *bad)
{
  char *end;
  unsigned long n = strtoul(v, &end, 10);
  if (*end || *v == '\0' || n == 0 || n > 10000000) {
    fprintf(stderr, "chachong serve: %s takes a positive number\n", opt);
    *bad = 1;
  }
  return (unsigned)n;
}

int cc_cmd_serve(int argc, char **argv)
{
  static const struct option opts[] = {
      {"db", required_argument, NULL, 'd'},
      {"listen", required_argument, NULL, 'l'},
      {"tls-cert", required_argument, NULL, 'c'},
      {"tls-key", required_argument, NULL, 'k'},
      {"threads", required_argument, NULL, 't'},
      {"idle-timeout", required_argument, NULL, 'i'},
      {"absolute-timeout", required_argument, NULL, 'a'},
      {"max-connections", required_argument, NULL, 'm'},
      {"connection-timeout", required_argument, NULL, 'T'},
      {"lockout", required_argument, NULL, 'L'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  cc_serve_options so = CC_SERVE_OPTIONS_INIT;
  const char *db_dir = NULL;
  cc_server *srv = NULL;
  cc_db *db = NULL;
  sigset_t set;
  int c, bad = 0, rc, sig;

  so.listen = NULL;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
    switch (c) {
    case 'd': db_dir = optarg; break;
    case 'l': so.listen = optarg; break;
    case 'c': so.tls_cert = optarg; break;
    case 'k': so.tls_key = optarg; break;
    case 't': so.threads = number(optarg, "--threads", &bad); break;
    case 'i': so.idle_timeout = number(optarg, "--idle-timeout", &bad); break;
    case 'a': so.absolute_timeout = number(optarg, "--absolute-timeout", &bad); break;
    case 'm': so.max_connections = number(optarg, "--max-connections", &bad); break;
    case 'T': so.connection_timeout = number(optarg, "--connection-timeout", &bad); break;
    case 'L': so.lockout_seconds = number(optarg, "--lockout", &bad); break;
    case 'h': fputs(usage_text, stdout); return CC_EXIT_OK;
    case ':':
      fprintf(stderr, "chachong serve: %s needs a value\n", argv[optind - 1]);
      return CC_EXIT_USAGE;
    default:
      fprintf(stderr, "chachong serve: unknown option '%s'\n%s", argv[optind - 1],
              usage_text);
      return CC_EXIT_USAGE;
    }
  }
  if (bad)
    return CC_EXIT_USAGE;
  if (db_dir == NULL || so.listen == NULL || optind < argc) {
    fprintf(stderr, "chachong serve: --db and --listen are required\n%s", usage_text);
    return CC_EXIT_USAGE;
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
