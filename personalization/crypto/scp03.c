/*
 * scp03.c - GlobalPlatform SCP03, S8 mode: KDF, cryptograms, C-MAC, C-DEC, R-MAC, R-ENC,
 * for the host and the card side (see scp03.h; docs/crypto-reference.md §1).
 */
#include "personalization/crypto/scp03.h"

#include "core/err.h"
#include "core/mem.h"
#include "formats/apdu.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/mac.h"
#include "personalization/crypto/secmem.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

/* AMD-D Table 4-1 derivation constants. */
enum {
	DC_CARD_CRYPTOGRAM = 0x00,
	DC_HOST_CRYPTOGRAM = 0x01,
	DC_CARD_CHALLENGE = 0x02,
	DC_S_ENC = 0x04,
	DC_S_MAC = 0x06,
	DC_S_RMAC = 0x07,
};

/* What both sides keep of a session. */
struct scp03_sess {
	struct scp03_keys keys;
	unsigned char s_enc[32], s_mac[32], s_rmac[32];
	unsigned char chain[16];
	unsigned char host_cgram[8];
	uint32_t counter; /* C-DEC counter of the last command */
	unsigned char sl;
	int state; /* 0 idle, 1 after INITIALIZE UPDATE, 2 open */
};

struct scp03_host {
	struct scp03_sess s;
};

struct scp03_card {
	struct scp03_sess s;
	unsigned char kdd[10], i_param;
	unsigned char aid[16];
	size_t aid_len;
};

static int
check_keys(const struct scp03_keys *k)
{
	if (k->key_len != 16 && k->key_len != 24 && k->key_len != 32)
		return cp_err(CP_ERR_INVALID,
			      "SCP03 keys must be AES-128, 192 or 256, not %zu bytes", k->key_len);
	return 0;
}

int
scp03_kdf(const unsigned char *key, size_t key_len, unsigned char dc, const unsigned char *context,
	  size_t context_len, unsigned char *out, size_t out_len)
{
	unsigned char in[16 + 64], block[16];
	size_t bits = out_len * 8, done = 0;
	int r = 0;

	if (context_len > 64 || out_len == 0 || out_len > 64)
		return cp_err(CP_ERR_INVALID,
			      "SCP03 KDF: context %zu or output %zu bytes out of range",
			      context_len, out_len);
	memset(in, 0, 11);
	in[11] = dc;
	in[12] = 0x00;
	in[13] = (unsigned char)(bits >> 8);
	in[14] = (unsigned char)bits;
	memcpy(in + 16, context, context_len);
	for (unsigned char i = 1; done < out_len; i++) {
		size_t n = out_len - done < 16 ? out_len - done : 16;

		in[15] = i;
		if ((r = cp_cmac(CP_ALG_AES, key, key_len, in, 16 + context_len, block)) < 0)
			break;
		memcpy(out + done, block, n);
		done += n;
	}
	cp_memzero(block, sizeof(block));
	return r;
}

int
scp03_session_keys(const struct scp03_keys *keys, const unsigned char hc[8],
		   const unsigned char cc[8], unsigned char *s_enc, unsigned char *s_mac,
		   unsigned char *s_rmac)
{
	unsigned char ctx[16];
	int r;

	if ((r = check_keys(keys)) < 0)
		return r;
	memcpy(ctx, hc, 8);
	memcpy(ctx + 8, cc, 8);
	if ((r = scp03_kdf(keys->enc, keys->key_len, DC_S_ENC, ctx, 16, s_enc, keys->key_len)) <
		    0 ||
	    (r = scp03_kdf(keys->mac, keys->key_len, DC_S_MAC, ctx, 16, s_mac, keys->key_len)) <
		    0 ||
	    (r = scp03_kdf(keys->mac, keys->key_len, DC_S_RMAC, ctx, 16, s_rmac, keys->key_len)) <
		    0)
		return r;
	return 0;
}

/* The pseudo-random card challenge: KDF(Key-ENC, 02, seq(3) || SD AID), 8 bytes. */
static int
scp03_pseudo_card_challenge(const struct scp03_keys *keys, const unsigned char seq[3],
			    const unsigned char *aid, size_t aid_len, unsigned char challenge[8])
{
	unsigned char ctx[3 + 16];
	int r;

	if ((r = check_keys(keys)) < 0)
		return r;
	if (aid_len < 5 || aid_len > 16)
		return cp_err(CP_ERR_INVALID, "an AID has 5 to 16 bytes, not %zu", aid_len);
	memcpy(ctx, seq, 3);
	memcpy(ctx + 3, aid, aid_len);
	return scp03_kdf(keys->enc, keys->key_len, DC_CARD_CHALLENGE, ctx, 3 + aid_len, challenge,
			 8);
}

