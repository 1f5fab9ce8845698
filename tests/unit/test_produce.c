/*
 * test_produce.c - the produce stage against the emulator's machine on loopback TCP and a
 * scripted encoder: every card produced once or held, spoiled attempts with their reasons
 * and faults (card or line), line faults that stop the line without charging the card, the
 * circuit breaker, pauses that resume where they were, counts that add up, recovery of a
 * killed run, and two lines claiming disjoint cards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/panels.h"
#include "personalization/face/png.h"
#include "emulator/printer/emu.h"
#include "emulator/printer/emu_face.h"
#include "printer/encoder/encoder.h"
#include "printer/evolis/evolis.h"
#include "printer/evolis/evolis_io.h"
#include "printer/printer.h"
#include "pipeline/registry/reg_production.h"
#include "pipeline/registry/registry.h"
#include "pipeline/registry/reg_stmt.h"
#include "pipeline/registry/registry_sqlite.h"
#include "pipeline/stages/produce.h"
#include "panels_fixture.h"
#include "emu_status_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct server {
	int lfd, port;
	struct emu *emu;
	pthread_t th;
	pthread_mutex_t mu;
};

struct fx {
	char dir[64], home[96];
	struct server s;
	struct config *cfg;
	struct registry *reg;
	/* the scripted encoder */
	int calls;
	int fail_at[8]; /* call numbers that fail */
	enum encoder_outcome fail_as[8];
	int always_fail;
	int no_lock_at; /* this call reports success without a lock time */
	long chip_seq;
	/* the scripted reader: a card left in it, or the reader gone */
	int card_in_reader, reader_gone, reader_checks;
	/* a fault to clear after a delay, from a thread */
	char clear_cmd[64];
	int clear_after_ms, clear_when_ribbon_out;
};

static void *
serve(void *arg)
{
	struct server *s = arg;

	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);
		unsigned char chunk[65536];
		ssize_t n;

		if (fd < 0)
			return NULL;
		while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
			struct buf out = BUF_INIT(1 << 16);
			int drop;

			pthread_mutex_lock(&s->mu);
			drop = emu_input(s->emu, chunk, (size_t)n, &out) == EMU_DROP;
			pthread_mutex_unlock(&s->mu);
			if (out.len)
				(void)!write(fd, out.data, out.len);
			buf_release(&out);
			if (drop)
				break;
		}
		pthread_mutex_lock(&s->mu);
		emu_disconnect(s->emu);
		pthread_mutex_unlock(&s->mu);
		close(fd);
	}
}

static void
emu_cmd(struct fx *f, const char *cmd)
{
	struct buf r = BUF_INIT(256);

	pthread_mutex_lock(&f->s.mu);
	emu_control(f->s.emu, cmd, &r);
	pthread_mutex_unlock(&f->s.mu);
	if (strncmp(buf_str(&r), "OK", 2))
		fail_msg("control '%s': %s", cmd, buf_str(&r));
	buf_release(&r);
}

static void
emu_stats_locked(struct fx *f, struct emu_stats *st)
{
	pthread_mutex_lock(&f->s.mu);
	emu_stats(f->s.emu, st);
	pthread_mutex_unlock(&f->s.mu);
}

static int
open_printer(void *ctx, struct printer **out)
{
	struct fx *f = ctx;
	struct evo_io *io = NULL;
	int r;

	if ((r = evo_io_open_tcp("127.0.0.1", f->s.port, 1000, &io)) < 0)
		return r;
	return evolis_open(io, out);
}

static int
encode(void *ctx, const struct card_row *card, struct encoder_result *res)
{
	struct fx *f = ctx;

	memset(res, 0, sizeof(*res));
	f->calls++;
	for (size_t i = 0; i < ARRAY_SIZE(f->fail_at); i++)
		if (f->always_fail || (f->fail_at[i] && f->fail_at[i] == f->calls)) {
			res->outcome = f->always_fail ? ENCODER_CHIP_FAULT : f->fail_as[i];
			snprintf(res->reason, sizeof(res->reason), "scripted failure at call %d",
				 f->calls);
			return res->outcome == ENCODER_MISMATCH ? CP_ERR_INTEGRITY : CP_ERR_DEVICE;
		}
	res->outcome = ENCODER_OK;
	snprintf(res->card_id, sizeof(res->card_id), "110000D156000005%016lX", ++f->chip_seq);
	if (f->calls != f->no_lock_at)
		snprintf(res->locked_at, sizeof(res->locked_at), "2026-11-26T0%d:00:00Z",
			 f->calls % 10);
	return 0;
}

static int
check_reader(void *ctx)
{
	struct fx *f = ctx;

	f->reader_checks++;
	if (f->reader_gone)
		return cp_err(CP_ERR_DEVICE, "reader 'Virtual PCD 00 00': Service not available");
	if (f->card_in_reader)
		return cp_err(CP_ERR_BUSY, "a card is in the chip reader 'Virtual PCD 00 00'");
	return 0;
}

static void *
clearer(void *arg)
{
	struct fx *f = arg;

	usleep((useconds_t)f->clear_after_ms * 1000);
	/* an operator changes a ribbon once it has run out, not before */
	for (int i = 0; f->clear_when_ribbon_out && i < 2000; i++) {
		struct emu_stats st;

		emu_stats_locked(f, &st);
		if (st.ribbon == 0) {
			usleep(300 * 1000); /* the operator takes a moment */
			break;
		}
		usleep(10 * 1000);
	}
	emu_cmd(f, f->clear_cmd);
	return NULL;
}

/* Fixture rows go through a registry connection, which keys their audit rows and seals
 * them as cardpipe does (a raw connection would leave rows that db check rejects); 1 when
 * the registry accepted the SQL. */
