/*
 * The options of the chachong commands: one table per command, which
 * getopt_long parses (cc_args_next), --help prints (cc_command_help) and the
 * manual page is written from (cc_manual_write, `chachong --man`).
 *
 * A command (tools/cmd_<name>.c) defines a cc_command with its option
 * table and a main function that parses its argv like this:
 *
 *   cc_args args;
 *   int key;
 *   cc_args_init(&args, &cc_cmd_audit, argc, argv);
 *   while ((key = cc_args_next(&args)) != CC_ARGS_END) {
 *     switch (key) {
 *     case OPT_DB: db_dir = args.value; break;
 *     case CC_ARGS_HELP: cc_command_help(stdout, &cc_cmd_audit); return 0;
 *     default: return CC_EXIT_USAGE; (CC_ARGS_ERROR: the line is printed)
 *     }
 *   }
 *
 * Every command takes -h/--help, and `--opt VALUE` and `--opt=VALUE` alike;
 * a name must be typed in full (an abbreviation that a later option makes
 * ambiguous would break scripts). A wrong, missing or valueless option is
 * one line on stderr that names it and points to `chachong CMD --help`.
 * Values are never echoed: they may be ID numbers or names.
 *
 * Adding a command: tools/cmd_<name>.c with its cc_command, one line in
 * CC_COMMANDS (tools/commands.h). Its --help and its part of the manual page
 * follow from the table.
 */
#ifndef CC_TOOLS_OPTIONS_H
#define CC_TOOLS_OPTIONS_H

#include <stdio.h>

/* Flags of an option. */
#define CC_OPT_REQUIRED 1u /* cc_args_next reports it when missing */
#define CC_OPT_REPEAT 2u   /* may be given more than once (shown as "...") */

/* The largest option table, headings included. */
#define CC_OPT_MAX 48

/* The first key a command may give an option (below: getopt's own). */
#define CC_OPT_KEY 256

/* One option of a command, or a heading between groups of options. */
typedef struct cc_opt {
  const char *name; /* long name without "--"; NULL: a heading (help) */
  int key;          /* what cc_args_next returns: >= CC_OPT_KEY, unique */
  const char *arg;  /* the value's placeholder (DIR), NULL for a switch */
  unsigned flags;   /* CC_OPT_REQUIRED, CC_OPT_REPEAT */
  const char *help; /* the description; '\n' starts a new line */
} cc_opt;

/* One command: what `chachong --help`, `chachong NAME --help` and the
 * manual page say about it, and its entry point. */
typedef struct cc_command {
  const char *name; /* as typed: chachong NAME */
  int (*main)(int argc,
              char **argv); /* argv[0] is NAME; returns an exit code */
  const char *summary;      /* one line for the command list */
  const char *synopsis;     /* usage lines, each starting "chachong NAME" or
                           continuing with blanks; '\n' between them */
  const char *about;    /* what it does (paragraphs, '\n\n' between) or NULL */
  const char *operands; /* the operands' placeholder (VALUE...), or NULL when
                           the command takes none */
  const cc_opt *opts;   /* ended by an all-NULL entry */
  const char *notes;    /* said after the options, or NULL */
} cc_command;

/* What cc_args_next returns besides an option's key. */
#define CC_ARGS_END (-1)     /* all arguments read, required ones present */
#define CC_ARGS_ERROR (-2)   /* a usage error: the line is printed */
#define CC_ARGS_HELP (-3)    /* -h or --help */
#define CC_ARGS_OPERAND (-4) /* an operand, in value (commands with operands) */

/* The parser of one command line; caller-owned, nothing to free. */
typedef struct cc_args {
  const cc_command *cmd; /* the command being parsed */
  int argc;              /* as given to the command */
  char **argv;           /* argv[0] is the command's name */
  const char *value;     /* the value of the option or operand returned */
  const char *name;      /* the name of the option returned, without "--" */
  int rest;              /* after "--": the next operand; 0 before */
  int ended;             /* getopt_long has returned -1 */
  unsigned char seen[CC_OPT_MAX]; /* per table entry: given at least once */
} cc_args;

/* Starts parsing argv (getopt_long's state is reset). */
void cc_args_init(cc_args *a, const cc_command *cmd, int argc, char **argv);

/*
 * The next option's key (its value in a->value, NULL for a switch), an
 * operand, -h/--help, the end, or an error (printed: one line).
 * @return a key, CC_ARGS_OPERAND, CC_ARGS_HELP, CC_ARGS_END or
 *         CC_ARGS_ERROR. After the last argument, the required options
 *         that were not given make one error naming them all.
 */
int cc_args_next(cc_args *a);

/*
 * The value of the option just returned as a whole number from min to max
 * (0 <= min <= max), decimal digits only; otherwise the usage error that
 * names the option and the range is printed.
 * @return 0, or CC_EXIT_USAGE
 */
int cc_args_number(const cc_args *a, long min, long max, long *out);

/* Whether the option with this key has been given (so far). */
int cc_args_given(const cc_args *a, int key);

/*
 * Prints "chachong NAME: <message>; see 'chachong NAME --help'" on stderr:
 * the one line of a usage error.
 * @return CC_EXIT_USAGE
 */
int cc_usage_error(const cc_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints a command's --help: synopsis, about, options, notes, exit codes. */
void cc_command_help(FILE *out, const cc_command *cmd);

/* Prints `chachong --help`: the commands and the exit codes. */
void cc_commands_help(FILE *out);

/* Writes the manual page chachong(1), in roff, from the tables. */
void cc_manual_write(FILE *out);

#endif
