/*
 * The commands of the chachong tool, one cmd_<name>.c each. Each takes
 * argv with argv[0] = the command's name and returns an exit code
 * (tools/chachong.c lists them).
 */
#ifndef CC_TOOLS_COMMANDS_H
#define CC_TOOLS_COMMANDS_H

/* Exit codes, in one place. */
#define CC_EXIT_OK 0
#define CC_EXIT_FINDINGS 0 /* findings are a result, not a failure */
#define CC_EXIT_USAGE 2
#define CC_EXIT_INPUT 3
#define CC_EXIT_IO 4
#define CC_EXIT_NOMEM 5
#define CC_EXIT_BUSY 6 /* another run holds the database or output folder */
#define CC_EXIT_INTERRUPTED 130

int cc_cmd_run(int argc, char **argv);
int cc_cmd_id(int argc, char **argv);
int cc_cmd_workdays(int argc, char **argv);
int cc_cmd_resolve(int argc, char **argv);
int cc_cmd_import_responses(int argc, char **argv);
int cc_cmd_audit(int argc, char **argv);
int cc_cmd_report(int argc, char **argv);
int cc_cmd_export(int argc, char **argv);
int cc_cmd_query(int argc, char **argv);
int cc_cmd_review(int argc, char **argv);
int cc_cmd_user(int argc, char **argv);
int cc_cmd_serve(int argc, char **argv);

/* Maps a library error code to an exit code. */
int cc_exit_code(int rc);

struct cc_db;
/* Opens an existing database read-write (the audit log is written to): a
 * database that is not there is bad input (CC_ENOTFOUND), never created
 * empty. */
int cc_cmd_open_existing(struct cc_db **out, const char *dir);

#endif
