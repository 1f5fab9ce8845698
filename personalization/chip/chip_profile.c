/*
 * chip_profile.c - chip profile files (see chip_profile.h and docs/chip-profiles.md): an
 * ini file read with libinih through a line-counting reader, so that every error names the
 * file, the line, the key and the reason.
 */
#include "personalization/chip/chip_profile.h"

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/chip/profile_ini.h"
#include "personalization/crypto/derive.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROFILE_MAX (64 * 1024)

struct parse {
	struct profile_ini ini;
	struct chip_profile *p;
	int mask_len; /* -1: no atr_mask */
	int mask_line;
};

static const char *
div_names(enum chip_div d)
{
	switch (d) {
	case CHIP_DIV_NONE: return "none";
	case CHIP_DIV_EMV: return "emv";
	case CHIP_DIV_VISA2: return "visa2";
	case CHIP_DIV_KDF3: return "kdf3";
	}
	return "?";
}

const char *
chip_div_name(enum chip_div d)
{
	return div_names(d);
}

const char *
chip_scp_name(enum chip_scp s)
{
	return s == CHIP_SCP02 ? "SCP02" : s == CHIP_SCP03 ? "SCP03" : "?";
}

int
chip_atr_check(const unsigned char *atr, size_t len, unsigned *protocols, char *why, size_t whysz)
{
	size_t i = 2, k;
	unsigned y, prot = 0, first_t = 0x100;
	int need_tck = 0;

	if (protocols)
		*protocols = 0;
	if (len < 2 || len > CHIP_ATR_MAX) {
		snprintf(why, whysz, "%zu bytes (an ATR has 2 to 33)", len);
		return CP_ERR_FORMAT;
	}
	if (atr[0] != 0x3B && atr[0] != 0x3F) {
		snprintf(why, whysz, "TS %02X is neither 3B (direct) nor 3F (inverse)", atr[0]);
		return CP_ERR_FORMAT;
	}
	y = atr[1] >> 4;
	k = atr[1] & 0x0F;
	for (;;) {
		unsigned char td;
		for (int b = 0; b < 3; b++)
			if (y & (1u << b))
				i++;
		if (!(y & 8))
			break;
		if (i >= len) {
			snprintf(why, whysz, "ends inside its interface bytes");
			return CP_ERR_FORMAT;
		}
		td = atr[i++];
		if (first_t == 0x100)
			first_t = td & 0x0F;
		prot |= 1u << (td & 0x0F);
		if ((td & 0x0F) != 0)
			need_tck = 1;
		y = td >> 4;
	}
	if (first_t == 0x100) {
		first_t = 0;
		prot |= 1;
	}
	if (i + k + (size_t)need_tck != len) {
		snprintf(why, whysz,
			 "%zu bytes, but its interface bytes, %zu historical bytes%s make %zu", len,
			 k, need_tck ? " and TCK" : "", i + k + (size_t)need_tck);
		return CP_ERR_FORMAT;
	}
	if (need_tck) {
		unsigned char x = 0;
		for (size_t j = 1; j < len; j++)
			x ^= atr[j];
		if (x) {
			snprintf(why, whysz, "TCK %02X is wrong (expected %02X)", atr[len - 1],
				 atr[len - 1] ^ x);
			return CP_ERR_FORMAT;
		}
	}
	if (protocols)
		*protocols = prot & 3;
	if (!(prot & 3)) {
		snprintf(why, whysz, "offers neither T=0 nor T=1");
		return CP_ERR_FORMAT;
	}
	return 0;
}

/* Interface bytes of an ATR: ta[i], tb[i], tc[i], td[i] for i = 1..4, -1 when absent. */
static void
atr_interface(const unsigned char *atr, size_t len, int ta[5], int tb[5], int tc[5], int td[5])
{
	size_t k = 2;
	unsigned y = atr[1] >> 4;

	for (int i = 0; i < 5; i++)
		ta[i] = tb[i] = tc[i] = td[i] = -1;
	for (int i = 1; i <= 4 && k < len; i++) {
		int *t[3] = {&ta[i], &tb[i], &tc[i]};
		for (int b = 0; b < 3; b++)
			if ((y & (1u << b)) && k < len)
				*t[b] = atr[k++];
		if (!(y & 8) || k >= len)
			break;
		td[i] = atr[k++];
		y = (unsigned)td[i] >> 4;
	}
}

