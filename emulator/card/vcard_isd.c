/*
 * vcard_isd.c - the virtual card's issuer security domain (GlobalPlatform Card Spec 2.3,
 * Amendment D): INITIALIZE UPDATE / EXTERNAL AUTHENTICATE opening the stock's secure channel
 * (SCP03, or SCP02) with the chip's static keys, INSTALL [for personalization], STORE DATA with DGIs (key DGIs
 * decrypted with the DEK, following the stock's STORE DATA conventions), PUT KEY and GET
 * DATA; the failed-authentication counter.
 * SET STATUS and GET STATUS, the life cycles, are vcard_status.c.
 *
 * The SCP03 arithmetic itself is personalization/crypto/scp03.h (the card side shared
 * with the encoder's host side); this file is the card's behaviour around it.
 */
#include "emulator/card/vcard.h"

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/gp.h"
#include "personalization/crypto/kcv.h"
#include "formats/apdu.h"

#include <string.h>

/* Re-assemble the raw command for the SCP03 module, which checks header bytes too. */
static size_t
raw_apdu(const struct apdu *a, unsigned char *buf)
{
	size_t n = 0;

	buf[n++] = a->cla;
	buf[n++] = a->ins;
	buf[n++] = a->p1;
	buf[n++] = a->p2;
	if (a->lc) {
		buf[n++] = (unsigned char)a->lc;
		memcpy(buf + n, a->data, a->lc);
		n += a->lc;
	}
	if (a->has_le)
		buf[n++] = (unsigned char)(a->le & 0xFF);
	return n;
}

/* INITIALIZE UPDATE refused by the secure channel (SCP02 or SCP03): no session, and the
 * status word of the reason. */
static uint16_t
init_update_failed(struct vcard *vc, int r)
{
	vcard_channel_close(vc);
	if (r == CP_ERR_NOTFOUND)
		return SW_DATA_NOT_FOUND;
	if (r == CP_ERR_FORMAT)
		return SW_WRONG_DATA;
	log_error("vcard", "INITIALIZE UPDATE: %s", cp_errmsg());
	return SW_NO_DIAGNOSIS;
}

/* SCP02: the 28-byte answer of the stock's key set, 16-bit sequence counter. */
static uint16_t
initialize_update_02(struct vcard *vc, const unsigned char *raw, size_t n, struct vcard_resp *out)
{
	struct scp02_keys k;
	int r;

	if (vc->chip.keys.key_len != 16)
		return SW_CONDITIONS; /* no 3DES key set */
	memcpy(k.enc, vc->chip.keys.enc, 16);
	memcpy(k.mac, vc->chip.keys.mac, 16);
	memcpy(k.dek, vc->chip.keys.dek, 16);
	k.kvn = vc->chip.keys.kvn;
	r = scp02_card_new(&k, vc->chip.kdd, vc->stock.i_param, &vc->s.scp02);
	cp_memzero(&k, sizeof k);
	if (r < 0)
		return SW_NO_DIAGNOSIS;
	if ((r = scp02_card_init_update(vc->s.scp02, raw, n, vc->s.fixed_challenge,
					vc->chip.seq & 0xFFFF, out->data, sizeof out->data,
					&out->len)) < 0)
		return init_update_failed(vc, r);
	vc->s.fixed_challenge = NULL;
	return SW_OK;
}

