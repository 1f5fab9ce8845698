/*
 * chipdata.c - card key derivation and the encodings of chip data elements (see chipdata.h).
 */
#include "personalization/chip/chipdata.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "formats/cardno.h"
#include "personalization/crypto/derive.h"

#include <iconv.h>
#include <pthread.h>
#include <sys/types.h>
#include <stdio.h>
#include <string.h>

/* SSSE factor: the last 8 characters of the card number in ASCII. */
static int
chip_ssse_factor(const char *card_no, unsigned char factor[8])
{
	size_t n = strlen(card_no);

	if (n < 8)
		return cp_err(CP_ERR_INVALID, "card number '%s' is shorter than 8 characters",
			      card_no);
	memcpy(factor, card_no + n - 8, 8);
	return 0;
}

static void
bcd_pack(const char *digits, unsigned char *out, size_t nbytes)
{
	for (size_t i = 0; i < nbytes; i++)
		out[i] = (unsigned char)((digits[2 * i] - '0') << 4 | (digits[2 * i + 1] - '0'));
}

int
chip_transport_factor(const char *city, const char *transport_no, unsigned char factor[8])
{
	int r;

	if (strlen(city) != 4 || strspn(city, "0123456789") != 4)
		return cp_err(CP_ERR_CONFIG, "perso.transport_city must be 4 digits, not '%s'",
			      city);
	if (!transport_no || !*transport_no)
		return cp_err(CP_ERR_INVALID, "no transport card number allocated");
	if ((r = cardno_transport_validate(transport_no)) < 0)
		return cp_err_wrap(r, "'%s': ", transport_no);
	if (strncmp(transport_no + 2, city, 4))
		return cp_err(CP_ERR_INVALID,
			      "transport card number %s was allocated for city code %.4s, "
			      "perso.transport_city is %s",
			      transport_no, transport_no + 2, city);
	bcd_pack(transport_no + TRANSPORT_NO_LEN - 16, factor, 8);
	return 0;
}

int
chip_derive_keys(const struct perso_card *c, const struct perso_masters *m, const char *city,
		 struct card_keys *k)
{
	unsigned char f[8];
	int r;

	if ((r = chip_ssse_factor(c->card_no, f)) < 0)
		return r;
	for (int i = 0; i < 3; i++)
		if ((r = cp_sm4_diversify(m->ssse[i], f, k->ssse[i])) < 0)
			return r;
	if ((r = chip_transport_factor(city, c->transport_no, f)) < 0)
		return r;
	for (int i = 0; i < 3; i++)
		if ((r = cp_sm4_diversify(m->transport[i], f, k->transport[i])) < 0)
			return r;
	k->bank_alg = m->bank_alg;
	for (int i = 0; i < 3; i++) {
		r = m->bank_alg == CP_ALG_SM4
			    ? cp_sm4_option_a(m->bank[i], c->pan, c->psn, k->bank[i])
			    : cp_emv_option_a(m->bank[i], c->pan, c->psn, k->bank[i]);
		if (r < 0)
			return cp_err_wrap(r, "card %s: ", c->card_no);
	}
	cp_memzero(f, sizeof(f));
	return 0;
}

/* Length of the GB18030 character starting at p (n bytes left): 1, 2 or 4, 0 if bad. */
static size_t
gb_char_len(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	if (n >= 2 && p[1] >= 0x30 && p[1] <= 0x39)
		return n >= 4 ? 4 : 0;
	return n >= 2 ? 2 : 0;
}

/* UTF-8 to GB18030 with one converter for the process: perso's worker threads take turns
 * (an iconv_t is not to be shared, and opening one per name would cost more than the
 * conversion). Returns the bytes written, or -1. */
static ssize_t
to_gb18030(const char *utf8, char *gb, size_t size)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static iconv_t cd = (iconv_t)-1;
	char *in = (char *)utf8, *out = gb;
	size_t inl = strlen(utf8), outl = size;
	ssize_t n = -2;

	pthread_mutex_lock(&mu);
	if (cd != (iconv_t)-1 || (cd = iconv_open("GB18030", "UTF-8")) != (iconv_t)-1) {
		iconv(cd, NULL, NULL, NULL, NULL);
		n = iconv(cd, &in, &inl, &out, &outl) == (size_t)-1 ? -1 : (ssize_t)(size - outl);
	}
	pthread_mutex_unlock(&mu);
	return n;
}

