/*
 * check_lifecycle.c - findings across months (engine/lifecycle.c) against
 * docs/RULES.md "Across months (lifecycle)":
 *
 *   previous           now       state                issued / deadline
 *   absent, cleared    present   new                  D / run's deadline
 *   new/open/overdue   present   open if D <= deadline, else overdue; carried
 *   new/open/overdue   absent    cleared, cleared = D, on time = D <= deadline
 *
 * plus the responses schools record (cc_response_record / _list) and how
 * the latest one is carried and flagged (claimed_resolved).
 *
 * Lists are built by hand. The previous period's findings carry issue
 * dates, deadlines and first periods as labels: lifecycle only copies them,
 * so they need not be a real calendar's. The run's own deadline is given
 * (2026-12-07 + 10 working days = 2026-12-21: Dec 8-11, 14-18, 21), not
 * computed here. The deadline boundary: D == deadline is open (and cleared
 * on time), D == deadline + 1 day is overdue (and cleared late).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chachong/audit.h"
#include "chachong/errors.h"
#include "chachong/finding.h"
#include "chachong/index.h"
#include "chachong/lifecycle.h"
#include "finding_internal.h"
#include "store_internal.h"
#include "lifecycle_internal.h"
#include "test_util.h"

/* ------------------------------------------------------------------ */
/* Scratch directories: main() makes `root` and removes it after every test
 * ran; each test gets its own directory and database under it. */

static char root[256];
static char scratch[320];
static char db_dir[400];
static cc_db *db;

static void setup(void)
{
  db = tu_db_scratch(scratch, sizeof scratch, db_dir, sizeof db_dir, root);
}

static void teardown(void)
{
  tu_db_scratch_end(&db, scratch);
}

/* ------------------------------------------------------------------ */
/* Building lists. */

static cc_date ymd(int y, int m, int d)
{
  return cc_date_from_ymd(y, m, d);
}

/* Adds a finding to l: strings and its one member in l's storage. The
 * member's line and the person's name ("p<fid>") tell findings apart. */
static cc_finding *add(cc_finding_list *l, uint64_t fid, int type,
                       const char *id, int state, cc_date issued,
                       cc_date deadline, const char *first_period)
{
  cc_finding f;
  char name[32];
  memset(&f, 0, sizeof f);
  f.finding_id = fid;
  f.type = (uint8_t)type;
  f.id_valid = 1;
  snprintf(f.id, sizeof f.id, "%s", id);
  snprintf(name, sizeof name, "p%llx", (unsigned long long)fid);
  ck_assert_int_eq(cc_finding_strdup(&f.person_name, l, name, strlen(name)), 0);
  f.members = cc_finding_alloc(l, sizeof *f.members);
  ck_assert_ptr_nonnull(f.members);
  memset(f.members, 0, sizeof *f.members);
  ck_assert_int_eq(cc_finding_strdup(&f.members[0].label, l, "moe", 3), 0);
  ck_assert_int_eq(cc_finding_strdup(&f.members[0].name, l, name, strlen(name)),
                   0);
  f.members[0].line = (uint32_t)(fid & 0xFFFF) + 1000;
  f.n_members = 1;
  f.state = (uint8_t)state;
  f.issued = issued;
  f.deadline = deadline;
  snprintf(f.first_period, sizeof f.first_period, "%s", first_period);
  ck_assert_int_eq(cc_finding_push(l, &f), 0);
  return &l->items[l->n - 1];
}

/* A finding as compare gives it: no lifecycle fields. */
static void add_found(cc_finding_list *l, uint64_t fid, int type,
                      const char *id)
{
  add(l, fid, type, id, 0, 0, 0, "");
}

static const cc_finding *by_id(const cc_finding_list *l, uint64_t fid)
{
  size_t i, hits = 0;
  const cc_finding *f = NULL;
  for (i = 0; i < l->n; i++)
    if (l->items[i].finding_id == fid) {
      f = &l->items[i];
      hits++;
    }
  ck_assert_msg(hits == 1, "finding %llx listed %zu times",
                (unsigned long long)fid, hits);
  return f;
}

static void assert_absent(const cc_finding_list *l, uint64_t fid)
{
  size_t i;
  for (i = 0; i < l->n; i++)
    ck_assert_msg(l->items[i].finding_id != fid, "finding %llx listed",
                  (unsigned long long)fid);
}

/* Checks a finding's lifecycle fields. */
static void assert_life(const cc_finding *f, int state, cc_date issued,
                        cc_date deadline, int provisional, const char *first,
                        cc_date seen)
{
  char a[11], b[11];
  ck_assert_msg(f->state == state, "%llx: state %s, want %s",
                (unsigned long long)f->finding_id,
                cc_finding_state_code((cc_finding_state)f->state),
                cc_finding_state_code((cc_finding_state)state));
  cc_date_format(a, f->issued);
  cc_date_format(b, issued);
  ck_assert_msg(f->issued == issued, "%llx: issued %s, want %s",
                (unsigned long long)f->finding_id, a, b);
  cc_date_format(a, f->deadline);
  cc_date_format(b, deadline);
  ck_assert_msg(f->deadline == deadline, "%llx: deadline %s, want %s",
                (unsigned long long)f->finding_id, a, b);
  ck_assert_uint_eq(f->deadline_provisional, provisional);
  ck_assert_str_eq(f->first_period, first);
  ck_assert_int_eq(f->seen, seen);
}

