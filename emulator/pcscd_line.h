/*
 * pcscd_line.h - a pcscd of the emulated line's own, with the vsmartcard vpcd reader.
 *
 * pcsc-lite 1.9.9's pcscd always creates its socket and pid file in /run/pcscd, whatever
 * PCSCLITE_CSOCK_NAME says (only the client library honours it; docs/printer-reference.md §3), so
 * two pcscd cannot normally run on one machine. A line's pcscd therefore runs in a mount
 * namespace of its own in which DIR/run is bind-mounted over /run/pcscd: its socket is
 * DIR/run/pcscd.comm, reachable from outside through PCSCLITE_CSOCK_NAME, and several lines
 * (and a system pcscd) coexist. Where namespaces are not allowed (no CAP_SYS_ADMIN) it falls
 * back to the shared /run/pcscd and refuses to start when another pcscd already runs.
 *
 * Files under DIR: reader.conf.d/vpcd (FRIENDLYNAME "Virtual PCD", DEVICENAME
 * /dev/null:PORT, CHANNELID PORT: vpcd listens on PORT and PORT+1, one per slot),
 * run/pcscd.comm (the socket), pcscd.pid, pcscd.log (its --foreground output).
 */
#ifndef CP_PCSCD_LINE_H
#define CP_PCSCD_LINE_H

/* the client side (pcscd_line_socket_path, pcscd_line_client_env) */
#include "printer/encoder/pcscd_client.h"

#include <sys/types.h>

/* The vpcd reader of slot 0 as PC/SC clients see it ("Virtual PCD 00 00"). */
#define PCSCD_LINE_READER "Virtual PCD 00 00"

struct pcscd_line {
	pid_t pid;
	int port;
	int private_ns; /* 1: own mount namespace; 0: the shared /run/pcscd */
	char *dir, *socket;
};

/* Start pcscd for vpcd port (1..65534; PORT+1 is taken too) with its files under dir
 * (created 0700), wait until it answers and lists the vpcd reader (timeout_ms), and fill
 * out (release with pcscd_line_release). On failure the pcscd started is stopped again. */
int pcscd_line_start(const char *dir, int port, int timeout_ms, struct pcscd_line *out);
/* Stop the pcscd whose pid is in dir/pcscd.pid (another process started it). A missing pid
 * file or a process already gone is not an error. Only a pcscd process is signalled. */
int pcscd_line_stop_dir(const char *dir, int timeout_ms);
void pcscd_line_release(struct pcscd_line *l);

#endif
