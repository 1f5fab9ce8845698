/*
 * reg_held.c - applications held for calendar-missing (see reg_held.h).
 */
#include "pipeline/registry/reg_held.h"

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdlib.h>

int
reg_held_count(struct registry *reg, const char *reason, long long *n)
{
	struct reg_stmt *st;
	int r;

	*n = 0;
	if ((r = reg_prepare(reg,
			     "SELECT count(*) FROM application WHERE state = 'held' AND "
			     "reason_code = ?",
			     &st)) < 0)
		return r;
	reg_bind_text(st, 1, reason);
	if (reg_step(st) == REG_ROW)
		*n = reg_col_int(st, 0);
	else
		r = reg_fail(reg, "count held applications");
	reg_finalize(st);
	return r;
}

int
reg_held_list(struct registry *reg, const char *reason, long long app_id, long long file_id,
	      struct held_app **v, size_t *n)
{
	struct reg_stmt *st;
	size_t cap = 0;
	int rc, r;

	*v = NULL;
	*n = 0;
	if ((r = reg_prepare(
		     reg,
		     "SELECT id, submitted_at FROM application WHERE state = 'held' AND "
		     "reason_code = ?1 AND (?2 = 0 OR id = ?2) AND (?3 = 0 OR file_id = ?3) "
		     "ORDER BY id",
		     &st)) < 0)
		return r;
	reg_bind_text(st, 1, reason);
	reg_bind_int(st, 2, app_id);
	reg_bind_int(st, 3, file_id);
	while ((rc = reg_step(st)) == REG_ROW) {
		const char *sub = reg_col_text(st, 1);

		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*v = xrealloc(*v, cap * sizeof(**v));
		}
		(*v)[*n].id = reg_col_int(st, 0);
		(*v)[*n].submitted_at = sub ? xstrdup(sub) : NULL;
		(*n)++;
	}
	if (rc != REG_DONE)
		r = reg_fail(reg, "list held applications");
	reg_finalize(st);
	return r;
}

void
held_apps_free(struct held_app *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].submitted_at);
	free(v);
}

int
reg_held_release(struct registry *reg, long long app_id, const char *reason)
{
	static const char *const sql[] = {
		/* the state alone first: the audit row says which hold was lifted */
		"UPDATE application SET state = 'received', updated_at = cp_now() WHERE id = ?1 "
		"AND state = 'held' AND reason_code = ?2",
		"UPDATE application SET reason_code = NULL, reason_field = NULL, reason_zh = NULL, "
		"reason_en = NULL, due_date = NULL WHERE id = ?1 AND state = 'received'",
	};
	int r = 0;

	for (size_t i = 0; i < 2 && r == 0; i++) {
		struct reg_stmt *st;

		if ((r = reg_prepare(reg, sql[i], &st)) < 0)
			return r;
		reg_bind_int(st, 1, app_id);
		if (i == 0)
			reg_bind_text(st, 2, reason);
		if ((r = reg_step_done(reg, st, "release a held application")) == 0 &&
		    reg_changes(reg) != 1)
			r = cp_err(CP_ERR_NOTFOUND, "application %lld is not held for %s", app_id,
				   reason);
		reg_finalize(st);
	}
	return r;
}
