/* reg_prepare.c - the prepare stage's registry work (see reg_prepare.h). */
#include "pipeline/registry/reg_prepare.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stmt_id {
	S_CHUNK,
	S_GROUP,
	S_PERSON,
	S_OLD_CARD,
	S_IN_PRODUCTION,
	S_OUTCOME,
	S_PERSON_INSERT,
	S_PERSON_UPDATE,
	S_BANK_HISTORY,
	S_FILE_INFO,
	S_JUDGED_FILES,
	S_REJECTS,
	S_NEXT_PHOTOS,
	S_COUNT
};

#define APP_COLUMNS                                                                                \
	"id, file_id, record_no, location, channel, channel_ref, app_type, submitted_at, name, "   \
	"id_type, id_number, sex, ethnicity, birth_date, nationality, mobile, delivery, "          \
	"address, postal_code, district, branch, bank, photo_sha256, photo_ref, confirmed_at, "    \
	"confirm_channel, category, insured, guardian_name, guardian_id_type, "                    \
	"guardian_id_number, guardian_proof, employer_name, employer_uscc, batch_id, "             \
	"old_card_no, transport_balance, photo_check, photo_loc"

#define RECEIVED_OF_INGESTED                                                                       \
	"state = 'received' AND EXISTS (SELECT 1 FROM input_file f WHERE f.id = file_id AND "      \
	"f.status = 'ingested') AND (?1 = 0 OR id = ?1) AND (?2 = 0 OR file_id = ?2) "

/* The received applications after (?3, ?4, ?5) in person order, from table: */
#define CHUNK_SQL(table)                                                                           \
	"SELECT " APP_COLUMNS " FROM " table " WHERE " RECEIVED_OF_INGESTED                        \
	"AND (coalesce(id_type, ''), coalesce(id_number, ''), id) > (?3, ?4, ?5) "                 \
	"ORDER BY coalesce(id_type, ''), coalesce(id_number, ''), id LIMIT ?6"
/* a photo ingest checked needs no checking ahead (nor can one in a pack be read by its hash
 * alone) */
#define NEXT_PHOTOS_SQL(table)                                                                     \
	"SELECT CASE WHEN photo_check IS NULL AND photo_loc IS NULL THEN photo_sha256 END "        \
	"FROM " table " WHERE " RECEIVED_OF_INGESTED                                               \
	"AND (coalesce(id_type, ''), coalesce(id_number, ''), id) > (?3, ?4, ?5) "                 \
	"ORDER BY coalesce(id_type, ''), coalesce(id_number, ''), id LIMIT ?6"

static const char *const stmt_sql[S_COUNT] = {
	[S_CHUNK] = CHUNK_SQL("application"),
	[S_GROUP] = "SELECT " APP_COLUMNS " FROM application WHERE " RECEIVED_OF_INGESTED
		    "AND coalesce(id_type, '') = ?3 AND coalesce(id_number, '') = ?4 "
		    "ORDER BY coalesce(id_type, ''), coalesce(id_number, ''), id",
	/* what the rules need of a known person, in one statement */
	[S_PERSON] = "SELECT p.id, p.bank, (SELECT max(since) FROM bank_history h WHERE "
		     "h.person_id = p.id AND h.previous_bank IS NOT NULL), (SELECT count(*) FROM "
		     "card c WHERE c.person_id = p.id) FROM person p WHERE p.id_type = ? AND "
		     "p.id_number = ?",
	[S_OLD_CARD] = "SELECT person_id, state FROM card WHERE card_no = ?",
	[S_IN_PRODUCTION] = "SELECT application_id, card_no FROM card WHERE person_id = ? AND "
			    "state IN ('allocated','perso_ready','rendered','held') ORDER BY id "
			    "LIMIT 1",
	[S_OUTCOME] = "UPDATE application SET state = ?2, reason_code = ?3, reason_field = ?4, "
		      "reason_zh = ?5, reason_en = ?6, duplicate_of = ?7, dedup_rule = ?8, "
		      "person_id = coalesce(?9, person_id), due_date = ?10, updated_at = cp_now() "
		      "WHERE id = ?1 AND state = 'received'",
	[S_PERSON_INSERT] = "INSERT INTO person(id_type, id_number, name, bank, bank_since, "
			    "created_at) VALUES(?, ?, ?, ?, ?, cp_now()) RETURNING id",
	[S_PERSON_UPDATE] = "UPDATE person SET name = ?2, bank = ?3, bank_since = ?4 WHERE id = ?1",
	[S_BANK_HISTORY] = "INSERT INTO bank_history(person_id, bank, previous_bank, since, "
			   "application_id) VALUES(?, ?, ?, ?, ?)",
	[S_FILE_INFO] = "SELECT channel, name, CASE WHEN EXISTS (SELECT 1 FROM input_file g "
			"WHERE g.channel = f.channel AND g.name = f.name AND g.id < f.id) THEN 1 "
			"ELSE 0 END FROM input_file f WHERE f.id = ?",
	[S_JUDGED_FILES] = "SELECT f.id FROM input_file f WHERE f.status = 'ingested' AND NOT "
			   "EXISTS (SELECT 1 FROM application a WHERE a.file_id = f.id AND "
			   "a.state = 'received') ORDER BY f.id",
	[S_NEXT_PHOTOS] = NEXT_PHOTOS_SQL("application"),
	[S_REJECTS] = "SELECT record_no, channel_ref, location, reason_code, reason_field, "
		      "reason_zh, reason_en FROM application WHERE file_id = ? AND state = "
		      "'rejected' ORDER BY record_no",
};

