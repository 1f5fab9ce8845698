/* reasons.c - looking up a reason code in the ingest and prepare tables (see reasons.h). */
#include "pipeline/rules/reasons.h"

#include <string.h>

const struct reason *
reason_find(const char *code)
{
	const struct reason *const tables[] = {reasons_ingest, reasons_prepare};

	for (size_t t = 0; t < 2; t++)
		for (const struct reason *r = tables[t]; r->code; r++)
			if (!strcmp(r->code, code))
				return r;
	return NULL;
}
