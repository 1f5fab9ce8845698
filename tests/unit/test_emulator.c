/*
 * test_emulator.c - the Evolis printer emulator's machine (emulator/printer/emu.h): the
 * byte parser (any split, NUL padding, length-framed Db data holding CR and ESC, bad
 * headers), faults files and control commands, chip serials unique across restarts, and
 * its conversation with the virtual-card daemon (a fake one on a unix socket here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "emulator/printer/emu.h"
#include "printer/evolis/evolis_proto.h"
#include "emu_status_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Bytes in any split reach the same commands; stray bytes and bad Db headers are refused. */
static void
test_emulator_parser(void **state)
{
	struct emu_config cfg = {.line = 1, .feeder_cards = 2, .ribbon_cards = 2};
	struct emu *e;
	struct buf out = BUF_INIT(1 << 20);
	char dir[] = "/tmp/test_emu.XXXXXX", o[64], st[64], cmd[96];
	static const unsigned char stream[] = "\0\0\x1bPem;2\r\x1bRlr;p\r\x1bSi\r\x1bRlr;p\r"
					      "\x1bRse;f\r\x1bZz\rjunk\x1bRco;c\r";

	assert_non_null(mkdtemp(dir));
	snprintf(o, sizeof(o), "%s/o", dir);
	snprintf(st, sizeof(st), "%s/s", dir);
	cfg.out_dir = o;
	cfg.state_dir = st;
	assert_int_equal(emu_new(&cfg, &e), 0);
	for (size_t i = 0; i < sizeof(stream) - 1; i++)
		assert_int_equal(emu_input(e, stream + i, 1, &out), EMU_CONTINUE);
	assert_int_equal(out.len, strlen("OK") + 1 + 3 + 3 + 5 + 11 + 10 + 2);
	assert_memory_equal(out.data, "OK\0OK\0OK\0CARD\0005,00 Volts\0ERROR CDE\0001", out.len);
	buf_reset(&out);
	/* a Db with levels a K panel cannot have, and an unknown colour */
	emu_input(e,
		  (const unsigned char *)"\x1b"
					 "Db;k;128;",
		  10, &out);
	assert_string_equal(buf_str(&out), "ERROR PARAMETRES");
	buf_reset(&out);
	emu_input(e,
		  (const unsigned char *)"\x1b"
					 "Db;q;2;\r",
		  9, &out);
	assert_string_equal(buf_str(&out), "ERROR PARAMETRES");
	buf_reset(&out);
	/* a full K panel whose data holds CRs and ESCs: length-framed, not CR-framed */
	{
		unsigned char *db = xmalloc(8 + EVO_MONO_BYTES + 1);

		memcpy(db,
		       "\x1b"
		       "Db;k;2;",
		       8);
		memset(db + 8, 0x0d, EVO_MONO_BYTES);
		db[8 + 100] = 0x1b;
		db[8 + EVO_MONO_BYTES] = 0x0d;
		emu_input(e, db, 8 + EVO_MONO_BYTES + 1, &out);
		assert_string_equal(buf_str(&out), "OK");
		assert_int_equal(out.len, 3);
		buf_reset(&out);
		/* data not followed by CR */
		db[8 + EVO_MONO_BYTES] = 'x';
		emu_input(e, db, 8 + EVO_MONO_BYTES + 1, &out);
		assert_string_equal(buf_str(&out), "ERROR PARAMETRES");
		free(db);
	}
	/* a faults file: bad line named with its number */
	{
		char faults[96];
		FILE *f;

		snprintf(faults, sizeof(faults), "%s/faults", dir);
		f = fopen(faults, "w");
		fputs("# faults\njam-at = 2\nslow = 0\nbogus = 1\n", f);
		fclose(f);
		assert_int_equal(emu_load_faults(e, faults), CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), ":4:"));
	}
	buf_release(&out);
	emu_free(e);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

struct fixture {
	char dir[64], out[96], state[96], sock[96];
	struct emu *e;
	struct buf r;
};

