/*
 * The option tables of the commands at work: parsing with getopt_long, the
 * --help texts and the manual page (tools/options.h says how a command uses
 * them). All three read the same cc_command, so what --help and chachong(1)
 * list is what the parser takes.
 *
 * Parsing runs getopt_long in RETURN_IN_ORDER mode ("-" first in optstring),
 * so operands come back in place whatever POSIXLY_CORRECT says, and with
 * ":" so that a missing value is told apart from an unknown option. The
 * long options are built on the stack from the table (at most CC_OPT_MAX);
 * nothing is allocated.
 */
#include <assert.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"
#include "options.h"

/* The key of --help (-h is 'h'). */
#define KEY_HELP (CC_OPT_KEY - 1)

static size_t table_len(const cc_opt *opts)
{
  size_t n = 0;
  while (opts[n].name != NULL || opts[n].help != NULL)
    n++;
  assert(n <= CC_OPT_MAX);
  return n;
}

static const cc_opt *find_key(const cc_command *cmd, int key, size_t *index)
{
  size_t i, n = table_len(cmd->opts);
  for (i = 0; i < n; i++)
    if (cmd->opts[i].name != NULL && cmd->opts[i].key == key) {
      if (index)
        *index = i;
      return &cmd->opts[i];
    }
  return NULL;
}

/* The option an argument such as "--db" or "--db=x" names, or NULL. */
static const cc_opt *find_name(const cc_command *cmd, const char *arg)
{
  size_t i, n = table_len(cmd->opts), len;
  if (strncmp(arg, "--", 2) != 0)
    return NULL;
  arg += 2;
  len = strcspn(arg, "=");
  for (i = 0; i < n; i++)
    if (cmd->opts[i].name != NULL && strlen(cmd->opts[i].name) == len &&
        strncmp(cmd->opts[i].name, arg, len) == 0)
      return &cmd->opts[i];
  return NULL;
}

int cc_usage_error(const cc_command *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "chachong %s: ", cmd->name);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "; see 'chachong %s --help'\n", cmd->name);
  return CC_EXIT_USAGE;
}

void cc_args_init(cc_args *a, const cc_command *cmd, int argc, char **argv)
{
  memset(a, 0, sizeof *a);
  a->cmd = cmd;
  a->argc = argc;
  a->argv = argv;
  /* 0, not 1: glibc then forgets the previous parse entirely. */
  optind = 0;
  opterr = 0;
}

int cc_args_number(const cc_args *a, long min, long max, long *out)
{
  const char *v = a->value;
  long n = 0;
  size_t i;
  assert(a->name != NULL && v != NULL && 0 <= min && min <= max);
  for (i = 0; v[i] >= '0' && v[i] <= '9'; i++) {
    if (n > (LONG_MAX - (v[i] - '0')) / 10) {
      n = LONG_MAX; /* past any max: refused below */
      continue;
    }
    n = n * 10 + (v[i] - '0');
  }
  if (i > 0 && v[i] == '\0' && n >= min && n <= max) {
    *out = n;
    return 0;
  }
  if (max == LONG_MAX)
    return cc_usage_error(a->cmd, "--%s takes a whole number of at least %ld",
                          a->name, min);
  return cc_usage_error(a->cmd, "--%s takes a number from %ld to %ld", a->name,
                        min, max);
}

int cc_args_given(const cc_args *a, int key)
{
  size_t i;
  return find_key(a->cmd, key, &i) != NULL && a->seen[i];
}

/* An operand, or the error of a command that takes none. */
static int operand(cc_args *a, const char *arg)
{
  size_t i;
  a->value = arg;
  if (a->cmd->operands != NULL)
    return CC_ARGS_OPERAND;
  /* An argument with digits in it may be an ID number: not echoed. */
  for (i = 0; arg[i]; i++)
    if (arg[i] >= '0' && arg[i] <= '9')
      break;
  if (arg[i] == '\0' && i < 64) {
    char shown[256];
    cc_text_visible(shown, sizeof shown, arg, i, 0);
    cc_usage_error(a->cmd, "unexpected argument '%s'", shown);
  } else {
    cc_usage_error(a->cmd, "unexpected argument (not an option)");
  }
  return CC_ARGS_ERROR;
}

