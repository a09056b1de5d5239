/*
 * region.c - GB/T 2260 region names for the folders and roll-ups of export.
 *
 * Owns: the table of province-level (2-digit) and prefecture-level
 * (4-digit) codes and their names. The data is data/regions/gbt2260.txt
 * (its format and sources are at its top), which engine/CMakeLists.txt
 * turns into region_data.inc, a byte array compiled in, so the library
 * reads no data file at run time.
 *
 * On first use (pthread_once) the array is parsed in place: each line end
 * becomes a NUL, so every name is a NUL-terminated string inside the array,
 * and two direct-index tables point at them: by_province[0..99] and
 * by_city[0..9999], indexed by the code's value. After that the tables are
 * read-only and a lookup is one array read. A line that does not parse is
 * skipped; check_export counts the codes, so a damaged data file fails a
 * test rather than the export.
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "chachong/region.h"

#include "region_data.inc"

static const char *by_province[100]; /* name by 2-digit code, or NULL */
static const char *by_city[10000];   /* name by 4-digit code, or NULL */
static size_t n_codes;               /* codes in the tables */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}
static int is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* The value of n ASCII digits, or -1 when one is not a digit. */
static int digits_value(const char *p, size_t n)
{
  int v = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    if (!is_digit(p[i]))
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

/* Parses one line (NUL-terminated, in the array) into the tables. */
static void parse_line(char *line)
{
  size_t code_len = 0;
  char *name, *end;
  int v;
  while (is_digit(line[code_len]))
    code_len++;
  if ((code_len != 2 && code_len != 4) || !is_blank(line[code_len]))
    return; /* a comment, a blank line, or damage */
  name = line + code_len;
  while (is_blank(*name))
    name++;
  end = name + strlen(name);
  while (end > name && (is_blank(end[-1]) || end[-1] == '\r'))
    *--end = '\0';
  if (*name == '\0')
    return;
  v = digits_value(line, code_len);
  if (code_len == 2 && by_province[v] == NULL) {
    by_province[v] = name;
    n_codes++;
  } else if (code_len == 4 && by_city[v] == NULL) {
    by_city[v] = name;
    n_codes++;
  }
}

static void build(void)
{
  char *p = (char *)region_data, *end = p + region_data_len;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL)
      nl = end; /* the array ends with a NUL not counted in the length */
    *nl = '\0';
    parse_line(p);
    p = nl + 1;
  }
}

const char *cc_region_lookup(const char *code, size_t len)
{
  int v;
  if (code == NULL || (len != 2 && len != 4))
    return NULL;
  v = digits_value(code, len);
  if (v < 0)
    return NULL;
  pthread_once(&once, build);
  return len == 2 ? by_province[v] : by_city[v];
}

const char *cc_region_name(const char *code)
{
  const char *name = cc_region_lookup(code, strlen(code));
  return name != NULL ? name : code;
}

size_t cc_region_count(void)
{
  pthread_once(&once, build);
  return n_codes;
}
