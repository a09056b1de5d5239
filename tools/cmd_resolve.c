/*
 * chachong resolve - records a school's response to a finding (what it did,
 * who, when, a note), and an audit entry for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <chachong/chachong.h>

#include "commands.h"

static const char usage_text[] =
    "usage: chachong resolve --db DIR --finding ID --action ACTION --by NAME\n"
    "           [--school CODE] [--date YYYY-MM-DD] [--note TEXT] [--user NAME]\n"
    "\n"
    "  --finding ID   the finding_id (16 hex digits) from findings.jsonl\n"
    "  --action       keep        the student studies here; the enrollment stays\n"
    "                 cancel_own  this school cancelled its own record\n"
    "                 ask_other   this school asked the other school to cancel\n"
    "  --by NAME      who at the school gives the response\n"
    "  --school CODE  the responding school's code\n"
    "  --date DATE    when the school acted (default: today)\n"
    "  --note TEXT    free text\n"
    "  --user NAME    the operator recording it (default: the login name)\n";

int cc_cmd_resolve(int argc, char **argv)
{
  const char *db_dir = NULL, *finding = NULL, *action = NULL, *by = NULL;
  const char *school = "", *date = NULL, *note = "", *user = NULL;
  cc_response r;
  cc_db *db = NULL;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  char *end;
  int i, rc, act;
  unsigned long long id;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage_text, stdout);
      return CC_EXIT_OK;
    }
    if (v == NULL) {
      fprintf(stderr, "chachong resolve: %s needs a value\n%s", a, usage_text);
      return CC_EXIT_USAGE;
    }
    i++;
    if (strcmp(a, "--db") == 0) db_dir = v;
    else if (strcmp(a, "--finding") == 0) finding = v;
    else if (strcmp(a, "--action") == 0) action = v;
    else if (strcmp(a, "--by") == 0) by = v;
    else if (strcmp(a, "--school") == 0) school = v;
    else if (strcmp(a, "--date") == 0) date = v;
    else if (strcmp(a, "--note") == 0) note = v;
    else if (strcmp(a, "--user") == 0) user = v;
    else {
      fprintf(stderr, "chachong resolve: unknown option '%s'\n%s", a, usage_text);
      return CC_EXIT_USAGE;
    }
  }
  if (db_dir == NULL || finding == NULL || action == NULL || by == NULL || !*by) {
    fprintf(stderr, "chachong resolve: --db, --finding, --action and --by are "
                    "required\n%s", usage_text);
    return CC_EXIT_USAGE;
  }
  act = cc_response_action_parse(action);
  if (act < 0) {
    fprintf(stderr, "chachong resolve: unknown action '%s' (keep, cancel_own, "
                    "ask_other)\n", action);
    return CC_EXIT_USAGE;
  }
  id = strtoull(finding, &end, 16);
  if (strlen(finding) != 16 || *end) {
    fprintf(stderr, "chachong resolve: --finding takes the 16 hex digits of a "
                    "finding_id\n");
    return CC_EXIT_USAGE;
  }
  memset(&r, 0, sizeof r);
  r.finding_id = id;
  r.action = (uint8_t)act;
  r.date = cc_date_today();
  if (date && cc_date_parse(&r.date, date) < 0) {
    fprintf(stderr, "chachong resolve: --date: %s\n", cc_error_last());
    return CC_EXIT_USAGE;
  }
  snprintf(r.by, sizeof r.by, "%s", by);
  snprintf(r.school_code, sizeof r.school_code, "%s", school);
  snprintf(r.note, sizeof r.note, "%s", note);
  if (user)
    snprintf(r.user, sizeof r.user, "%s", user);

  if ((rc = cc_db_open(&db, db_dir, &dbo)) < 0)
    goto fail;
  /* The library records the audit entry with the response. */
  if ((rc = cc_response_record(db, &r)) < 0)
    goto fail;
  cc_db_close(db);
  {
    /* --by is shown with its control characters as escapes. */
    char f_shown[256], by_shown[512];
    cc_text_visible(f_shown, sizeof f_shown, finding, strlen(finding), 0);
    cc_text_visible(by_shown, sizeof by_shown, by, strlen(by), 0);
    printf("recorded: finding %s, %s, by %s\n", f_shown, action, by_shown);
  }
  return CC_EXIT_OK;
fail:
  fprintf(stderr, "chachong resolve: %s\n", cc_error_last());
  cc_db_close(db);
  return cc_exit_code(rc);
}