int
chip_atr_emv_check(const unsigned char *atr, size_t len, char *why, size_t whysz)
{
	int ta[5], tb[5], tc[5], td[5], t1;
	const char *e = NULL;

	if (chip_atr_check(atr, len, NULL, why, whysz) < 0)
		return CP_ERR_FORMAT;
	atr_interface(atr, len, ta, tb, tc, td);
	t1 = td[1] >= 0 && (td[1] & 0x0F) == 1;
	if (tb[1] > 0)
		e = "TB1 is not 00 (EMV: no programming voltage)";
	else if (tc[1] >= 0 && tc[1] != 0x00 && tc[1] != 0xFF)
		e = "TC1 is neither 00 nor FF";
	else if (td[1] >= 0 && (td[1] & 0x0F) > 1)
		e = "TD1 names neither T=0 nor T=1";
	else if (ta[2] >= 0 && ((ta[2] & 0x0F) != (t1 ? 1 : 0) || (ta[2] & 0x10)))
		e = "TA2 is not the specific mode of TD1's protocol";
	else if (tc[2] >= 0 && (t1 || tc[2] != 0x0A))
		e = "TC2 is allowed only for T=0, and only 0A";
	else if (!t1 && td[2] >= 0 && (td[2] & 0x0F) != 0x0F)
		e = "TD2 protocol is invalid (after T=0 only T=15 may follow)";
	else if (t1 && (td[2] < 0 || (td[2] & 0x0F) != 1))
		e = "TD2 protocol is invalid (T=1 needs a TD2 of T=1)";
	else if (t1 && ta[3] >= 0 && (ta[3] < 0x10 || ta[3] == 0xFF))
		e = "TA3 (IFSC) is not 10..FE";
	else if (t1 && (tb[3] < 0 || (tb[3] >> 4) > 4 || (tb[3] & 0x0F) > 5))
		e = "TB3 is missing or its BWI > 4 or CWI > 5";
	else if (t1 && tc[3] > 0)
		e = "TC3 is not 00 (EMV: LRC)";
	if (e) {
		snprintf(why, whysz, "%s", e);
		return CP_ERR_FORMAT;
	}
	return 0;
}

/* Hex with optional spaces into out; the number of bytes, or -1. */
static int
hex_field(const char *v, unsigned char *out, size_t max)
{
	char compact[2 * 64 + 1];
	size_t n = 0;

	for (const char *s = v; *s; s++) {
		if (*s == ' ' || *s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || n + 1 >= sizeof compact)
			return -1;
		compact[n++] = *s;
	}
	compact[n] = '\0';
	if (n == 0 || n % 2 || n / 2 > max)
		return -1;
	return hex_decode(compact, out, max);
}

static int
byte_field(const char *v, unsigned char *out)
{
	unsigned char b[1];

	if (strlen(v) != 2 || hex_field(v, b, 1) != 1)
		return -1;
	*out = b[0];
	return 0;
}

/* The first error of the file, at ps->ini.line (profile_ini_error). */
#define perr(ps, ...) profile_ini_error(&(ps)->ini, __VA_ARGS__)

/* ---- the keys ---- */

static int
set_description(struct parse *ps, const char *v)
{
	snprintf(ps->p->description, sizeof ps->p->description, "%s", v);
	return 0;
}

static int
set_atr(struct parse *ps, const char *v)
{
	char why[160];
	int n = hex_field(v, ps->p->atr, CHIP_ATR_MAX);

	if (n < 0)
		return perr(ps, "stock", "atr", "'%.80s' is not 2 to 33 bytes of hex", v);
	if (chip_atr_check(ps->p->atr, (size_t)n, NULL, why, sizeof why) < 0)
		return perr(ps, "stock", "atr", "not a valid ATR: %s", why);
	ps->p->atr_len = (size_t)n;
	return 0;
}

