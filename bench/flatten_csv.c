/*
 * flatten_csv - copies a CSV from stdin to stdout with every line feed or
 * carriage return inside a quoted field made a space, so that each record
 * is one line. For bench/run.sh (BENCH_FLATTEN=1): DuckDB's parallel CSV
 * reader refuses a quoted line feed where it cuts the file (the
 * generator's majors such as "数控加工（数控车工）\n中德合作班"), which it
 * met in every 17.5M roster of the sixth session; both programs are then
 * run on the flattened copies.
 */
#include <stdio.h>

int main(void)
{
  static char buf[1 << 20];
  size_t n, i;
  int quoted = 0;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    for (i = 0; i < n; i++) {
      if (buf[i] == '"')
        quoted = !quoted; /* "" inside a field toggles twice */
      else if (quoted && (buf[i] == '\n' || buf[i] == '\r'))
        buf[i] = ' ';
    }
    if (fwrite(buf, 1, n, stdout) != n) {
      perror("flatten_csv");
      return 1;
    }
  }
  if (ferror(stdin)) {
    perror("flatten_csv");
    return 1;
  }
  return 0;
}