static struct emu *
new_emu(struct fixture *f, const char *vcard)
{
	struct emu_config cfg = {.line = 7, .feeder_cards = 3, .ribbon_cards = 3};
	struct emu *e = NULL;

	cfg.out_dir = f->out;
	cfg.state_dir = f->state;
	cfg.vcard_control = vcard;
	assert_int_equal(emu_new(&cfg, &e), 0);
	return e;
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_emu.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/vcard.ctl", f->dir);
	buf_init(&f->r, 1 << 16);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];

	emu_free(f->e);
	buf_release(&f->r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	(void)!system(cmd);
	free(f);
	return 0;
}

/* Send one command, return its reply (without the NUL). */
static const char *
cmd(struct fixture *f, const char *c)
{
	struct buf in = BUF_INIT(300);

	buf_reset(&f->r);
	buf_putc(&in, 0x1b);
	buf_append(&in, c, strlen(c));
	buf_putc(&in, 0x0d);
	assert_int_equal(emu_input(f->e, in.data, in.len, &f->r), EMU_CONTINUE);
	buf_release(&in);
	assert_true(f->r.len >= 1);
	assert_int_equal(f->r.data[f->r.len - 1], 0);
	return buf_str(&f->r);
}

static void
control(struct fixture *f, const char *c, const char *want_prefix)
{
	struct buf r = BUF_INIT(512);

	emu_control(f->e, c, &r);
	if (strncmp(buf_str(&r), want_prefix, strlen(want_prefix)))
		fail_msg("control '%s': '%s', want '%s...'", c, buf_str(&r), want_prefix);
	buf_release(&r);
}

static void
test_state_and_control(void **state)
{
	struct fixture *f = *state;
	struct emu_stats st;

	f->e = new_emu(f, NULL);
	assert_string_equal(cmd(f, "Rlr;p"), "OK");
	assert_string_equal(cmd(f, "Seb"), "ERROR"); /* nothing to eject */
	assert_string_equal(cmd(f, "Pr;rainbow"), "ERROR PARAMETRES");
	assert_string_equal(cmd(f, "Pem;9"), "ERROR PARAMETRES");
	assert_string_equal(cmd(f, "Pr;ymckok"), "OK");
	control(f, "COVER open", "OK");
	assert_string_equal(cmd(f, "Rse;o"), "0,00 Volts");
	assert_string_equal(cmd(f, "Sis"), "COVER OPEN");
	assert_string_equal(cmd(f, "Rlr;p"), "OK");
	control(f, "COVER close", "OK");
	assert_string_equal(cmd(f, "Rse;o"), "5,00 Volts");
	/* three cards in the feeder, then empty; LOAD refills */
	for (int i = 0; i < 3; i++) {
		assert_string_equal(cmd(f, "Sis"), "OK");
		assert_string_equal(cmd(f, "Rlr;p"), "SMART CARD");
		assert_string_equal(cmd(f, "Si"), "ERROR"); /* a card is in already */
		assert_string_equal(cmd(f, "Ser"), "OK");
	}
	assert_string_equal(cmd(f, "Rse;f"), "0,00 Volts");
	assert_string_equal(cmd(f, "Si"), "FEEDER EMPTY");
	control(f, "LOAD 2", "OK");
	assert_string_equal(cmd(f, "Si"), "OK");
	assert_string_equal(cmd(f, "Rlr;p"), "CARD");
	/* printing needs a ribbon */
	control(f, "RIBBON 0", "OK");
	assert_string_equal(cmd(f, "Se"), "ERROR RIBBON");
	assert_string_equal(cmd(f, "Rcr"), "0");
	control(f, "RIBBON 10", "OK");
	assert_string_equal(cmd(f, "Se"), "OK");
	assert_string_equal(cmd(f, "Rco;p"), "1");
	assert_string_equal(cmd(f, "Rco;c"), "4");
	assert_string_equal(cmd(f, "Seb"), "OK");
	emu_stats(f->e, &st);
	assert_int_equal(st.fed, 4);
	assert_int_equal(st.rejected, 3);
	assert_int_equal(st.ejected, 1);
	assert_int_equal(st.ribbon, 9);
	/* control errors are answers, not crashes */
	control(f, "", "ERR");
	control(f, "FAULT", "ERR");
	control(f, "FAULT jam-at", "ERR");
	control(f, "FAULT jam-at -3", "ERR");
	control(f, "CLEAR nothing", "ERR");
	control(f, "LOAD many", "ERR");
	control(f, "COVER ajar", "ERR");
	control(f, "STATUS", "OK fed=4 printed=1");
	control(f, "FAULT slow 1", "OK");
	control(f, "CLEAR all", "OK");
}

