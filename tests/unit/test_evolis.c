/*
 * test_evolis.c - the Evolis protocol (replies, parsing, Db panels and their orientation)
 * and the driver end to end against the emulator's machine on a loopback TCP port, with
 * every fault, plus a silent, a garbling and a hanging-up printer. The emulator's own
 * parser and state are in test_emulator.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "personalization/face/panels.h"
#include "emulator/printer/emu.h"
#include "printer/evolis/evolis.h"
#include "printer/evolis/evolis_io.h"
#include "printer/evolis/evolis_proto.h"
#include "printer/printer.h"
#include "emu_status_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <termios.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
test_reply_conditions(void **state)
{
	static const struct {
		const char *reply;
		enum printer_cond cond;
	} cases[] = {
		{"OK", PRN_OK},
		{"ERROR", PRN_ERROR},
		{"ERROR CDE", PRN_ERROR_CDE},
		{"ERROR PARAMETRES", PRN_ERROR_PARAM},
		{"NEED CLEANING", PRN_NEED_CLEANING},
		{"ERROR TIME OUT", PRN_TIMEOUT},
		{"ERROR HOPPER", PRN_HOPPER_ERROR},
		{"HOPPER FULL", PRN_HOPPER_FULL},
		{"HOPPER DOOR", PRN_HOPPER_DOOR},
		{"ERROR HEAD", PRN_HEAD},
		{"COVER OPEN", PRN_COVER_OPEN},
		{"FEEDER EMPTY", PRN_FEEDER_EMPTY},
		{"CARD JAM", PRN_CARD_JAM},
		{"ERROR RIBBON", PRN_RIBBON},
		{"OPT NOT AVAILABLE", PRN_OPT_NA},
		{"ERROR MAG CHECKSUM", PRN_MAG_CHECKSUM},
		{"ERROR MAG DATA", PRN_MAG_DATA},
		{"ERROR MAG", PRN_MAG},
		{"ERROR UNKNOW", PRN_UNKNOWN},
		{"  COVER OPEN \r\n", PRN_COVER_OPEN},
		{"ERROR SOMETHING NEW", PRN_ERROR},
		{"SMART CARD", PRN_NCOND},
		{"5,00 Volts", PRN_NCOND},
		{"", PRN_NCOND},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum printer_cond c = evo_reply_cond(cases[i].reply);

		if (c != cases[i].cond)
			fail_msg("reply '%s': cond %d, want %d", cases[i].reply, c, cases[i].cond);
	}
	for (int c = 0; c < PRN_NCOND; c++)
		assert_true(strlen(printer_cond_name((enum printer_cond)c)) > 1);
	assert_true(printer_cond_pauses(PRN_COVER_OPEN));
	assert_true(printer_cond_pauses(PRN_RIBBON));
	assert_true(printer_cond_pauses(PRN_FEEDER_EMPTY));
	assert_true(printer_cond_pauses(PRN_CONNECTION));
	assert_false(printer_cond_pauses(PRN_CARD_JAM));
	assert_false(printer_cond_pauses(PRN_OK));
}

static void
test_parsers(void **state)
{
	enum printer_card_pos pos;
	double v;
	long n;

	assert_int_equal(evo_parse_position("OK", &pos), 0);
	assert_int_equal(pos, PRN_POS_NONE);
	assert_int_equal(evo_parse_position("CARD", &pos), 0);
	assert_int_equal(pos, PRN_POS_PRINT);
	assert_int_equal(evo_parse_position("SMART CARD", &pos), 0);
	assert_int_equal(pos, PRN_POS_CONTACT);
	assert_int_equal(evo_parse_position("CONTACTLESS CARD", &pos), 0);
	assert_int_equal(pos, PRN_POS_CONTACTLESS);
	assert_int_equal(evo_parse_position("SMART", &pos), CP_ERR_PROTOCOL);
	assert_non_null(strstr(cp_errmsg(), "SMART"));

	assert_int_equal(evo_parse_volts("5,00 Volts", &v), 0);
	assert_true(v > 4.99 && v < 5.01);
	assert_int_equal(evo_parse_volts("0.25 Volts", &v), 0);
	assert_true(v > 0.24 && v < 0.26);
	assert_int_equal(evo_parse_volts("4,9 V", &v), 0);
	assert_int_equal(evo_parse_volts("Volts", &v), CP_ERR_PROTOCOL);
	assert_int_equal(evo_parse_volts("5,00 Amps", &v), CP_ERR_PROTOCOL);
	assert_int_equal(evo_parse_volts("12345 Volts", &v), CP_ERR_PROTOCOL);

	assert_int_equal(evo_parse_count("1234", &n), 0);
	assert_int_equal(n, 1234);
	assert_int_equal(evo_parse_count(" 7 ", &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(evo_parse_count("12a", &n), CP_ERR_PROTOCOL);
	assert_int_equal(evo_parse_count("-1", &n), CP_ERR_PROTOCOL);
	assert_int_equal(evo_parse_count("", &n), CP_ERR_PROTOCOL);
	assert_int_equal(evo_parse_count("99999999999999", &n), CP_ERR_PROTOCOL);
}

static void
test_frame_and_sizes(void **state)
{
	struct buf b = BUF_INIT(64);

	assert_int_equal(evo_frame(&b, "Rlr;p"), 0);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "\x1bRlr;p\r", 7);
	assert_int_equal(evo_frame(&b, "bad\rcmd"), CP_ERR_INVALID);
	buf_release(&b);

	assert_int_equal(evo_panel_bytes('y', 128), 576072);
	assert_int_equal(evo_panel_bytes('m', 64), 493776);
	assert_int_equal(evo_panel_bytes('c', 32), 411480);
	assert_int_equal(evo_panel_bytes('k', 2), 82296);
	assert_int_equal(evo_panel_bytes('o', 2), 82296);
	assert_int_equal(evo_panel_bytes('k', 128), 0);
	assert_int_equal(evo_panel_bytes('y', 100), 0);
	assert_int_equal(evo_panel_bytes('x', 128), 0);
	assert_int_equal(evo_expand_level(127, 7), 255);
	assert_int_equal(evo_expand_level(0, 7), 0);
	assert_int_equal(evo_expand_level(31, 5), 255);
	assert_int_equal(evo_expand_level(16, 5), 132);
}

/* A panel set in line order with a few marked dots. */
static void
make_panels(struct panel_set *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->lines = EVO_LINES;
	ps->dots = EVO_DOTS;
	ps->dpi = 300;
	ps->stride = EVO_DOTS / 8;
	ps->ymc = xcalloc((size_t)EVO_LINES * EVO_DOTS, 3);
	ps->k = xcalloc((size_t)EVO_LINES, ps->stride);
	ps->o = xcalloc((size_t)EVO_LINES, ps->stride);
	/* line 10, dot 3: full yellow; line 1015, dot 647: half magenta; line 0, dot 0: cyan */
	ps->ymc[((size_t)10 * EVO_DOTS + 3) * 3 + 0] = 255;
	ps->ymc[((size_t)1015 * EVO_DOTS + 647) * 3 + 1] = 128;
	ps->ymc[((size_t)0 * EVO_DOTS + 0) * 3 + 2] = 200;
	/* K at line 500, dot 100; overlay everywhere but line 0 */
	ps->k[500 * ps->stride + 100 / 8] |= (unsigned char)(0x80 >> (100 % 8));
	memset(ps->o + ps->stride, 0xff, (size_t)(EVO_LINES - 1) * ps->stride);
}