static int
exec_sql_ok(struct fx *f, const char *sql)
{
	struct registry *reg = NULL;
	char path[160];
	int ok;

	snprintf(path, sizeof(path), "%s/registry.db", f->home);
	assert_int_equal(registry_open(path, &reg), 0);
	registry_set_actor(reg, "test");
	ok = reg_exec(reg, sql) == 0;
	if (!ok)
		print_message("sql: %s\n", cp_errmsg());
	registry_close(reg);
	return ok;
}

static void
exec_sql(struct fx *f, const char *sql)
{
	assert_true(exec_sql_ok(f, sql));
}

/* Card id back in the queue as if never produced: rendered, no chip, no attempts. */
static void
requeue(struct fx *f, int id)
{
	char sql[200];

	snprintf(sql, sizeof(sql),
		 "UPDATE card SET state = 'rendered', chip_id = NULL WHERE id = %d;"
		 "DELETE FROM production_attempt WHERE card_id = %d",
		 id, id);
	exec_sql(f, sql);
}

/* Card id requeued, then taken up to "printed" with this chip, as a produce killed after
 * printing it leaves it. */
static void
printed_then_killed(struct fx *f, int id, const char *chip_id)
{
	struct prod_attempt a;
	struct card_row card;

	requeue(f, id);
	assert_int_equal(reg_prod_claim_next(f->reg, 1, NULL, &card), 0);
	assert_int_equal(card.id, id);
	assert_int_equal(reg_prod_attempt_begin(f->reg, card.id, 1, "2026-11-26/1", &a), 0);
	assert_int_equal(reg_prod_attempt_encoded(f->reg, &a, chip_id, "2026-11-26T09:00:00Z"), 0);
	assert_int_equal(reg_prod_attempt_step(f->reg, &a, "printed", NULL), 0);
}

static void
exec_sql_fails(struct fx *f, const char *sql)
{
	assert_false(exec_sql_ok(f, sql));
}

/* n rendered cards B0000001.. with panels on disk. */
static void
make_cards(struct fx *f, int n)
{
	struct panel_set ps = {.lines = 1016, .dots = 648, .dpi = 300, .stride = 81};
	struct png_opts po = {.level = 1, .filter = 0, .dpi = 300};
	struct buf bufs[3] = {BUF_INIT(BUF_UNLIMITED), BUF_INIT(BUF_UNLIMITED),
			      BUF_INIT(BUF_UNLIMITED)};
	static const char *const names[6] = {"front-ymc.png", "front-k.png", "front-o.png",
					     "back-ymc.png",  "back-k.png",  "back-o.png"};

	exec_sql(f, "INSERT INTO input_file(id, sha256, name, channel, format, received_at, "
		    "status) VALUES(1, 'x', 'f', 'counter', 'csv', '2026-11-26', 'ingested')");
	ps.ymc = xcalloc(1016 * 648, 3);
	ps.k = xcalloc(1016, 81);
	ps.o = xcalloc(1016, 81);
	for (int i = 0; i < n; i++) {
		char sql[1024], dir[200];

		snprintf(
			sql, sizeof(sql),
			"INSERT INTO person(id, id_type, id_number, name, created_at) VALUES(%d, "
			"'01', '11010119900307%04d', 'P', 'now');"
			"INSERT INTO application(id, file_id, record_no, location, channel, state, "
			"created_at, updated_at, person_id, due_date) VALUES(%d, 1, %d, 'l', "
			"'counter', 'accepted', 'now', 'now', %d, '2026-12-26');"
			"INSERT INTO card(id, card_no, application_id, person_id, bank, pan, "
			"state, "
			"created_at, updated_at) VALUES(%d, 'B%08d', %d, %d, 'ICBC', '62%017d', "
			"'rendered', 'now', 'now');",
			i + 1, i, i + 1, i + 1, i + 1, i + 1, i + 1, i + 1, i + 1, i + 1);
		exec_sql(f, sql);
		/* a face per card: its number in the colour panel, a K dot, overlay */
		ps.ymc[((size_t)(100 + i) * 648 + 50) * 3] = 200;
		ps.k[(200 + i) * 81 + 3] = 0x10;
		memset(ps.o + 81 * (size_t)i, 0xff, 81);
		assert_int_equal(panels_encode(&ps, &po, bufs), 0);
		snprintf(dir, sizeof(dir), "%s/spool/faces/B%08d", f->home, i + 1);
		assert_int_equal(fs_mkdirs(dir, 0700), 0);
		/* even cards have a back too (a face of its own) */
		for (int side = 0; side < 1 + (i % 2); side++) {
			if (side) {
				ps.ymc[((size_t)(900 - i) * 648 + 600) * 3 + 1] = 255;
				assert_int_equal(panels_encode(&ps, &po, bufs), 0);
				ps.ymc[((size_t)(900 - i) * 648 + 600) * 3 + 1] = 0;
			}
			for (int k = 0; k < 3; k++) {
				char *p = fs_join(dir, names[side * 3 + k]);

				assert_int_equal(
					fs_write_atomic(p, bufs[k].data, bufs[k].len, 0600), 0);
				free(p);
				buf_reset(&bufs[k]);
			}
		}
	}
	for (int k = 0; k < 3; k++)
		buf_release(&bufs[k]);
	panel_set_release(&ps);
	{
		char sql[96];

		snprintf(sql, sizeof(sql), "UPDATE input_file SET records = %d WHERE id = 1", n);
		exec_sql(f, sql);
	}
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	struct emu_config ec = {.line = 1, .feeder_cards = 100, .ribbon_cards = 100};
	char out[128], st[128], path[160];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_produce.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
	assert_int_equal(fs_mkdirs(f->home, 0700), 0);
	snprintf(out, sizeof(out), "%s/emu-out", f->dir);
	snprintf(st, sizeof(st), "%s/emu-state", f->dir);
	ec.out_dir = out;
	ec.state_dir = st;
	assert_int_equal(emu_new(&ec, &f->s.emu), 0);
	pthread_mutex_init(&f->s.mu, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->s.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(f->s.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->s.lfd, 2), 0);
	getsockname(f->s.lfd, (struct sockaddr *)&sa, &len);
	f->s.port = ntohs(sa.sin_port);
	pthread_create(&f->s.th, NULL, serve, &f->s);

	f->cfg = config_new();
	config_set(f->cfg, "produce.poll_ms", "20", CFG_CLI);
	config_set(f->cfg, "produce.fault_wait_s", "20", CFG_CLI);
	snprintf(path, sizeof(path), "%s/registry.db", f->home);
	assert_int_equal(registry_open(path, &f->reg), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	shutdown(f->s.lfd, SHUT_RDWR);
	close(f->s.lfd);
	pthread_join(f->s.th, NULL);
	emu_free(f->s.emu);
	registry_close(f->reg);
	config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	(void)!system(cmd);
	free(f);
	return 0;
}

/* The stage through the contract with these devices; the contract's figures are the
 * stage's own. */
static int
produce_with(struct fx *f, const struct produce_devices *dev, const struct produce_opts *opts,
	     struct produce_result *res)
{
	struct stage_ctx sc = {.cfg = f->cfg, .home = f->home, .reg = f->reg};
	struct produce_opts o = *opts;
	struct stage_result sr;
	int r;

	o.devices = dev;
	o.detail = res;
	r = stage_produce_run(&sc, &o, &sr);
	assert_int_equal(sr.read, res->produced + res->spoiled);
	assert_int_equal(sr.done, res->produced);
	assert_int_equal(sr.rejected, res->spoiled);
	assert_int_equal(sr.held, res->held);
	return r;
}

static int
run(struct fx *f, struct produce_result *res)
{
	struct produce_devices dev = {f, open_printer, encode, NULL, check_reader};
	struct produce_opts o = {.line = 1};

	return produce_with(f, &dev, &o, res);
}

static long long
count(struct fx *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[160];
	long long n = -1;

	snprintf(path, sizeof(path), "%s/registry.db", f->home);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
assert_counts_add_up(struct fx *f)
{
	struct prod_counts c;
	long reasons = 0;
	int problems = 0;
	FILE *devnull = fopen("/dev/null", "w");

	assert_int_equal(reg_prod_counts(f->reg, 1, NULL, &c), 0);
	for (int i = 0; i < PROD_NREASONS; i++)
		reasons += c.by_reason[i];
	assert_int_equal(c.attempts, c.produced + c.spoiled + c.in_flight);
	assert_int_equal(c.in_flight, 0);
	assert_int_equal(c.fed, c.produced + c.spoiled_fed);
	assert_int_equal(reasons, c.spoiled);
	assert_int_equal(c.locked, c.produced); /* issued means locked */
	assert_int_equal(c.spoiled_card + c.spoiled_line, c.spoiled);
	/* the registry says whose fault each spoiled attempt was, from its reason */
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE state = "
				  "'spoiled' AND fault = 'card'"),
			 c.spoiled_card);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE state = "
				  "'spoiled' AND (fault = 'card') <> (spoil_reason IN ('chip', "
				  "'qc', 'print'))"),
			 0);
	assert_int_equal(registry_check(f->reg, devnull, &problems), 0);
	fclose(devnull);
	assert_int_equal(problems, 0);
}

