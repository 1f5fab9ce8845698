/*
 * test_pboc_data.c - the PBOC debit data of one card's perso script, read back from the
 * script's STORE DATA commands as a card would (DGIs reassembled across commands, secret
 * DGIs decrypted with the transport key) and checked against EMV: every record a well-formed
 * template of at most 252 bytes, the AFL naming exactly the records written, SDA data and the
 * ICC certificate verifying over exactly the AFL-marked records, the CVM list per Book 3
 * §10.5 / Annex C3, CDOL1's tags, the AIP for sda/dda/cda, the card risk data, the PIN block,
 * and the ICC key's CRT components multiplying to its certified modulus. Bank profiles:
 * built-ins, the shipped default.ini, overrides, and bad files with specific errors.
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
#include "emv_fixture.h"
#include "hex_fixture.h"
#include "formats/cardno.h"
#include "personalization/chip/bank_profile.h"
#include "personalization/chip/chipdata.h"
#include "personalization/chip/pboc_data.h"
#include "personalization/chip/script.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/kcv.h"

#include <openssl/bn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char mk[3][16], tk[32];
static struct bank_profile prof;
/* a test's own issuer (with its CA) and PAN instead of the fixture's, when set */
static const struct emv_issuer *t_issuer;
static const struct emv_pubkey *t_ca;
static const char *t_pan, *t_5a, *t_57;

#define MAX_DGIS 64

struct dgi {
	int app; /* 0 PSE, 1 PBOC, 2 others */
	unsigned tag;
	unsigned char v[1024];
	size_t len;
	int secret;
	size_t ncmds; /* STORE DATA commands it took */
};

struct card_data {
	struct dgi d[MAX_DGIS];
	size_t n;
	struct perso_script *s;
	struct buf text;
};

static void
sample(struct perso_card *c, struct perso_masters *m, struct perso_params *p)
{
	emv_fixture_card(c);
	c->card_id = 0x1010203; /* past 24 bits: the serial is not the id */
	c->icc_serial = 0x0A0B0C;
	if (t_pan)
		snprintf(c->pan, sizeof(c->pan), "%s", t_pan);
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 3; i++) {
		memset(mk[i], 0x31 + i, 16);
		m->ssse[i] = m->transport[i] = m->bank[i] = mk[i];
	}
	memset(tk, 0x55, 32);
	m->bank_alg = CP_ALG_TDES;
	m->tk = tk;
	snprintf(m->tk_name, sizeof(m->tk_name), "line.1.transport");
	cp_kcv_hex(CP_ALG_AES, tk, 32, m->tk_kcv);
	m->profile = &prof;
	assert_non_null(m->issuer = t_issuer ? t_issuer : emv_fixture_issuer());
	emv_fixture_params(p);
}

static const unsigned char aid_pse[] = "1PAY.SYS.DDF01";
static const unsigned char aid_pboc[] = {0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01};

/* Take one STORE DATA's data into the pending DGI stream of the application. */
static void
take(struct card_data *cd, int app, const struct perso_cmd *cmd, unsigned char *pend, size_t *np,
     size_t *cmds_in_pend)
{
	size_t lc = cmd->apdu[4], i = 0;
	unsigned char data[256];

	assert_true(lc <= 239);
	memcpy(data, cmd->apdu + 5, lc);
	if (cmd->sens_len) {
		/* secret values are in the command with their header */
		assert_int_equal(*np, 0);
		assert_int_equal(cp_cbc_decrypt(CP_ALG_AES, tk, 32, NULL, data + cmd->sens_off,
						cmd->sens_len, data + cmd->sens_off),
				 0);
	}
	memcpy(pend + *np, data, lc);
	*np += lc;
	(*cmds_in_pend)++;
	while (*np - i >= 3) {
		unsigned tag = (unsigned)(pend[i] << 8 | pend[i + 1]);
		size_t len = pend[i + 2], h = 3;
		struct dgi *d;

		if (len == 0xFF) {
			len = (size_t)pend[i + 3] << 8 | pend[i + 4];
			h = 5;
		}
		if (*np - i - h < len)
			break;
		assert_true(cd->n < MAX_DGIS);
		d = &cd->d[cd->n++];
		d->app = app;
		d->tag = tag;
		d->len = len;
		memcpy(d->v, pend + i + h, len);
		d->secret = cmd->sens_len > 0;
		d->ncmds = *cmds_in_pend;
		*cmds_in_pend = 0;
		i += h + len;
	}
	memmove(pend, pend + i, *np - i);
	*np -= i;
}

/* Build and read back the card's DGIs; checks the STORE DATA sequence of each application
 * (block numbers from 00, the last-block bit on its last command only). */
static void
read_card(struct card_data *cd)
{
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	unsigned char pend[2048];
	size_t np = 0, pc = 0;
	int app = -1;
	unsigned next_block = 0;

	memset(cd, 0, sizeof(*cd));
	buf_init(&cd->text, 1 << 20);
	sample(&c, &m, &p);
	assert_int_equal(perso_script_build(&c, &m, &p, &cd->text), 0);
	assert_int_equal(perso_script_parse((char *)cd->text.data, cd->text.len, "t", &cd->s), 0);
	for (size_t i = 0; i < perso_script_count(cd->s); i++) {
		const struct perso_cmd *cmd = perso_script_cmd(cd->s, i);
		const unsigned char *a = cmd->apdu;

		if (a[0] == 0x80 && a[1] == 0xE6) {
			assert_int_equal(np, 0); /* the previous application's data ended */
			app = a[7] == sizeof(aid_pboc) && !memcmp(a + 8, aid_pboc, 8) ? 1
			      : a[7] == 14 && !memcmp(a + 8, aid_pse, 14)	      ? 0
										      : 2;
			next_block = 0;
			continue;
		}
		if (a[0] != 0x80 || a[1] != 0xE2)
			continue;
		assert_int_equal(a[3], next_block++);
		take(cd, app, cmd, pend, &np, &pc);
		if (a[2] & 0x80) /* the last block ends with a whole DGI */
			assert_int_equal(np, 0);
	}
	assert_int_equal(np, 0);
}

