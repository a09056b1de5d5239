/* Growing an array (private to the engine). */
#ifndef CC_GROW_INTERNAL_H
#define CC_GROW_INTERNAL_H

#include <stdlib.h>

/*
 * Makes room for `need` elements of `size` bytes in *arr (capacity *cap),
 * doubling from 4096. Returns 0, or -1 when out of memory (then *arr and
 * *cap are as they were); the caller reports the error.
 */
static inline int cc_grow(void **arr, size_t *cap, size_t need, size_t size)
{
  size_t ncap;
  void *grown;
  if (need <= *cap)
    return 0;
  ncap = *cap ? *cap * 2 : 4096;
  while (ncap < need)
    ncap *= 2;
  grown = realloc(*arr, ncap * size);
  if (grown == NULL)
    return -1;
  *arr = grown;
  *cap = ncap;
  return 0;
}

#endif
