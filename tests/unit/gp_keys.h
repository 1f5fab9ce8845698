/*
 * gp_keys.h - GlobalPlatform key loading as a card issuer's host would send it: the PUT KEY
 * command (GPCS 11.8, AMD-D 7.2 with an SCP03 static DEK) and the key DGIs 00B9 / 8113
 * (GPCS 11.11.4). cardpipe loads its card keys in its own DGIs (personalization/chip), so
 * only the tests use these: the published vectors (docs/crypto-reference.md §3.1, TV-DGI
 * 3.3) and the virtual card's PUT KEY. Header-only.
 */
#ifndef GP_KEYS_H
#define GP_KEYS_H

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/gp.h"
#include "personalization/crypto/kcv.h"

#include <stddef.h>
#include <string.h>

/* A key to load: AES (16/24/32) or 3DES (16). */
struct gp_key {
	enum cp_alg alg;
	const unsigned char *key;
	size_t len;
};

/* Encrypt one key under the AES DEK; pads with 80 00.. when not whole blocks. */
static inline int
gp_wrap_key(const unsigned char *dek, size_t dek_len, const struct gp_key *k, unsigned char *ct,
	    size_t *ct_len)
{
	unsigned char buf[48];
	size_t n = k->len;
	int r;

	if ((r = cp_check_key_len(k->alg, k->len)) < 0)
		return r;
	if (k->alg == CP_ALG_TDES && k->len != 16)
		return cp_err(CP_ERR_INVALID, "PUT KEY takes 2-key 3DES keys");
	if (k->alg == CP_ALG_SM4)
		return cp_err(CP_ERR_UNSUPPORTED, "GP key loading of SM4 keys is not defined here");
	memcpy(buf, k->key, n);
	if (n % 16)
		n = cp_pad80(buf, n, 16, buf);
	r = cp_cbc_encrypt(CP_ALG_AES, dek, dek_len, NULL, buf, n, ct);
	*ct_len = n;
	cp_memzero(buf, sizeof(buf));
	return r;
}

/* The PUT KEY command (80 D8 P1 P2 Lc data 00) loading keys as a new key set new_kvn, every
 * key encrypted under the SCP03 static DEK (AES-CBC, ICV 0; AES-192 keys padded 80 00..),
 * each with its KCV. p1: the KVN replaced (00 = add); p2: first key id, | 0x80 for several.
 * Appends the whole APDU to out. */
static inline int
gp_put_key_apdu(const unsigned char *dek, size_t dek_len, unsigned char p1, unsigned char p2,
		unsigned char new_kvn, const struct gp_key *keys, size_t nkeys, struct buf *out)
{
	unsigned char data[255], ct[48], kcv[3];
	size_t n = 0, cn = 0;
	int r = 0;

	if ((r = cp_check_key_len(CP_ALG_AES, dek_len)) < 0)
		return r;
	if (nkeys == 0)
		return cp_err(CP_ERR_INVALID, "PUT KEY without keys");
	data[n++] = new_kvn;
	for (size_t i = 0; i < nkeys; i++) {
		if ((r = gp_wrap_key(dek, dek_len, &keys[i], ct, &cn)) < 0 ||
		    (r = cp_kcv(keys[i].alg, keys[i].key, keys[i].len, kcv)) < 0)
			goto out;
		if (n + 3 + cn + 4 > sizeof(data)) {
			r = cp_err(CP_ERR_LIMIT, "PUT KEY data exceeds 255 bytes");
			goto out;
		}
		if (keys[i].alg == CP_ALG_AES) {
			data[n++] = 0x88;
			data[n++] = (unsigned char)(cn + 1);
			data[n++] = (unsigned char)keys[i].len;
		} else {
			data[n++] = 0x80;
			data[n++] = (unsigned char)cn;
		}
		memcpy(data + n, ct, cn);
		n += cn;
		data[n++] = 0x03;
		memcpy(data + n, kcv, 3);
		n += 3;
	}
	{
		unsigned char hdr[5] = {0x80, 0xD8, p1, p2, (unsigned char)n}, le = 0x00;

		if ((r = buf_append(out, hdr, 5)) < 0 || (r = buf_append(out, data, n)) < 0 ||
		    (r = buf_append(out, &le, 1)) < 0)
			goto out;
	}
out:
	cp_memzero(ct, sizeof(ct));
	return r;
}

/* The key DGIs for STORE DATA: DGI 00B9 with a B7 template (type, length, KVN, access,
 * usage) and one B9 (id, KCV) per key, then one DGI 8113 per key holding it encrypted under
 * the SCP03 static DEK. AES keys of one length; ids first_id, first_id+1, ... */
static inline int
gp_key_dgis(const unsigned char *dek, size_t dek_len, unsigned char kvn, unsigned char access,
	    unsigned int usage, unsigned char first_id, const struct gp_key *keys, size_t nkeys,
	    struct buf *out)
{
	unsigned char v[250], ct[48], kcv[3];
	size_t n = 0, cn = 0;
	int r = 0;

	if (nkeys == 0 || nkeys > 16)
		return cp_err(CP_ERR_INVALID, "key DGIs for %zu keys", nkeys);
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].alg != CP_ALG_AES || keys[i].len != keys[0].len)
			return cp_err(CP_ERR_INVALID, "key DGIs take AES keys of one length");
	{
		const unsigned char b7[] = {0xB7,
					    0x10,
					    0x80,
					    0x01,
					    0x88,
					    0x81,
					    0x01,
					    (unsigned char)keys[0].len,
					    0x83,
					    0x01,
					    kvn,
					    0x96,
					    0x01,
					    access,
					    0x97,
					    0x02,
					    (unsigned char)(usage >> 8),
					    (unsigned char)usage};

		memcpy(v, b7, sizeof(b7));
		n = sizeof(b7);
	}
	for (size_t i = 0; i < nkeys; i++) {
		if ((r = cp_kcv(CP_ALG_AES, keys[i].key, keys[i].len, kcv)) < 0)
			return r;
		v[n++] = 0xB9;
		v[n++] = 0x08;
		v[n++] = 0x82;
		v[n++] = 0x01;
		v[n++] = (unsigned char)(first_id + i);
		v[n++] = 0x84;
		v[n++] = 0x03;
		memcpy(v + n, kcv, 3);
		n += 3;
	}
	if ((r = gp_dgi_append(out, 0x00B9, v, n)) < 0)
		return r;
	for (size_t i = 0; i < nkeys; i++) {
		if ((r = gp_wrap_key(dek, dek_len, &keys[i], ct, &cn)) < 0 ||
		    (r = gp_dgi_append(out, 0x8113, ct, cn)) < 0)
			break;
	}
	cp_memzero(ct, sizeof(ct));
	return r;
}

#endif
