/*
 * scp02.c - GlobalPlatform SCP02, host and card sides (see scp02.h).
 */
#include "personalization/crypto/scp02.h"

#include "core/err.h"
#include "core/mem.h"
#include "formats/apdu.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/mac.h"
#include "personalization/crypto/secmem.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

struct scp02_host {
	struct scp02_keys keys;
	unsigned char i_param;
	unsigned char s_enc[16], c_mac[16], r_mac[16], s_dek[16];
	unsigned char host_cgram[8];
	unsigned char icv[8]; /* the last C-MAC */
	unsigned char sl;
	int state, first;
};

/* SK = 3DES-CBC(key, IV 0, constant(2) || seq(2) || 00*12). Constants: C-MAC 0101,
 * R-MAC 0102, S-ENC 0182, DEK 0181. */
static int
scp02_session_key(const unsigned char key[16], unsigned int constant, const unsigned char seq[2],
		  unsigned char out[16])
{
	unsigned char in[16] = {0};

	in[0] = (unsigned char)(constant >> 8);
	in[1] = (unsigned char)constant;
	in[2] = seq[0];
	in[3] = seq[1];
	return cp_cbc_encrypt(CP_ALG_TDES, key, 16, NULL, in, 16, out);
}

int
scp02_host_new(const struct scp02_keys *keys, unsigned char i_param, struct scp02_host **out)
{
	struct scp02_host *h = cp_secure_zalloc(sizeof(*h));

	h->keys = *keys;
	h->i_param = i_param;
	*out = h;
	return 0;
}

void
scp02_host_free(struct scp02_host *h)
{
	cp_secure_free(h, sizeof(*h));
}

/* The session keys for seq, and the card and host cryptograms of the challenges. */
static int
derive(struct scp02_host *h, const unsigned char hc[8], const unsigned char seq[2],
       const unsigned char cc[6], unsigned char card_cgram[8])
{
	unsigned char in[16];
	int r;

	if ((r = scp02_session_key(h->keys.enc, 0x0182, seq, h->s_enc)) < 0 ||
	    (r = scp02_session_key(h->keys.mac, 0x0101, seq, h->c_mac)) < 0 ||
	    (r = scp02_session_key(h->keys.mac, 0x0102, seq, h->r_mac)) < 0 ||
	    (r = scp02_session_key(h->keys.dek, 0x0181, seq, h->s_dek)) < 0)
		return r;
	memcpy(in, hc, 8);
	memcpy(in + 8, seq, 2);
	memcpy(in + 10, cc, 6);
	if ((r = cp_cbc_mac(CP_ALG_TDES, h->s_enc, 16, NULL, in, 16, CP_PAD_80, card_cgram)) < 0)
		return r;
	memcpy(in, seq, 2);
	memcpy(in + 2, cc, 6);
	memcpy(in + 8, hc, 8);
	return cp_cbc_mac(CP_ALG_TDES, h->s_enc, 16, NULL, in, 16, CP_PAD_80, h->host_cgram);
}

int
scp02_host_begin(struct scp02_host *h, const unsigned char hc[8], const unsigned char *resp,
		 size_t len)
{
	const unsigned char *seq = resp + 12, *cc = resp + 14, *cgram = resp + 20;
	unsigned char mac[8];
	int r;

	h->state = 0;
	if (len != 28)
		return cp_err(CP_ERR_FORMAT,
			      "SCP02 INITIALIZE UPDATE response has %zu bytes, not 28", len);
	if (resp[11] != 0x02)
		return cp_err(CP_ERR_PROTOCOL, "the card answered SCP%02X, not SCP02", resp[11]);
	if ((r = derive(h, hc, seq, cc, mac)) < 0)
		return r;
	if (CRYPTO_memcmp(mac, cgram, 8) != 0)
		return cp_err(CP_ERR_CRYPTO, "SCP02 card cryptogram does not verify: wrong keys");
	h->state = 1;
	return 0;
}

