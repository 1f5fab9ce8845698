/*
 * vcard_status.c - the virtual card's GlobalPlatform life cycles: SET STATUS (GPCS 2.3.1
 * §11.10) moving the card (ISD) or an application forward, and GET STATUS (§11.4) listing
 * the ISD and the applications with their life cycle states and privileges.
 *
 * Both need the ISD's open SCP03 channel. The card life cycle only moves forward
 * (OP_READY 01 → INITIALIZED 07 → SECURED 0F → CARD_LOCKED 7F, TERMINATED FF from any
 * state; §5.1.1, Figure 5-1): going back or staying is 6985, a P2 that is no card life cycle
 * 6A80 (Table 11-87); with P1 80 the data field is ignored (§11.10.2.3). The
 * unlock CARD_LOCKED → SECURED that GP allows is not offered: this chip locks itself only
 * after failed authentications, and then opens no channel at all. An application goes from
 * SELECTABLE 07 to a higher application-specific state (0xxxx111, e.g. 0F personalised) or
 * is locked (b8 set, §5.3.1); anything else is 6985 (not forward) or 6A80 (no such state).
 * There are no supplementary security domains and no executable load files are registered
 * (the applications are in ROM): P1 60 (an SSD and its applications) and the load-file
 * subsets of GET STATUS find nothing, 6A88.
 */
#include "emulator/card/vcard.h"

#include "personalization/chip/tlv.h"
#include "formats/apdu.h"

#include <string.h>

/* Privileges (GPCS Table 6-1): the ISD is a security domain with card lock, card
 * terminate, card reset and CVM management (9E), authorised management, token
 * verification, global delete/lock/registry, final application and global service (FE),
 * receipt generation (80). The applications have none. */
static const unsigned char isd_privileges[3] = {0x9E, 0xFE, 0x80};

/* Largest GET STATUS answer before 6310: leaves room for R-MAC and R-ENC padding. */
#define STATUS_MAX 224

static int
card_transition_ok(unsigned char cur, unsigned char to)
{
	switch (to) {
	case VCARD_LC_INITIALIZED: return cur == VCARD_LC_OP_READY;
	case VCARD_LC_SECURED: return cur == VCARD_LC_OP_READY || cur == VCARD_LC_INITIALIZED;
	case VCARD_LC_LOCKED: return cur == VCARD_LC_SECURED;
	case VCARD_LC_TERMINATED: return cur != VCARD_LC_TERMINATED;
	}
	return 0;
}

static uint16_t
set_card(struct vcard *vc, const struct apdu *a)
{
	unsigned char to = a->p2;

	/* P1 80: the data field is ignored (§11.10.2.3). */
	if (to != VCARD_LC_INITIALIZED && to != VCARD_LC_SECURED && to != VCARD_LC_LOCKED &&
	    to != VCARD_LC_TERMINATED)
		return SW_WRONG_DATA;
	if (!card_transition_ok(vc->chip.card_lc, to))
		return SW_CONDITIONS;
	vc->chip.card_lc = to;
	vc->dirty = 1;
	return SW_OK;
}

static uint16_t
set_app(struct vcard *vc, const struct apdu *a)
{
	unsigned char to = a->p2, *lc;
	int app;

	if (a->lc == 0)
		return SW_WRONG_DATA;
	if ((app = vcard_app_of(vc, a->data, a->lc)) <= VCARD_APP_ISD)
		return SW_DATA_NOT_FOUND; /* the ISD is no application nor SSD */
	if (vc->chip.card_lc >= VCARD_LC_LOCKED)
		return SW_CONDITIONS;
	lc = &vc->chip.apps[app].lc;
	if (to & VCARD_APP_LOCKED_BIT) {
		if (*lc & VCARD_APP_LOCKED_BIT)
			return SW_CONDITIONS;
		*lc |= VCARD_APP_LOCKED_BIT;
	} else {
		if (!lc_app_specific_state(to) && to != VCARD_APP_INSTALLED &&
		    to != VCARD_APP_SELECTABLE)
			return SW_WRONG_DATA;
		if ((*lc & VCARD_APP_LOCKED_BIT) || !lc_app_specific_state(to) || to <= *lc)
			return SW_CONDITIONS;
		*lc = to;
	}
	vc->dirty = 1;
	return SW_OK;
}

uint16_t
vcard_set_status(struct vcard *vc, const struct apdu *a, int wrapped)
{
	if (!wrapped || !vcard_channel_open(vc))
		return SW_SECURITY_STATUS;
	switch (a->p1) {
	case 0x80: return set_card(vc, a);
	case 0x40: return set_app(vc, a);
	case 0x60: return SW_DATA_NOT_FOUND; /* no supplementary security domains */
	}
	return SW_WRONG_P1P2;
}

/* One GlobalPlatform Registry entry (§11.4.3.1): E3 {4F AID, 9F70 state, C5 privileges,
 * CC associated SD} when tlv, else the legacy AID length, AID, state, privilege byte. */