static void
card_free(struct card_data *cd)
{
	perso_script_free(cd->s);
	buf_release(&cd->text);
}

/* A card read back into memory of its own (card_done() frees it). */
static struct card_data *
card_new(void)
{
	struct card_data *cd = calloc(1, sizeof(*cd));

	assert_non_null(cd);
	read_card(cd);
	return cd;
}

static void
card_done(struct card_data *cd)
{
	card_free(cd);
	free(cd);
}

/* The ICBC built-in profile with the TEST ONLY PIN 123456 (a known PIN block). */
static void
profile_test_pin(void)
{
	bank_profile_default("ICBC", &prof);
	snprintf(prof.test_pin, sizeof(prof.test_pin), "123456");
}

/* The ICBC built-in profile with SDA (no ICC key to make) and a random PIN. */
static void
profile_sda(void)
{
	bank_profile_default("ICBC", &prof);
	prof.oda = BANK_ODA_SDA;
}

static const struct dgi *
find(const struct card_data *cd, int app, unsigned tag)
{
	for (size_t i = 0; i < cd->n; i++)
		if (cd->d[i].app == app && cd->d[i].tag == tag)
			return &cd->d[i];
	return NULL;
}

/* BER-TLV walk of p..p+n: each element's tag, value; fails on a malformed list. */
struct el {
	unsigned tag;
	const unsigned char *v;
	size_t len;
};

static size_t
tlv_list(const unsigned char *p, size_t n, struct el *out, size_t max)
{
	size_t i = 0, k = 0;

	while (i < n) {
		unsigned tag = p[i++];
		size_t len;

		if ((tag & 0x1F) == 0x1F) {
			assert_true(i < n);
			assert_false(p[i] & 0x80); /* two-byte tags only here */
			tag = tag << 8 | p[i++];
		}
		assert_true(i < n);
		len = p[i++];
		if (len == 0x81) {
			assert_true(i < n);
			len = p[i++];
			assert_true(len >= 128);
		} else
			assert_true(len < 128);
		assert_true(len <= n - i);
		assert_true(k < max);
		out[k++] = (struct el){tag, p + i, len};
		i += len;
	}
	return k;
}

/* The value of tag inside the record templates of the application (exactly once). */
static const struct el *
rec_tag(const struct card_data *cd, unsigned tag, struct el *all, size_t nall)
{
	const struct el *hit = NULL;

	for (size_t i = 0; i < nall; i++)
		if (all[i].tag == tag) {
			assert_null(hit);
			hit = &all[i];
		}
	(void)cd;
	return hit;
}

/* Every record of the debit application: 70 templates, well formed, <= 252 bytes. */
static size_t
all_record_tags(const struct card_data *cd, struct el *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < cd->n; i++) {
		const struct dgi *d = &cd->d[i];
		struct el t[1];

		if (d->app != 1 || (d->tag >> 8) < 1 || (d->tag >> 8) > 10)
			continue;
		assert_int_equal(tlv_list(d->v, d->len, t, 1), 1);
		assert_int_equal(t[0].tag, 0x70);
		assert_true(t[0].len <= 252);
		assert_true(d->len <= 3 + 252); /* 70 81 L: a READ RECORD answer fits 256 */
		k += tlv_list(t[0].v, t[0].len, out + k, max - k);
	}
	return k;
}

static void
check_cvm_list(const struct el *e)
{
	static const unsigned char known[] = {0x01, 0x02, 0x1E, 0x1F};

	/* X (4) Y (4), then 2-byte rules (Book 3 §10.5, Annex C3) */
	assert_true(e->len >= 10 && (e->len - 8) % 2 == 0);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(e->v[i], 0);
	for (size_t i = 8; i < e->len; i += 2) {
		unsigned char code = e->v[i] & 0x3F;

		assert_false(e->v[i] & 0x80); /* RFU */
		assert_non_null(memchr(known, code, sizeof(known)));
		assert_true(e->v[i + 1] <= 0x09);
		if (i + 2 == e->len)
			assert_false(e->v[i] & 0x40); /* the last rule: nothing after it */
		else
			assert_true(e->v[i] & 0x40);
	}
	/* the default profile: online PIN for unattended and manual cash, then offline
	 * plaintext PIN, online PIN, signature, no CVM where the terminal supports it */
	assert_int_equal(e->len, 8 + 12);
	assert_memory_equal(e->v + 8, "\x42\x01\x42\x04\x41\x03\x42\x03\x5E\x03\x1F\x03", 12);
}

/* AFL entries: SFI 1..10, first <= last, signed count within, every record present; and
 * every record DGI is in the AFL. Fills sdata with the signed records' values. */
static size_t
check_afl(const struct card_data *cd, const unsigned char *afl, size_t len, unsigned char *sdata)
{
	size_t sl = 0, listed = 0, written = 0;

	assert_true(len > 0 && len % 4 == 0);
	for (size_t i = 0; i < len; i += 4) {
		unsigned sfi = afl[i] >> 3;

		assert_int_equal(afl[i] & 7, 0);
		assert_true(sfi >= 1 && sfi <= 10);
		assert_true(afl[i + 1] >= 1 && afl[i + 1] <= afl[i + 2]);
		assert_true(afl[i + 3] <= afl[i + 2] - afl[i + 1] + 1);
		for (unsigned r = afl[i + 1]; r <= afl[i + 2]; r++) {
			const struct dgi *d = find(cd, 1, sfi << 8 | r);
			struct el t[1];

			assert_non_null(d);
			listed++;
			if (r - afl[i + 1] < afl[i + 3]) {
				tlv_list(d->v, d->len, t, 1);
				memcpy(sdata + sl, t[0].v, t[0].len);
				sl += t[0].len;
			}
		}
	}
	for (size_t i = 0; i < cd->n; i++)
		written +=
			cd->d[i].app == 1 && (cd->d[i].tag >> 8) >= 1 && (cd->d[i].tag >> 8) <= 10;
	assert_int_equal(listed, written);
	return sl;
}