/* C-MAC of hdr(4) || lc || data with the session ICV; keeps it as the next ICV. */
static int
cmac(struct scp02_host *h, const unsigned char hdr[4], unsigned char lc, const unsigned char *data,
     size_t len, unsigned char mac[8])
{
	unsigned char in[5 + 255], icv[8];
	int r;

	memcpy(in, hdr, 4);
	in[4] = lc;
	if (len)
		memcpy(in + 5, data, len);
	if (h->first)
		memset(icv, 0, 8);
	else if (h->i_param & SCP02_I_ICV_ENC) {
		/* single DES under the left half of the C-MAC key */
		if ((r = cp_ecb_encrypt(CP_ALG_TDES, h->c_mac, 8, h->icv, 8, icv)) < 0)
			return r;
	} else
		memcpy(icv, h->icv, 8);
	if ((r = cp_retail_mac(h->c_mac, icv, in, 5 + len, CP_PAD_80, mac)) < 0)
		return r;
	memcpy(h->icv, mac, 8);
	h->first = 0;
	return 0;
}

int
scp02_host_external_auth(struct scp02_host *h, unsigned char sl, unsigned char *apdu,
			 size_t *apdu_len)
{
	unsigned char hdr[4] = {0x84, 0x82, sl, 0x00}, mac[8];
	int r;

	if (h->state != 1)
		return cp_err(CP_ERR_PROTOCOL, "EXTERNAL AUTHENTICATE before INITIALIZE UPDATE");
	if (sl != 0x00 && sl != 0x01 && sl != 0x03)
		return cp_err(CP_ERR_UNSUPPORTED, "SCP02 security level %02X (00, 01, 03 only)",
			      sl);
	h->first = 1;
	if ((r = cmac(h, hdr, 0x10, h->host_cgram, 8, mac)) < 0)
		return r;
	memcpy(apdu, hdr, 4);
	apdu[4] = 0x10;
	memcpy(apdu + 5, h->host_cgram, 8);
	memcpy(apdu + 13, mac, 8);
	*apdu_len = 21;
	h->sl = sl;
	h->state = 2;
	return 0;
}

int
scp02_host_wrap(struct scp02_host *h, const unsigned char *cmd, size_t n, unsigned char *out,
		size_t out_size, size_t *out_len)
{
	unsigned char hdr[4], mac[8], data[264], le;
	size_t lc, dlen, m;
	int has_le, r;
	struct apdu a;
	uint16_t sw;

	if (h->state != 2)
		return cp_err(CP_ERR_PROTOCOL, "no open SCP02 channel");
	/* formats/apdu.h: the length grammar, any class (the card judges the class) */
	if (apdu_split(cmd, n, &a, &sw) < 0)
		return n < 4 ? cp_err(CP_ERR_FORMAT, "a command APDU has at least 4 bytes")
			     : cp_err(CP_ERR_FORMAT, "APDU of %zu bytes does not match its Lc", n);
	lc = a.lc;
	has_le = a.has_le;
	le = (unsigned char)a.le; /* 256 goes back to 00 */
	if (!(h->sl & 0x01)) {
		if (n > out_size)
			return cp_err(CP_ERR_LIMIT, "output buffer too small");
		memcpy(out, cmd, n);
		*out_len = n;
		return 0;
	}
	if (lc + 8 + 8 > 255)
		return cp_err(CP_ERR_LIMIT, "command data of %zu bytes too long for SCP02", lc);
	memcpy(hdr, cmd, 4);
	if (h->i_param & SCP02_I_UNMODIFIED) {
		if ((r = cmac(h, hdr, (unsigned char)lc, cmd + 5, lc, mac)) < 0)
			return r;
		hdr[0] |= 0x04;
	} else {
		hdr[0] |= 0x04;
		if ((r = cmac(h, hdr, (unsigned char)(lc + 8), cmd + 5, lc, mac)) < 0)
			return r;
	}
	dlen = lc;
	if (lc)
		memcpy(data, cmd + 5, lc);
	if ((h->sl & 0x02) && lc) {
		dlen = cp_pad80(data, lc, 8, data);
		if ((r = cp_cbc_encrypt(CP_ALG_TDES, h->s_enc, 16, NULL, data, dlen, data)) < 0)
			return r;
	}
	m = 5 + dlen + 8 + (size_t)has_le;
	if (m > out_size || dlen + 8 > 255)
		return cp_err(CP_ERR_LIMIT, "wrapped command does not fit");
	memcpy(out, hdr, 4);
	out[4] = (unsigned char)(dlen + 8);
	memcpy(out + 5, data, dlen);
	memcpy(out + 5 + dlen, mac, 8);
	if (has_le)
		out[m - 1] = le;
	*out_len = m;
	cp_memzero(data, sizeof(data));
	return 0;
}

