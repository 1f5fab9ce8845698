/*
 * reg_photo.c - the photo commands' SQL (see reg_photo.h). Read only.
 */
#include "pipeline/registry/reg_photo.h"

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdlib.h>
#include <string.h>

#define PHOTO_COLUMNS                                                                              \
	"SELECT a.id, c.card_no, a.photo_sha256, a.photo_loc FROM application a"                   \
	" LEFT JOIN card c ON c.application_id = a.id "

void
photo_row_release(struct photo_row *row)
{
	free(row->card_no);
	free(row->sha256);
	free(row->loc);
	memset(row, 0, sizeof(*row));
}

void
photo_rows_free(struct photo_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		photo_row_release(&rows[i]);
	free(rows);
}

static void
read_row(struct reg_stmt *st, struct photo_row *row)
{
	row->app_id = reg_col_int(st, 0);
	row->card_no = reg_col_strdup(st, 1);
	row->sha256 = reg_col_strdup(st, 2);
	row->loc = reg_col_strdup(st, 3);
}

int
reg_photo_find(struct registry *reg, long long app_id, const char *card_no, struct photo_row *row)
{
	static const char sql[] =
		PHOTO_COLUMNS "WHERE (CAST(?2 AS TEXT) IS NULL AND a.id = ?1) OR c.card_no = ?2";
	struct reg_stmt *st = NULL;
	int r, rc;

	memset(row, 0, sizeof(*row));
	if ((r = reg_prepare(reg, sql, &st)) < 0)
		return r;
	reg_bind_int(st, 1, app_id);
	reg_bind_text(st, 2, card_no);
	rc = reg_step(st);
	if (rc == REG_ROW)
		read_row(st, row);
	else if (rc != REG_DONE)
		r = reg_fail(reg, "find the photo");
	else if (card_no)
		r = cp_err(CP_ERR_NOTFOUND, "no card '%s' in the registry", card_no);
	else
		r = cp_err(CP_ERR_NOTFOUND, "no application %lld in the registry", app_id);
	reg_finalize(st);
	return r;
}

int
reg_photo_list(struct registry *reg, long long after_id, size_t limit, struct photo_row **rows,
	       size_t *n)
{
	static const char sql[] = PHOTO_COLUMNS
		"WHERE a.photo_sha256 IS NOT NULL AND a.id > ?1 ORDER BY a.id LIMIT ?2";
	struct reg_stmt *st = NULL;
	struct photo_row *v;
	size_t k = 0;
	int r, rc = REG_DONE;

	*rows = NULL;
	*n = 0;
	if ((r = reg_prepare(reg, sql, &st)) < 0)
		return r;
	reg_bind_int(st, 1, after_id);
	reg_bind_int(st, 2, (long long)limit);
	v = xcalloc(limit ? limit : 1, sizeof(*v));
	while (k < limit && (rc = reg_step(st)) == REG_ROW)
		read_row(st, &v[k++]);
	if (k < limit && rc != REG_DONE) {
		r = reg_fail(reg, "list the stored photos");
		photo_rows_free(v, k);
		reg_finalize(st);
		return r;
	}
	reg_finalize(st);
	*rows = v;
	*n = k;
	return 0;
}

int
reg_photo_count(struct registry *reg, long long *n)
{
	struct reg_stmt *st = NULL;
	int r;

	*n = 0;
	if ((r = reg_prepare(reg, "SELECT count(*) FROM application WHERE photo_sha256 IS NOT NULL",
			     &st)) < 0)
		return r;
	if (reg_step(st) == REG_ROW)
		*n = reg_col_int(st, 0);
	else
		r = reg_fail(reg, "count the stored photos");
	reg_finalize(st);
	return r;
}