int
chip_name_gb(const char *utf8, unsigned char first[30], size_t *first_len, unsigned char ext[60],
	     size_t *ext_len)
{
	char gb[128];
	ssize_t got;
	size_t n, cut = 0;

	if (!utf8[0])
		return cp_err(CP_ERR_INVALID, "the name is empty");
	if ((got = to_gb18030(utf8, gb, sizeof(gb))) == -2)
		return cp_err(CP_ERR_UNSUPPORTED, "no UTF-8 to GB18030 converter (iconv)");
	if (got < 0)
		return cp_err(CP_ERR_INVALID, "the name does not convert to GB18030 (or is longer "
					      "than 90 bytes)");
	n = (size_t)got;
	while (cut < n) {
		size_t cl = gb_char_len((unsigned char *)gb + cut, n - cut);

		if (cl == 0)
			return cp_err(CP_ERR_INVALID, "the name's GB18030 encoding is broken");
		if (cut + cl > 30)
			break;
		cut += cl;
	}
	if (n - cut > 60)
		return cp_err(CP_ERR_INVALID,
			      "the name needs %zu bytes in GB18030; the chip holds 90", n);
	memset(first, 0, 30);
	memcpy(first, gb, cut);
	*first_len = cut;
	*ext_len = n - cut;
	memcpy(ext, gb + cut, n - cut);
	return 0;
}

int
chip_initial_pin(const char *ssn, char pin[7])
{
	size_t n = strlen(ssn);

	if (n < 6)
		return cp_err(CP_ERR_INVALID, "social security number too short for a password");
	for (size_t i = 0; i < 6; i++) {
		char ch = ssn[n - 6 + i];

		if (ch == 'X' || ch == 'x')
			ch = '0';
		if (ch < '0' || ch > '9')
			return cp_err(CP_ERR_INVALID, "social security number ends in a non-digit");
		pin[i] = ch;
	}
	pin[6] = '\0';
	return 0;
}

static int
digits_at(const char *s, size_t off, size_t n)
{
	if (strlen(s) < off + n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[off + i] < '0' || s[off + i] > '9')
			return 0;
	return 1;
}

int
chip_birthplace(const char *type, const char *id, char out[7])
{
	if (!strcmp(type, "fpr") && digits_at(id, 1, 2))
		snprintf(out, 7, "%.2s0000", id + 1); /* 9, province(2), nationality(3), ... */
	else if (!strcmp(type, "fpr-old") && digits_at(id, 3, 4))
		snprintf(out, 7, "%.4s00", id + 3); /* 3 letters, area(4), ... */
	else if (digits_at(id, 0, 6))
		snprintf(out, 7, "%.6s", id);
	else
		return cp_err(CP_ERR_INVALID, "no birthplace region in the ID number");
	return 0;
}

int
chip_bcd_date(const char *iso, unsigned char out[4])
{
	int y, m, d;

	/* "YYYY-MM-DD", a real date (checked by a round trip through day numbers); no scanf:
	 * this runs several times per card */
	for (int i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? iso[i] != '-' : (iso[i] < '0' || iso[i] > '9'))
			return cp_err(CP_ERR_INVALID, "'%s' is not a date YYYY-MM-DD", iso);
	if (iso[10])
		return cp_err(CP_ERR_INVALID, "'%s' is not a date YYYY-MM-DD", iso);
	y = (iso[0] - '0') * 1000 + (iso[1] - '0') * 100 + (iso[2] - '0') * 10 + (iso[3] - '0');
	m = (iso[5] - '0') * 10 + (iso[6] - '0');
	d = (iso[8] - '0') * 10 + (iso[9] - '0');
	{
		int y2, m2, d2;

		if (m < 1 || m > 12 || d < 1 || d > 31)
			return cp_err(CP_ERR_INVALID, "'%s' is not a real date", iso);
		cp_civil_from_days(cp_days_from_civil(y, m, d), &y2, &m2, &d2);
		if (y2 != y || m2 != m || d2 != d)
			return cp_err(CP_ERR_INVALID, "'%s' is not a real date", iso);
	}
	out[0] = (unsigned char)((iso[0] - '0') << 4 | (iso[1] - '0'));
	out[1] = (unsigned char)((iso[2] - '0') << 4 | (iso[3] - '0'));
	out[2] = (unsigned char)((iso[5] - '0') << 4 | (iso[6] - '0'));
	out[3] = (unsigned char)((iso[8] - '0') << 4 | (iso[9] - '0'));
	return 0;
}