/* Landscape pixel (x, y) of line i, dot j: x = i, y = 647 - j. */
#define LAND(i, j) ((size_t)(EVO_DOTS - 1 - (j)) * EVO_LINES + (i))

static void
test_db_orientation(void **state)
{
	struct panel_set ps;
	unsigned char *data = NULL, *plane = xmalloc((size_t)EVO_LINES * EVO_DOTS);
	size_t len = 0;

	make_panels(&ps);
	assert_int_equal(panels_db_color(&ps, 0, 7, &data, &len), 0);
	assert_int_equal(len, 576072);
	assert_int_equal(evo_decode_colour(128, data, plane), 0);
	assert_int_equal(plane[LAND(10, 3)], 255);
	/* the same dot read the other way round (the 1016-wide trap) would be elsewhere */
	assert_int_equal(plane[(size_t)3 * EVO_LINES + 10], 0);
	assert_int_equal(plane[LAND(11, 3)], 0);
	free(data);
	assert_int_equal(panels_db_color(&ps, 1, 7, &data, &len), 0);
	assert_int_equal(evo_decode_colour(128, data, plane), 0);
	/* 128 = 1000000b; top 7 bits 64, replicated: 129 */
	assert_int_equal(plane[LAND(1015, 647)], evo_expand_level(128 >> 1, 7));
	assert_int_equal(plane[0 * EVO_LINES + 1015], evo_expand_level(64, 7));
	free(data);
	assert_int_equal(panels_db_color(&ps, 2, 5, &data, &len), 0);
	assert_int_equal(len, 411480);
	assert_int_equal(evo_decode_colour(32, data, plane), 0);
	assert_int_equal(plane[LAND(0, 0)], evo_expand_level(200 >> 3, 5));
	assert_int_equal(plane[(size_t)647 * EVO_LINES], evo_expand_level(200 >> 3, 5));
	free(data);

	evo_decode_mono(ps.k, plane);
	assert_int_equal(plane[LAND(500, 100)], 1);
	{
		size_t ones = 0;

		for (size_t i = 0; i < (size_t)EVO_LINES * EVO_DOTS; i++)
			ones += plane[i];
		assert_int_equal(ones, 1);
	}
	evo_decode_mono(ps.o, plane);
	assert_int_equal(plane[LAND(0, 5)], 0);
	assert_int_equal(plane[LAND(1, 5)], 1);
	free(plane);
	panel_set_release(&ps);
}

