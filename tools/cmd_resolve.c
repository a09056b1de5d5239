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

static int cmd_resolve(int argc, char **argv);

enum {
  OPT_DB = CC_OPT_KEY,
  OPT_FINDING,
  OPT_ACTION,
  OPT_BY,
  OPT_SCHOOL,
  OPT_DATE,
  OPT_NOTE,
  OPT_USER
};

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED, "the database of chachong run"},
    {"finding", OPT_FINDING, "ID", CC_OPT_REQUIRED,
     "the finding_id (16 hex digits) from findings.jsonl"},
    {"action", OPT_ACTION, "ACTION", CC_OPT_REQUIRED,
     "keep        the student studies here; the enrollment stays\n"
     "cancel_own  this school cancelled its own record\n"
     "ask_other   this school asked the other school to cancel"},
    {"by", OPT_BY, "NAME", CC_OPT_REQUIRED,
     "who at the school gives the response"},
    {"school", OPT_SCHOOL, "CODE", 0, "the responding school's code"},
    {"date", OPT_DATE, "DATE", 0, "when the school acted (default: today)"},
    {"note", OPT_NOTE, "TEXT", 0, "free text"},
    {"user", OPT_USER, "NAME", 0,
     "the operator recording it (default: the login name)"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_resolve = {
    "resolve",
    cmd_resolve,
    "record a school's response to a finding",
    "chachong resolve --db DIR --finding ID --action ACTION --by NAME\n"
    "    [--school CODE] [--date YYYY-MM-DD] [--note TEXT] [--user NAME]",
    "Records what a school did about a finding, who, when and a note, and\n"
    "an entry in the audit log. A finding a school says it resolved that is\n"
    "still there next month is flagged (claimed_resolved).",
    NULL,
    options,
    NULL,
};

static int cmd_resolve(int argc, char **argv)
{
  const char *db_dir = NULL, *finding = NULL, *action = NULL, *by = NULL;
  const char *school = "", *date = NULL, *note = "", *user = NULL;
  cc_response r;
  cc_db *db = NULL;
  cc_db_options dbo = CC_DB_OPTIONS_INIT;
  char *end;
  cc_args args;
  int key, rc, act;
  unsigned long long id;

  cc_args_init(&args, &cc_command_resolve, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    const char *v = args.value;
    switch (key) {
    case OPT_DB:
      db_dir = v;
      break;
    case OPT_FINDING:
      finding = v;
      break;
    case OPT_ACTION:
      action = v;
      break;
    case OPT_BY:
      by = v;
      break;
    case OPT_SCHOOL:
      school = v;
      break;
    case OPT_DATE:
      date = v;
      break;
    case OPT_NOTE:
      note = v;
      break;
    case OPT_USER:
      user = v;
      break;
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_resolve);
      return CC_EXIT_OK;
    default:
      return CC_EXIT_USAGE;
    }
  }
  if (!*by)
    return cc_usage_error(&cc_command_resolve, "--by is empty");
  act = cc_response_action_parse(action);
  if (act < 0) {
    return cc_usage_error(&cc_command_resolve,
                          "unknown action '%s' (keep, "
                          "cancel_own, ask_other)",
                          action);
  }
  id = strtoull(finding, &end, 16);
  if (strlen(finding) != 16 || *end) {
    return cc_usage_error(&cc_command_resolve, "--finding takes the 16 hex "
                                               "digits of a finding_id");
  }
  memset(&r, 0, sizeof r);
  r.finding_id = id;
  r.action = (uint8_t)act;
  r.date = cc_date_today();
  if (date && cc_date_parse(&r.date, date) < 0) {
    fprintf(stderr, "chachong resolve: --date: %s\n", cc_error_last());
    return CC_EXIT_INPUT;
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
