/*
 * printer_open.h - the driver factory: open line N's printer with the driver and transport
 * its configuration names (printer.profile, printer.transport). printer.h is the interface.
 */
#ifndef CP_PRINTER_OPEN_H
#define CP_PRINTER_OPEN_H

#include "printer/printer.h"

/* Open line N's printer as the configuration names it (printer.transport, host and
 * port + N - 1, or device; timeout_ms). Connects and puts it in host error management. */
int printer_open_line(const struct config *cfg, int line, struct printer **out);

#endif
