/*
 * prepare_fixture.h - the registry for the prepare-stage tests (test_prepare, test_dedup):
 * a temporary CARDPIPE home with registry.db open twice, `reg` for the stage and `raw` (a
 * plain sqlite3 connection) to seed rows the way ingest leaves them and to read results;
 * spool photos; input files and good applications added one at a
 * time; the stage run. Header-only like dispatch_fixture.h (the tests/unit C files that
 * are not test_*.c are linked into every test binary): the state below is the includer's.
 *
 * prepare_fixture_setup(name): home /tmp/NAME.XXXXXX, both connections, the clock at
 * 2026-11-26 20:00 Beijing; prepare_fixture_teardown() is the matching group teardown.
 * prepare_fixture_photo(bg, sha): a 358x441 JPEG on a background of grey bg (246 passes,
 * 120 fails the background check) into spool/photos/SHA.jpg.
 * newfile(name, channel) starts an input file; app(who, type, submitted, name) adds a good
 * application of person `who` to it and returns its id; run() runs the stage; state(id) is
 * "state[:reason_code]"; sql(), q() and qs() run a statement, an integer and a text query
 * through `raw` (sqlite3 printf: %Q, %lld).
 */
#ifndef PREPARE_FIXTURE_H
#define PREPARE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "core/config.h"
#include "core/err.h"
#include "pipeline/registry/registry.h"
#include "pipeline/rules/idnumber.h"
#include "pipeline/stages/prepare.h"
#include "jpeg_fixture.h"

static char home[64], dbpath[128];
static struct config *cfg;
static struct registry *reg;
static sqlite3 *raw;
static char photo_sha[65];
static int nfile, nrec;