/* ---- the driver against the emulator machine over loopback TCP ---- */

enum server_kind { SRV_EMU, SRV_SILENT, SRV_GARBLE, SRV_HANGUP };

struct server {
	int lfd, port;
	enum server_kind kind;
	struct emu *emu;
	pthread_t th;
	char dir[64];
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
			int drop = 0;

			if (s->kind == SRV_EMU)
				drop = emu_input(s->emu, chunk, (size_t)n, &out) == EMU_DROP;
			else if (s->kind == SRV_GARBLE)
				buf_append(&out, "WHAT?\0", 6);
			else if (s->kind == SRV_HANGUP)
				drop = 1;
			if (out.len)
				(void)!write(fd, out.data, out.len);
			buf_release(&out);
			if (drop)
				break;
		}
		if (s->emu)
			emu_disconnect(s->emu);
		close(fd);
	}
}

static void
server_start(struct server *s, enum server_kind kind)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	struct emu_config cfg = {.line = 3, .feeder_cards = 10, .ribbon_cards = 10};

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	snprintf(s->dir, sizeof(s->dir), "/tmp/test_evolis.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	if (kind == SRV_EMU) {
		char out[128], st[128];

		snprintf(out, sizeof(out), "%s/out", s->dir);
		snprintf(st, sizeof(st), "%s/state", s->dir);
		cfg.out_dir = out;
		cfg.state_dir = st;
		assert_int_equal(emu_new(&cfg, &s->emu), 0);
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 2), 0);
	getsockname(s->lfd, (struct sockaddr *)&sa, &len);
	s->port = ntohs(sa.sin_port);
	pthread_create(&s->th, NULL, serve, s);
}

static void
server_stop(struct server *s)
{
	char cmd[128];

	shutdown(s->lfd, SHUT_RDWR);
	close(s->lfd);
	pthread_join(s->th, NULL);
	emu_free(s->emu);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
	(void)!system(cmd);
}

static struct printer *
connect_printer(struct server *s, int timeout_ms)
{
	struct evo_io *io = NULL;
	struct printer *p = NULL;

	assert_int_equal(evo_io_open_tcp("127.0.0.1", s->port, timeout_ms, &io), 0);
	if (evolis_open(io, &p) < 0)
		return NULL;
	return p;
}

