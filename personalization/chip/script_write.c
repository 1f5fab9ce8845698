/*
 * script_write.c - one card's perso script (see script.h; docs/perso-script-format.md).
 *
 * Order: the ISD is selected and SCP03 is open when the script starts. First the GP
 * personalisation of the PSE and the PBOC debit application (pboc_data.c), then of the
 * transport and SSSE applications (INSTALL [for personalization], then STORE DATA: one
 * command per DGI, a long plain DGI continued over several, key DGIs under the transport
 * key), then the SSSE record files EF05 and EF06 (SELECT, UPDATE RECORD). EF05 record 1
 * (卡识别码) is the chip's own, written at chip initialisation; the encoder reads it.
 */
#include "personalization/chip/script.h"

#include "core/err.h"
#include "core/hex.h"
#include "core/mem.h"
#include "formats/cardno.h"
#include "personalization/chip/pboc_data.h"
#include "personalization/chip/script_emit.h"
#include "personalization/crypto/cipher.h"
#include "personalization/crypto/gp.h"
#include "personalization/crypto/hash.h"
#include "personalization/crypto/kcv.h"
#include "personalization/crypto/random.h"
#include "personalization/crypto/secmem.h"

#include <stdio.h>
#include <string.h>

static const unsigned char aid_ssse[] = {0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9,
					 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF};
static const unsigned char aid_transport[] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05};

#define P1_STORE 0x28 /* DGI format, application-dependent encryption (8xxx DGIs) */
#define P1_LAST 0x80

/* Decimal digits of v at out; returns how many. */
static size_t
put_uint(char *out, size_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(tmp));
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* A label "<prefix><suffix><4 hex or decimal>" without printf (hot path). */
static void
make_label(char *out, size_t size, const char *prefix, const char *suffix, unsigned v, int hex)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t pl = strlen(prefix), sl = strlen(suffix), o;

	if (pl + sl + 8 > size) {
		out[0] = '\0';
		return;
	}
	memcpy(out, prefix, pl);
	memcpy(out + pl, suffix, sl);
	o = pl + sl;
	if (hex)
		for (int i = 3; i >= 0; i--)
			out[o++] = hx[(v >> (4 * i)) & 15];
	else
		o += put_uint(out + o, v);
	out[o] = '\0';
}

/* "XX XX XX" of n bytes into out (3n - 1 characters, no terminator); returns the length. */
static size_t
hex_spaced(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (i)
			out[o++] = ' ';
		out[o++] = hx[p[i] >> 4];
		out[o++] = hx[p[i] & 15];
	}
	return o;
}

/* One APDU line: CLA INS P1 P2 [Lc data] [sens=OFF:LEN] label=NAME. Built by hand: this
 * runs some 30 times per card, and printf would be most of perso's time. */
static int
emit_apdu(struct emitter *e, unsigned char cla, unsigned char ins, unsigned char p1,
	  unsigned char p2, const unsigned char *data, size_t len, int le, size_t sens_off,
	  size_t sens_len, const char *label)
{
	unsigned char apdu[5 + 239 + 1];
	char line[3 * sizeof(apdu) + 96];
	size_t n = 4, o, ll = strlen(label);
	int r;

	if (len > 239)
		return cp_err(CP_ERR_LIMIT, "%s: %zu bytes of command data (at most 239)", label,
			      len);
	if (ll > 48)
		return cp_err(CP_ERR_INVALID, "label '%s' too long", label);
	apdu[0] = cla;
	apdu[1] = ins;
	apdu[2] = p1;
	apdu[3] = p2;
	if (len) {
		apdu[4] = (unsigned char)len;
		memcpy(apdu + 5, data, len);
		n = 5 + len;
	}
	if (le)
		apdu[n++] = 0x00; /* Le: the command answers data (case 4) */
	o = hex_spaced(apdu, n, line);
	if (sens_len) {
		memcpy(line + o, "  sens=", 7);
		o += 7;
		o += put_uint(line + o, sens_off);
		line[o++] = ':';
		o += put_uint(line + o, sens_len);
	}
	memcpy(line + o, sens_len ? " label=" : "  label=", sens_len ? 7 : 8);
	o += sens_len ? 7 : 8;
	memcpy(line + o, label, ll);
	o += ll;
	line[o++] = '\n';
	r = buf_append(e->out, line, o);
	cp_memzero(apdu, sizeof(apdu));
	if (r < 0)
		return r;
	e->ncmds++;
	return 0;
}

