/*
 * vcard_client.h - the printer emulator's side of the virtual-card daemon's control
 * socket (emulator/card: one command line, one answer line "OK ..." or "ERR ...").
 */
#ifndef CP_VCARD_CLIENT_H
#define CP_VCARD_CLIENT_H

#include <stddef.h>

/* Send cmd, read the one-line answer into reply (without the newline). An "ERR" answer is
 * returned as text with 0; CP_ERR_IO/TIMEOUT/PROTOCOL when the daemon is not there or
 * answers nothing sensible. */
int vcard_ask(const char *socket_path, const char *cmd, char *reply, size_t replysz);

#endif
