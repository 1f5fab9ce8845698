/*
 * reg_cards.h - cards in the registry: allocation (card number, PAN, dates) and the
 * lookups every later stage uses (by id, by card number, by application, by state).
 *
 * A card number (docs/card-number.md), a PAN and a transport card number are allocated
 * once, ever: the counters
 * move in the same transaction as the card row and the application's state, so a crash
 * rolls all of it back together and the next run allocates the same numbers again.
 */
#ifndef CP_REG_CARDS_H
#define CP_REG_CARDS_H

struct registry;

struct card_row {
	long long id;
	char card_no[10];
	long long application_id;
	long long person_id;
	char bank[16];
	char pan[20];
	char psn[3];
	char issue_date[11], expiry_date[11]; /* YYYY-MM-DD, "" when not set */
	int instant;
	char state[16];
	char held_reason[64];
	int line; /* 0 when not set */
	char claimed_by[64];
	char chip_id[64];
	long long superseded_by; /* 0 when not set */
	char created_at[32], updated_at[32];
	char transport_no[20]; /* the T-Union card number; "" for a card allocated before it */
};

/* What allocation needs; the caller holds a transaction (registry_begin). */
struct card_alloc {
	long long application_id, person_id;
	const char *bank;
	const char *bin;	    /* the bank's BIN prefix (banks.bins), 6..12 digits */
	const char *prefix;	    /* card.number_prefix */
	const char *transport_city; /* perso.transport_city: 4 digits */
	const char *issue_date, *expiry_date;
	int instant;
};

/* Allocate the next card number, PAN and transport card number and insert the card (state
 * 'allocated'), through an allocator whose statements are prepared once for a run.
 * CP_ERR_LIMIT when a counter is exhausted; must run inside a transaction. Within one
 * transaction an allocator counts a counter on from its first take and writes it back when
 * the transaction commits (or the allocator is closed), one write per counter instead of
 * one per card; nothing else may take from the counters in that transaction (the commit
 * fails if something did). */
struct card_allocator;
int reg_card_allocator_open(struct registry *reg, struct card_allocator **out);
void reg_card_allocator_close(struct card_allocator *ca);
int reg_card_allocate_with(struct card_allocator *ca, const struct card_alloc *a,
			   struct card_row *out);
int reg_card_supersede_with(struct card_allocator *ca, long long person_id, long long new_id,
			    long *n);
/* Supersede the one card card_no (out of production) by new_id: a change of ID number
 * (manual item 24) replaces a card registered under the person's former number. */
int reg_card_supersede_no_with(struct card_allocator *ca, const char *card_no, long long new_id,
			       long *n);

/* Give a card allocated before transport card numbers existed its own, from the same
 * counter (its own transaction); a card that has one keeps it. out gets the number. */
int reg_card_transport_assign(struct registry *reg, long long card_id, const char *city,
			      char out[20]);

/* Lookups: 0 and *out filled, CP_ERR_NOTFOUND, or CP_ERR_DB. */
int reg_card_by_id(struct registry *reg, long long id, struct card_row *out);
int reg_card_by_no(struct registry *reg, const char *card_no, struct card_row *out);
int reg_card_by_application(struct registry *reg, long long application_id, struct card_row *out);

#endif