static void
check_pse(const struct card_data *cd)
{
	const struct dgi *d = find(cd, 0, 0x0101), *f = find(cd, 0, 0x9102);
	unsigned char want[64];
	int n;

	assert_non_null(d);
	assert_non_null(f);
	n = hex_decode("701B6119"
		       "4F08A000000333010101"
		       "500A50424F43204445424954"
		       "870101",
		       want, sizeof(want));
	assert_int_equal(d->len, (size_t)n);
	assert_memory_equal(d->v, want, (size_t)n);
	n = hex_decode("8801015F2D047A68656E", want, sizeof(want));
	assert_int_equal(f->len, (size_t)n);
	assert_memory_equal(f->v, want, (size_t)n);
}

static void
check_bn_product(const unsigned char *p, const unsigned char *q, size_t half,
		 const struct emv_pubkey *pub)
{
	BIGNUM *bp = BN_bin2bn(p, (int)half, NULL), *bq = BN_bin2bn(q, (int)half, NULL),
	       *n = BN_new(), *want = BN_bin2bn(pub->modulus, (int)pub->modulus_len, NULL);
	BN_CTX *ctx = BN_CTX_new();

	assert_int_equal(BN_mul(n, bp, bq, ctx), 1);
	assert_int_equal(BN_cmp(n, want), 0);
	BN_free(bp);
	BN_free(bq);
	BN_free(n);
	BN_free(want);
	BN_CTX_free(ctx);
}

/* 8201..8205: half the modulus each, then 80 00..; p * q is the certified modulus. */
static void
check_crt(const struct card_data *cd, const struct emv_cert_fields *icc)
{
	size_t half = icc->key.modulus_len / 2;
	const struct dgi *d[5];

	for (unsigned i = 0; i < 5; i++) {
		assert_non_null(d[i] = find(cd, 1, 0x8201 + i));
		assert_true(d[i]->secret);
		assert_int_equal(d[i]->len, (half / 16 + 1) * 16);
		assert_int_equal(d[i]->v[half], 0x80);
		for (size_t k = half + 1; k < d[i]->len; k++)
			assert_int_equal(d[i]->v[k], 0);
	}
	check_bn_product(d[4]->v, d[3]->v, half, &icc->key);
	/* the CRT components are secret: not one of them in the script's text */
	for (unsigned i = 0; i < 5; i++) {
		char hx[3 * 16 + 1];

		for (int j = 0; j < 16; j++)
			snprintf(hx + 3 * j, 4, "%02X ", d[i]->v[j]);
		hx[47] = '\0';
		assert_null(strstr((char *)cd->text.data, hx));
	}
}

static void
check_oda(const struct card_data *cd, struct el *all, size_t nall, const unsigned char *aip,
	  const unsigned char *sdata, size_t sl)
{
	const struct emv_issuer *is = t_issuer ? t_issuer : emv_fixture_issuer();
	const struct el *e90 = rec_tag(cd, 0x90, all, nall), *e93 = rec_tag(cd, 0x93, all, nall),
			*e8f = rec_tag(cd, 0x8F, all, nall), *e46 = rec_tag(cd, 0x9F46, all, nall),
			*e47 = rec_tag(cd, 0x9F47, all, nall),
			*e48 = rec_tag(cd, 0x9F48, all, nall),
			*e32 = rec_tag(cd, 0x9F32, all, nall), *e;
	struct emv_cert c = {0};
	struct emv_cert_fields f;
	unsigned char dac[2];

	assert_non_null(e90);
	assert_non_null(e8f);
	assert_non_null(e32);
	assert_int_equal(e8f->v[0], 0xF1);
	memcpy(c.cert, e90->v, c.cert_len = e90->len);
	memcpy(c.exponent, e32->v, c.exponent_len = e32->len);
	if ((e = rec_tag(cd, 0x92, all, nall)))
		memcpy(c.remainder, e->v, c.remainder_len = e->len);
	assert_int_equal(is->cert.remainder_len > 0, e != NULL);
	assert_int_equal(emv_issuer_cert_recover(t_ca ? t_ca : emv_fixture_ca(), &c, &f), 0);
	assert_memory_equal(f.key.modulus, is->pub.modulus, is->pub.modulus_len);
	/* SDA over exactly the AFL-marked records, then the AIP (9F4A = 82) */
	assert_non_null(e93);
	assert_int_equal(emv_sda_verify(&is->pub, e93->v, e93->len, sdata, sl, dac), 0);
	assert_true(emv_sda_verify(&is->pub, e93->v, e93->len, sdata, sl - 2, dac) < 0);
	if (prof.oda == BANK_ODA_SDA) {
		assert_null(e46);
		assert_null(find(cd, 1, 0x8201));
		assert_int_equal(aip[0] & 0x21, 0);
		return;
	}
	assert_int_equal(aip[0] & 0x20, 0x20);
	assert_int_equal(aip[0] & 0x01, prof.oda == BANK_ODA_CDA ? 0x01 : 0);
	assert_non_null(e46);
	assert_non_null(e47);
	memset(&c, 0, sizeof(c));
	memcpy(c.cert, e46->v, c.cert_len = e46->len);
	memcpy(c.exponent, e47->v, c.exponent_len = e47->len);
	if (e48)
		memcpy(c.remainder, e48->v, c.remainder_len = e48->len);
	assert_int_equal(emv_icc_cert_recover(&is->pub, &c, sdata, sl, &f), 0);
	assert_int_equal(f.key.modulus_len * 8, prof.icc_key_bits);
	assert_memory_equal(f.serial, "\x0A\x0B\x0C", 3); /* the card's icc_serial */
	check_crt(cd, &f);
}