static int
set_atr_mask(struct parse *ps, const char *v)
{
	int n = hex_field(v, ps->p->atr_mask, CHIP_ATR_MAX);

	if (n < 0)
		return perr(ps, "stock", "atr_mask", "'%.80s' is not 2 to 33 bytes of hex", v);
	ps->mask_len = n; /* checked against the ATR's length at the end */
	ps->mask_line = ps->ini.line;
	return 0;
}

static int
set_isd_aid(struct parse *ps, const char *v)
{
	int n = hex_field(v, ps->p->isd_aid, CHIP_AID_MAX);

	if (n < 5)
		return perr(ps, "isd", "aid", "'%.80s' is not an AID (5 to 16 bytes of hex)", v);
	ps->p->isd_aid_len = (size_t)n;
	return 0;
}

static int
set_kvn(struct parse *ps, const char *v)
{
	if (byte_field(v, &ps->p->kvn) < 0 || ps->p->kvn == 0 || ps->p->kvn > 0x7F)
		return perr(ps, "isd", "kvn", "'%.80s' is not a key version 01..7F (2 hex digits)",
			    v);
	return 0;
}

static int
set_kmc_key(struct parse *ps, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= sizeof ps->p->kmc_key ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789.-_") != n)
		return perr(ps, "isd", "kmc_key", "'%.80s' is not a key store name", v);
	memcpy(ps->p->kmc_key, v, n + 1);
	return 0;
}

static int
set_div(struct parse *ps, const char *v)
{
	static const enum chip_div all[] = {CHIP_DIV_NONE, CHIP_DIV_EMV, CHIP_DIV_VISA2,
					    CHIP_DIV_KDF3};

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(v, div_names(all[i])) == 0) {
			ps->p->div = all[i];
			return 0;
		}
	return perr(ps, "isd", "diversification", "'%.80s' is not none, emv, visa2 or kdf3", v);
}

static int
set_scp(struct parse *ps, const char *v)
{
	if (strcmp(v, "02") == 0)
		ps->p->scp = CHIP_SCP02;
	else if (strcmp(v, "03") == 0)
		ps->p->scp = CHIP_SCP03;
	else
		return perr(ps, "secure_channel", "scp", "'%.80s' is not 02 or 03", v);
	return 0;
}

static int
set_i(struct parse *ps, const char *v)
{
	if (byte_field(v, &ps->p->i_param) < 0)
		return perr(ps, "secure_channel", "i", "'%.80s' is not one byte of hex", v);
	return 0;
}

static int
set_sl(struct parse *ps, const char *v)
{
	if (byte_field(v, &ps->p->security_level) < 0)
		return perr(ps, "secure_channel", "security_level",
			    "'%.80s' is not one byte of hex", v);
	return 0;
}

static int
set_store_enc(struct parse *ps, const char *v)
{
	if (strcmp(v, "application") == 0)
		ps->p->store_enc = CHIP_STORE_ENC_APPLICATION;
	else if (strcmp(v, "explicit") == 0)
		ps->p->store_enc = CHIP_STORE_ENC_EXPLICIT;
	else
		return perr(ps, "store_data", "encryption",
			    "'%.80s' is not application or explicit", v);
	return 0;
}

static int
set_store_blocks(struct parse *ps, const char *v)
{
	if (strcmp(v, "per-sequence") == 0)
		ps->p->store_blocks = CHIP_BLOCKS_PER_SEQUENCE;
	else if (strcmp(v, "continuous") == 0)
		ps->p->store_blocks = CHIP_BLOCKS_CONTINUOUS;
	else
		return perr(ps, "store_data", "block_numbering",
			    "'%.80s' is not per-sequence or continuous", v);
	return 0;
}

