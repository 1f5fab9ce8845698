/*
 * vcard_dispatch.c - the virtual card's operating system: a blank chip's identity and
 * keys as its stock says, the ATR, the secure channel of the stock (SCP03 or SCP02), and
 * the dispatch of one command APDU (class checks, secure messaging unwrap and response
 * wrap, routing to the ISD or the applications).
 *
 * The secure channel belongs to the card session (basic logical channel): it survives
 * SELECTs of the applications, so that a perso script can SELECT SSSE and UPDATE RECORD
 * under the ISD's C-MAC. Commands with the secure-messaging class bit are unwrapped by
 * the channel (a MAC that does not verify closes it: 6982); plain commands may read but
 * never write.
 */
#include "emulator/card/vcard.h"

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/crypto/derive.h"
#include "formats/apdu.h"

#include <stdio.h>
#include <string.h>

void
vcard_default_stock(struct chip_profile *out)
{
	chip_profile_default(out);
}

/* The static keys of a stock from the KMC and the KDD; CP_ERR_INVALID when the KMC does not
 * suit the stock's diversification (e.g. a 32-byte AES KMC for emv). */
static int
vcard_derive_stock_keys(const struct chip_profile *stock, const unsigned char *kmc, size_t kmc_len,
			const unsigned char kdd[VCARD_KDD_LEN], struct scp03_keys *out)
{
	size_t key_len = 0;
	int r;

	memset(out, 0, sizeof *out);
	out->kvn = stock->kvn;
	if ((r = chip_profile_static_keys(stock, kmc, kmc_len, kdd, out->enc, out->mac, out->dek,
					  &key_len)) < 0)
		return cp_err_wrap(r, "virtual card keys: ");
	out->key_len = key_len;
	return 0;
}

int
vcard_derive_keys(const unsigned char *kmc, size_t kmc_len, const unsigned char kdd[VCARD_KDD_LEN],
		  struct scp03_keys *out)
{
	struct chip_profile def;

	vcard_default_stock(&def);
	return vcard_derive_stock_keys(&def, kmc, kmc_len, kdd, out);
}

int
vcard_init_blank_stock(struct vcard *vc, const struct chip_profile *stock,
		       const unsigned char serial[VCARD_SERIAL_LEN], const unsigned char *kmc,
		       size_t kmc_len)
{
	/* 110000 = Beijing, D156000005 = the MOHRSS RID (docs/domain-facts.md §1.3). */
	static const unsigned char prefix[8] = {0x11, 0x00, 0x00, 0xD1, 0x56, 0x00, 0x00, 0x05};
	struct vcard_chip *c = &vc->chip;
	int r;

	memset(vc, 0, sizeof *vc);
	/* the chip emulates the SSSE, PBOC and transport applications: a stock may carry
	 * some of them, nothing else */
	for (size_t i = 0; i < stock->napps; i++)
		if (vcard_app_by_aid(stock->apps[i].aid, stock->apps[i].aid_len) <= VCARD_APP_ISD)
			return cp_err(CP_ERR_UNSUPPORTED,
				      "stock %s: application '%s' is not one the virtual card "
				      "emulates (SSSE, PBOC, transport)",
				      stock->name, stock->apps[i].name);
	vc->stock = *stock;
	vc->stock.path = NULL;
	vc->s.app = -1;
	vc->s.perso_app = -1;
	memcpy(c->serial, serial, VCARD_SERIAL_LEN);
	memcpy(c->card_id, prefix, sizeof prefix);
	memcpy(c->card_id + 8, serial, VCARD_SERIAL_LEN);
	memcpy(c->kdd, c->card_id + VCARD_ID_LEN - VCARD_KDD_LEN, VCARD_KDD_LEN);
	if ((r = vcard_derive_stock_keys(stock, kmc, kmc_len, c->kdd, &c->keys)) < 0)
		return r;
	c->card_lc = VCARD_LC_OP_READY;
	c->emv.pin_tries = -1; /* DGI 9010 gives it */
	for (int i = 0; i < VCARD_NAPPS; i++)
		c->apps[i].lc = VCARD_APP_SELECTABLE;
	/* EF05 record 1: tag 01, 16 bytes, written at chip initialisation. */
	c->ef05[0].data[0] = 0x01;
	c->ef05[0].data[1] = VCARD_ID_LEN;
	memcpy(c->ef05[0].data + 2, c->card_id, VCARD_ID_LEN);
	c->ef05[0].len = 2 + VCARD_ID_LEN;
	vc->dirty = 1;
	return 0;
}

int
vcard_init_blank(struct vcard *vc, const unsigned char serial[VCARD_SERIAL_LEN],
		 const unsigned char *kmc, size_t kmc_len)
{
	struct chip_profile def;

	vcard_default_stock(&def);
	return vcard_init_blank_stock(vc, &def, serial, kmc, kmc_len);
}

int
vcard_channel_open(const struct vcard *vc)
{
	if (vc->stock.scp == CHIP_SCP02)
		return scp02_card_is_open(vc->s.scp02);
	return vc->s.scp && scp03_card_is_open(vc->s.scp);
}

unsigned char
vcard_channel_level(const struct vcard *vc)
{
	if (!vcard_channel_open(vc))
		return 0;
	return vc->stock.scp == CHIP_SCP02 ? scp02_card_security_level(vc->s.scp02)
					   : scp03_card_security_level(vc->s.scp);
}

void
vcard_channel_close(struct vcard *vc)
{
	scp03_card_free(vc->s.scp);
	vc->s.scp = NULL;
	scp02_card_free(vc->s.scp02);
	vc->s.scp02 = NULL;
}

