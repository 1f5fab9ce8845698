/* test_render.c - the render stage against a real registry: cards in perso_ready are drawn
 * and moved to rendered, a name no font can draw is held with its reason, a rerun does
 * nothing, a crash between files and commit is resumed without redrawing, a torn output is
 * redrawn, one card at a time works for instant issuance, and proof sheets are written.
 * Fixture rows are inserted with SQLite directly (test setup only; the stage itself goes
 * through reg_render.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/face.h"
#include "personalization/crypto/hash.h"
#include "pipeline/stages/sample_photo.h"
#include "pipeline/registry/registry.h"
#include "pipeline/registry/reg_stmt.h"
#include "pipeline/registry/registry_sqlite.h" /* the fixture uses the registry's connection */
#include "pipeline/stages/render.h"
#include "photo_fixture.h"

#include <dirent.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
	char home[64];
	char *dbpath;
	struct config *cfg;
	struct registry *reg;
	sqlite3 *db; /* the registry's connection, for fixtures */
};

static void
sql(struct fx *f, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(f->db, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("fixture SQL failed: %s\n%s", msg, q);
}

static long long
sql_int(struct fx *f, const char *q)
{
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(f->db, q, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *
sql_text(struct fx *f, const char *q)
{
	sqlite3_stmt *st;
	char *v = NULL;

	assert_int_equal(sqlite3_prepare_v2(f->db, q, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static void
add_card(struct fx *f, int n, const char *name, const char *state, const char *photo)
{
	char q[2048];

	snprintf(
		q, sizeof(q),
		"INSERT INTO person(id, id_type, id_number, name, created_at) VALUES(%d, 'citizen',"
		" '1101011990030712%02d', '%s', 'now');"
		"INSERT INTO application(id, file_id, record_no, location, channel, created_at,"
		" updated_at, state, name, id_type, id_number, photo_sha256, person_id)"
		" VALUES(%d, 1, %d, 'line %d', 'outlet', 'now', 'now', 'accepted', '%s', 'citizen',"
		" '1101011990030712%02d', '%s', %d);"
		"INSERT INTO card(id, card_no, application_id, person_id, bank, pan, issue_date, "
		"state,"
		" created_at, updated_at) VALUES(%d, 'B000000%02d', %d, %d, 'ICBC',"
		" '62122600000000%05d', '2026-11-26', '%s', 'now', 'now');",
		n, n, name, n, n, n, name, n, photo, n, n, n, n, n, n, state);
	sql(f, q);
}

static char photo_sha[65];

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char layout[PATH_MAX], *photos, *p;
	unsigned char *jpeg;
	size_t len;

	snprintf(f->home, sizeof(f->home), "/tmp/test_render.XXXXXX");
	if (!mkdtemp(f->home) || !realpath("../../data/layout/default.layout", layout))
		return -1;
	f->cfg = config_new();
	config_set(f->cfg, "render.layout", layout, CFG_CLI);
	config_set(f->cfg, "render.threads", "2", CFG_CLI);
	config_set(f->cfg, "render.batch", "2", CFG_CLI); /* several batches */
	f->dbpath = fs_join(f->home, "registry.db");
	if (registry_open(f->dbpath, &f->reg) < 0) {
		fprintf(stderr, "%s\n", cp_errmsg());
		return -1;
	}
	registry_set_actor(f->reg, "render");
	/* the registry's own connection: the schema's triggers need its SQL functions */
	f->db = f->reg->db;
	sql(f, "INSERT INTO input_file(id, sha256, name, channel, format, received_at, status)"
	       " VALUES(1, 'x', 'f.csv', 'outlet', 'csv', 'now', 'ingested')");
	photos = fs_join(f->home, "spool/photos");
	fs_mkdirs(photos, 0700);
	/* a photo file of an earlier release, named by the SHA-256 of its bytes (render reads it
	 * against that hash) */
	photo_jpeg(3, &jpeg, &len);
	if (cp_sha256_hex(jpeg, len, photo_sha) < 0)
		return -1;
	p = xasprintf("%s/%s.jpg", photos, photo_sha);
	fs_write_atomic(p, jpeg, len, 0600);
	free(p);
	free(jpeg);
	free(photos);
	add_card(f, 1, "张三", "perso_ready", photo_sha);
	add_card(f, 2, "王䶮", "perso_ready", photo_sha);
	add_card(f, 3, "李\xee\x80\x80", "perso_ready", photo_sha); /* U+E000: no font */
	add_card(f, 4, "赵四", "allocated", photo_sha);
	add_card(
		f, 5, "钱五", "perso_ready",
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"); /* photo file missing */
	add_card(f, 6, "孙六", "rendered", photo_sha);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	registry_close(f->reg);
	config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->home);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->home);
	free(f->dbpath);
	free(f);
	return 0;
}

static int
count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

/* The stage through the contract; the contract's figures are the stage's own. */
static int
render_with(struct fx *f, const struct render_opts *opts, struct render_counts *c)
{
	struct stage_ctx sc = {.cfg = f->cfg, .home = f->home, .reg = f->reg, .actor = "render"};
	struct render_opts o = *opts;
	struct stage_result sr;
	int r;

	o.detail = c;
	r = stage_render_run(&sc, &o, &sr);
	assert_int_equal(sr.read, c->rendered + c->complete + c->held);
	assert_int_equal(sr.done, c->rendered + c->complete);
	assert_int_equal(sr.held, c->held);
	return r;
}

static void
test_stage(void **state)
{
	struct fx *f = *state;
	struct render_opts o = {0};
	struct render_counts *c = xcalloc(1, sizeof(*c));
	char *faces = fs_join(f->home, "spool/faces"), *d1 = fs_join(faces, "B00000001"), *s;

	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->rendered, 2);
	assert_int_equal(c->held, 2);
	assert_int_equal(c->complete, 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM card WHERE state = 'rendered'"), 3);
	assert_string_equal((s = sql_text(f, "SELECT state FROM card WHERE id = 4")), "allocated");
	free(s);
	s = sql_text(f, "SELECT held_reason FROM card WHERE id = 3 AND state = 'held'");
	assert_non_null(s);
	assert_non_null(strstr(s, "U+E000"));
	free(s);
	s = sql_text(f, "SELECT held_reason FROM card WHERE id = 5 AND state = 'held'");
	assert_non_null(s);
	assert_non_null(strstr(s, "photo"));
	free(s);
	/* the audit log recorded every move */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit_log WHERE event = "
				    "'perso_ready->rendered'"),
			 2);
	assert_int_equal(
		sql_int(f, "SELECT count(*) FROM audit_log WHERE event = 'perso_ready->held'"), 2);
	/* d1 is a complete set: the crash-resume step below records it without drawing */
	{
		char *d3 = fs_join(faces, "B00000003");

		assert_false(fs_exists(d3)); /* nothing written for a held card */
		free(d3);
	}
	/* proof sheet for the two rendered cards */
	{
		char *proof = fs_join(f->home, "out/proof");

		assert_int_equal(count_files(proof, "2"), 1);
		free(proof);
	}
	/* held cards are reported for the operator */
	assert_int_equal(c->nreported, 2);

	/* rerun: nothing to do */
	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->rendered + c->complete + c->held, 0);

	/* crash after the files, before the commit: recorded, not redrawn */
	sql(f, "UPDATE card SET state = 'perso_ready' WHERE id = 1");
	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->complete, 1);
	assert_int_equal(c->rendered, 0);

	/* a torn output is redrawn */
	sql(f, "UPDATE card SET state = 'perso_ready' WHERE id = 1");
	{
		char *p = fs_join(d1, "back-ymc.png");

		assert_int_equal(truncate(p, 100), 0);
		free(p);
	}
	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->rendered, 1);
	/* the redrawn set is complete again: a resume records it without drawing */
	sql(f, "UPDATE card SET state = 'perso_ready' WHERE id = 1");
	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->complete, 1);
	assert_int_equal(c->rendered, 0);

	/* complete outputs drawn with another printer profile are not reused */
	sql(f, "UPDATE card SET state = 'perso_ready' WHERE id = 1");
	config_set(f->cfg, "printer.profile", "zebra", CFG_CLI);
	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->rendered, 1);
	assert_int_equal(c->complete, 0);
	config_set(f->cfg, "printer.profile", "evolis", CFG_CLI);

	/* one card (instant issuance): allocated is refused unless configured */
	o.card_no = "B00000004";
	assert_int_equal(render_with(f, &o, c), CP_ERR_INVALID);
	assert_non_null(strstr(cp_errmsg(), "allocated"));
	config_set(f->cfg, "render.from_allocated", "true", CFG_CLI);
	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->rendered, 1);
	assert_int_equal(c->proof_pages, 0);
	/* again: already rendered, fine */
	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->rendered, 0);
	o.card_no = "B99999999";
	assert_int_equal(render_with(f, &o, c), CP_ERR_NOTFOUND);

	/* proof sheets of everything rendered (cards 1, 2, 4 and the fixture's 6 without
	 * outputs, shown as a red "preview missing" cell), nothing drawn */
	memset(&o, 0, sizeof(o));
	o.proof_only = 1;
	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->proof_pages, 1);
	assert_int_equal(c->rendered + c->complete + c->held, 0);
	free(faces);
	free(d1);
	free(c);
}

