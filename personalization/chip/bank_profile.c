/*
 * bank_profile.c - bank profiles (see bank_profile.h and docs/pboc-data.md): ini files read
 * with libinih through a line-counting reader, so that every error names the file, the
 * line, the [section] key and the reason.
 */
#include "personalization/chip/bank_profile.h"

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "core/mem.h"
#include "personalization/chip/profile_ini.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROFILE_MAX (64 * 1024)

struct parse {
	struct profile_ini ini;
	struct bank_profile *p;
};

void
bank_profile_default(const char *bank, struct bank_profile *p)
{
	static const unsigned char cdol1[] = {0x9F, 0x02, 0x06, 0x9F, 0x03, 0x06, 0x9F, 0x1A, 0x02,
					      0x95, 0x05, 0x5F, 0x2A, 0x02, 0x9A, 0x03, 0x9C, 0x01,
					      0x9F, 0x37, 0x04, 0x9F, 0x21, 0x03, 0x9F, 0x4E, 0x14};
	static const unsigned char cdol2[] = {0x8A, 0x02, 0x9F, 0x02, 0x06, 0x9F, 0x03, 0x06,
					      0x9F, 0x1A, 0x02, 0x95, 0x05, 0x5F, 0x2A, 0x02,
					      0x9A, 0x03, 0x9C, 0x01, 0x9F, 0x37, 0x04, 0x9F,
					      0x21, 0x03, 0x9F, 0x4E, 0x14};
	static const char *const mk[] = {"mk-ac", "mk-smi", "mk-smc"};

	memset(p, 0, sizeof(*p));
	snprintf(p->bank, sizeof(p->bank), "%s", bank);
	snprintf(p->label, sizeof(p->label), "PBOC DEBIT");
	snprintf(p->preferred_name, sizeof(p->preferred_name), "%.10s DEBIT", bank);
	p->priority = 0x01;
	snprintf(p->language, sizeof(p->language), "zhen");
	p->code_table = 0x01;
	p->version[0] = 0x00, p->version[1] = 0x30;
	p->auc[0] = 0xFF, p->auc[1] = 0x00;
	memcpy(p->iac_denial, "\x00\x10\x00\x00\x00", 5);
	memcpy(p->iac_online, "\xDC\x40\x04\xF8\x00", 5);
	memcpy(p->iac_default, "\xDC\x40\x00\xA8\x00", 5);
	/* online PIN at unattended and manual cash (the holder knows the PIN the bank set
	 * online; the offline PIN is random until the bank's activation script sets it),
	 * then offline PIN, online PIN, signature, no CVM where the terminal has it */
	{
		static const unsigned char code[] = {BANK_CVM_ONLINE_PIN,  BANK_CVM_ONLINE_PIN,
						     BANK_CVM_OFFLINE_PIN, BANK_CVM_ONLINE_PIN,
						     BANK_CVM_SIGNATURE,   BANK_CVM_NO_CVM};
		static const unsigned char cond[] = {0x01, 0x04, 0x03, 0x03, 0x03, 0x03};

		memcpy(p->cvm, code, sizeof(code));
		memcpy(p->cvm_cond, cond, sizeof(cond));
		p->ncvm = sizeof(code);
	}
	p->lcol = 0;
	p->ucol = 0;
	p->dki = 0x01;
	p->session_key = EMV_AC_SKD_EMV;
	memcpy(p->pdol, "\x9F\x1A\x02", 3);
	p->pdol_len = 3;
	memcpy(p->cdol1, cdol1, sizeof(cdol1));
	p->cdol1_len = sizeof(cdol1);
	memcpy(p->cdol2, cdol2, sizeof(cdol2));
	p->cdol2_len = sizeof(cdol2);
	memcpy(p->ddol, "\x9F\x37\x04", 3);
	p->ddol_len = 3;
	for (int i = 0; i < 3; i++)
		snprintf(p->imk[i], sizeof(p->imk[i]), "bank.%s.%s", bank, mk[i]);
	p->oda = BANK_ODA_DDA;
	p->icc_key_bits = 1024;
	p->pin_tries = 3;
}

const char *
bank_oda_name(enum bank_oda m)
{
	return m == BANK_ODA_SDA ? "sda" : m == BANK_ODA_CDA ? "cda" : "dda";
}