static void
emu_cmd(struct server *s, const char *cmd)
{
	struct buf r = BUF_INIT(256);

	emu_control(s->emu, cmd, &r);
	if (strncmp(buf_str(&r), "OK", 2))
		fail_msg("control '%s': %s", cmd, buf_str(&r));
	buf_release(&r);
}

static void
test_driver_full_card(void **state)
{
	struct server s;
	struct printer *p;
	struct printer_job job = {"ymcko", 128, 10};
	struct printer_status st;
	struct printer_counters c;
	struct panel_set ps;
	struct emu_stats es;
	char path[160];

	server_start(&s, SRV_EMU);
	p = connect_printer(&s, 2000);
	assert_non_null(p);
	assert_int_equal(printer_setup_job(p, &job), 0);
	assert_int_equal(printer_status(p, &st), 0);
	assert_int_equal(st.pos, PRN_POS_NONE);
	assert_int_equal(st.fault, PRN_OK);
	assert_true(st.feeder_has_cards);
	assert_int_equal(st.ribbon_left, 10);
	assert_int_equal(printer_feed(p), 0);
	assert_int_equal(printer_to_contact(p), 0);
	assert_int_equal(printer_status(p, &st), 0);
	assert_int_equal(st.pos, PRN_POS_CONTACT);
	make_panels(&ps);
	assert_int_equal(printer_print(p, &ps, NULL), 0);
	assert_int_equal(printer_eject(p), 0);
	assert_int_equal(printer_counters(p, &c), 0);
	assert_int_equal(c.printed, 1);
	assert_int_equal(c.inserted, 1);
	emu_stats(s.emu, &es);
	assert_int_equal(es.ejected, 1);
	assert_int_equal(es.feeder, 9);
	assert_int_equal(es.ribbon, 9);
	/* no vcard: the PNG is named by the chip serial (line 3, counter 1) */
	snprintf(path, sizeof(path), "%s/out/card-E103000000000001.png", s.dir);
	assert_int_equal(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/out/commands.log", s.dir);
	assert_int_equal(access(path, R_OK), 0);

	/* duplex: the back after Sv; YMCKOK sends only K to the back */
	{
		struct panel_set back;
		long before;

		make_panels(&back);
		back.ymc[((size_t)7 * EVO_DOTS + 9) * 3 + 1] = 255;
		assert_int_equal(printer_to_contact(p), 0);
		assert_int_equal(printer_print(p, &ps, &back), 0);
		assert_int_equal(printer_eject(p), 0);
		snprintf(path, sizeof(path), "%s/out/card-E103000000000002.back.png", s.dir);
		assert_int_equal(access(path, R_OK), 0);
		job.ribbon = "ymckok";
		assert_int_equal(printer_setup_job(p, &job), 0);
		emu_stats(s.emu, &es);
		before = es.printed;
		assert_int_equal(printer_feed(p), 0);
		assert_int_equal(printer_print(p, &ps, &back), 0);
		assert_int_equal(printer_reject(p), 0);
		emu_stats(s.emu, &es);
		assert_int_equal(es.printed, before + 1);
		job.ribbon = "ymcko";
		assert_int_equal(printer_setup_job(p, &job), 0);
		/* a back of the wrong size: nothing sent */
		back.lines = 1000;
		assert_int_equal(printer_print(p, &ps, &back), CP_ERR_INVALID);
		panel_set_release(&back);
	}
	/* wrong panel geometry is refused before anything is sent */
	ps.dots = 600;
	assert_int_equal(printer_print(p, &ps, NULL), CP_ERR_INVALID);
	panel_set_release(&ps);
	/* a bad job */
	job.levels = 100;
	assert_int_equal(printer_setup_job(p, &job), CP_ERR_CONFIG);
	printer_close(p);
	server_stop(&s);
}

static void
test_driver_faults(void **state)
{
	struct server s;
	struct printer *p;
	struct printer_job job = {"ymcko", 128, 10};
	struct printer_status st;
	struct panel_set ps;

	server_start(&s, SRV_EMU);
	p = connect_printer(&s, 2000);
	assert_non_null(p);
	assert_int_equal(printer_setup_job(p, &job), 0);
	make_panels(&ps);

	/* cover open: movements refused, status says so */
	emu_cmd(&s, "COVER open");
	assert_int_equal(printer_feed(p), CP_ERR_DEVICE);
	assert_int_equal(p->cond, PRN_COVER_OPEN);
	assert_int_equal(printer_status(p, &st), 0);
	assert_int_equal(st.fault, PRN_COVER_OPEN);
	emu_cmd(&s, "COVER close");

	/* feeder empty */
	emu_cmd(&s, "FAULT feeder-empty");
	assert_int_equal(printer_feed(p), CP_ERR_DEVICE);
	assert_int_equal(p->cond, PRN_FEEDER_EMPTY);
	assert_int_equal(printer_status(p, &st), 0);
	assert_int_equal(st.fault, PRN_FEEDER_EMPTY);
	emu_cmd(&s, "LOAD 5");

	/* jam at the next card, on its way to the contact station; reject clears it */
	emu_cmd(&s, "FAULT jam-at 1");
	assert_int_equal(printer_feed(p), 0);
	assert_int_equal(printer_to_contact(p), CP_ERR_DEVICE);
	assert_int_equal(p->cond, PRN_CARD_JAM);
	assert_int_equal(printer_eject(p), CP_ERR_DEVICE);
	assert_int_equal(printer_reject(p), 0);

	/* ribbon out after one more print */
	emu_cmd(&s, "FAULT ribbon-out-after 1");
	assert_int_equal(printer_to_contact(p), 0);
	assert_int_equal(printer_print(p, &ps, NULL), 0);
	assert_int_equal(printer_eject(p), 0);
	assert_int_equal(printer_to_contact(p), 0);
	assert_int_equal(printer_print(p, &ps, NULL), CP_ERR_DEVICE);
	assert_int_equal(p->cond, PRN_RIBBON);
	assert_int_equal(printer_status(p, &st), 0);
	assert_int_equal(st.fault, PRN_RIBBON);
	assert_int_equal(st.pos, PRN_POS_PRINT);
	assert_int_equal(printer_reject(p), 0);
	emu_cmd(&s, "RIBBON 100");

	/* a reject with no card in the printer is an error reply */
	assert_int_equal(printer_reject(p), CP_ERR_DEVICE);
	assert_int_equal(p->cond, PRN_ERROR);

	/* connection dropped in the middle of a card's panels */
	emu_cmd(&s, "FAULT drop-at 1");
	assert_int_equal(printer_to_contact(p), 0);
	assert_true(printer_print(p, &ps, NULL) < 0);
	assert_true(p->cond == PRN_CONNECTION || p->cond == PRN_NO_REPLY);
	printer_close(p);
	/* reconnect: the card is still in the printer, reject it */
	p = connect_printer(&s, 2000);
	assert_non_null(p);
	assert_int_equal(printer_status(p, &st), 0);
	assert_int_equal(st.pos, PRN_POS_CONTACT); /* dropped before Se took it to print */
	assert_int_equal(printer_reject(p), 0);

	/* unknown control commands and fault values are refused */
	{
		struct buf r = BUF_INIT(256);

		emu_control(s.emu, "FAULT jam-at x", &r);
		assert_non_null(strstr(buf_str(&r), "ERR"));
		buf_reset(&r);
		emu_control(s.emu, "EXPLODE", &r);
		assert_non_null(strstr(buf_str(&r), "ERR"));
		buf_release(&r);
	}
	panel_set_release(&ps);
	printer_close(p);
	server_stop(&s);
}

static void
test_driver_bad_printers(void **state)
{
	struct server s;
	struct evo_io *io = NULL;
	struct printer *p = NULL;

	/* silent: a clear timeout */
	server_start(&s, SRV_SILENT);
	assert_int_equal(evo_io_open_tcp("127.0.0.1", s.port, 200, &io), 0);
	assert_int_equal(evolis_open(io, &p), CP_ERR_TIMEOUT);
	assert_non_null(strstr(cp_errmsg(), "no reply"));
	server_stop(&s);

	/* garbage: not the OK that Pem;2 answers */
	server_start(&s, SRV_GARBLE);
	assert_int_equal(evo_io_open_tcp("127.0.0.1", s.port, 500, &io), 0);
	assert_int_equal(evolis_open(io, &p), CP_ERR_PROTOCOL);
	assert_non_null(strstr(cp_errmsg(), "WHAT?"));
	server_stop(&s);

	/* hangs up */
	server_start(&s, SRV_HANGUP);
	assert_int_equal(evo_io_open_tcp("127.0.0.1", s.port, 500, &io), 0);
	assert_int_equal(evolis_open(io, &p), CP_ERR_IO);
	assert_non_null(strstr(cp_errmsg(), "closed"));
	server_stop(&s);

	/* nobody listening */
	assert_true(evo_io_open_tcp("127.0.0.1", 1, 500, &io) < 0);
	assert_int_equal(evo_io_open_usb("/nonexistent/lp0", 500, &io), CP_ERR_NOTFOUND);
}

/* The USB transport over a pseudo-terminal (a device file like /dev/usb/lp0): the emulator
 * machine answers on the master side. */
struct pty_server {
	int master;
	struct emu *emu;
	pthread_t th;
};

static void *
pty_serve(void *arg)
{
	struct pty_server *ps = arg;
	unsigned char chunk[65536];
	ssize_t n;

	while ((n = read(ps->master, chunk, sizeof(chunk))) > 0) {
		struct buf out = BUF_INIT(1 << 16);

		emu_input(ps->emu, chunk, (size_t)n, &out);
		if (out.len)
			(void)!write(ps->master, out.data, out.len);
		buf_release(&out);
	}
	return NULL;
}

static void
test_driver_usb_device(void **state)
{
	struct pty_server ps = {0};
	struct emu_config cfg = {.line = 1, .feeder_cards = 2, .ribbon_cards = 2};
	char dir[] = "/tmp/test_evolis_usb.XXXXXX", out[64], st[64], cmd[80], *slave;
	struct termios tio;
	struct evo_io *io = NULL;
	struct printer *p = NULL;
	struct printer_status pst;

	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/o", dir);
	snprintf(st, sizeof(st), "%s/s", dir);
	cfg.out_dir = out;
	cfg.state_dir = st;
	assert_int_equal(emu_new(&cfg, &ps.emu), 0);
	ps.master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(ps.master >= 0);
	assert_int_equal(grantpt(ps.master), 0);
	assert_int_equal(unlockpt(ps.master), 0);
	slave = ptsname(ps.master);
	assert_non_null(slave);
	/* raw bytes both ways: no CR translation, no echo */
	tcgetattr(ps.master, &tio);
	cfmakeraw(&tio);
	tcsetattr(ps.master, TCSANOW, &tio);
	assert_int_equal(evo_io_open_usb(slave, 2000, &io), 0);
	{
		int fd = open(slave, O_RDWR | O_NOCTTY);

		tcgetattr(fd, &tio);
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
		close(fd);
	}
	pthread_create(&ps.th, NULL, pty_serve, &ps);
	assert_int_equal(evolis_open(io, &p), 0);
	assert_int_equal(printer_feed(p), 0);
	assert_int_equal(printer_status(p, &pst), 0);
	assert_int_equal(pst.pos, PRN_POS_PRINT);
	assert_int_equal(printer_reject(p), 0);
	printer_close(p);
	close(ps.master);
	pthread_join(ps.th, NULL);
	emu_free(ps.emu);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_conditions),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_frame_and_sizes),
		cmocka_unit_test(test_db_orientation),
		cmocka_unit_test(test_driver_full_card),
		cmocka_unit_test(test_driver_faults),
		cmocka_unit_test(test_driver_bad_printers),
		cmocka_unit_test(test_driver_usb_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