void
scp03_init_update_apdu(unsigned char kvn, const unsigned char hc[8], unsigned char apdu[14])
{
	apdu[0] = 0x80;
	apdu[1] = 0x50;
	apdu[2] = kvn;
	apdu[3] = 0x00;
	apdu[4] = 0x08;
	memcpy(apdu + 5, hc, 8);
	apdu[13] = 0x00;
}

int
scp03_parse_init_response(const unsigned char *resp, size_t len, struct scp03_init_response *out)
{
	memset(out, 0, sizeof(*out));
	if (len != 29 && len != 32)
		return cp_err(CP_ERR_FORMAT,
			      "INITIALIZE UPDATE response has %zu bytes, SCP03 S8 needs 29 or 32",
			      len);
	memcpy(out->kdd, resp, 10);
	out->kvn = resp[10];
	out->scp_id = resp[11];
	out->i_param = resp[12];
	memcpy(out->card_challenge, resp + 13, 8);
	memcpy(out->card_cryptogram, resp + 21, 8);
	if (out->scp_id != 0x03)
		return cp_err(CP_ERR_PROTOCOL, "the card answered SCP%02X, not SCP03", out->scp_id);
	if (len == 32) {
		memcpy(out->seq, resp + 29, 3);
		out->has_seq = 1;
	}
	return 0;
}

static int
dek_crypt(const struct scp03_keys *k, const unsigned char *in, size_t len, unsigned char *out,
	  int enc)
{
	int r;

	if ((r = check_keys(k)) < 0)
		return r;
	if (len == 0 || len % 16)
		return cp_err(CP_ERR_INVALID,
			      "key-sensitive data of %zu bytes is not whole AES blocks", len);
	return enc ? cp_cbc_encrypt(CP_ALG_AES, k->dek, k->key_len, NULL, in, len, out)
		   : cp_cbc_decrypt(CP_ALG_AES, k->dek, k->key_len, NULL, in, len, out);
}

int
scp03_dek_encrypt(const struct scp03_keys *k, const unsigned char *in, size_t len,
		  unsigned char *out)
{
	return dek_crypt(k, in, len, out, 1);
}

static int
scp03_dek_decrypt(const struct scp03_keys *k, const unsigned char *in, size_t len,
		  unsigned char *out)
{
	return dek_crypt(k, in, len, out, 0);
}

/* ---- shared session mechanics ---- */

static void
sess_reset(struct scp03_sess *s)
{
	memset(s->chain, 0, sizeof(s->chain));
	s->counter = 0;
	s->sl = 0;
	s->state = 0;
}

static int
sess_derive(struct scp03_sess *s, const unsigned char hc[8], const unsigned char cc[8],
	    unsigned char card_cgram[8])
{
	unsigned char ctx[16];
	size_t kl = s->keys.key_len;
	int r;

	memcpy(ctx, hc, 8);
	memcpy(ctx + 8, cc, 8);
	if ((r = scp03_session_keys(&s->keys, hc, cc, s->s_enc, s->s_mac, s->s_rmac)) < 0 ||
	    (r = scp03_kdf(s->s_mac, kl, DC_CARD_CRYPTOGRAM, ctx, 16, card_cgram, 8)) < 0 ||
	    (r = scp03_kdf(s->s_mac, kl, DC_HOST_CRYPTOGRAM, ctx, 16, s->host_cgram, 8)) < 0)
		return r;
	return 0;
}

/* ICV for C-DEC (resp = 0) or R-ENC (resp = 1): AES(S-ENC, counter block). */
static int
sess_icv(const struct scp03_sess *s, int resp, unsigned char icv[16])
{
	unsigned char blk[16] = {0};

	blk[12] = (unsigned char)(s->counter >> 24);
	blk[13] = (unsigned char)(s->counter >> 16);
	blk[14] = (unsigned char)(s->counter >> 8);
	blk[15] = (unsigned char)s->counter;
	if (resp)
		blk[0] = 0x80;
	return cp_ecb_encrypt(CP_ALG_AES, s->s_enc, s->keys.key_len, blk, 16, icv);
}