int
scp02_host_dek_encrypt(struct scp02_host *h, const unsigned char *in, size_t len,
		       unsigned char *out)
{
	if (h->state < 1)
		return cp_err(CP_ERR_PROTOCOL, "no SCP02 session DEK before INITIALIZE UPDATE");
	return cp_ecb_encrypt(CP_ALG_TDES, h->s_dek, 16, in, len, out);
}

void
scp02_host_session_keys(const struct scp02_host *h, unsigned char *s_enc, unsigned char *c_mac,
			unsigned char *r_mac, unsigned char *s_dek)
{
	if (s_enc)
		memcpy(s_enc, h->s_enc, 16);
	if (c_mac)
		memcpy(c_mac, h->c_mac, 16);
	if (r_mac)
		memcpy(r_mac, h->r_mac, 16);
	if (s_dek)
		memcpy(s_dek, h->s_dek, 16);
}

/* ---- card side ---- */

struct scp02_card {
	struct scp02_host h; /* the same keys, ICV chaining and session keys */
	unsigned char kdd[10];
};

int
scp02_card_new(const struct scp02_keys *keys, const unsigned char kdd[10], unsigned char i_param,
	       struct scp02_card **out)
{
	struct scp02_card *c = cp_secure_zalloc(sizeof(*c));

	c->h.keys = *keys;
	c->h.i_param = i_param;
	memcpy(c->kdd, kdd, 10);
	*out = c;
	return 0;
}

void
scp02_card_free(struct scp02_card *c)
{
	if (c)
		cp_secure_free(c, sizeof(*c));
}

int
scp02_card_init_update(struct scp02_card *c, const unsigned char *apdu, size_t len,
		       const unsigned char *card_challenge, unsigned int seq, unsigned char *resp,
		       size_t resp_size, size_t *resp_len)
{
	unsigned char s[2] = {(unsigned char)(seq >> 8), (unsigned char)seq}, cc[6];
	struct apdu a;
	uint16_t sw;
	int r;

	c->h.state = 0;
	if (apdu_split(apdu, len, &a, &sw) < 0 || a.lc != 8)
		return cp_err(CP_ERR_FORMAT, "INITIALIZE UPDATE of %zu bytes", len);
	if (apdu[2] != 0 && apdu[2] != c->h.keys.kvn)
		return cp_err(CP_ERR_NOTFOUND, "key version %02X is not on the card", apdu[2]);
	if (resp_size < 28)
		return cp_err(CP_ERR_LIMIT, "response buffer too small");
	if (card_challenge)
		memcpy(cc, card_challenge, 6);
	else if (RAND_bytes(cc, sizeof(cc)) != 1)
		return cp_err(CP_ERR_CRYPTO, "no random card challenge (OpenSSL RAND)");
	memcpy(resp, c->kdd, 10);
	resp[10] = c->h.keys.kvn;
	resp[11] = 0x02;
	memcpy(resp + 12, s, 2);
	memcpy(resp + 14, cc, 6);
	if ((r = derive(&c->h, apdu + 5, s, cc, resp + 20)) < 0)
		return r;
	*resp_len = 28;
	c->h.state = 1;
	return 0;
}

