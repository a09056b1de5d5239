/*
 * chachong id VALUE... - cleans and checks ID numbers (SPEC 2.1).
 * Prints per value: cleaned form, valid|invalid|rejected, reason code and
 * its Chinese text, tab-separated. Exit 0 when every value is valid, 1 when
 * any is not (CC_EXIT_INVALID).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

static int cmd_id(int argc, char **argv);

static const cc_opt options[] = {
    {NULL, 0, NULL, 0, NULL},
};

const cc_command cc_command_id = {
    "id",
    cmd_id,
    "clean and check ID numbers",
    "chachong id VALUE...",
    "Prints, per value: the cleaned 18-character form, "
    "valid|invalid|rejected,\n"
    "the reason code and the reason in Chinese (tab-separated). A 15-digit\n"
    "number is upgraded to 18 digits.",
    "VALUE...",
    options,
    "Exit 0 if every value is valid, 1 if not. A value that begins with '-'\n"
    "and a letter follows '--'.",
};

static int cmd_id(int argc, char **argv)
{
  int all_valid = 1, key, n = 0, i;
  cc_date today = cc_date_today();
  const char **values;
  cc_args args;

  /* The values are checked once the command line is known to be right. */
  values = malloc((size_t)argc * sizeof *values);
  if (values == NULL) {
    fprintf(stderr, "chachong id: out of memory\n");
    return CC_EXIT_NOMEM;
  }
  cc_args_init(&args, &cc_command_id, argc, argv);
  while ((key = cc_args_next(&args)) != CC_ARGS_END) {
    if (key == CC_ARGS_OPERAND) {
      values[n++] = args.value;
      continue;
    }
    free(values);
    if (key == CC_ARGS_HELP) {
      cc_command_help(stdout, &cc_command_id);
      return CC_EXIT_OK;
    }
    return CC_EXIT_USAGE;
  }
  if (n == 0) {
    free(values);
    return cc_usage_error(&cc_command_id, "no VALUE given");
  }
  for (i = 0; i < n; i++) {
    cc_id id;
    cc_id_verdict v = cc_id_normalize(&id, values[i], strlen(values[i]), today);
    const char *verdict = v == CC_ID_VALID     ? "valid"
                          : v == CC_ID_INVALID ? "invalid"
                                               : "rejected";
    const char *code = cc_id_reason_code((cc_id_reason)id.reason);
    const char *zh = cc_id_reason_zh((cc_id_reason)id.reason);
    if (v == CC_ID_VALID && id.upgraded) {
      code = "upgraded_from_15";
      zh = "15位旧号码已升级为18位";
    }
    printf("%s\t%s\t%s\t%s\n", id.len ? id.digits : "-", verdict, code, zh);
    if (v != CC_ID_VALID)
      all_valid = 0;
  }
  free(values);
  return all_valid ? CC_EXIT_OK : CC_EXIT_INVALID;
}