/* C-MAC over chain || hdr(4) || lc || data; updates the chaining value, mac8 gets the MAC. */
static int
sess_cmac(struct scp03_sess *s, const unsigned char hdr[4], unsigned char lc,
	  const unsigned char *data, size_t len, unsigned char mac16[16])
{
	unsigned char in[16 + 5 + 255];

	memcpy(in, s->chain, 16);
	memcpy(in + 16, hdr, 4);
	in[20] = lc;
	if (len)
		memcpy(in + 21, data, len);
	return cp_cmac(CP_ALG_AES, s->s_mac, s->keys.key_len, in, 21 + len, mac16);
}

static int
sess_rmac(const struct scp03_sess *s, const unsigned char *data, size_t len,
	  const unsigned char sw[2], unsigned char mac16[16])
{
	unsigned char in[16 + 256 + 16 + 2];

	if (len > 256 + 16)
		return cp_err(CP_ERR_LIMIT, "response data of %zu bytes is too long", len);
	memcpy(in, s->chain, 16);
	if (len)
		memcpy(in + 16, data, len);
	memcpy(in + 16 + len, sw, 2);
	return cp_cmac(CP_ALG_AES, s->s_rmac, s->keys.key_len, in, 16 + len + 2, mac16);
}

static int
valid_sl(unsigned char sl)
{
	return sl == 0x00 || sl == 0x01 || sl == 0x03 || sl == 0x11 || sl == 0x13 || sl == 0x33;
}