/* The person name and member of a finding made by add(). */
static void assert_own_strings(const cc_finding *f)
{
  char name[32];
  snprintf(name, sizeof name, "p%llx", (unsigned long long)f->finding_id);
  ck_assert_uint_eq(f->person_name.len, strlen(name));
  ck_assert_int_eq(memcmp(f->person_name.ptr, name, strlen(name)), 0);
  ck_assert_uint_eq(f->n_members, 1);
  ck_assert_uint_eq(f->members[0].label.len, 3);
  ck_assert_int_eq(memcmp(f->members[0].label.ptr, "moe", 3), 0);
  ck_assert_uint_eq(f->members[0].line, (f->finding_id & 0xFFFF) + 1000);
}

static cc_lifecycle_run run_of(const char *period, cc_date issued,
                               cc_date deadline, int provisional)
{
  cc_lifecycle_run r;
  r.period = period;
  r.issued = issued;
  r.deadline = deadline;
  r.deadline_provisional = provisional;
  return r;
}

/* Publishes a period holding the findings of `l` (no records). */
static void publish_period(const char *period, const cc_finding_list *l)
{
  cc_stage st;
  ck_assert_int_eq(cc_index_stage_begin(&st, db, period, 1 << 20), 0);
  ck_assert_int_eq(cc_index_stage_commit(&st), 0);
  ck_assert_int_eq(cc_index_publish(db, period, st.gen, l, "{}"), 0);
}

#define ID1 "110101200501011239"
#define ID2 "110101200501010017"
#define ID3 "110101200501010025"

/* ------------------------------------------------------------------ */
/* States. */

START_TEST(test_lifecycle_all_new_without_previous)
{
  /* No previous period (NULL), or one with no findings: all new, issued
   * on D with the run's deadline, first found in this period. */
  cc_date D = ymd(2026, 11, 23), DL = ymd(2026, 12, 7);
  cc_lifecycle_run r = run_of("2026-11", D, DL, 1);
  int pass;
  for (pass = 0; pass < 2; pass++) {
    cc_finding_list cur = {0}, prev = {0};
    size_t i;
    add_found(&cur, 3, CC_FT_ID_CONFLICT, ID1);
    add_found(&cur, 1, CC_FT_DUAL_ENROLLMENT, ID1);
    add_found(&cur, 2, CC_FT_DUAL_ENROLLMENT, ID2);
    ck_assert_int_eq(cc_lifecycle_apply(&cur, pass ? &prev : NULL, &r, db), 0);
    ck_assert_uint_eq(cur.n, 3);
    /* output order: type, then ID ("...0017" < "...1239") */
    ck_assert_uint_eq(cur.items[0].finding_id, 2);
    ck_assert_uint_eq(cur.items[1].finding_id, 1);
    ck_assert_uint_eq(cur.items[2].finding_id, 3);
    for (i = 0; i < cur.n; i++) {
      const cc_finding *f = &cur.items[i];
      assert_life(f, CC_STATE_NEW, D, DL, 1, "2026-11", D);
      ck_assert_uint_eq(f->claimed, 0);
      ck_assert_uint_eq(f->response_action, CC_ACTION_NONE);
      assert_own_strings(f);
    }
    cc_finding_list_dispose(&cur);
    cc_finding_list_dispose(&prev);
  }
}
END_TEST

/* The previous period, 2026-11, issued 2026-11-23 with deadline 12-07:
 *   0x11 new       11-23 / 12-07  2026-11  present now
 *   0x12 overdue   10-20 / 11-03  2026-10  present now
 *   0x13 cleared   10-20 / 11-03  2026-10  present now: back, so new
 *   0x14 new       11-23 / 12-07  2026-11  gone now: cleared
 *   0x15 cleared   10-20 / 11-03  2026-10  gone now: not repeated
 *   0x16 open      11-24 / 12-08  2026-10  present now
 *   0x17 overdue   10-20 / 11-03  2026-10  gone now: cleared late
 * and now one more, 0x18, never seen. */