static void
assert_value(const struct el *e, const char *hex)
{
	unsigned char want[64];
	size_t n = hxn(hex, want, sizeof(want));

	assert_non_null(e);
	assert_int_equal(e->len, n);
	assert_memory_equal(e->v, want, n);
}

static void
check_records(const struct card_data *cd, struct el *all, size_t nall)
{
	static const unsigned need[] = {0x57,	0x5A,	0x5F20, 0x5F24, 0x5F25, 0x5F28,
					0x5F30, 0x5F34, 0x9F07, 0x9F08, 0x9F0D, 0x9F0E,
					0x9F0F, 0x8C,	0x8D,	0x8E,	0x9F42, 0x9F44,
					0x9F49, 0x9F4A, 0x8F,	0x90,	0x9F32, 0x93};
	static const unsigned cdol1[] = {0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37};
	const struct el *e;

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!rec_tag(cd, need[i], all, nall))
			fail_msg("tag %X is in no record", need[i]);
	assert_value(rec_tag(cd, 0x5A, all, nall), t_5a ? t_5a : "6212260000000012345F");
	assert_value(rec_tag(cd, 0x57, all, nall),
		     t_57 ? t_57 : "6212260000000012345D361122000000");
	assert_value(rec_tag(cd, 0x5F20, all, nall), "202F"); /* " /": no Latin name */
	assert_value(rec_tag(cd, 0x5F24, all, nall), "361125");
	assert_value(rec_tag(cd, 0x5F25, all, nall), "261126");
	assert_value(rec_tag(cd, 0x5F28, all, nall), "0156");
	assert_value(rec_tag(cd, 0x9F42, all, nall), "0156");
	assert_value(rec_tag(cd, 0x9F44, all, nall), "02");
	assert_value(rec_tag(cd, 0x5F30, all, nall), "0220");
	assert_value(rec_tag(cd, 0x5F34, all, nall), "01");
	assert_value(rec_tag(cd, 0x9F07, all, nall), "FF00");
	assert_value(rec_tag(cd, 0x9F08, all, nall), "0030");
	assert_value(rec_tag(cd, 0x9F4A, all, nall), "82");
	assert_value(rec_tag(cd, 0x9F0D, all, nall), "DC4000A800");
	assert_value(rec_tag(cd, 0x9F0E, all, nall), "0010000000");
	assert_value(rec_tag(cd, 0x9F0F, all, nall), "DC4004F800");
	assert_value(rec_tag(cd, 0x9F49, all, nall), "9F3704");
	e = rec_tag(cd, 0x8C, all, nall);
	for (size_t i = 0; i < sizeof(cdol1) / sizeof(cdol1[0]); i++)
		assert_true(bank_dol_has(e->v, e->len, cdol1[i]));
	check_cvm_list(rec_tag(cd, 0x8E, all, nall));
}

static void
assert_dgi(const struct dgi *d, const char *hex)
{
	unsigned char want[128];
	size_t n = hxn(hex, want, sizeof(want));

	assert_non_null(d);
	assert_true(n > 0);
	assert_int_equal(d->len, n);
	assert_memory_equal(d->v, want, n);
}

static void
check_card(void)
{
	struct card_data *cd;
	struct el all[64], g[4];
	unsigned char sdata[1024];
	const struct dgi *d;
	size_t nall, sl;

	cd = card_new();
	check_pse(cd);
	nall = all_record_tags(cd, all, 64);
	check_records(cd, all, nall);
	/* 9104: 82 AIP then 94 AFL */
	assert_non_null(d = find(cd, 1, 0x9104));
	assert_int_equal(tlv_list(d->v, d->len, g, 4), 2);
	assert_int_equal(g[0].tag, 0x82);
	assert_int_equal(g[0].len, 2);
	assert_int_equal(g[0].v[0] & 0x5C, 0x5C); /* SDA, CV, TRM, issuer authentication */
	assert_int_equal(g[1].tag, 0x94);
	/* SFI 1: 57 signed, 5F20 not; SFI 2: both signed; SFI 3: certificates */
	if (find(cd, 1, 0x0304)) {
		assert_int_equal(g[1].len, 12);
		assert_memory_equal(g[1].v, "\x08\x01\x02\x01\x10\x01\x02\x02\x18\x01\x05\x00", 12);
	} else {
		assert_int_equal(g[1].len, 12);
		assert_memory_equal(g[1].v, "\x08\x01\x02\x01\x10\x01\x02\x02\x18\x01\x03\x00", 12);
	}
	sl = check_afl(cd, g[1].v, g[1].len, sdata);
	/* the signed data starts with record 1 of SFI 1: 57 */
	assert_int_equal(sdata[0], 0x57);
	memcpy(sdata + sl, g[0].v, 2);
	check_oda(cd, all, nall, g[0].v, sdata, sl + 2);
	/* 9102: label, priority, PDOL, language, code table, preferred name */
	assert_dgi(find(cd, 1, 0x9102), "500A50424F43204445424954"
					"870101"
					"9F38039F1A02"
					"5F2D047A68656E"
					"9F110101"
					"9F120A49434243204445424954");
	/* 0D01: LCOL, UCOL, ADA, IAD template (DKI 01, CVN 01, 3DES), last online ATC 0 */
	assert_dgi(find(cd, 1, 0x0D01), "9F140100"
					"9F230100"
					"9F52020000"
					"9F1008070101030000000"
					"1"
					"9F13020000");
	/* keys, PIN block (ISO 9564 format 2, padded 80 00..), tries */
	assert_non_null(d = find(cd, 1, 0x8000));
	assert_true(d->secret);
	assert_int_equal(d->len, 48);
	assert_non_null(d = find(cd, 1, 0x8010));
	assert_true(d->secret);
	assert_dgi(d, "26123456FFFFFFFF8000000000000000");
	assert_dgi(find(cd, 1, 0x9010), "0303");
	assert_null(strstr((char *)cd->text.data, "26 12 34 56 FF"));
	card_done(cd);
}

