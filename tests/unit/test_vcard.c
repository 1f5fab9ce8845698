/*
 * test_vcard.c - the virtual card's chip: the SCP03 card side run through the card with the
 * published TV-03-A sequences (docs/crypto-reference.md §1.7), the ISD state machine (channel,
 * failed-authentication counter, life cycle, INSTALL, STORE DATA, PUT KEY, SET STATUS), the
 * file system (SELECT, READ/UPDATE RECORD, GET DATA) and the chip state file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/chip/chip_profile.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/derive.h"
#include "personalization/crypto/scp02.h"
#include "personalization/crypto/gp.h"
#include "personalization/crypto/scp03.h"
#include "formats/apdu.h"
#include "emulator/pcscd_line.h"
#include "emulator/card/vcard.h"
#include "emulator/card/vcard_store.h"
#include "vectors_scp03.h"
#include "gp_keys.h"
#include "hex_fixture.h"
#include "vcard_store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned char kmc[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				      0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
static const unsigned char serial[8] = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0};

/* Send a command (hex) to the card; the SW, and the response data into out. */
static uint16_t
send_raw(struct vcard *vc, const unsigned char *cmd, size_t len, unsigned char *out, size_t *olen)
{
	unsigned char resp[SCP03_RESP_MAX + 16];
	size_t n = vcard_apdu(vc, cmd, len, resp, sizeof resp);

	assert_true(n >= 2);
	if (out)
		memcpy(out, resp, n - 2);
	if (olen)
		*olen = n - 2;
	return apdu_resp_sw(resp, n);
}

static uint16_t
send_hex(struct vcard *vc, const char *hex, unsigned char *out, size_t *olen)
{
	unsigned char cmd[300];
	size_t n = hx(hex, cmd);

	return send_raw(vc, cmd, n, out, olen);
}

/* ---------------- TV-03-A through the card ---------------- */

/* A card holding the vector's static keys, KDD 00*10, and its challenge and counter. */
static void
tv_card(struct vcard *vc, const struct tv03a *t, unsigned char *challenge)
{
	unsigned char rsp[64];
	size_t n = hx(t->init_rsp, rsp);

	assert_int_equal(vcard_init_blank(vc, serial, kmc, sizeof kmc), 0);
	for (size_t i = 0; i < t->key_len; i++) {
		vc->chip.keys.enc[i] = (unsigned char)(i % 16);
		vc->chip.keys.mac[i] = (unsigned char)(0x10 + i % 16);
		vc->chip.keys.dek[i] = (unsigned char)(0x20 + i % 16);
	}
	vc->chip.keys.key_len = t->key_len;
	vc->chip.keys.kvn = rsp[10];
	memset(vc->chip.kdd, 0, sizeof vc->chip.kdd);
	vc->chip.seq = (uint32_t)(rsp[n - 3] << 16 | rsp[n - 2] << 8 | rsp[n - 1]);
	memcpy(challenge, rsp + 13, 8);
	vc->s.fixed_challenge = challenge;
}

static void
open_tv(struct vcard *vc, const struct tv03a *t, unsigned char *challenge)
{
	unsigned char out[300], want[64];
	size_t n, wn;

	tv_card(vc, t, challenge);
	assert_int_equal(send_hex(vc, "00A4040000", NULL, NULL), SW_OK);
	/* The card's answer is exactly the published response: cryptogram, counter. */
	assert_int_equal(send_hex(vc, t->init_cmd, out, &n), SW_OK);
	wn = hx(t->init_rsp, want);
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);
	assert_int_equal(send_hex(vc, t->ext_auth, NULL, NULL), SW_OK);
	assert_true(scp03_card_is_open(vc->s.scp));
}

/* The card side accepts exactly the published wrapped commands and gives the plain ones,
 * and wraps the published GET EID response. */
static void
test_tv03a_secure_messaging(void **state)
{
	(void)state;
	for (size_t v = 0; v < ARRAY_SIZE(tv03a_vectors); v++) {
		const struct tv03a *t = &tv03a_vectors[v];
		const char *wrapped[5] = {t->get_eid, t->c[0], t->c[1], t->c[2], t->c[3]};
		const char *plain[5] = {tv03a_get_eid_plain, tv03a_plain[0], tv03a_plain[1],
					tv03a_plain[2], tv03a_plain[3]};
		unsigned char challenge[8], cmd[300], out[300], want[300];
		struct vcard vc;
		size_t n, on, wn;

		open_tv(&vc, t, challenge);
		for (int i = 0; i < 5; i++) {
			n = hx(wrapped[i], cmd);
			assert_int_equal(scp03_card_unwrap(vc.s.scp, cmd, n, out, sizeof out, &on),
					 0);
			wn = hx(plain[i], want);
			assert_int_equal(on, wn);
			assert_memory_equal(out, want, wn);
			if (i == 0) {
				unsigned char data[64], rsp[300];
				size_t dn = hx(tv03a_eid_rsp_plain, data), rn;
				assert_int_equal(scp03_card_wrap_response(vc.s.scp, data, dn, SW_OK,
									  rsp, sizeof rsp, &rn),
						 0);
				wn = hx(t->get_eid_rsp, want);
				assert_int_equal(rn, wn + 2);
				assert_memory_equal(rsp, want, wn);
				assert_int_equal(apdu_resp_sw(rsp, rn), SW_OK);
			}
		}
		vcard_release(&vc);
	}
}

/* The same wrapped commands through the card's dispatcher: every MAC is accepted (no
 * 6982) and the channel stays open; one changed MAC byte closes it. */
static void
test_tv03a_through_dispatcher(void **state)
{
	(void)state;
	for (size_t v = 0; v < ARRAY_SIZE(tv03a_vectors); v++) {
		const struct tv03a *t = &tv03a_vectors[v];
		const char *wrapped[5] = {t->get_eid, t->c[0], t->c[1], t->c[2], t->c[3]};
		unsigned char challenge[8], cmd[300];
		struct vcard vc;
		size_t n;

		open_tv(&vc, t, challenge);
		for (int i = 0; i < 5; i++) {
			uint16_t sw = send_hex(&vc, wrapped[i], NULL, NULL);
			assert_int_not_equal(sw, SW_SECURITY_STATUS);
			assert_true(scp03_card_is_open(vc.s.scp));
		}
		vcard_release(&vc);

		open_tv(&vc, t, challenge);
		n = hx(t->c[0], cmd);
		cmd[n - 1] ^= 0x01;
		assert_int_equal(send_raw(&vc, cmd, n, NULL, NULL), SW_SECURITY_STATUS);
		assert_false(scp03_card_is_open(vc.s.scp));
		assert_int_equal(send_hex(&vc, t->c[1], NULL, NULL), SW_SECURITY_STATUS);
		vcard_release(&vc);
	}
}

/* ---------------- a host to talk to the card ---------------- */

struct host {
	struct scp03_host *h;
	struct scp03_keys keys;
};

static uint16_t
open_channel(struct vcard *vc, struct host *ho, unsigned char sl)
{
	unsigned char hc[8] = {1, 2, 3, 4, 5, 6, 7, 8}, cmd[64], out[64];
	size_t n, cl;
	uint16_t sw;

	assert_int_equal(vcard_derive_keys(kmc, sizeof kmc, vc->chip.kdd, &ho->keys), 0);
	assert_int_equal(send_hex(vc, "00A4040008A000000151000000", NULL, NULL), SW_OK);
	scp03_init_update_apdu(0, hc, cmd);
	if ((sw = send_raw(vc, cmd, 14, out, &n)) != SW_OK)
		return sw;
	assert_int_equal(scp03_host_new(&ho->keys, &ho->h), 0);
	assert_int_equal(scp03_host_begin(ho->h, hc, out, n), 0);
	assert_int_equal(scp03_host_external_auth(ho->h, sl, cmd, &cl), 0);
	return send_raw(vc, cmd, cl, NULL, NULL);
}

