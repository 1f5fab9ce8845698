/* reg_ingest.c - input files and application rows for ingest (see reg_ingest.h). */
#include "pipeline/registry/reg_ingest.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/reg_stmt.h"
#include "pipeline/rules/reasons.h"

#include <stdlib.h>
#include <string.h>

void
reg_input_file_release(struct reg_input_file *f)
{
	free(f->status);
	free(f->name);
	free(f->reason);
	free(f->report);
	free(f->archived_as);
	memset(f, 0, sizeof(*f));
}

static int
find_by(struct registry *reg, const char *where, const char *value, struct reg_input_file *out)
{
	struct reg_stmt *st;
	char *sql;
	int r, rc;

	memset(out, 0, sizeof(*out));
	sql = xasprintf("SELECT id, status, name, reason, report, archived_as, records "
			"FROM input_file WHERE %s ORDER BY id DESC LIMIT 1",
			where);

	r = reg_prepare(reg, sql, &st);
	free(sql);
	if (r < 0)
		return r;
	reg_bind_text(st, 1, value);
	rc = reg_step(st);
	if (rc == REG_ROW) {
		out->id = reg_col_int(st, 0);
		out->status = reg_col_strdup(st, 1);
		out->name = reg_col_strdup(st, 2);
		out->reason = reg_col_strdup(st, 3);
		out->report = reg_col_strdup(st, 4);
		out->archived_as = reg_col_strdup(st, 5);
		out->records = reg_col_int(st, 6);
	} else if (rc == REG_DONE) {
		r = CP_ERR_NOTFOUND;
	} else {
		r = reg_fail(reg, "find input file");
	}
	reg_finalize(st);
	return r;
}

int
reg_ingest_find_file(struct registry *reg, const char *sha256, struct reg_input_file *out)
{
	return find_by(reg, "sha256 = ?", sha256, out);
}

int
reg_ingest_find_quarantined(struct registry *reg, const char *archived_as,
			    struct reg_input_file *out)
{
	return find_by(reg, "archived_as = ? AND status = 'quarantined'", archived_as, out);
}

int
reg_ingest_file_start(struct registry *reg, const char *sha256, const char *name, long long *id)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare_insert(reg,
				    "INSERT INTO input_file(sha256, name, channel, format, "
				    "received_at, status) VALUES(?, ?, 'unknown', 'unknown', "
				    "cp_now(), 'ingesting') RETURNING id",
				    &st)) < 0)
		return r;
	reg_bind_text(st, 1, sha256);
	reg_bind_text(st, 2, name);
	r = reg_step_id(reg, st, "record input file", id);
	reg_finalize(st);
	if (r < 0)
		return r;
	return registry_audit(reg, "input_file", *id, "ingesting", name);
}

static int
delete_rows(struct registry *reg, long long id)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg, "DELETE FROM application WHERE file_id = ?", &st)) < 0)
		return r;
	reg_bind_int(st, 1, id);
	r = reg_step_done(reg, st, "delete a file's records");
	reg_finalize(st);
	return r;
}

int
reg_ingest_file_reset(struct registry *reg, long long id, const char *name)
{
	struct reg_stmt *st;
	int r;

	if ((r = delete_rows(reg, id)) < 0)
		return r;
	if ((r = reg_prepare(reg,
			     "UPDATE input_file SET name = ?, received_at = cp_now(), "
			     "records = 0 WHERE id = ? AND status = 'ingesting'",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, name);
	reg_bind_int(st, 2, id);
	r = reg_step_done(reg, st, "reset input file");
	reg_finalize(st);
	if (r < 0)
		return r;
	return registry_audit(reg, "input_file", id, "ingesting again after an interrupted run",
			      name);
}

static int
file_finish(struct registry *reg, long long id, const char *status, const char *format,
	    const char *channel, long long records, const char *reason, const char *report,
	    const char *archived_as)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg,
			     "UPDATE input_file SET status = ?, format = ?, channel = ?, "
			     "records = ?, reason = ?, report = ?, archived_as = ? "
			     "WHERE id = ?",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, status);
	reg_bind_text(st, 2, format);
	reg_bind_text(st, 3, channel);
	reg_bind_int(st, 4, records);
	reg_bind_text(st, 5, reason);
	reg_bind_text(st, 6, report);
	reg_bind_text(st, 7, archived_as);
	reg_bind_int(st, 8, id);
	r = reg_step_done(reg, st, "finish input file");
	reg_finalize(st);
	if (r < 0)
		return r;
	return registry_audit(reg, "input_file", id, status, reason ? reason : archived_as);
}

int
reg_ingest_file_done(struct registry *reg, long long id, const char *format, const char *channel,
		     long long records, const char *archived_as)
{
	return file_finish(reg, id, "ingested", format, channel, records, NULL, NULL, archived_as);
}

int
reg_ingest_file_quarantine(struct registry *reg, long long id, const char *format,
			   const char *channel, const char *reason, const char *report,
			   const char *archived_as)
{
	int r;

	if ((r = delete_rows(reg, id)) < 0)
		return r;
	return file_finish(reg, id, "quarantined", format, channel, 0, reason, report, archived_as);
}