static void
test_dda(void **state)
{
	profile_test_pin();
	check_card();
}

static void
test_cda(void **state)
{
	profile_test_pin();
	prof.oda = BANK_ODA_CDA;
	prof.icc_key_bits = 1152;
	check_card();
}

static void
test_sda(void **state)
{
	profile_test_pin();
	prof.oda = BANK_ODA_SDA;
	check_card();
}

/* session_key = pboc: 0D01 carries DF01 02 after what an EMV bank's holds (unchanged). */
static void
test_session_key_pboc(void **state)
{
	struct card_data *cd;

	bank_profile_default("ICBC", &prof);
	assert_int_equal(prof.session_key, EMV_AC_SKD_EMV);
	assert_int_equal(bank_profile_parse("ICBC.ini", "[keys]\nsession_key = pboc\n", &prof), 0);
	assert_int_equal(prof.session_key, EMV_AC_SKD_PBOC);
	prof.oda = BANK_ODA_SDA;
	cd = card_new();
	assert_dgi(find(cd, 1, 0x0D01), "9F140100"
					"9F230100"
					"9F52020000"
					"9F10080701010300000001"
					"9F13020000"
					"DF010102");
	card_done(cd);
}

/* A random initial PIN: 6 digits in a well-formed block, different on two cards. */
static void
test_random_pin(void **state)
{
	struct card_data *a, *b;
	const struct dgi *pa, *pb;

	profile_sda();
	a = card_new();
	b = card_new();
	assert_non_null(pa = find(a, 1, 0x8010));
	assert_non_null(pb = find(b, 1, 0x8010));
	assert_int_equal(pa->v[0], 0x26);
	for (int i = 1; i < 4; i++)
		assert_true((pa->v[i] >> 4) <= 9 && (pa->v[i] & 15) <= 9);
	assert_memory_equal(pa->v + 4, "\xFF\xFF\xFF\xFF\x80", 5);
	/* 1 in 10^6 to be equal by chance */
	assert_memory_not_equal(pa->v, pb->v, 4);
	card_done(a);
	card_done(b);
}

/* 9F11 is n 2: code table 10 is written 10 (BCD), not 0A. */
static void
test_code_table_bcd(void **state)
{
	struct card_data *cd;
	struct el f[8];
	size_t n;
	int seen = 0;

	profile_sda();
	assert_int_equal(
		bank_profile_parse("ICBC.ini", "[application]\nissuer_code_table = 10\n", &prof),
		0);
	cd = card_new();
	n = tlv_list(find(cd, 1, 0x9102)->v, find(cd, 1, 0x9102)->len, f, 8);
	for (size_t i = 0; i < n; i++)
		if (f[i].tag == 0x9F11) {
			assert_int_equal(f[i].len, 1);
			assert_int_equal(f[i].v[0], 0x10);
			seen = 1;
		}
	assert_true(seen);
	card_done(cd);
}

static int build_one(struct perso_card *c, struct perso_masters *m, struct perso_params *p);

/* A 16-digit PAN: 5A has no padding, 57 (odd number of digits) ends with F; the ICC
 * certificate's PAN is padded with F to 10 bytes (checked by its recovery). */
static void
test_pan16(void **state)
{
	profile_test_pin();
	t_pan = "6212260000001234";
	t_5a = "6212260000001234";
	t_57 = "6212260000001234D361122000000F";
	check_card();
	t_pan = t_5a = t_57 = NULL;
}

/* The largest keys EMV allows: CA, issuer and ICC keys of 1984 bits. 9F46 (248 bytes,
 * 9F46 81 F8) makes a record of exactly 252 bytes of value; a record that would be longer
 * (here an issuer certificate remainder no certificate has) is refused. */
static void
test_1984(void **state)
{
	static const unsigned char id[4] = {0x62, 0x12, 0x26, 0xFF}, exp[2] = {0x12, 0x40},
				   serial[3] = {0, 0, 2};
	EVP_PKEY *ca = EVP_RSA_gen(1984);
	struct emv_issuer *is = calloc(1, sizeof(*is));
	struct emv_pubkey cap;
	struct card_data *cd;
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	const struct dgi *d;

	*is = *emv_fixture_issuer();
	assert_non_null(ca);
	assert_non_null(is->key = EVP_RSA_gen(1984));
	assert_int_equal(emv_pubkey_from_pkey(ca, &cap), 0);
	assert_int_equal(emv_pubkey_from_pkey(is->key, &is->pub), 0);
	assert_int_equal(emv_issuer_cert_make(ca, &is->pub, id, exp, serial, &is->cert), 0);
	is->ca_len = cap.modulus_len;
	t_issuer = is;
	t_ca = &cap;
	profile_test_pin();
	prof.icc_key_bits = 1984;
	check_card();
	cd = card_new();
	assert_non_null(d = find(cd, 1, 0x0304));
	assert_int_equal(d->len, 3 + 252);
	assert_memory_equal(d->v, "\x70\x81\xFC\x9F\x46\x81\xF8", 7);
	card_done(cd);
	/* a record longer than 252 bytes: refused, the run's other cards unaffected */
	is->cert.remainder_len = 248;
	sample(&c, &m, &p);
	assert_int_equal(build_one(&c, &m, &p), CP_ERR_LIMIT);
	assert_non_null(
		strstr(cp_errmsg(), "PBOC record 1 of SFI 3 would be longer than 252 bytes"));
	cp_err_clear();
	t_issuer = NULL;
	t_ca = NULL;
	EVP_PKEY_free(is->key);
	EVP_PKEY_free(ca);
	free(is);
}

