/*
 * Ingest: roster files (CSV or TSV in UTF-8, GB18030 or UTF-16 with a BOM,
 * or an .xlsx workbook) into normalized records, streamed block by block
 * and parsed on every core (SPEC section 1).
 */
#ifndef CHACHONG_INGEST_H
#define CHACHONG_INGEST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "chachong/normalize_id.h"
#include "chachong/record.h"
#include "chachong/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Text encoding of a roster file. */
typedef enum cc_encoding {
  CC_ENC_AUTO = 0, /**< BOM, else UTF-8 if the first block is valid UTF-8,
                        else GB18030 */
  CC_ENC_UTF8,
  CC_ENC_GB18030, /**< GB18030 (GBK and GB2312 are subsets) */
  CC_ENC_UTF16LE, /**< UTF-16 little-endian (Excel's "Unicode text");
                        found by its BOM, converted to UTF-8 as it is read */
  CC_ENC_UTF16BE, /**< UTF-16 big-endian; found by its BOM */
  CC_ENC_XLSX     /**< not a text encoding: the file was a workbook (only
                        ever reported in cc_ingest_stats) */
} cc_encoding;

/** Parses "utf8", "utf-8", "gb18030", "gbk", "gb2312", "utf-16le",
 *  "utf-16be", "auto". -1 if none. */
int cc_encoding_parse(const char *name);
/** "UTF-8", "GB18030", "UTF-16LE", "UTF-16BE" or "workbook". */
const char *cc_encoding_name(cc_encoding enc);

/**
 * A user-supplied mapping from other header spellings to our columns.
 * File format: UTF-8 text, '#' starts a comment, one mapping per line:
 * `其他表头=身份证号` (the right side is a canonical Chinese name or an
 * English alias). Opaque; read-only after loading.
 */
typedef struct cc_header_map cc_header_map;

/**
 * Loads a header mapping file.
 * @param[out] out the map, to free with cc_header_map_free(); NULL on error
 * @return 0; CC_ENOTFOUND/CC_EIO when unreadable; CC_EINVALID with
 *         "FILE:LINE:COL: ..." for a malformed line or unknown column.
 */
int cc_header_map_load(cc_header_map **out, const char *path);
void cc_header_map_free(cc_header_map *map);

/**
 * A run of consecutive parsed rows of one file, in file order. Records and
 * rejects are interleaved in the file; each array is in line order.
 * @note Everything a block points to (the records' strings included) stays
 *       valid until the commit callback of that block returns.
 */
typedef struct cc_block {
  uint64_t seq;             /**< 0, 1, 2 ... in file order across the file */
  uint16_t roster;          /**< as passed to cc_ingest_file */
  const cc_record *records; /**< accepted rows */
  size_t n_records;
  const cc_reject *rejects; /**< rejected rows */
  size_t n_rejects;
} cc_block;

/**
 * Callbacks of cc_ingest_file. `work` (optional) runs on the worker thread
 * that parsed the block, concurrently with other blocks; it may prepare
 * per-block output indexed by block->seq. `commit` runs on the calling
 * thread, once per block, in file order. A non-zero return stops the read
 * and is returned by cc_ingest_file.
 */
typedef struct cc_ingest_sink {
  int (*work)(void *ctx, const cc_block *block, int thread);
  int (*commit)(void *ctx, const cc_block *block);
  void *ctx;
} cc_ingest_sink;

/** Counts of one file. */
typedef struct cc_ingest_stats {
  uint64_t bytes;       /**< file size */
  uint64_t lines;       /**< physical lines (worksheet rows of a workbook),
                             title rows and header included */
  uint32_t header_line; /**< physical line of the header row (1 unless
                             title rows sit above it) */
  uint64_t records;     /**< accepted rows */
  uint64_t rejects;     /**< rejected rows */
  uint64_t blank;       /**< rows with every field empty, skipped */
  uint64_t id_invalid[CC_IDR_COUNT_]; /**< accepted rows by ID reason */
  uint64_t id_upgraded;               /**< 15-digit numbers upgraded */
  uint64_t stray_quotes;              /**< rows rejected as stray_quote */
  uint64_t stray_swallowed; /**< rows those quotes would have merged into
                                 their row, read as rows of their own */
  uint64_t mixed_lines;     /**< lines not in the file's encoding (a mixed file
                             is an error: see cc_ingest_file) */
  uint32_t mixed_first[5];  /**< the first of them, in file order */
  int encoding;             /**< cc_encoding detected or forced */
  int delimiter;            /**< ',' or '\t'; 0 for a workbook */
} cc_ingest_stats;

