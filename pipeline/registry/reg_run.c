/* reg_run.c - the run table (see reg_run.h). */
#include "pipeline/registry/reg_run.h"

#include "pipeline/registry/registry_sqlite.h"

int
reg_run_start(struct registry *reg, const char *kind, long long *id)
{
	sqlite3_stmt *st;
	int r;

	*id = 0;
	if ((r = registry_begin(reg)) < 0)
		return r;
	if ((r = reg_prepare(reg,
			     "INSERT INTO run(kind, started_at, status) "
			     "VALUES(?, cp_now(), 'running')",
			     &st)) < 0) {
		registry_rollback(reg);
		return r;
	}
	reg_bind_text(st, 1, kind);
	r = reg_step_done(reg, st, "start run");
	sqlite3_finalize(st);
	if (r == 0) {
		*id = sqlite3_last_insert_rowid(reg->db);
		r = registry_audit(reg, "run", *id, "started", kind);
	}
	if (r < 0) {
		registry_rollback(reg);
		return r;
	}
	return registry_commit(reg);
}

int
reg_run_end(struct registry *reg, long long id, const char *status, const char *summary)
{
	sqlite3_stmt *st;
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
	sqlite3_bind_int64(st, 3, id);
	r = reg_step_done(reg, st, "end run");
	sqlite3_finalize(st);
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
	sqlite3_stmt *st;
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
	sqlite3_finalize(st);
	if (r == 0)
		*n = sqlite3_changes(reg->db);
	if (r < 0) {
		registry_rollback(reg);
		return r;
	}
	return registry_commit(reg);
}
