/*
 * chachong - the command table. Each command lives in tools/cmd_<name>.c;
 * this file only dispatches and keeps the exit codes in one place.
 */
#include <stdio.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

static const struct command {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
} commands[] = {
    {"run", cc_cmd_run, "run the monthly cross-check of one period"},
    {"id", cc_cmd_id, "clean and check ID numbers"},
    {"workdays", cc_cmd_workdays, "working-day arithmetic (clearing deadlines)"},
    {"resolve", cc_cmd_resolve, "record a school's response to a finding"},
    {"import-responses", cc_cmd_import_responses,
     "record the answers in school packages sent back (xlsx or CSV)"},
    {"review", cc_cmd_review, "record a reviewer's decision: same person or not"},
    {"audit", cc_cmd_audit, "list who queried, exported or resolved what"},
    {"query", cc_cmd_query, "find findings by ID, name, school, region, type, state"},
    {"export", cc_cmd_export, "write each school's cases (xlsx + CSV) and roll-ups for a period"},
    {"report", cc_cmd_report, "write the HTML report of a period (nation or region)"},
    {"user", cc_cmd_user, "add, list, disable, enable accounts of the service; API tokens"},
    {"serve", cc_cmd_serve, "serve findings to accounts over HTTP(S), each within its scope"},
};

int cc_exit_code(int rc)
{
  switch (rc) {
  case CC_OK: return CC_EXIT_OK;
  case CC_EINVALID:
  case CC_ENOTFOUND: return CC_EXIT_INPUT;
  case CC_ENOMEM: return CC_EXIT_NOMEM;
  case CC_EINTERRUPTED: return CC_EXIT_INTERRUPTED;
  case CC_EBUSY: return CC_EXIT_BUSY;
  default: return CC_EXIT_IO;
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

static void usage(FILE *out)
{
  size_t i;
  fprintf(out, "usage: chachong COMMAND [OPTIONS]\n\ncommands:\n");
  for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'chachong COMMAND --help' describes a command.\n"
               "exit codes: 0 ok, 2 usage, 3 bad input, 4 I/O or database error,\n"
               "            5 out of memory, 6 another run holds the database or\n"
               "            output folder, 130 interrupted\n");
}

int main(int argc, char **argv)
{
  size_t i;
  if (argc < 2) {
    usage(stderr);
    return CC_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return CC_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("chachong %s\n", CHACHONG_VERSION);
    return CC_EXIT_OK;
  }
  for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "chachong: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return CC_EXIT_USAGE;
}