/* SQLite's own text where it differs. INDEXED BY: SQLite's planner takes the index on state
 * and sorts the whole received set for every chunk; the partial index gives person order
 * without sorting. A hint only SQLite has: PostgreSQL has none, and plans by its statistics. */
static const char *const sqlite_sql[S_COUNT] = {
	[S_CHUNK] = CHUNK_SQL("application INDEXED BY application_received_person"),
	[S_NEXT_PHOTOS] = NEXT_PHOTOS_SQL("application INDEXED BY application_received_person"),
};

struct reg_prep {
	struct registry *reg;
	struct reg_stmt *st[S_COUNT];
};

int
reg_prep_open(struct registry *reg, struct reg_prep **out)
{
	struct reg_prep *p = xcalloc(1, sizeof(*p));
	int r;

	*out = NULL;
	p->reg = reg;
	/* a chunk's transaction touches a few thousand pages: a page cache that holds them
	 * keeps SQLite from spilling them to the WAL again and again before the commit; and
	 * the statement journals of the triggered audit inserts stay in memory instead of a
	 * temporary file written page by page (they only ever roll back one statement); SQLite
	 * only: a server sizes its own caches */
	if (reg_is_sqlite(reg) &&
	    (r = reg_exec(reg, "PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY")) < 0) {
		free(p);
		return r;
	}
	for (int i = 0; i < S_COUNT; i++)
		if ((r = (i == S_PERSON_INSERT ? reg_prepare_insert : reg_prepare)(
			     reg, reg_is_sqlite(reg) && sqlite_sql[i] ? sqlite_sql[i] : stmt_sql[i],
			     &p->st[i])) < 0) {
			reg_prep_close(p);
			return r;
		}
	*out = p;
	return 0;
}

void
reg_prep_close(struct reg_prep *p)
{
	if (!p)
		return;
	for (int i = 0; i < S_COUNT; i++)
		reg_finalize(p->st[i]);
	free(p);
}

static struct reg_stmt *
use(struct reg_prep *p, enum stmt_id id)
{
	reg_reset_clear(p->st[id]);
	return p->st[id];
}

void
prep_apps_free(struct prep_app *apps, size_t n)
{
	for (size_t i = 0; apps && i < n; i++)
		app_record_release(&apps[i].rec);
	free(apps);
}