static int
emit(struct emitter *e, unsigned char cla, unsigned char ins, unsigned char p1, unsigned char p2,
     const unsigned char *data, size_t len, size_t sens_off, size_t sens_len, const char *label)
{
	return emit_apdu(e, cla, ins, p1, p2, data, len, 0, sens_off, sens_len, label);
}

/* INSTALL [for personalization] answers one byte 00 (GPCS 11.5.3): sent with Le. */
int
install_for_perso(struct emitter *e, const unsigned char *aid, size_t aid_len, const char *label)
{
	unsigned char d[3 + 16 + 3] = {0x00, 0x00, (unsigned char)aid_len};

	memcpy(d + 3, aid, aid_len);
	memset(d + 3 + aid_len, 0, 3);
	e->store_block = 0;
	return emit_apdu(e, 0x80, 0xE6, 0x20, 0x00, d, 6 + aid_len, 1, 0, 0, label);
}

/* One STORE DATA command of a DGI's bytes; sens bytes at sens_off are ciphertext. */
static int
store_cmd(struct emitter *e, const char *app, unsigned tag, const unsigned char *d, size_t n,
	  size_t sens_off, size_t sens_len, int last)
{
	char label[48];

	make_label(label, sizeof(label), app, "_DGI_", tag, 1);
	return emit(e, 0x80, 0xE2, (unsigned char)(P1_STORE | (last ? P1_LAST : 0)),
		    (unsigned char)e->store_block++, d, n, sens_off, sens_len, label);
}

int
store_dgi(struct emitter *e, const char *app, unsigned tag, const unsigned char *v, size_t len,
	  int secret, int last)
{
	unsigned char d[STORE_DATA_MAX];
	size_t hl = gp_dgi_header(tag, len, d), done = 0;
	int r = 0;

	if (len > DGI_MAX)
		return cp_err(CP_ERR_LIMIT, "%s DGI %04X of %zu bytes (at most %d)", app, tag, len,
			      DGI_MAX);
	if (secret) {
		/* the encoder re-encrypts a secret value as a whole: it stays in one command */
		if (len % 16 || len == 0)
			return cp_err(CP_ERR_INVALID, "secret DGI %04X is not whole blocks", tag);
		if (hl + len > STORE_DATA_MAX)
			return cp_err(CP_ERR_LIMIT,
				      "%s secret DGI %04X of %zu bytes does not fit "
				      "one STORE DATA",
				      app, tag, len);
		if ((r = cp_cbc_encrypt(CP_ALG_AES, e->tk, 32, NULL, v, len, d + hl)) >= 0)
			r = store_cmd(e, app, tag, d, hl + len, hl, len, last);
		cp_memzero(d, sizeof(d));
		return r;
	}
	do {
		size_t k = len - done < STORE_DATA_MAX - hl ? len - done : STORE_DATA_MAX - hl;

		memcpy(d + hl, v + done, k);
		done += k;
		r = store_cmd(e, app, tag, d, hl + k, 0, 0, last && done == len);
		hl = 0; /* the value continues in the next command */
	} while (r >= 0 && done < len);
	cp_memzero(d, sizeof(d));
	return r;
}

int
store_keys(struct emitter *e, const char *app, unsigned tag, unsigned kcv_tag,
	   unsigned char keys[3][16], enum cp_alg alg, int last)
{
	unsigned char *v = cp_secure_zalloc(48), kcv[9];
	int r = 0;

	for (int i = 0; i < 3 && r >= 0; i++) {
		memcpy(v + 16 * i, keys[i], 16);
		r = cp_kcv(alg, keys[i], 16, kcv + 3 * i);
	}
	if (r >= 0 && (r = store_dgi(e, app, tag, v, 48, 1, 0)) >= 0)
		r = store_dgi(e, app, kcv_tag, kcv, 9, 0, last);
	cp_secure_free(v, 48);
	return r;
}