static void
test_serials_unique_across_restarts(void **state)
{
	struct fixture *f = *state;
	FILE *log;
	char line[256], serials[4][20] = {{0}};
	int n = 0;

	for (int run = 0; run < 2; run++) {
		f->e = new_emu(f, NULL);
		for (int i = 0; i < 2; i++) {
			assert_string_equal(cmd(f, "Sis"), "OK");
			assert_string_equal(cmd(f, "Se"), "OK");
			assert_string_equal(cmd(f, "Seb"), "OK");
		}
		emu_free(f->e);
		f->e = NULL;
	}
	snprintf(line, sizeof(line), "%s/printed.log", f->out);
	log = fopen(line, "r");
	assert_non_null(log);
	while (n < 4 && fgets(line, sizeof(line), log))
		assert_int_equal(sscanf(line, "%*d %19s", serials[n++]), 1);
	fclose(log);
	assert_int_equal(n, 4);
	assert_string_equal(serials[0], "E107000000000001");
	assert_string_equal(serials[3], "E107000000000004");
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			assert_string_not_equal(serials[i], serials[j]);
}

/* A fake vcard daemon: answers each line, records what it was asked. */
struct fake_vcard {
	int lfd;
	pthread_t th;
	char asked[2048];
};

static void *
fake_serve(void *arg)
{
	struct fake_vcard *v = arg;

	for (;;) {
		int fd = accept(v->lfd, NULL, NULL);
		char line[128];
		ssize_t n;

		if (fd < 0)
			return NULL;
		n = read(fd, line, sizeof(line) - 1);
		if (n > 0) {
			line[n] = '\0';
			strncat(v->asked, line, sizeof(v->asked) - strlen(v->asked) - 1);
			if (!strncmp(line, "INSERT-NEW ", 11)) {
				char reply[64];

				snprintf(reply, sizeof(reply), "OK 110000D156000005%.16s\n",
					 line + 11);
				(void)!write(fd, reply, strlen(reply));
			} else if (!strncmp(line, "BAD", 3)) {
				(void)!write(fd, "WHAT\n", 5);
			} else {
				(void)!write(fd, "OK\n", 3);
			}
		}
		close(fd);
	}
}

static void
test_vcard_conversation(void **state)
{
	struct fixture *f = *state;
	struct fake_vcard v = {0};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[160];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	v.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(v.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(v.lfd, 4), 0);
	pthread_create(&v.th, NULL, fake_serve, &v);

	f->e = new_emu(f, f->sock);
	control(f, "FAULT settle 0", "OK");
	control(f, "FAULT defective-chip-at 1", "OK");
	control(f, "FAULT pull-at 2 4", "OK");
	assert_string_equal(cmd(f, "Sis"), "OK");
	assert_string_equal(cmd(f, "Ser"), "OK");
	assert_string_equal(cmd(f, "Sis"), "OK");
	assert_string_equal(cmd(f, "Se"), "OK");
	assert_string_equal(cmd(f, "Seb"), "OK");
	assert_string_equal(v.asked, "FAULT defective\nINSERT-NEW E107000000000001\nREMOVE\n"
				     "FAULT pull-after 4\nINSERT-NEW E107000000000002\nREMOVE\n");
	/* the printed card is named by the identifier vcard gave its chip */
	snprintf(path, sizeof(path), "%s/110000D156000005E107000000000002.png", f->out);
	assert_int_equal(access(path, R_OK), 0);
	/* a bad batch of blanks: every card from the next one on is defective, until cleared */
	control(f, "LOAD 10", "OK");
	control(f, "FAULT defective-chips-from 1", "OK");
	for (int i = 0; i < 2; i++) {
		assert_string_equal(cmd(f, "Sis"), "OK");
		assert_string_equal(cmd(f, "Ser"), "OK");
	}
	control(f, "CLEAR all", "OK");
	assert_string_equal(cmd(f, "Sis"), "OK");
	assert_string_equal(cmd(f, "Ser"), "OK");
	assert_non_null(strstr(v.asked, "REMOVE\nFAULT defective\nINSERT-NEW E107000000000003\n"
					"REMOVE\nFAULT defective\nINSERT-NEW E107000000000004\n"
					"REMOVE\nINSERT-NEW E107000000000005\nREMOVE\n"));
	emu_free(f->e);
	f->e = NULL;

	/* a vcard that is not there: the card cannot get a chip, the printer says ERROR */
	shutdown(v.lfd, SHUT_RDWR);
	close(v.lfd);
	pthread_join(v.th, NULL);
	unlink(f->sock);
	f->e = new_emu(f, f->sock);
	assert_string_equal(cmd(f, "Sis"), "ERROR");
}