static void
read_app(struct reg_stmt *st, struct prep_app *a)
{
	struct app_record *r = &a->rec;
	char **cols[] = {
		&r->location,	  &r->channel,	       &r->channel_ref,
		&r->app_type,	  &r->submitted_at,    &r->name,
		&r->id_type,	  &r->id_number,       &r->sex,
		&r->ethnicity,	  &r->birth_date,      &r->nationality,
		&r->mobile,	  &r->delivery,	       &r->address,
		&r->postal_code,  &r->district,	       &r->branch,
		&r->bank,	  &r->photo_sha256,    &r->photo_ref,
		&r->confirmed_at, &r->confirm_channel, &r->category,
	};
	char **tail[] = {&r->guardian_name,  &r->guardian_id_type, &r->guardian_id_number,
			 &r->guardian_proof, &r->employer_name,	   &r->employer_uscc,
			 &r->batch_id,	     &r->old_card_no,	   &r->transport_balance,
			 &r->photo_check,    &r->photo_loc};

	memset(a, 0, sizeof(*a));
	a->id = reg_col_int(st, 0);
	a->file_id = reg_col_int(st, 1);
	r->record_no = (long)reg_col_int(st, 2);
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		*cols[i] = reg_col_strdup(st, 3 + (int)i);
	a->insured = reg_col_is_null(st, 27) ? -1 : reg_col_int(st, 27) ? 1 : 0;
	for (size_t i = 0; i < ARRAY_SIZE(tail); i++)
		*tail[i] = reg_col_strdup(st, 28 + (int)i);
}

/* Append every row of st to *apps. */
static int
collect(struct reg_prep *p, struct reg_stmt *st, struct prep_app **apps, size_t *n, size_t *cap)
{
	int rc;

	while ((rc = reg_step(st)) == REG_ROW) {
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*apps = xrealloc(*apps, *cap * sizeof(**apps));
		}
		read_app(st, &(*apps)[(*n)++]);
	}
	return rc == REG_DONE ? 0 : reg_fail(p->reg, "read received applications");
}

static const char *
str0(const char *s)
{
	return s ? s : "";
}

static int
same_person(const struct prep_app *a, const struct prep_app *b)
{
	return !strcmp(str0(a->rec.id_type), str0(b->rec.id_type)) &&
	       !strcmp(str0(a->rec.id_number), str0(b->rec.id_number));
}

int
reg_prep_next_chunk(struct reg_prep *p, const struct prep_filter *f, size_t max,
		    struct prep_app **apps, size_t *n)
{
	struct reg_stmt *st = use(p, S_CHUNK);
	size_t cap = 0, keep;
	int r;

	*apps = NULL;
	*n = 0;
	if (max < 1)
		max = 1;
	reg_bind_int(st, 1, f ? f->app_id : 0);
	reg_bind_int(st, 2, f ? f->file_id : 0);
	/* rows leave 'received' as they are judged, so every chunk starts from the first */
	reg_bind_text(st, 3, "");
	reg_bind_text(st, 4, "");
	reg_bind_int(st, 5, 0);
	reg_bind_int(st, 6, (long long)max);
	if ((r = collect(p, st, apps, n, &cap)) < 0)
		goto fail;
	reg_reset(st);
	if (*n < max)
		return 0;
	/* the last person may go on past the limit: leave them for the next chunk, unless
	 * they are the whole chunk, then take all of their records */
	keep = *n;
	while (keep > 0 && same_person(&(*apps)[keep - 1], &(*apps)[*n - 1]))
		keep--;
	if (keep > 0) {
		for (size_t i = keep; i < *n; i++)
			app_record_release(&(*apps)[i].rec);
		*n = keep;
		return 0;
	}
	{
		char *type = xstrdup(str0((*apps)[0].rec.id_type));
		char *number = xstrdup(str0((*apps)[0].rec.id_number));

		for (size_t i = 0; i < *n; i++)
			app_record_release(&(*apps)[i].rec);
		*n = 0;
		st = use(p, S_GROUP);
		reg_bind_int(st, 1, f ? f->app_id : 0);
		reg_bind_int(st, 2, f ? f->file_id : 0);
		reg_bind_text(st, 3, type);
		reg_bind_text(st, 4, number);
		r = collect(p, st, apps, n, &cap);
		reg_reset(st);
		free(type);
		free(number);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	prep_apps_free(*apps, *n);
	*apps = NULL;
	*n = 0;
	return r;
}

int
reg_prep_next_photos(struct reg_prep *p, const struct prep_filter *f, const struct prep_app *after,
		     size_t max, char ***shas, size_t *n)
{
	struct reg_stmt *st = use(p, S_NEXT_PHOTOS);
	size_t cap = 0;
	int rc, r = 0;

	*shas = NULL;
	*n = 0;
	reg_bind_int(st, 1, f ? f->app_id : 0);
	reg_bind_int(st, 2, f ? f->file_id : 0);
	reg_bind_text(st, 3, str0(after->rec.id_type));
	reg_bind_text(st, 4, str0(after->rec.id_number));
	reg_bind_int(st, 5, after->id);
	reg_bind_int(st, 6, (long long)max);
	while ((rc = reg_step(st)) == REG_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*shas = xrealloc(*shas, cap * sizeof(**shas));
		}
		(*shas)[(*n)++] = reg_col_strdup(st, 0);
	}
	if (rc != REG_DONE) {
		r = reg_fail(p->reg, "read the next received applications");
		reg_prep_shas_free(*shas, *n);
		*shas = NULL;
		*n = 0;
	}
	reg_reset(st);
	return r;
}

