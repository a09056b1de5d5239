/*
 * fuzz_file.h - the one scratch file of a fuzz target whose code under
 * test reads a path: made once (mkstemp under /tmp), rewritten with each
 * input. Included by fuzz_ingest.c and fuzz_xlsx.c; static, one per target.
 */
#ifndef CC_FUZZ_FILE_H
#define CC_FUZZ_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Makes "/tmp/<stem>_XXXXXX" in path (64 bytes), or aborts. */
static void fuzz_file_make(char *path, const char *stem)
{
  int fd;
  snprintf(path, 64, "/tmp/%s_XXXXXX", stem);
  fd = mkstemp(path);
  if (fd < 0)
    abort();
  close(fd);
}

/* Replaces the file's bytes with data[0, size), or aborts. */
static void fuzz_file_write(const char *path, const void *data, size_t size)
{
  FILE *f = fopen(path, "wb");
  if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) ||
      fclose(f) != 0)
    abort();
}

#endif