int
scp02_card_external_auth(struct scp02_card *c, const unsigned char *apdu, size_t len)
{
	unsigned char mac[8], sl;
	struct apdu a;
	uint16_t sw;
	int r;

	if (c->h.state != 1)
		return cp_err(CP_ERR_PROTOCOL, "EXTERNAL AUTHENTICATE before INITIALIZE UPDATE");
	c->h.state = 0;
	if (apdu_split(apdu, len, &a, &sw) < 0 || a.icase != 3 || a.lc != 0x10 || a.cla != 0x84 ||
	    a.ins != 0x82)
		return cp_err(CP_ERR_FORMAT, "EXTERNAL AUTHENTICATE of %zu bytes", len);
	sl = apdu[2];
	if (sl != 0x00 && sl != 0x01 && sl != 0x03)
		return cp_err(CP_ERR_UNSUPPORTED, "SCP02 security level %02X", sl);
	c->h.first = 1;
	if ((r = cmac(&c->h, apdu, 0x10, apdu + 5, 8, mac)) < 0)
		return r;
	if (CRYPTO_memcmp(apdu + 5, c->h.host_cgram, 8) != 0 ||
	    CRYPTO_memcmp(apdu + 13, mac, 8) != 0)
		return cp_err(CP_ERR_CRYPTO, "host cryptogram or its C-MAC does not verify");
	c->h.sl = sl;
	c->h.state = 2;
	return 0;
}

int
scp02_card_unwrap(struct scp02_card *c, const unsigned char *apdu, size_t len, unsigned char *out,
		  size_t out_size, size_t *out_len)
{
	struct scp02_host *h = &c->h;
	unsigned char data[256], mac[8], hdr[4];
	size_t lc, dlen, plen;
	int has_le, r;
	struct apdu a;
	uint16_t sw;

	if (h->state != 2)
		return cp_err(CP_ERR_PROTOCOL, "no open SCP02 channel");
	if (len < 5 + 8 || !(apdu[0] & 0x04))
		return cp_err(CP_ERR_FORMAT, "a secured command has its 8-byte C-MAC");
	if (apdu_split(apdu, len, &a, &sw) < 0 || a.lc < 8)
		return cp_err(CP_ERR_FORMAT, "APDU of %zu bytes does not match its Lc", len);
	lc = a.lc;
	has_le = a.has_le;
	dlen = lc - 8;
	memcpy(data, apdu + 5, dlen);
	plen = dlen;
	if ((h->sl & 0x02) && dlen) {
		if (dlen % 8 ||
		    (r = cp_cbc_decrypt(CP_ALG_TDES, h->s_enc, 16, NULL, data, dlen, data)) < 0 ||
		    (r = cp_unpad80(data, dlen, &plen)) < 0) {
			cp_memzero(data, sizeof(data));
			h->state = 0;
			return cp_err(CP_ERR_CRYPTO, "C-DEC data does not decrypt");
		}
	}
	memcpy(hdr, apdu, 4);
	if (h->i_param & SCP02_I_UNMODIFIED) {
		hdr[0] &= (unsigned char)~0x04;
		r = cmac(h, hdr, (unsigned char)plen, data, plen, mac);
	} else {
		r = cmac(h, hdr, (unsigned char)(plen + 8), data, plen, mac);
	}
	if (r < 0 || CRYPTO_memcmp(mac, apdu + 5 + dlen, 8) != 0) {
		cp_memzero(data, sizeof(data));
		h->state = 0;
		return r < 0 ? r : cp_err(CP_ERR_CRYPTO, "C-MAC does not verify");
	}
	if (5 + plen + 1 > out_size) {
		cp_memzero(data, sizeof(data));
		return cp_err(CP_ERR_LIMIT, "output buffer too small");
	}
	memcpy(out, apdu, 4);
	out[0] &= (unsigned char)~0x04;
	*out_len = 4;
	if (plen) {
		out[4] = (unsigned char)plen;
		memcpy(out + 5, data, plen);
		*out_len = 5 + plen;
	}
	if (has_le)
		out[(*out_len)++] = apdu[len - 1];
	cp_memzero(data, sizeof(data));
	return 0;
}

int
scp02_card_dek_decrypt(struct scp02_card *c, const unsigned char *in, size_t len,
		       unsigned char *out)
{
	if (c->h.state < 1)
		return cp_err(CP_ERR_PROTOCOL, "no SCP02 session DEK before INITIALIZE UPDATE");
	return cp_ecb_decrypt(CP_ALG_TDES, c->h.s_dek, 16, in, len, out);
}

int
scp02_card_is_open(const struct scp02_card *c)
{
	return c && c->h.state == 2;
}

unsigned char
scp02_card_security_level(const struct scp02_card *c)
{
	return c->h.sl;
}

void
scp02_card_close(struct scp02_card *c)
{
	c->h.state = 0;
}