/**
 * What a reader of the run's summary should know about a file beyond its
 * counts, in English, one sentence per fact: title rows skipped above the
 * header, rows with a stray quote. Writes "" when there is nothing to say.
 * @param[out] out  NUL-terminated, truncated to cap
 */
void cc_ingest_stats_notes(char *out, size_t cap, const cc_ingest_stats *st);

/** Options; initialize with CC_INGEST_OPTIONS_INIT. */
typedef struct cc_ingest_options {
  unsigned version;              /**< CC_INGEST_OPTIONS_VERSION */
  cc_encoding encoding;          /**< CC_ENC_AUTO by default */
  const cc_header_map *map;      /**< extra header spellings; may be NULL */
  cc_date today;                 /**< birth dates after it are invalid */
  int threads;                   /**< worker threads; 0 = all cores */
  size_t block_bytes;            /**< bytes read per step; 0 = a 32nd of
                                   the file, within 2-64 MiB */
  volatile sig_atomic_t *cancel; /**< checked between steps; may be NULL */
  /** Called on the calling thread after each step; may be NULL. */
  void (*progress)(void *ctx, uint64_t bytes_done, uint64_t bytes_total);
  void *progress_ctx;
} cc_ingest_options;

#define CC_INGEST_OPTIONS_VERSION 1
#define CC_INGEST_OPTIONS_INIT                                                 \
  {                                                                            \
    CC_INGEST_OPTIONS_VERSION, CC_ENC_AUTO, NULL, 0, 0, 0, NULL, NULL, NULL    \
  }

#ifndef CC_FUZZ_LIMITS
/** Longest field accepted, in bytes; a longer one rejects its row. */
#define CC_FIELD_MAX 65535
/** Longest row; a quoted field still open past it is a broken row. */
#define CC_ROW_MAX (1024 * 1024)
#else
/* The fuzzing build (CMake CC_FUZZ=ON): small caps that short inputs reach. */
#define CC_FIELD_MAX 64
#define CC_ROW_MAX 512
#endif

/**
 * Reads one roster file and hands its rows to `sink` block by block.
 *
 * The header is the first of the first 10 lines that names every
 * required column; lines above it (a title such as "全国中等职业学校学生信息表,,,")
 * are skipped and counted in stats->header_line. Lines end in LF, CRLF or
 * a lone CR (old Mac exports). A UTF-16 BOM makes the file UTF-16; a file
 * starting with "PK" is read as an .xlsx workbook (its first worksheet,
 * through xlsx_read.h); an OLE file (.xls, or an encrypted workbook) is
 * refused with a message saying how to save it as CSV. Bad rows become
 * rejects (docs/RULES.md); the read goes on.
 *
 * @param[out] stats counts; may be NULL
 * @return 0; CC_ENOTFOUND/CC_EIO when the file cannot be read; CC_EINVALID
 *         when the header lacks a required column ("FILE: missing required
 *         column 学籍状态 (status)") or names one twice, when a header
 *         cell holds a stray quote ("FILE:LINE:COLUMN: ..."), when the file
 *         mixes encodings (the lines that disagree are named), or for a
 *         workbook that cannot be read; CC_EINTERRUPTED when
 *         *opts->cancel became non-zero; CC_ENOMEM; or what a callback
 *         returned.
 * @note Uses OpenMP; must not be called from inside a parallel region.
 */
int cc_ingest_file(cc_ingest_stats *stats, const char *path, uint16_t roster,
                   const cc_ingest_options *opts, const cc_ingest_sink *sink);

#ifdef __cplusplus
}
#endif
#endif