/* The first error of the file, at ps->ini.line (profile_ini_error). */
#define perr(ps, ...) profile_ini_error(&(ps)->ini, __VA_ARGS__)

/* Hex with optional spaces into out; the number of bytes, or -1. */
static int
hex_field(const char *v, unsigned char *out, size_t max)
{
	char compact[2 * BANK_DOL_MAX + 1];
	size_t n = 0;

	for (const char *s = v; *s; s++) {
		if (*s == ' ')
			continue;
		if (!isxdigit((unsigned char)*s) || n + 1 >= sizeof compact)
			return -1;
		compact[n++] = *s;
	}
	compact[n] = '\0';
	if (n % 2 || n / 2 > max)
		return -1;
	return n ? hex_decode(compact, out, max) : 0;
}

/* Exactly n bytes of hex. */
static int
fixed_hex(struct parse *ps, const char *sec, const char *key, const char *v, unsigned char *out,
	  size_t n)
{
	unsigned char b[8];

	if (hex_field(v, b, sizeof b) != (int)n)
		return perr(ps, sec, key, "'%.40s' is not %zu bytes of hex", v, n);
	memcpy(out, b, n);
	return 0;
}

/* Printable ASCII (EMV "ans"), 1..max characters; {bank} stands for the bank's code. */
static int
ans_field(struct parse *ps, const char *sec, const char *key, const char *v, char *out, size_t max)
{
	char tmp[64];
	const char *b = strstr(v, "{bank}");

	if (b)
		snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)(b - v), v, ps->p->bank, b + 6);
	else
		snprintf(tmp, sizeof tmp, "%s", v);
	if (!tmp[0] || strlen(tmp) > max)
		return perr(ps, sec, key, "'%.40s' is not 1 to %zu characters", tmp, max);
	for (const char *s = tmp; *s; s++)
		if (*s < 0x20 || *s > 0x7E)
			return perr(ps, sec, key,
				    "'%.40s': printable ASCII only (EMV ans; byte %02X)", tmp,
				    (unsigned char)*s);
	memcpy(out, tmp, strlen(tmp) + 1);
	return 0;
}

static int
byte_dec(struct parse *ps, const char *sec, const char *key, const char *v, unsigned lo,
	 unsigned hi, unsigned char *out)
{
	char *e;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &e, 10);
	if (!*v || *e || errno || !isdigit((unsigned char)*v) || n < lo || n > hi)
		return perr(ps, sec, key, "'%.40s' is not a number %u..%u", v, lo, hi);
	*out = (unsigned char)n;
	return 0;
}

/* A data object list: tag (1-2 bytes) and length pairs. */
static int
dol_check(const unsigned char *d, size_t n, char *why, size_t whysz)
{
	size_t i = 0;

	while (i < n) {
		size_t t = (d[i] & 0x1F) == 0x1F ? 2 : 1;

		if ((t == 2 && (i + 1 >= n || (d[i + 1] & 0x80))) || i + t >= n) {
			snprintf(why, whysz, "truncated at byte %zu (a tag then its length)", i);
			return -1;
		}
		if (d[i + t] == 0 || d[i + t] > 0x7F) {
			snprintf(why, whysz, "length %02X at byte %zu", d[i + t], i + t);
			return -1;
		}
		i += t + 1;
	}
	return 0;
}

int
bank_dol_has(const unsigned char *d, size_t n, unsigned tag)
{
	size_t i = 0;

	while (i < n) {
		size_t t = (d[i] & 0x1F) == 0x1F ? 2 : 1;
		unsigned got = t == 2 && i + 1 < n ? (unsigned)(d[i] << 8 | d[i + 1]) : d[i];

		if (got == tag)
			return 1;
		i += t + 1;
	}
	return 0;
}

