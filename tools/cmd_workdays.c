/*
 * chachong workdays add YYYY-MM-DD N [--calendar FILE]... - working-day
 * arithmetic (SPEC 3): prints the date N working days after the given one
 * (the day itself not counted), one line YYYY-MM-DD. When a year crossed
 * has no installed schedule the date is provisional and a warning on stderr
 * names the notice to install. Exit codes: tools/commands.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

/* The options, also the --help text. */
static const struct option_doc {
  const char *name; /* as typed */
  const char *arg;  /* its argument, or NULL */
  const char *help; /* one line */
} options[] = {
    {"--calendar", "FILE",
     "also load the holiday schedules in FILE, in the format of\n"
     "                   data/calendar/cn-2015-2026.txt; a year in FILE "
     "replaces\n"
     "                   that year; may be repeated"},
    {"--help", NULL, "print this help"},
};

static void usage(FILE *out)
{
  size_t i;
  fprintf(out,
          "usage: chachong workdays add YYYY-MM-DD N [--calendar FILE]...\n"
          "  prints the date N working days after YYYY-MM-DD (which is not\n"
          "  counted); N = 10 gives a finding's clearing deadline.\n"
          "options:\n");
  for (i = 0; i < sizeof options / sizeof options[0]; i++) {
    char spec[32];
    snprintf(spec, sizeof spec, "%s%s%s", options[i].name,
             options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
    fprintf(out, "  %-16s %s\n", spec, options[i].help);
  }
  fprintf(out, "exit codes: 0 ok, 2 usage, 3 bad input (date, N, calendar "
               "file), 4 I/O error,\n            5 out of memory\n");
}

/* N: decimal digits, at most 9 of them (no sign, no blanks). */
static int parse_count(const char *text, int *out)
{
  size_t i, len = strlen(text);
  if (len == 0 || len > 9)
    return -1;
  for (i = 0; i < len; i++)
    if (text[i] < '0' || text[i] > '9')
      return -1;
  *out = atoi(text);
  return 0;
}

/* Warns about each year crossed that has no schedule, with its notice. */
static void warn_provisional(const cc_calendar *cal, cc_date start, cc_date end)
{
  int y, m, d, first, last, n = 0;
  char years[256] = "";
  cc_date_to_ymd(start + 1, &first, &m, &d);
  cc_date_to_ymd(end, &last, &m, &d);
  for (y = first; y <= last; y++) {
    size_t used = strlen(years);
    if (cc_calendar_source(cal, y) != NULL)
      continue;
    if (n < 8)
      snprintf(years + used, sizeof years - used, "%s%d", n ? ", " : "", y);
    else if (n == 8)
      snprintf(years + used, sizeof years - used, ", ...");
    n++;
  }
  fprintf(stderr,
          "warning: no schedule installed for %s; deadline is provisional "
          "(weekends and statutory holidays only); install the State "
          "Council's %s notice%s with --calendar FILE\n",
          years, years, n > 1 ? "s" : "");
}

int cc_cmd_workdays(int argc, char **argv)
{
  const char *date_arg = NULL, *count_arg = NULL;
  const char *files[16];
  int nfiles = 0, i, n = 0, prov = 0, rc, exit_code;
  cc_calendar *cal = NULL;
  cc_date start, out;

  if (argc >= 2 &&
      (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return CC_EXIT_OK;
  }
  if (argc < 2 || strcmp(argv[1], "add") != 0) {
    if (argc >= 2)
      fprintf(stderr, "chachong workdays: unknown action '%s'\n", argv[1]);
    usage(stderr);
    return CC_EXIT_USAGE;
  }
  for (i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return CC_EXIT_OK;
    } else if (strcmp(a, "--calendar") == 0 ||
               strncmp(a, "--calendar=", 11) == 0) {
      const char *file = NULL;
      if (a[10] == '=')
        file = a + 11;
      else if (i + 1 < argc)
        file = argv[++i];
      if (file == NULL || *file == '\0') {
        fprintf(stderr, "chachong workdays: --calendar needs a FILE\n");
        usage(stderr);
        return CC_EXIT_USAGE;
      }
      if (nfiles == (int)(sizeof files / sizeof files[0])) {
        fprintf(stderr, "chachong workdays: at most %d --calendar files\n",
                nfiles);
        return CC_EXIT_USAGE;
      }
      files[nfiles++] = file;
    } else if (a[0] == '-' && a[1] != '\0' && !(a[1] >= '0' && a[1] <= '9')) {
      fprintf(stderr, "chachong workdays: unknown option '%s'\n", a);
      usage(stderr);
      return CC_EXIT_USAGE;
    } else if (date_arg == NULL) {
      date_arg = a;
    } else if (count_arg == NULL) {
      count_arg = a;
    } else {
      fprintf(stderr, "chachong workdays: unexpected argument '%s'\n", a);
      usage(stderr);
      return CC_EXIT_USAGE;
    }
  }
  if (date_arg == NULL || count_arg == NULL) {
    usage(stderr);
    return CC_EXIT_USAGE;
  }

  if (cc_date_parse(&start, date_arg) != 0) {
    fprintf(stderr, "chachong workdays: %s\n", cc_error_last());
    return CC_EXIT_INPUT;
  }
  if (parse_count(count_arg, &n) != 0) {
    fprintf(stderr, "chachong workdays: N must be a whole number from 0 to "
                    "999999999, not '%s'\n", count_arg);
    return CC_EXIT_INPUT;
  }

  rc = cc_calendar_new(&cal);
  for (i = 0; rc == 0 && i < nfiles; i++)
    rc = cc_calendar_load_file(cal, files[i]);
  if (rc == 0)
    rc = cc_calendar_add_workdays(&out, cal, start, n, &prov);
  if (rc != 0) {
    fprintf(stderr, "chachong workdays: %s\n", cc_error_last());
    exit_code = cc_exit_code(rc);
  } else {
    char buf[11];
    cc_date_format(buf, out);
    printf("%s\n", buf);
    if (prov)
      warn_provisional(cal, start, out);
    exit_code = CC_EXIT_OK;
  }
  cc_calendar_free(cal);
  return exit_code;
}
