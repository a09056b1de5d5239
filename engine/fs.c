/*
 * fs.c - file-system helpers: creating directories for the database and the
 * outputs (mode 0700: they hold personal data).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error_internal.h"
#include "fs_internal.h"

int cc_mkdir_p(const char *path, unsigned mode)
{
  char *copy = strdup(path), *p;
  struct stat sb;
  int rc = 0;
  if (copy == NULL)
    return cc_error_set(CC_ENOMEM, "out of memory");
  for (p = copy + 1; rc == 0; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    {
      char saved = *p;
      *p = '\0';
      if (mkdir(copy, mode) != 0 && errno != EEXIST)
        rc = cc_error_set_errno(CC_EIO, errno, "cannot create %s", copy);
      else if (stat(copy, &sb) != 0 || !S_ISDIR(sb.st_mode))
        rc = cc_error_set(CC_EIO, "%s is not a directory", copy);
      *p = saved;
    }
    if (*p == '\0')
      break;
  }
  free(copy);
  return rc;
}