static int
dol_field(struct parse *ps, const char *sec, const char *key, const char *v, unsigned char *out,
	  size_t *len, int may_be_empty)
{
	unsigned char d[BANK_DOL_MAX];
	char why[96];
	int n = hex_field(v, d, sizeof d);

	if (n < 0)
		return perr(ps, sec, key, "'%.40s' is not hex of at most %d bytes", v,
			    BANK_DOL_MAX);
	if (n == 0 && !may_be_empty)
		return perr(ps, sec, key, "empty");
	if (dol_check(d, (size_t)n, why, sizeof why) < 0)
		return perr(ps, sec, key, "not a data object list: %s", why);
	memcpy(out, d, (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* ---- the keys ---- */

static int
set_label(struct parse *ps, const char *v)
{
	int r = ans_field(ps, "application", "label", v, ps->p->label, 16);

	/* 50 is ans with special characters limited to space (EMV Book 1 §4.3) */
	for (const char *s = ps->p->label; r >= 0 && *s; s++)
		if (!isalnum((unsigned char)*s) && *s != ' ') {
			r = perr(ps, "application", "label",
				 "'%.40s': letters, digits and space only (EMV ans, special "
				 "characters limited to space; '%c')",
				 ps->p->label, *s); /* the parse's copy is dropped */
		}
	return r;
}

static int
set_pname(struct parse *ps, const char *v)
{
	return ans_field(ps, "application", "preferred_name", v, ps->p->preferred_name, 16);
}

static int
set_priority(struct parse *ps, const char *v)
{
	if (fixed_hex(ps, "application", "priority", v, &ps->p->priority, 1) < 0 || ps->ini.err)
		return 0;
	if (ps->p->priority & 0x70)
		return perr(ps, "application", "priority",
			    "%02X: bits b7-b5 are RFU (EMV Book 1 "
			    "Table 13)",
			    ps->p->priority);
	return 0;
}

static int
set_language(struct parse *ps, const char *v)
{
	size_t n = strlen(v);

	if (n < 2 || n > 8 || n % 2 || strspn(v, "abcdefghijklmnopqrstuvwxyz") != n)
		return perr(ps, "application", "language",
			    "'%.40s' is not 1 to 4 two-letter ISO 639-1 codes in lower case", v);
	memcpy(ps->p->language, v, n + 1);
	return 0;
}

static int
set_code_table(struct parse *ps, const char *v)
{
	return byte_dec(ps, "application", "issuer_code_table", v, 1, 10, &ps->p->code_table);
}

static int
set_version(struct parse *ps, const char *v)
{
	return fixed_hex(ps, "application", "version", v, ps->p->version, 2);
}

static int
set_auc(struct parse *ps, const char *v)
{
	return fixed_hex(ps, "application", "auc", v, ps->p->auc, 2);
}

static int
set_pdol(struct parse *ps, const char *v)
{
	return dol_field(ps, "application", "pdol", v, ps->p->pdol, &ps->p->pdol_len, 1);
}

static int
set_cdol1(struct parse *ps, const char *v)
{
	static const unsigned need[] = {0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37};
	struct bank_profile *p = ps->p;

	if (dol_field(ps, "application", "cdol1", v, p->cdol1, &p->cdol1_len, 0) < 0 || ps->ini.err)
		return 0;
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (!bank_dol_has(p->cdol1, p->cdol1_len, need[i]))
			return perr(ps, "application", "cdol1",
				    "tag %X is missing (CDOL1 needs 9F02 9F03 9F1A 95 5F2A 9A 9C "
				    "9F37)",
				    need[i]);
	return 0;
}

static int
set_cdol2(struct parse *ps, const char *v)
{
	struct bank_profile *p = ps->p;

	if (dol_field(ps, "application", "cdol2", v, p->cdol2, &p->cdol2_len, 0) < 0 || ps->ini.err)
		return 0;
	if (!bank_dol_has(p->cdol2, p->cdol2_len, 0x8A) ||
	    !bank_dol_has(p->cdol2, p->cdol2_len, 0x9F37))
		return perr(ps, "application", "cdol2",
			    "CDOL2 needs 8A (the authorisation response code) and 9F37");
	return 0;
}

static int
set_ddol(struct parse *ps, const char *v)
{
	struct bank_profile *p = ps->p;

	if (dol_field(ps, "application", "ddol", v, p->ddol, &p->ddol_len, 0) < 0 || ps->ini.err)
		return 0;
	if (!bank_dol_has(p->ddol, p->ddol_len, 0x9F37))
		return perr(ps, "application", "ddol", "the DDOL needs 9F37 (EMV Book 2 6.5.1)");
	return 0;
}

static int
set_iac(struct parse *ps, const char *key, const char *v, unsigned char *out)
{
	return fixed_hex(ps, "risk", key, v, out, 5);
}

static int
set_iac_denial(struct parse *ps, const char *v)
{
	return set_iac(ps, "iac_denial", v, ps->p->iac_denial);
}

static int
set_iac_online(struct parse *ps, const char *v)
{
	return set_iac(ps, "iac_online", v, ps->p->iac_online);
}

static int
set_iac_default(struct parse *ps, const char *v)
{
	return set_iac(ps, "iac_default", v, ps->p->iac_default);
}

static int
set_lcol(struct parse *ps, const char *v)
{
	return byte_dec(ps, "risk", "lcol", v, 0, 255, &ps->p->lcol);
}

static int
set_ucol(struct parse *ps, const char *v)
{
	return byte_dec(ps, "risk", "ucol", v, 0, 255, &ps->p->ucol);
}

static int
set_ada(struct parse *ps, const char *v)
{
	return fixed_hex(ps, "risk", "ada", v, ps->p->ada, 2);
}

/* One CVM condition name (EMV Book 3 Annex C3 Table 40), after '@' in a cvm entry. */
static int
cvm_condition(const char *s, unsigned char *out)
{
	static const struct {
		const char *name;
		unsigned char code;
	} conds[] = {{"always", 0x00},	  {"unattended-cash", 0x01}, {"not-cash", 0x02},
		     {"supported", 0x03}, {"manual-cash", 0x04},     {"cashback", 0x05}};

	for (size_t k = 0; k < sizeof conds / sizeof conds[0]; k++)
		if (!strcmp(conds[k].name, s)) {
			*out = conds[k].code;
			return 0;
		}
	return -1;
}

static int
set_cvm(struct parse *ps, const char *v)
{
	static const struct {
		const char *name;
		unsigned char code;
	} names[] = {{"offline-pin", BANK_CVM_OFFLINE_PIN},
		     {"online-pin", BANK_CVM_ONLINE_PIN},
		     {"signature", BANK_CVM_SIGNATURE},
		     {"no-cvm", BANK_CVM_NO_CVM}};
	char list[160], *save = NULL;
	size_t n = 0;

	snprintf(list, sizeof list, "%s", v);
	for (char *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		char *at = strchr(t, '@');
		unsigned char cond = 0x03;
		size_t k = 0;

		if (at) {
			*at++ = '\0';
			if (cvm_condition(at, &cond) < 0)
				return perr(ps, "risk", "cvm",
					    "condition '%.40s' is not always, unattended-cash, "
					    "not-cash, supported, manual-cash or cashback",
					    at);
		}
		while (k < sizeof names / sizeof names[0] && strcmp(names[k].name, t))
			k++;
		if (k == sizeof names / sizeof names[0])
			return perr(ps, "risk", "cvm",
				    "'%.40s' is not offline-pin, online-pin, signature or no-cvm",
				    t);
		for (size_t j = 0; j < n; j++)
			if (ps->p->cvm[j] == names[k].code && ps->p->cvm_cond[j] == cond)
				return perr(ps, "risk", "cvm", "'%s' given twice", t);
		if (n >= BANK_CVM_MAX)
			return perr(ps, "risk", "cvm", "more than %d methods", BANK_CVM_MAX);
		ps->p->cvm_cond[n] = cond;
		ps->p->cvm[n++] = names[k].code;
	}
	if (n == 0)
		return perr(ps, "risk", "cvm", "no cardholder verification method");
	ps->p->ncvm = n;
	return 0;
}

static int
set_imk(struct parse *ps, int i, const char *key, const char *v)
{
	char tmp[96];
	const char *b = strstr(v, "{bank}");

	if (b)
		snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)(b - v), v, ps->p->bank, b + 6);
	else
		snprintf(tmp, sizeof tmp, "%s", v);
	if (!tmp[0] || strlen(tmp) >= sizeof ps->p->imk[i] ||
	    strspn(tmp, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		    strlen(tmp))
		return perr(ps, "keys", key, "'%.40s' is not a key store name", tmp);
	memcpy(ps->p->imk[i], tmp, strlen(tmp) + 1);
	return 0;
}

static int
set_imk_ac(struct parse *ps, const char *v)
{
	return set_imk(ps, 0, "imk_ac", v);
}

static int
set_imk_smi(struct parse *ps, const char *v)
{
	return set_imk(ps, 1, "imk_smi", v);
}

static int
set_imk_smc(struct parse *ps, const char *v)
{
	return set_imk(ps, 2, "imk_smc", v);
}

static int
set_dki(struct parse *ps, const char *v)
{
	return fixed_hex(ps, "keys", "dki", v, &ps->p->dki, 1);
}

static int
set_session_key(struct parse *ps, const char *v)
{
	if (emv_ac_skd_parse(v, &ps->p->session_key) < 0) {
		cp_err_clear();
		return perr(ps, "keys", "session_key",
			    "'%.40s' is not emv (EMV Book 2 A1.3) or pboc", v);
	}
	return 0;
}

static int
set_oda(struct parse *ps, const char *v)
{
	if (!strcmp(v, "sda"))
		ps->p->oda = BANK_ODA_SDA;
	else if (!strcmp(v, "dda"))
		ps->p->oda = BANK_ODA_DDA;
	else if (!strcmp(v, "cda"))
		ps->p->oda = BANK_ODA_CDA;
	else
		return perr(ps, "oda", "method", "'%.40s' is not sda, dda or cda", v);
	return 0;
}

static int
set_icc_bits(struct parse *ps, const char *v)
{
	char *e;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &e, 10);
	if (!isdigit((unsigned char)*v) || *e || errno || n < 768 || n > 1984 || n % 16)
		return perr(ps, "oda", "icc_key_bits",
			    "'%.40s' is not a multiple of 16 in 768..1984 (EMV Book 2 Table A2)",
			    v);
	ps->p->icc_key_bits = (unsigned)n;
	return 0;
}

static int
set_initial_pin(struct parse *ps, const char *v)
{
	size_t n;

	if (!strcmp(v, "random")) {
		ps->p->test_pin[0] = '\0';
		return 0;
	}
	if (strncmp(v, "test:", 5))
		return perr(ps, "pin", "initial_pin", "'%.40s' is not random or test:NNNN", v);
	n = strlen(v + 5);
	if (n < 4 || n > 12 || strspn(v + 5, "0123456789") != n)
		return perr(ps, "pin", "initial_pin", "test PIN '%.20s' is not 4 to 12 digits",
			    v + 5);
	memcpy(ps->p->test_pin, v + 5, n + 1);
	return 0;
}

static int
set_tries(struct parse *ps, const char *v)
{
	return byte_dec(ps, "pin", "tries", v, 1, 15, &ps->p->pin_tries);
}

static const struct key_def {
	const char *section, *key;
	int (*set)(struct parse *ps, const char *v);
} keys[] = {
	{"application", "label", set_label},
	{"application", "preferred_name", set_pname},
	{"application", "priority", set_priority},
	{"application", "language", set_language},
	{"application", "issuer_code_table", set_code_table},
	{"application", "version", set_version},
	{"application", "auc", set_auc},
	{"application", "pdol", set_pdol},
	{"application", "cdol1", set_cdol1},
	{"application", "cdol2", set_cdol2},
	{"application", "ddol", set_ddol},
	{"risk", "iac_denial", set_iac_denial},
	{"risk", "iac_online", set_iac_online},
	{"risk", "iac_default", set_iac_default},
	{"risk", "cvm", set_cvm},
	{"risk", "lcol", set_lcol},
	{"risk", "ucol", set_ucol},
	{"risk", "ada", set_ada},
	{"keys", "imk_ac", set_imk_ac},
	{"keys", "imk_smi", set_imk_smi},
	{"keys", "imk_smc", set_imk_smc},
	{"keys", "dki", set_dki},
	{"keys", "session_key", set_session_key},
	{"oda", "method", set_oda},
	{"oda", "icc_key_bits", set_icc_bits},
	{"pin", "initial_pin", set_initial_pin},
	{"pin", "tries", set_tries},
};
#define NKEYS (sizeof keys / sizeof keys[0])

static int
on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	int i;

	if (ps->ini.err)
		return 1;
	i = profile_ini_key(&ps->ini, keys, NKEYS, sizeof keys[0], section, name);
	if (i >= 0)
		keys[i].set(ps, value);
	return 1;
}