void
reg_prep_shas_free(char **shas, size_t n)
{
	for (size_t i = 0; shas && i < n; i++)
		free(shas[i]);
	free(shas);
}

static int
date_days(const char *s, long *day)
{
	int y, m, d;

	if (!s || cp_parse_date(s, &y, &m, &d) < 0)
		return -1;
	*day = cp_days_from_civil(y, m, d);
	return 0;
}

int
reg_prep_person_facts(struct reg_prep *p, const char *id_type, const char *id_number,
		      const char *old_card_no, struct person_facts *pf, long long *person_id)
{
	struct reg_stmt *st;
	int rc;

	memset(pf, 0, sizeof(*pf));
	pf->last_change = -1;
	*person_id = 0;
	st = use(p, S_PERSON);
	reg_bind_text(st, 1, id_type);
	reg_bind_text(st, 2, id_number);
	rc = reg_step(st);
	if (rc == REG_ROW) {
		const char *bank = reg_col_text(st, 1);

		pf->known = 1;
		*person_id = reg_col_int(st, 0);
		snprintf(pf->bank, sizeof(pf->bank), "%s", bank ? bank : "");
		if (date_days(reg_col_text(st, 2), &pf->last_change) < 0)
			pf->last_change = -1;
		pf->ncards = reg_col_int(st, 3);
	} else if (rc != REG_DONE) {
		return reg_fail(p->reg, "read person");
	}
	reg_reset(st);

	if (old_card_no && old_card_no[0]) {
		st = use(p, S_OLD_CARD);
		reg_bind_text(st, 1, old_card_no);
		rc = reg_step(st);
		if (rc == REG_ROW) {
			const char *state = reg_col_text(st, 1);

			pf->old_found = 1;
			pf->old_is_theirs = pf->known && reg_col_int(st, 0) == *person_id;
			snprintf(pf->old_state, sizeof(pf->old_state), "%s", state ? state : "");
		} else if (rc != REG_DONE) {
			return reg_fail(p->reg, "read old card");
		}
		reg_reset(st);
	}
	return 0;
}

int
reg_prep_in_production(struct reg_prep *p, long long person_id, long long *app_id, char card_no[16])
{
	struct reg_stmt *st = use(p, S_IN_PRODUCTION);
	int rc, r = 0;

	reg_bind_int(st, 1, person_id);
	rc = reg_step(st);
	if (rc == REG_ROW) {
		const char *no = reg_col_text(st, 1);

		*app_id = reg_col_int(st, 0);
		snprintf(card_no, 16, "%s", no ? no : "");
	} else if (rc == REG_DONE) {
		r = CP_ERR_NOTFOUND;
	} else {
		r = reg_fail(p->reg, "read card in production");
	}
	reg_reset(st);
	return r;
}

int
reg_prep_set_outcome(struct reg_prep *p, long long app_id, const struct prep_outcome *o)
{
	struct reg_stmt *st = use(p, S_OUTCOME);
	int r;

	/* o's strings outlive the step: no copies */
	reg_bind_int(st, 1, app_id);
	reg_bind_text_static(st, 2, o->state);
	reg_bind_text_static(st, 3, o->reason_code);
	reg_bind_text_static(st, 4, o->reason_field);
	reg_bind_text_static(st, 5, o->reason_zh);
	reg_bind_text_static(st, 6, o->reason_en);
	if (o->duplicate_of)
		reg_bind_int(st, 7, o->duplicate_of);
	reg_bind_text_static(st, 8, o->dedup_rule);
	if (o->person_id)
		reg_bind_int(st, 9, o->person_id);
	reg_bind_text_static(st, 10, o->due_date);
	if ((r = reg_step_done(p->reg, st, "record application outcome")) < 0)
		return r;
	reg_reset(st);
	if (reg_changes(p->reg) != 1)
		return cp_err(CP_ERR_DB,
			      "application %lld is no longer 'received' (another run "
			      "judged it)",
			      app_id);
	return 0;
}