static size_t
registry_entry(const struct vcard *vc, int app, unsigned char lc, int tlv, unsigned char *o)
{
	size_t al, il;
	const unsigned char *isd = vcard_isd_aid(vc, &il);
	const unsigned char *aid = isd;
	static const unsigned char none[3] = {0, 0, 0};
	const unsigned char *priv = app == VCARD_APP_ISD ? isd_privileges : none;
	size_t n = 0;

	al = il;
	if (app != VCARD_APP_ISD)
		aid = vcard_app_aid(app, &al);
	if (!tlv) {
		o[n++] = (unsigned char)al;
		memcpy(o + n, aid, al);
		n += al;
		o[n++] = lc;
		o[n++] = priv[0];
		return n;
	}
	o[n++] = 0xE3;
	o[n++] = 0; /* length, below */
	o[n++] = 0x4F;
	o[n++] = (unsigned char)al;
	memcpy(o + n, aid, al);
	n += al;
	o[n++] = 0x9F;
	o[n++] = 0x70;
	o[n++] = 0x01;
	o[n++] = lc;
	o[n++] = 0xC5;
	o[n++] = 0x03;
	memcpy(o + n, priv, 3);
	n += 3;
	if (app != VCARD_APP_ISD) {
		o[n++] = 0xCC;
		o[n++] = (unsigned char)il;
		memcpy(o + n, isd, il);
		n += il;
	}
	o[1] = (unsigned char)(n - 2);
	return n;
}

/* The search qualifier: data 4F L AID-prefix first (§11.4.2.3), then other search
 * criteria or a tag list (5C), which this card ignores, as it may; they must be TLVs. */
static int
search_qualifier(const struct apdu *a, const unsigned char **q, size_t *ql)
{
	unsigned tag;
	size_t i, off, len;

	if (tlv_next(a->data, a->lc, &tag, &off, &len) < 0 || tag != 0x4F || len > 16)
		return -1;
	*q = a->data + off;
	*ql = len;
	for (i = off + len; i < a->lc; i += off + len)
		if (tlv_next(a->data + i, a->lc - i, &tag, &off, &len) < 0)
			return -1;
	return 0;
}

static int
app_matches(int app, const unsigned char *q, size_t ql)
{
	size_t al;
	const unsigned char *aid = vcard_app_aid(app, &al);

	return ql <= al && memcmp(aid, q, ql) == 0;
}

uint16_t
vcard_get_status(struct vcard *vc, const struct apdu *a, int wrapped, struct vcard_resp *out)
{
	const unsigned char *q;
	size_t ql, n = 0;
	int tlv = (a->p2 & 0x02) != 0, next = (a->p2 & 0x01) != 0, first, app;

	if (!wrapped || !vcard_channel_open(vc))
		return SW_SECURITY_STATUS;
	if (a->p2 & ~0x03u)
		return SW_WRONG_P1P2;
	if (a->p1 != 0x80 && a->p1 != 0x40 && a->p1 != 0x20 && a->p1 != 0x10)
		return SW_WRONG_P1P2;
	if (search_qualifier(a, &q, &ql) < 0)
		return SW_WRONG_DATA;
	if (a->p1 == 0x20 || a->p1 == 0x10)
		return SW_DATA_NOT_FOUND; /* no executable load files registered */
	if (next && (vc->s.status_next == 0 || vc->s.status_p1 != a->p1))
		return SW_CONDITIONS; /* "next occurrence" without a previous 6310 */
	/* status_next is the pending entry + 1: the ISD is entry 0 */
	first = next ? vc->s.status_next - 1 : a->p1 == 0x80 ? VCARD_APP_ISD : VCARD_APP_SSSE;
	vc->s.status_next = 0;
	for (app = first; app < (a->p1 == 0x80 ? VCARD_APP_ISD + 1 : VCARD_NAPPS); app++) {
		unsigned char e[48];
		size_t el;

		/* P1 80: the search criteria are ignored (§11.4.2.1). */
		if ((a->p1 == 0x40 && !app_matches(app, q, ql)) || !vcard_app_present(vc, app))
			continue;
		el = registry_entry(vc, app,
				    app == VCARD_APP_ISD ? vc->chip.card_lc : vc->chip.apps[app].lc,
				    tlv, e);
		if (n + el > (vc->s.status_page ? vc->s.status_page : STATUS_MAX)) {
			if (n == 0) /* a page that holds no entry: 6310 would never end */
				return SW_WRONG_LENGTH;
			vc->s.status_next = app + 1;
			vc->s.status_p1 = a->p1;
			break;
		}
		memcpy(out->data + n, e, el);
		n += el;
	}
	out->len = n;
	if (vc->s.status_next)
		return SW_MORE_DATA;
	return n ? SW_OK : SW_DATA_NOT_FOUND;
}