int
bank_profile_parse(const char *path, const char *text, struct bank_profile *p)
{
	struct bank_profile tmp = *p;
	struct parse ps = {.ini = {.path = path, .text = text}, .p = &tmp};

	profile_ini_run(&ps.ini, on_entry, &ps);
	if (ps.ini.err)
		return cp_err(ps.ini.err, "%s", ps.ini.msg);
	*p = tmp;
	return 0;
}

int
bank_profile_load_over(const char *path, struct bank_profile *p)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat st;
	int r;

	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if ((r = fs_read_file(path, PROFILE_MAX, &data, &len)) < 0)
		return cp_err_wrap(r, "bank profile: ");
	if (strlen((char *)data) != len)
		r = cp_err(CP_ERR_FORMAT, "%s: a NUL byte in a text file", path);
	else
		r = bank_profile_parse(path, (const char *)data, p);
	free(data);
	return r;
}

/* A BANK.ini in dir whose bank is not in the list is a mistake worth stopping for. */
static int
check_strays(const char *dir, const struct bank_profiles *set)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort), r = 0;

	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		size_t l = strlen(nm);

		if (r >= 0 && l > 4 && !strcmp(nm + l - 4, ".ini") && strcmp(nm, "default.ini")) {
			char bank[BANK_NAME_MAX + 8];

			snprintf(bank, sizeof bank, "%.*s", (int)(l - 4), nm);
			if (!bank_profiles_find(set, bank))
				r = cp_err(CP_ERR_CONFIG,
					   "%s/%s: bank '%s' is not in banks.cooperating", dir, nm,
					   bank);
		}
		free(ents[i]);
	}
	free(ents);
	return r;
}

