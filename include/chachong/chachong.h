/*
 * chachong (查重): finds students enrolled, or paid, twice across China's
 * national secondary-vocational student systems.
 *
 * The umbrella header: the pipeline ingest -> normalize -> index -> compare
 * -> findings, and the run that conducts it.
 */
#ifndef CHACHONG_H
#define CHACHONG_H

#include "chachong/version.h"
#include "chachong/errors.h"
#include "chachong/types.h"
#include "chachong/normalize_id.h"
#include "chachong/normalize_name.h"
#include "chachong/name_match.h"
#include "chachong/fuzzy.h"
#include "chachong/record.h"
#include "chachong/ingest.h"
#include "chachong/xlsx_read.h"
#include "chachong/index.h"
#include "chachong/finding.h"
#include "chachong/calendar.h"
#include "chachong/run.h"
#include "chachong/lifecycle.h"
#include "chachong/import.h"
#include "chachong/audit.h"
#include "chachong/text.h"
#include "chachong/region.h"
#include "chachong/export.h"
#include "chachong/report.h"
#include "chachong/review.h"
#include "chachong/query.h"
#include "chachong/policy.h"
#include "chachong/account.h"
#include "chachong/serve.h"

#endif
