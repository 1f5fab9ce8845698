/*
 * xml_apps.h - employer batch and online-channel XML (formats/employer-batch.xsd,
 * formats/online-applications.xsd) into app_records, streaming (app_parse.h dispatches here).
 */
#ifndef CP_XML_APPS_H
#define CP_XML_APPS_H

#include "formats/app_common.h"

int xml_apps_parse(struct instream *s, enum app_format fmt, const struct parse_limits *lim,
		   app_record_fn fn, void *arg, struct parse_fail *f);

#endif
