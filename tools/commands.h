/*
 * The commands of the chachong tool, one cmd_<name>.c each, and the exit
 * codes, in one place (README.md "The commands" says the same).
 *
 * Adding a command: write tools/cmd_<name>.c defining
 * `const cc_command cc_command_<name>` (tools/options.h) and add <name> to
 * CC_COMMANDS below, where it is placed in `chachong --help` and the manual.
 */
#ifndef CC_TOOLS_COMMANDS_H
#define CC_TOOLS_COMMANDS_H

#include <stddef.h>

#include "options.h"

/* Exit codes, in one place; cc_exit_docs describes each. */
// clang-format off
#define CC_EXIT_OK 0
#define CC_EXIT_FINDINGS 0 /* findings are a result, not a failure */
#define CC_EXIT_INVALID 1  /* id: some value is not a valid ID number */
#define CC_EXIT_USAGE 2    /* the command line: an option unknown, missing,
                              without its value, or a value not of its form */
#define CC_EXIT_INPUT 3    /* bad input: files, periods, dates, databases */
#define CC_EXIT_IO 4
#define CC_EXIT_NOMEM 5
#define CC_EXIT_BUSY 6 /* another run holds the database or output folder */
#define CC_EXIT_INTERRUPTED 130
// clang-format on

/* One exit code as --help and the manual page describe it. */
typedef struct cc_exit_doc {
  int code;         /* the exit status */
  const char *word; /* a word or two, for a command's --help */
  const char *text; /* the description ('\n' between lines) */
  const char *only; /* the one command that uses it, or NULL for all */
} cc_exit_doc;

extern const cc_exit_doc cc_exit_docs[];
extern const size_t cc_n_exit_docs;

/* The commands, in the order `chachong --help` lists them. */
// clang-format off
#define CC_COMMANDS(X)                                                        \
  X(run) X(id) X(workdays) X(resolve) X(import_responses) X(review)         \
  X(audit) X(query) X(export) X(report) X(user) X(serve)

// clang-format on
#define CC_COMMAND_DECLARE(name) extern const cc_command cc_command_##name;
CC_COMMANDS(CC_COMMAND_DECLARE)
#undef CC_COMMAND_DECLARE

extern const cc_command *const cc_commands[];
extern const size_t cc_n_commands;

/* The manual page's DESCRIPTION (tools/chachong.c). */
extern const char cc_manual_description[];

/* Maps a library error code to an exit code. */
int cc_exit_code(int rc);

struct cc_db;
/* Opens an existing database read-write (the audit log is written to): a
 * database that is not there is bad input (CC_ENOTFOUND), never created
 * empty. */
int cc_cmd_open_existing(struct cc_db **out, const char *dir);

#endif
