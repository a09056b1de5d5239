/*
 * chachong audit - lists the audit log: who queried, exported, reported or
 * resolved what, and how many records came back ("谁导出、谁负责").
 * One line per entry, tab-separated: time, user, command, records, what,
 * os_user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

static int cmd_audit(int argc, char **argv);

enum { OPT_DB = CC_OPT_KEY, OPT_SINCE };

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED, "the database of chachong run"},
    {"since", OPT_SINCE, "YYYY-MM-DD", 0,
     "only entries from this day on (UTC)"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_audit = {
    "audit",
    cmd_audit,
    "list who queried, exported or resolved what",
    "chachong audit --db DIR [--since YYYY-MM-DD]",
    "One line per entry, oldest first, tab-separated: time, user, command,\n"
    "records, what, os_user (the operating-system account that ran it).",
    NULL,
    options,
    NULL,
};

static int cmd_audit(int argc, char **argv)
{
  const char *db_dir = NULL;
  cc_date since_date = 0;
  int64_t since = 0;
  cc_db *db = NULL;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  cc_audit_entry *list = NULL;
  cc_args args;
  size_t n = 0, i;
  int rc, key;

  cc_args_init(&args, &cc_command_audit, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    switch (key) {
    case OPT_DB:
      db_dir = args.value;
      break;
    case OPT_SINCE:
      if (cc_date_parse(&since_date, args.value) < 0) {
        fprintf(stderr, "chachong audit: --since: %s\n", cc_error_last());
        return CC_EXIT_INPUT;
      }
      since = (int64_t)since_date * 86400;
      break;
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_audit);
      return CC_EXIT_OK;
    default:
      return CC_EXIT_USAGE;
    }
  }
  dbo.read_only = 1;
  if ((rc = cc_db_open(&db, db_dir, &dbo)) < 0 ||
      (rc = cc_audit_list(&list, &n, db, since)) < 0) {
    fprintf(stderr, "chachong audit: %s\n", cc_error_last());
    cc_db_close(db);
    return cc_exit_code(rc);
  }
  for (i = 0; i < n; i++) {
    /* Control characters in an entry are shown as escapes: no entry can
     * print a line of its own (cc_audit_format). */
    char line[8192];
    cc_audit_format(line, sizeof line, &list[i]);
    fputs(line, stdout);
  }
  free(list);
  cc_db_close(db);
  return CC_EXIT_OK;
}
