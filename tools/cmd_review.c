/*
 * chachong review - records a reviewer's decision on a possible pair or a
 * fuzzy finding (same person or different people), which later runs
 * honour; --list shows the decisions recorded. Both are audited: the
 * library writes a decision and its audit entry together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <chachong/chachong.h>

#include "commands.h"

static int cmd_review(int argc, char **argv);

enum {
  OPT_DB = CC_OPT_KEY,
  OPT_PAIR,
  OPT_FINDING,
  OPT_PERIOD,
  OPT_DECISION,
  OPT_BY,
  OPT_NOTE,
  OPT_DATE,
  OPT_USER,
  OPT_LIST,
  OPT_UNMASKED
};

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED, "the database of chachong run"},
    {"pair", OPT_PAIR, "ID_A,ID_B", 0,
     "the two ID numbers of a possible pair (possible.jsonl),\n"
     "cleaned like roster cells"},
    {"finding", OPT_FINDING, "ID", 0,
     "a fuzzy finding's finding_id (16 hex digits): the\n"
     "decision holds for every pair of its members' IDs"},
    {"period", OPT_PERIOD, "P", 0,
     "the period whose findings hold it (default: the latest\n"
     "period that does)"},
    {"decision", OPT_DECISION, "D", 0,
     "same       one person: later runs link the records,\n"
     "           even when their score is below the threshold\n"
     "different  two people: later runs never link them"},
    {"by", OPT_BY, "NAME", 0, "who reviewed the pair"},
    {"note", OPT_NOTE, "TEXT", 0, "free text (how it was checked)"},
    {"date", OPT_DATE, "DATE", 0, "when the reviewer decided (default: today)"},
    {"user", OPT_USER, "NAME", 0,
     "the operator recording it (default: the login name;\n"
     "the audit log also keeps the login name)"},
    {"list", OPT_LIST, NULL, 0,
     "every decision recorded, oldest first, tab-separated:\n"
     "recorded, date, decision, ID A, ID B, finding, period,\n"
     "by, user, current|superseded, note"},
    {"unmasked", OPT_UNMASKED, NULL, 0,
     "with --list: full ID numbers (recorded in the audit log)"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_review = {
    "review",
    cmd_review,
    "record a reviewer's decision: same person or not",
    "chachong review --db DIR (--pair ID_A,ID_B | --finding ID [--period P])\n"
    "    --decision same|different --by NAME [--note TEXT]\n"
    "    [--date YYYY-MM-DD] [--user NAME]\n"
    "chachong review --db DIR --list [--unmasked] [--user NAME]",
    "Records a reviewer's decision on a possible pair or a fuzzy finding\n"
    "(same person or different people), which later runs honour; --list\n"
    "shows the decisions recorded. Both are recorded in the audit log.",
    NULL,
    options,
    "The latest decision on a pair is the one that counts.",
};

/* Prints a free-text cell on one line: tabs and line breaks become spaces. */
static void print_text(const char *s)
{
  for (; *s; s++)
    putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

static int list(const char *db_dir, const char *user, int unmasked)
{
  cc_db *db = NULL;
  cc_review *rs = NULL;
  size_t n = 0, i;
  int rc;

  rc = cc_cmd_open_existing(&db, db_dir);
  /* The library records the audit entry of the listing. */
  if (rc == 0)
    rc = cc_review_list(&rs, &n, db, user, unmasked);
  if (rc < 0) {
    fprintf(stderr, "chachong review: %s\n", cc_error_last());
    free(rs);
    cc_db_close(db);
    return cc_exit_code(rc);
  }
  for (i = 0; i < n; i++) {
    const cc_review *r = &rs[i];
    char when[32], date[11], a[CC_ID_MAX + 1], b[CC_ID_MAX + 1], hex[17];
    time_t t = (time_t)r->recorded_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cc_date_format(date, r->date);
    if (unmasked) {
      snprintf(a, sizeof a, "%s", r->id_a);
      snprintf(b, sizeof b, "%s", r->id_b);
    } else {
      cc_id_mask(a, r->id_a);
      cc_id_mask(b, r->id_b);
    }
    if (r->finding_id)
      cc_finding_id_hex(hex, r->finding_id);
    printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t", when, date,
           cc_review_decision_code((cc_review_decision)r->decision), a, b,
           r->finding_id ? hex : "-", r->period[0] ? r->period : "-");
    print_text(r->by);
    putchar('\t');
    print_text(r->user);
    printf("\t%s\t", r->superseded ? "superseded" : "current");
    print_text(r->note);
    putchar('\n');
  }
  free(rs);
  cc_db_close(db);
  return CC_EXIT_OK;
}