/* STATUS's settle-waits count is the emulator's own record of chips held back. */
static void
assert_settle_waits(struct fixture *f, const char *want)
{
	struct buf r = BUF_INIT(512);

	emu_control(f->e, "STATUS", &r);
	if (!strstr(buf_str(&r), want))
		fail_msg("STATUS '%s': want '%s'", buf_str(&r), want);
	buf_release(&r);
}

/* Fast mode swaps chips without a settle delay (its client watches pcscd's reader state);
 * a settle set explicitly, and realistic mode's default, still hold a chip back. */
static void
test_fast_mode_no_settle(void **state)
{
	struct fixture *f = *state;
	struct fake_vcard v = {0};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct emu_config cfg = {.line = 7, .feeder_cards = 10, .ribbon_cards = 10};
	char path[160];
	FILE *log;
	char line[256];
	int settles = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	v.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(v.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(v.lfd, 4), 0);
	pthread_create(&v.th, NULL, fake_serve, &v);

	f->e = new_emu(f, f->sock);
	control(f, "LOAD 10", "OK");
	for (int i = 0; i < 3; i++) {
		assert_string_equal(cmd(f, "Sis"), "OK");
		assert_string_equal(cmd(f, "Ser"), "OK");
	}
	assert_settle_waits(f, " settle-waits=0");
	control(f, "FAULT settle 100", "OK");
	assert_string_equal(cmd(f, "Sis"), "OK");
	assert_settle_waits(f, " settle-waits=1");
	assert_string_equal(cmd(f, "Ser"), "OK");
	emu_free(f->e);
	f->e = NULL;

	/* realistic mode (mechanics at 1 %) keeps its 800 ms default */
	cfg.out_dir = f->out;
	cfg.state_dir = f->state;
	cfg.vcard_control = f->sock;
	cfg.realistic = 1;
	cfg.delay_scale_pct = 1;
	assert_int_equal(emu_new(&cfg, &f->e), 0);
	assert_string_equal(cmd(f, "Sis"), "OK");
	assert_string_equal(cmd(f, "Ser"), "OK");
	assert_string_equal(cmd(f, "Sis"), "OK");
	assert_settle_waits(f, " settle-waits=1");
	emu_free(f->e);
	f->e = NULL;

	/* every wait is in commands.log: one in fast mode (set), one in realistic mode */
	snprintf(path, sizeof(path), "%s/commands.log", f->out);
	log = fopen(path, "r");
	assert_non_null(log);
	while (fgets(line, sizeof(line), log))
		settles += !strncmp(line, "settle: ", 8);
	fclose(log);
	assert_int_equal(settles, 2);

	shutdown(v.lfd, SHUT_RDWR);
	close(v.lfd);
	pthread_join(v.th, NULL);
	unlink(f->sock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emulator_parser),
		cmocka_unit_test_setup_teardown(test_state_and_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serials_unique_across_restarts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vcard_conversation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_mode_no_settle, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
