/*
 * reg_dispatch.h - the registry's side of dispatch: produced cards waiting to go out,
 * dispatch items (manifested -> dispatched -> delivered | returned), the UPU S10 serial
 * counter, and employer cards overdue for return (manual item 14).
 *
 * Mutating calls must run inside registry_begin() ... registry_commit(); the schema's
 * triggers append the audit rows.
 */
#ifndef CP_REG_DISPATCH_H
#define CP_REG_DISPATCH_H

#include <stddef.h>

struct registry;

/* A card with what dispatch needs from its application (and its dispatch item, if any).
 * Strings are NULL when the registry holds NULL. */
struct dispatch_card {
	long long card_id, app_id, item_id; /* item_id 0: no dispatch item yet */
	int instant;
	char *card_no, *bank, *pan, *card_state;
	char *delivery; /* application.delivery: mail-person, mail-employer, pickup */
	char *name, *id_number, *mobile, *address, *postal_code, *district, *branch;
	char *employer_name, *employer_uscc, *app_type, *due_date;
	/* the dispatch item */
	char *method, *tracking_no, *bag, *batch, *destination, *activation_ref, *item_state;
	char *created_at, *dispatched_at, *delivered_at, *returned_at, *event_detail;
	char *handed_out_at; /* employer deliveries: handed to the employee */
};

struct dispatch_list {
	struct dispatch_card *v;
	size_t n;
};

void dispatch_card_release(struct dispatch_card *c);
void dispatch_list_release(struct dispatch_list *l);

/* Produced cards that have no dispatch item yet, ordered by card number. */
int reg_dispatch_pending(struct registry *reg, struct dispatch_list *out);
/* Batches that still have items in state 'manifested' (a run stopped before it finished),
 * oldest first. */
int reg_dispatch_open_batches(struct registry *reg, char ***batches, size_t *n);
void reg_strv_free(char **v, size_t n);
/* The items of a batch: those going by post first, then by postal code, bag and card
 * number (the manifest's order, so a bag's items are adjacent). */
int reg_dispatch_batch_items(struct registry *reg, const char *batch, struct dispatch_list *out);
/* A batch name not used yet: "<YYYYMMDD>-<NN>" for the business date. */
int reg_dispatch_new_batch(struct registry *reg, const char *business_date, char **out);
/* Take the next S10 serial for prefix (starting at 1). CP_ERR_LIMIT when exhausted. */
int reg_s10_next(struct registry *reg, const char *prefix, long *serial);
/* Record a dispatch item in state 'manifested'. */
int reg_dispatch_add(struct registry *reg, const struct dispatch_card *c);
/* Every 'manifested' item of batch -> 'dispatched' (its card too) at time at (ISO UTC).
 * Instant cards are handed over at the counter: they go straight to 'delivered'. */
int reg_dispatch_mark_dispatched(struct registry *reg, const char *batch, const char *at,
				 long long *count);
/* Find the dispatch item of a card by card number or S10 tracking number. */
int reg_dispatch_find(struct registry *reg, const char *key, struct dispatch_card *out);
/* Delivery and return events. CP_ERR_INVALID when the item is not in a state that allows
 * the event (returning a delivered mailed card is allowed: the recipient sent it back). */
int reg_dispatch_delivered(struct registry *reg, long long item_id, const char *at,
			   const char *detail);
int reg_dispatch_returned(struct registry *reg, long long item_id, const char *at,
			  const char *reason);
/* An employer confirms it handed the card to the employee (manual item 14). CP_ERR_EXISTS
 * when already recorded, CP_ERR_INVALID for a card that is not an employer delivery or
 * was returned. */
int reg_dispatch_handed_out(struct registry *reg, long long item_id, const char *at);
/* Employer cards neither handed out nor returned, with the employer (delivered, else
 * dispatched) since before cutoff (ISO UTC). */
int reg_dispatch_employer_overdue(struct registry *reg, const char *cutoff,
				  struct dispatch_list *out);

#endif