/* One card built alone: the result of perso_script_build. */
static int
build_one(struct perso_card *c, struct perso_masters *m, struct perso_params *p)
{
	struct buf out = BUF_INIT(1 << 20);
	int r = perso_script_build(c, m, p, &out);

	buf_release_secret(&out);
	return r;
}

/* EMV reads YY 50..99 as 19YY: a card expiring in 2050 or later is refused as card data. */
static void
test_expiry_2050(void **state)
{
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	struct emv_issuer is;

	profile_sda();
	sample(&c, &m, &p);
	is = *m.issuer;
	is.expiry[0] = 0x12; /* an issuer certificate to 12/2049 */
	is.expiry[1] = 0x49;
	m.issuer = &is;
	snprintf(c.expiry_date, sizeof(c.expiry_date), "2049-12-31");
	assert_int_equal(build_one(&c, &m, &p), 0);
	snprintf(c.expiry_date, sizeof(c.expiry_date), "2050-01-31");
	assert_int_equal(build_one(&c, &m, &p), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "card B00001234: expiry 2050-01-31"));
	assert_non_null(strstr(cp_errmsg(), "must expire before 2050"));
	snprintf(c.expiry_date, sizeof(c.expiry_date), "2066-11-25");
	assert_int_equal(build_one(&c, &m, &p), CP_ERR_INVALID);
	cp_err_clear();
}

/* What the issuer key signs is verified with its public key before the card leaves: a
 * signing key whose public half differs (as a faulty signature would) makes the card an
 * error, naming it and the signature; with the right key the same card builds. */
static void
test_signature_verified(void **state)
{
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	struct emv_issuer is;
	EVP_PKEY *other = EVP_RSA_gen(1152);

	assert_non_null(other);
	for (int oda = 0; oda < 2; oda++) {
		if (oda)
			profile_test_pin(); /* DDA: 93 is signed (and checked) before 9F46 */
		else
			profile_sda();
		sample(&c, &m, &p);
		is = *m.issuer;
		m.issuer = &is;
		assert_int_equal(build_one(&c, &m, &p), 0);
		assert_int_equal(emv_pubkey_from_pkey(other, &is.pub), 0);
		assert_int_equal(build_one(&c, &m, &p), CP_ERR_CRYPTO);
		/* which check of the recovery fails first depends on the random key */
		assert_non_null(strstr(cp_errmsg(), "card B00001234: signed static data (93) "
						    "fails verification with the issuer public "
						    "key: signed static data: "));
		cp_err_clear();
		is.pub = emv_fixture_issuer()->pub;
		assert_int_equal(build_one(&c, &m, &p), 0);
	}
	EVP_PKEY_free(other);
}

/* A card expiring after its bank's issuer certificate is refused as card data (held). */
static void
test_issuer_cert_expiry(void **state)
{
	struct perso_card c;
	struct perso_masters m;
	struct perso_params p;
	struct emv_issuer is;

	profile_sda();
	sample(&c, &m, &p);
	is = *m.issuer;
	is.expiry[0] = 0x11; /* 11/2036: the card's own expiry month is still covered */
	is.expiry[1] = 0x36;
	m.issuer = &is;
	assert_int_equal(build_one(&c, &m, &p), 0);
	assert_int_equal(pboc_issuer_covers(&is, "ICBC", "2036-11-25"), 0);
	is.expiry[0] = 0x10;
	assert_int_equal(build_one(&c, &m, &p), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "issuer-cert-expires: bank ICBC's issuer "
					    "certificate expires 10/2036, before the card "
					    "(expiry 2036-11-25)"));
	is.expiry[0] = 0x12;
	is.expiry[1] = 0x35;
	assert_int_equal(pboc_issuer_covers(&is, "ICBC", "2036-01-31"), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "would fail from 01/2036"));
	cp_err_clear();
}