static inline void
sql(const char *fmt, ...)
{
	char *msg = NULL, *s;
	va_list ap;

	va_start(ap, fmt);
	s = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sqlite3_exec(raw, s, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("SQL failed: %s: %s", msg, s);
	sqlite3_free(s);
}

static inline long long
q(const char *fmt, ...)
{
	sqlite3_stmt *st;
	long long n = -1;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	sqlite3_prepare_v2(raw, s, -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_free(s);
	return n;
}

static inline const char *
qs(const char *fmt, ...)
{
	static char out[512];
	sqlite3_stmt *st;
	va_list ap;
	char *s;

	out[0] = '\0';
	va_start(ap, fmt);
	s = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	sqlite3_prepare_v2(raw, s, -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_free(s);
	return out;
}

struct prepare_fixture_grey {
	int bg;
	unsigned int seed;
};

/* A row of the 358 x 441 photo: a noisy grey head on a noisy background of grey bg. */
static inline void
prepare_fixture_row(int y, unsigned char *row, void *arg)
{
	struct prepare_fixture_grey *p = arg;

	for (int x = 0; x < 358; x++) {
		double dx = (x - 179) / 100.0, dy = (y - 243) / 141.0;
		int head = dx * dx + dy * dy < 1 || y > 375;

		p->seed = p->seed * 1103515245u + 12345u;
		row[x * 3] = row[x * 3 + 1] = row[x * 3 + 2] =
			(unsigned char)(head ? 60 + (p->seed >> 8) % 140
					     : p->bg + (p->seed >> 16) % 9);
	}
}

static inline void
prepare_fixture_photo(int bg, char sha_out[65])
{
	struct prepare_fixture_grey g = {bg, 5};
	unsigned long len;
	unsigned char *out = jpeg_fixture(358, 441, 3, 70, prepare_fixture_row, &g, &len);
	char cmd[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s/p.jpg", home);
	f = fopen(cmd, "wb");
	fwrite(out, 1, len, f);
	fclose(f);
	free(out);
	snprintf(cmd, sizeof(cmd), "sha256sum %s/p.jpg", home);
	f = popen(cmd, "r");
	assert_non_null(fgets(sha_out, 65, f));
	pclose(f);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/spool/photos && mv %s/p.jpg %s/spool/photos/%s.jpg",
		 home, home, home, sha_out);
	assert_int_equal(system(cmd), 0);
}

static inline int
prepare_fixture_setup(const char *name)
{
	snprintf(home, sizeof(home), "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(home))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/registry.db", home);
	setenv("CARDPIPE_NOW", "2026-11-26T20:00:00+08:00", 1);
	setenv("CARDPIPE_DATA", "../../data", 0);
	cfg = config_new();
	if (registry_open(dbpath, &reg) < 0 || sqlite3_open(dbpath, &raw) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(raw, 10000);
	return 0;
}

static inline int
prepare_fixture_teardown(void **state)
{
	char cmd[128];

	sqlite3_close(raw);
	registry_close(reg);
	config_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	return system(cmd) == 0 ? 0 : -1;
}

static inline void
newfile(const char *name, const char *channel)
{
	nfile++;
	nrec = 0;
	sql("INSERT INTO input_file(id, sha256, name, channel, format, received_at, status, "
	    "records) "
	    "VALUES(%d, 'sha%d', %Q, %Q, 'x', 'x', 'ingested', 0)",
	    nfile, nfile, name, channel);
}

/* A good application of person `who` (1..99) in the current file; returns its id. */
static inline long long
app(int who, const char *app_type, const char *submitted, const char *name)
{
	char first17[18], id[19];

	snprintf(first17, sizeof(first17), "110101198001%02d%03d", who % 28 + 1, who * 2 + 1);
	memcpy(id, first17, 17);
	id[17] = id_check_char(first17);
	id[18] = '\0';
	nrec++;
	sql("INSERT INTO application(file_id, record_no, location, channel, app_type, "
	    "submitted_at, "
	    "name, id_type, id_number, sex, mobile, delivery, branch, bank, photo_sha256, "
	    "category, "
	    "confirmed_at, created_at, updated_at) SELECT %d, %d, 'line %d', channel, %Q, %Q, %Q, "
	    "'citizen', %Q, '1', '13912345678', 'pickup', 'ICBC-110101-001', 'ICBC', %Q, "
	    "'insured', "
	    "'2026-11-01', 'x', 'x' FROM input_file WHERE id = %d;"
	    "UPDATE input_file SET records = records + 1 WHERE id = %d",
	    nfile, nrec, nrec + 1, app_type, submitted, name ? name : "张三", id, photo_sha, nfile,
	    nfile);
	return q("SELECT max(id) FROM application");
}

/* stage_prepare_run() over the rows the fixture wrote. Those were written by a connection
 * without the audit key: they are accepted first as `db reseal` would, or prepare refuses to
 * change them. The contract's figures must be the stage's own. */
static inline int
prepare_with(const struct prepare_opts *opts, struct prepare_counts *c)
{
	struct prepare_opts o = {0};
	struct stage_ctx sc = {.cfg = cfg, .home = home, .reg = reg, .actor = "prepare"};
	struct stage_result sr;
	long long resealed;
	int r;

	if (registry_reseal(reg, &resealed) < 0)
		fail_msg("reseal failed: %s", cp_errmsg());
	if (opts)
		o = *opts;
	o.detail = c;
	r = stage_prepare_run(&sc, &o, &sr);
	assert_int_equal(sr.read, c->read);
	assert_int_equal(sr.done, c->accepted);
	assert_int_equal(sr.rejected, c->rejected);
	assert_int_equal(sr.held, c->held);
	return r;
}

static inline struct prepare_counts
run(void)
{
	struct prepare_counts c;

	if (prepare_with(NULL, &c) < 0)
		fail_msg("prepare failed: %s", cp_errmsg());
	return c;
}

static inline const char *
state(long long id)
{
	return qs(
		"SELECT state || coalesce(':' || reason_code, '') FROM application WHERE id = %lld",
		id);
}

#endif
