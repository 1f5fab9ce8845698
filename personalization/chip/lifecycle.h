/*
 * lifecycle.h - the GlobalPlatform life cycles that end a card's personalisation
 * (GP Card Specification 2.3.1 §5.1, §5.3, §11.10 SET STATUS, §11.4 GET STATUS).
 *
 * A card is issued only once it is locked the GP way: every application the perso script
 * personalised goes to its personalised state and the card (the ISD) to SECURED. The step
 * is a list of SET STATUS transitions (P1, P2, AID) so that a chip profile can name its
 * own; lc_default_transitions() gives the list for this bureau's chips. The encoder sends
 * them through a fresh channel of the stock's own SCP (SCP03 or SCP02) at the profile's
 * security level, then checks the result with GET STATUS
 * (lc_parse_status()). docs/card-lifecycle.md describes the states and the refusals.
 */
#ifndef CP_LIFECYCLE_H
#define CP_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

/* Card (ISD) life cycle states (GPCS Table 11-6). */
#define LC_CARD_OP_READY 0x01
#define LC_CARD_INITIALIZED 0x07
#define LC_CARD_SECURED 0x0F
#define LC_CARD_LOCKED 0x7F
#define LC_CARD_TERMINATED 0xFF
/* Application life cycle states (GPCS Table 11-4): application-specific states are
 * 0xxxx111 above SELECTABLE; LOCKED is the state with b8 set. */
#define LC_APP_INSTALLED 0x03
#define LC_APP_SELECTABLE 0x07
#define LC_APP_PERSONALIZED 0x0F
#define LC_APP_LOCKED_BIT 0x80
/* An application-specific state (GPCS Table 11-4): b8 0, b3..b1 111, above SELECTABLE. */
int lc_app_specific_state(unsigned char s);

/* SET STATUS P1 (GPCS Table 11-86) and GET STATUS P1 (Table 11-33). */
#define LC_P1_ISD 0x80
#define LC_P1_APP 0x40	   /* an application or supplementary security domain */
#define LC_P1_SD_APPS 0x60 /* a security domain and its applications */

#define LC_AID_MAX 16
#define LC_MAX_TRANSITIONS 8

/* One SET STATUS: 80 F0 p1 p2 Lc aid. */
struct lc_transition {
	unsigned char p1, p2;
	unsigned char aid[LC_AID_MAX];
	size_t aid_len; /* 0 only for the ISD (P1 80), which needs no AID */
};

/* Check the coding of a transition: P1 80 with a card state (07, 0F, 7F, FF); P1 40 or 60
 * with an AID of 5..16 bytes and an application-specific state or the LOCKED bit.
 * CP_ERR_FORMAT naming what is wrong. */
int lc_transition_check(const struct lc_transition *t);

/* Parse "P1 P2 [AID]" in hex words ("40 0F A000000333010101", "80 0F") and check it.
 * CP_ERR_FORMAT with the reason. */
int lc_transition_parse(const char *text, struct lc_transition *out);
/* The same text back ("40 0F A000000333010101"); out of at least 48 bytes. */
void lc_transition_format(const struct lc_transition *t, char *out, size_t outsz);

/* The SET STATUS command APDU (no Le: case 1 or 3), into cmd (at least 5 + 16 bytes). */
size_t lc_set_status_apdu(const struct lc_transition *t, unsigned char *cmd);

/* The default end of personalisation: each AID (as given, duplicates once) to
 * PERSONALIZED 0F, then the card to SECURED 0F. Returns the count, or CP_ERR_LIMIT when
 * more than max transitions would be needed. */
int lc_default_transitions(const unsigned char (*aids)[LC_AID_MAX], const size_t *aid_lens,
			   size_t naids, struct lc_transition *out, size_t max);

/* A card state's name ("SECURED"), or NULL for a value that is none. */
const char *lc_card_state_name(unsigned char state);

/* One GlobalPlatform Registry entry of a GET STATUS answer. */
struct lc_entry {
	unsigned char aid[LC_AID_MAX];
	size_t aid_len;
	unsigned char state;
	unsigned char privileges[3];
};

/* Parse a GET STATUS answer in the TLV format (P2 02: E3 templates holding 4F, 9F70, C5)
 * and append its entries to out (*n of max used). CP_ERR_FORMAT when malformed. */
int lc_parse_status(const unsigned char *data, size_t len, struct lc_entry *out, size_t max,
		    size_t *n);

#endif
