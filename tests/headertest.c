/* <chachong/chachong.h> must compile alone with -std=c11 -pedantic -Werror. */
#include <chachong/chachong.h>

int cc_headertest_dummy(void);
int cc_headertest_dummy(void)
{
  return CC_OK;
}