static uint16_t
initialize_update(struct vcard *vc, const struct apdu *a, struct vcard_resp *out)
{
	unsigned char raw[SCP03_APDU_MAX];
	size_t n;
	int r;

	if (a->cla != 0x80)
		return SW_CLA_NOT_SUPPORTED;
	if (a->lc != 8)
		return SW_WRONG_LENGTH;
	if (a->p2 != 0x00)
		return SW_WRONG_P1P2;
	if (vc->chip.card_lc == VCARD_LC_LOCKED)
		return SW_AUTH_BLOCKED;
	if (vc->chip.card_lc == VCARD_LC_TERMINATED)
		return SW_CONDITIONS;
	if (a->p1 != 0 && a->p1 != vc->chip.keys.kvn)
		return SW_DATA_NOT_FOUND;
	vcard_channel_close(vc);
	vc->s.store_next = 0; /* a new session */
	vc->s.perso_app = -1;
	if (vc->chip.seq >= (vc->stock.scp == CHIP_SCP02 ? 0xFFFFu : 0xFFFFFFu))
		return SW_CONDITIONS; /* the sequence counter is exhausted */
	if (!vc->s.fixed_challenge)
		vc->chip.seq++;
	vc->dirty = 1;
	n = raw_apdu(a, raw);
	if (vc->stock.scp == CHIP_SCP02)
		return initialize_update_02(vc, raw, n, out);
	if ((r = scp03_card_new(&vc->chip.keys, vc->chip.kdd, vc->stock.i_param, vc->stock.isd_aid,
				vc->stock.isd_aid_len, &vc->s.scp)) < 0) {
		log_error("vcard", "SCP03 session: %s", cp_errmsg());
		return SW_NO_DIAGNOSIS;
	}
	if ((r = scp03_card_init_update(vc->s.scp, raw, n, vc->s.fixed_challenge, vc->chip.seq,
					out->data, sizeof out->data, &out->len)) < 0)
		return init_update_failed(vc, r);
	vc->s.fixed_challenge = NULL;
	return SW_OK;
}

static uint16_t
external_authenticate(struct vcard *vc, const struct apdu *a)
{
	unsigned char raw[SCP03_APDU_MAX];
	int r;

	if (a->cla != 0x84)
		return SW_SECURITY_STATUS; /* it must carry its C-MAC */
	if (a->lc != 16)
		return SW_WRONG_LENGTH;
	if ((!vc->s.scp && !vc->s.scp02) || vcard_channel_open(vc))
		return SW_CONDITIONS; /* not right after INITIALIZE UPDATE */
	if (a->p2 != 0x00)
		return SW_WRONG_P1P2;
	switch (a->p1) {
	case 0x00:
	case 0x01:
	case 0x03:
	case 0x11:
	case 0x13:
	case 0x31:
	case 0x33: break;
	default: vcard_channel_close(vc); return SW_WRONG_P1P2;
	}
	if (vc->s.scp02 && a->p1 != 0x00 && a->p1 != 0x01 && a->p1 != 0x03) {
		vcard_channel_close(vc); /* SCP02 without R-MAC: 00, 01, 03 */
		return SW_WRONG_P1P2;
	}
	r = vc->s.scp02 ? scp02_card_external_auth(vc->s.scp02, raw, raw_apdu(a, raw))
			: scp03_card_external_auth(vc->s.scp, raw, raw_apdu(a, raw));
	if (r == 0) {
		if (vc->chip.auth_failures) {
			vc->chip.auth_failures = 0;
			vc->dirty = 1;
		}
		return SW_OK;
	}
	vcard_channel_close(vc);
	if (r != CP_ERR_CRYPTO)
		return r == CP_ERR_FORMAT ? SW_WRONG_DATA : SW_CONDITIONS;
	vc->chip.auth_failures++;
	vc->dirty = 1;
	log_warn("vcard", "EXTERNAL AUTHENTICATE refused (%u consecutive failures)",
		 vc->chip.auth_failures);
	if (vc->chip.auth_failures >= VCARD_MAX_AUTH_FAILURES &&
	    vc->chip.card_lc < VCARD_LC_LOCKED) {
		vc->chip.card_lc = VCARD_LC_LOCKED;
		log_warn("vcard", "card locked after %u failed authentications",
			 vc->chip.auth_failures);
	}
	return SW_AUTH_FAILED;
}

/* The personalisation phase: channel open, card not yet SECURED, the target application
 * still SELECTABLE (not personalised, not locked). Otherwise 6985 (GPCS 11.5.2.3, 11.11). */
static uint16_t
perso_allowed(const struct vcard *vc, int app, int wrapped)
{
	if (!wrapped || !vcard_channel_open(vc))
		return SW_SECURITY_STATUS;
	if (vc->chip.card_lc >= VCARD_LC_SECURED)
		return SW_CONDITIONS;
	if (app >= 0 && vc->chip.apps[app].lc != VCARD_APP_SELECTABLE)
		return SW_CONDITIONS;
	return SW_OK;
}