/* Wrap, send, unwrap. */
static uint16_t
wsend(struct vcard *vc, struct host *ho, const char *hex, unsigned char *out, size_t *olen)
{
	unsigned char cmd[300], w[300], resp[300], plainr[300];
	size_t n = hx(hex, cmd), wn, rn, pn;

	assert_int_equal(scp03_host_wrap(ho->h, cmd, n, w, sizeof w, &wn), 0);
	rn = vcard_apdu(vc, w, wn, resp, sizeof resp);
	assert_int_equal(scp03_host_unwrap(ho->h, resp, rn, plainr, sizeof plainr, &pn), 0);
	if (out)
		memcpy(out, plainr, pn - 2);
	if (olen)
		*olen = pn - 2;
	return apdu_resp_sw(plainr, pn);
}

static void
host_free(struct host *ho)
{
	scp03_host_free(ho->h);
	ho->h = NULL;
}

static void
new_card(struct vcard *vc)
{
	assert_int_equal(vcard_init_blank(vc, serial, kmc, sizeof kmc), 0);
}

static void
test_auth_failures_lock(void **state)
{
	unsigned char hc[8] = {9, 9, 9, 9, 9, 9, 9, 9}, cmd[64], out[64];
	struct scp03_keys keys;
	struct scp03_host *h;
	struct vcard vc;
	size_t n, cl;

	(void)state;
	new_card(&vc);
	assert_int_equal(vcard_derive_keys(kmc, sizeof kmc, vc.chip.kdd, &keys), 0);
	assert_int_equal(vc.chip.keys.key_len, 16);
	assert_memory_equal(vc.chip.keys.enc, keys.enc, 16);
	assert_int_equal(send_hex(&vc, "00A4040000", NULL, NULL), SW_OK);
	/* EXTERNAL AUTHENTICATE without INITIALIZE UPDATE. */
	assert_int_equal(send_hex(&vc, "848203001000000000000000000000000000000000", NULL, NULL),
			 SW_CONDITIONS);
	/* An unknown key version. */
	assert_int_equal(send_hex(&vc, "8050310008010203040506070800", NULL, NULL),
			 SW_DATA_NOT_FOUND);
	for (unsigned i = 1; i <= VCARD_MAX_AUTH_FAILURES; i++) {
		scp03_init_update_apdu(0, hc, cmd);
		assert_int_equal(send_raw(&vc, cmd, 14, out, &n), SW_OK);
		assert_int_equal(n, 32); /* pseudo-random challenge: the counter is included */
		assert_int_equal(scp03_host_new(&keys, &h), 0);
		assert_int_equal(scp03_host_begin(h, hc, out, n), 0);
		assert_int_equal(scp03_host_external_auth(h, 0x03, cmd, &cl), 0);
		cmd[6] ^= 0xFF; /* a wrong host cryptogram */
		assert_int_equal(send_raw(&vc, cmd, cl, NULL, NULL), SW_AUTH_FAILED);
		assert_int_equal(vc.chip.auth_failures, i);
		scp03_host_free(h);
	}
	assert_int_equal(vc.chip.card_lc, VCARD_LC_LOCKED);
	scp03_init_update_apdu(0, hc, cmd);
	assert_int_equal(send_raw(&vc, cmd, 14, NULL, NULL), SW_AUTH_BLOCKED);
	vcard_release(&vc);

	/* A success resets the counter. */
	struct host ho = {0};
	new_card(&vc);
	vc.chip.auth_failures = 3;
	assert_int_equal(open_channel(&vc, &ho, 0x03), SW_OK);
	assert_int_equal(vc.chip.auth_failures, 0);
	host_free(&ho);
	vcard_release(&vc);
}

