/* School packages: the plan behind an export (private; export.c, the
 * check_export tests and bench_export). */
#ifndef CC_EXPORT_INTERNAL_H
#define CC_EXPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "chachong/export.h"
#include "chachong/finding.h"
#include "chachong/lifecycle.h"

/* Longest base name of a package file (without ".xlsx"), NUL included. */
#define CC_EXPORT_FILE_MAX 192

/* Counts of the findings of one school, city, province or the nation. */
typedef struct cc_export_tally {
  uint32_t findings;                  /* findings, any state */
  uint32_t by_type[CC_FT_COUNT_];     /* by cc_finding_type */
  uint32_t by_state[CC_STATE_COUNT_]; /* by cc_finding_state */
  uint32_t claimed;                   /* claimed resolved, still present */
  uint32_t schools;                   /* schools with a finding (city and up) */
  uint32_t cities;       /* cities with a finding (province and up) */
  int64_t amount;        /* fen at risk, findings not cleared:
                                        the duplicates' */
  int64_t amount_policy; /* the same for policy findings
                                        (counted apart: one payment can be
                                        both paid twice and against a rule) */
} cc_export_tally;

/* A school: (roster label, school code). Strings point into the list. */
typedef struct cc_export_school {
  cc_str label;  /* roster label */
  cc_str code;   /* school code, trimmed */
  cc_str name;   /* first non-empty school name seen */
  cc_str region; /* first region code seen with 2 leading digits */
  char prov[3];  /* "37"; "00" when no usable region code */
  char city[5];  /* "3701"; prov + "00" when digits 3-4 are not
                                digits; "0000" with prov "00" */
  char file[CC_EXPORT_FILE_MAX]; /* base name of its package files */
  uint32_t first_row;            /* its rows: plan.rows[first_row ...] */
  uint32_t n_rows;               /* findings it takes part in */
  uint32_t city_index;           /* kept schools: into plan.cities */
  uint8_t kept;                  /* passes --school / --region */
  cc_export_tally tally;         /* kept schools: its rows counted */
} cc_export_school;

/* A city (prefecture) or a province of the export: a run of plan.order. */
typedef struct cc_export_area {
  char code[5];          /* "3701" or "37" */
  uint32_t first, n;     /* cities: into plan.order (schools);
                                provinces: into plan.cities */
  cc_export_tally tally; /* each finding counted once */
} cc_export_area;

/* Findings grouped by school. Built once, read-only after. */
typedef struct cc_export_plan {
  const cc_finding_list *list; /* the findings (not owned) */
  cc_export_school *schools;   /* every school of the period */
  size_t n_schools;
  uint32_t *member_school; /* school of each member: of finding i,
                                   member j at member_school[moff[i] + j] */
  size_t *moff;            /* n findings + 1 offsets */
  uint32_t *order;         /* kept schools in output order: province,
                                   city, file name, label */
  size_t n_kept;
  uint32_t *rows; /* finding index of each row; a school's
                                   rows are contiguous, in finding order */
  size_t n_rows;
  cc_export_area *cities; /* in output order */
  size_t n_cities;
  cc_export_area *provinces; /* in output order */
  size_t n_provinces;
  cc_export_tally total; /* the nation: each finding counted once */
} cc_export_plan;

/* Groups a list by school and applies opts->school / opts->region.
 * Returns 0, CC_EINVALID (bad region prefix) or CC_ENOMEM; on error the
 * plan holds nothing. */
int cc_export_plan_build(cc_export_plan *out, const cc_finding_list *list,
                         const cc_export_options *opts);
void cc_export_plan_dispose(cc_export_plan *plan);

/* Writes the packages and roll-ups of a plan into opts->out_dir. Records
 * no audit entry. */
int cc_export_write(cc_export_stats *out, const cc_export_plan *plan,
                    const cc_export_options *opts);

/* Plan and write a list without a database (tests, benchmarks). */
int cc_export_findings(cc_export_stats *out, const cc_finding_list *list,
                       const cc_export_options *opts);

/* The file base name of a school code: bytes other than A-Z a-z 0-9 - _
 * (and a '.' that is not first) become %XX; a name longer than 96 bytes is
 * cut and ends in '~' and 16 hex digits of its XXH3. With a label, "_" and
 * the label encoded the same way follow. Returns the length. */
size_t cc_export_file_name(char out[CC_EXPORT_FILE_MAX], const char *code,
                           size_t code_len, const char *label,
                           size_t label_len);

#endif
