/*
 * lifecycle.c - GlobalPlatform life cycle transitions and GET STATUS answers (lifecycle.h).
 */
#include "personalization/chip/lifecycle.h"

#include "core/err.h"
#include "core/hex.h"
#include "personalization/chip/tlv.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *
lc_card_state_name(unsigned char state)
{
	switch (state) {
	case LC_CARD_OP_READY: return "OP_READY";
	case LC_CARD_INITIALIZED: return "INITIALIZED";
	case LC_CARD_SECURED: return "SECURED";
	case LC_CARD_LOCKED: return "CARD_LOCKED";
	case LC_CARD_TERMINATED: return "TERMINATED";
	}
	return NULL;
}

int
lc_app_specific_state(unsigned char s)
{
	return !(s & LC_APP_LOCKED_BIT) && (s & 0x07) == 0x07 && s > LC_APP_SELECTABLE;
}

int
lc_transition_check(const struct lc_transition *t)
{
	switch (t->p1) {
	case LC_P1_ISD:
		if (t->p2 != LC_CARD_INITIALIZED && t->p2 != LC_CARD_SECURED &&
		    t->p2 != LC_CARD_LOCKED && t->p2 != LC_CARD_TERMINATED)
			return cp_err(CP_ERR_FORMAT,
				      "card state %02X is none of 07 INITIALIZED, 0F SECURED, "
				      "7F CARD_LOCKED, FF TERMINATED",
				      t->p2);
		/* the data field is ignored for the ISD (GPCS 11.10.2.3): any stock's ISD AID */
		if (t->aid_len && (t->aid_len < 5 || t->aid_len > LC_AID_MAX))
			return cp_err(CP_ERR_FORMAT,
				      "P1 80 (the card) takes an ISD AID of 5 to 16 bytes or none");
		return 0;
	case LC_P1_APP:
	case LC_P1_SD_APPS:
		if (t->aid_len < 5 || t->aid_len > LC_AID_MAX)
			return cp_err(CP_ERR_FORMAT,
				      "P1 %02X needs an AID of 5 to 16 bytes, not %zu", t->p1,
				      t->aid_len);
		if (!lc_app_specific_state(t->p2) && !(t->p2 & LC_APP_LOCKED_BIT))
			return cp_err(CP_ERR_FORMAT,
				      "application state %02X is no application-specific state "
				      "(0xxxx111 above 07) and not LOCKED (b8)",
				      t->p2);
		return 0;
	}
	return cp_err(CP_ERR_FORMAT,
		      "SET STATUS P1 %02X is none of 80 (card), 40 (application), "
		      "60 (security domain and its applications)",
		      t->p1);
}

/* One hex word of 2..32 digits at *p; advances past it and the blanks after. */
static int
hex_word(const char **p, unsigned char *out, size_t max, size_t *n)
{
	char w[2 * LC_AID_MAX + 1];
	size_t l = 0;
	int r;

	while (**p && !isspace((unsigned char)**p)) {
		if (l + 1 >= sizeof w)
			return -1;
		w[l++] = *(*p)++;
	}
	w[l] = '\0';
	while (isspace((unsigned char)**p))
		(*p)++;
	if (l == 0 || l % 2 || (r = hex_decode(w, out, max)) < 0)
		return -1;
	*n = (size_t)r;
	return 0;
}

int
lc_transition_parse(const char *text, struct lc_transition *out)
{
	const char *p = text;
	unsigned char b[LC_AID_MAX];
	size_t n;
	int r;

	memset(out, 0, sizeof *out);
	while (isspace((unsigned char)*p))
		p++;
	if (hex_word(&p, b, sizeof b, &n) < 0 || n != 1)
		return cp_err(CP_ERR_FORMAT, "transition '%s': P1 is not one hex byte", text);
	out->p1 = b[0];
	if (hex_word(&p, b, sizeof b, &n) < 0 || n != 1)
		return cp_err(CP_ERR_FORMAT, "transition '%s': P2 is not one hex byte", text);
	out->p2 = b[0];
	if (*p) {
		if (hex_word(&p, out->aid, sizeof out->aid, &out->aid_len) < 0)
			return cp_err(CP_ERR_FORMAT,
				      "transition '%s': the AID is not 1..16 bytes of hex", text);
		if (*p)
			return cp_err(CP_ERR_FORMAT, "transition '%s': text after the AID", text);
	}
	if ((r = lc_transition_check(out)) < 0)
		return cp_err_wrap(r, "transition '%s': ", text);
	return 0;
}