int
vcard_channel_dek_decrypt(struct vcard *vc, const unsigned char *in, size_t len, unsigned char *out)
{
	if (vc->s.scp02)
		return scp02_card_dek_decrypt(vc->s.scp02, in, len, out);
	if (vc->s.scp)
		return scp03_card_dek_decrypt(vc->s.scp, in, len, out);
	return cp_err(CP_ERR_PROTOCOL, "no secure channel session");
}

void
vcard_reset(struct vcard *vc)
{
	vcard_channel_close(vc);
	memset(&vc->s, 0, sizeof vc->s);
	vc->s.app = -1;
	vc->s.perso_app = -1;
}

void
vcard_release(struct vcard *vc)
{
	vcard_reset(vc);
	cp_memzero(&vc->chip.keys, sizeof vc->chip.keys);
	for (int i = 0; i < VCARD_NAPPS; i++)
		cp_memzero(vc->chip.apps[i].dgis, sizeof vc->chip.apps[i].dgis);
}

size_t
vcard_atr(const struct vcard *vc, unsigned char *atr, size_t size)
{
	if (size < vc->stock.atr_len)
		return 0;
	memcpy(atr, vc->stock.atr, vc->stock.atr_len);
	return vc->stock.atr_len;
}

static size_t
put_sw(unsigned char *resp, size_t n, uint16_t sw)
{
	resp[n] = (unsigned char)(sw >> 8);
	resp[n + 1] = (unsigned char)sw;
	return n + 2;
}

/* Route a parsed (plain) command. */
static uint16_t
route(struct vcard *vc, const struct apdu *a, int wrapped, struct vcard_resp *out)
{
	if (a->ins == 0xA4 || a->ins == 0xB2 || a->ins == 0xDC)
		return (a->cla & 0x80) ? SW_INS_NOT_SUPPORTED
				       : vcard_fs_command(vc, a, wrapped, out);
	if (vc->s.app == VCARD_APP_ISD && ((a->cla & 0x80) || a->ins == 0xCA))
		return vcard_isd_command(vc, a, wrapped, out);
	if ((a->cla & 0x80) && (a->ins == 0x50 || a->ins == 0xE6 || a->ins == 0xE2 ||
				a->ins == 0xD8 || a->ins == 0xF0 || a->ins == 0xF2))
		return SW_CONDITIONS; /* GP commands go to the selected ISD */
	return vcard_fs_command(vc, a, wrapped, out);
}

size_t
vcard_apdu(struct vcard *vc, const unsigned char *cmd, size_t len, unsigned char *resp,
	   size_t resp_size)
{
	unsigned char plain[SCP03_APDU_MAX];
	struct vcard_resp out = {.len = 0};
	struct apdu a;
	uint16_t sw;
	size_t n = 0;
	int wrapped = 0;

	if (resp_size < SCP03_RESP_MAX)
		return 0;
	if (vc->fault_sw)
		return put_sw(resp, 0, vc->fault_sw);
	if (apdu_parse(cmd, len, &a, &sw) < 0)
		return put_sw(resp, 0, sw);
	/* Interindustry 0x (7816-4 first class) and proprietary 8x only; channel 0 only. */
	if ((a.cla & 0x70) != 0)
		return put_sw(resp, 0, SW_CLA_NOT_SUPPORTED);
	if (a.cla & 0x03)
		return put_sw(resp, 0, SW_LOGICAL_CHANNEL);
	if ((a.cla & 0x04) && !(a.ins == 0x82 && (a.cla & 0x80))) {
		/* Secure messaging: only through the open channel. */
		int r;
		if (!vcard_channel_open(vc))
			return put_sw(resp, 0, SW_SECURITY_STATUS);
		r = vc->stock.scp == CHIP_SCP02
			    ? scp02_card_unwrap(vc->s.scp02, cmd, len, plain, sizeof plain, &n)
			    : scp03_card_unwrap(vc->s.scp, cmd, len, plain, sizeof plain, &n);
		if (r < 0) {
			log_warn("vcard", "secure messaging refused: %s", cp_errmsg());
			if (vc->s.scp02)
				scp02_card_close(vc->s.scp02);
			if (vc->s.scp)
				scp03_card_close(vc->s.scp);
			return put_sw(resp, 0, SW_SECURITY_STATUS);
		}
		if (apdu_parse(plain, n, &a, &sw) < 0)
			return put_sw(resp, 0, sw);
		wrapped = 1;
	}
	sw = route(vc, &a, wrapped, &out);
	/* SCP03 wraps the response (R-MAC, R-ENC as the level says); SCP02 answers plain. */
	if (wrapped && vc->stock.scp == CHIP_SCP03 && vc->s.scp && scp03_card_is_open(vc->s.scp)) {
		if (scp03_card_wrap_response(vc->s.scp, out.data,
					     sw == SW_OK || sw == SW_MORE_DATA ? out.len : 0, sw,
					     resp, resp_size, &n) == 0) {
			cp_memzero(plain, sizeof plain);
			cp_memzero(&out, sizeof out);
			return n;
		}
		log_error("vcard", "response wrap: %s", cp_errmsg());
		sw = SW_NO_DIAGNOSIS;
		out.len = 0;
	}
	cp_memzero(plain, sizeof plain);
	n = 0;
	if (sw == SW_OK || (sw & 0xFF00) == 0x6200 || (sw & 0xFF00) == 0x6300) {
		memcpy(resp, out.data, out.len);
		n = out.len;
	}
	cp_memzero(&out, sizeof out);
	return put_sw(resp, n, sw);
}
