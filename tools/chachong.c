/*
 * chachong - the command table. Each command lives in tools/cmd_<name>.c
 * (its options: tools/options.h); this file dispatches, and keeps the exit
 * codes (tools/commands.h) with their descriptions in one place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chachong/chachong.h>

#include "commands.h"

#define CC_COMMAND_ENTRY(name) &cc_command_##name,
const cc_command *const cc_commands[] = {CC_COMMANDS(CC_COMMAND_ENTRY)};
#undef CC_COMMAND_ENTRY
const size_t cc_n_commands = sizeof cc_commands / sizeof cc_commands[0];

/* The exit codes, as README.md "The commands" gives them. */
const cc_exit_doc cc_exit_docs[] = {
    {CC_EXIT_OK, "ok", "success; findings are a result, not a failure", NULL},
    {CC_EXIT_INVALID, "some value not valid",
     "id: some value is not a valid ID number", "id"},
    {CC_EXIT_USAGE, "usage",
     "usage error: an unknown option, a required option or a value missing,\n"
     "a value not of the option's form (a number out of range, an unknown\n"
     "format); one line names it",
     NULL},
    {CC_EXIT_INPUT, "bad input",
     "bad input: a file, period, finding or database that does not exist, a\n"
     "missing required column, a bad date, an --out or --db folder that\n"
     "others can write, a roster stopped by a safety rail",
     NULL},
    {CC_EXIT_IO, "I/O or database error",
     "I/O or database error (a database map that could not be grown\n"
     "included)",
     NULL},
    {CC_EXIT_NOMEM, "out of memory", "out of memory", NULL},
    {CC_EXIT_BUSY, "busy",
     "another run holds the database or the output folder (the message\n"
     "names it: pid, host, start time, command)",
     NULL},
    {CC_EXIT_INTERRUPTED, "interrupted",
     "interrupted (SIGINT or SIGTERM); the database is unchanged", NULL},
};
const size_t cc_n_exit_docs = sizeof cc_exit_docs / sizeof cc_exit_docs[0];

const char cc_manual_description[] =
    "chachong finds students who are enrolled, or paid, twice across China's "
    "two national secondary-vocational student systems: the Ministry of "
    "Education's roster (about 13 million students) and the Ministry of "
    "Human Resources and Social Security's (about 4.5 million). Each month "
    "chachong run compares the rosters of one period and writes the "
    "findings (findings.jsonl) that schools must clear within 10 working "
    "days; export, query, report, resolve, review and audit work "
    "on the database it keeps.\n\n"
    "Personal data stays guarded: ID numbers are masked in messages, tables "
    "and reports unless asked for, files are created mode 0600 and folders "
    "0700, and every query and export is recorded in the audit log.";

int cc_exit_code(int rc)
{
  switch (rc) {
  case CC_OK:
    return CC_EXIT_OK;
  case CC_EINVALID:
  case CC_ENOTFOUND:
    return CC_EXIT_INPUT;
  case CC_ENOMEM:
    return CC_EXIT_NOMEM;
  case CC_EINTERRUPTED:
    return CC_EXIT_INTERRUPTED;
  case CC_EBUSY:
    return CC_EXIT_BUSY;
  default:
    return CC_EXIT_IO;
  }
}

int cc_cmd_open_existing(cc_db **out, const char *dir)
{
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  cc_db *db = NULL;
  int rc;
  /* Read-only first: it fails on a missing database instead of making one. */
  dbo.read_only = 1;
  rc = cc_db_open(&db, dir, &dbo);
  cc_db_close(db);
  *out = NULL;
  if (rc < 0)
    return rc;
  dbo.read_only = 0;
  return cc_db_open(out, dir, &dbo);
}

/*
 * `chachong run` starts itself again with two settings that the C library
 * and the OpenMP runtime read only when a program starts, each unless the
 * caller set it:
 *
 *   GLIBC_TUNABLES glibc.malloc.hugetlb=1  every malloc arena in big pages.
 *     The stages after the ingest malloc on their OpenMP threads, and glibc
 *     gives a thread its own arena, a map it advises MADV_HUGEPAGE only
 *     under this tunable (the main heap, where LMDB takes its pages, the
 *     library advises itself: engine/mem.c). At national scale (17.5
 *     million records) the run's page faults went from 210,000 to 53,000
 *     and the compare stage from 2.5 to 1.7 s.
 *   OMP_WAIT_POLICY=PASSIVE  a worker with nothing to do sleeps at once
 *     instead of spinning. On the 2-vCPU machines a spinning worker slowed
 *     the one that works (at 1M records, six runs each: 0.78 s against
 *     0.94 s median, 1.17 s of CPU against 1.72 s).
 *
 * bench/RESULTS.md has the figures. Any glibc.malloc.hugetlb value, or
 * OMP_WAIT_POLICY, the caller set is left as it is; if the restart fails,
 * the run goes on as it is.
 */
static void restart_tuned(char **argv)
{
#ifdef __GLIBC__
  const char *had = getenv("GLIBC_TUNABLES");
  const char *add = "glibc.malloc.hugetlb=1";
  char *old = had ? strdup(had) : NULL, *want = NULL;
  int set_tunable = 0, set_wait = getenv("OMP_WAIT_POLICY") == NULL;
  if (had && old == NULL)
    return;
  if (old == NULL || strstr(old, "glibc.malloc.hugetlb") == NULL) {
    size_t n = (old ? strlen(old) + 1 : 0) + strlen(add) + 1;
    if ((want = malloc(n)) != NULL) {
      snprintf(want, n, "%s%s%s", old ? old : "", old && *old ? ":" : "", add);
      set_tunable = setenv("GLIBC_TUNABLES", want, 1) == 0;
    }
  }
  if (set_wait)
    set_wait = setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0;
  if (set_tunable || set_wait) {
    execv("/proc/self/exe", argv);
    /* Not restarted: the environment as it was. */
    if (set_tunable && old)
      setenv("GLIBC_TUNABLES", old, 1);
    else if (set_tunable)
      unsetenv("GLIBC_TUNABLES");
    if (set_wait)
      unsetenv("OMP_WAIT_POLICY");
  }
  free(want);
  free(old);
#else
  (void)argv;
#endif
}

int main(int argc, char **argv)
{
  size_t i;
  if (argc < 2) {
    cc_commands_help(stderr);
    return CC_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    cc_commands_help(stdout);
    return CC_EXIT_OK;
  }
  if (strcmp(argv[1], "--man") == 0) {
    cc_manual_write(stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? CC_EXIT_OK : CC_EXIT_IO;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("chachong %s\n", CHACHONG_VERSION);
    return CC_EXIT_OK;
  }
  if (strcmp(argv[1], "run") == 0)
    restart_tuned(argv);
  for (i = 0; i < cc_n_commands; i++)
    if (strcmp(argv[1], cc_commands[i]->name) == 0)
      return cc_commands[i]->main(argc - 1, argv + 1);
  fprintf(stderr, "chachong: unknown command '%s'; see 'chachong --help'\n",
          argv[1]);
  return CC_EXIT_USAGE;
}