static uint16_t
install(struct vcard *vc, const struct apdu *a, int wrapped, struct vcard_resp *out)
{
	const unsigned char *d = a->data;
	size_t l, i;
	int app;
	uint16_t sw;

	if (a->p1 != 0x20)
		return SW_WRONG_P1P2; /* only [for personalization]: nothing to load or install */
	if (a->p2 != 0x00)
		return SW_WRONG_P1P2;
	/* 00 (load file AID) 00 (module AID) L AID 00 (privileges) 00 (params) 00 (token) */
	if (a->lc < 3 || d[0] != 0 || d[1] != 0 || (l = d[2]) < 5 || l > 16 || 3 + l > a->lc)
		return SW_WRONG_DATA;
	for (i = 3 + l; i < a->lc; i++)
		if (d[i] != 0 || i >= 3 + l + 3)
			return SW_WRONG_DATA;
	if ((app = vcard_app_of(vc, d + 3, l)) < 0)
		return SW_DATA_NOT_FOUND;
	if (app == VCARD_APP_ISD)
		return SW_WRONG_DATA;
	if ((sw = perso_allowed(vc, app, wrapped)) != SW_OK)
		return sw;
	vc->s.perso_app = app;
	if (vc->stock.store_blocks == CHIP_BLOCKS_PER_SEQUENCE)
		vc->s.store_next = 0;
	vc->s.npending = 0;
	if (a->has_le) {
		out->data[0] = 0x00;
		out->len = 1;
	}
	return SW_OK;
}

/* Is this DGI encrypted under the DEK? P1 b7b6 = 11: all; 01: application-dependent,
 * which for the PBOC/transport data preparation (EMV CPS) means the 8xxx key DGIs. */
static int
dgi_encrypted(unsigned char p1, uint16_t tag)
{
	unsigned enc = (p1 >> 5) & 0x03;

	return enc == 0x03 || (enc == 0x01 && (tag & 0xF000) == 0x8000);
}

/* Consume the complete DGIs at the start of pending; keep an incomplete tail. */
static uint16_t
consume_dgis(struct vcard *vc, unsigned char p1, int app)
{
	unsigned char *p = vc->s.pending, plain[VCARD_MAX_RECORD + 16];
	size_t n = vc->s.npending, i = 0;

	while (n - i >= 3) {
		unsigned int dgi;
		size_t len, hdr = gp_dgi_header_parse(p + i, n - i, &dgi, &len);
		uint16_t tag = (uint16_t)dgi;
		int secret;
		uint16_t sw;

		if (hdr == 0)
			break; /* the header continues in the next block */
		if (len > VCARD_MAX_RECORD + 16)
			return SW_NOT_ENOUGH_MEMORY;
		if (n - i - hdr < len)
			break; /* continues in the next block */
		secret = dgi_encrypted(p1, tag);
		if (secret) {
			size_t block = vc->stock.scp == CHIP_SCP02 ? 8 : 16;
			if (len == 0 || len % block ||
			    vcard_channel_dek_decrypt(vc, p + i + hdr, len, plain) < 0) {
				cp_memzero(plain, sizeof plain);
				return SW_WRONG_DATA;
			}
		} else {
			memcpy(plain, p + i + hdr, len);
		}
		if (len > VCARD_MAX_RECORD) {
			cp_memzero(plain, sizeof plain);
			return SW_NOT_ENOUGH_MEMORY;
		}
		/* Key DGIs (8xxx, PINs) are never readable back, encrypted or not. */
		sw = vcard_fs_store_dgi(vc, app < 0 ? VCARD_APP_ISD : app, tag, plain, len,
					secret || (tag & 0xF000) == 0x8000);
		cp_memzero(plain, sizeof plain);
		if (sw != SW_OK)
			return sw;
		i += hdr + len;
	}
	memmove(p, p + i, n - i);
	vc->s.npending = n - i;
	return SW_OK;
}