static void
test_clean_run(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct emu_stats es;
	unsigned char *text = NULL;
	size_t len;

	make_cards(f, 3);
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 3);
	assert_int_equal(res.spoiled, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE state = 'produced' AND chip_id "
				  "LIKE '110000D156000005%' AND claimed_by IS NULL AND line = 1"),
			 3);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt p JOIN card c ON "
				  "c.id = p.card_id WHERE p.chip_id = c.chip_id"),
			 3);
	emu_stats_locked(f, &es);
	assert_int_equal(es.printed, 3);
	assert_int_equal(es.ejected, 3);
	assert_int_equal(es.rejected, 0);
	assert_counts_add_up(f);
	/* the shift report names the counts and checks them */
	assert_int_equal(fs_read_file(res.report, 1 << 16, &text, &len), 0);
	assert_non_null(strstr((char *)text, "produced: 3\n"));
	assert_non_null(strstr((char *)text, "fed: 3\n"));
	assert_non_null(strstr((char *)text, "locked: 3\n"));
	assert_non_null(strstr((char *)text, "check.locked: ok\n"));
	assert_null(strstr((char *)text, "MISMATCH"));
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE state = "
				  "'produced' AND locked_at LIKE '2026-11-26T0_:00:00Z'"),
			 3);
	assert_int_equal(count(f, "SELECT count(*) FROM audit_log WHERE entity = 'attempt' AND "
				  "event = 'locked' AND detail LIKE 'card % chip 110000D156000005% "
				  "SECURED at 2026-11-26T0_:00:00Z'"),
			 3);
	free(text);
	/* every printed face equals the rendered one, pixel for pixel (printed.log: the
	 * physical cards in order; each card was made once here) */
	for (int i = 1; i <= 3; i++) {
		struct panel_set ps;
		char dir[200], png[200];
		unsigned char *want = NULL;
		long ndiff = -1;

		snprintf(dir, sizeof(dir), "%s/spool/faces/B%08d", f->home, i);
		/* card 2 has a back: printed after Sv, its own PNG */
		snprintf(png, sizeof(png), "%s/emu-out/card-E1010000000000%02d.back.png", f->dir,
			 i);
		if (i == 2) {
			assert_int_equal(panels_load(dir, "back", &ps), 0);
			assert_int_equal(emu_face_expected(&ps, 128, &want), 0);
			assert_int_equal(emu_face_compare(png, want, &ndiff), 0);
			free(want);
			want = NULL;
			panel_set_release(&ps);
		} else {
			assert_int_equal(access(png, F_OK), -1);
		}
		snprintf(png, sizeof(png), "%s/emu-out/card-E1010000000000%02d.png", f->dir, i);
		assert_int_equal(panels_load(dir, "front", &ps), 0);
		assert_int_equal(emu_face_expected(&ps, 128, &want), 0);
		assert_int_equal(emu_face_compare(png, want, &ndiff), 0);
		assert_int_equal(ndiff, 0);
		/* and a different card's face does not match */
		if (i > 1) {
			snprintf(png, sizeof(png), "%s/emu-out/card-E1010000000000%02d.png", f->dir,
				 i - 1);
			assert_int_equal(emu_face_compare(png, want, &ndiff), CP_ERR_INTEGRITY);
			assert_true(ndiff > 0);
		}
		free(want);
		panel_set_release(&ps);
	}
	/* idempotent: nothing left to do */
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 0);
}

