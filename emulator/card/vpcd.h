/*
 * vpcd.h - the virtual-ICC side of vsmartcard's vpcd protocol (docs/printer-reference.md §3).
 *
 * The card connects to the vpcd driver inside pcscd at 127.0.0.1:PORT; one TCP connection
 * is one card in the reader, closing it removes the card. Every message in either
 * direction is a 2-byte big-endian length and the payload. vpcd sends control messages
 * of length 1 (00 power off, 01 power on, 02 reset: no answer; 04 get ATR: answered with
 * the ATR) and command APDUs (answered with the response APDU). vpcd polls GET ATR often:
 * the answer must be cheap and idempotent.
 */
#ifndef CP_VPCD_H
#define CP_VPCD_H

#include <stddef.h>

#define VPCD_CTRL_OFF 0x00
#define VPCD_CTRL_ON 0x01
#define VPCD_CTRL_RESET 0x02
#define VPCD_CTRL_ATR 0x04
#define VPCD_MAX_MSG 0xFFFF

/* Connect to vpcd on 127.0.0.1:port (loopback only). *fd gets the socket. */
int vpcd_connect(int port, int *fd);
/* Read one whole message (blocking, bounded by timeout_ms per read). CP_ERR_IO with
 * "closed" when vpcd closed the connection. */
int vpcd_recv(int fd, unsigned char *buf, size_t size, size_t *len, int timeout_ms);
/* Send one message (len <= VPCD_MAX_MSG; 0 is a valid, empty message). */
int vpcd_send(int fd, const unsigned char *p, size_t len);

#endif
