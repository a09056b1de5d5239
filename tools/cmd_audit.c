/*
 * chachong audit - lists the audit log: who queried, exported, reported or
 * resolved what, and how many records came back ("谁导出、谁负责").
 * One line per entry, tab-separated: time, user, command, records, what,
 * os_user (the operating-system account beside --user).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

int cc_cmd_audit(int argc, char **argv)
{
  const char *db_dir = NULL;
  cc_date since_date = 0;
  int64_t since = 0;
  cc_db *db = NULL;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  cc_audit_entry *list = NULL;
  size_t n = 0, i;
  int rc, k;

  for (k = 1; k < argc; k++) {
    const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      printf("usage: chachong audit --db DIR [--since YYYY-MM-DD]\n"
             "  one line per entry: time, user, command, records, what, os_user\n"
             "  (tab-separated; os_user: the operating-system account)\n");
      return CC_EXIT_OK;
    }
    if (v == NULL) {
      fprintf(stderr, "chachong audit: %s needs a value\n", a);
      return CC_EXIT_USAGE;
    }
    k++;
    if (strcmp(a, "--db") == 0) {
      db_dir = v;
    } else if (strcmp(a, "--since") == 0) {
      if (cc_date_parse(&since_date, v) < 0) {
        fprintf(stderr, "chachong audit: --since: %s\n", cc_error_last());
        return CC_EXIT_USAGE;
      }
      since = (int64_t)since_date * 86400;
    } else {
      fprintf(stderr, "chachong audit: unknown option '%s'\n", a);
      return CC_EXIT_USAGE;
    }
  }
  if (db_dir == NULL) {
    fprintf(stderr, "usage: chachong audit --db DIR [--since YYYY-MM-DD]\n");
    return CC_EXIT_USAGE;
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