static void
test_every_fault(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct emu_stats es;
	pthread_t th;

	make_cards(f, 6);
	/* card 2's physical card jams; encoder call 3 is a chip fault, call 5 a read-back
	 * mismatch; the connection drops during the 8th physical card's panels */
	emu_cmd(f, "FAULT jam-at 2");
	emu_cmd(f, "FAULT drop-at 8");
	f->fail_at[0] = 3;
	f->fail_as[0] = ENCODER_CHIP_FAULT;
	f->fail_at[1] = 5;
	f->fail_as[1] = ENCODER_MISMATCH;
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 6);
	assert_int_equal(
		count(f, "SELECT count(*) FROM production_attempt WHERE spoil_reason = 'jam'"), 1);
	assert_int_equal(
		count(f, "SELECT count(*) FROM production_attempt WHERE spoil_reason = 'chip'"), 1);
	assert_int_equal(
		count(f, "SELECT count(*) FROM production_attempt WHERE spoil_reason = 'qc'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE spoil_reason = "
				  "'connection'"),
			 1);
	/* the jam and the dropped connection were the line's, never charged to the card */
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE fault = 'line' "
				  "AND spoil_reason IN ('jam', 'connection')"),
			 2);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE fault = 'card' "
				  "AND spoil_reason IN ('chip', 'qc')"),
			 2);
	assert_int_equal(res.line_fault[0], '\0');
	/* a remade card has its new chip; the spoiled one stays recorded on its attempt */
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt p JOIN card c ON "
				  "c.id = p.card_id WHERE p.state = 'spoiled' AND p.chip_id IS NOT "
				  "NULL AND p.chip_id <> c.chip_id"),
			 1);
	emu_stats_locked(f, &es);
	assert_int_equal(es.rejected, 4);
	assert_int_equal(es.ejected, 6);
	assert_int_equal(es.fed, 10);
	assert_counts_add_up(f);

	/* ribbon out after 1 more card: pauses, resumes when a new ribbon goes in */
	exec_sql(f, "UPDATE card SET state = 'rendered', chip_id = NULL WHERE id IN (1, 2)");
	exec_sql(f,
		 "DELETE FROM production_attempt WHERE state = 'produced' AND card_id IN (1, 2)");
	emu_cmd(f, "FAULT ribbon-out-after 1");
	snprintf(f->clear_cmd, sizeof(f->clear_cmd), "RIBBON 50");
	f->clear_after_ms = 100;
	f->clear_when_ribbon_out = 1;
	pthread_create(&th, NULL, clearer, f);
	assert_int_equal(run(f, &res), 0);
	pthread_join(th, NULL);
	assert_int_equal(res.produced, 2);
	assert_true(res.pauses >= 1);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE spoil_reason = "
				  "'ribbon'"),
			 1);
	assert_true(count(f, "SELECT count(*) FROM production_pause WHERE outcome = 'cleared' "
			     "AND cause = 'ribbon'") >= 1);
	assert_counts_add_up(f);
}

/* Issued means locked: a chip the encoder did not report locked is spoiled, never
 * printed; the registry refuses to produce an attempt without a lock time; a printed but
 * unlocked card found after a crash is spoiled. */
