/* reg_status.c - the registry side of the reports (reg_status.h). */
#include "pipeline/registry/reg_status.h"

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdlib.h>
#include <string.h>

/* Beijing date of a stored UTC timestamp. Date functions are each database's own (SQLite's
 * date() and its modifiers, PostgreSQL's timestamptz arithmetic): the statements that need
 * one are written once, as macros S(BJ) of the date expression, and BJ_SQL() builds the
 * connection's. */
#define BJ_SQLITE(col) "date(" col ", '+8 hours')"
#define BJ_PG(col)                                                                                 \
	"to_char(CAST(" col " AS timestamptz) AT TIME ZONE 'UTC' + interval '8 hours', "           \
	"'YYYY-MM-DD')"
#define BJ_SQL(reg, S) (reg_is_sqlite(reg) ? S(BJ_SQLITE) : S(BJ_PG))

typedef void (*row_fn)(struct reg_stmt *st, void *elem);

/* Step st to the end, growing *v by elem_size per row and filling it with load(). */
static int
collect(struct registry *reg, struct reg_stmt *st, size_t elem_size, row_fn load, void **v,
	size_t *n)
{
	unsigned char *arr = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r = 0;

	while ((rc = reg_step(st)) == REG_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 32;
			arr = xrealloc(arr, cap * elem_size);
		}
		memset(arr + cnt * elem_size, 0, elem_size);
		load(st, arr + cnt * elem_size);
		cnt++;
	}
	if (rc != REG_DONE)
		r = reg_fail(reg, "report query");
	reg_finalize(st);
	*v = arr;
	*n = cnt;
	return r;
}

/* Load consecutive text columns from col into an array of char * fields. */
static void
texts(struct reg_stmt *st, int col, char **const *fields, size_t nf)
{
	for (size_t i = 0; i < nf; i++)
		*fields[i] = reg_col_strdup(st, col + (int)i);
}

static void
free_texts(char **const *fields, size_t nf)
{
	for (size_t i = 0; i < nf; i++)
		free(*fields[i]);
}

int
reg_snapshot_begin(struct registry *reg)
{
	long long v;
	int r;

	if ((r = reg_begin_read(reg)) < 0)
		return r;
	/* the snapshot starts at the first read */
	if ((r = reg_query_int(reg, "SELECT count(*) FROM meta", &v)) < 0)
		registry_rollback(reg);
	return r;
}

/* ---- status ---- */

#define STATUS_TEXTS(a)                                                                            \
	{                                                                                          \
		&(a)->channel, &(a)->channel_ref, &(a)->app_type, &(a)->submitted_at,              \
			&(a)->created_at, &(a)->state, &(a)->reason_code, &(a)->reason_zh,         \
			&(a)->reason_en, &(a)->due_date, &(a)->delivery, &(a)->branch,             \
			&(a)->card_no, &(a)->card_state, &(a)->held_reason, &(a)->produced_at,     \
			&(a)->method, &(a)->tracking_no, &(a)->item_state, &(a)->dispatched_at,    \
			&(a)->delivered_at, &(a)->returned_at, &(a)->event_detail,                 \
			&(a)->handed_out_at                                                        \
	}

static void
load_status(struct reg_stmt *st, void *elem)
{
	struct status_app *a = elem;
	char **const f[] = STATUS_TEXTS(a);

	a->app_id = reg_col_int(st, 0);
	a->duplicate_of = reg_col_int(st, 1);
	a->card_id = reg_col_int(st, 2);
	texts(st, 3, f, ARRAY_SIZE(f));
}

void
status_apps_free(struct status_app *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct status_app *a = &v[i];
		char **const f[] = STATUS_TEXTS(a);

		free_texts(f, ARRAY_SIZE(f));
	}
	free(v);
}