static int
set_end_apps(struct parse *ps, const char *v)
{
	if (strcmp(v, "personalized") == 0)
		ps->p->end_app_lc = 0x0F;
	else if (strcmp(v, "none") == 0)
		ps->p->end_app_lc = 0;
	else
		return perr(ps, "lifecycle", "applications", "'%.80s' is not personalized or none",
			    v);
	return 0;
}

static int
set_end_card(struct parse *ps, const char *v)
{
	if (strcmp(v, "secured") == 0)
		ps->p->end_card_lc = 0x0F;
	else if (strcmp(v, "none") == 0) /* the chip secures itself; the check still wants it */
		ps->p->end_card_lc = 0;
	else
		return perr(ps, "lifecycle", "card",
			    "'%.80s' is not secured or none (an issued card is SECURED)", v);
	return 0;
}

static const struct key_def {
	const char *section, *key;
	int required;
	int (*set)(struct parse *ps, const char *v);
} keys[] = {
	{"stock", "description", 0, set_description},
	{"stock", "atr", 1, set_atr},
	{"stock", "atr_mask", 0, set_atr_mask},
	{"isd", "aid", 1, set_isd_aid},
	{"isd", "kvn", 1, set_kvn},
	{"isd", "kmc_key", 1, set_kmc_key},
	{"isd", "diversification", 1, set_div},
	{"secure_channel", "scp", 1, set_scp},
	{"secure_channel", "i", 1, set_i},
	{"secure_channel", "security_level", 1, set_sl},
	{"store_data", "encryption", 1, set_store_enc},
	{"store_data", "block_numbering", 1, set_store_blocks},
	{"lifecycle", "applications", 1, set_end_apps},
	{"lifecycle", "card", 1, set_end_card},
};
#define NKEYS (sizeof keys / sizeof keys[0])

static int
add_app(struct parse *ps, const char *name, const char *v)
{
	struct chip_profile *p = ps->p;
	struct chip_app *a;
	int n;

	if (strlen(name) >= CHIP_NAME_MAX)
		return perr(ps, "applications", name, "name longer than %d bytes",
			    CHIP_NAME_MAX - 1);
	for (size_t i = 0; i < p->napps; i++)
		if (strcmp(p->apps[i].name, name) == 0)
			return perr(ps, "applications", name, "given twice");
	if (p->napps >= CHIP_MAX_APPS)
		return perr(ps, "applications", name, "more than %d applications", CHIP_MAX_APPS);
	a = &p->apps[p->napps];
	if ((n = hex_field(v, a->aid, CHIP_AID_MAX)) < 5)
		return perr(ps, "applications", name,
			    "'%.80s' is not an AID (5 to 16 bytes of hex)", v);
	for (size_t i = 0; i < p->napps; i++)
		if (p->apps[i].aid_len == (size_t)n && !memcmp(p->apps[i].aid, a->aid, (size_t)n))
			return perr(ps, "applications", name, "the AID of '%s' again",
				    p->apps[i].name);
	a->aid_len = (size_t)n;
	snprintf(a->name, sizeof a->name, "%s", name);
	p->napps++;
	return 0;
}

static int
on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	int i;

	if (ps->ini.err)
		return 1;
	if (strcmp(section, "applications") == 0)
		return add_app(ps, name, value), 1;
	i = profile_ini_key(&ps->ini, keys, NKEYS, sizeof keys[0], section, name);
	if (i >= 0)
		keys[i].set(ps, value);
	return 1;
}

