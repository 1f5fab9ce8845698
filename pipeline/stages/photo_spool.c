/*
 * photo_spool.c - taking a stored photo out, and checking them all (photo_spool.h).
 */
#include "pipeline/stages/photo_spool.h"

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "core/progress.h"
#include "pipeline/registry/reg_photo.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/photo_store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Larger than any photo ingest accepts (photo.max_bytes), whatever it was set to then. */
#define PHOTO_SPOOL_MAX (64u << 20)
#define CHECK_PAGE 256

static char *
photos_dir(const struct stage_ctx *sc)
{
	char *spool = config_path(sc->cfg, "paths.spool", sc->home);
	char *dir = fs_join(spool, "photos");

	free(spool);
	return dir;
}

/* The file as the audit row names it: absolute, so the record says where the photo went. */
static char *
abs_path(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/' || !(cwd = getcwd(NULL, 0)))
		return xstrdup(path);
	abs = fs_join(cwd, path);
	free(cwd);
	return abs;
}

static void
name_row(const struct photo_row *row, char *buf, size_t size)
{
	if (row->card_no)
		snprintf(buf, size, "application %lld (card %s)", row->app_id, row->card_no);
	else
		snprintf(buf, size, "application %lld", row->app_id);
}

int
photo_export(const struct stage_ctx *sc, struct photo_export *ex)
{
	struct photo_row row;
	unsigned char *data = NULL;
	char *dir = NULL, *detail = NULL, *where = NULL, who[96];
	size_t len = 0;
	int r;

	ex->got_app = 0;
	ex->len = 0;
	ex->sha256[0] = '\0';
	if ((r = reg_photo_find(sc->reg, ex->card_no ? 0 : ex->app_id, ex->card_no, &row)) < 0)
		return r;
	name_row(&row, who, sizeof(who));
	if (!row.sha256) {
		r = cp_err(CP_ERR_INVALID,
			   "%s has no stored photo (its record came without a readable one)", who);
		goto out;
	}
	if (fs_exists(ex->out)) {
		r = cp_err(CP_ERR_EXISTS, "'%s' exists; name a new file", ex->out);
		goto out;
	}
	dir = photos_dir(sc);
	if ((r = photo_store_read_at(dir, row.loc, row.sha256, PHOTO_SPOOL_MAX, &data, &len)) < 0) {
		r = cp_err_wrap(r, "%s: ", who);
		goto out;
	}
	/* the audit row first, the file inside its transaction: no photo leaves unrecorded */
	where = abs_path(ex->out);
	detail = xasprintf("to %s, %zu bytes, sha256 %s", where, len, row.sha256);
	if ((r = registry_begin(sc->reg)) < 0)
		goto out;
	if ((r = registry_audit(sc->reg, "application", row.app_id, "photo-exported", detail)) <
		    0 ||
	    (r = fs_write_atomic(ex->out, data, len, 0600)) < 0) {
		registry_rollback(sc->reg);
		goto out;
	}
	if ((r = registry_commit(sc->reg)) < 0) {
		unlink(ex->out);
		goto out;
	}
	ex->got_app = row.app_id;
	ex->len = len;
	snprintf(ex->sha256, sizeof(ex->sha256), "%s", row.sha256);
out:
	free(data);
	free(detail);
	free(where);
	free(dir);
	photo_row_release(&row);
	return r;
}

/* Read one row's photo against its hash: 0, or 1 when it does not read back (reported). */
static int
check_row(const char *dir, const struct photo_row *row, FILE *out, struct photo_check_result *res)
{
	unsigned char *data = NULL;
	char who[96];
	size_t len = 0;
	int r = photo_store_read_at(dir, row->loc, row->sha256, PHOTO_SPOOL_MAX, &data, &len);

	free(data);
	res->checked++;
	if (r == 0)
		return 0;
	if (r == CP_ERR_NOMEM)
		return r;
	if (r == CP_ERR_NOTFOUND)
		res->missing++;
	else
		res->damaged++;
	name_row(row, who, sizeof(who));
	fprintf(out, "%s: %s: %s\n", who, r == CP_ERR_NOTFOUND ? "missing" : "damaged",
		cp_errmsg());
	return 1;
}

int
photo_check_all(const struct stage_ctx *sc, FILE *out, struct photo_check_result *res)
{
	struct progress prog = {0};
	char *dir = photos_dir(sc);
	long long after = 0, total = 0;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = reg_photo_count(sc->reg, &total)) < 0)
		goto out;
	progress_start(&prog, "photo check", total);
	for (;;) {
		struct photo_row *rows = NULL;
		size_t n = 0;

		if ((r = reg_photo_list(sc->reg, after, CHECK_PAGE, &rows, &n)) < 0)
			break;
		for (size_t i = 0; i < n && r >= 0; i++)
			r = check_row(dir, &rows[i], out, res);
		if (n)
			after = rows[n - 1].app_id;
		photo_rows_free(rows, n);
		progress_update(&prog, res->checked);
		if (r < 0 || n < CHECK_PAGE)
			break;
	}
	progress_end(&prog);
	if (r > 0)
		r = 0;
out:
	free(dir);
	return r;
}