/* A DGI longer than one STORE DATA goes over several; it reads back whole. */
static void
test_long_dgi(void **state)
{
	struct buf out = BUF_INIT(1 << 16);
	struct emitter e = {&out, 0, 0, tk};
	unsigned char v[600];
	struct perso_script *s = NULL;
	struct card_data *cd = calloc(1, sizeof(*cd));
	unsigned char pend[2048];
	size_t np = 0, pc = 0;

	for (size_t i = 0; i < sizeof(v); i++)
		v[i] = (unsigned char)i;
	assert_int_equal(buf_appendf(&out, "#@ format 1\n#@ card X\n"), 0);
	assert_int_equal(store_dgi(&e, "T", 0x0201, v, 200, 0, 0), 0);
	assert_int_equal(e.ncmds, 1);
	assert_int_equal(store_dgi(&e, "T", 0x0202, v, 300, 0, 0), 0);
	assert_int_equal(e.ncmds, 3);
	assert_int_equal(store_dgi(&e, "T", 0x0203, v, 600, 0, 1), 0);
	assert_int_equal(e.ncmds, 6);
	assert_true(store_dgi(&e, "T", 0x8201, v, 240, 1, 0) < 0); /* secret: one command */
	assert_true(store_dgi(&e, "T", 0x0204, v, 2000, 0, 0) < 0);
	{
		/* an end line over what was written */
		unsigned char md[32];
		char mh[65];

		assert_int_equal(cp_sha256(out.data, out.len, md), 0);
		hex_encode(md, 32, mh);
		assert_int_equal(buf_appendf(&out, "#@ end %zu %s\n", e.ncmds, mh), 0);
	}
	assert_int_equal(perso_script_parse((char *)out.data, out.len, "t", &s), 0);
	for (size_t i = 0; i < perso_script_count(s); i++)
		take(cd, 1, perso_script_cmd(s, i), pend, &np, &pc);
	assert_int_equal(cd->n, 3);
	assert_int_equal(cd->d[1].len, 300);
	assert_int_equal(cd->d[1].ncmds, 2);
	assert_memory_equal(cd->d[1].v, v, 300);
	assert_int_equal(cd->d[2].len, 600);
	assert_int_equal(cd->d[2].ncmds, 3);
	assert_memory_equal(cd->d[2].v, v, 600);
	/* the last-block bit only on the last command */
	assert_false(perso_script_cmd(s, 4)->apdu[2] & 0x80);
	assert_true(perso_script_cmd(s, 5)->apdu[2] & 0x80);
	perso_script_free(s);
	buf_release(&out);
	free(cd);
}

static void
test_holder_name(void **state)
{
	char n[27];

	assert_int_equal(pboc_holder_name("张三", n), 2);
	assert_string_equal(n, " /");
	/* the parts known ("SURNAME, GIVEN"): ISO 7813 SURNAME/GIVEN */
	assert_int_equal(pboc_holder_name("O'Neil-Smith, John", n), 17);
	assert_string_equal(n, "O'NEIL-SMITH/JOHN");
	assert_int_equal(pboc_holder_name("  Smith ,  John  Peter ", n), 17);
	assert_string_equal(n, "SMITH/JOHN  PETER");
	/* the given names are cut first */
	assert_int_equal(pboc_holder_name("Schmidt, Maximilian Alexander Wolfgang", n), 26);
	assert_string_equal(n, "SCHMIDT/MAXIMILIAN ALEXAND");
	assert_int_equal(pboc_holder_name("Abcdefghijklmnopqrstuvwxyzabc, Jo", n), 26);
	assert_string_equal(n, "ABCDEFGHIJKLMNOPQRSTUVWXY/");
	/* no parts: the order of a bare name is unknown, so no name */
	assert_int_equal(pboc_holder_name("SMITH JOHN", n), 2);
	assert_string_equal(n, " /");
	assert_int_equal(pboc_holder_name("Smith, John, Jr", n), 2);
	assert_int_equal(pboc_holder_name(", John", n), 2);
	assert_int_equal(pboc_holder_name("Zoë, Anna", n), 2);
	assert_int_equal(pboc_holder_name("A", n), 2);
	assert_int_equal(pboc_holder_name("Zoë", n), 2);
}

/* ---- bank profiles ---- */

static void
expect_error(const char *text, const char *want)
{
	struct bank_profile p;

	bank_profile_default("ICBC", &p);
	assert_int_equal(bank_profile_parse("ICBC.ini", text, &p), CP_ERR_FORMAT);
	if (!strstr(cp_errmsg(), want))
		fail_msg("error '%s' lacks '%s'", cp_errmsg(), want);
}

static void
test_profile_errors(void **state)
{
	expect_error("[oda]\nmethod = rsa\n", "ICBC.ini:2: [oda] method: 'rsa' is not sda, dda");
	expect_error("[oda]\nicc_key_bits = 1000\n", "ICBC.ini:2: [oda] icc_key_bits:");
	expect_error("\n[application]\ncdol1 = 9F0206 9F0306\n",
		     "ICBC.ini:3: [application] cdol1: tag 9F1A is missing");
	expect_error("[application]\ncdol1 = 9F02\n", "cdol1: not a data object list");
	expect_error("[application]\nlabel = 中国银行\n", "printable ASCII only");
	expect_error("[application]\nlabel = ABCDEFGHIJKLMNOPQ\n", "is not 1 to 16 characters");
	expect_error("\n[application]\nlabel = PBOC-DEBIT\n",
		     "ICBC.ini:3: [application] label: 'PBOC-DEBIT': letters, digits and space");
	expect_error("[application]\nlabel = DEBIT*\n", "special characters limited to space");
	expect_error("[application]\npriority = 71\n", "bits b7-b5 are RFU");
	expect_error("[application]\nlanguage = ZH\n", "[application] language:");
	expect_error("[risk]\niac_online = DC4004F8\n", "[risk] iac_online: 'DC4004F8' is not 5");
	expect_error("[risk]\ncvm = offline-pin, fingerprint\n", "'fingerprint' is not");
	expect_error("[risk]\ncvm = signature, signature\n", "'signature' given twice");
	expect_error("[risk]\ncvm = online-pin@atm\n", "condition 'atm' is not always");
	expect_error("[risk]\nlcol = 300\n", "[risk] lcol: '300' is not a number 0..255");
	expect_error("[pin]\ninitial_pin = test:12\n", "test PIN '12' is not 4 to 12 digits");
	expect_error("[pin]\ninitial_pin = 1234\n", "is not random or test:NNNN");
	expect_error("[pin]\ntries = 0\n", "[pin] tries:");
	expect_error("[keys]\nimk_ac = bank ICBC\n", "is not a key store name");
	expect_error("[oda]\nmethod = dda\nmethod = sda\n",
		     "ICBC.ini:3: [oda] method: given twice");
	expect_error("[keys]\nsession_key = visa\n",
		     "ICBC.ini:2: [keys] session_key: 'visa' is not emv (EMV Book 2 A1.3) or pboc");
	expect_error("[oda]\ncolour = red\n", "[oda] colour: unknown key");
	expect_error("[bins]\nx = 1\n", "unknown section [bins]");
	expect_error("label = x\n", "a key before the first [section]");
	expect_error("[oda\n", "ICBC.ini:1: syntax error");
}

