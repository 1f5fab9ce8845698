/*
 * printer_open.c - the driver factory: the printer a line's configuration names (see
 * printer_open.h). Above the drivers, so that they depend on printer.c and not back.
 */
#include "printer/printer_open.h"

#include "core/config.h"
#include "core/err.h"
#include "printer/evolis/evolis.h"
#include "printer/evolis/evolis_io.h"

#include <stdlib.h>
#include <string.h>

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