static uint16_t
store_data(struct vcard *vc, const struct apdu *a, int wrapped)
{
	int app = vc->s.perso_app, last = (a->p1 & 0x80) != 0;
	unsigned structure = (a->p1 >> 3) & 0x03;
	uint16_t sw;

	if ((sw = perso_allowed(vc, app, wrapped)) != SW_OK)
		return sw;
	if (structure == 0x02 || structure == 0x03 || (a->p1 & 0x06))
		return SW_WRONG_P1P2; /* BER-TLV and reserved codings: only DGIs are accepted */
	/* A stock of "explicit" encryption knows no application-dependent indication. */
	if (vc->stock.store_enc == CHIP_STORE_ENC_EXPLICIT && ((a->p1 >> 5) & 0x03) == 0x01)
		return SW_WRONG_P1P2;
	if (a->p2 != vc->s.store_next) {
		/* per-sequence: a wrong block restarts the sequence; continuous: the count of
		 * the session stays where it is */
		if (vc->stock.store_blocks == CHIP_BLOCKS_PER_SEQUENCE)
			vc->s.store_next = 0;
		vc->s.npending = 0;
		return SW_WRONG_P1P2;
	}
	if (a->lc == 0)
		return SW_WRONG_LENGTH;
	if (vc->s.npending + a->lc > sizeof vc->s.pending) {
		vc->s.npending = 0;
		return SW_NOT_ENOUGH_MEMORY;
	}
	memcpy(vc->s.pending + vc->s.npending, a->data, a->lc);
	vc->s.npending += a->lc;
	vc->s.pending_p1 = a->p1;
	if ((sw = consume_dgis(vc, a->p1, app)) != SW_OK) {
		vc->s.npending = 0;
		if (vc->stock.store_blocks == CHIP_BLOCKS_PER_SEQUENCE)
			vc->s.store_next = 0;
		return sw;
	}
	vc->s.store_next = (vc->s.store_next + 1) & 0xFF;
	if (!last)
		return SW_OK;
	if (vc->stock.store_blocks == CHIP_BLOCKS_PER_SEQUENCE)
		vc->s.store_next = 0;
	if (vc->s.npending) {
		vc->s.npending = 0;
		return SW_WRONG_DATA; /* the last block ends inside a DGI */
	}
	/* The last block ends the sequence; the application stays SELECTABLE until SET STATUS
	 * moves it to its personalised state. */
	vc->s.perso_app = -1;
	return SW_OK;
}

static uint16_t
put_key(struct vcard *vc, const struct apdu *a, int wrapped, struct vcard_resp *out)
{
	unsigned char keys[3][32], kcv[3][3];
	const unsigned char *d = a->data;
	size_t i = 1, klen = 0;
	uint16_t sw = SW_OK;
	int k;

	if (vc->stock.scp != CHIP_SCP03)
		return SW_FUNC_NOT_SUPPORTED; /* AES key sets only */
	if (!wrapped || !vcard_channel_open(vc) ||
	    !(scp03_card_security_level(vc->s.scp) & SCP03_C_MAC))
		return SW_SECURITY_STATUS;
	if (vc->chip.card_lc >= VCARD_LC_LOCKED)
		return SW_CONDITIONS;
	if ((a->p1 & 0x7F) != 0 && (a->p1 & 0x7F) != vc->chip.keys.kvn)
		return SW_DATA_NOT_FOUND;
	if ((a->p2 & 0x7F) != 0x01 || (a->p1 & 0x80))
		return SW_WRONG_P1P2; /* one command with the whole ENC/MAC/DEK set, from id 1 */
	if (a->lc < 1 || d[0] == 0 || d[0] > 0x7F)
		return SW_WRONG_DATA;
	for (k = 0; k < 3 && sw == SW_OK; k++) {
		size_t blen, elen, clen;
		unsigned char plain[48], chk[3];

		/* 88 (AES) blocklen clearlen ciphertext 03 KCV (AMD-D Table 7-10) */
		if (i + 3 > a->lc || d[i] != 0x88) {
			sw = SW_WRONG_DATA;
			break;
		}
		blen = d[i + 1];
		clen = d[i + 2];
		elen = blen - 1;
		if (blen < 17 || i + 2 + blen + 4 > a->lc || elen % 16 || elen > sizeof plain ||
		    (clen != 16 && clen != 24 && clen != 32) || clen > elen ||
		    (klen && clen != klen) || d[i + 2 + blen] != 0x03) {
			sw = SW_WRONG_DATA;
			break;
		}
		klen = clen;
		if (scp03_card_dek_decrypt(vc->s.scp, d + i + 3, elen, plain) < 0) {
			sw = SW_WRONG_DATA;
			break;
		}
		memcpy(keys[k], plain, clen);
		cp_memzero(plain, sizeof plain);
		if (cp_kcv(CP_ALG_AES, keys[k], clen, chk) < 0 ||
		    memcmp(chk, d + i + 3 + blen, 3) != 0)
			sw = SW_WRONG_DATA; /* the KCV does not match: garbled or wrong DEK */
		memcpy(kcv[k], chk, 3);
		i += 2 + blen + 4;
	}
	if (sw == SW_OK && i != a->lc)
		sw = SW_WRONG_DATA;
	if (sw == SW_OK) {
		memcpy(vc->chip.keys.enc, keys[0], klen);
		memcpy(vc->chip.keys.mac, keys[1], klen);
		memcpy(vc->chip.keys.dek, keys[2], klen);
		vc->chip.keys.key_len = klen;
		vc->chip.keys.kvn = d[0];
		vc->chip.keys_replaced = 1;
		vc->dirty = 1;
		out->data[0] = d[0];
		memcpy(out->data + 1, kcv, sizeof kcv);
		out->len = 1 + sizeof kcv;
		log_info("vcard", "PUT KEY: key set version %02X loaded", d[0]);
	}
	cp_memzero(keys, sizeof keys);
	return sw;
}

