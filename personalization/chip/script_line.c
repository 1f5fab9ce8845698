/*
 * script_line.c - one command line of an APDU script (see script_line.h).
 */
#include "personalization/chip/script_line.h"

#include "core/err.h"
#include "core/hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SENS_BLOCK 16

static const char *
word_end(const char *p, const char *end)
{
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return p;
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The hex words up to the first word with '=': the APDU, its length checked against Lc.
 * *next gets where the key=value words start. */
static int
parse_hex(const char *p, const char *end, const char *name, int ln, struct perso_line *l,
	  const char **next)
{
	size_t n = 0;
	int hi = -1;

	for (p = skip_blanks(p, end); p < end; p = skip_blanks(p, end)) {
		const char *w = word_end(p, end);

		if (memchr(p, '=', (size_t)(w - p)))
			break;
		for (; p < w; p++) {
			int v = hex_digit(*p);

			if (v < 0)
				return cp_err(CP_ERR_FORMAT, "%s:%d: APDU: '%c' is not a hex digit",
					      name, ln, *p);
			if (hi < 0) {
				hi = v;
				continue;
			}
			if (n >= sizeof(l->apdu))
				return cp_err(CP_ERR_LIMIT, "%s:%d: APDU longer than %d bytes",
					      name, ln, PERSO_LINE_APDU_MAX);
			l->apdu[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	*next = p;
	if (hi >= 0)
		return cp_err(CP_ERR_FORMAT, "%s:%d: APDU: odd number of hex digits", name, ln);
	if (n < 4)
		return cp_err(CP_ERR_FORMAT, "%s:%d: an APDU has at least 4 bytes", name, ln);
	if (n > 5 && l->apdu[4] == 0)
		return cp_err(CP_ERR_FORMAT, "%s:%d: Lc 00 (extended APDUs are not used)", name,
			      ln);
	if (n > 5 && n != 5 + (size_t)l->apdu[4] && n != 6 + (size_t)l->apdu[4])
		return cp_err(CP_ERR_FORMAT, "%s:%d: APDU of %zu bytes does not match Lc %u", name,
			      ln, n, l->apdu[4]);
	l->len = n;
	return 0;
}

static int
parse_sw(char *val, const char *name, int ln, struct perso_line *l)
{
	char *save = NULL;

	for (char *t = strtok_r(val, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned char sw[2];

		if (l->n_sw >= 4 || strlen(t) != 4 || hex_decode(t, sw, 2) != 2)
			return cp_err(CP_ERR_FORMAT,
				      "%s:%d: sw '%s': up to 4 status words of 4 hex digits", name,
				      ln, t);
		l->sw[l->n_sw++] = (uint16_t)(sw[0] << 8 | sw[1]);
	}
	return 0;
}

/* Decimal digits only (no sign, no blanks: strtoul alone would take "-1" as a huge
 * offset that wraps the range check); too large a value saturates and fails that check. */
static int
decimal(const char *s, size_t len, size_t *out)
{
	if (len == 0 || strspn(s, "0123456789") < len)
		return -1;
	*out = (size_t)strtoul(s, NULL, 10);
	return 0;
}

static int
parse_sens(const char *val, const char *name, int ln, struct perso_line *l)
{
	const char *colon = strchr(val, ':');
	size_t off, len, lc = l->len > 5 ? l->apdu[4] : 0;

	if (!colon || decimal(val, (size_t)(colon - val), &off) < 0 ||
	    decimal(colon + 1, strlen(colon + 1), &len) < 0 || len == 0)
		return cp_err(CP_ERR_FORMAT, "%s:%d: sens: expected OFFSET:LENGTH", name, ln);
	if (len % SENS_BLOCK)
		return cp_err(CP_ERR_FORMAT, "%s:%d: sens=%s: not whole blocks of %d bytes", name,
			      ln, val, SENS_BLOCK);
	if (off > lc || len > lc - off)
		return cp_err(CP_ERR_FORMAT, "%s:%d: sens range outside the data field", name, ln);
	l->sens_off = off;
	l->sens_len = len;
	return 0;
}

/* One key=value word [p, w). */
static int
parse_word(const char *p, const char *w, const char *name, int ln, struct perso_line *l)
{
	const char *eq = memchr(p, '=', (size_t)(w - p));
	size_t kl = eq ? (size_t)(eq - p) : 0, vl = eq ? (size_t)(w - eq - 1) : 0;
	char val[96];

	if (!eq || vl == 0 || vl >= sizeof(val))
		return cp_err(CP_ERR_FORMAT, "%s:%d: expected key=value after the APDU", name, ln);
	memcpy(val, eq + 1, vl);
	val[vl] = '\0';
	if (kl == 2 && !strncmp(p, "sw", 2))
		return parse_sw(val, name, ln, l);
	if (kl == 4 && !strncmp(p, "sens", 4))
		return parse_sens(val, name, ln, l);
	if (kl == 5 && !strncmp(p, "label", 5)) {
		snprintf(l->label, sizeof(l->label), "%s", val);
		return 0;
	}
	return cp_err(CP_ERR_FORMAT, "%s:%d: unknown field '%.*s' (sw, sens, label)", name, ln,
		      (int)kl, p);
}

int
perso_line_parse(const char *p, const char *end, const char *name, int line, struct perso_line *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = parse_hex(p, end, name, line, out, &p)) < 0)
		return r;
	while (p < end) {
		const char *w = word_end(p, end);

		if ((r = parse_word(p, w, name, line, out)) < 0)
			return r;
		p = skip_blanks(w, end);
	}
	return 0;
}
