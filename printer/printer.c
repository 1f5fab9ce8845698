/*
 * printer.c - what every printer driver shares: condition names, which conditions pause a
 * line, and opening the configured printer.
 */
#include "printer/printer.h"

#include "core/config.h"
#include "core/err.h"
#include "core/mem.h"
#include "printer/evolis/evolis.h"
#include "printer/evolis/evolis_io.h"

#include <stdlib.h>
#include <string.h>

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

int
printer_open_line(const struct config *cfg, int line, struct printer **out)
{
	const char *profile = config_str(cfg, "printer.profile");
	const char *transport = config_str(cfg, "printer.transport");
	int timeout = (int)config_int(cfg, "printer.timeout_ms");
	struct evo_io *io = NULL;
	int r;

	*out = NULL;
	if (strcmp(profile, "evolis"))
		return cp_err(CP_ERR_UNSUPPORTED,
			      "printer.profile '%s': only the Evolis driver is built in", profile);
	if (timeout <= 0)
		return cp_err(CP_ERR_CONFIG, "printer.timeout_ms must be positive");
	if (!strcmp(transport, "tcp")) {
		r = evo_io_open_tcp(config_str(cfg, "printer.host"), printer_line_port(cfg, line),
				    timeout, &io);
	} else if (!strcmp(transport, "usb")) {
		char *dev = config_path(cfg, "printer.device", "");

		r = evo_io_open_usb(dev, timeout, &io);
		free(dev);
	} else {
		return cp_err(CP_ERR_CONFIG, "printer.transport '%s' is not tcp or usb", transport);
	}
	if (r < 0)
		return r;
	return evolis_open(io, out);
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