static void
test_unlocked_never_produced(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct prod_attempt a;
	struct card_row card;
	struct emu_stats es;

	make_cards(f, 2);
	f->no_lock_at = 1;
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 2);
	assert_int_equal(res.spoiled, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE state = "
				  "'spoiled' AND spoil_reason = 'chip' AND detail LIKE "
				  "'lock-failed:%' AND locked_at IS NULL"),
			 1);
	emu_stats_locked(f, &es);
	assert_int_equal(es.printed, 2);
	assert_int_equal(es.rejected, 1);
	assert_counts_add_up(f);

	/* The registry itself: no produced attempt without a lock; a bad lock time. */
	requeue(f, 2);
	assert_int_equal(reg_prod_claim_next(f->reg, 1, NULL, &card), 0);
	assert_int_equal(reg_prod_attempt_begin(f->reg, card.id, 1, "2026-11-26/1", &a), 0);
	assert_int_equal(reg_prod_attempt_encoded(f->reg, &a, "110000D1560000050000000000000099",
						  "yesterday"),
			 CP_ERR_INVALID);
	assert_int_equal(
		reg_prod_attempt_step(f->reg, &a, "encoded", "110000D1560000050000000000000099"),
		0);
	assert_int_equal(reg_prod_attempt_step(f->reg, &a, "printed", NULL), 0);
	assert_int_equal(reg_prod_attempt_produced(f->reg, &a), CP_ERR_INTEGRITY);
	assert_non_null(strstr(cp_errmsg(), "the chip was never locked"));
	/* After a crash the printed, unlocked card is spoiled and the card remade. */
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE card_id = 2 AND "
				  "spoil_reason = 'interrupted'"),
			 1);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE id = 2 AND state = 'produced'"),
			 1);
	assert_counts_add_up(f);
	/* A lock time is set once. */
	exec_sql_fails(f, "UPDATE production_attempt SET locked_at = '2030-01-01T00:00:00Z' "
			  "WHERE state = 'produced'");
	exec_sql_fails(f, "UPDATE production_attempt SET locked_at = NULL WHERE state = "
			  "'produced'");
	/* `db check` finds a produced attempt without a lock made behind the registry's back. */
	{
		char *text = NULL;
		size_t len = 0;
		int problems = 0;
		FILE *out = open_memstream(&text, &len);

		exec_sql(f,
			 "DELETE FROM production_attempt WHERE card_id = 2 AND state = "
			 "'produced'; UPDATE production_attempt SET state = 'produced', "
			 "spoil_reason = NULL WHERE card_id = 2 AND spoil_reason = 'interrupted'");
		assert_int_equal(registry_check(f->reg, out, &problems), 0);
		fclose(out);
		assert_true(problems > 0);
		assert_non_null(strstr(text, "FAIL  issued means locked: every card produced since "
					     "migration 11 has a lock time (1 offending rows)"));
		free(text);
	}
}

static void
test_pauses_before_feeding(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	pthread_t th;

	make_cards(f, 2);
	/* cover open: nothing is fed (no attempt spoiled) until it closes */
	emu_cmd(f, "COVER open");
	snprintf(f->clear_cmd, sizeof(f->clear_cmd), "COVER close");
	f->clear_after_ms = 300;
	pthread_create(&th, NULL, clearer, f);
	assert_int_equal(run(f, &res), 0);
	pthread_join(th, NULL);
	assert_int_equal(res.produced, 2);
	assert_int_equal(res.spoiled, 0);
	assert_int_equal(res.pauses, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM production_pause WHERE cause = "
				  "'cover-open' AND outcome = 'cleared'"),
			 1);
	/* feeder empty, refilled */
	requeue(f, 1);
	emu_cmd(f, "FAULT feeder-empty");
	snprintf(f->clear_cmd, sizeof(f->clear_cmd), "LOAD 10");
	pthread_create(&th, NULL, clearer, f);
	assert_int_equal(run(f, &res), 0);
	pthread_join(th, NULL);
	assert_int_equal(res.produced, 1);
	assert_int_equal(res.pauses, 1);
	assert_counts_add_up(f);
}

static void
test_held_after_max_attempts(void **state)
{
	struct fx *f = *state;
	struct produce_result res;

	make_cards(f, 2);
	f->always_fail = 1;
	/* the breaker out of the way: this is about the card's own limit */
	config_set(f->cfg, "produce.max_consecutive_spoils", "100", CFG_CLI);
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 0);
	assert_int_equal(res.held, 2);
	assert_int_equal(res.spoiled, 6);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE state = 'held' AND held_reason "
				  "LIKE 'spoiled 3 times%' AND claimed_by IS NULL"),
			 2);
	assert_counts_add_up(f);
}

static void
test_fault_not_cleared_stops(void **state)
{
	struct fx *f = *state;
	struct produce_result res;

	make_cards(f, 1);
	config_set(f->cfg, "produce.fault_wait_s", "1", CFG_CLI);
	emu_cmd(f, "COVER open");
	assert_int_equal(run(f, &res), CP_ERR_TIMEOUT);
	assert_non_null(strstr(cp_errmsg(), "cover-open"));
	assert_non_null(strstr(cp_errmsg(), "close the printer's cover"));
	assert_string_equal(res.line_fault, "cover-open");
	assert_int_equal(count(f, "SELECT count(*) FROM production_pause WHERE outcome = "
				  "'timeout'"),
			 1);
	/* the card is still waiting for this line, nothing in flight */
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt"), 0);
	emu_cmd(f, "COVER close");
	config_set(f->cfg, "produce.fault_wait_s", "20", CFG_CLI);
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 1);
}