static void build_months(cc_finding_list *prev, cc_finding_list *cur)
{
  cc_finding *f;
  memset(prev, 0, sizeof *prev);
  memset(cur, 0, sizeof *cur);
  f = add(prev, 0x11, CC_FT_DUAL_ENROLLMENT, ID1, CC_STATE_NEW,
          ymd(2026, 11, 23), ymd(2026, 12, 7), "2026-11");
  f->deadline_provisional = 1;
  add(prev, 0x12, CC_FT_DUAL_ENROLLMENT, ID2, CC_STATE_OVERDUE,
      ymd(2026, 10, 20), ymd(2026, 11, 3), "2026-10");
  f = add(prev, 0x13, CC_FT_DOUBLE_GRANT, ID1, CC_STATE_CLEARED,
          ymd(2026, 10, 20), ymd(2026, 11, 3), "2026-10");
  f->cleared = ymd(2026, 11, 23);
  f->cleared_on_time = 0;
  f = add(prev, 0x14, CC_FT_DUPLICATE_RECORD, ID3, CC_STATE_NEW,
          ymd(2026, 11, 23), ymd(2026, 12, 7), "2026-11");
  f->claimed = 1; /* was claimed last month; a cleared finding is not */
  f = add(prev, 0x15, CC_FT_DOUBLE_WAIVER, ID1, CC_STATE_CLEARED,
          ymd(2026, 10, 20), ymd(2026, 11, 3), "2026-10");
  f->cleared = ymd(2026, 11, 23);
  add(prev, 0x16, CC_FT_ID_CONFLICT, ID2, CC_STATE_OPEN, ymd(2026, 11, 24),
      ymd(2026, 12, 8), "2026-10");
  add(prev, 0x17, CC_FT_DUAL_ENROLLMENT, ID3, CC_STATE_OVERDUE,
      ymd(2026, 10, 20), ymd(2026, 11, 3), "2026-10");

  add_found(cur, 0x18, CC_FT_DOUBLE_GRANT, ID2);
  add_found(cur, 0x16, CC_FT_ID_CONFLICT, ID2);
  add_found(cur, 0x13, CC_FT_DOUBLE_GRANT, ID1);
  add_found(cur, 0x12, CC_FT_DUAL_ENROLLMENT, ID2);
  add_found(cur, 0x11, CC_FT_DUAL_ENROLLMENT, ID1);
}

START_TEST(test_lifecycle_on_the_deadline)
{
  /* D = 2026-12-07, the deadline of 0x11 and 0x14. */
  cc_date D = ymd(2026, 12, 7), DL = ymd(2026, 12, 21);
  cc_lifecycle_run r = run_of("2026-12", D, DL, 0);
  cc_finding_list prev, cur;
  const cc_finding *f;
  /* by hand: (type, ID, id) order of 0x11 0x12 0x13 0x14 0x16 0x17 0x18 */
  static const uint64_t order[] = {0x12, 0x17, 0x11, 0x14, 0x18, 0x13, 0x16};
  size_t i;

  build_months(&prev, &cur);
  ck_assert_int_eq(cc_lifecycle_apply(&cur, &prev, &r, db), 0);
  /* prev's storage went to cur */
  ck_assert_uint_eq(prev.n, 0);
  ck_assert_ptr_null(prev.items);
  ck_assert_ptr_null(prev.mem_);
  cc_finding_list_dispose(&prev);

  ck_assert_uint_eq(cur.n, 7);
  for (i = 0; i < 7; i++)
    ck_assert_msg(cur.items[i].finding_id == order[i], "position %zu: %llx", i,
                  (unsigned long long)cur.items[i].finding_id);
  /* D == deadline: open, carried over (provisional too). */
  assert_life(by_id(&cur, 0x11), CC_STATE_OPEN, ymd(2026, 11, 23),
              ymd(2026, 12, 7), 1, "2026-11", D);
  assert_life(by_id(&cur, 0x12), CC_STATE_OVERDUE, ymd(2026, 10, 20),
              ymd(2026, 11, 3), 0, "2026-10", D);
  /* cleared last month, back now: new, this run's dates and period */
  assert_life(by_id(&cur, 0x13), CC_STATE_NEW, D, DL, 0, "2026-12", D);
  assert_life(by_id(&cur, 0x16), CC_STATE_OPEN, ymd(2026, 11, 24),
              ymd(2026, 12, 8), 0, "2026-10", D);
  assert_life(by_id(&cur, 0x18), CC_STATE_NEW, D, DL, 0, "2026-12", D);
  /* gone on its deadline: cleared on time, carried, as it was */
  f = by_id(&cur, 0x14);
  assert_life(f, CC_STATE_CLEARED, ymd(2026, 11, 23), ymd(2026, 12, 7), 0,
              "2026-11", D);
  ck_assert_int_eq(f->cleared, D);
  ck_assert_uint_eq(f->cleared_on_time, 1);
  ck_assert_uint_eq(f->claimed, 0);
  ck_assert_uint_eq(f->type, CC_FT_DUPLICATE_RECORD);
  ck_assert_str_eq(f->id, ID3);
  f = by_id(&cur, 0x17);
  assert_life(f, CC_STATE_CLEARED, ymd(2026, 10, 20), ymd(2026, 11, 3), 0,
              "2026-10", D);
  ck_assert_int_eq(f->cleared, D);
  ck_assert_uint_eq(f->cleared_on_time, 0);
  /* cleared last month and still gone: not repeated */
  assert_absent(&cur, 0x15);
  /* Every string readable: the cleared ones live in what was prev's
   * storage (ASan would see a use after free). */
  for (i = 0; i < cur.n; i++)
    assert_own_strings(&cur.items[i]);
  cc_finding_list_dispose(&cur);
}
END_TEST