int
reg_status_person(struct registry *reg, const char *id_number, struct status_app **v, size_t *n)
{
	struct reg_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if ((r = reg_prepare(
		     reg,
		     "SELECT a.id, coalesce(a.duplicate_of, 0), coalesce(c.id, 0), a.channel, "
		     "a.channel_ref, a.app_type, a.submitted_at, a.created_at, a.state, "
		     "a.reason_code, a.reason_zh, a.reason_en, a.due_date, a.delivery, a.branch, "
		     "c.card_no, c.state, c.held_reason, (SELECT max(p.ended_at) FROM "
		     "production_attempt p WHERE p.card_id = c.id AND p.state = 'produced'), "
		     "d.method, d.tracking_no, d.state, d.dispatched_at, d.delivered_at, "
		     "d.returned_at, d.event_detail, d.handed_out_at FROM application a "
		     "LEFT JOIN card c ON c.application_id = a.id "
		     "LEFT JOIN dispatch_item d ON d.card_id = c.id "
		     "WHERE a.id_number = ?1 OR upper(a.id_number) = upper(?1) "
		     "ORDER BY a.created_at, a.id",
		     &st)) < 0)
		return r;
	reg_bind_text(st, 1, id_number);
	return collect(reg, st, sizeof(**v), load_status, (void **)v, n);
}

#define FEED_TEXTS(e)                                                                              \
	{                                                                                          \
		&(e)->at, &(e)->entity, &(e)->event, &(e)->detail, &(e)->channel,                  \
			&(e)->channel_ref, &(e)->id_number, &(e)->card_no, &(e)->tracking_no       \
	}

static void
load_feed(struct reg_stmt *st, void *elem)
{
	struct feed_event *e = elem;
	char **const f[] = FEED_TEXTS(e);

	e->seq = reg_col_int(st, 0);
	e->app_id = reg_col_int(st, 1);
	texts(st, 2, f, ARRAY_SIZE(f));
}

void
feed_events_free(struct feed_event *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct feed_event *e = &v[i];
		char **const f[] = FEED_TEXTS(e);

		free_texts(f, ARRAY_SIZE(f));
	}
	free(v);
}

int
reg_status_feed(struct registry *reg, long long after, long long limit, struct feed_event **v,
		size_t *n)
{
	struct reg_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if ((r = reg_prepare(
		     reg,
		     "SELECT l.id, coalesce(a.id, 0), l.at, l.entity, l.event, l.detail, "
		     "a.channel, "
		     "a.channel_ref, a.id_number, c.card_no, d.tracking_no FROM audit_log l "
		     "LEFT JOIN dispatch_item d ON l.entity = 'dispatch' AND d.id = l.entity_id "
		     "LEFT JOIN card c ON c.id = CASE l.entity WHEN 'card' THEN l.entity_id "
		     "  WHEN 'dispatch' THEN d.card_id END "
		     "LEFT JOIN application a ON a.id = CASE l.entity WHEN 'application' THEN "
		     "  l.entity_id ELSE c.application_id END "
		     "WHERE l.id > ?1 AND l.entity IN ('application', 'card', 'dispatch') "
		     "ORDER BY l.id LIMIT ?2",
		     &st)) < 0)
		return r;
	reg_bind_int(st, 1, after);
	reg_bind_int(st, 2, limit);
	return collect(reg, st, sizeof(**v), load_feed, (void **)v, n);
}

/* ---- reconciliation ---- */

static void
load_str(struct reg_stmt *st, void *elem)
{
	*(char **)elem = reg_col_strdup(st, 0);
}

/* clang-format off */
#define RECON_BANKS_SQL(BJ) \
	"SELECT bank FROM card WHERE " BJ("created_at") " = ?1 " \
	"UNION SELECT c.bank FROM production_attempt p JOIN card c ON c.id = p.card_id " \
	"WHERE p.state <> 'in_flight' AND " BJ("p.ended_at") " = ?1 " \
	"UNION SELECT c.bank FROM dispatch_item d JOIN card c ON c.id = d.card_id " \
	"WHERE " BJ("d.dispatched_at") " = ?1 OR " BJ("d.returned_at") " = ?1 " \
	"ORDER BY 1"
/* clang-format on */

int
reg_recon_banks(struct registry *reg, const char *day, char ***v, size_t *n)
{
	struct reg_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if ((r = reg_prepare(reg, BJ_SQL(reg, RECON_BANKS_SQL), &st)) < 0)
		return r;
	reg_bind_text(st, 1, day);
	return collect(reg, st, sizeof(char *), load_str, (void **)v, n);
}

