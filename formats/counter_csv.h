/*
 * counter_csv.h - counter and bank-branch CSV (formats/counter-csv.md) into app_records
 * (app_parse.h dispatches here).
 */
#ifndef CP_COUNTER_CSV_H
#define CP_COUNTER_CSV_H

#include "formats/app_common.h"

int counter_csv_parse(struct instream *s, const struct parse_limits *lim, app_record_fn fn,
		      void *arg, struct parse_fail *f);

#endif