START_TEST(test_lifecycle_day_after_the_deadline)
{
  /* D = 2026-12-08: a day past 12-07 is overdue and cleared late; 0x16's
   * deadline is 12-08, so it is still open. */
  cc_date D = ymd(2026, 12, 8), DL = ymd(2026, 12, 22);
  cc_lifecycle_run r = run_of("2026-12", D, DL, 1);
  cc_finding_list prev, cur;
  const cc_finding *f;
  size_t i;

  build_months(&prev, &cur);
  ck_assert_int_eq(cc_lifecycle_apply(&cur, &prev, &r, db), 0);
  ck_assert_uint_eq(cur.n, 7);
  assert_life(by_id(&cur, 0x11), CC_STATE_OVERDUE, ymd(2026, 11, 23),
              ymd(2026, 12, 7), 1, "2026-11", D);
  assert_life(by_id(&cur, 0x12), CC_STATE_OVERDUE, ymd(2026, 10, 20),
              ymd(2026, 11, 3), 0, "2026-10", D);
  /* new ones take the run's provisional mark */
  assert_life(by_id(&cur, 0x13), CC_STATE_NEW, D, DL, 1, "2026-12", D);
  assert_life(by_id(&cur, 0x16), CC_STATE_OPEN, ymd(2026, 11, 24),
              ymd(2026, 12, 8), 0, "2026-10", D);
  assert_life(by_id(&cur, 0x18), CC_STATE_NEW, D, DL, 1, "2026-12", D);
  f = by_id(&cur, 0x14);
  assert_life(f, CC_STATE_CLEARED, ymd(2026, 11, 23), ymd(2026, 12, 7), 0,
              "2026-11", D);
  ck_assert_int_eq(f->cleared, D);
  ck_assert_uint_eq(f->cleared_on_time, 0);
  f = by_id(&cur, 0x17);
  ck_assert_uint_eq(f->state, CC_STATE_CLEARED);
  ck_assert_uint_eq(f->cleared_on_time, 0);
  assert_absent(&cur, 0x15);
  for (i = 0; i < cur.n; i++)
    assert_own_strings(&cur.items[i]);
  cc_finding_list_dispose(&cur);
  cc_finding_list_dispose(&prev);
}
END_TEST

START_TEST(test_lifecycle_cleared_then_back)
{
  /* Three months of one finding: new in 2026-10, gone in 2026-11
   * (cleared), back in 2026-12: new again, with 2026-12's issue date,
   * deadline and first period, not 2026-10's. */
  cc_finding_list m10 = {0}, m11 = {0}, m12 = {0};
  cc_lifecycle_run r10 =
      run_of("2026-10", ymd(2026, 10, 15), ymd(2026, 10, 29), 0);
  cc_lifecycle_run r11 =
      run_of("2026-11", ymd(2026, 11, 20), ymd(2026, 12, 4), 0);
  cc_lifecycle_run r12 =
      run_of("2026-12", ymd(2026, 12, 18), ymd(2027, 1, 4), 1);
  const cc_finding *f;

  add_found(&m10, 0x99, CC_FT_ID_CONFLICT, ID1);
  ck_assert_int_eq(cc_lifecycle_apply(&m10, NULL, &r10, db), 0);
  assert_life(&m10.items[0], CC_STATE_NEW, r10.issued, r10.deadline, 0,
              "2026-10", r10.issued);

  /* m11 found nothing: m10's finding is cleared, late (11-20 > 10-29). */
  ck_assert_int_eq(cc_lifecycle_apply(&m11, &m10, &r11, db), 0);
  ck_assert_uint_eq(m11.n, 1);
  f = &m11.items[0];
  assert_life(f, CC_STATE_CLEARED, r10.issued, r10.deadline, 0, "2026-10",
              r11.issued);
  ck_assert_int_eq(f->cleared, r11.issued);
  ck_assert_uint_eq(f->cleared_on_time, 0);
  assert_own_strings(f);
  cc_finding_list_dispose(&m10);

  add_found(&m12, 0x99, CC_FT_ID_CONFLICT, ID1);
  ck_assert_int_eq(cc_lifecycle_apply(&m12, &m11, &r12, db), 0);
  ck_assert_uint_eq(m12.n, 1);
  f = &m12.items[0];
  assert_life(f, CC_STATE_NEW, r12.issued, r12.deadline, 1, "2026-12",
              r12.issued);
  ck_assert_int_eq(f->cleared, 0);
  ck_assert_uint_eq(f->cleared_on_time, 0);
  cc_finding_list_dispose(&m11);
  cc_finding_list_dispose(&m12);
}
END_TEST