/* Rules between keys, once the whole file is read. */
static void
check_whole(struct parse *ps)
{
	struct chip_profile *p = ps->p;

	for (size_t i = 0; i < NKEYS && !ps->ini.err; i++)
		if (keys[i].required && !(ps->ini.seen & (1u << i))) {
			ps->ini.line = 0;
			perr(ps, keys[i].section, keys[i].key, "missing");
		}
	if (ps->ini.err)
		return;
	ps->ini.line = ps->mask_line;
	if (ps->mask_len < 0)
		memset(p->atr_mask, 0xFF, sizeof p->atr_mask);
	else if ((size_t)ps->mask_len != p->atr_len)
		perr(ps, "stock", "atr_mask", "%d bytes, the ATR has %zu", ps->mask_len,
		     p->atr_len);
	ps->ini.line = 0;
	if (p->napps == 0)
		perr(ps, "applications", "*", "no application listed");
	if (p->scp == CHIP_SCP03) {
		if (p->div != CHIP_DIV_KDF3 && p->div != CHIP_DIV_NONE)
			perr(ps, "isd", "diversification",
			     "%s gives 3DES keys; SCP03 needs AES (kdf3 or none)",
			     div_names(p->div));
		if (p->i_param & ~0x70)
			perr(ps, "secure_channel", "i",
			     "%02X: SCP03 \"i\" bits other than 10, 20, 40 are not supported",
			     p->i_param);
		if (p->security_level != 0x01 && p->security_level != 0x03 &&
		    p->security_level != 0x13 && p->security_level != 0x33)
			perr(ps, "secure_channel", "security_level",
			     "%02X: SCP03 personalisation needs 01, 03, 13 or 33",
			     p->security_level);
		if ((p->security_level & 0x10) && !(p->i_param & 0x20))
			perr(ps, "secure_channel", "security_level",
			     "%02X asks for R-MAC, which \"i\" %02X does not offer",
			     p->security_level, p->i_param);
		if ((p->security_level & 0x20) && !(p->i_param & 0x40))
			perr(ps, "secure_channel", "security_level",
			     "%02X asks for R-ENC, which \"i\" %02X does not offer",
			     p->security_level, p->i_param);
	} else {
		if (p->div == CHIP_DIV_KDF3)
			perr(ps, "isd", "diversification",
			     "kdf3 gives AES keys; SCP02 needs 3DES (none, emv or visa2)");
		if ((p->i_param & ~0x17) || !(p->i_param & 0x01) || !(p->i_param & 0x04))
			perr(ps, "secure_channel", "i",
			     "%02X: supported SCP02 \"i\" values are 05, 07, 15 and 17 "
			     "(three keys, explicit initiation)",
			     p->i_param);
		if (p->security_level != 0x01 && p->security_level != 0x03)
			perr(ps, "secure_channel", "security_level",
			     "%02X: SCP02 personalisation needs 01 or 03", p->security_level);
	}
}

int
chip_profile_parse(const char *path, const char *text, struct chip_profile **out)
{
	struct chip_profile *p = xcalloc(1, sizeof *p);
	struct parse ps = {.ini = {.path = path, .text = text}, .p = p, .mask_len = -1};
	const char *base = strrchr(path, '/');
	size_t n;

	*out = NULL;
	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
		n -= 4;
	if (n == 0 || n >= sizeof p->name ||
	    strspn(base, "abcdefghijklmnopqrstuvwxyz0123456789-_") < n) {
		free(p);
		return cp_err(CP_ERR_FORMAT,
			      "%s: a profile's file name is its stock's name: lower-case letters, "
			      "digits, '-' and '_', at most %zu",
			      path, sizeof p->name - 1);
	}
	memcpy(p->name, base, n);
	p->store_enc = CHIP_STORE_ENC_APPLICATION;
	profile_ini_run(&ps.ini, on_entry, &ps);
	if (!ps.ini.err)
		check_whole(&ps);
	if (ps.ini.err) {
		free(p);
		return cp_err(ps.ini.err, "%s", ps.ini.msg);
	}
	p->path = xstrdup(path);
	*out = p;
	return 0;
}

int
chip_profile_load(const char *path, struct chip_profile **out)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = fs_read_file(path, PROFILE_MAX, &data, &len)) < 0)
		return cp_err_wrap(r, "chip profile: ");
	if (strlen((char *)data) != len)
		r = cp_err(CP_ERR_FORMAT, "%s: a NUL byte in a text file", path);
	else
		r = chip_profile_parse(path, (const char *)data, out);
	free(data);
	return r;
}

void
chip_profile_free(struct chip_profile *p)
{
	if (!p)
		return;
	free(p->path);
	free(p);
}