static void
test_writes_need_channel(void **state)
{
	struct vcard vc;

	(void)state;
	new_card(&vc);
	assert_int_equal(send_hex(&vc, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF", NULL, NULL),
			 SW_OK);
	assert_int_equal(send_hex(&vc, "00A4020C02EF05", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "00DC02040302013300", NULL, NULL), SW_SECURITY_STATUS);
	assert_int_equal(send_hex(&vc, "00DC020403020133", NULL, NULL), SW_SECURITY_STATUS);
	assert_int_equal(send_hex(&vc, "00A4040000", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "80E620000E000008A000000333010101000000", NULL, NULL),
			 SW_SECURITY_STATUS);
	assert_int_equal(send_hex(&vc, "80E2880005010102AABB", NULL, NULL), SW_SECURITY_STATUS);
	assert_int_equal(send_hex(&vc, "80F0800F", NULL, NULL), SW_SECURITY_STATUS);
	/* Secure messaging with no channel. */
	assert_int_equal(send_hex(&vc, "84F2200208C9811B11F1264CF1", NULL, NULL),
			 SW_SECURITY_STATUS);
	/* GP commands to an application that is not the ISD. */
	assert_int_equal(send_hex(&vc, "00A4040008A000000333010101", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "8050000008010203040506070800", NULL, NULL), SW_CONDITIONS);
	vcard_release(&vc);
}

/* GET STATUS of the ISD and the applications (GPCS 11.4): E3 templates with 4F, 9F70, C5
 * (and CC for applications), the legacy format, a qualifier, nothing found. */
static void
test_get_status(void **state)
{
	unsigned char out[300];
	struct host ho = {0};
	struct vcard vc;
	size_t n;

	(void)state;
	new_card(&vc);
	/* Only through the ISD's channel. */
	assert_int_equal(send_hex(&vc, "00A4040000", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "80F28002024F0000", NULL, NULL), SW_SECURITY_STATUS);
	assert_int_equal(open_channel(&vc, &ho, 0x01), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F28002024F0000", out, &n), SW_OK);
	assert_int_equal(n, 2 + 10 + 4 + 5);
	assert_memory_equal(out,
			    "\xE3\x13\x4F\x08\xA0\x00\x00\x01\x51\x00\x00\x00\x9F\x70\x01\x01"
			    "\xC5\x03\x9E\xFE\x80",
			    n);
	/* Legacy format: length, AID, life cycle, privileges. */
	assert_int_equal(wsend(&vc, &ho, "80F28000024F0000", out, &n), SW_OK);
	assert_int_equal(n, 11);
	assert_int_equal(out[0], 8);
	assert_int_equal(out[9], VCARD_LC_OP_READY);
	assert_int_equal(out[10], 0x9E);
	/* All applications, then one by AID prefix. */
	assert_int_equal(wsend(&vc, &ho, "80F24002024F0000", out, &n), SW_OK);
	/* SSSE, PBOC, transport and the PSE 1PAY.SYS.DDF01 */
	assert_int_equal(n,
			 (2 + 17 + 4 + 5 + 10) + 2 * (2 + 10 + 4 + 5 + 10) + (2 + 16 + 4 + 5 + 10));
	assert_int_equal(out[0], 0xE3);
	assert_memory_equal(out + 2, "\x4F\x0F\x73\x78\x31", 5);
	assert_memory_equal(out + 19, "\x9F\x70\x01\x07", 4);
	assert_int_equal(wsend(&vc, &ho, "80F24002074F05A00000063200", out, &n), SW_OK);
	assert_int_equal(n, 2 + 10 + 4 + 5 + 10);
	assert_memory_equal(out + 4, "\xA0\x00\x00\x06\x32\x01\x01\x05", 8);
	assert_int_equal(wsend(&vc, &ho, "80F24002074F05A00000099900", NULL, NULL),
			 SW_DATA_NOT_FOUND);
	/* Executable load files: none registered. Bad P1, P2, data. */
	assert_int_equal(wsend(&vc, &ho, "80F22002024F0000", NULL, NULL), SW_DATA_NOT_FOUND);
	assert_int_equal(wsend(&vc, &ho, "80F21002024F0000", NULL, NULL), SW_DATA_NOT_FOUND);
	assert_int_equal(wsend(&vc, &ho, "80F20802024F0000", NULL, NULL), SW_WRONG_P1P2);
	assert_int_equal(wsend(&vc, &ho, "80F24006024F0000", NULL, NULL), SW_WRONG_P1P2);
	assert_int_equal(wsend(&vc, &ho, "80F2400202010200", NULL, NULL), SW_WRONG_DATA);
	assert_int_equal(wsend(&vc, &ho, "80F2400200", NULL, NULL), SW_WRONG_DATA);
	/* A tag list or other criteria after the qualifier are ignored; they must be TLVs. */
	assert_int_equal(wsend(&vc, &ho, "80F24002074F005C034F9F7000", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F24002094F009F70010F5C014F00", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F24002054F005C0500", NULL, NULL), SW_WRONG_DATA);
	/* "Next occurrence" without a 6310 before. */
	assert_int_equal(wsend(&vc, &ho, "80F24003024F0000", NULL, NULL), SW_CONDITIONS);
	/* Pages of one entry: 6310 (more data), then "next occurrence" until 9000; the ISD
	 * has no next occurrence. */
	vc.s.status_page = 40;
	assert_int_equal(wsend(&vc, &ho, "80F24002024F0000", out, &n), SW_MORE_DATA);
	assert_int_equal(n, 2 + 17 + 4 + 5 + 10);
	assert_memory_equal(out + 4, vcard_aid_ssse, sizeof vcard_aid_ssse);
	assert_int_equal(wsend(&vc, &ho, "80F28003024F0000", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F24003024F0000", out, &n), SW_MORE_DATA);
	assert_memory_equal(out + 4, vcard_aid_pboc, sizeof vcard_aid_pboc);
	assert_int_equal(wsend(&vc, &ho, "80F24003024F0000", out, &n), SW_MORE_DATA);
	assert_memory_equal(out + 4, vcard_aid_transport, sizeof vcard_aid_transport);
	assert_int_equal(wsend(&vc, &ho, "80F24003024F0000", out, &n), SW_OK);
	assert_memory_equal(out + 4, vcard_aid_pse, sizeof vcard_aid_pse);
	assert_int_equal(wsend(&vc, &ho, "80F24003024F0000", NULL, NULL), SW_CONDITIONS);
	/* A page smaller than one entry is refused (not 6A88 for the ISD, entry 0, nor an
	 * endless chain of empty 6310 pages) */
	vc.s.status_page = 20;
	assert_int_equal(wsend(&vc, &ho, "80F28002024F0000", NULL, NULL), SW_WRONG_LENGTH);
	assert_int_equal(wsend(&vc, &ho, "80F24002024F0000", NULL, NULL), SW_WRONG_LENGTH);
	assert_int_equal(wsend(&vc, &ho, "80F24003024F0000", NULL, NULL), SW_CONDITIONS);
	vc.s.status_page = 0;
	host_free(&ho);
	vcard_release(&vc);
}

/* SET STATUS (GPCS 11.10): forward only, the refusals GP prescribes; personalisation ends. */
static void
test_set_status(void **state)
{
	unsigned char out[300];
	struct host ho = {0};
	struct vcard vc;
	size_t n;

	(void)state;
	new_card(&vc);
	assert_int_equal(open_channel(&vc, &ho, 0x01), SW_OK);
	/* Applications: SELECTABLE to personalised, never back, never a non-state. */
	assert_int_equal(wsend(&vc, &ho, "80F0400F", NULL, NULL), SW_WRONG_DATA);
	assert_int_equal(wsend(&vc, &ho, "80F0400F08A000000999010101", NULL, NULL),
			 SW_DATA_NOT_FOUND);
	assert_int_equal(wsend(&vc, &ho, "80F0400F08A000000151000000", NULL, NULL),
			 SW_DATA_NOT_FOUND);
	assert_int_equal(wsend(&vc, &ho, "80F0400B08A000000333010101", NULL, NULL), SW_WRONG_DATA);
	assert_int_equal(wsend(&vc, &ho, "80F0400308A000000333010101", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F0400708A000000333010101", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F0400F08A000000333010101", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F0400F08A000000333010101", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F0400708A000000333010101", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F0401F08A000000333010101", NULL, NULL), SW_OK);
	/* A personalised application refuses INSTALL [for personalization]. */
	assert_int_equal(wsend(&vc, &ho, "80E620000E000008A000000333010101000000", NULL, NULL),
			 SW_CONDITIONS);
	/* No supplementary security domains; unknown P1. */
	assert_int_equal(wsend(&vc, &ho, "80F0608008A000000151000000", NULL, NULL),
			 SW_DATA_NOT_FOUND);
	assert_int_equal(wsend(&vc, &ho, "80F0200F", NULL, NULL), SW_WRONG_P1P2);
	/* The card: not straight to CARD_LOCKED, then OP_READY -> INITIALIZED -> SECURED. */
	assert_int_equal(wsend(&vc, &ho, "80F0807F", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F0800108A000000151000000", NULL, NULL), SW_WRONG_DATA);
	/* P1 80: the data field is ignored. */
	assert_int_equal(wsend(&vc, &ho, "80F0800708A000000333010101", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F08007", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F0800F", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F08007", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F08001", NULL, NULL), SW_WRONG_DATA);
	/* SECURED: no more personalisation of any kind, and GET STATUS says so. */
	assert_int_equal(wsend(&vc, &ho, "80E620000E000008A000000632010105000000", NULL, NULL),
			 SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80E2880005010102AABB", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F28002024F0000", out, &n), SW_OK);
	assert_int_equal(out[15], VCARD_LC_SECURED);
	assert_int_equal(wsend(&vc, &ho, "80F24002094F07A000000333010100", out, &n), SW_OK);
	assert_int_equal(out[15], 0x1F);
	/* Lock an application (b8), once. */
	assert_int_equal(wsend(&vc, &ho, "80F0408008A000000632010105", NULL, NULL), SW_OK);
	assert_int_equal(vc.chip.apps[VCARD_APP_TRANSPORT].lc, 0x87);
	assert_int_equal(wsend(&vc, &ho, "80F0408008A000000632010105", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F0400F08A000000632010105", NULL, NULL), SW_CONDITIONS);
	/* CARD_LOCKED, then TERMINATED; nothing goes back. */
	assert_int_equal(wsend(&vc, &ho, "80F0807F", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F0800F", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F0400F08A000000151000000", NULL, NULL),
			 SW_DATA_NOT_FOUND);
	assert_int_equal(wsend(&vc, &ho, "80F040FF08A000000333010101", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F080FF", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F080FF", NULL, NULL), SW_CONDITIONS);
	host_free(&ho);
	vcard_release(&vc);
}

static const char *ssse_records[] = {
	"00A404000F7378312E73682EC9E7BBE1B1A3D5CF",
	"00A4020C02EF05",
	"00DC020403020133",
	"00DC0304060304332E3030",
	"00DC04040E040C110000000000000000000001",
	"00DC050406050420261126",
	"00DC060406060420361125",
	"00DC07040B0709423030303030303031",
	"00A4020C02EF06",
	"00DC0104140812313130313031313939303033303731323334",
};

static void
test_perso_flow(void **state)
{
	unsigned char out[300], key[48], enc[48];
	char cmd[400], hex[200];
	struct host ho = {0};
	struct vcard vc;
	size_t n;

	(void)state;
	new_card(&vc);
	assert_int_equal(open_channel(&vc, &ho, 0x03), SW_OK);
	/* PBOC: INSTALL, a record DGI, a key DGI under the DEK, its KCVs (last block). */
	assert_int_equal(wsend(&vc, &ho, "80E620000E000008A000000333010101000000", NULL, NULL),
			 SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80E2280009010106700457021234", NULL, NULL), SW_OK);
	for (int i = 0; i < 48; i++)
		key[i] = (unsigned char)(0xA0 + i);
	assert_int_equal(scp03_dek_encrypt(&ho.keys, key, 48, enc), 0);
	snprintf(cmd, sizeof cmd, "80E22801338000 30%s", hex_encode(enc, 48, (char[97]){0}));
	assert_int_equal(wsend(&vc, &ho, cmd, NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80E2A8020C900009010203040506070809", NULL, NULL), SW_OK);
	/* The last block ends the sequence; SET STATUS makes the application personalised. */
	assert_int_equal(vc.chip.apps[VCARD_APP_PBOC].lc, VCARD_APP_SELECTABLE);
	assert_true(vc.chip.apps[VCARD_APP_PBOC].dgis[1].secret);
	assert_memory_equal(vc.chip.apps[VCARD_APP_PBOC].dgis[1].v.data, key, 48);
	assert_int_equal(wsend(&vc, &ho, "80F0400F08A000000333010101", NULL, NULL), SW_OK);
	assert_int_equal(vc.chip.apps[VCARD_APP_PBOC].lc, VCARD_APP_PERSONALIZED);
	/* Personalised: the application refuses a second personalisation. */
	assert_int_equal(wsend(&vc, &ho, "80E620000E000008A000000333010101000000", NULL, NULL),
			 SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80E620000E000008A000000999010101000000", NULL, NULL),
			 SW_DATA_NOT_FOUND);
	/* A shorter trailer of empty fields is accepted. */
	assert_int_equal(wsend(&vc, &ho, "80E6200014 0000 0F 7378312E73682EC9E7BBE1B1A3D5CF 0000",
			       NULL, NULL),
			 SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80E6200015 0000 0F 7378312E73682EC9E7BBE1B1A3D5CF 000001",
			       NULL, NULL),
			 SW_WRONG_DATA);
	/* SSSE records under the channel. */
	for (size_t i = 0; i < ARRAY_SIZE(ssse_records); i++)
		assert_int_equal(wsend(&vc, &ho, ssse_records[i], NULL, NULL), SW_OK);
	/* Wrong tag, wrong length, the card identifier record. */
	assert_int_equal(wsend(&vc, &ho, "00DC0234030A0131", NULL, NULL), SW_WRONG_DATA);
	assert_int_equal(wsend(&vc, &ho, "00DC043404 0A023131", NULL, NULL), SW_WRONG_DATA);
	assert_int_equal(wsend(&vc, &ho, "00DC0804030A0131", NULL, NULL), SW_RECORD_NOT_FOUND);
	assert_int_equal(
		wsend(&vc, &ho, "00DC015412 0110 00000000000000000000000000000000", NULL, NULL),
		SW_FILE_NOT_FOUND);
	snprintf(cmd, sizeof cmd, "00DC012C12 0110 %s", hex_encode(vc.chip.card_id, 16, hex));
	assert_int_equal(wsend(&vc, &ho, cmd, NULL, NULL), SW_OK);
	cmd[strlen(cmd) - 1] ^= 0x01;
	assert_int_equal(wsend(&vc, &ho, cmd, NULL, NULL), SW_CONDITIONS);
	/* Anyone reads back, without the channel. */
	assert_int_equal(send_hex(&vc, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF", NULL, NULL),
			 SW_OK);
	assert_int_equal(send_hex(&vc, "00B2032C00", out, &n), SW_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(out,
			    "\x03\x04"
			    "3.00",
			    6);
	assert_int_equal(send_hex(&vc, "00B2013400", out, &n), SW_OK);
	assert_int_equal(n, 20);
	assert_int_equal(send_hex(&vc, "00B2013403", NULL, NULL), 0x6C14);
	assert_int_equal(send_hex(&vc, "00A4040008A000000333010101", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "00B2010C00", out, &n), SW_OK);
	assert_int_equal(n, 6);
	assert_int_equal(send_hex(&vc, "80CA005700", out, &n), SW_DATA_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "80CA800000", out, &n), SW_DATA_NOT_FOUND);
	/* SET STATUS: SECURED ends record writes; the life cycle never goes back. */
	assert_int_equal(wsend(&vc, &ho, "00A4040000", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F0800F", NULL, NULL), SW_OK);
	assert_int_equal(vc.chip.card_lc, VCARD_LC_SECURED);
	assert_int_equal(wsend(&vc, &ho, "80F08007", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F0800F", NULL, NULL), SW_CONDITIONS);
	assert_int_equal(wsend(&vc, &ho, "80F08033", NULL, NULL), SW_WRONG_DATA);
	assert_int_equal(wsend(&vc, &ho, ssse_records[0], NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, ssse_records[1], NULL, NULL), SW_OK);
	/* An issued card's SSSE records need the SSSE maintenance key's secure messaging. */
	assert_int_equal(wsend(&vc, &ho, ssse_records[2], NULL, NULL), SW_SECURITY_STATUS);
	host_free(&ho);
	vcard_release(&vc);
}

/* The PSE is installed and personalised like an application; a record DGI longer than one
 * STORE DATA continues in the next command (GP 11.11.2) and is reassembled. */
static void
test_pse_and_split_dgi(void **state)
{
	unsigned char out[300];
	char cmd[600], *p;
	struct host ho = {0};
	struct vcard vc;
	size_t n;

	(void)state;
	new_card(&vc);
	assert_int_equal(open_channel(&vc, &ho, 0x03), SW_OK);
	assert_int_equal(
		wsend(&vc, &ho, "80E620001400000E315041592E5359532E4444463031000000", NULL, NULL),
		SW_OK);
	assert_int_equal(wsend(&vc, &ho,
			       "80E2080016 0101 13 7011610F4F08A0000003330101018701015000", NULL,
			       NULL),
			 SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80E2880109 9102 06 8801015F2D00", NULL, NULL), SW_OK);
	/* PBOC record 0201 of 250 bytes: 200 in the first command, 50 in the last */
	assert_int_equal(wsend(&vc, &ho, "80E620000E000008A000000333010101000000", NULL, NULL),
			 SW_OK);
	p = cmd + sprintf(cmd, "80E20800CB0201FA7081F7");
	for (int i = 0; i < 197; i++)
		p += sprintf(p, "%02X", i & 0xFF);
	assert_int_equal(wsend(&vc, &ho, cmd, NULL, NULL), SW_OK);
	p = cmd + sprintf(cmd, "80E2880132");
	for (int i = 197; i < 247; i++)
		p += sprintf(p, "%02X", i & 0xFF);
	assert_int_equal(wsend(&vc, &ho, cmd, NULL, NULL), SW_OK);
	host_free(&ho);
	vcard_reset(&vc);
	/* a terminal reads them back */
	assert_int_equal(send_hex(&vc, "00A404000E315041592E5359532E444446303100", out, &n), SW_OK);
	assert_int_equal(n, 2 + 2 + 14 + 2 + 6);
	assert_memory_equal(out + 18, "\xA5\x06\x88\x01\x01\x5F\x2D\x00", 8);
	assert_int_equal(send_hex(&vc, "00B2010C00", out, &n), SW_OK);
	assert_int_equal(n, 0x13);
	assert_int_equal(send_hex(&vc, "00B2020C00", NULL, NULL), SW_RECORD_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00A404000E315041592E5359532E444446303100", NULL, NULL),
			 SW_OK);
	assert_int_equal(send_hex(&vc, "00A404020E315041592E5359532E444446303100", NULL, NULL),
			 SW_FILE_NOT_FOUND); /* no next occurrence */
	assert_int_equal(send_hex(&vc, "00A4040008A00000033301010100", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "00B2011400", out, &n), SW_OK);
	assert_int_equal(n, 250);
	assert_memory_equal(out, "\x70\x81\xF7\x00\x01", 5);
	assert_int_equal(out[249], 246);
	vcard_release(&vc);
}

static void
test_store_data_sequence(void **state)
{
	unsigned char out[300];
	struct host ho = {0};
	struct vcard vc;
	size_t n;

	(void)state;
	new_card(&vc);
	assert_int_equal(open_channel(&vc, &ho, 0x01), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80E620000E000008A000000632010105000000", NULL, NULL),
			 SW_OK);
	/* Block numbers must follow 00, 01, ... */
	assert_int_equal(wsend(&vc, &ho, "80E2080105010102AABB", NULL, NULL), SW_WRONG_P1P2);
	/* BER-TLV structure is not accepted. */
	assert_int_equal(wsend(&vc, &ho, "80E2100005010102AABB", NULL, NULL), SW_WRONG_P1P2);
	/* A DGI split over two blocks. */
	assert_int_equal(wsend(&vc, &ho, "80E208000601010670049F", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80E20801030C0133", NULL, NULL), SW_OK);
	/* An encrypted DGI that is not whole blocks. */
	assert_int_equal(wsend(&vc, &ho, "80E2680206800003010203", NULL, NULL), SW_WRONG_DATA);
	/* The last block ending inside a DGI. */
	assert_int_equal(wsend(&vc, &ho, "80E288000491020501", NULL, NULL), SW_WRONG_DATA);
	assert_int_equal(vc.chip.apps[VCARD_APP_TRANSPORT].lc, VCARD_APP_SELECTABLE);
	assert_int_equal(wsend(&vc, &ho, "80E2880008910205 9F0C021000", NULL, NULL), SW_OK);
	assert_int_equal(vc.chip.apps[VCARD_APP_TRANSPORT].lc, VCARD_APP_SELECTABLE);
	/* STORE DATA after the last block needs a new INSTALL. */
	assert_int_equal(wsend(&vc, &ho, "80E2880005010102AABB", NULL, NULL), SW_OK);
	assert_int_equal(vc.chip.apps[VCARD_APP_ISD].ndgis, 1);
	host_free(&ho);
	/* Read back: the split record, FCI from DGI 9102, GET DATA 9F0C. */
	assert_int_equal(send_hex(&vc, "00A4040008A000000632010105", out, &n), SW_OK);
	assert_memory_equal(out + n - 7, "\xA5\x05\x9F\x0C\x02\x10\x00", 7);
	assert_int_equal(send_hex(&vc, "00B2010C00", out, &n), SW_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "\x70\x04\x9F\x0C\x01\x33", 6);
	assert_int_equal(send_hex(&vc, "80CA9F0C00", out, &n), SW_OK);
	assert_memory_equal(out, "\x9F\x0C\x02\x10\x00", 5);
	vcard_release(&vc);
}

static void
test_put_key(void **state)
{
	unsigned char newk[3][16], hc[8] = {0}, cmd[64], out[64];
	struct gp_key keys[3];
	struct buf b = BUF_INIT(1024);
	struct host ho = {0};
	struct scp03_keys nk;
	struct scp03_host *h;
	struct vcard vc;
	char hex[600];
	size_t n;

	(void)state;
	new_card(&vc);
	for (int k = 0; k < 3; k++) {
		memset(newk[k], 0x51 + k, 16);
		keys[k] = (struct gp_key){CP_ALG_AES, newk[k], 16};
	}
	assert_int_equal(open_channel(&vc, &ho, 0x03), SW_OK);
	assert_int_equal(gp_put_key_apdu(ho.keys.dek, 16, 0x30, 0x81, 0x31, keys, 3, &b), 0);
	hex_encode(b.data, b.len, hex);
	/* A garbled KCV is refused. */
	hex[2 * 26] = hex[2 * 26] == '0' ? '1' : '0';
	assert_int_equal(wsend(&vc, &ho, hex, NULL, NULL), SW_WRONG_DATA);
	hex_encode(b.data, b.len, hex);
	assert_int_equal(wsend(&vc, &ho, hex, out, &n), SW_OK);
	assert_int_equal(n, 10);
	assert_int_equal(out[0], 0x31);
	assert_int_equal(vc.chip.keys.kvn, 0x31);
	assert_true(vc.chip.keys_replaced);
	assert_memory_equal(vc.chip.keys.mac, newk[1], 16);
	host_free(&ho);
	/* The new key set opens the channel; the derived one no longer does. */
	memset(&nk, 0, sizeof nk);
	memcpy(nk.enc, newk[0], 16);
	memcpy(nk.mac, newk[1], 16);
	memcpy(nk.dek, newk[2], 16);
	nk.key_len = 16;
	nk.kvn = 0x31;
	scp03_init_update_apdu(0x31, hc, cmd);
	assert_int_equal(send_raw(&vc, cmd, 14, out, &n), SW_OK);
	assert_int_equal(scp03_host_new(&nk, &h), 0);
	assert_int_equal(scp03_host_begin(h, hc, out, n), 0);
	scp03_host_free(h);
	/* The keys derived from the KMC no longer open it. */
	assert_int_equal(vcard_derive_keys(kmc, sizeof kmc, vc.chip.kdd, &nk), 0);
	nk.kvn = 0x31;
	assert_int_equal(send_raw(&vc, cmd, 14, out, &n), SW_OK);
	assert_int_equal(scp03_host_new(&nk, &h), 0);
	assert_int_equal(scp03_host_begin(h, hc, out, n), CP_ERR_CRYPTO);
	scp03_host_free(h);
	buf_release(&b);
	vcard_release(&vc);
}

/* ---------------- card stocks ---------------- */

static struct chip_profile *
shipped_stock(const char *name)
{
	char tried[256], rel[64], *path;
	struct chip_profile *p = NULL;

	snprintf(rel, sizeof rel, "chip-profiles/%s.ini", name);
	path = fs_find_data(rel, tried, sizeof tried);
	assert_non_null(path);
	assert_int_equal(chip_profile_load(path, &p), 0);
	free(path);
	return p;
}

/* The built-in default stock is the shipped cpvc-s03 profile. */
static void
test_default_stock_is_shipped(void **state)
{
	struct chip_profile def, *p = shipped_stock("cpvc-s03");

	(void)state;
	vcard_default_stock(&def);
	assert_string_equal(def.name, p->name);
	assert_string_equal(def.description, p->description);
	assert_int_equal(def.atr_len, p->atr_len);
	assert_memory_equal(def.atr, p->atr, p->atr_len);
	assert_memory_equal(def.atr_mask, p->atr_mask, p->atr_len);
	assert_int_equal(def.isd_aid_len, p->isd_aid_len);
	assert_memory_equal(def.isd_aid, p->isd_aid, p->isd_aid_len);
	assert_int_equal(def.kvn, p->kvn);
	assert_string_equal(def.kmc_key, p->kmc_key);
	assert_int_equal(def.div, p->div);
	assert_int_equal(def.scp, p->scp);
	assert_int_equal(def.i_param, p->i_param);
	assert_int_equal(def.security_level, p->security_level);
	assert_int_equal(def.store_enc, p->store_enc);
	assert_int_equal(def.store_blocks, p->store_blocks);
	assert_int_equal(def.napps, p->napps);
	for (size_t i = 0; i < p->napps; i++) {
		assert_string_equal(def.apps[i].name, p->apps[i].name);
		assert_int_equal(def.apps[i].aid_len, p->apps[i].aid_len);
		assert_memory_equal(def.apps[i].aid, p->apps[i].aid, p->apps[i].aid_len);
	}
	assert_int_equal(def.end_app_lc, p->end_app_lc);
	assert_int_equal(def.end_card_lc, p->end_card_lc);
	chip_profile_free(p);
}

/* Send one command through an SCP02 host (responses come back plain). */
static uint16_t
w02(struct vcard *vc, struct scp02_host *h, const char *hex, unsigned char *out, size_t *olen)
{
	unsigned char cmd[300], w[300];
	size_t n = hx(hex, cmd), wn;

	assert_int_equal(scp02_host_wrap(h, cmd, n, w, sizeof w, &wn), 0);
	return send_raw(vc, w, wn, out, olen);
}

/* A chip of the SCP02/EMV stock: its ATR, its ISD AID (the default stock's is not there),
 * INITIALIZE UPDATE with EMV CPS keys from the KMC, C-MAC + C-DEC, a key DGI under the
 * session DEK, STORE DATA numbered over the session and with the explicit encryption
 * indication; its state file names its stock and loads back as that stock. */
static void
test_scp02_stock(void **state)
{
	struct chip_profile *st = shipped_stock("cpvc-s02");
	unsigned char atr[40], hc[8] = {8, 7, 6, 5, 4, 3, 2, 1}, cmd[300], out[300];
	unsigned char keyv[16], enc[16];
	unsigned char e3[48], m3[48], d3[48];
	struct scp02_keys k;
	struct scp02_host *h = NULL;
	struct vcard vc, back;
	struct vcard_stock vs;
	size_t n, kl;
	char dir[] = "/tmp/cp-vcard02-XXXXXX", line[600];
	int dgi;

	(void)state;
	assert_int_equal(vcard_init_blank_stock(&vc, st, serial, kmc, sizeof kmc), 0);
	n = vcard_atr(&vc, atr, sizeof atr);
	assert_int_equal(n, st->atr_len);
	assert_memory_equal(atr,
			    "\x3B\x68\x00\x00"
			    "CPVC-S02",
			    n);
	/* the keys are EMV CPS-diversified (KDD bytes 4..9) from the 3DES KMC */
	assert_int_equal(cp_gp_diversify(CP_GP_EMV, kmc, sizeof kmc, vc.chip.kdd, e3, m3, d3, &kl),
			 0);
	assert_int_equal(kl, 16);
	assert_memory_equal(vc.chip.keys.enc, e3, 16);
	assert_memory_equal(vc.chip.keys.dek, d3, 16);
	assert_int_equal(vc.chip.keys.kvn, 0x20);

	assert_int_equal(send_hex(&vc, "00A4040008A000000151000000", NULL, NULL),
			 SW_FILE_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00A4040008A000000003000000", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "8050300008010203040506070800", NULL, NULL),
			 SW_DATA_NOT_FOUND);
	memcpy(cmd, "\x80\x50\x20\x00\x08", 5);
	memcpy(cmd + 5, hc, 8);
	cmd[13] = 0;
	assert_int_equal(send_raw(&vc, cmd, 14, out, &n), SW_OK);
	assert_int_equal(n, 28);
	assert_memory_equal(out, vc.chip.kdd, 10);
	assert_int_equal(out[10], 0x20);
	assert_int_equal(out[11], 0x02);
	memset(&k, 0, sizeof k);
	memcpy(k.enc, e3, 16);
	memcpy(k.mac, m3, 16);
	memcpy(k.dek, d3, 16);
	k.kvn = 0x20;
	assert_int_equal(scp02_host_new(&k, 0x15, &h), 0);
	assert_int_equal(scp02_host_begin(h, hc, out, n), 0);
	assert_int_equal(scp02_host_external_auth(h, 0x03, cmd, &n), 0);
	assert_int_equal(send_raw(&vc, cmd, n, NULL, NULL), SW_OK);
	assert_true(vcard_channel_open(&vc));
	assert_int_equal(vcard_channel_level(&vc), 0x03);
	/* key information: three DES keys of version 20 */
	assert_int_equal(w02(&vc, h, "80CA00E000", out, &n), SW_OK);
	assert_memory_equal(out, "\xE0\x12\xC0\x04\x01\x20\x80\x10", 8);
	/* PUT KEY is for AES key sets only */
	assert_int_equal(w02(&vc, h, "80D80081040102030400", NULL, NULL), SW_FUNC_NOT_SUPPORTED);

	/* PBOC: block 0 a plain DGI (P1 08), block 1 the key DGI encrypted (P1 68) */
	assert_int_equal(w02(&vc, h, "80E620000E000008A000000333010101000000", NULL, NULL), SW_OK);
	assert_int_equal(w02(&vc, h, "80E2080005010102AABB", NULL, NULL), SW_OK);
	/* application-dependent indication (01) is not this stock's convention */
	assert_int_equal(w02(&vc, h, "80E2280105010102AABB", NULL, NULL), SW_WRONG_P1P2);
	memset(keyv, 0x3C, sizeof keyv);
	assert_int_equal(scp02_host_dek_encrypt(h, keyv, 16, enc), 0);
	strcpy(line, "80E2E8011380001"
		     "0");
	for (int i = 0; i < 16; i++)
		sprintf(line + strlen(line), "%02X", enc[i]);
	assert_int_equal(w02(&vc, h, line, NULL, NULL), SW_OK);
	for (dgi = 0; dgi < (int)vc.chip.apps[VCARD_APP_PBOC].ndgis; dgi++)
		if (vc.chip.apps[VCARD_APP_PBOC].dgis[dgi].tag == 0x8000)
			break;
	assert_true(dgi < (int)vc.chip.apps[VCARD_APP_PBOC].ndgis);
	assert_true(vc.chip.apps[VCARD_APP_PBOC].dgis[dgi].secret);
	assert_memory_equal(vc.chip.apps[VCARD_APP_PBOC].dgis[dgi].v.data, keyv, 16);
	/* the next application's STORE DATA continues the session's count: block 2, not 0 */
	assert_int_equal(w02(&vc, h, "80E620000E000008A000000632010105000000", NULL, NULL), SW_OK);
	assert_int_equal(w02(&vc, h, "80E2880005010102CCDD", NULL, NULL), SW_WRONG_P1P2);
	assert_int_equal(w02(&vc, h, "80E2880205010102CCDD", NULL, NULL), SW_OK);
	scp02_host_free(h);

	/* the state file names the stock, and loads back as it */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(vcard_store_save(&vc, dir, kmc, sizeof kmc), 0);
	vs.profile = st;
	memcpy(vs.kmc, kmc, sizeof kmc);
	vs.kmc_len = sizeof kmc;
	assert_int_equal(store_load_default(&back, dir, serial, kmc, sizeof kmc), CP_ERR_NOTFOUND);
	assert_non_null(strstr(cp_errmsg(), "of stock 'cpvc-s02'"));
	assert_int_equal(vcard_store_load_stock(&back, dir, serial, &vs, 1), 0);
	assert_string_equal(back.stock.name, "cpvc-s02");
	assert_memory_equal(back.chip.keys.enc, e3, 16);
	n = vcard_atr(&back, atr, sizeof atr);
	assert_int_equal(n, 12);
	vcard_release(&back);
	{
		char *path = vcard_store_path(dir, serial);
		unlink(path);
		free(path);
		rmdir(dir);
	}
	vcard_release(&vc);
	chip_profile_free(st);
}

/* A stock that does not carry the transport application: its chip does not show it (SELECT,
 * INSTALL, GET STATUS), and a stock naming an application the chip cannot emulate, or a KMC
 * its diversification cannot use, makes no chip. */
static void
test_stock_applications(void **state)
{
	struct chip_profile st;
	struct host ho = {0};
	unsigned char out[300];
	struct vcard vc;
	size_t n;

	(void)state;
	vcard_default_stock(&st);
	st.napps = 2; /* ssse, pboc */
	assert_int_equal(vcard_init_blank_stock(&vc, &st, serial, kmc, sizeof kmc), 0);
	assert_int_equal(send_hex(&vc, "00A4040008A000000632010105", NULL, NULL),
			 SW_FILE_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00A4040005A000000632", NULL, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00A4040008A000000333010101", NULL, NULL), SW_OK);
	assert_int_equal(open_channel(&vc, &ho, 0x03), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80E620000E000008A000000632010105000000", NULL, NULL),
			 SW_DATA_NOT_FOUND);
	assert_int_equal(wsend(&vc, &ho, "80F24002024F0000", out, &n), SW_OK);
	assert_null(memmem(out, n, "\xA0\x00\x00\x06\x32", 5));
	assert_non_null(memmem(out, n, "\xA0\x00\x00\x03\x33", 5));
	assert_non_null(memmem(out, n, "\x73\x78\x31\x2E", 4));
	host_free(&ho);
	vcard_release(&vc);

	snprintf(st.apps[1].name, sizeof st.apps[1].name, "wallet");
	memcpy(st.apps[1].aid, "\xA0\x00\x00\x09\x99\x01", 6);
	st.apps[1].aid_len = 6;
	assert_int_equal(vcard_init_blank_stock(&vc, &st, serial, kmc, sizeof kmc),
			 CP_ERR_UNSUPPORTED);
	assert_non_null(strstr(cp_errmsg(), "application 'wallet' is not one the virtual card"));
	{
		struct chip_profile *s02 = shipped_stock("cpvc-s02");
		unsigned char kmc32[32] = {0};
		assert_int_equal(vcard_init_blank_stock(&vc, s02, serial, kmc32, sizeof kmc32),
				 CP_ERR_INVALID);
		assert_non_null(strstr(cp_errmsg(), "emv needs a 2-key 3DES KMC"));
		chip_profile_free(s02);
	}
}

static void
test_select_and_read_errors(void **state)
{
	unsigned char out[300], atr[40];
	struct vcard vc;
	size_t n;

	(void)state;
	new_card(&vc);
	n = vcard_atr(&vc, atr, sizeof atr);
	assert_int_equal(n, 17);
	{
		unsigned char x = 0;
		for (size_t i = 1; i < n; i++)
			x ^= atr[i];
		assert_int_equal(x, 0); /* TCK */
	}
	assert_int_equal(send_hex(&vc, "00A4040007A0000009999999", NULL, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00A4020C02EF05", NULL, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00B2010400", NULL, NULL), SW_NO_CURRENT_EF);
	/* Partial DF name. */
	assert_int_equal(send_hex(&vc, "00A40400077378312E73682E00", out, &n), SW_OK);
	assert_int_equal(out[0], 0x6F);
	assert_int_equal(send_hex(&vc, "00B2010400", NULL, NULL), SW_NO_CURRENT_EF);
	assert_int_equal(send_hex(&vc, "00B2012C00", out, &n), SW_OK);
	assert_int_equal(n, 18);
	assert_memory_equal(out + 2, vc.chip.card_id, 16);
	assert_int_equal(send_hex(&vc, "00B2022C00", NULL, NULL), SW_RECORD_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00B2092C00", NULL, NULL), SW_RECORD_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00B2000400", NULL, NULL), SW_WRONG_P1P2);
	assert_int_equal(send_hex(&vc, "00B2012500", NULL, NULL), SW_WRONG_P1P2);
	assert_int_equal(send_hex(&vc, "00B2013C00", NULL, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00A4000002EF07", NULL, NULL), SW_FILE_NOT_FOUND);
	assert_int_equal(send_hex(&vc, "00A40000013F", NULL, NULL), SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, "00A4080002EF05", NULL, NULL), SW_WRONG_P1P2);
	assert_int_equal(send_hex(&vc, "00A4000002EF06", out, &n), SW_OK);
	assert_int_equal(out[0], 0x62);
	assert_int_equal(send_hex(&vc, "00A40000023F00", NULL, NULL), SW_OK);
	/* The ISD's data. */
	assert_int_equal(send_hex(&vc, "00A4040000", NULL, NULL), SW_OK);
	assert_int_equal(send_hex(&vc, "80CA00CF00", out, &n), SW_OK);
	assert_int_equal(n, 12);
	assert_memory_equal(out + 2, vc.chip.kdd, 10);
	assert_int_equal(send_hex(&vc, "80CA9F7F00", out, &n), SW_OK);
	assert_int_equal(n, 45);
	assert_int_equal(send_hex(&vc, "80CA00E000", out, &n), SW_OK);
	assert_int_equal(send_hex(&vc, "80CA006600", NULL, NULL), SW_DATA_NOT_FOUND);
	/* Malformed commands. */
	assert_int_equal(send_hex(&vc, "00A404", NULL, NULL), SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, "00A4040005A000", NULL, NULL), SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, "00B20104000100", NULL, NULL), SW_WRONG_LENGTH);
	assert_int_equal(send_hex(&vc, "FFA4040000", NULL, NULL), SW_CLA_NOT_SUPPORTED);
	assert_int_equal(send_hex(&vc, "40A4040000", NULL, NULL), SW_CLA_NOT_SUPPORTED);
	assert_int_equal(send_hex(&vc, "01A4040000", NULL, NULL), SW_LOGICAL_CHANNEL);
	assert_int_equal(send_hex(&vc, "0070000000", NULL, NULL), SW_INS_NOT_SUPPORTED);
	/* A defective chip answers everything with 6F00. */
	vc.fault_sw = SW_NO_DIAGNOSIS;
	assert_int_equal(send_hex(&vc, "00A4040000", NULL, NULL), SW_NO_DIAGNOSIS);
	vcard_release(&vc);
}

static void
test_store_roundtrip(void **state)
{
	char dir[] = "/tmp/test_vcard.XXXXXX", *path;
	unsigned char wrong[16], *data = NULL;
	struct host ho = {0};
	struct vcard vc, back;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	new_card(&vc);
	assert_int_equal(open_channel(&vc, &ho, 0x03), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80E620000E000008A000000333010101000000", NULL, NULL),
			 SW_OK);
	assert_int_equal(
		wsend(&vc, &ho, "80E2A80013 9010 10 00112233445566778899AABBCCDDEEFF", NULL, NULL),
		SW_OK); /* a 9xxx DGI, plain */
	assert_int_equal(vcard_fs_store_dgi(&vc, VCARD_APP_PBOC, 0x8010,
					    (const unsigned char *)"SECRETSECRET0123", 16, 1),
			 SW_OK);
	for (size_t i = 0; i < ARRAY_SIZE(ssse_records); i++)
		assert_int_equal(wsend(&vc, &ho, ssse_records[i], NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "00A4040000", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F0400F08A000000333010101", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F0400F08A000000632010105", NULL, NULL), SW_OK);
	assert_int_equal(wsend(&vc, &ho, "80F0408008A000000632010105", NULL, NULL), SW_OK);
	host_free(&ho);
	assert_int_equal(vcard_store_save(&vc, dir, kmc, sizeof kmc), 0);
	path = vcard_store_path(dir, serial);
	assert_int_equal(fs_read_file(path, 1 << 20, &data, &len), 0);
	assert_null(strstr((char *)data, "SECRET"));
	assert_null(strstr((char *)data, "534543524554")); /* "SECRET" in hex */
	assert_non_null(strstr((char *)data, "dgi PBOC 8010 secret "));
	free(data);
	assert_int_equal(store_load_default(&back, dir, serial, kmc, sizeof kmc), 0);
	assert_int_equal(back.chip.card_lc, vc.chip.card_lc);
	assert_int_equal(back.chip.seq, vc.chip.seq);
	assert_memory_equal(back.chip.ef05, vc.chip.ef05, sizeof vc.chip.ef05);
	assert_memory_equal(back.chip.ef06, vc.chip.ef06, sizeof vc.chip.ef06);
	assert_int_equal(back.chip.apps[VCARD_APP_PBOC].ndgis, 2);
	assert_memory_equal(back.chip.apps[VCARD_APP_PBOC].dgis[1].v.data, "SECRETSECRET0123", 16);
	assert_int_equal(back.chip.apps[VCARD_APP_PBOC].lc, VCARD_APP_PERSONALIZED);
	assert_int_equal(back.chip.apps[VCARD_APP_TRANSPORT].lc,
			 VCARD_APP_PERSONALIZED | VCARD_APP_LOCKED_BIT);
	assert_memory_equal(back.chip.keys.enc, vc.chip.keys.enc, 16);
	vcard_release(&back);
	/* Another KMC cannot open the secrets. */
	memset(wrong, 0x77, sizeof wrong);
	assert_true(store_load_default(&back, dir, serial, wrong, sizeof wrong) < 0);
	vcard_release(&back);
	/* A chip never made; a damaged file. */
	unsigned char other[8] = {0};
	assert_int_equal(store_load_default(&back, dir, other, kmc, sizeof kmc), CP_ERR_NOTFOUND);
	assert_int_equal(fs_write_atomic(path, "version 1\nrec EF05 2 0A\n", 24, 0600), 0);
	assert_int_equal(store_load_default(&back, dir, serial, kmc, sizeof kmc), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), ":2: rec EF05 2"));
	vcard_release(&back);
	assert_int_equal(fs_write_atomic(path, "serial 0000000000000000\n", 24, 0600), 0);
	assert_int_equal(store_load_default(&back, dir, serial, kmc, sizeof kmc), CP_ERR_INTEGRITY);
	vcard_release(&back);
	unlink(path);
	free(path);
	rmdir(dir);
	vcard_release(&vc);
	assert_int_equal(vcard_parse_serial("0123456789ABCDEF", other), 0);
	assert_int_equal(vcard_parse_serial("0123456789ABCDE", other), CP_ERR_FORMAT);
	assert_int_equal(vcard_parse_serial("0123456789ABCDEG", other), CP_ERR_FORMAT);
}

/* Bad input is data: random and mutated commands, with and without an open channel, never
 * crash the card and always get a status word. */
static void
test_random_commands(void **state)
{
	static const char *seeds[] = {
		"00A404000F7378312E73682EC9E7BBE1B1A3D5CF",
		"00A4020C02EF05",
		"00B2012C00",
		"00DC020403020133",
		"80E620000E000008A000000333010101000000",
		"80E2280009010106700457021234",
		"80D8308146",
		"80F0800F",
		"80CA00CF00",
		"8050000008010203040506070800",
	};
	unsigned char cmd[300], resp[SCP03_RESP_MAX + 16];
	unsigned seed = 12345;
	struct host ho = {0};
	struct vcard vc;

	(void)state;
	for (int round = 0; round < 2; round++) {
		new_card(&vc);
		if (round == 1)
			assert_int_equal(open_channel(&vc, &ho, 0x33), SW_OK);
		for (int i = 0; i < 20000; i++) {
			size_t n;
			seed = seed * 1103515245u + 12345u;
			if (i % 2) {
				n = (seed >> 8) % 262;
				for (size_t k = 0; k < n; k++) {
					seed = seed * 1103515245u + 12345u;
					cmd[k] = (unsigned char)(seed >> 16);
				}
			} else {
				n = hx(seeds[(seed >> 4) % ARRAY_SIZE(seeds)], cmd);
				seed = seed * 1103515245u + 12345u;
				cmd[(seed >> 8) % n] ^= (unsigned char)(1u << ((seed >> 20) % 8));
				if (seed & 0x10000)
					cmd[0] |= 0x04; /* as if wrapped */
			}
			size_t rn = vcard_apdu(&vc, cmd, n, resp, sizeof resp);
			assert_true(rn >= 2 && rn <= SCP03_RESP_MAX);
		}
		host_free(&ho);
		vcard_release(&vc);
	}
}

/* The line pcscd's argument checks and its pid-file handling (starting one for real is
 * tests/integration/t41xx). */
static void
test_pcscd_line_args(void **state)
{
	char dir[] = "/tmp/test_pcscd_line.XXXXXX", *sock, *pidf;
	struct pcscd_line l;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pcscd_line_start(dir, 0, 100, &l), CP_ERR_INVALID);
	assert_int_equal(pcscd_line_start(dir, 65535, 100, &l), CP_ERR_INVALID);
	assert_int_equal(l.pid, -1);
	sock = pcscd_line_socket_path(dir);
	assert_non_null(strstr(sock, "/run/pcscd.comm"));
	/* No pid file, or a pid that is not a pcscd: nothing is signalled. */
	assert_int_equal(pcscd_line_stop_dir(dir, 100), 0);
	pidf = fs_join(dir, "pcscd.pid");
	char mine[32];
	snprintf(mine, sizeof mine, "%d\n", (int)getpid());
	assert_int_equal(fs_write_atomic(pidf, mine, strlen(mine), 0600), 0);
	assert_int_equal(pcscd_line_stop_dir(dir, 100), 0); /* we are alive and not pcscd */
	assert_int_equal(pcscd_line_client_env(dir), 0);
	assert_string_equal(getenv("PCSCLITE_CSOCK_NAME"), sock);
	unlink(pidf);
	rmdir(dir);
	free(sock);
	free(pidf);
	pcscd_line_release(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tv03a_secure_messaging),
		cmocka_unit_test(test_tv03a_through_dispatcher),
		cmocka_unit_test(test_auth_failures_lock),
		cmocka_unit_test(test_writes_need_channel),
		cmocka_unit_test(test_perso_flow),
		cmocka_unit_test(test_get_status),
		cmocka_unit_test(test_set_status),
		cmocka_unit_test(test_store_data_sequence),
		cmocka_unit_test(test_pse_and_split_dgi),
		cmocka_unit_test(test_put_key),
		cmocka_unit_test(test_select_and_read_errors),
		cmocka_unit_test(test_default_stock_is_shipped),
		cmocka_unit_test(test_scp02_stock),
		cmocka_unit_test(test_stock_applications),
		cmocka_unit_test(test_store_roundtrip),
		cmocka_unit_test(test_random_commands),
		cmocka_unit_test(test_pcscd_line_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
