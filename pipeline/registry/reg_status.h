/*
 * reg_status.h - read-only questions to the registry for the reports: where a person's
 * applications stand and the status feed (cardpipe status), the per-bank per-day counts
 * of reconciliation, transport refunds, the SLA figures and the run report's counts.
 *
 * Day arguments are Beijing business dates "YYYY-MM-DD"; the registry's timestamps are
 * UTC, so an event belongs to the Beijing date of its time (+8 hours).
 */
#ifndef CP_REG_STATUS_H
#define CP_REG_STATUS_H

#include <stddef.h>

struct registry;

/* A read snapshot for reports (a deferred transaction: other processes keep writing; the
 * report sees one consistent state). End it with registry_rollback(). */
int reg_snapshot_begin(struct registry *reg);

/* ---- cardpipe status ---- */
struct status_app {
	long long app_id, duplicate_of, card_id;
	char *channel, *channel_ref, *app_type, *submitted_at, *created_at, *state;
	char *reason_code, *reason_zh, *reason_en, *due_date, *delivery, *branch;
	char *card_no, *card_state, *held_reason, *produced_at;
	char *method, *tracking_no, *item_state, *dispatched_at, *delivered_at, *returned_at;
	char *event_detail, *handed_out_at;
};
/* Every application with this ID number (any ID type), oldest first. */
int reg_status_person(struct registry *reg, const char *id_number, struct status_app **v,
		      size_t *n);
void status_apps_free(struct status_app *v, size_t n);

struct feed_event {
	long long seq, app_id;
	char *at, *entity, *event, *detail;
	char *channel, *channel_ref, *id_number, *card_no, *tracking_no;
};
/* Audit rows about applications, cards and dispatch items after seq `after`, in order,
 * at most limit. */
int reg_status_feed(struct registry *reg, long long after, long long limit, struct feed_event **v,
		    size_t *n);
void feed_events_free(struct feed_event *v, size_t n);

/* ---- reconciliation ---- */
struct recon_counts {
	long long ordered;    /* cards allocated for the bank that day */
	long long produced;   /* production attempts that ended produced that day */
	long long spoiled;    /* production attempts that ended spoiled that day */
	long long dispatched; /* dispatch items dispatched that day */
	long long returned;   /* dispatch items returned that day */
};
struct named_count {
	char *name;
	long long n;
};
struct recon_card {
	char *pan, *card_no, *produced_at;
};
struct recon_refund {
	long long app_id, amount_fen; /* amount_fen -1: the registry holds no integer */
	char *channel_ref, *old_card_no, *new_card_no, *bank, *requested, *id_number;
};

/* Banks with any reconciliation event that day, sorted. */
int reg_recon_banks(struct registry *reg, const char *day, char ***v, size_t *n);
int reg_recon_counts(struct registry *reg, const char *bank, const char *day,
		     struct recon_counts *out);
int reg_recon_spoiled(struct registry *reg, const char *bank, const char *day,
		      struct named_count **v, size_t *n);
/* The cards produced that day (their PANs), by card number. */
int reg_recon_cards(struct registry *reg, const char *bank, const char *day, struct recon_card **v,
		    size_t *n);
void recon_cards_free(struct recon_card *v, size_t n);
/* Damaged-card replacements with a transport balance (manual item 46) that reached the
 * registry that day (each is listed once, on the day it was received); requested is the
 * Beijing date the person applied, from which the refund is due. bank NULL for every bank. */
int reg_recon_refunds(struct registry *reg, const char *bank, const char *day,
		      struct recon_refund **v, size_t *n);
void recon_refunds_free(struct recon_refund *v, size_t n);
void named_counts_free(struct named_count *v, size_t n);

/* ---- SLA ---- */
struct sla_item {
	char *app_type, *due_date;
	char *done_date; /* Beijing date the card was produced, NULL if not yet */
	/* which application (the run report lists the breached ones) */
	long long app_id;
	char *channel, *channel_ref, *id_number, *state;
};
/* Accepted or held applications with a due date that are open, or were completed on day. */
int reg_sla_items(struct registry *reg, const char *day, struct sla_item **v, size_t *n);
void sla_items_free(struct sla_item *v, size_t n);
void sla_item_release(struct sla_item *s);

/* ---- run report ---- */
enum reg_count_kind {
	COUNT_CARD_STATES, /* every card by state (now) */
	COUNT_APP_STATES,  /* applications created in the window, by state */
	COUNT_REJECTS,	   /* rejected applications created in the window, by reason code */
	COUNT_SPOILAGE,	   /* attempts spoiled in the window, by reason */
	COUNT_DISPATCH,	   /* dispatch items dispatched in the window, by method */
};
/* since/until are ISO UTC timestamps (inclusive, exclusive); ignored for card states. */
int reg_counts(struct registry *reg, enum reg_count_kind kind, const char *since, const char *until,
	       struct named_count **v, size_t *n);
/* The rejected applications created in the window (as COUNT_REJECTS counts them), by
 * reason code then id. */
struct reject_item {
	long long app_id, record_no;
	char *reason_code, *channel, *channel_ref, *id_number, *file_name, *location;
};
int reg_rejects_list(struct registry *reg, const char *since, const char *until,
		     struct reject_item **v, size_t *n);
void reject_items_free(struct reject_item *v, size_t n);

#endif