static void
test_recovery(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct prod_attempt a;
	struct card_row card;
	struct emu_stats es;
	struct printer *p = NULL;

	make_cards(f, 3);
	/* killed with card 1 at the contact station: rejected, spoiled 'interrupted', remade */
	assert_int_equal(reg_prod_claim_next(f->reg, 1, NULL, &card), 0);
	assert_int_equal(card.id, 1);
	assert_int_equal(reg_prod_attempt_begin(f->reg, card.id, 1, "2026-11-26/1", &a), 0);
	assert_int_equal(reg_prod_attempt_step(f->reg, &a, "contact", NULL), 0);
	assert_int_equal(open_printer(f, &p), 0);
	assert_int_equal(printer_feed(p), 0);
	assert_int_equal(printer_to_contact(p), 0);
	printer_close(p);
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 3);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE card_id = 1 AND "
				  "attempt_no = 1 AND spoil_reason = 'interrupted' AND fed = 1"),
			 1);
	emu_stats_locked(f, &es);
	assert_int_equal(es.rejected, 1);
	assert_int_equal(es.printed, 3);
	assert_counts_add_up(f);

	/* killed after card 3 was printed, before its eject: the card is good, the eject
	 * completes it */
	printed_then_killed(f, 3, "110000D156000005BBBBBBBBBBBBBBBB");
	{
		struct panel_set ps;
		char dir[200];

		snprintf(dir, sizeof(dir), "%s/spool/faces/B00000003", f->home);
		assert_int_equal(panels_load(dir, "front", &ps), 0);
		assert_int_equal(open_printer(f, &p), 0);
		assert_int_equal(printer_to_contact(p), 0);
		assert_int_equal(printer_print(p, &ps, NULL), 0);
		printer_close(p);
		panel_set_release(&ps);
	}
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 1);
	assert_int_equal(res.spoiled, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE id = 3 AND state = 'produced' "
				  "AND chip_id = '110000D156000005BBBBBBBBBBBBBBBB'"),
			 1);
	emu_stats_locked(f, &es);
	assert_int_equal(es.rejected, 1);
	assert_int_equal(es.printed, 4);
	assert_int_equal(es.ejected, 4);
	assert_counts_add_up(f);

	/* killed after card 2 was printed and ejected (the printer is empty): produced, with
	 * the chip it was encoded with, and nothing printed again */
	printed_then_killed(f, 2, "110000D156000005AAAAAAAAAAAAAAAA");
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE id = 2 AND state = 'produced' "
				  "AND chip_id = '110000D156000005AAAAAAAAAAAAAAAA'"),
			 1);
	emu_stats_locked(f, &es);
	assert_int_equal(es.printed, 4);
	assert_counts_add_up(f);
}

/* The line's shift report, read back. */
static char *
shift_report(struct produce_result *res)
{
	unsigned char *text = NULL;
	size_t len;

	assert_int_equal(fs_read_file(res->report, 1 << 16, &text, &len), 0);
	return (char *)text;
}

static void
test_card_in_reader_stops_before_feeding(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct emu_stats es;
	char *text;

	/* issue 12: a produced card left in the reader made the next produce spoil blank
	 * after blank, each charged to its card. Now nothing is fed or spoiled at all. */
	make_cards(f, 5);
	f->card_in_reader = 1;
	assert_int_equal(run(f, &res), CP_ERR_BUSY);
	assert_string_equal(res.line_fault, "card-in-reader");
	assert_non_null(strstr(cp_errmsg(), "take that card out of the reader"));
	assert_int_equal(res.spoiled, 0);
	assert_int_equal(res.held, 0);
	assert_int_equal(f->calls, 0);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt"), 0);
	emu_stats_locked(f, &es);
	assert_int_equal(es.fed, 0);
	/* every card still queued, none claimed */
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE state = 'rendered' AND "
				  "claimed_by IS NULL"),
			 5);
	text = shift_report(&res);
	assert_non_null(strstr(text, "spoiled: 0\n"));
	free(text);
	/* the card taken out: the line makes every card */
	f->card_in_reader = 0;
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 5);
	assert_int_equal(res.spoiled, 0);
	assert_counts_add_up(f);
}

static void
test_reader_faults_are_the_lines(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct emu_stats es;

	make_cards(f, 3);
	/* the reader gone before a blank is fed: stop, nothing fed */
	f->reader_gone = 1;
	assert_int_equal(run(f, &res), CP_ERR_DEVICE);
	assert_string_equal(res.line_fault, "reader");
	assert_non_null(strstr(cp_errmsg(), "check the reader and pcscd"));
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt"), 0);
	f->reader_gone = 0;
	/* the reader fails in the middle of card 2: that blank is lost to the line (reason
	 * 'reader', fault 'line'), the line stops, card 2 is not charged and stays queued */
	f->fail_at[0] = 2;
	f->fail_as[0] = ENCODER_READER;
	assert_int_equal(run(f, &res), CP_ERR_DEVICE);
	assert_string_equal(res.line_fault, "reader");
	assert_int_equal(res.produced, 1);
	assert_int_equal(res.spoiled, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE card_id = 2 AND "
				  "state = 'spoiled' AND spoil_reason = 'reader' AND fault = "
				  "'line' AND fed = 1"),
			 1);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE id IN (2, 3) AND state = "
				  "'rendered' AND claimed_by IS NULL"),
			 2);
	emu_stats_locked(f, &es);
	assert_int_equal(es.fed, 2);
	assert_int_equal(es.rejected, 1);
	/* a bad perso script is the line's too */
	f->fail_at[0] = 3;
	f->fail_as[0] = ENCODER_BAD_SCRIPT;
	assert_int_equal(run(f, &res), CP_ERR_DEVICE);
	assert_string_equal(res.line_fault, "script");
	assert_non_null(strstr(cp_errmsg(), "cardpipe perso"));
	/* a chip without the profile's key version (6A88) or a KMC that cannot give the
	 * stock's keys: the line's set-up, not the card; the remedy names the profile */
	f->fail_as[0] = ENCODER_CONFIG;
	f->calls = 0;
	f->fail_at[0] = 1;
	assert_int_equal(run(f, &res), CP_ERR_DEVICE);
	assert_string_equal(res.line_fault, "script");
	assert_non_null(strstr(cp_errmsg(), "chip profile"));
	assert_null(strstr(cp_errmsg(), "pcscd"));
	/* then the line makes both, and neither card was held */
	f->fail_at[0] = 0;
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 2);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE state = 'produced'"), 3);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE fault = 'card'"),
			 0);
	assert_counts_add_up(f);
}