static void
test_profile_override(void **state)
{
	struct bank_profile p;

	bank_profile_default("BOB", &p);
	assert_string_equal(p.preferred_name, "BOB DEBIT");
	assert_string_equal(p.imk[0], "bank.BOB.mk-ac");
	assert_int_equal(p.oda, BANK_ODA_DDA);
	assert_int_equal(bank_profile_parse("BOB.ini",
					    "[application]\npreferred_name = {bank} CARD\n"
					    "[risk]\ncvm = online-pin@manual-cash, signature\n"
					    "[keys]\nimk_ac = {bank}.emv.ac\n"
					    "[oda]\nmethod = cda\n[pin]\ninitial_pin = test:1234\n",
					    &p),
			 0);
	assert_string_equal(p.preferred_name, "BOB CARD");
	assert_string_equal(p.imk[0], "BOB.emv.ac");
	assert_string_equal(p.imk[1], "bank.BOB.mk-smi"); /* untouched */
	assert_int_equal(p.ncvm, 2);
	assert_int_equal(p.cvm[0], BANK_CVM_ONLINE_PIN);
	assert_int_equal(p.cvm_cond[0], 0x04);
	assert_int_equal(p.cvm_cond[1], 0x03);
	assert_int_equal(p.oda, BANK_ODA_CDA);
	assert_string_equal(p.test_pin, "1234");
	/* a failed parse leaves the profile as it was */
	assert_true(bank_profile_parse("BOB.ini", "[oda]\nmethod = x\n", &p) < 0);
	assert_int_equal(p.oda, BANK_ODA_CDA);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *p = fs_join(dir, name);

	assert_int_equal(fs_write_atomic(p, text, strlen(text), 0600), 0);
	free(p);
}

static void
test_profile_dir(void **state)
{
	char dir[] = "/tmp/test_pboc_profilesXXXXXX", tried[512], *shipped;
	struct bank_profiles set;
	struct bank_profile def;

	assert_non_null(mkdtemp(dir));
	/* no folder: the built-ins for every bank */
	assert_int_equal(bank_profiles_load(NULL, "ICBC,BOB", &set), 0);
	assert_int_equal(set.n, 2);
	bank_profiles_release(&set);
	write_file(dir, "default.ini", "[oda]\nmethod = sda\n");
	write_file(dir, "BOB.ini", "[oda]\nmethod = cda\n");
	assert_int_equal(bank_profiles_load(dir, "ICBC,BOB", &set), 0);
	assert_int_equal(bank_profiles_find(&set, "ICBC")->oda, BANK_ODA_SDA);
	assert_int_equal(bank_profiles_find(&set, "BOB")->oda, BANK_ODA_CDA);
	assert_null(bank_profiles_find(&set, "CCB"));
	bank_profiles_release(&set);
	/* a TEST ONLY PIN only with a TEST ONLY key store */
	write_file(dir, "BOB.ini", "[pin]\ninitial_pin = test:123456\n");
	assert_int_equal(bank_profiles_load(dir, "ICBC,BOB", &set), 0);
	assert_int_equal(bank_profiles_check_test_pins(&set, 1), 0);
	assert_int_equal(bank_profiles_check_test_pins(&set, 0), CP_ERR_CONFIG);
	assert_non_null(strstr(cp_errmsg(), "bank BOB's profile: initial_pin = test:"));
	bank_profiles_release(&set);
	/* a bad file stops the load with its name and line */
	write_file(dir, "BOB.ini", "[oda]\n\nmethod = ecc\n");
	assert_int_equal(bank_profiles_load(dir, "ICBC,BOB", &set), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "BOB.ini:3: [oda] method"));
	/* a profile of no cooperating bank */
	write_file(dir, "BOB.ini", "[oda]\nmethod = dda\n");
	write_file(dir, "XYZ.ini", "[oda]\nmethod = dda\n");
	assert_int_equal(bank_profiles_load(dir, "ICBC,BOB", &set), CP_ERR_CONFIG);
	assert_non_null(strstr(cp_errmsg(), "bank 'XYZ' is not in banks.cooperating"));
	/* the shipped default.ini says exactly the built-in values */
	assert_non_null(shipped = fs_find_data("bank-profiles", tried, sizeof(tried)));
	assert_int_equal(bank_profiles_load(shipped, "ICBC", &set), 0);
	bank_profile_default("ICBC", &def);
	assert_memory_equal(bank_profiles_find(&set, "ICBC"), &def, sizeof(def));
	bank_profiles_release(&set);
	free(shipped);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dda),
		cmocka_unit_test(test_cda),
		cmocka_unit_test(test_sda),
		cmocka_unit_test(test_session_key_pboc),
		cmocka_unit_test(test_random_pin),
		cmocka_unit_test(test_long_dgi),
		cmocka_unit_test(test_code_table_bcd),
		cmocka_unit_test(test_expiry_2050),
		cmocka_unit_test(test_issuer_cert_expiry),
		cmocka_unit_test(test_signature_verified),
		cmocka_unit_test(test_pan16),
		cmocka_unit_test(test_1984),
		cmocka_unit_test(test_holder_name),
		cmocka_unit_test(test_profile_errors),
		cmocka_unit_test(test_profile_override),
		cmocka_unit_test(test_profile_dir),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	emv_fixture_release();
	return r;
}
