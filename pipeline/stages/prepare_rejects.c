/*
 * prepare_rejects.c - the rejects file of an input file (formats/rejects-csv.md):
 * out/rejects/<channel>/<original-name>.rejects.csv (a name that fits, fname.h, when the
 * original is too long or unsafe), written atomically from the registry once every record
 * of the file is judged. Its lines are written by formats/rejects_csv.c.
 */
#include "pipeline/stages/prepare.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/rejects_csv.h"
#include "pipeline/registry/reg_prepare.h"
#include "pipeline/stages/fname.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The registry's row as the format's (formats/rejects_csv.h writes it). */
static int
add_row(const struct reject_row *row, void *arg)
{
	const struct rejects_csv_row out = {
		.record_no = row->record_no,
		.channel_ref = row->channel_ref,
		.location = row->location,
		.reason_code = row->reason_code,
		.field = row->reason_field,
		.message_zh = row->reason_zh,
		.message_en = row->reason_en,
	};

	return rejects_csv_add(arg, &out);
}

/* The rejects file's name leaves room in NAME_MAX for ".<file id>" (a name used before),
 * ".rejects.csv" and the ".tmp.<pid>" of its atomic write. */
#define REJECTS_NAME_MAX (NAME_MAX - 21 - 12 - 12)

/* Its last path component: a name from the registry never leads out of its folder. */
static const char *
last_component(const char *s, const char *fallback)
{
	const char *slash = s ? strrchr(s, '/') : NULL;

	if (slash)
		s = slash + 1;
	return s && *s ? s : fallback;
}

int
prepare_rejects_path(struct reg_prep *rp, const char *out_dir, long long file_id, char **path)
{
	char *channel = NULL, *name = NULL, *ch, *nm, *leaf;
	int reused = 0, r;

	*path = NULL;
	if ((r = reg_prep_file_info(rp, file_id, &channel, &name, &reused)) < 0)
		return r;
	/* any bytes and up to NAME_MAX of them: a name that fits (fname.h) */
	ch = fname_fit(last_component(channel, "unknown"), 64);
	nm = fname_fit(last_component(name, "unnamed"), REJECTS_NAME_MAX);
	/* a later file with the same name keeps the earlier one's rejects file */
	leaf = reused ? xasprintf("%s.%lld.rejects.csv", nm, file_id)
		      : xasprintf("%s.rejects.csv", nm);
	*path = xasprintf("%s/rejects/%s/%s", out_dir, ch, leaf);
	free(channel);
	free(name);
	free(ch);
	free(nm);
	free(leaf);
	return 0;
}

int
prepare_write_rejects(struct reg_prep *rp, const char *out_dir, long long file_id, char **path)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	char *file = NULL, *slash, *channel = NULL, *name = NULL;
	struct rejects_csv w = {0};
	int reused, r;

	if (path)
		*path = NULL;
	if ((r = prepare_rejects_path(rp, out_dir, file_id, &file)) < 0 ||
	    (r = reg_prep_file_info(rp, file_id, &channel, &name, &reused)) < 0)
		goto out;
	slash = strrchr(file, '/');
	*slash = '\0';
	r = fs_mkdirs(file, 0700);
	*slash = '/';
	if (r < 0)
		goto out;
	if ((r = rejects_csv_begin(&w, &b, name)) < 0 ||
	    (r = reg_prep_rejects_each(rp, file_id, add_row, &w)) < 0)
		goto out;
	if ((r = fs_write_atomic(file, b.data, b.len, 0600)) < 0)
		goto out;
	if (path) {
		*path = file;
		file = NULL;
	}
out:
	rejects_csv_release(&w);
	buf_release(&b);
	free(file);
	free(channel);
	free(name);
	return r;
}