int
reg_prep_person_save(struct reg_prep *p, const struct app_record *rec, long long app_id,
		     const char *since, const struct person_facts *pf, long long *person_id)
{
	struct reg_stmt *st;
	int r, changed;

	if (!pf->known || !*person_id) {
		st = use(p, S_PERSON_INSERT);
		reg_bind_text(st, 1, rec->id_type);
		reg_bind_text(st, 2, rec->id_number);
		reg_bind_text(st, 3, rec->name);
		reg_bind_text(st, 4, rec->bank);
		reg_bind_text(st, 5, since);
		if ((r = reg_step_id(p->reg, st, "insert person", person_id)) < 0)
			return r;
		reg_reset(st);
		changed = 1;
	} else {
		changed = strcmp(pf->bank, rec->bank) != 0;
		st = use(p, S_PERSON_UPDATE);
		reg_bind_int(st, 1, *person_id);
		reg_bind_text(st, 2, rec->name);
		reg_bind_text(st, 3, rec->bank);
		reg_bind_text(st, 4, changed ? since : NULL); /* NULL keeps bank_since */
		if ((r = reg_step_done(p->reg, st, "update person")) < 0)
			return r;
		reg_reset(st);
	}
	if (!changed)
		return 0;
	st = use(p, S_BANK_HISTORY);
	reg_bind_int(st, 1, *person_id);
	reg_bind_text(st, 2, rec->bank);
	reg_bind_text(st, 3, pf->known && pf->bank[0] ? pf->bank : NULL);
	reg_bind_text(st, 4, since);
	reg_bind_int(st, 5, app_id);
	if ((r = reg_step_done(p->reg, st, "record bank history")) < 0)
		return r;
	reg_reset(st);
	return 0;
}

int
reg_prep_file_info(struct reg_prep *p, long long file_id, char **channel, char **name,
		   int *name_reused)
{
	struct reg_stmt *st = use(p, S_FILE_INFO);
	int rc, r = 0;

	*channel = *name = NULL;
	*name_reused = 0;
	reg_bind_int(st, 1, file_id);
	rc = reg_step(st);
	if (rc == REG_ROW) {
		*channel = reg_col_strdup(st, 0);
		*name = reg_col_strdup(st, 1);
		*name_reused = reg_col_int(st, 2);
	} else if (rc == REG_DONE) {
		r = cp_err(CP_ERR_NOTFOUND, "no input file %lld", file_id);
	} else {
		r = reg_fail(p->reg, "read input file");
	}
	reg_reset(st);
	return r;
}

int
reg_prep_judged_files(struct reg_prep *p, int (*fn)(long long file_id, void *arg), void *arg)
{
	struct reg_stmt *st = use(p, S_JUDGED_FILES);
	long long *ids = NULL;
	size_t n = 0, cap = 0;
	int rc, r = 0;

	/* collect first: fn may run other statements of this connection */
	while ((rc = reg_step(st)) == REG_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = reg_col_int(st, 0);
	}
	if (rc != REG_DONE)
		r = reg_fail(p->reg, "list judged files");
	reg_reset(st);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = fn(ids[i], arg);
	free(ids);
	return r;
}

int
reg_prep_rejects_each(struct reg_prep *p, long long file_id,
		      int (*fn)(const struct reject_row *row, void *arg), void *arg)
{
	struct reg_stmt *st = use(p, S_REJECTS);
	struct reject_row row;
	int rc, r = 0;

	reg_bind_int(st, 1, file_id);
	while ((rc = reg_step(st)) == REG_ROW) {
		row.record_no = (long)reg_col_int(st, 0);
		row.channel_ref = reg_col_text(st, 1);
		row.location = reg_col_text(st, 2);
		row.reason_code = reg_col_text(st, 3);
		row.reason_field = reg_col_text(st, 4);
		row.reason_zh = reg_col_text(st, 5);
		row.reason_en = reg_col_text(st, 6);
		if ((r = fn(&row, arg)) != 0)
			break;
	}
	if (r == 0 && rc != REG_DONE && rc != REG_ROW)
		r = reg_fail(p->reg, "read rejected records");
	reg_reset(st);
	return r;
}
