/*
 * line.h - the emulated production line of a CARDPIPE_HOME (docs/production-line.md):
 * a pcscd of its own with the vpcd reader, the virtual-card daemon (vcard) and the Evolis
 * printer emulator (evolis-emu), started in that order, each waited for until it answers,
 * each recorded by its pid file under $CARDPIPE_HOME/run/line<N>/ and stopped by that pid.
 *
 * Files of line N (run/line<N>/):
 *   pcscd/            the line's pcscd (emulator/pcscd_line.h): reader.conf.d, socket
 *   vcard.pid, vcard.ctl, vcard.log, vcard/   the virtual-card daemon and its chips
 *   emu.pid, emu.ctl, emu.log, emu-state/     the printer emulator
 *   printed/          every printed card as a PNG (<card identifier>.png), printed.log,
 *                     commands.log (every command the printer received)
 * Ports: printer printer.port + N - 1; vpcd printer.vpcd_port + 2 (N - 1) (and the next).
 */
#ifndef CP_LINE_H
#define CP_LINE_H

#include <sys/types.h>

struct config;

struct line_opts {
	int line;
	int fast;	    /* no mechanical delays in the emulator */
	const char *faults; /* emulator faults file, or NULL */
	int timeout_ms;	    /* how long to wait for each process to be ready */
};

/* The line's run folder: "$home/run/line<N>", newly allocated. */
char *line_dir(const char *home, int line);

/* Start the line (an already running one is CP_ERR_BUSY); on failure, whatever was started
 * is stopped again. */
int line_start(const struct config *cfg, const char *home, const struct line_opts *o);
/* Stop every process of the line by its pid (emulator, vcard, pcscd); processes already
 * gone are fine. *stopped = how many were running. */
int line_stop(const char *home, int line, int timeout_ms, int *stopped);

struct line_status {
	pid_t emu, vcard, pcscd; /* 0: not running */
	char emu_status[256], vcard_status[256];
};
int line_status(const char *home, int line, struct line_status *st);

/* Put an existing chip (serial, 16 hex) back into the line's reader / take it out. */
int line_insert(const char *home, int line, const char *serial);
int line_remove(const char *home, int line);
/* A chip serial from its card identifier (110000 D156000005 + serial, emulator/card). */
int line_serial_of_chip(const char *chip_id, char serial[17]);

/* Point this process's PC/SC clients at line N's pcscd when that line runs. 1 if it
 * runs (environment set), 0 if not. */
int line_client_env(const char *home, int line);

#endif