START_TEST(test_lifecycle_everything_gone)
{
  /* Nothing found now: every active finding of the previous period comes
   * back cleared, in output order; the cleared one stays out. */
  cc_finding_list prev, cur, none = {0};
  cc_lifecycle_run r =
      run_of("2026-12", ymd(2026, 12, 7), ymd(2026, 12, 21), 0);
  static const uint64_t order[] = {0x12, 0x17, 0x11, 0x14, 0x16};
  size_t i;
  build_months(&prev, &cur);
  cc_finding_list_dispose(&cur);
  ck_assert_int_eq(cc_lifecycle_apply(&none, &prev, &r, db), 0);
  ck_assert_uint_eq(none.n, 5);
  for (i = 0; i < 5; i++) {
    ck_assert_uint_eq(none.items[i].finding_id, order[i]);
    ck_assert_uint_eq(none.items[i].state, CC_STATE_CLEARED);
    ck_assert_int_eq(none.items[i].cleared, r.issued);
    assert_own_strings(&none.items[i]);
  }
  /* 0x16's deadline (12-08) and 0x11's, 0x14's (12-07) are kept; 0x12
   * and 0x17 (11-03) were late. */
  ck_assert_uint_eq(by_id(&none, 0x16)->cleared_on_time, 1);
  ck_assert_uint_eq(by_id(&none, 0x11)->cleared_on_time, 1);
  ck_assert_uint_eq(by_id(&none, 0x12)->cleared_on_time, 0);
  cc_finding_list_dispose(&none);
  cc_finding_list_dispose(&prev);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Responses. */

static cc_response response(uint64_t fid, int action, cc_date date,
                            const char *school, const char *by,
                            const char *note)
{
  cc_response r;
  memset(&r, 0, sizeof r);
  r.finding_id = fid;
  r.action = (uint8_t)action;
  r.date = date;
  snprintf(r.school_code, sizeof r.school_code, "%s", school);
  snprintf(r.by, sizeof r.by, "%s", by);
  snprintf(r.note, sizeof r.note, "%s", note);
  return r;
}

static void record(const cc_response *r)
{
  ck_assert_msg(cc_response_record(db, r) == 0, "%s", cc_error_last());
}

/* 2026-11's findings, published: 0xA1 ... 0xA5 (0xA2 is 0xA1 + 1: one
 * finding's responses must not run into the next's). */
static void publish_november(void)
{
  cc_finding_list l = {0};
  uint64_t fid;
  for (fid = 0xA1; fid <= 0xA5; fid++)
    add(&l, fid, CC_FT_DUAL_ENROLLMENT, ID1, CC_STATE_NEW, ymd(2026, 11, 23),
        ymd(2026, 12, 7), "2026-11");
  cc_finding_list_sort(&l);
  publish_period("2026-11", &l);
  cc_finding_list_dispose(&l);
}

START_TEST(test_lifecycle_response_audited)
{
  /* The library writes the audit entry: a caller of cc_response_record
   * (not only chachong resolve) leaves one, by its operator, and one
   * refused response leaves none. */
  cc_response r = response(0xA2, CC_ACTION_CANCEL_OWN, ymd(2026, 12, 1), "S1",
                           "张老师", "note");
  cc_audit_entry *list = NULL;
  size_t n = 0;
  char os_user[64];
  publish_november();
  snprintf(r.user, sizeof r.user, "%s", "operator-5");
  record(&r);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(list[0].command, "resolve");
  ck_assert_str_eq(list[0].user, "operator-5");
  ck_assert_uint_eq(list[0].records, 1);
  ck_assert_str_eq(list[0].what, "finding=00000000000000a2 action=cancel_own "
                                 "by=张老师 school=S1 date=2026-12-01");
  free(list);
  r.finding_id = 0xB0; /* no such finding */
  ck_assert_int_eq(cc_response_record(db, &r), CC_ENOTFOUND);
  r.finding_id = 0xA3;
  r.user[0] = '\0'; /* no operator given: the login name */
  r.school_code[0] = '\0';
  record(&r);
  ck_assert_int_eq(cc_audit_list(&list, &n, db, 0), 0);
  ck_assert_uint_eq(n, 2);
  cc_audit_user(os_user, NULL);
  ck_assert_str_eq(list[1].user, os_user);
  ck_assert_str_eq(list[1].what, "finding=00000000000000a3 action=cancel_own "
                                 "by=张老师 school= date=2026-12-01");
  free(list);
}
END_TEST

START_TEST(test_lifecycle_response_record_refused)
{
  cc_response r =
      response(0xA1, CC_ACTION_KEEP, ymd(2026, 12, 1), "S1", "张老师", "");

  /* No period at all: no such finding. */
  ck_assert_int_eq(cc_response_record(db, &r), CC_ENOTFOUND);
  publish_november();
  ck_assert_int_eq(cc_response_record(db, &r), 0);

  /* A finding no period holds. */
  r.finding_id = 0xB0;
  ck_assert_int_eq(cc_response_record(db, &r), CC_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(cc_error_last(), "00000000000000b0"));
  r.finding_id = 0xA1;

  /* Bad actions: none, and past the last. */
  r.action = CC_ACTION_NONE;
  ck_assert_int_eq(cc_response_record(db, &r), CC_EINVALID);
  r.action = CC_ACTION_COUNT_;
  ck_assert_int_eq(cc_response_record(db, &r), CC_EINVALID);
  r.action = 255;
  ck_assert_int_eq(cc_response_record(db, &r), CC_EINVALID);
  r.action = CC_ACTION_KEEP;

  /* Nobody said it. */
  r.by[0] = '\0';
  ck_assert_int_eq(cc_response_record(db, &r), CC_EINVALID);
  ck_assert_uint_gt(strlen(cc_error_last()), 0);

  /* Only the first one was stored. */
  {
    cc_response *list = NULL;
    size_t n = 0;
    ck_assert_int_eq(cc_response_list(&list, &n, db, 0xA1), 0);
    ck_assert_uint_eq(n, 1);
    free(list);
  }

  /* A read-only database cannot take a response. */
  {
    cc_db *ro = NULL;
    cc_db_options o = CC_DB_OPTIONS_INIT;
    o.read_only = 1;
    ck_assert_int_eq(cc_db_open(&ro, db_dir, &o), 0);
    r = response(0xA1, CC_ACTION_KEEP, ymd(2026, 12, 1), "S1", "张老师", "");
    ck_assert_int_lt(cc_response_record(ro, &r), 0);
    cc_db_close(ro);
  }
}
END_TEST

START_TEST(test_lifecycle_response_list)
{
  cc_response r, *list = (cc_response *)1;
  size_t n = 99, i;
  time_t t0, t1;
  char by64[64];

  ck_assert_int_eq(cc_response_list(&list, &n, db, 0xA1), 0);
  ck_assert_ptr_null(list);
  ck_assert_uint_eq(n, 0);
  publish_november();

  /* Recorded out of date order: listed in recording order. */
  t0 = time(NULL);
  r = response(0xA2, CC_ACTION_ASK_OTHER, ymd(2026, 12, 3), "J1", "钱老师",
               "已函请\"一中\"注销");
  record(&r);
  r = response(0xA1, CC_ACTION_CANCEL_OWN, ymd(2026, 12, 2), "S1", "李老师",
               "第一条");
  record(&r);
  r = response(0xA1, CC_ACTION_KEEP, ymd(2026, 11, 30), "J1", "王老师", "");
  r.recorded_at = 1700000000; /* given: kept as given */
  record(&r);
  /* `by` of 64 bytes with no NUL: the first 63 are kept. */
  r = response(0xA1, CC_ACTION_ASK_OTHER, ymd(2026, 12, 4), "S1", "x", "");
  memset(by64, 'b', sizeof by64);
  memcpy(r.by, by64, sizeof r.by);
  record(&r);
  t1 = time(NULL);

  ck_assert_int_eq(cc_response_list(&list, &n, db, 0xA1), 0);
  ck_assert_uint_eq(n, 3);
  for (i = 0; i < n; i++)
    ck_assert_uint_eq(list[i].finding_id, 0xA1);
  ck_assert_uint_eq(list[0].action, CC_ACTION_CANCEL_OWN);
  ck_assert_int_eq(list[0].date, ymd(2026, 12, 2));
  ck_assert_str_eq(list[0].school_code, "S1");
  ck_assert_str_eq(list[0].by, "李老师");
  ck_assert_str_eq(list[0].note, "第一条");
  ck_assert_int_ge(list[0].recorded_at, (int64_t)t0);
  ck_assert_int_le(list[0].recorded_at, (int64_t)t1);
  ck_assert_uint_eq(list[1].action, CC_ACTION_KEEP);
  ck_assert_int_eq(list[1].date, ymd(2026, 11, 30));
  ck_assert_str_eq(list[1].by, "王老师");
  ck_assert_str_eq(list[1].note, "");
  ck_assert_int_eq(list[1].recorded_at, 1700000000);
  ck_assert_uint_eq(list[2].action, CC_ACTION_ASK_OTHER);
  ck_assert_uint_eq(strlen(list[2].by), 63);
  ck_assert_int_eq(memcmp(list[2].by, by64, 63), 0);
  free(list);

  ck_assert_int_eq(cc_response_list(&list, &n, db, 0xA2), 0);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(list[0].note, "已函请\"一中\"注销");
  ck_assert_str_eq(list[0].school_code, "J1");
  free(list);
  ck_assert_int_eq(cc_response_list(&list, &n, db, 0xA3), 0);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_null(list);
  ck_assert_int_eq(cc_response_list(&list, &n, db, 0xA0), 0);
  ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_lifecycle_responses_applied)
{
  /* 2026-12 is issued on D = 2026-12-07. Responses (in recording order):
   *   0xA1 keep 11-30, then cancel_own 12-01: latest cancel_own, before D,
   *        still present -> claimed
   *   0xA2 cancel_own 11-30, then keep 12-02: latest keep -> not claimed
   *   0xA3 ask_other dated D itself: not before D -> not claimed
   *   0xA4 cancel_own 12-01, but gone now: cleared, carries it, not claimed
   *   0xA5 ask_other 12-06 -> claimed
   *   0xA6 (new) and 0xA1's neighbours: nothing */
  cc_date D = ymd(2026, 12, 7);
  cc_lifecycle_run run = run_of("2026-12", D, ymd(2026, 12, 21), 0);
  cc_finding_list prev, cur = {0};
  cc_response r;
  const cc_finding *f;
  static const char note[] = "已注销本校学籍，见附件\"2026-12\"";

  publish_november();
  r = response(0xA1, CC_ACTION_KEEP, ymd(2026, 11, 30), "S1", "张老师", "在读");
  record(&r);
  r = response(0xA1, CC_ACTION_CANCEL_OWN, ymd(2026, 12, 1), "J1", "李老师",
               note);
  record(&r);
  r = response(0xA2, CC_ACTION_CANCEL_OWN, ymd(2026, 11, 30), "S1", "王老师",
               "");
  record(&r);
  r = response(0xA2, CC_ACTION_KEEP, ymd(2026, 12, 2), "J1", "赵老师", "保留");
  record(&r);
  r = response(0xA3, CC_ACTION_ASK_OTHER, D, "S1", "钱老师", "");
  record(&r);
  r = response(0xA4, CC_ACTION_CANCEL_OWN, ymd(2026, 12, 1), "S1", "孙老师",
               "");
  record(&r);
  r = response(0xA5, CC_ACTION_ASK_OTHER, ymd(2026, 12, 6), "J1", "周老师",
               "函");
  record(&r);

  ck_assert_int_eq(cc_db_load_findings(&prev, db, "2026-11"), 0);
  ck_assert_uint_eq(prev.n, 5);
  add_found(&cur, 0xA1, CC_FT_DUAL_ENROLLMENT, ID1);
  add_found(&cur, 0xA2, CC_FT_DUAL_ENROLLMENT, ID1);
  add_found(&cur, 0xA3, CC_FT_DUAL_ENROLLMENT, ID1);
  add_found(&cur, 0xA5, CC_FT_DUAL_ENROLLMENT, ID1);
  add_found(&cur, 0xA6, CC_FT_DUAL_ENROLLMENT, ID1);
  ck_assert_int_eq(cc_lifecycle_apply(&cur, &prev, &run, db), 0);
  ck_assert_uint_eq(cur.n, 6);

  f = by_id(&cur, 0xA1);
  ck_assert_uint_eq(f->state, CC_STATE_OPEN);
  ck_assert_uint_eq(f->response_action, CC_ACTION_CANCEL_OWN);
  ck_assert_int_eq(f->response_date, ymd(2026, 12, 1));
  ck_assert_uint_eq(f->response_by.len, strlen("李老师"));
  ck_assert_int_eq(memcmp(f->response_by.ptr, "李老师", f->response_by.len), 0);
  ck_assert_uint_eq(f->response_school.len, 2);
  ck_assert_int_eq(memcmp(f->response_school.ptr, "J1", 2), 0);
  ck_assert_uint_eq(f->response_note.len, strlen(note));
  ck_assert_int_eq(memcmp(f->response_note.ptr, note, strlen(note)), 0);
  ck_assert_uint_eq(f->claimed, 1);

  f = by_id(&cur, 0xA2);
  ck_assert_uint_eq(f->response_action, CC_ACTION_KEEP);
  ck_assert_int_eq(f->response_date, ymd(2026, 12, 2));
  ck_assert_int_eq(memcmp(f->response_by.ptr, "赵老师", f->response_by.len), 0);
  ck_assert_uint_eq(f->claimed, 0);

  f = by_id(&cur, 0xA3);
  ck_assert_uint_eq(f->response_action, CC_ACTION_ASK_OTHER);
  ck_assert_int_eq(f->response_date, D);
  ck_assert_uint_eq(f->claimed, 0);

  f = by_id(&cur, 0xA4);
  ck_assert_uint_eq(f->state, CC_STATE_CLEARED);
  ck_assert_uint_eq(f->response_action, CC_ACTION_CANCEL_OWN);
  ck_assert_int_eq(f->response_date, ymd(2026, 12, 1));
  ck_assert_int_eq(memcmp(f->response_by.ptr, "孙老师", f->response_by.len), 0);
  ck_assert_uint_eq(f->claimed, 0);

  f = by_id(&cur, 0xA5);
  ck_assert_uint_eq(f->response_action, CC_ACTION_ASK_OTHER);
  ck_assert_uint_eq(f->response_note.len, 3);
  ck_assert_uint_eq(f->claimed, 1);

  f = by_id(&cur, 0xA6);
  ck_assert_uint_eq(f->state, CC_STATE_NEW);
  ck_assert_uint_eq(f->response_action, CC_ACTION_NONE);
  ck_assert_uint_eq(f->response_by.len, 0);
  ck_assert_uint_eq(f->claimed, 0);

  /* Seen a day before the ask_other of 0xA5 was dated: not claimed. */
  cc_finding_list_dispose(&cur);
  cc_finding_list_dispose(&prev);
  memset(&cur, 0, sizeof cur);
  run.issued = ymd(2026, 12, 6);
  ck_assert_int_eq(cc_db_load_findings(&prev, db, "2026-11"), 0);
  add_found(&cur, 0xA5, CC_FT_DUAL_ENROLLMENT, ID1);
  add_found(&cur, 0xA1, CC_FT_DUAL_ENROLLMENT, ID1);
  ck_assert_int_eq(cc_lifecycle_apply(&cur, &prev, &run, db), 0);
  ck_assert_uint_eq(by_id(&cur, 0xA5)->claimed, 0);
  ck_assert_uint_eq(by_id(&cur, 0xA5)->response_action, CC_ACTION_ASK_OTHER);
  ck_assert_uint_eq(by_id(&cur, 0xA1)->claimed, 1);
  cc_finding_list_dispose(&cur);
  cc_finding_list_dispose(&prev);
}
END_TEST

START_TEST(test_lifecycle_responses_without_previous)
{
  /* The first period of a database has responses too (recorded between a
   * run and its re-run): they apply to new findings. */
  cc_date D = ymd(2026, 11, 23);
  cc_lifecycle_run run = run_of("2026-11", D, ymd(2026, 12, 7), 0);
  cc_finding_list cur = {0};
  cc_response r;
  publish_november();
  r = response(0xA3, CC_ACTION_CANCEL_OWN, ymd(2026, 11, 20), "S1", "张老师",
               "");
  record(&r);
  add_found(&cur, 0xA3, CC_FT_DUAL_ENROLLMENT, ID1);
  add_found(&cur, 0xA4, CC_FT_DUAL_ENROLLMENT, ID1);
  ck_assert_int_eq(cc_lifecycle_apply(&cur, NULL, &run, db), 0);
  ck_assert_uint_eq(by_id(&cur, 0xA3)->state, CC_STATE_NEW);
  ck_assert_uint_eq(by_id(&cur, 0xA3)->response_action, CC_ACTION_CANCEL_OWN);
  ck_assert_uint_eq(by_id(&cur, 0xA3)->claimed, 1);
  ck_assert_uint_eq(by_id(&cur, 0xA4)->response_action, CC_ACTION_NONE);
  cc_finding_list_dispose(&cur);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Names. */

START_TEST(test_lifecycle_state_names)
{
  static const struct {
    int state;
    const char *code, *zh;
  } rows[] = {{CC_STATE_NEW, "new", "新发现"},
              {CC_STATE_OPEN, "open", "整改中"},
              {CC_STATE_OVERDUE, "overdue", "已逾期"},
              {CC_STATE_CLEARED, "cleared", "已清理"}};
  static const char *const bad[] = {"",      "unknown", "New",   "OPEN",
                                    "open ", " open",   "clear", "overdue\n"};
  size_t i;
  ck_assert_int_eq(CC_STATE_COUNT_, 4);
  for (i = 0; i < 4; i++) {
    ck_assert_str_eq(cc_finding_state_code((cc_finding_state)rows[i].state),
                     rows[i].code);
    ck_assert_str_eq(cc_finding_state_zh((cc_finding_state)rows[i].state),
                     rows[i].zh);
    ck_assert_int_eq(cc_finding_state_parse(rows[i].code), rows[i].state);
  }
  ck_assert_str_eq(cc_finding_state_code(CC_STATE_COUNT_), "unknown");
  ck_assert_str_eq(cc_finding_state_zh(CC_STATE_COUNT_), "未知");
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(cc_finding_state_parse(bad[i]) == -1, "'%s' parsed", bad[i]);
}
END_TEST

START_TEST(test_lifecycle_action_names)
{
  static const struct {
    int action;
    const char *code, *zh;
  } rows[] = {{CC_ACTION_KEEP, "keep", "学生在本校就读，保留本校学籍"},
              {CC_ACTION_CANCEL_OWN, "cancel_own", "已注销本校学籍"},
              {CC_ACTION_ASK_OTHER, "ask_other", "已请对方学校注销学籍"}};
  /* "none" names the absence of a response; it is not an action to give */
  static const char *const bad[] = {"",           "none",   "Keep",
                                    "KEEP",       "cancel", "cancel-own",
                                    "ask_other ", "unknown"};
  size_t i;
  ck_assert_int_eq(CC_ACTION_COUNT_, 4);
  ck_assert_str_eq(cc_response_action_code(CC_ACTION_NONE), "none");
  ck_assert_str_eq(cc_response_action_zh(CC_ACTION_NONE), "无");
  for (i = 0; i < 3; i++) {
    ck_assert_str_eq(
        cc_response_action_code((cc_response_action)rows[i].action),
        rows[i].code);
    ck_assert_str_eq(cc_response_action_zh((cc_response_action)rows[i].action),
                     rows[i].zh);
    ck_assert_int_eq(cc_response_action_parse(rows[i].code), rows[i].action);
  }
  ck_assert_str_eq(cc_response_action_code(CC_ACTION_COUNT_), "unknown");
  ck_assert_str_eq(cc_response_action_zh(CC_ACTION_COUNT_), "未知");
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(cc_response_action_parse(bad[i]) == -1, "'%s' parsed",
                  bad[i]);
}
END_TEST

static Suite *lifecycle_suite(void)
{
  Suite *s = suite_create("lifecycle");
  TCase *core = tcase_create("Core");
  TCase *limits = tcase_create("Limits");
  tcase_add_checked_fixture(core, setup, teardown);
  tcase_add_test(core, test_lifecycle_all_new_without_previous);
  tcase_add_test(core, test_lifecycle_on_the_deadline);
  tcase_add_test(core, test_lifecycle_day_after_the_deadline);
  tcase_add_test(core, test_lifecycle_cleared_then_back);
  tcase_add_test(core, test_lifecycle_everything_gone);
  tcase_add_test(core, test_lifecycle_response_list);
  tcase_add_test(core, test_lifecycle_response_audited);
  tcase_add_test(core, test_lifecycle_responses_applied);
  tcase_add_test(core, test_lifecycle_responses_without_previous);
  tcase_add_test(core, test_lifecycle_state_names);
  tcase_add_test(core, test_lifecycle_action_names);
  tcase_add_checked_fixture(limits, setup, teardown);
  tcase_add_test(limits, test_lifecycle_response_record_refused);
  suite_add_tcase(s, core);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  return tu_main(lifecycle_suite, root, sizeof root, "lifecycle");
}
