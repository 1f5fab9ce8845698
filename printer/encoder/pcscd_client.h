/*
 * pcscd_client.h - the client side of a line's own pcscd (emulator/pcscd_line.h starts it):
 * where its socket is, and pointing this process's PC/SC clients at it. pcsc-encode needs
 * only this half, so it lives beside the encoder.
 */
#ifndef CP_PCSCD_CLIENT_H
#define CP_PCSCD_CLIENT_H

/* The client socket path for dir ("DIR/run/pcscd.comm"), newly allocated. */
char *pcscd_line_socket_path(const char *dir);
/* Point this process's PC/SC clients (libpcsclite) at dir's pcscd: sets
 * PCSCLITE_CSOCK_NAME. Call before the first SCardEstablishContext. */
int pcscd_line_client_env(const char *dir);

#endif
