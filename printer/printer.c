/*
 * printer.c - what every printer driver shares: condition names, which conditions pause a
 * line, the line's port and job. Opening the configured printer: printer_open.c.
 */
#include "printer/printer.h"

#include "core/config.h"

#include <stdlib.h>

static const char *const cond_names[PRN_NCOND] = {
	[PRN_OK] = "ok",
	[PRN_ERROR] = "error",
	[PRN_ERROR_CDE] = "bad-command",
	[PRN_ERROR_PARAM] = "bad-parameter",
	[PRN_NEED_CLEANING] = "need-cleaning",
	[PRN_TIMEOUT] = "mechanical-timeout",
	[PRN_HOPPER_ERROR] = "hopper-error",
	[PRN_HOPPER_FULL] = "hopper-full",
	[PRN_HOPPER_DOOR] = "hopper-door",
	[PRN_HEAD] = "head-error",
	[PRN_COVER_OPEN] = "cover-open",
	[PRN_FEEDER_EMPTY] = "feeder-empty",
	[PRN_CARD_JAM] = "card-jam",
	[PRN_RIBBON] = "ribbon",
	[PRN_OPT_NA] = "option-not-available",
	[PRN_MAG_CHECKSUM] = "mag-checksum",
	[PRN_MAG_DATA] = "mag-data",
	[PRN_MAG] = "mag-error",
	[PRN_UNKNOWN] = "unknown-error",
	[PRN_NO_REPLY] = "no-reply",
	[PRN_CONNECTION] = "connection",
	[PRN_MALFORMED] = "malformed-reply",
};

const char *
printer_cond_name(enum printer_cond c)
{
	return (unsigned)c < PRN_NCOND ? cond_names[c] : "invalid";
}

int
printer_cond_pauses(enum printer_cond c)
{
	switch (c) {
	case PRN_COVER_OPEN:
	case PRN_FEEDER_EMPTY:
	case PRN_RIBBON:
	case PRN_HOPPER_FULL:
	case PRN_HOPPER_DOOR:
	case PRN_HOPPER_ERROR:
	case PRN_NEED_CLEANING:
	case PRN_HEAD:
	case PRN_NO_REPLY:
	case PRN_CONNECTION: return 1;
	default: return 0;
	}
}

int
printer_line_port(const struct config *cfg, int line)
{
	return (int)config_int(cfg, "printer.port") + line - 1;
}

void
printer_job_config(const struct config *cfg, struct printer_job *job)
{
	job->ribbon = config_str(cfg, "printer.ribbon");
	job->levels = (int)config_int(cfg, "printer.levels");
	job->k_contrast = (int)config_int(cfg, "printer.k_contrast");
}

void
printer_close(struct printer *p)
{
	if (!p)
		return;
	if (p->ops && p->ops->close && p->priv)
		p->ops->close(p);
	free(p);
}