int
bank_profiles_load(const char *dir, const char *banks, struct bank_profiles *out)
{
	char *list = xstrdup(banks), *save = NULL, *def = NULL;
	struct stat st;
	int r = 0, have_dir = dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);

	memset(out, 0, sizeof(*out));
	if (have_dir) {
		out->dir = xstrdup(dir);
		def = fs_join(dir, "default.ini");
	}
	for (char *t = strtok_r(list, ", ", &save); t && r >= 0; t = strtok_r(NULL, ", ", &save)) {
		struct bank_profile *p;
		char *own;

		if (strlen(t) >= BANK_NAME_MAX) {
			r = cp_err(CP_ERR_CONFIG, "bank code '%.40s' longer than %d characters", t,
				   BANK_NAME_MAX - 1);
			break;
		}
		out->p = xrealloc(out->p, (out->n + 1) * sizeof(*out->p));
		p = &out->p[out->n++];
		bank_profile_default(t, p);
		if (!have_dir)
			continue;
		own = xasprintf("%s/%s.ini", dir, t);
		if ((r = bank_profile_load_over(def, p)) >= 0)
			r = bank_profile_load_over(own, p);
		free(own);
	}
	if (r >= 0 && have_dir)
		r = check_strays(dir, out);
	free(def);
	free(list);
	if (r < 0)
		bank_profiles_release(out);
	return r;
}

