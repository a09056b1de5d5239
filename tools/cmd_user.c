/*
 * chachong user - the accounts of the service (SPEC 5): add, list,
 * disable, enable, passwd, token. Passwords are read from standard input,
 * never from the command line (where ps and the shell history would show
 * them); on a terminal they are asked twice without echo. Each change
 * leaves an audit entry, which the library writes (engine/account.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <chachong/chachong.h>

#include "commands.h"

static int cmd_user(int argc, char **argv);

enum { OPT_DB = CC_OPT_KEY, OPT_ROLE, OPT_SCOPE, OPT_REVOKE };

static const cc_opt options[] = {
    {"db", OPT_DB, "DIR", CC_OPT_REQUIRED, "the database the service serves"},
    {"role", OPT_ROLE, "ROLE", 0,
     "add: national (no scope), province (--scope: 2-digit region code),\n"
     "city (4-digit region code), school (--scope: the school code)"},
    {"scope", OPT_SCOPE, "CODE", 0,
     "add: the region or school code of the role"},
    {"revoke", OPT_REVOKE, NULL, 0, "token: withdraw the account's API token"},
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_user = {
    "user",
    cmd_user,
    "add, list, disable, enable accounts of the service; API tokens",
    "chachong user add --db DIR NAME --role ROLE [--scope CODE]\n"
    "chachong user list --db DIR\n"
    "chachong user disable|enable|passwd --db DIR NAME\n"
    "chachong user token --db DIR NAME [--revoke]",
    "The accounts of chachong serve (SPEC 5), kept in the database. add and\n"
    "passwd read the password from standard input (one line, at least 10\n"
    "bytes; on a terminal it is asked twice, not echoed), never from the\n"
    "command line. token makes an API token for the account and prints it\n"
    "once (it replaces the previous one). Every change is audited under the\n"
    "operating-system user.",
    "SUBCOMMAND [NAME]",
    options,
    NULL,
};

/* Reads one line of stdin into buf without its line end; -1 at EOF. */
static long read_line(char *buf, size_t cap, const char *prompt)
{
  struct termios old, quiet;
  int tty = isatty(STDIN_FILENO);
  size_t n;
  if (tty) {
    fprintf(stderr, "%s", prompt);
    tcgetattr(STDIN_FILENO, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  if (fgets(buf, (int)cap, stdin) == NULL)
    buf[0] = '\0';
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
  }
  n = strlen(buf);
  if (n == 0 && feof(stdin))
    return -1;
  if (n > 0 && buf[n - 1] == '\n')
    buf[--n] = '\0';
  if (n > 0 && buf[n - 1] == '\r')
    buf[--n] = '\0';
  return (long)n;
}

static int read_password(char *pw, size_t cap)
{
  char again[CC_PASSWORD_MAX + 2];
  long n = read_line(pw, cap, "password: ");
  if (n < 0) {
    fprintf(stderr, "chachong user: no password on standard input\n");
    return -1;
  }
  if (isatty(STDIN_FILENO)) {
    if (read_line(again, sizeof again, "again: ") < 0 ||
        strcmp(pw, again) != 0) {
      fprintf(stderr, "chachong user: the passwords differ\n");
      memset(again, 0, sizeof again);
      return -1;
    }
    memset(again, 0, sizeof again);
  }
  return 0;
}

static void list(cc_account *a, size_t n)
{
  size_t i;
  printf("name\trole\tscope\tstate\ttoken\tcreated\n");
  for (i = 0; i < n; i++) {
    char when[32];
    time_t t = (time_t)a[i].created;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%s\t%s\t%s\t%s\t%s\t%s\n", a[i].name, cc_role_code(a[i].role),
           a[i].scope[0] ? a[i].scope : "-",
           a[i].disabled ? "disabled" : "enabled",
           a[i].has_token ? "yes" : "no", when);
  }
}