static void
test_breaker_stops_a_storm(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct prod_counts c;
	struct emu_stats es;
	char *text;

	/* every chip defective (a bad batch of blanks): at most
	 * produce.max_consecutive_spoils (3) blanks are burnt, then the line stops */
	make_cards(f, 10);
	f->always_fail = 1;
	assert_int_equal(run(f, &res), CP_ERR_DEVICE);
	assert_string_equal(res.line_fault, "consecutive-spoils");
	assert_non_null(strstr(cp_errmsg(), "3 blanks spoiled in a row"));
	assert_non_null(strstr(cp_errmsg(), "check the blanks"));
	assert_int_equal(res.spoiled, 3);
	assert_int_equal(res.produced, 0);
	emu_stats_locked(f, &es);
	assert_int_equal(es.fed, 3);
	assert_int_equal(es.rejected, 3);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE state = "
				  "'spoiled' AND fault = 'card' AND spoil_reason = 'chip'"),
			 3);
	/* every card still queued */
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE state = 'rendered' AND "
				  "claimed_by IS NULL"),
			 10);
	/* the registry and the shift report agree */
	assert_int_equal(reg_prod_counts(f->reg, 1, res.shift, &c), 0);
	assert_int_equal(c.spoiled, 3);
	assert_int_equal(c.spoiled_card, 3);
	assert_int_equal(c.spoiled_line, 0);
	text = shift_report(&res);
	assert_non_null(strstr(text, "spoiled: 3\n"));
	assert_non_null(strstr(text, "spoiled_card: 3\n"));
	assert_non_null(strstr(text, "spoiled_line: 0\n"));
	assert_non_null(strstr(text, "spoiled.chip: 3\n"));
	assert_null(strstr(text, "MISMATCH"));
	free(text);
	assert_counts_add_up(f);

	/* card faults that a good card interrupts do not trip it: calls 1, 2 fail, 3 is
	 * good, 4, 5 fail, then all good (the count restarts at each card produced) */
	f->always_fail = 0;
	f->calls = 0;
	f->fail_at[0] = 1;
	f->fail_at[1] = 2;
	f->fail_at[2] = 4;
	f->fail_at[3] = 5;
	for (int i = 0; i < 4; i++)
		f->fail_as[i] = ENCODER_CHIP_FAULT;
	config_set(f->cfg, "produce.max_attempts", "10", CFG_CLI);
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.line_fault[0], '\0');
	assert_int_equal(res.produced, 10);
	assert_int_equal(res.spoiled, 4);
	assert_counts_add_up(f);
}

static void
test_printer_error_stops_the_line(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct emu_config ec = {.line = 1, .feeder_cards = 100, .ribbon_cards = 100};
	struct emu *old, *broken = NULL;
	char out[128], st[128], sock[128];

	/* a printer whose contact station answers ERROR (the chip cannot get into the reader:
	 * the emulator's vcard is not there, as when a card already sits in the reader). Once
	 * the card's fault, spoiling blank after blank; now the line's: one blank lost, stop */
	make_cards(f, 3);
	snprintf(out, sizeof(out), "%s/emu-out", f->dir);
	snprintf(st, sizeof(st), "%s/emu-state", f->dir);
	snprintf(sock, sizeof(sock), "%s/no-vcard.sock", f->dir);
	ec.out_dir = out;
	ec.state_dir = st;
	ec.vcard_control = sock;
	assert_int_equal(emu_new(&ec, &broken), 0);
	pthread_mutex_lock(&f->s.mu);
	old = f->s.emu;
	f->s.emu = broken;
	pthread_mutex_unlock(&f->s.mu);
	assert_int_equal(run(f, &res), CP_ERR_DEVICE);
	assert_string_equal(res.line_fault, "printer");
	assert_non_null(strstr(cp_errmsg(), "the printer failed at 'contact'"));
	assert_int_equal(res.spoiled, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt WHERE state = "
				  "'spoiled' AND spoil_reason = 'printer' AND fault = 'line'"),
			 1);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE state = 'rendered' AND "
				  "claimed_by IS NULL"),
			 3);
	/* the printer mended: every card made, none held */
	pthread_mutex_lock(&f->s.mu);
	f->s.emu = old;
	pthread_mutex_unlock(&f->s.mu);
	emu_free(broken);
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 3);
	assert_int_equal(res.held, 0);
	assert_counts_add_up(f);
}

static int
open_nothing(void *ctx, struct printer **out)
{
	struct evo_io *io = NULL;
	int r;

	*out = NULL;
	if ((r = evo_io_open_tcp("127.0.0.1", 1, 500, &io)) < 0)
		return r;
	return evolis_open(io, out);
}

static void
test_printer_unreachable(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct produce_devices dev = {f, open_nothing, encode, NULL, check_reader};
	struct produce_opts o = {.line = 1};

	make_cards(f, 1);
	/* never reached in this run: a line fault at once, not a pause of fault_wait_s */
	assert_true(produce_with(f, &dev, &o, &res) < 0);
	assert_non_null(strstr(cp_errmsg(), "printer does not answer"));
	assert_string_equal(res.line_fault, "printer-offline");
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE state = 'rendered' AND "
				  "claimed_by IS NULL"),
			 1);
	assert_int_equal(count(f, "SELECT count(*) FROM production_attempt"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM production_pause"), 0);
	/* the card waits for this line, which picks it up when the printer is there */
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 1);
}