int
reg_ingest_file_abandon(struct registry *reg, long long id, const char *why)
{
	struct reg_stmt *st;
	int r;

	if ((r = delete_rows(reg, id)) < 0)
		return r;
	if ((r = reg_prepare(reg, "DELETE FROM input_file WHERE id = ? AND status = 'ingesting'",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, id);
	r = reg_step_done(reg, st, "abandon input file");
	reg_finalize(st);
	if (r < 0)
		return r;
	return registry_audit(reg, "input_file", id, "abandoned", why);
}

int
reg_ingest_file_moved(struct registry *reg, long long id, const char *archived_as)
{
	struct reg_stmt *st;
	int r;

	if ((r = reg_prepare(reg, "UPDATE input_file SET archived_as = ? WHERE id = ?", &st)) < 0)
		return r;
	reg_bind_text(st, 1, archived_as);
	reg_bind_int(st, 2, id);
	r = reg_step_done(reg, st, "update input file");
	reg_finalize(st);
	return r;
}

struct reg_ingest_writer {
	struct registry *reg;
	long long file_id;
	struct reg_stmt *ins, *rej;
};

/* The columns of a record, in bind order (after file_id). */
#define REC_COLUMNS                                                                                \
	"record_no, location, channel, channel_ref, outlet, app_type, submitted_at, name, "        \
	"id_type, id_number, sex, ethnicity, birth_date, nationality, mobile, delivery, "          \
	"address, postal_code, district, branch, bank, photo_sha256, photo_ref, "                  \
	"confirmed_at, confirm_channel, category, guardian_name, guardian_id_type, "               \
	"guardian_id_number, guardian_proof, employer_name, employer_uscc, batch_id, "             \
	"old_card_no, transport_balance, photo_check, photo_loc"
#define REC_NTEXT 36   /* the text columns after record_no */
#define REC_BALANCE 33 /* transport_balance, an INTEGER column, among them */

/* Text that is a plain integer ("-12", "007"), which SQLite's INTEGER column would store as
 * that integer anyway: bound as one, since PostgreSQL's bigint column takes no text. */
static int
plain_integer(const char *s, long long *v)
{
	size_t n;

	if (!s)
		return 0;
	n = strspn(s + (*s == '-'), "0123456789");
	if (n == 0 || n > 18 || s[(*s == '-') + n])
		return 0;
	*v = strtoll(s, NULL, 10);
	return 1;
}

int
reg_ingest_writer_open(struct registry *reg, long long file_id, struct reg_ingest_writer **out)
{
	struct reg_ingest_writer *w = xcalloc(1, sizeof(*w));
	char *sql;
	struct buf q = BUF_INIT(BUF_UNLIMITED);
	int r;

	*out = NULL;
	w->reg = reg;
	w->file_id = file_id;
	for (int i = 0; i < REC_NTEXT + 2; i++)
		buf_append(&q, i ? ", ?" : "?", i ? 3 : 1);
	sql = xasprintf("INSERT INTO application(file_id, " REC_COLUMNS ", created_at, "
			"updated_at) VALUES(%s, cp_now(), cp_now()) RETURNING id",
			buf_str(&q));
	buf_release(&q);
	r = reg_prepare_insert(reg, sql, &w->ins);
	free(sql);
	if (r == 0)
		r = reg_prepare(reg,
				"UPDATE application SET state = 'rejected', reason_code = ?, "
				"reason_zh = ?, reason_en = ?, reason_field = ?, "
				"reason_detail = ?, updated_at = cp_now() WHERE id = ?",
				&w->rej);
	if (r < 0) {
		reg_ingest_writer_free(w);
		return r;
	}
	*out = w;
	return 0;
}

int
reg_ingest_add(struct reg_ingest_writer *w, const struct app_record *rec)
{
	const char *text[REC_NTEXT] = {
		rec->location,
		rec->channel,
		rec->channel_ref,
		rec->outlet,
		rec->app_type,
		rec->submitted_at,
		rec->name,
		rec->id_type,
		rec->id_number,
		rec->sex,
		rec->ethnicity,
		rec->birth_date,
		rec->nationality,
		rec->mobile,
		rec->delivery,
		rec->address,
		rec->postal_code,
		rec->district,
		rec->branch,
		rec->bank,
		rec->photo_sha256,
		rec->photo_ref,
		rec->confirmed_at,
		rec->confirm_channel,
		rec->category,
		rec->guardian_name,
		rec->guardian_id_type,
		rec->guardian_id_number,
		rec->guardian_proof,
		rec->employer_name,
		rec->employer_uscc,
		rec->batch_id,
		rec->old_card_no,
		rec->transport_balance,
		rec->photo_check,
		rec->photo_loc,
	};
	struct reg_stmt *st = w->ins;
	long long id, balance;
	int r;

	reg_reset_clear(st);
	reg_bind_int(st, 1, w->file_id);
	reg_bind_int(st, 2, rec->record_no);
	for (int i = 0; i < REC_NTEXT; i++)
		reg_bind_text_static(st, i + 3, text[i]); /* rec outlives the step */
	/* a balance that is no integer comes only with a record ingest rejected (for it, or
	 * for an earlier reason): the reason names it, and no integer column takes it */
	if (plain_integer(text[REC_BALANCE], &balance))
		reg_bind_int(st, REC_BALANCE + 3, balance);
	else
		reg_bind_null(st, REC_BALANCE + 3);
	if ((r = reg_step_id(w->reg, st, "insert application", &id)) < 0)
		return r;
	reg_reset(st);
	if (rec->reject_code) {
		const struct reason *why = reason_find(rec->reject_code);

		st = w->rej;
		reg_reset(st);
		reg_bind_text(st, 1, rec->reject_code);
		reg_bind_text(st, 2, why ? why->zh : NULL);
		reg_bind_text(st, 3, why ? why->en : NULL);
		reg_bind_text(st, 4, rec->reject_field);
		reg_bind_text(st, 5, rec->reject_detail);
		reg_bind_int(st, 6, id);
		r = reg_step_done(w->reg, st, "reject application");
		reg_reset(st);
	}
	return r;
}

void
reg_ingest_writer_free(struct reg_ingest_writer *w)
{
	if (!w)
		return;
	reg_finalize(w->ins);
	reg_finalize(w->rej);
	free(w);
}