static int cmd_user(int argc, char **argv)
{
  const char *db_dir = NULL, *role = NULL, *scope = "", *sub = NULL,
             *name = NULL;
  char pw[CC_PASSWORD_MAX + 2], what[512], token[CC_TOKEN_TEXT];
  int revoke = 0, key, rc = 0, r = 0, n_operands = 0;
  cc_db *db = NULL;
  cc_account *accounts = NULL;
  cc_args args;
  size_t n = 0;

  cc_args_init(&args, &cc_command_user, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    switch (key) {
    case CC_ARGS_OPERAND:
      if (n_operands == 0)
        sub = args.value;
      else if (n_operands == 1)
        name = args.value;
      else
        return cc_usage_error(&cc_command_user, "one NAME at most");
      n_operands++;
      break;
    case OPT_DB:
      db_dir = args.value;
      break;
    case OPT_ROLE:
      role = args.value;
      break;
    case OPT_SCOPE:
      scope = args.value;
      break;
    case OPT_REVOKE:
      revoke = 1;
      break;
    case CC_ARGS_HELP:
      cc_command_help(stdout, &cc_command_user);
      return CC_EXIT_OK;
    default:
      return CC_EXIT_USAGE;
    }
  }
  if (sub == NULL)
    return cc_usage_error(
        &cc_command_user,
        "a subcommand is required (add, list, disable, enable, "
        "passwd, token)");
  if (strcmp(sub, "list") != 0 && name == NULL)
    return cc_usage_error(&cc_command_user, "%s needs the account's NAME", sub);
  if (strcmp(sub, "list") == 0 && name != NULL)
    return cc_usage_error(&cc_command_user, "list takes no NAME");
  if (strcmp(sub, "add") == 0) {
    if (role == NULL || (r = cc_role_parse(role)) < 0)
      return cc_usage_error(&cc_command_user,
                            "--role is national, province, city or school");
    if (cc_account_scope_check(r, scope) < 0) {
      fprintf(stderr, "chachong user: --scope: %s\n", cc_error_last());
      return CC_EXIT_USAGE;
    }
  } else if (strcmp(sub, "list") != 0 && strcmp(sub, "disable") != 0 &&
             strcmp(sub, "enable") != 0 && strcmp(sub, "passwd") != 0 &&
             strcmp(sub, "token") != 0) {
    return cc_usage_error(&cc_command_user, "unknown subcommand (add, list, "
                                            "disable, enable, passwd, token)");
  }
  if ((strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) &&
      read_password(pw, sizeof pw) < 0)
    return CC_EXIT_INPUT;

  if (strcmp(sub, "list") == 0) {
    cc_db_options dbo = CC_DB_OPTIONS_INIT;
    dbo.read_only = 1;
    if ((rc = cc_db_open(&db, db_dir, &dbo)) < 0 ||
        (rc = cc_account_list(&accounts, &n, db)) < 0)
      goto fail;
    list(accounts, n);
    free(accounts);
    cc_db_close(db);
    return CC_EXIT_OK;
  }
  if ((rc = cc_cmd_open_existing(&db, db_dir)) < 0)
    goto fail;
  if (strcmp(sub, "add") == 0) {
    rc = cc_account_add(db, name, r, scope, pw, strlen(pw));
    snprintf(what, sizeof what, "add %s role=%s scope=%s", name, role, scope);
  } else if (strcmp(sub, "passwd") == 0) {
    rc = cc_account_set_password(db, name, pw, strlen(pw));
    snprintf(what, sizeof what, "passwd %s", name);
  } else if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0) {
    rc = cc_account_set_disabled(db, name, sub[0] == 'd');
    snprintf(what, sizeof what, "%s %s", sub, name);
  } else if (revoke) {
    rc = cc_account_token_revoke(db, name);
    snprintf(what, sizeof what, "token %s revoke", name);
  } else {
    rc = cc_account_token_new(token, db, name);
    snprintf(what, sizeof what, "token %s new", name);
  }
  memset(pw, 0, sizeof pw);
  if (rc < 0) /* the library recorded the audit entry of a change */
    goto fail;
  cc_db_close(db);
  if (strcmp(sub, "token") == 0 && !revoke) {
    /* Shown once: only its digest is kept. */
    printf("%s\n", token);
    memset(token, 0, sizeof token);
    fprintf(stderr,
            "chachong user: API token of %s made; it is not shown "
            "again (send it as \"Authorization: Bearer TOKEN\")\n",
            name);
  } else {
    fprintf(stderr, "chachong user: %s: done\n", what);
  }
  return CC_EXIT_OK;
fail:
  memset(pw, 0, sizeof pw);
  fprintf(stderr, "chachong user: %s\n", cc_error_last());
  cc_db_close(db);
  return cc_exit_code(rc);
}
