/* reg_run.c - the run table (see reg_run.h). */
#include "pipeline/registry/reg_run.h"

#include "pipeline/registry/reg_stmt.h"

int
reg_run_start(struct registry *reg, const char *kind, long long *id)
{
	struct reg_stmt *st;
	int r;

	*id = 0;
	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = reg_prepare_insert(reg,
				    "INSERT INTO run(kind, started_at, status) "
				    "VALUES(?, cp_now(), 'running') RETURNING id",
				    &st)) < 0) {
		registry_rollback(reg);
		return r;
	}
	reg_bind_text(st, 1, kind);
	r = reg_step_id(reg, st, "start run", id);
	reg_finalize(st);
	if (r == 0)
		r = registry_audit(reg, "run", *id, "started", kind);
	if (r < 0) {
		registry_rollback(reg);
		return r;
	}
	return registry_commit(reg);
}

int
reg_run_end(struct registry *reg, long long id, const char *status, const char *summary)
{
	struct reg_stmt *st;
	int r;

	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = reg_prepare(reg,
			     "UPDATE run SET ended_at = cp_now(), status = ?, summary = ? "
			     "WHERE id = ?",
			     &st)) < 0) {
		registry_rollback(reg);
		return r;
	}
	reg_bind_text(st, 1, status);
	reg_bind_text(st, 2, summary);
	reg_bind_int(st, 3, id);
	r = reg_step_done(reg, st, "end run");
	reg_finalize(st);
	if (r == 0)
		r = registry_audit(reg, "run", id, status, summary);
	if (r < 0) {
		registry_rollback(reg);
		return r;
	}
	return registry_commit(reg);
}

int
reg_run_close_interrupted(struct registry *reg, const char *kind, long long *n)
{
	struct reg_stmt *st;
	int r;

	*n = 0;
	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = reg_prepare(reg,
			     "UPDATE run SET ended_at = cp_now(), status = 'failed', "
			     "summary = 'interrupted' WHERE status = 'running' AND kind = ?",
			     &st)) < 0) {
		registry_rollback(reg);
		return r;
	}
	reg_bind_text(st, 1, kind);
	r = reg_step_done(reg, st, "close interrupted runs");
	reg_finalize(st);
	if (r == 0)
		*n = reg_changes(reg);
	if (r < 0) {
		registry_rollback(reg);
		return r;
	}
	return registry_commit(reg);
}
