/*
 * fuzz_ingest.c - libFuzzer target for roster reading (cc_ingest_file).
 *
 * Input: one byte of options, then the file. The options pick the encoding
 * (automatic, UTF-8, GB18030, UTF-16LE), the block size (32 bytes to 4 KiB,
 * so rows and quotes straddle blocks), one or two threads, and whether a
 * header map is used. This build has small caps (CC_FUZZ_LIMITS: fields of
 * 64 bytes, rows of 512, workbook cells of 256), so short inputs reach the
 * limit paths. A file starting with "PK" goes through the workbook reader.
 *
 * Besides the sanitizers' checks it asserts what ingest.h promises: blocks
 * arrive in order, records and rejects lie past the header in line order,
 * reject codes and columns are in range, every accepted name and ID are
 * what cc_name_fold and cc_id_normalize make of them, and the counts add
 * up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chachong/errors.h"
#include "chachong/ingest.h"
#include "chachong/normalize_name.h"
#include "fuzz_file.h"

typedef struct seen {
  uint64_t next_seq;
  uint64_t records, rejects;
  uint32_t last_rec_line, last_rej_line;
} seen;

static int on_commit(void *ctx, const cc_block *b)
{
  seen *s = ctx;
  size_t i;
  if (b->seq != s->next_seq++)
    abort();
  for (i = 0; i < b->n_records; i++) {
    const cc_record *r = &b->records[i];
    char folded[CC_NAME_MAX + 1];
    size_t flen;
    if (r->line <= 1 || r->line < s->last_rec_line)
      abort();
    s->last_rec_line = r->line;
    if (r->id_len < 16 || r->id_len > 18 || strlen(r->id) != r->id_len)
      abort();
    if (cc_name_fold(folded, sizeof folded, &flen, r->name.ptr, r->name.len) !=
            0 ||
        flen != r->name_folded.len ||
        memcmp(folded, r->name_folded.ptr, flen) != 0)
      abort();
    if (r->grant < 0 || r->waiver < 0)
      abort();
  }
  for (i = 0; i < b->n_rejects; i++) {
    const cc_reject *j = &b->rejects[i];
    if (j->line <= 1 || j->line < s->last_rej_line || j->code == CC_REJ_NONE ||
        j->code >= CC_REJ_COUNT_)
      abort();
    s->last_rej_line = j->line;
  }
  s->records += b->n_records;
  s->rejects += b->n_rejects;
  return 0;
}

static char path[64];
static cc_header_map *map;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  static const char map_text[] = "证件号码=身份证号\n学生姓名=name\n";
  char map_path[64];
  (void)argc;
  (void)argv;
  /* Idle OpenMP threads sleep at once instead of spinning: the reader
   * opens a parallel region per block, and a spinning partner on a busy
   * machine slows every one of them down. */
  setenv("OMP_WAIT_POLICY", "passive", 0);
  setenv("KMP_BLOCKTIME", "0", 0);
  fuzz_file_make(path, "fuzz_ingest");
  fuzz_file_make(map_path, "fuzz_ingest_map");
  fuzz_file_write(map_path, map_text, sizeof map_text - 1);
  if (cc_header_map_load(&map, map_path) != 0)
    abort();
  unlink(map_path);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const cc_encoding encs[4] = {CC_ENC_AUTO, CC_ENC_UTF8, CC_ENC_GB18030,
                                      CC_ENC_UTF16LE};
  cc_ingest_options o = CC_INGEST_OPTIONS_INIT;
  cc_ingest_sink sink = {NULL, on_commit, NULL};
  cc_ingest_stats st;
  seen s;
  int rc;

  if (size == 0)
    return 0;
  fuzz_file_write(path, data + 1, size - 1);

  memset(&s, 0, sizeof s);
  sink.ctx = &s;
  o.encoding = encs[data[0] & 3];
  o.block_bytes = (size_t)32 << ((data[0] >> 2) & 7);
  o.threads = (data[0] & 0x20) ? 2 : 1;
  o.map = (data[0] & 0x40) ? map : NULL;
  o.today = cc_date_from_ymd(2026, 9, 25);
  rc = cc_ingest_file(&st, path, 0, &o, &sink);
  if (rc == 0) {
    if (st.records != s.records || st.rejects != s.rejects ||
        st.header_line < 1 || st.header_line > 10 ||
        st.lines < st.header_line || st.stray_quotes > st.rejects)
      abort();
  } else if (rc != CC_EINVALID && rc != CC_ENOTFOUND) {
    abort(); /* no I/O error, interruption or exhausted memory on a small file */
  }
  return 0;
}