void
chip_profile_default(struct chip_profile *out)
{
	static const unsigned char atr[] = {0x3B, 0xE8, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 'C',
					    'P',  'V',	'C',  '-',  'S',  '0',	'3',  0x98};
	static const unsigned char gp_isd_aid[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
	static const struct {
		const char *name;
		unsigned char aid[16];
		size_t len;
	} apps[] = {
		{"ssse",
		 {0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3,
		  0xD5, 0xCF},
		 15},
		{"pboc", {0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01}, 8},
		{"transport", {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05}, 8},
		{"pse", {'1', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1'}, 14},
	};

	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "cpvc-s03");
	snprintf(out->description, sizeof out->description,
		 "CPVC test chip, SCP03 (i=70), kdf3 keys, T=1");
	memcpy(out->atr, atr, sizeof atr);
	memset(out->atr_mask, 0xFF, sizeof out->atr_mask);
	out->atr_len = sizeof atr;
	memcpy(out->isd_aid, gp_isd_aid, sizeof gp_isd_aid);
	out->isd_aid_len = sizeof gp_isd_aid;
	out->kvn = 0x30;
	snprintf(out->kmc_key, sizeof out->kmc_key, "kmc");
	out->div = CHIP_DIV_KDF3;
	out->scp = CHIP_SCP03;
	out->i_param = 0x70;	    /* pseudo-random challenge, R-MAC, R-ENC */
	out->security_level = 0x03; /* C-MAC, C-DEC */
	out->store_enc = CHIP_STORE_ENC_APPLICATION;
	out->store_blocks = CHIP_BLOCKS_PER_SEQUENCE;
	for (size_t i = 0; i < sizeof apps / sizeof apps[0]; i++) {
		struct chip_app *a = &out->apps[out->napps++];
		snprintf(a->name, sizeof a->name, "%s", apps[i].name);
		memcpy(a->aid, apps[i].aid, apps[i].len);
		a->aid_len = apps[i].len;
	}
	out->end_app_lc = 0x0F;	 /* PERSONALIZED */
	out->end_card_lc = 0x0F; /* SECURED */
}

int
chip_profile_matches(const struct chip_profile *p, const unsigned char *atr, size_t len)
{
	if (len != p->atr_len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((atr[i] & p->atr_mask[i]) != (p->atr[i] & p->atr_mask[i]))
			return 0;
	return 1;
}

/* Can one ATR match both? (Same length, and equal wherever both masks care.) */
static int
overlap(const struct chip_profile *a, const struct chip_profile *b)
{
	if (a->atr_len != b->atr_len)
		return 0;
	for (size_t i = 0; i < a->atr_len; i++) {
		unsigned char m = a->atr_mask[i] & b->atr_mask[i];
		if ((a->atr[i] & m) != (b->atr[i] & m))
			return 0;
	}
	return 1;
}

static int
is_profile_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".ini") == 0;
}

int
chip_profiles_load_dir(const char *dir, struct chip_profiles *out)
{
	struct dirent **names = NULL;
	int n, r = 0;

	memset(out, 0, sizeof *out);
	if ((n = scandir(dir, &names, is_profile_file, alphasort)) < 0)
		return cp_err(CP_ERR_NOTFOUND, "chip profiles: cannot read folder '%s'", dir);
	for (int i = 0; i < n; i++) {
		char *path = fs_join(dir, names[i]->d_name);
		struct chip_profile *p = NULL;

		if (r == 0 && (r = chip_profile_load(path, &p)) == 0) {
			for (size_t j = 0; j < out->n && r == 0; j++)
				if (overlap(out->p[j], p))
					r = cp_err(
						CP_ERR_INVALID,
						"%s: [stock] atr: one card's ATR could match both "
						"'%s' and '%s': a card must name its stock",
						path, out->p[j]->name, p->name);
			if (r == 0) {
				out->p = xrealloc(out->p, (out->n + 1) * sizeof *out->p);
				out->p[out->n++] = p;
				p = NULL;
			}
		}
		chip_profile_free(p);
		free(path);
		free(names[i]);
	}
	free(names);
	if (r == 0 && out->n == 0)
		r = cp_err(CP_ERR_NOTFOUND, "chip profiles: no *.ini in '%s'", dir);
	if (r < 0)
		chip_profiles_release(out);
	return r;
}

int
chip_profiles_load_config(const struct config *cfg, const char *home, struct chip_profiles *out)
{
	char tried[512], *dir;
	int r;

	memset(out, 0, sizeof *out);
	dir = config_path(cfg, "encoder.chip_profiles", home);
	if (!dir || !*dir) {
		free(dir);
		if (!(dir = fs_find_data("chip-profiles", tried, sizeof tried)))
			return cp_err(CP_ERR_NOTFOUND,
				      "the shipped chip profiles are not found (tried %s); set "
				      "encoder.chip_profiles",
				      tried);
	}
	r = chip_profiles_load_dir(dir, out);
	free(dir);
	return r;
}

void
chip_profiles_release(struct chip_profiles *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		chip_profile_free(set->p[i]);
	free(set->p);
	set->p = NULL;
	set->n = 0;
}

const struct chip_profile *
chip_profiles_find(const struct chip_profiles *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->p[i]->name, name) == 0)
			return set->p[i];
	return NULL;
}