static void
test_bad_faces_held(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct panel_set ps = {.lines = 1016, .dots = 640, .dpi = 300, .stride = 80};
	struct png_opts po = {.level = 1, .filter = 0, .dpi = 300};
	struct buf bufs[3] = {BUF_INIT(BUF_UNLIMITED), BUF_INIT(BUF_UNLIMITED),
			      BUF_INIT(BUF_UNLIMITED)};
	static const char *const names[3] = {"front-ymc.png", "front-k.png", "front-o.png"};
	char path[200];
	struct emu_stats es;

	make_cards(f, 3);
	/* card 1: no faces at all; card 2: panels of the wrong size; card 3 fine */
	snprintf(path, sizeof(path), "rm -rf %s/spool/faces/B00000001", f->home);
	assert_int_equal(system(path), 0);
	ps.ymc = xcalloc(1016 * 640, 3);
	ps.k = xcalloc(1016, 80);
	ps.o = xcalloc(1016, 80);
	assert_int_equal(panels_encode(&ps, &po, bufs), 0);
	for (int k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "%s/spool/faces/B00000002/%s", f->home, names[k]);
		assert_int_equal(fs_write_atomic(path, bufs[k].data, bufs[k].len, 0600), 0);
		buf_release(&bufs[k]);
	}
	panel_set_release(&ps);
	assert_int_equal(run(f, &res), 0);
	assert_int_equal(res.produced, 1);
	assert_int_equal(res.held, 2);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE state = 'held' AND held_reason "
				  "LIKE 'faces: %'"),
			 2);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE id = 2 AND held_reason LIKE "
				  "'%640 dots%'"),
			 1);
	/* no blank card was spent on them */
	emu_stats_locked(f, &es);
	assert_int_equal(es.fed, 1);
	assert_counts_add_up(f);
}

/* Card 2 is another line's (no perso script here). */
static int
prepare_not_card2(void *ctx, const struct card_row *card)
{
	if (card->id == 2)
		return cp_err(CP_ERR_NOTFOUND, "card %s has no perso script for line 1",
			      card->card_no);
	return 0;
}

/* The card/line rule is defined once: the C test and the SQL list of db check agree for
 * every reason, whatever the order of PROD_REASONS (issue #12). */
static void
test_reason_faults(void **state)
{
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	for (size_t i = 0; i < PROD_NREASONS; i++) {
		const char *r = prod_reasons[i];
		char *sql = sqlite3_mprintf("SELECT %Q IN (" PROD_CARD_REASONS_SQL ")", r);
		sqlite3_stmt *st;
		int card = !strcmp(r, "chip") || !strcmp(r, "print") || !strcmp(r, "qc");

		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), card);
		sqlite3_finalize(st);
		sqlite3_free(sql);
		assert_string_equal(prod_reason_fault(r), card ? "card" : "line");
	}
	assert_null(prod_reason_fault("keys"));
	sqlite3_close(db);
}

static void
test_options(void **state)
{
	struct fx *f = *state;
	struct produce_result res;
	struct produce_devices dev = {f, open_printer, encode, prepare_not_card2, check_reader};
	struct produce_opts o = {.line = 1, .max_cards = 2};
	volatile sig_atomic_t stop = 1;

	make_cards(f, 4);
	/* the operator's stop before anything: nothing done, nothing claimed */
	o.stop = &stop;
	assert_int_equal(produce_with(f, &dev, &o, &res), 0);
	assert_int_equal(res.stopped, 1);
	assert_int_equal(res.produced, 0);
	o.stop = NULL;
	/* --max-cards 2 counts produced cards; card 2 is left for its line, unclaimed */
	assert_int_equal(produce_with(f, &dev, &o, &res), 0);
	assert_int_equal(res.produced, 2);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE id IN (1, 3) AND state = "
				  "'produced'"),
			 2);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE id = 2 AND state = 'rendered' "
				  "AND claimed_by IS NULL"),
			 1);
	/* instant issuance: one given card */
	o.max_cards = 0;
	o.card_no = "B00000004";
	assert_int_equal(produce_with(f, &dev, &o, &res), 0);
	assert_int_equal(res.produced, 1);
	assert_int_equal(count(f, "SELECT count(*) FROM card WHERE id = 4 AND state = 'produced'"),
			 1);
	/* a card that is not this line's, asked for by number: a clear error */
	o.card_no = "B00000002";
	assert_int_equal(produce_with(f, &dev, &o, &res), CP_ERR_NOTFOUND);
	assert_non_null(strstr(cp_errmsg(), "B00000002"));
	/* and one that is already produced */
	o.card_no = "B00000004";
	assert_int_equal(produce_with(f, &dev, &o, &res), CP_ERR_INVALID);
	assert_counts_add_up(f);
}

static void
test_two_lines_claim_disjoint(void **state)
{
	struct fx *f = *state;
	struct registry *other = NULL;
	struct card_row a, b;
	char path[160];

	make_cards(f, 3);
	snprintf(path, sizeof(path), "%s/registry.db", f->home);
	assert_int_equal(registry_open(path, &other), 0);
	assert_int_equal(reg_prod_claim_next(f->reg, 1, NULL, &a), 0);
	assert_int_equal(reg_prod_claim_next(other, 2, NULL, &b), 0);
	assert_true(a.id != b.id);
	/* line 1 keeps getting its own card back until it is done with it */
	assert_int_equal(reg_prod_claim_next(f->reg, 1, NULL, &b), 0);
	assert_int_equal(a.id, b.id);
	/* a card claimed by line 2 cannot be taken by number by line 1 */
	assert_int_equal(reg_prod_claim_next(other, 2, NULL, &b), 0);
	assert_int_equal(reg_prod_claim_card(f->reg, 1, b.card_no, &a), CP_ERR_BUSY);
	registry_close(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlocked_never_produced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pauses_before_feeding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_after_max_attempts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_not_cleared_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery, setup, teardown),
		cmocka_unit_test(test_reason_faults),
		cmocka_unit_test_setup_teardown(test_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_printer_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_faces_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_lines_claim_disjoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_card_in_reader_stops_before_feeding, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reader_faults_are_the_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_breaker_stops_a_storm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_printer_error_stops_the_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