/* At the end: every required option given, or one line naming the rest. */
static int check_required(cc_args *a)
{
  char missing[512];
  size_t i, n = table_len(a->cmd->opts), used = 0, count = 0;
  missing[0] = '\0';
  for (i = 0; i < n; i++) {
    const cc_opt *o = &a->cmd->opts[i];
    if (o->name == NULL || !(o->flags & CC_OPT_REQUIRED) || a->seen[i])
      continue;
    if (used < sizeof missing)
      used += (size_t)snprintf(missing + used, sizeof missing - used, "%s--%s",
                               count ? ", " : "", o->name);
    count++;
  }
  if (count == 0)
    return CC_ARGS_END;
  cc_usage_error(a->cmd, "missing %s", missing);
  return CC_ARGS_ERROR;
}

int cc_args_next(cc_args *a)
{
  struct option longs[CC_OPT_MAX + 2];
  const cc_command *cmd = a->cmd;
  size_t i, n = table_len(cmd->opts), k = 0, index;
  int c, prev, li = -1;
  const cc_opt *o;

  a->value = NULL;
  a->name = NULL;
  if (a->ended) {
    if (a->rest > 0 && a->rest < a->argc)
      return operand(a, a->argv[a->rest++]);
    return check_required(a);
  }
  for (i = 0; i < n; i++) {
    if (cmd->opts[i].name == NULL)
      continue;
    assert(cmd->opts[i].key >= CC_OPT_KEY);
    longs[k].name = cmd->opts[i].name;
    longs[k].has_arg = cmd->opts[i].arg ? required_argument : no_argument;
    longs[k].flag = NULL;
    longs[k].val = cmd->opts[i].key;
    k++;
  }
  longs[k].name = "help";
  longs[k].has_arg = no_argument;
  longs[k].flag = NULL;
  longs[k].val = KEY_HELP;
  k++;
  memset(&longs[k], 0, sizeof longs[k]);

  prev = optind < 1 ? 1 : optind;
  /* A negative number is an operand of a command that takes operands
   * (workdays add D -5 is then told N is not a count, id -123 is an ID
   * that is not valid), not an unknown option "-1". getopt_long is between
   * two arguments here (a short option other than -h is an error), so
   * stepping past one by hand is safe. */
  if (cmd->operands != NULL && prev < a->argc && a->argv[prev][0] == '-' &&
      a->argv[prev][1] >= '0' && a->argv[prev][1] <= '9') {
    optind = prev + 1;
    return operand(a, a->argv[prev]);
  }
  c = getopt_long(a->argc, a->argv, "-:h", longs, &li);
  if (c == -1) {
    /* The end, or "--": what follows it is operands only. */
    a->ended = 1;
    if (optind < a->argc) {
      a->rest = optind;
      return operand(a, a->argv[a->rest++]);
    }
    return check_required(a);
  }
  if (c == 1)
    return operand(a, optarg);
  if (c == 'h' || c == KEY_HELP)
    return CC_ARGS_HELP;
  if (c == '?' || c == ':') {
    /* optopt: the key of a long option that takes no value or lacks its
     * own, the letter of a short one, 0 for an unknown long option. */
    const char *arg = a->argv[optind - 1 < prev ? prev : optind - 1];
    o = optopt >= CC_OPT_KEY ? find_key(cmd, optopt, NULL) : NULL;
    if (c == ':' && (o != NULL || optopt == KEY_HELP))
      cc_usage_error(cmd, "--%s needs a value", o ? o->name : "help");
    else if (o != NULL || optopt == KEY_HELP)
      cc_usage_error(cmd, "--%s takes no value", o ? o->name : "help");
    else if (optopt != 0 && optopt < CC_OPT_KEY)
      cc_usage_error(cmd, "unknown option '-%c'", optopt);
    else {
      char shown[128];
      size_t len = strcspn(arg, "=");
      cc_text_visible(shown, sizeof shown, arg, len < 60 ? len : 60, 0);
      cc_usage_error(cmd, "unknown option '%s'", shown);
    }
    return CC_ARGS_ERROR;
  }
  o = find_key(cmd, c, &index);
  assert(o != NULL);
  /* The name in full: getopt_long also takes an unambiguous prefix. */
  if (find_name(cmd, a->argv[prev]) != o) {
    char shown[128];
    const char *arg = a->argv[prev];
    size_t len = strcspn(arg, "=");
    cc_text_visible(shown, sizeof shown, arg, len < 60 ? len : 60, 0);
    cc_usage_error(cmd, "unknown option '%s' (did you mean --%s?)", shown,
                   o->name);
    return CC_ARGS_ERROR;
  }
  /* "--out --quiet": the value forgotten, the next option taken for it. */
  if (optarg != NULL && a->argv[prev][strlen(o->name) + 2] != '=' &&
      find_name(cmd, optarg) != NULL) {
    cc_usage_error(cmd, "--%s needs a value", o->name);
    return CC_ARGS_ERROR;
  }
  a->seen[index] = 1;
  a->value = optarg;
  a->name = o->name;
  return c;
}