static int cmd_review(int argc, char **argv)
{
  const char *db_dir = NULL, *pair = NULL, *finding = NULL, *period = "";
  const char *decision = NULL, *by = NULL, *note = "", *date = NULL;
  const char *user = NULL, *comma;
  int do_list = 0, unmasked = 0, key, rc, d;
  cc_args args;
  cc_review r;
  cc_db *db = NULL;

  cc_args_init(&args, &cc_command_review, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    const char *v = args.value;
    switch (key) {
    case OPT_LIST:
      do_list = 1;
      break;
    case OPT_UNMASKED:
      unmasked = 1;
      break;
    case OPT_DB:
      db_dir = v;
      break;
    case OPT_PAIR:
      pair = v;
      break;
    case OPT_FINDING:
      finding = v;
      break;
    case OPT_PERIOD:
      period = v;
      break;
    case OPT_DECISION:
      decision = v;
      break;
    case OPT_BY:
      by = v;
      break;
    case OPT_NOTE:
      note = v;
      break;
    case OPT_DATE:
      date = v;
      break;
    case OPT_USER:
      user = v;
      break;
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_review);
      return CC_EXIT_OK;
    default:
      return CC_EXIT_USAGE;
    }
  }
  if (do_list) {
    if (pair || finding || decision || by) {
      return cc_usage_error(&cc_command_review, "--list takes no decision");
    }
    return list(db_dir, user, unmasked);
  }
  if ((pair == NULL) == (finding == NULL) || decision == NULL || by == NULL ||
      !*by || unmasked || (pair && *period)) {
    return cc_usage_error(&cc_command_review,
                          "give --pair or --finding "
                          "(--period only with --finding), --decision and "
                          "--by");
  }
  d = cc_review_decision_parse(decision);
  if (d < 0) {
    return cc_usage_error(&cc_command_review,
                          "unknown decision '%s' (same, "
                          "different)",
                          decision);
  }
  memset(&r, 0, sizeof r);
  r.decision = (uint8_t)d;
  if (pair) {
    const char *half[2];
    size_t len[2];
    int k;
    comma = strchr(pair, ',');
    /* The values are not echoed: they are ID numbers. */
    if (comma == NULL || strchr(comma + 1, ',') != NULL) {
      return cc_usage_error(&cc_command_review, "--pair takes two ID numbers "
                                                "separated by a comma");
    }
    half[0] = pair;
    len[0] = (size_t)(comma - pair);
    half[1] = comma + 1;
    len[1] = strlen(comma + 1);
    for (k = 0; k < 2; k++) {
      cc_id id;
      if (cc_id_normalize(&id, half[k], len[k], cc_date_today()) ==
          CC_ID_REJECTED) {
        fprintf(stderr,
                "chachong review: --pair: the %s value is not an ID "
                "number (%s)\n",
                k ? "second" : "first",
                cc_id_reason_code((cc_id_reason)id.reason));
        return CC_EXIT_INPUT;
      }
      memcpy(k ? r.id_b : r.id_a, id.digits, (size_t)id.len + 1);
    }
  } else {
    char *end;
    unsigned long long id = strtoull(finding, &end, 16);
    if (strlen(finding) != 16 || *end || id == 0) {
      return cc_usage_error(&cc_command_review, "--finding takes the 16 hex "
                                                "digits of a finding_id");
    }
    r.finding_id = id;
    if (*period) {
      int y, m;
      char tail;
      if (strlen(period) != 7 ||
          sscanf(period, "%4d-%2d%c", &y, &m, &tail) != 2 || m < 1 || m > 12) {
        return cc_usage_error(&cc_command_review, "--period takes YYYY-MM");
      }
      snprintf(r.period, sizeof r.period, "%s", period);
    }
  }
  r.date = cc_date_today();
  if (date && cc_date_parse(&r.date, date) < 0) {
    fprintf(stderr, "chachong review: --date: %s\n", cc_error_last());
    return CC_EXIT_INPUT;
  }
  snprintf(r.by, sizeof r.by, "%s", by);
  snprintf(r.note, sizeof r.note, "%s", note);
  if (user)
    snprintf(r.user, sizeof r.user, "%s", user);

  rc = cc_cmd_open_existing(&db, db_dir);
  if (rc == 0)
    rc = cc_review_record(db, &r);
  cc_db_close(db);
  if (rc < 0) {
    fprintf(stderr, "chachong review: %s\n", cc_error_last());
    return cc_exit_code(rc);
  }
  if (pair)
    printf("recorded: a pair, %s, by %s\n", decision, by);
  else
    printf("recorded: finding %s, %s, by %s\n", finding, decision, by);
  return CC_EXIT_OK;
}