static int
count1(struct registry *reg, const char *sql, const char *bank, const char *day, long long *out)
{
	struct reg_stmt *st;
	int r, rc;

	*out = 0;
	if ((r = reg_prepare(reg, sql, &st)) < 0)
		return r;
	reg_bind_text(st, 1, bank);
	reg_bind_text(st, 2, day);
	rc = reg_step(st);
	if (rc == REG_ROW)
		*out = reg_col_int(st, 0);
	else
		r = reg_fail(reg, "reconciliation count");
	reg_finalize(st);
	return r;
}

#define ORDERED_SQL(BJ) "SELECT count(*) FROM card WHERE bank = ?1 AND " BJ("created_at") " = ?2"
#define PRODUCED_SQL(BJ)                                                                           \
	"SELECT count(*) FROM production_attempt p JOIN card c ON c.id = p.card_id "               \
	"WHERE c.bank = ?1 AND p.state = 'produced' AND " BJ("p.ended_at") " = ?2"
#define SPOILED_SQL(BJ)                                                                            \
	"SELECT count(*) FROM production_attempt p JOIN card c ON c.id = p.card_id "               \
	"WHERE c.bank = ?1 AND p.state = 'spoiled' AND " BJ("p.ended_at") " = ?2"
#define DISPATCHED_SQL(BJ)                                                                         \
	"SELECT count(*) FROM dispatch_item d JOIN card c ON c.id = d.card_id "                    \
	"WHERE c.bank = ?1 AND " BJ("d.dispatched_at") " = ?2"
#define RETURNED_SQL(BJ)                                                                           \
	"SELECT count(*) FROM dispatch_item d JOIN card c ON c.id = d.card_id "                    \
	"WHERE c.bank = ?1 AND " BJ("d.returned_at") " = ?2"

int
reg_recon_counts(struct registry *reg, const char *bank, const char *day, struct recon_counts *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = count1(reg, BJ_SQL(reg, ORDERED_SQL), bank, day, &out->ordered)) < 0 ||
	    (r = count1(reg, BJ_SQL(reg, PRODUCED_SQL), bank, day, &out->produced)) < 0 ||
	    (r = count1(reg, BJ_SQL(reg, SPOILED_SQL), bank, day, &out->spoiled)) < 0 ||
	    (r = count1(reg, BJ_SQL(reg, DISPATCHED_SQL), bank, day, &out->dispatched)) < 0 ||
	    (r = count1(reg, BJ_SQL(reg, RETURNED_SQL), bank, day, &out->returned)) < 0)
		return r;
	return 0;
}

static void
load_named(struct reg_stmt *st, void *elem)
{
	struct named_count *c = elem;

	c->name = reg_col_strdup(st, 0);
	if (!c->name)
		c->name = xstrdup("");
	c->n = reg_col_int(st, 1);
}

void
named_counts_free(struct named_count *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

#define RECON_SPOILED_SQL(BJ)                                                                      \
	"SELECT p.spoil_reason, count(*) FROM production_attempt p JOIN card c "                   \
	"ON c.id = p.card_id WHERE c.bank = ?1 AND p.state = 'spoiled' AND "                       \
	"" BJ("p.ended_at") " = ?2 GROUP BY 1 ORDER BY 1"

int
reg_recon_spoiled(struct registry *reg, const char *bank, const char *day, struct named_count **v,
		  size_t *n)
{
	struct reg_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if ((r = reg_prepare(reg, BJ_SQL(reg, RECON_SPOILED_SQL), &st)) < 0)
		return r;
	reg_bind_text(st, 1, bank);
	reg_bind_text(st, 2, day);
	return collect(reg, st, sizeof(**v), load_named, (void **)v, n);
}

static void
load_card(struct reg_stmt *st, void *elem)
{
	struct recon_card *c = elem;
	char **const f[] = {&c->pan, &c->card_no, &c->produced_at};

	texts(st, 0, f, ARRAY_SIZE(f));
}

void
recon_cards_free(struct recon_card *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].pan);
		free(v[i].card_no);
		free(v[i].produced_at);
	}
	free(v);
}