/* --- help ------------------------------------------------------------ */

/* "--name ARG" */
static void opt_spec(char *out, size_t size, const cc_opt *o)
{
  snprintf(out, size, "--%s%s%s", o->name, o->arg ? " " : "",
           o->arg ? o->arg : "");
}

/* Prints text, indenting every line after the first by indent blanks. */
static void put_indented(FILE *out, const char *text, int indent)
{
  for (; *text; text++) {
    fputc(*text, out);
    if (*text == '\n' && text[1] != '\0' && text[1] != '\n')
      fprintf(out, "%*s", indent, "");
  }
}

/* "exit codes: 0 ok, 2 usage, ..." for one command, within 79 columns. */
static void exit_codes_line(FILE *out, const char *command)
{
  size_t i;
  int column = fprintf(out, "exit codes:");
  for (i = 0; i < cc_n_exit_docs; i++) {
    const cc_exit_doc *e = &cc_exit_docs[i];
    char item[64];
    int len;
    if (e->only != NULL && (command == NULL || strcmp(e->only, command) != 0))
      continue;
    len = snprintf(item, sizeof item, " %d %s%s", e->code, e->word,
                   i + 1 < cc_n_exit_docs ? "," : "");
    if (column + len > 79) {
      fputs("\n           ", out);
      column = 11;
    }
    fputs(item, out);
    column += len;
  }
  fputs("\n", out);
}

void cc_command_help(FILE *out, const cc_command *cmd)
{
  size_t i, n = table_len(cmd->opts);
  int width = 10, help_shown = 0;
  char spec[96];

  fputs("usage: ", out);
  put_indented(out, cmd->synopsis, 7);
  fputs("\n", out);
  if (cmd->about) {
    fputs("\n", out);
    fputs(cmd->about, out);
    fputs("\n", out);
  }
  for (i = 0; i < n; i++) {
    int len;
    if (cmd->opts[i].name == NULL)
      continue;
    opt_spec(spec, sizeof spec, &cmd->opts[i]);
    len = (int)strlen(spec);
    if (len > width && len <= 24)
      width = len;
  }
  fputs("\noptions:\n", out);
  for (i = 0; i <= n; i++) {
    const cc_opt *o = &cmd->opts[i];
    /* --help closes the first group of options. */
    if ((i == n || o->name == NULL) && !help_shown) {
      fprintf(out, "  %-*s  %s\n", width, "-h, --help", "print this help");
      help_shown = 1;
    }
    if (i == n)
      break;
    if (o->name == NULL) {
      fputs("\n", out);
      fputs(o->help, out);
      fputs("\n", out);
      continue;
    }
    opt_spec(spec, sizeof spec, o);
    if ((int)strlen(spec) > width)
      fprintf(out, "  %s\n%*s", spec, width + 4, "");
    else
      fprintf(out, "  %-*s  ", width, spec);
    put_indented(out, o->help, width + 4);
    fputs("\n", out);
  }
  if (cmd->notes) {
    fputs("\n", out);
    fputs(cmd->notes, out);
    fputs("\n", out);
  }
  fputs("\n", out);
  exit_codes_line(out, cmd->name);
}

void cc_commands_help(FILE *out)
{
  size_t i;
  fprintf(out, "usage: chachong COMMAND [OPTIONS]\n\ncommands:\n");
  for (i = 0; i < cc_n_commands; i++)
    fprintf(out, "  %-10s %s\n", cc_commands[i]->name, cc_commands[i]->summary);
  fprintf(out, "\n'chachong COMMAND --help' describes a command; "
               "'chachong --version' prints\nthe version, 'chachong --man' "
               "the manual page (roff).\n\nexit codes:\n");
  for (i = 0; i < cc_n_exit_docs; i++) {
    fprintf(out, "  %3d  ", cc_exit_docs[i].code);
    put_indented(out, cc_exit_docs[i].text, 7);
    fputs("\n", out);
  }
}

/* --- the manual page ------------------------------------------------- */

/* Writes text for roff: backslashes and hyphens escaped, a line that would
 * start with a control character guarded, '\n' a break (or, with
 * fill, a blank line a new paragraph and a single '\n' a space). */
