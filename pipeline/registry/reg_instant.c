/* reg_instant.c - the application of an instant-issuance file (see reg_instant.h). */
#include "pipeline/registry/reg_instant.h"

#include "core/err.h"
#include "pipeline/registry/reg_stmt.h"

#include <stdio.h>
#include <string.h>

int
reg_instant_app_of_file(struct registry *reg, long long file_id, struct instant_app *app,
			long *count)
{
	struct reg_stmt *st;
	int r, rc;

	memset(app, 0, sizeof(*app));
	*count = 0;
	if ((r = reg_prepare(reg,
			     "SELECT id, state, coalesce(reason_code, ''), "
			     "coalesce(reason_en, ''), coalesce(id_number, ''), "
			     "coalesce(duplicate_of, 0), (SELECT count(*) FROM application "
			     "WHERE file_id = ?1) FROM application WHERE file_id = ?1 "
			     "ORDER BY record_no LIMIT 1",
			     &st)) < 0)
		return r;
	reg_bind_int(st, 1, file_id);
	rc = reg_step(st);
	if (rc == REG_ROW) {
		app->id = reg_col_int(st, 0);
		snprintf(app->state, sizeof(app->state), "%s", reg_col_text(st, 1));
		snprintf(app->reason, sizeof(app->reason), "%s: %s", reg_col_text(st, 2),
			 reg_col_text(st, 3));
		snprintf(app->id_number, sizeof(app->id_number), "%s", reg_col_text(st, 4));
		app->duplicate_of = reg_col_int(st, 5);
		*count = (long)reg_col_int(st, 6);
	} else if (rc != REG_DONE) {
		r = reg_fail(reg, "read instant application");
	}
	reg_finalize(st);
	return r;
}