#define RECON_CARDS_SQL(BJ)                                                                        \
	"SELECT c.pan, c.card_no, p.ended_at FROM production_attempt p JOIN "                      \
	"card c ON c.id = p.card_id WHERE c.bank = ?1 AND p.state = 'produced' "                   \
	"AND " BJ("p.ended_at") " = ?2 ORDER BY c.card_no"

int
reg_recon_cards(struct registry *reg, const char *bank, const char *day, struct recon_card **v,
		size_t *n)
{
	struct reg_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if ((r = reg_prepare(reg, BJ_SQL(reg, RECON_CARDS_SQL), &st)) < 0)
		return r;
	reg_bind_text(st, 1, bank);
	reg_bind_text(st, 2, day);
	return collect(reg, st, sizeof(**v), load_card, (void **)v, n);
}

static void
load_refund(struct reg_stmt *st, void *elem)
{
	struct recon_refund *f = elem;
	char **const t[] = {&f->channel_ref, &f->old_card_no, &f->new_card_no,
			    &f->bank,	     &f->requested,   &f->id_number};

	f->app_id = reg_col_int(st, 0);
	/* a balance stored as text or a fraction ("abc", "12.5") is not an amount: -1, which
	 * reconcile refuses, rather than the 0 or 12 SQLite would make of it */
	f->amount_fen = reg_col_is_int(st, 1) ? reg_col_int(st, 1) : -1;
	texts(st, 2, t, ARRAY_SIZE(t));
}

void
recon_refunds_free(struct recon_refund *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].channel_ref);
		free(v[i].old_card_no);
		free(v[i].new_card_no);
		free(v[i].bank);
		free(v[i].requested);
		free(v[i].id_number);
	}
	free(v);
}

/* the refund goes through the bank of the replacement card, else the application's */
/* clang-format off */
#define RECON_REFUNDS_SQL(BJ) \
	"SELECT a.id, a.transport_balance, a.channel_ref, a.old_card_no, c.card_no, " \
	"coalesce(c.bank, a.bank), " BJ("coalesce(a.submitted_at, a.created_at)") ", " \
	"a.id_number FROM application a LEFT JOIN card c ON " \
	"c.application_id = a.id WHERE a.app_type = 'replace-damaged' AND a.state IN " \
	"('accepted', 'held') AND a.transport_balance > 0 AND (CAST(?1 AS TEXT) IS NULL OR " \
	"coalesce(c.bank, a.bank) = ?1) AND " BJ("a.created_at") " = ?2 " \
	"ORDER BY a.id"
/* clang-format on */

int
reg_recon_refunds(struct registry *reg, const char *bank, const char *day, struct recon_refund **v,
		  size_t *n)
{
	struct reg_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if ((r = reg_prepare(reg, BJ_SQL(reg, RECON_REFUNDS_SQL), &st)) < 0)
		return r;
	reg_bind_text(st, 1, bank);
	reg_bind_text(st, 2, day);
	return collect(reg, st, sizeof(**v), load_refund, (void **)v, n);
}

/* ---- SLA ---- */

static void
load_sla(struct reg_stmt *st, void *elem)
{
	struct sla_item *s = elem;
	char **const f[] = {&s->app_type, &s->due_date, &s->done_date};
	char **const g[] = {&s->channel, &s->channel_ref, &s->id_number, &s->state};

	texts(st, 0, f, ARRAY_SIZE(f));
	s->app_id = reg_col_int(st, 3);
	texts(st, 4, g, ARRAY_SIZE(g));
}

void
sla_item_release(struct sla_item *s)
{
	free(s->app_type);
	free(s->due_date);
	free(s->done_date);
	free(s->channel);
	free(s->channel_ref);
	free(s->id_number);
	free(s->state);
}

void
sla_items_free(struct sla_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sla_item_release(&v[i]);
	free(v);
}

