/*
 * pcscd_line_main.c - `pcscd-line`: start or stop a line's own pcscd with the vpcd reader
 * from the shell (tests, the demo, an operator's bench). See pcscd_line.h.
 */
#include "core/err.h"
#include "core/log.h"
#include "emulator/pcscd_line.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
	"usage: pcscd-line start DIR PORT [TIMEOUT_MS]\n"
	"       pcscd-line stop DIR\n"
	"       pcscd-line socket DIR\n"
	"\n"
	"start   run pcscd (--foreground, in its own mount namespace where allowed) with the vpcd\n"
	"        reader listening on 127.0.0.1:PORT and PORT+1, its files under DIR\n"
	"        (reader.conf.d/vpcd, run/pcscd.comm, pcscd.pid, pcscd.log); wait until it lists\n"
	"        the reader (TIMEOUT_MS, default 10000); print its pid and exit, pcscd running\n"
	"stop    stop the pcscd whose pid is in DIR/pcscd.pid (SIGTERM, then SIGKILL)\n"
	"socket  print the socket path for PCSCLITE_CSOCK_NAME\n"
	"\n"
	"PC/SC clients reach it with PCSCLITE_CSOCK_NAME=DIR/run/pcscd.comm.\n"
	"Exit: 0 done; 2 usage; 3 failure.\n";

int
main(int argc, char **argv)
{
	struct pcscd_line l;
	char *end;
	int r;

	umask(077);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc >= 4 && argc <= 5 && strcmp(argv[1], "start") == 0) {
		long port = strtol(argv[3], &end, 10), t = 10000;
		if (*end || port < 1 || port > 65534) {
			fprintf(stderr, "pcscd-line: port '%s': expected 1..65534\n", argv[3]);
			return 2;
		}
		if (argc == 5 && ((t = strtol(argv[4], &end, 10)) <= 0 || *end)) {
			fprintf(stderr, "pcscd-line: timeout '%s': milliseconds > 0\n", argv[4]);
			return 2;
		}
		if ((r = pcscd_line_start(argv[2], (int)port, (int)t, &l)) < 0) {
			fprintf(stderr, "pcscd-line: %s\n", cp_errmsg());
			return 3;
		}
		printf("%d\n", (int)l.pid);
		pcscd_line_release(&l);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "stop") == 0) {
		if ((r = pcscd_line_stop_dir(argv[2], 5000)) < 0) {
			fprintf(stderr, "pcscd-line: %s\n", cp_errmsg());
			return 3;
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "socket") == 0) {
		char *s = pcscd_line_socket_path(argv[2]);
		puts(s);
		free(s);
		return 0;
	}
	fputs(usage_text, stderr);
	return 2;
}
