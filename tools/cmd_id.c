/*
 * chachong id VALUE... - cleans and checks ID numbers (SPEC 2.1).
 * Prints per value: cleaned form, valid|invalid|rejected, reason code and
 * its Chinese text, tab-separated. Exit 0 when every value is valid, 1 when
 * any is not.
 */
#include <stdio.h>
#include <string.h>

#include <chachong/chachong.h>

#include "commands.h"

int cc_cmd_id(int argc, char **argv)
{
  int i, all_valid = 1;
  cc_date today = cc_date_today();

  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(argc < 2 ? stderr : stdout,
            "usage: chachong id VALUE...\n"
            "  prints, per value: cleaned 18-character form, valid|invalid|rejected,\n"
            "  reason code, reason in Chinese (tab-separated).\n"
            "  A 15-digit number is upgraded to 18 digits. Exit 0 if all valid, 1 if not.\n");
    return argc < 2 ? CC_EXIT_USAGE : CC_EXIT_OK;
  }
  for (i = 1; i < argc; i++) {
    cc_id id;
    cc_id_verdict v = cc_id_normalize(&id, argv[i], strlen(argv[i]), today);
    const char *verdict = v == CC_ID_VALID ? "valid"
                          : v == CC_ID_INVALID ? "invalid" : "rejected";
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
  return all_valid ? CC_EXIT_OK : 1;
}