static int
sw_carries_rmac(uint16_t sw)
{
	return sw == 0x9000 || (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
}

/* A command APDU split into its parts (formats/apdu.h; any class: the channel wraps what the
 * script holds and leaves the class checks to the card), its errors in the channel's words. */
static int
split(const unsigned char *a, size_t n, struct apdu *p)
{
	uint16_t sw;

	if (apdu_split(a, n, p, &sw) == 0)
		return 0;
	if (n < 4)
		return cp_err(CP_ERR_FORMAT, "a command APDU has at least 4 bytes, not %zu", n);
	if (a[4] == 0)
		return cp_err(CP_ERR_FORMAT, "extended-length APDUs are not supported");
	return cp_err(CP_ERR_FORMAT, "APDU of %zu bytes does not match its Lc %zu", n,
		      (size_t)a[4]);
}

/* The class byte with secure messaging indicated (b3; b6 for further interindustry). */
static unsigned char
cla_sm(unsigned char cla)
{
	return (cla & 0x40) ? (unsigned char)(cla | 0x20) : (unsigned char)(cla | 0x04);
}

static int
cla_has_sm(unsigned char cla)
{
	return (cla & 0x40) ? (cla & 0x20) != 0 : (cla & 0x04) != 0;
}

static unsigned char
cla_plain(unsigned char cla)
{
	return (cla & 0x40) ? (unsigned char)(cla & ~0x20) : (unsigned char)(cla & ~0x04);
}

/* ---- host ---- */

int
scp03_host_new(const struct scp03_keys *keys, struct scp03_host **out)
{
	struct scp03_host *h;
	int r;

	*out = NULL;
	if ((r = check_keys(keys)) < 0)
		return r;
	h = cp_secure_zalloc(sizeof(*h));
	h->s.keys = *keys;
	*out = h;
	return 0;
}

void
scp03_host_free(struct scp03_host *h)
{
	cp_secure_free(h, sizeof(*h));
}

int
scp03_host_begin(struct scp03_host *h, const unsigned char hc[8], const unsigned char *resp,
		 size_t resp_len)
{
	struct scp03_init_response ir;
	unsigned char cgram[8];
	int r;

	sess_reset(&h->s);
	if ((r = scp03_parse_init_response(resp, resp_len, &ir)) < 0)
		return r;
	if (h->s.keys.kvn && ir.kvn != h->s.keys.kvn)
		return cp_err(CP_ERR_PROTOCOL, "the card uses key version %02X, not %02X", ir.kvn,
			      h->s.keys.kvn);
	if ((r = sess_derive(&h->s, hc, ir.card_challenge, cgram)) < 0)
		return r;
	if (CRYPTO_memcmp(cgram, ir.card_cryptogram, 8) != 0)
		return cp_err(CP_ERR_CRYPTO,
			      "card cryptogram does not verify: wrong static keys "
			      "for this card (key version %02X)",
			      ir.kvn);
	h->s.state = 1;
	return 0;
}

int
scp03_host_external_auth(struct scp03_host *h, unsigned char sl, unsigned char *apdu,
			 size_t *apdu_len)
{
	unsigned char mac[16];
	int r;

	if (h->s.state != 1)
		return cp_err(CP_ERR_PROTOCOL, "EXTERNAL AUTHENTICATE before INITIALIZE UPDATE");
	if (!valid_sl(sl))
		return cp_err(CP_ERR_INVALID, "security level %02X is not one of 00 01 03 11 13 33",
			      sl);
	apdu[0] = 0x84;
	apdu[1] = 0x82;
	apdu[2] = sl;
	apdu[3] = 0x00;
	apdu[4] = 0x10;
	memcpy(apdu + 5, h->s.host_cgram, 8);
	memset(h->s.chain, 0, 16);
	if ((r = sess_cmac(&h->s, apdu, 0x10, h->s.host_cgram, 8, mac)) < 0)
		return r;
	memcpy(h->s.chain, mac, 16);
	memcpy(apdu + 13, mac, 8);
	*apdu_len = 21;
	h->s.sl = sl;
	h->s.counter = 0;
	h->s.state = 2;
	return 0;
}

int
scp03_host_wrap(struct scp03_host *h, const unsigned char *cmd, size_t cmd_len, unsigned char *out,
		size_t out_size, size_t *out_len)
{
	struct scp03_sess *s = &h->s;
	struct apdu p;
	unsigned char data[256], mac[16], icv[16], hdr[4];
	size_t dlen, n;
	int r;

	if (s->state != 2)
		return cp_err(CP_ERR_PROTOCOL, "no open secure channel");
	if ((r = split(cmd, cmd_len, &p)) < 0)
		return r;
	if (!(s->sl & SCP03_C_MAC)) {
		if (cmd_len > out_size)
			return cp_err(CP_ERR_LIMIT, "output buffer too small");
		memcpy(out, cmd, cmd_len);
		*out_len = cmd_len;
		return 0;
	}
	s->counter++;
	dlen = p.lc;
	if (dlen)
		memcpy(data, p.data, dlen);
	if ((s->sl & SCP03_C_DEC) && dlen) {
		if (cp_pad80_len(dlen, 16) + 8 > 255)
			return cp_err(CP_ERR_LIMIT,
				      "command data of %zu bytes is too long for C-DEC "
				      "(at most %d)",
				      dlen, SCP03_MAX_DATA);
		dlen = cp_pad80(data, dlen, 16, data);
		if ((r = sess_icv(s, 0, icv)) < 0 ||
		    (r = cp_cbc_encrypt(CP_ALG_AES, s->s_enc, s->keys.key_len, icv, data, dlen,
					data)) < 0)
			return r;
	}
	if (dlen + 8 > 255)
		return cp_err(CP_ERR_LIMIT, "command data of %zu bytes is too long for C-MAC",
			      dlen);
	memcpy(hdr, cmd, 4);
	hdr[0] = cla_sm(hdr[0]);
	if ((r = sess_cmac(s, hdr, (unsigned char)(dlen + 8), data, dlen, mac)) < 0)
		return r;
	memcpy(s->chain, mac, 16);
	n = 5 + dlen + 8 + (p.has_le ? 1 : 0);
	if (n > out_size)
		return cp_err(CP_ERR_LIMIT, "output buffer too small");
	memcpy(out, hdr, 4);
	out[4] = (unsigned char)(dlen + 8);
	memcpy(out + 5, data, dlen);
	memcpy(out + 5 + dlen, mac, 8);
	if (p.has_le)
		out[n - 1] = (unsigned char)p.le; /* 256 goes back to 00 */
	*out_len = n;
	cp_memzero(data, sizeof(data));
	return 0;
}

int
scp03_host_unwrap(struct scp03_host *h, const unsigned char *resp, size_t resp_len,
		  unsigned char *out, size_t out_size, size_t *out_len)
{
	struct scp03_sess *s = &h->s;
	unsigned char mac[16], icv[16], buf[256 + 16];
	const unsigned char *sw;
	size_t dlen, plen;
	uint16_t sw16;
	int r;

	if (resp_len < 2)
		return cp_err(CP_ERR_FORMAT, "a response has at least SW1 SW2");
	sw = resp + resp_len - 2;
	sw16 = (uint16_t)(sw[0] << 8 | sw[1]);
	if (s->state != 2 || !(s->sl & SCP03_R_MAC) || !sw_carries_rmac(sw16)) {
		if (resp_len > out_size)
			return cp_err(CP_ERR_LIMIT, "output buffer too small");
		memmove(out, resp, resp_len);
		*out_len = resp_len;
		return 0;
	}
	if (resp_len < 10)
		return cp_err(CP_ERR_PROTOCOL, "response with SW %04X has no R-MAC", sw16);
	dlen = resp_len - 10;
	if (dlen > sizeof(buf))
		return cp_err(CP_ERR_LIMIT, "response too long");
	if ((r = sess_rmac(s, resp, dlen, sw, mac)) < 0)
		return r;
	if (CRYPTO_memcmp(mac, resp + dlen, 8) != 0)
		return cp_err(CP_ERR_CRYPTO, "R-MAC of the response does not verify");
	memcpy(buf, resp, dlen);
	plen = dlen;
	if ((s->sl & SCP03_R_ENC) && dlen) {
		if (dlen % 16)
			return cp_err(CP_ERR_PROTOCOL, "R-ENC response of %zu bytes", dlen);
		if ((r = sess_icv(s, 1, icv)) < 0 ||
		    (r = cp_cbc_decrypt(CP_ALG_AES, s->s_enc, s->keys.key_len, icv, buf, dlen,
					buf)) < 0 ||
		    (r = cp_unpad80(buf, dlen, &plen)) < 0)
			return r;
	}
	if (plen + 2 > out_size)
		return cp_err(CP_ERR_LIMIT, "output buffer too small");
	memcpy(out, buf, plen);
	out[plen] = sw[0];
	out[plen + 1] = sw[1];
	*out_len = plen + 2;
	cp_memzero(buf, sizeof(buf));
	return 0;
}

int
scp03_host_dek_encrypt(struct scp03_host *h, const unsigned char *in, size_t len,
		       unsigned char *out)
{
	return scp03_dek_encrypt(&h->s.keys, in, len, out);
}

/* ---- card ---- */

int
scp03_card_new(const struct scp03_keys *keys, const unsigned char kdd[10], unsigned char i_param,
	       const unsigned char *aid, size_t aid_len, struct scp03_card **out)
{
	struct scp03_card *c;
	int r;

	*out = NULL;
	if ((r = check_keys(keys)) < 0)
		return r;
	if (aid_len > 16 || (aid_len && aid_len < 5))
		return cp_err(CP_ERR_INVALID, "an AID has 5 to 16 bytes, not %zu", aid_len);
	if ((i_param & SCP03_I_PSEUDO_RANDOM) && aid_len == 0)
		return cp_err(CP_ERR_INVALID, "pseudo-random card challenges need the SD's AID");
	c = cp_secure_zalloc(sizeof(*c));
	c->s.keys = *keys;
	memcpy(c->kdd, kdd, 10);
	c->i_param = i_param;
	if (aid_len)
		memcpy(c->aid, aid, aid_len);
	c->aid_len = aid_len;
	*out = c;
	return 0;
}

void
scp03_card_free(struct scp03_card *c)
{
	cp_secure_free(c, sizeof(*c));
}

int
scp03_card_init_update(struct scp03_card *c, const unsigned char *apdu, size_t apdu_len,
		       const unsigned char *card_challenge, uint32_t seq, unsigned char *resp,
		       size_t resp_size, size_t *resp_len)
{
	unsigned char cc[8], cgram[8], seqb[3];
	int pseudo = (c->i_param & SCP03_I_PSEUDO_RANDOM) != 0, r;
	size_t n = pseudo ? 32 : 29;
	struct apdu a;
	uint16_t sw;

	sess_reset(&c->s);
	if (apdu_len != 13 && apdu_len != 14)
		return cp_err(CP_ERR_FORMAT, "INITIALIZE UPDATE of %zu bytes", apdu_len);
	if (apdu_split(apdu, apdu_len, &a, &sw) < 0 || a.lc != 8 || (a.cla & 0xFC) != 0x80 ||
	    a.ins != 0x50)
		return cp_err(CP_ERR_FORMAT, "not an INITIALIZE UPDATE with an 8-byte challenge");
	if (apdu[2] != 0x00 && apdu[2] != c->s.keys.kvn)
		return cp_err(CP_ERR_NOTFOUND, "no key set with version %02X", apdu[2]);
	if (resp_size < n)
		return cp_err(CP_ERR_LIMIT, "response buffer too small");
	seqb[0] = (unsigned char)(seq >> 16);
	seqb[1] = (unsigned char)(seq >> 8);
	seqb[2] = (unsigned char)seq;
	if (card_challenge)
		memcpy(cc, card_challenge, 8);
	else if (pseudo) {
		if ((r = scp03_pseudo_card_challenge(&c->s.keys, seqb, c->aid, c->aid_len, cc)) < 0)
			return r;
	} else if (RAND_bytes(cc, 8) != 1)
		return cp_err(CP_ERR_CRYPTO, "no random card challenge");
	if ((r = sess_derive(&c->s, apdu + 5, cc, cgram)) < 0)
		return r;
	memcpy(resp, c->kdd, 10);
	resp[10] = c->s.keys.kvn;
	resp[11] = 0x03;
	resp[12] = c->i_param;
	memcpy(resp + 13, cc, 8);
	memcpy(resp + 21, cgram, 8);
	if (pseudo)
		memcpy(resp + 29, seqb, 3);
	*resp_len = n;
	c->s.state = 1;
	return 0;
}

void
scp03_card_close(struct scp03_card *c)
{
	struct scp03_sess *s = &c->s;

	cp_memzero(s->s_enc, sizeof(s->s_enc));
	cp_memzero(s->s_mac, sizeof(s->s_mac));
	cp_memzero(s->s_rmac, sizeof(s->s_rmac));
	cp_memzero(s->host_cgram, sizeof(s->host_cgram));
	sess_reset(s);
}

int
scp03_card_external_auth(struct scp03_card *c, const unsigned char *apdu, size_t apdu_len)
{
	unsigned char mac[16];
	struct apdu a;
	uint16_t sw;
	int r;

	if (c->s.state != 1)
		return cp_err(CP_ERR_PROTOCOL, "EXTERNAL AUTHENTICATE without INITIALIZE UPDATE");
	if (apdu_split(apdu, apdu_len, &a, &sw) < 0 || a.lc != 0x10 || (a.cla & 0xFC) != 0x84 ||
	    a.ins != 0x82) {
		scp03_card_close(c);
		return cp_err(CP_ERR_FORMAT, "malformed EXTERNAL AUTHENTICATE");
	}
	if (!valid_sl(apdu[2])) {
		scp03_card_close(c);
		return cp_err(CP_ERR_FORMAT, "security level %02X is not supported", apdu[2]);
	}
	memset(c->s.chain, 0, 16);
	if ((r = sess_cmac(&c->s, apdu, 0x10, apdu + 5, 8, mac)) < 0) {
		scp03_card_close(c);
		return r;
	}
	if (CRYPTO_memcmp(apdu + 5, c->s.host_cgram, 8) != 0 ||
	    CRYPTO_memcmp(apdu + 13, mac, 8) != 0) {
		scp03_card_close(c);
		return cp_err(CP_ERR_CRYPTO, "host cryptogram or C-MAC does not verify");
	}
	memcpy(c->s.chain, mac, 16);
	c->s.sl = apdu[2];
	c->s.counter = 0;
	c->s.state = 2;
	return 0;
}

int
scp03_card_unwrap(struct scp03_card *c, const unsigned char *apdu, size_t apdu_len,
		  unsigned char *out, size_t out_size, size_t *out_len)
{
	struct scp03_sess *s = &c->s;
	unsigned char data[256], mac[16], icv[16], hdr[4];
	size_t dlen, n;
	struct apdu p;
	int r;

	if (s->state != 2)
		return cp_err(CP_ERR_PROTOCOL, "no open secure channel");
	if ((r = split(apdu, apdu_len, &p)) < 0)
		return r;
	memcpy(hdr, apdu, 4);
	if (!(s->sl & SCP03_C_MAC)) {
		if (apdu_len > out_size)
			return cp_err(CP_ERR_LIMIT, "output buffer too small");
		memcpy(out, apdu, apdu_len);
		*out_len = apdu_len;
		return 0;
	}
	if (!cla_has_sm(hdr[0]))
		return cp_err(CP_ERR_PROTOCOL,
			      "command without secure messaging in an open channel "
			      "at security level %02X",
			      s->sl);
	if (p.lc < 8) {
		scp03_card_close(c);
		return cp_err(CP_ERR_CRYPTO, "command carries no C-MAC");
	}
	s->counter++;
	dlen = p.lc - 8;
	if ((r = sess_cmac(s, hdr, (unsigned char)p.lc, p.data, dlen, mac)) < 0)
		return r;
	if (CRYPTO_memcmp(mac, p.data + dlen, 8) != 0) {
		scp03_card_close(c);
		return cp_err(CP_ERR_CRYPTO, "C-MAC does not verify");
	}
	memcpy(s->chain, mac, 16);
	memcpy(data, p.data, dlen);
	if ((s->sl & SCP03_C_DEC) && dlen) {
		if (dlen % 16) {
			scp03_card_close(c);
			return cp_err(CP_ERR_CRYPTO, "C-DEC data of %zu bytes", dlen);
		}
		if ((r = sess_icv(s, 0, icv)) < 0 ||
		    (r = cp_cbc_decrypt(CP_ALG_AES, s->s_enc, s->keys.key_len, icv, data, dlen,
					data)) < 0)
			return r;
		if ((r = cp_unpad80(data, dlen, &dlen)) < 0) {
			scp03_card_close(c);
			return cp_err(CP_ERR_CRYPTO, "C-DEC data badly padded");
		}
	}
	n = 4 + (dlen ? 1 + dlen : 0) + (p.has_le ? 1 : 0);
	if (n > out_size)
		return cp_err(CP_ERR_LIMIT, "output buffer too small");
	memcpy(out, hdr, 4);
	out[0] = cla_plain(out[0]);
	if (dlen) {
		out[4] = (unsigned char)dlen;
		memcpy(out + 5, data, dlen);
	}
	if (p.has_le)
		out[n - 1] = (unsigned char)p.le; /* 256 goes back to 00 */
	*out_len = n;
	cp_memzero(data, sizeof(data));
	return 0;
}

int
scp03_card_wrap_response(struct scp03_card *c, const unsigned char *data, size_t len, uint16_t sw,
			 unsigned char *out, size_t out_size, size_t *out_len)
{
	struct scp03_sess *s = &c->s;
	unsigned char buf[256 + 16], mac[16], icv[16], swb[2];
	size_t dlen = len;
	int r;

	swb[0] = (unsigned char)(sw >> 8);
	swb[1] = (unsigned char)sw;
	if (len > 256)
		return cp_err(CP_ERR_LIMIT, "response data of %zu bytes", len);
	if (s->state != 2 || !(s->sl & SCP03_R_MAC) || !sw_carries_rmac(sw)) {
		if (!sw_carries_rmac(sw))
			len = 0; /* an error carries no data */
		if (len + 2 > out_size)
			return cp_err(CP_ERR_LIMIT, "output buffer too small");
		if (len)
			memmove(out, data, len);
		memcpy(out + len, swb, 2);
		*out_len = len + 2;
		return 0;
	}
	if (len)
		memcpy(buf, data, len);
	if ((s->sl & SCP03_R_ENC) && len) {
		dlen = cp_pad80(buf, len, 16, buf);
		if ((r = sess_icv(s, 1, icv)) < 0 ||
		    (r = cp_cbc_encrypt(CP_ALG_AES, s->s_enc, s->keys.key_len, icv, buf, dlen,
					buf)) < 0)
			return r;
	}
	if (dlen + 10 > out_size || dlen + 8 > 256)
		return cp_err(CP_ERR_LIMIT, "wrapped response of %zu bytes does not fit",
			      dlen + 10);
	if ((r = sess_rmac(s, buf, dlen, swb, mac)) < 0)
		return r;
	memcpy(out, buf, dlen);
	memcpy(out + dlen, mac, 8);
	memcpy(out + dlen + 8, swb, 2);
	*out_len = dlen + 10;
	cp_memzero(buf, sizeof(buf));
	return 0;
}

int
scp03_card_dek_decrypt(struct scp03_card *c, const unsigned char *in, size_t len,
		       unsigned char *out)
{
	return scp03_dek_decrypt(&c->s.keys, in, len, out);
}

int
scp03_card_is_open(const struct scp03_card *c)
{
	return c->s.state == 2;
}

unsigned char
scp03_card_security_level(const struct scp03_card *c)
{
	return c->s.sl;
}
