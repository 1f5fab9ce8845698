/*
 * evolis_io.h - the byte transports of the Evolis driver: a raw TCP port or a USB printer
 * device file (usblp). Each sends whole commands and reads one reply, within a timeout.
 */
#ifndef CP_EVOLIS_IO_H
#define CP_EVOLIS_IO_H

#include <stddef.h>

struct evo_io;

/* Connect to host:port (numeric IPv4/IPv6 or a name) within timeout_ms. */
int evo_io_open_tcp(const char *host, int port, int timeout_ms, struct evo_io **out);
/* Open a printer device file read-write. */
int evo_io_open_usb(const char *path, int timeout_ms, struct evo_io **out);
void evo_io_close(struct evo_io *io);

/* Write all of data. CP_ERR_IO when the peer is gone. */
int evo_io_send(struct evo_io *io, const void *data, size_t len);
/* Read one reply: bytes up to a NUL, CR or LF (leading ones skipped), at most outsz - 1
 * of them. CP_ERR_TIMEOUT (nothing in time), CP_ERR_IO (closed/reset), CP_ERR_PROTOCOL
 * (too long or not printable text). */
int evo_io_reply(struct evo_io *io, char *out, size_t outsz);
/* A printable description: "tcp 127.0.0.1:9100", "usb /dev/usb/lp0". */
const char *evo_io_name(const struct evo_io *io);

#endif