static uint16_t
isd_get_data(struct vcard *vc, const struct apdu *a, struct vcard_resp *out)
{
	unsigned tag = (unsigned)(a->p1 << 8 | a->p2);
	unsigned char *o = out->data;

	if (tag == 0x00CF) { /* key diversification data */
		o[0] = 0xCF;
		o[1] = VCARD_KDD_LEN;
		memcpy(o + 2, vc->chip.kdd, VCARD_KDD_LEN);
		out->len = 2 + VCARD_KDD_LEN;
		return SW_OK;
	}
	if (tag == 0x00E0) { /* key information template: ENC, MAC, DEK of the key set */
		size_t n = 0;
		o[n++] = 0xE0;
		o[n++] = 18;
		for (int id = 1; id <= 3; id++) {
			o[n++] = 0xC0;
			o[n++] = 4;
			o[n++] = (unsigned char)id;
			o[n++] = vc->chip.keys.kvn;
			o[n++] = vc->stock.scp == CHIP_SCP02 ? 0x80 : 0x88; /* DES / AES */
			o[n++] = (unsigned char)vc->chip.keys.key_len;
		}
		out->len = n;
		return SW_OK;
	}
	if (tag == 0x9F7F) { /* CPLC (GPCS H.6): 42 bytes, the IC serial in bytes 12..15 */
		memset(o, 0, 45);
		o[0] = 0x9F;
		o[1] = 0x7F;
		o[2] = 42;
		o[3 + 0] = 0x11; /* IC fabricator, IC type: a made-up test chip */
		o[3 + 2] = 0xCA;
		o[3 + 3] = 0x4D;
		memcpy(o + 3 + 12, vc->chip.serial + 4, 4); /* IC serial number */
		memcpy(o + 3 + 16, vc->chip.serial, 2);	    /* IC batch identifier */
		out->len = 45;
		return SW_OK;
	}
	return SW_DATA_NOT_FOUND;
}

uint16_t
vcard_isd_command(struct vcard *vc, const struct apdu *a, int wrapped, struct vcard_resp *out)
{
	switch (a->ins) {
	case 0x50: return initialize_update(vc, a, out);
	case 0x82: return external_authenticate(vc, a);
	case 0xE6: return install(vc, a, wrapped, out);
	case 0xE2: return store_data(vc, a, wrapped);
	case 0xD8: return put_key(vc, a, wrapped, out);
	case 0xF0: return vcard_set_status(vc, a, wrapped);
	case 0xF2: return vcard_get_status(vc, a, wrapped, out);
	case 0xCA: return isd_get_data(vc, a, out);
	}
	return SW_INS_NOT_SUPPORTED;
}