static int
tlv(unsigned char *p, size_t *n, unsigned tag, const unsigned char *v, size_t len)
{
	if (tag > 0xFF)
		p[(*n)++] = (unsigned char)(tag >> 8);
	p[(*n)++] = (unsigned char)tag;
	p[(*n)++] = (unsigned char)len;
	memcpy(p + *n, v, len);
	*n += len;
	return 0;
}

/* Digits into BCD, right-padded with F to whole bytes. */
static size_t
bcd_f(const char *digits, unsigned char *out)
{
	size_t n = strlen(digits), nb = (n + 1) / 2;

	for (size_t i = 0; i < nb; i++) {
		int hi = digits[2 * i] - '0';
		int lo = 2 * i + 1 < n ? digits[2 * i + 1] - '0' : 0xF;

		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return nb;
}

static int
transport(struct emitter *e, const struct perso_card *c, const struct perso_params *p,
	  struct card_keys *k)
{
	unsigned char v[64], d[30], iss[4], exp[4], f[8];
	char tn[TRANSPORT_NO_LEN + 2];
	size_t n = 0;
	int r;

	if ((r = chip_transport_factor(p->transport_city, c->transport_no, f)) < 0 ||
	    (r = chip_bcd_date(c->issue_date, iss)) < 0 ||
	    (r = chip_bcd_date(c->expiry_date, exp)) < 0)
		return r;
	/* 9F0C issuer data, 30 bytes, laid out after a public Beijing T-Union FCI
	 * (docs/card-number.md): issuer 0101, city, FFFFFFFF, 0201, the card number as 20 BCD
	 * digits (a 0, then its 19), issue date, expiry date, 0000 */
	{
		static const unsigned char issuer[2] = {0x01, 0x01},
					   rsv[4] = {0xFF, 0xFF, 0xFF, 0xFF};
		static const unsigned char ver[2] = {0x02, 0x01}, z[2] = {0, 0};

		snprintf(tn, sizeof(tn), "0%s", c->transport_no);
		memcpy(d, issuer, 2);
		bcd_f(p->transport_city, d + 2);
		memcpy(d + 4, rsv, 4);
		memcpy(d + 8, ver, 2);
		bcd_f(tn, d + 10);
		memcpy(d + 20, iss, 4);
		memcpy(d + 24, exp, 4);
		memcpy(d + 28, z, 2);
	}
	tlv(v, &n, 0x9F0C, d, 30);
	if ((r = buf_appendf(e->out,
			     "# --- transport (T-Union) A000000632010105: card %s, city %s ---\n",
			     c->transport_no, p->transport_city)) < 0 ||
	    (r = install_for_perso(e, aid_transport, sizeof(aid_transport),
				   "TRANSPORT_INSTALL_FOR_PERSO")) < 0 ||
	    (r = store_dgi(e, "TRANSPORT", 0x9102, v, n, 0, 0)) < 0 ||
	    (r = store_keys(e, "TRANSPORT", 0x8000, 0x9000, k->transport, CP_ALG_SM4, 1)) < 0)
		return r;
	return 0;
}

static int
ssse_secrets(struct emitter *e, const struct perso_card *c, const struct perso_params *p,
	     struct card_keys *k)
{
	unsigned char *blk = cp_secure_zalloc(16), tries[2];
	char pin[7];
	int r;

	if ((r = chip_initial_pin(c->id_number, pin)) < 0)
		goto out;
	/* ISO 9564 format 2 PIN block (2, length, digits, F fill), then random bytes so that
	 * equal passwords never give equal ciphertexts */
	blk[0] = 0x26;
	for (int i = 0; i < 3; i++)
		blk[1 + i] = (unsigned char)((pin[2 * i] - '0') << 4 | (pin[2 * i + 1] - '0'));
	memset(blk + 4, 0xFF, 4);
	if (cp_random_bytes(blk + 8, 8) < 0) {
		r = cp_err(CP_ERR_CRYPTO, "no random padding");
		goto out;
	}
	tries[0] = tries[1] = (unsigned char)p->pin_tries;
	if ((r = buf_appendf(e->out, "# --- SSSE keys and the service password (initial value: the "
				     "last 6 characters of the social security number) ---\n")) <
		    0 ||
	    (r = install_for_perso(e, aid_ssse, sizeof(aid_ssse), "SSSE_INSTALL_FOR_PERSO")) < 0 ||
	    (r = store_keys(e, "SSSE", 0x8000, 0x9000, k->ssse, CP_ALG_SM4, 0)) < 0 ||
	    (r = store_dgi(e, "SSSE", 0x8010, blk, 16, 1, 0)) < 0 ||
	    (r = store_dgi(e, "SSSE", 0x9010, tries, 2, 0, 1)) < 0)
		goto out;
out:
	cp_memzero(pin, sizeof(pin));
	cp_secure_free(blk, 16);
	return r;
}

static int
update_record(struct emitter *e, const char *ef, unsigned rec, unsigned tag, const unsigned char *v,
	      size_t len)
{
	unsigned char d[64];
	char label[32];

	d[0] = (unsigned char)tag;
	d[1] = (unsigned char)len;
	memcpy(d + 2, v, len);
	make_label(label, sizeof(label), ef, "_REC_", rec, 0);
	return emit(e, 0x00, 0xDC, (unsigned char)rec, 0x04, d, len + 2, 0, 0, label);
}

static int
ssse_records(struct emitter *e, const struct perso_card *c, const struct perso_params *p)
{
	unsigned char name[30], ext[60], b[32], iss[4], exp[4], dob[4];
	char place[7], ssn[19];
	size_t nl = 0, el = 0, sl = strlen(c->id_number);
	int r;

	if ((r = chip_name_gb(c->name, name, &nl, ext, &el)) < 0 ||
	    (r = chip_bcd_date(c->issue_date, iss)) < 0 ||
	    (r = chip_bcd_date(c->expiry_date, exp)) < 0 ||
	    (r = chip_bcd_date(c->birth_date, dob)) < 0 ||
	    (r = chip_birthplace(c->id_type, c->id_number, place)) < 0)
		return cp_err_wrap(r, "card %s: ", c->card_no);
	if (sl == 0 || sl > 18)
		return cp_err(CP_ERR_INVALID, "card %s: social security number of %zu characters",
			      c->card_no, sl);
	if (strlen(c->card_no) != 9)
		return cp_err(CP_ERR_INVALID, "card %s: a card number has 9 characters (an9)",
			      c->card_no);
	if ((c->sex[0] != '1' && c->sex[0] != '2' && c->sex[0] != '0' && c->sex[0] != '9') ||
	    c->sex[1])
		return cp_err(CP_ERR_INVALID, "card %s: sex code '%s' is not GB/T 2261.1",
			      c->card_no, c->sex);
	if (strlen(c->ethnicity) != 2 || strspn(c->ethnicity, "0123456789") != 2)
		return cp_err(CP_ERR_INVALID,
			      "card %s: ethnicity '%s' is not a 2-digit GB 3304 code", c->card_no,
			      c->ethnicity);
	memset(ssn, 0, sizeof(ssn));
	memcpy(ssn, c->id_number, sl);
	if ((r = buf_appendf(e->out,
			     "# --- SSSE 社保环境: EF05 issuer data, EF06 holder data ---\n"
			     "# EF05 record 1 (卡识别码) is the chip's own, written at chip "
			     "initialisation; the encoder reads it back.\n")) < 0 ||
	    (r = emit_apdu(e, 0x00, 0xA4, 0x04, 0x00, aid_ssse, sizeof(aid_ssse), 1, 0, 0,
			   "SSSE_SELECT")) < 0 ||
	    (r = emit(e, 0x00, 0xA4, 0x02, 0x0C, (const unsigned char *)"\xEF\x05", 2, 0, 0,
		      "EF05_SELECT")) < 0)
		return r;
	b[0] = (unsigned char)p->card_type[0];
	if ((r = update_record(e, "EF05", 2, 0x02, b, 1)) < 0 ||
	    (r = update_record(e, "EF05", 3, 0x03, (const unsigned char *)p->spec_version, 4)) <
		    0 ||
	    (r = update_record(e, "EF05", 4, 0x04, p->init_org, 12)) < 0 ||
	    (r = update_record(e, "EF05", 5, 0x05, iss, 4)) < 0 ||
	    (r = update_record(e, "EF05", 6, 0x06, exp, 4)) < 0 ||
	    (r = update_record(e, "EF05", 7, 0x07, (const unsigned char *)c->card_no, 9)) < 0 ||
	    (r = emit(e, 0x00, 0xA4, 0x02, 0x0C, (const unsigned char *)"\xEF\x06", 2, 0, 0,
		      "EF06_SELECT")) < 0 ||
	    (r = update_record(e, "EF06", 1, 0x08, (const unsigned char *)ssn, 18)) < 0 ||
	    (r = update_record(e, "EF06", 2, 0x09, name, 30)) < 0 ||
	    (el && (r = update_record(e, "EF06", 3, 0x4E, ext, el)) < 0))
		return r;
	b[0] = (unsigned char)c->sex[0];
	if ((r = update_record(e, "EF06", 4, 0x0A, b, 1)) < 0)
		return r;
	b[0] = (unsigned char)((c->ethnicity[0] - '0') << 4 | (c->ethnicity[1] - '0'));
	if ((r = update_record(e, "EF06", 5, 0x0B, b, 1)) < 0)
		return r;
	for (int i = 0; i < 3; i++)
		b[i] = (unsigned char)((place[2 * i] - '0') << 4 | (place[2 * i + 1] - '0'));
	if ((r = update_record(e, "EF06", 6, 0x0C, b, 3)) < 0 ||
	    (r = update_record(e, "EF06", 7, 0x0D, dob, 4)) < 0)
		return r;
	return 0;
}

int
perso_script_build(const struct perso_card *c, const struct perso_masters *m,
		   const struct perso_params *p, struct buf *out)
{
	struct card_keys *k = cp_secure_zalloc(sizeof(*k));
	struct emitter e = {out, 0, 0, m->tk};
	size_t start = out->len;
	unsigned char md[32];
	char mh[65];
	int r;

	if ((r = chip_derive_keys(c, m, p->transport_city, k)) < 0)
		goto out;
	if ((r = buf_appendf(
		     out,
		     "# cardpipe perso script (docs/perso-script-format.md)\n"
		     "#@ format %d\n#@ card %s\n#@ line %d\n#@ transport-key %s AES-256-CBC %s\n"
		     "# bank %s; issued %s, expires %s. The ISD is selected and SCP03 open.\n",
		     PERSO_SCRIPT_FORMAT, c->card_no, p->line, m->tk_name, m->tk_kcv, c->bank,
		     c->issue_date, c->expiry_date)) < 0 ||
	    (r = pboc_personalise(&e, c, m, k)) < 0 || (r = transport(&e, c, p, k)) < 0 ||
	    (r = ssse_secrets(&e, c, p, k)) < 0 || (r = ssse_records(&e, c, p)) < 0)
		goto out;
	if ((r = cp_sha256(out->data + start, out->len - start, md)) < 0)
		goto out;
	hex_encode(md, 32, mh);
	r = buf_appendf(out, "#@ end %zu %s\n", e.ncmds, mh);
out:
	if (r < 0 && out->data) {
		out->len = start;
		out->data[start] = '\0';
	}
	cp_secure_free(k, sizeof(*k));
	return r;
}
