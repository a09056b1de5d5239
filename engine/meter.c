/*
 * meter.c - what a stage of a run cost the machine.
 *
 * A mark is one getrusage(RUSAGE_SELF) and one clock_gettime(): CPU time
 * of all threads, minor and major page faults, and ru_oublock, which Linux
 * fills from the same counter as /proc/self/io write_bytes (bytes of file
 * pages the process dirtied, counted when dirtied, whether by write() or
 * through a map; 512-byte units). During ingest and index these are the
 * database's pages (and the small rejects and invalid-ID files); in emit
 * the output files. Two marks at a stage's ends give its cost
 * (cc_meter_format); run.c prints one line per stage in summary.txt.
 *
 * Faults matter on a virtual machine: each fresh page the process touches
 * is a trap into the guest kernel that a hypervisor may make expensive, so
 * the number of faults is a cost of its own, beside the CPU seconds.
 */
#include "meter_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double tv_s(struct timeval tv)
{
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void cc_meter_mark_now(cc_meter_mark *out)
{
  struct timespec ts;
  struct rusage ru;
  memset(out, 0, sizeof *out);
  if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
    out->wall = (double)ts.tv_sec + ts.tv_nsec / 1e9;
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    out->user = tv_s(ru.ru_utime);
    out->sys = tv_s(ru.ru_stime);
    out->minflt = (uint64_t)ru.ru_minflt;
    out->majflt = (uint64_t)ru.ru_majflt;
    out->written = (uint64_t)ru.ru_oublock * 512;
  }
}

/* to - from, never below 0 (the counters only grow; a mark left at 0
 * because a call failed must not print a huge unsigned difference). */
static uint64_t since(uint64_t to, uint64_t from)
{
  return to > from ? to - from : 0;
}

int cc_meter_format(char *buf, size_t cap, const char *name,
                    const cc_meter_mark *from, const cc_meter_mark *to)
{
  return snprintf(
      buf, cap,
      "stage: %s wall %.2f s, user %.2f s, sys %.2f s, faults %llu minor "
      "%llu major, written %llu bytes",
      name, to->wall - from->wall, to->user - from->user, to->sys - from->sys,
      (unsigned long long)since(to->minflt, from->minflt),
      (unsigned long long)since(to->majflt, from->majflt),
      (unsigned long long)since(to->written, from->written));
}
