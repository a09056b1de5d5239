/*
 * What a stage of a run cost the machine (private): wall time, CPU time,
 * page faults and bytes written, sampled at stage boundaries with one
 * getrusage() and compared. run.c prints one "stage:" line per stage in
 * summary.txt, below its "time:" line, and bench/run.sh reads them.
 */
#ifndef CC_METER_INTERNAL_H
#define CC_METER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* The process's counters at one moment; all threads, the dead ones too. */
typedef struct cc_meter_mark {
  double wall;      /* CLOCK_MONOTONIC, seconds */
  double user, sys; /* CPU time in user and kernel mode, seconds */
  uint64_t minflt;  /* page faults served without I/O (fresh pages) */
  uint64_t majflt;  /* page faults that read from disk */
  uint64_t written; /* bytes the process dirtied in the page cache for
                         * files: /proc/self/io write_bytes, which the kernel
                         * also reports as ru_oublock 512-byte blocks */
} cc_meter_mark;

/* Samples the counters into *out (never fails: a counter that cannot be
 * read stays 0). */
void cc_meter_mark_now(cc_meter_mark *out);

/*
 * Writes the cost between marks `from` and `to` as one line, without the
 * newline, into buf (cap bytes, truncated and NUL-terminated):
 *
 *   stage: NAME wall W s, user U s, sys S s, faults MIN minor MAJ major, written B bytes
 *
 * seconds with two decimals. Returns what snprintf returns.
 */
int cc_meter_format(char *buf, size_t cap, const char *name,
                    const cc_meter_mark *from, const cc_meter_mark *to);

#endif