static void
test_bad_configuration(void **state)
{
	struct fx *f = *state;
	struct render_opts o = {0};
	struct render_counts *c = xcalloc(1, sizeof(*c));

	/* a value the key table does not allow never reaches the stage */
	assert_int_equal(config_set(f->cfg, "printer.profile", "hp", CFG_CLI), CP_ERR_CONFIG);
	assert_string_equal(config_str(f->cfg, "printer.profile"), "evolis");
	assert_int_equal(config_set(f->cfg, "render.png_filter", "fast", CFG_CLI), CP_ERR_CONFIG);
	assert_string_equal(config_str(f->cfg, "render.png_filter"), "none");
	config_set(f->cfg, "render.png_filter", "sub", CFG_CLI);
	config_set(f->cfg, "render.layout", "/nonexistent.layout", CFG_CLI);
	assert_true(render_with(f, &o, c) < 0);
	assert_non_null(strstr(cp_errmsg(), "/nonexistent.layout"));
	free(c);
}

/* A name prepared before names had a character set (an emoji, which the CJK fonts can
 * draw) is held, never printed. */
static void
test_emoji_name_held(void **state)
{
	struct fx *f = *state;
	struct render_opts o = {0};
	struct render_counts *c = xcalloc(1, sizeof(*c));
	char *s;

	sql(f, "UPDATE application SET name = '张\xf0\x9f\x98\x80' WHERE id = 1");
	assert_int_equal(render_with(f, &o, c), 0);
	assert_int_equal(c->rendered, 1);
	assert_int_equal(c->held, 3);
	s = sql_text(f, "SELECT held_reason FROM card WHERE id = 1 AND state = 'held'");
	assert_non_null(s);
	assert_non_null(strstr(s, "U+1F600"));
	free(s);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emoji_name_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_configuration, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