int
bank_profiles_load_config(const struct config *cfg, const char *home, struct bank_profiles *out)
{
	char tried[512], *dir = config_path(cfg, "perso.bank_profiles", home);
	int r;

	if (!dir || !*dir) {
		free(dir);
		dir = fs_find_data("bank-profiles", tried, sizeof tried); /* NULL: built-ins */
	} else if (access(dir, R_OK | X_OK) != 0) {
		r = cp_err(CP_ERR_CONFIG, "perso.bank_profiles '%s': %s", dir, strerror(errno));
		free(dir);
		return r;
	}
	r = bank_profiles_load(dir, config_str(cfg, "banks.cooperating"), out);
	free(dir);
	return r;
}

void
bank_profiles_release(struct bank_profiles *set)
{
	free(set->p);
	free(set->dir);
	memset(set, 0, sizeof(*set));
}

int
bank_profiles_check_test_pins(const struct bank_profiles *set, int test_store)
{
	for (size_t i = 0; i < set->n && !test_store; i++)
		if (set->p[i].test_pin[0])
			return cp_err(CP_ERR_CONFIG,
				      "bank %s's profile: initial_pin = test:... is accepted only "
				      "with a TEST ONLY key store",
				      set->p[i].bank);
	return 0;
}

const struct bank_profile *
bank_profiles_find(const struct bank_profiles *set, const char *bank)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->p[i].bank, bank))
			return &set->p[i];
	return NULL;
}
