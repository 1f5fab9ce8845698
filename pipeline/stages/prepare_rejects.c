/*
 * prepare_rejects.c - the rejects file of an input file (formats/rejects-csv.md):
 * out/rejects/<channel>/<original-name>.rejects.csv (a name that fits, fname.h, when the
 * original is too long or unsafe), RFC 4180, UTF-8 with BOM, written atomically from the
 * registry once every record of the file is judged.
 */
#include "pipeline/stages/prepare.h"

#include "core/buf.h"
#include "core/csv.h"
#include "core/escape.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "pipeline/registry/reg_prepare.h"
#include "pipeline/stages/fname.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The UTF-8 BOM first, as in the dispatch CSVs: Excel then reads the Chinese as UTF-8. */
#define REJECTS_HEADER                                                                             \
	"\xEF\xBB\xBF"                                                                             \
	"record_no,channel_ref,location,reason_code,field,message_zh,message_en,input_file\n"

struct rows {
	struct buf *b;
	const char *input_file; /* the input file's name as received, escaped (escape.h) */
};

static int
add_row(const struct reject_row *row, void *arg)
{
	struct rows *rows = arg;
	struct buf *b = rows->b;
	char no[24];
	int r;

	snprintf(no, sizeof(no), "%ld", row->record_no);
	if ((r = csv_field(b, no, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->channel_ref, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->location, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->reason_code, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->reason_field, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->reason_zh, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, row->reason_en, CSV_NEXT)) < 0 ||
	    (r = csv_field(b, rows->input_file, "\n")) < 0)
		return r;
	return 0;
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
	char *file = NULL, *slash, *channel = NULL, *name = NULL, *escaped = NULL;
	struct rows rows = {&b, NULL};
	int reused, r;

	if (path)
		*path = NULL;
	if ((r = prepare_rejects_path(rp, out_dir, file_id, &file)) < 0 ||
	    (r = reg_prep_file_info(rp, file_id, &channel, &name, &reused)) < 0)
		goto out;
	/* the name as received stays in the file even when the file's own name was shortened */
	rows.input_file = escaped = esc_line_dup(name ? name : "");
	slash = strrchr(file, '/');
	*slash = '\0';
	r = fs_mkdirs(file, 0700);
	*slash = '/';
	if (r < 0)
		goto out;
	if ((r = buf_append(&b, REJECTS_HEADER, strlen(REJECTS_HEADER))) < 0 ||
	    (r = reg_prep_rejects_each(rp, file_id, add_row, &rows)) < 0)
		goto out;
	if ((r = fs_write_atomic(file, b.data, b.len, 0600)) < 0)
		goto out;
	if (path) {
		*path = file;
		file = NULL;
	}
out:
	buf_release(&b);
	free(file);
	free(channel);
	free(name);
	free(escaped);
	return r;
}
