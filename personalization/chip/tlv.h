/*
 * tlv.h - reading BER-TLV as smart cards answer it (ISO/IEC 7816-4 §5.2, EMV Book 3 Annex B):
 * 1- or 2-byte tags, lengths in short form or 81 xx. One reader for the encoder (FCI, GET
 * STATUS answers) and the life-cycle parser.
 */
#ifndef CP_TLV_H
#define CP_TLV_H

#include <stddef.h>

/* The TLV at p (n bytes): its tag, the offset of its value from p and the value's length.
 * 0, or -1 when it is malformed or runs past n. */
int tlv_next(const unsigned char *p, size_t n, unsigned *tag, size_t *voff, size_t *vlen);

#endif
