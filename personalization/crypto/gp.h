/*
 * gp.h - GlobalPlatform data structures for key loading and personalisation: DGI encoding
 * (GPCS 11.1.12; GP Scripting Language Annex B), the PUT KEY data field (GPCS 11.8,
 * AMD-D 7.2 with an SCP03 static DEK), and key DGIs 00B9 / 8113 (GPCS 11.11.4).
 * Vectors: docs/crypto-reference.md §3.1 and TV-DGI (3.3).
 */
#ifndef CP_GP_H
#define CP_GP_H

#include "core/buf.h"
#include "personalization/crypto/cipher.h"

#include <stddef.h>

/* A DGI header: tag(2) || length (1 byte below 255, else FF hi lo) into h[5]; returns its
 * size, 3 or 5. len must not exceed 0xFFFF. For a value sent in several commands. */
size_t gp_dgi_header(unsigned int tag, size_t len, unsigned char h[5]);
/* Append a DGI: its header || value. */
int gp_dgi_append(struct buf *b, unsigned int tag, const unsigned char *value, size_t len);
/* Read a DGI header at p (n bytes available): tag and value length; returns the header size
 * (3 or 5), or 0 when n is shorter than the header (the value is not checked: it may still
 * be arriving). */
size_t gp_dgi_header_parse(const unsigned char *p, size_t n, unsigned int *tag, size_t *len);
/* Parse one DGI at p (n bytes available): tag, value offset and length, total consumed.
 * CP_ERR_FORMAT when truncated. */
int gp_dgi_parse(const unsigned char *p, size_t n, unsigned int *tag, size_t *value_off,
		 size_t *value_len);

/* A key to load: AES (16/24/32) or 3DES (16). */
struct gp_key {
	enum cp_alg alg;
	const unsigned char *key;
	size_t len;
};

/* The PUT KEY command (80 D8 P1 P2 Lc data 00) loading keys as a new key set new_kvn, every
 * key encrypted under the SCP03 static DEK (AES-CBC, ICV 0; AES-192 keys padded 80 00..),
 * each with its KCV. p1: the KVN replaced (00 = add); p2: first key id, | 0x80 for several.
 * Appends the whole APDU to out. */
int gp_put_key_apdu(const unsigned char *dek, size_t dek_len, unsigned char p1, unsigned char p2,
		    unsigned char new_kvn, const struct gp_key *keys, size_t nkeys,
		    struct buf *out);

/* The key DGIs for STORE DATA: DGI 00B9 with a B7 template (type, length, KVN, access,
 * usage) and one B9 (id, KCV) per key, then one DGI 8113 per key holding it encrypted under
 * the SCP03 static DEK. AES keys of one length; ids first_id, first_id+1, ... */
int gp_key_dgis(const unsigned char *dek, size_t dek_len, unsigned char kvn, unsigned char access,
		unsigned int usage, unsigned char first_id, const struct gp_key *keys, size_t nkeys,
		struct buf *out);

#endif