void
lc_transition_format(const struct lc_transition *t, char *out, size_t outsz)
{
	char aid[2 * LC_AID_MAX + 1];

	hex_encode(t->aid, t->aid_len, aid);
	snprintf(out, outsz, "%02X %02X%s%s", t->p1, t->p2, t->aid_len ? " " : "", aid);
}

size_t
lc_set_status_apdu(const struct lc_transition *t, unsigned char *cmd)
{
	cmd[0] = 0x80;
	cmd[1] = 0xF0;
	cmd[2] = t->p1;
	cmd[3] = t->p2;
	if (!t->aid_len)
		return 4;
	cmd[4] = (unsigned char)t->aid_len;
	memcpy(cmd + 5, t->aid, t->aid_len);
	return 5 + t->aid_len;
}

int
lc_default_transitions(const unsigned char (*aids)[LC_AID_MAX], const size_t *aid_lens,
		       size_t naids, struct lc_transition *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < naids; i++) {
		int seen = 0;
		if (aid_lens[i] < 5 || aid_lens[i] > LC_AID_MAX)
			return cp_err(CP_ERR_FORMAT, "application AID of %zu bytes", aid_lens[i]);
		for (size_t j = 0; j < n; j++)
			seen |= out[j].aid_len == aid_lens[i] &&
				memcmp(out[j].aid, aids[i], aid_lens[i]) == 0;
		if (seen)
			continue;
		if (n + 1 >= max)
			return cp_err(CP_ERR_LIMIT, "more than %zu life cycle transitions", max);
		memset(&out[n], 0, sizeof out[n]);
		out[n].p1 = LC_P1_APP;
		out[n].p2 = LC_APP_PERSONALIZED;
		memcpy(out[n].aid, aids[i], aid_lens[i]);
		out[n].aid_len = aid_lens[i];
		n++;
	}
	if (n >= max)
		return cp_err(CP_ERR_LIMIT, "more than %zu life cycle transitions", max);
	memset(&out[n], 0, sizeof out[n]);
	out[n].p1 = LC_P1_ISD;
	out[n].p2 = LC_CARD_SECURED;
	return (int)(n + 1);
}

static int
parse_entry(const unsigned char *p, size_t n, struct lc_entry *e)
{
	int have_aid = 0, have_state = 0;
	size_t i = 0;

	memset(e, 0, sizeof *e);
	while (i < n) {
		unsigned tag;
		size_t off, len;
		if (tlv_next(p + i, n - i, &tag, &off, &len) < 0)
			return cp_err(CP_ERR_FORMAT,
				      "GET STATUS: malformed TLV at byte %zu of an "
				      "E3 template",
				      i);
		if (tag == 0x4F) {
			if (len < 1 || len > LC_AID_MAX)
				return cp_err(CP_ERR_FORMAT, "GET STATUS: AID of %zu bytes", len);
			memcpy(e->aid, p + i + off, len);
			e->aid_len = len;
			have_aid = 1;
		} else if (tag == 0x9F70) {
			if (len < 1)
				return cp_err(CP_ERR_FORMAT, "GET STATUS: empty life cycle (9F70)");
			e->state = p[i + off];
			have_state = 1;
		} else if (tag == 0xC5) {
			memcpy(e->privileges, p + i + off, len < 3 ? len : 3);
		}
		i += off + len;
	}
	if (!have_aid || !have_state)
		return cp_err(CP_ERR_FORMAT, "GET STATUS: an E3 template without %s",
			      have_aid ? "its life cycle (9F70)" : "its AID (4F)");
	return 0;
}

int
lc_parse_status(const unsigned char *data, size_t len, struct lc_entry *out, size_t max, size_t *n)
{
	size_t i = 0;
	int r;

	while (i < len) {
		unsigned tag;
		size_t off, vlen;
		if (tlv_next(data + i, len - i, &tag, &off, &vlen) < 0 || tag != 0xE3)
			return cp_err(CP_ERR_FORMAT,
				      "GET STATUS: byte %zu is not a well-formed E3 template", i);
		if (*n >= max)
			return cp_err(CP_ERR_LIMIT, "GET STATUS: more than %zu entries", max);
		if ((r = parse_entry(data + i + off, vlen, &out[*n])) < 0)
			return r;
		(*n)++;
		i += off + vlen;
	}
	return 0;
}