/* clang-format off */
#define SLA_SQL(BJ) \
	"SELECT * FROM (SELECT coalesce(a.app_type, 'unknown'), a.due_date, " \
	"(SELECT " BJ("min(p.ended_at)") " FROM card c JOIN production_attempt p ON " \
	"p.card_id = c.id WHERE c.application_id = a.id AND p.state = 'produced') " \
	"AS done, a.id, a.channel, a.channel_ref, a.id_number, a.state " \
	"FROM application a WHERE a.state IN ('accepted', 'held') AND " \
	"a.due_date IS NOT NULL) AS due WHERE done IS NULL OR done = ?1 ORDER BY 1, 2, 4"
/* clang-format on */

int
reg_sla_items(struct registry *reg, const char *day, struct sla_item **v, size_t *n)
{
	struct reg_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if ((r = reg_prepare(reg, BJ_SQL(reg, SLA_SQL), &st)) < 0)
		return r;
	reg_bind_text(st, 1, day);
	return collect(reg, st, sizeof(**v), load_sla, (void **)v, n);
}

/* ---- run report ---- */

int
reg_counts(struct registry *reg, enum reg_count_kind kind, const char *since, const char *until,
	   struct named_count **v, size_t *n)
{
	static const char *const sql[] = {
		[COUNT_CARD_STATES] =
			"SELECT state, count(*) FROM card GROUP BY 1 ORDER BY 2 DESC, 1",
		[COUNT_APP_STATES] = "SELECT state, count(*) FROM application WHERE created_at >= "
				     "?1 AND created_at < ?2 GROUP BY 1 ORDER BY 2 DESC, 1",
		[COUNT_REJECTS] = "SELECT coalesce(reason_code, 'unknown'), count(*) FROM "
				  "application WHERE state = 'rejected' AND created_at >= ?1 AND "
				  "created_at < ?2 GROUP BY 1 ORDER BY 2 DESC, 1",
		[COUNT_SPOILAGE] = "SELECT spoil_reason, count(*) FROM production_attempt WHERE "
				   "state = 'spoiled' AND ended_at >= ?1 AND ended_at < ?2 "
				   "GROUP BY 1 ORDER BY 2 DESC, 1",
		[COUNT_DISPATCH] = "SELECT method, count(*) FROM dispatch_item WHERE dispatched_at "
				   ">= ?1 AND dispatched_at < ?2 GROUP BY 1 ORDER BY 2 DESC, 1",
	};
	struct reg_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if ((unsigned)kind >= ARRAY_SIZE(sql))
		return cp_err(CP_ERR_INVALID, "unknown count kind %d", (int)kind);
	if ((r = reg_prepare(reg, sql[kind], &st)) < 0)
		return r;
	if (kind != COUNT_CARD_STATES) {
		reg_bind_text(st, 1, since);
		reg_bind_text(st, 2, until);
	}
	return collect(reg, st, sizeof(**v), load_named, (void **)v, n);
}

static void
load_reject(struct reg_stmt *st, void *elem)
{
	struct reject_item *x = elem;
	char **const f[] = {&x->reason_code, &x->channel,   &x->channel_ref,
			    &x->id_number,   &x->file_name, &x->location};

	x->app_id = reg_col_int(st, 0);
	x->record_no = reg_col_int(st, 1);
	texts(st, 2, f, ARRAY_SIZE(f));
}

int
reg_rejects_list(struct registry *reg, const char *since, const char *until, struct reject_item **v,
		 size_t *n)
{
	struct reg_stmt *st;
	int r;

	*v = NULL;
	*n = 0;
	if ((r = reg_prepare(reg,
			     "SELECT a.id, a.record_no, coalesce(a.reason_code, 'unknown'), "
			     "a.channel, a.channel_ref, a.id_number, f.name, a.location FROM "
			     "application a LEFT JOIN input_file f ON f.id = a.file_id WHERE "
			     "a.state = 'rejected' AND a.created_at >= ?1 AND a.created_at < ?2 "
			     "ORDER BY 3, 1",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, since);
	reg_bind_text(st, 2, until);
	return collect(reg, st, sizeof(**v), load_reject, (void **)v, n);
}

void
reject_items_free(struct reject_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].reason_code);
		free(v[i].channel);
		free(v[i].channel_ref);
		free(v[i].id_number);
		free(v[i].file_name);
		free(v[i].location);
	}
	free(v);
}