static void roff(FILE *out, const char *text, int fill)
{
  int line_start = 1;
  for (; *text; text++) {
    char ch = *text;
    if (ch == '\n') {
      if (!fill)
        fputs("\n.br\n", out);
      else if (text[1] == '\n') {
        fputs("\n.PP\n", out);
        text++;
      } else
        fputc('\n', out);
      line_start = 1;
      continue;
    }
    if (line_start && (ch == '.' || ch == '\''))
      fputs("\\&", out);
    if (line_start && fill && ch == ' ') {
      /* Leading blanks of a filled line would break it. */
      while (text[1] == ' ')
        text++;
      line_start = 0;
      continue;
    }
    line_start = 0;
    if (ch == '\\')
      fputs("\\e", out);
    else if (ch == '-')
      fputs("\\-", out);
    else
      fputc(ch, out);
  }
}

static void manual_command(FILE *out, const cc_command *cmd)
{
  size_t i, n = table_len(cmd->opts);
  int help_shown = 0;
  fprintf(out, ".SS \"chachong %s\"\n", cmd->name);
  roff(out, cmd->summary, 1);
  fputs(".\n.PP\n.nf\n", out);
  roff(out, cmd->synopsis, 0);
  fputs("\n.fi\n", out);
  if (cmd->about) {
    fputs(".PP\n", out);
    roff(out, cmd->about, 1);
    fputs("\n", out);
  }
  for (i = 0; i <= n; i++) {
    const cc_opt *o = &cmd->opts[i];
    if ((i == n || o->name == NULL) && !help_shown) {
      fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nprint this help\n", out);
      help_shown = 1;
    }
    if (i == n)
      break;
    if (o->name == NULL) {
      fputs(".PP\n", out);
      roff(out, o->help, 1);
      fputs("\n", out);
      continue;
    }
    fputs(".TP\n\\fB\\-\\-", out);
    roff(out, o->name, 0);
    fputs("\\fR", out);
    if (o->arg) {
      fputs(" \\fI", out);
      roff(out, o->arg, 0);
      fputs("\\fR", out);
    }
    fputs("\n", out);
    roff(out, o->help, 0);
    fputs("\n", out);
  }
  if (cmd->notes) {
    fputs(".PP\n", out);
    roff(out, cmd->notes, 1);
    fputs("\n", out);
  }
}

void cc_manual_write(FILE *out)
{
  size_t i;
  /* The coding tag: man-db and preconv read the page as UTF-8. */
  fputs(".\\\" -*- coding: UTF-8 -*-\n"
        ".\\\" Written by `chachong --man` from the option tables of tools/:\n"
        ".\\\" do not edit.\n",
        out);
  fprintf(out, ".TH CHACHONG 1 \"\" \"chachong %s\" \"chachong manual\"\n",
          CHACHONG_VERSION);
  /* No hyphenation, ragged right: option names and codes stay whole. */
  fputs(".nh\n.ad l\n", out);
  fputs(".SH NAME\nchachong \\- finds students enrolled or paid twice across "
        "China's two secondary\\-vocational student systems\n"
        ".SH SYNOPSIS\n.B chachong\n.I command\n.RI [ options ]\n.br\n"
        ".B chachong\n.BR \\-\\-help \" | \" \\-\\-version \" | \" \\-\\-man\n"
        ".SH DESCRIPTION\n",
        out);
  roff(out, cc_manual_description, 1);
  fputs("\n.PP\nThe commands:\n", out);
  for (i = 0; i < cc_n_commands; i++)
    fprintf(out, ".TP\n.B %s\n%s\n", cc_commands[i]->name,
            cc_commands[i]->summary);
  fputs(".PP\nEvery option is written \\fB\\-\\-name\\fR \\fIvalue\\fR or "
        "\\fB\\-\\-name\\fR=\\fIvalue\\fR, in full; an unknown, missing or "
        "malformed option is one line on standard error that names it, and "
        "exit status 2.\n.SH COMMANDS\n",
        out);
  for (i = 0; i < cc_n_commands; i++)
    manual_command(out, cc_commands[i]);
  fputs(".SH \"EXIT STATUS\"\n", out);
  for (i = 0; i < cc_n_exit_docs; i++) {
    fprintf(out, ".TP\n.B %d\n", cc_exit_docs[i].code);
    roff(out, cc_exit_docs[i].text, 1);
    fputs("\n", out);
  }
  fputs(".SH \"SEE ALSO\"\nREADME.md, docs/RULES.md and docs/FUZZY.md of the "
        "chachong sources.\n",
        out);
}