const struct chip_profile *
chip_profiles_match(const struct chip_profiles *set, const unsigned char *atr, size_t len)
{
	for (size_t i = 0; i < set->n; i++)
		if (chip_profile_matches(set->p[i], atr, len))
			return set->p[i];
	return NULL;
}

int
chip_profile_check_kmc(const struct chip_profile *p, size_t kmc_len)
{
	int aes_len = kmc_len == 16 || kmc_len == 24 || kmc_len == 32;
	char why[80];

	switch (p->div) {
	case CHIP_DIV_NONE:
		if (p->scp == CHIP_SCP02 ? kmc_len == 16 : aes_len)
			return 0;
		snprintf(why, sizeof why, "none takes the KMC itself: %s",
			 p->scp == CHIP_SCP02 ? "16-byte 3DES" : "AES of 16, 24 or 32 bytes");
		break;
	case CHIP_DIV_EMV:
	case CHIP_DIV_VISA2:
		if (kmc_len == 16)
			return 0;
		snprintf(why, sizeof why, "%s needs a 2-key 3DES KMC (16 bytes)",
			 chip_div_name(p->div));
		break;
	default:
		if (aes_len)
			return 0;
		snprintf(why, sizeof why, "kdf3 needs an AES KMC of 16, 24 or 32 bytes");
		break;
	}
	return cp_err(CP_ERR_INVALID,
		      "stock %s (%s, %s): a KMC of %zu bytes cannot give its keys: %s", p->name,
		      chip_scp_name(p->scp), chip_div_name(p->div), kmc_len, why);
}

int
chip_profile_static_keys(const struct chip_profile *p, const unsigned char *kmc, size_t kmc_len,
			 const unsigned char kdd[10], unsigned char enc[32], unsigned char mac[32],
			 unsigned char dek[32], size_t *key_len)
{
	int r;

	if ((r = chip_profile_check_kmc(p, kmc_len)) < 0)
		return r;
	if (p->div == CHIP_DIV_NONE) {
		/* the card's keys are the KMC itself */
		memcpy(enc, kmc, kmc_len);
		memcpy(mac, kmc, kmc_len);
		memcpy(dek, kmc, kmc_len);
		*key_len = kmc_len;
		return 0;
	}
	if ((r = cp_gp_diversify(p->div == CHIP_DIV_EMV	    ? CP_GP_EMV
				 : p->div == CHIP_DIV_VISA2 ? CP_GP_VISA2
							    : CP_GP_KDF3,
				 kmc, kmc_len, kdd, enc, mac, dek, key_len)) < 0)
		return cp_err_wrap(r, "stock %s keys (%s): ", p->name, chip_div_name(p->div));
	return 0;
}
