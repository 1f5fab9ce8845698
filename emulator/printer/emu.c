/*
 * emu.c - the Evolis printer emulator's machine (see emu.h): command parser, printer
 * state, faults, the virtual card at the contact station, and a PNG of every printed card.
 */
#include "emulator/printer/emu.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/face/png.h"
#include "emulator/printer/emu_face.h"
#include "emulator/printer/vcard_client.h"
#include "printer/evolis/evolis_proto.h"
#include "printer/printer.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIXELS ((size_t)PRINTER_WIDTH * PRINTER_HEIGHT)
#define MAX_CMD 256

struct emu {
	struct emu_config cfg;
	char *out_dir, *state_dir, *vcard;
	struct buf in;
	FILE *log;

	/* the printer */
	long feeder, ribbon, fed, printed, ejected, rejected;
	int cover_open;
	enum printer_card_pos pos;
	int jammed;
	char ribbon_type[16];

	/* the card in the printer */
	long card_seq;	  /* 1-based count of cards fed by this emulator run */
	char serial[17];  /* its chip serial, "" before the contact station */
	char chip_id[33]; /* the card identifier vcard reported */
	int in_reader;	  /* the virtual card is in the reader */

	/* panels received since Ss, per side (0 front after Sr, 1 back after Sv) */
	struct side {
		unsigned char *plane[3]; /* y, m, c: 8-bit values, landscape */
		unsigned char *k, *o;	 /* 0/1 masks, landscape */
		int have[5];
	} side[2];
	int cur;

	/* faults: absolute card numbers (0: none) */
	long jam_at, drop_at, defective_at, pull_at, pull_after, ribbon_break_at;
	long defective_from; /* every card from this one on is defective (a bad batch) */
	long slow_ms;
	/* realistic mode: a new chip enters the reader only this long after the last one
	 * left (default 800): pcscd polls the vpcd reader's presence a few times a second,
	 * and a card swapped faster than that looks to PC/SC clients like the old card still
	 * there. Fast mode does not wait (settle -1: none unless set): its client sees the
	 * swap from pcscd's reader state instead (the reader shown empty before a feed, a
	 * new card by pcscd's event count). */
	long settle_ms;
	long long removed_at_ms;
	long settle_waits; /* how many times a chip was held back, for STATUS */
};

static void
sleep_ms(long ms)
{
	if (ms <= 0)
		return;
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

/* A mechanical step's time in realistic mode. */
static void
mech(struct emu *e, long nominal_ms)
{
	if (e->cfg.realistic)
		sleep_ms(nominal_ms * e->cfg.delay_scale_pct / 100);
}

int
emu_new(const struct emu_config *cfg, struct emu **out)
{
	struct emu *e = xcalloc(1, sizeof(*e));
	char *path;
	int r;

	*out = NULL;
	e->cfg = *cfg;
	if (e->cfg.delay_scale_pct <= 0)
		e->cfg.delay_scale_pct = 100;
	e->out_dir = xstrdup(cfg->out_dir);
	e->state_dir = xstrdup(cfg->state_dir);
	e->vcard = cfg->vcard_control ? xstrdup(cfg->vcard_control) : NULL;
	e->feeder = cfg->feeder_cards;
	e->ribbon = cfg->ribbon_cards;
	e->settle_ms = -1;
	snprintf(e->ribbon_type, sizeof(e->ribbon_type), "ymcko");
	buf_init(&e->in, 4u << 20);
	for (int sd = 0; sd < 2; sd++) {
		for (int i = 0; i < 3; i++)
			e->side[sd].plane[i] = xmalloc(PIXELS);
		e->side[sd].k = xmalloc(PIXELS);
		e->side[sd].o = xmalloc(PIXELS);
	}
	if ((r = fs_mkdirs(e->out_dir, 0700)) < 0 || (r = fs_mkdirs(e->state_dir, 0700)) < 0) {
		emu_free(e);
		return r;
	}
	path = fs_join(e->out_dir, "commands.log");
	e->log = fopen(path, "a");
	if (!e->log) {
		r = cp_err(CP_ERR_IO, "emulator: cannot open '%s': %s", path, strerror(errno));
		free(path);
		emu_free(e);
		return r;
	}
	free(path);
	setvbuf(e->log, NULL, _IOLBF, 0);
	*out = e;
	return 0;
}

void
emu_free(struct emu *e)
{
	if (!e)
		return;
	if (e->log)
		fclose(e->log);
	buf_release(&e->in);
	for (int sd = 0; sd < 2; sd++) {
		for (int i = 0; i < 3; i++)
			free(e->side[sd].plane[i]);
		free(e->side[sd].k);
		free(e->side[sd].o);
	}
	free(e->out_dir);
	free(e->state_dir);
	free(e->vcard);
	free(e);
}

static int
parse_long(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || end == s || *end || *v < 0)
		return cp_err(CP_ERR_FORMAT, "'%s' is not a non-negative number", s);
	return 0;
}

/* Set a fault or a count: key and up to two arguments. */
static int
apply(struct emu *e, const char *key, const char *a1, const char *a2)
{
	long n = 0, m = 0;

	if (a1 && parse_long(a1, &n) < 0)
		return cp_err_wrap(CP_ERR_FORMAT, "%s: ", key);
	if (a2 && parse_long(a2, &m) < 0)
		return cp_err_wrap(CP_ERR_FORMAT, "%s: ", key);
#define NEED(k) (a1 ? 0 : cp_err(CP_ERR_FORMAT, "'%s' needs a number", k))
	if (!strcmp(key, "ribbon-out-after") || !strcmp(key, "ribbon_out_after")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		/* the ribbon breaks during the print after N more: the counter does not warn */
		e->ribbon_break_at = e->printed + n + 1;
	} else if (!strcmp(key, "ribbon") || !strcmp(key, "ribbon_cards")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		e->ribbon = n;
	} else if (!strcmp(key, "jam-at") || !strcmp(key, "jam_at")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		e->jam_at = n ? e->fed + n : 0;
	} else if (!strcmp(key, "drop-at") || !strcmp(key, "drop_at")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		e->drop_at = n ? e->fed + n : 0;
	} else if (!strcmp(key, "defective-chip-at") || !strcmp(key, "defective_chip_at")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		e->defective_at = n ? e->fed + n : 0;
	} else if (!strcmp(key, "defective-chips-from") || !strcmp(key, "defective_chips_from")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		e->defective_from = n ? e->fed + n : 0;
	} else if (!strcmp(key, "pull-at") || !strcmp(key, "pull_at")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		e->pull_at = n ? e->fed + n : 0;
		e->pull_after = a2 ? m : 5;
	} else if (!strcmp(key, "feeder-empty") || !strcmp(key, "feeder_empty")) {
		if (!a1 || n)
			e->feeder = 0;
	} else if (!strcmp(key, "feeder") || !strcmp(key, "feeder_cards") || !strcmp(key, "load")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		e->feeder = n;
	} else if (!strcmp(key, "cover-open") || !strcmp(key, "cover_open")) {
		e->cover_open = !a1 || n;
	} else if (!strcmp(key, "slow") || !strcmp(key, "slow_ms")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		e->slow_ms = n;
	} else if (!strcmp(key, "settle") || !strcmp(key, "settle_ms")) {
		if (NEED(key))
			return CP_ERR_FORMAT;
		e->settle_ms = n;
	} else if (!strcmp(key, "realistic")) {
		e->cfg.realistic = !a1 || n;
	} else {
		return cp_err(CP_ERR_FORMAT, "unknown fault or setting '%s'", key);
	}
#undef NEED
	return 0;
}

int
emu_load_faults(struct emu *e, const char *path)
{
	unsigned char *text = NULL;
	size_t len;
	char *line, *save = NULL;
	int r, lineno = 0;

	if ((r = fs_read_file(path, 1 << 16, &text, &len)) < 0)
		return cp_err_wrap(r, "emulator faults: ");
	for (line = strtok_r((char *)text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *key, *eq, *val, *a1, *a2, *sp;

		lineno++;
		line[strcspn(line, "#;\r")] = '\0';
		key = line + strspn(line, " \t");
		if (!*key)
			continue;
		eq = strchr(key, '=');
		val = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		for (sp = key + strlen(key); sp > key && isspace((unsigned char)sp[-1]);)
			*--sp = '\0';
		a1 = a2 = NULL;
		if (val) {
			a1 = strtok_r(val, " \t", &sp);
			a2 = a1 ? strtok_r(NULL, " \t", &sp) : NULL;
		}
		if ((r = apply(e, key, a1, a2)) < 0)
			break;
	}
	if (r < 0)
		r = cp_err_wrap(r, "%s:%d: ", path, lineno);
	free(text);
	return r;
}

int
emu_control(struct emu *e, const char *line, struct buf *reply)
{
	char copy[256], *w[4] = {0}, *save = NULL;
	int n = 0, r = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok_r(copy, " \t\r\n", &save); t && n < 4;
	     t = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = t;
	if (n == 0) {
		return buf_appendf(reply, "ERR empty command\n");
	} else if (!strcmp(w[0], "STATUS")) {
		return buf_appendf(reply,
				   "OK fed=%ld printed=%ld ejected=%ld rejected=%ld feeder=%ld "
				   "ribbon=%ld cover=%s position=%d settle-waits=%ld\n",
				   e->fed, e->printed, e->ejected, e->rejected, e->feeder,
				   e->ribbon, e->cover_open ? "open" : "closed", (int)e->pos,
				   e->settle_waits);
	} else if (!strcmp(w[0], "FAULT") && n >= 2) {
		r = apply(e, w[1], w[2], w[3]);
	} else if (!strcmp(w[0], "CLEAR") && n == 2) {
		if (!strcmp(w[1], "all")) {
			e->jam_at = e->drop_at = e->defective_at = e->pull_at = 0;
			e->defective_from = 0;
			e->ribbon_break_at = 0;
			e->slow_ms = 0;
			e->cover_open = 0;
			e->jammed = 0;
		} else if (!strcmp(w[1], "cover-open")) {
			e->cover_open = 0;
		} else if (!strcmp(w[1], "slow")) {
			e->slow_ms = 0;
		} else if (!strcmp(w[1], "jam")) {
			e->jammed = 0;
			e->jam_at = 0;
		} else {
			r = cp_err(CP_ERR_FORMAT, "CLEAR takes all, cover-open, slow or jam");
		}
	} else if (!strcmp(w[0], "LOAD") && n == 2) {
		r = apply(e, "feeder", w[1], NULL);
	} else if (!strcmp(w[0], "RIBBON") && n == 2) {
		r = apply(e, "ribbon", w[1], NULL);
	} else if (!strcmp(w[0], "COVER") && n == 2 &&
		   (!strcmp(w[1], "open") || !strcmp(w[1], "close"))) {
		e->cover_open = !strcmp(w[1], "open");
	} else {
		r = cp_err(CP_ERR_FORMAT, "unknown control command '%.40s'", line);
	}
	if (r < 0)
		return buf_appendf(reply, "ERR %s\n", cp_errmsg());
	fprintf(e->log, "control: %s\n", line);
	return buf_appendf(reply, "OK\n");
}

/* ---- the virtual card ---- */

/* Ask the vcard daemon; a daemon that is not there means "no chip" (pure printing). */
static int
vcard(struct emu *e, const char *cmd, char *reply, size_t replysz)
{
	int r;

	reply[0] = '\0';
	if (!e->vcard)
		return 0;
	r = vcard_ask(e->vcard, cmd, reply, replysz);
	fprintf(e->log, "vcard: %s -> %s\n", cmd, r < 0 ? cp_errmsg() : reply);
	if (r < 0)
		log_warn("evolis-emu", "vcard '%s': %s", cmd, cp_errmsg());
	return r;
}

/* The next unique chip serial: line number and a counter kept in the state folder (so
 * that it is unique across restarts). Committed before it is used. */
static int
next_serial(struct emu *e, char out[17])
{
	char *path = fs_join(e->state_dir, "serial.counter"), text[32];
	unsigned char *data = NULL;
	unsigned long long n = 0;
	size_t len;
	int r = 0;

	if (fs_exists(path)) {
		if ((r = fs_read_file(path, 64, &data, &len)) < 0)
			goto out;
		n = strtoull((char *)data, NULL, 10);
	}
	n++;
	snprintf(text, sizeof(text), "%llu\n", n);
	if ((r = fs_write_atomic(path, text, strlen(text), 0600)) < 0)
		goto out;
	/* E1 = emulated, then the line (2 hex) and the counter (12 hex) */
	snprintf(out, 17, "E1%02X%012llX", (unsigned)(e->cfg.line & 0xff), n & 0xffffffffffffULL);
out:
	free(data);
	free(path);
	return r;
}

static void
card_leaves_reader(struct emu *e)
{
	char reply[128];

	if (e->in_reader) {
		vcard(e, "REMOVE", reply, sizeof(reply));
		e->in_reader = 0;
		e->removed_at_ms = cp_mono_ms();
	}
}

/* Hold a new chip back until settle ms after the last one left (see struct emu). */
static void
settle(struct emu *e)
{
	long ms = e->settle_ms >= 0 ? e->settle_ms : e->cfg.realistic ? 800 : 0;
	long long since;

	if (!e->removed_at_ms || ms <= 0)
		return;
	since = cp_mono_ms() - e->removed_at_ms;
	if (since >= ms)
		return;
	e->settle_waits++;
	fprintf(e->log, "settle: %lld ms\n", ms - since);
	sleep_ms((long)(ms - since));
}

static int
card_enters_reader(struct emu *e)
{
	char cmd[64], reply[128];
	int r;

	if ((r = next_serial(e, e->serial)) < 0)
		return r;
	if (!e->vcard)
		return 0;
	if (e->defective_at && e->card_seq == e->defective_at) {
		vcard(e, "FAULT defective", reply, sizeof(reply));
		e->defective_at = 0;
	} else if (e->defective_from && e->card_seq >= e->defective_from) {
		vcard(e, "FAULT defective", reply, sizeof(reply));
	}
	if (e->pull_at && e->card_seq == e->pull_at) {
		snprintf(cmd, sizeof(cmd), "FAULT pull-after %ld", e->pull_after);
		vcard(e, cmd, reply, sizeof(reply));
		e->pull_at = 0;
	}
	settle(e);
	snprintf(cmd, sizeof(cmd), "INSERT-NEW %s", e->serial);
	if ((r = vcard(e, cmd, reply, sizeof(reply))) < 0)
		return r;
	if (strncmp(reply, "OK ", 3) || strlen(reply + 3) != 32)
		return cp_err(CP_ERR_PROTOCOL, "vcard answered '%s' to INSERT-NEW", reply);
	memcpy(e->chip_id, reply + 3, 33);
	e->in_reader = 1;
	return 0;
}

/* ---- printing ---- */

/* One side's printed face (name.png) and overlay (name.overlay.png). */
static int
write_side(struct emu *e, const struct side *sd, const char *name)
{
	struct png_opts po = {.level = 1, .filter = 1, .dpi = 300};
	struct buf png = BUF_INIT(BUF_UNLIMITED);
	unsigned char *rgb = xmalloc(PIXELS * 3);
	const unsigned char *planes[3];
	char *path;
	int r;

	for (int i = 0; i < 3; i++)
		planes[i] = sd->have[i] ? sd->plane[i] : NULL;
	emu_face_compose(planes, sd->have[3] ? sd->k : NULL, rgb);
	path = xasprintf("%s/%s.png", e->out_dir, name);
	if ((r = png_encode_rgb(rgb, PRINTER_WIDTH, PRINTER_HEIGHT, &po, &png)) == 0)
		r = fs_write_atomic(path, png.data, png.len, 0600);
	if (r == 0 && sd->have[4]) {
		unsigned char *bits = xcalloc(PIXELS / 8, 1);

		for (size_t i = 0; i < PIXELS; i++)
			if (sd->o[i])
				bits[i / 8] |= (unsigned char)(0x80 >> (i % 8));
		free(path);
		path = xasprintf("%s/%s.overlay.png", e->out_dir, name);
		buf_reset(&png);
		r = png_encode_bits(bits, PRINTER_WIDTH, PRINTER_HEIGHT, 0x000000, &po, &png);
		free(bits);
		if (r == 0)
			r = fs_write_atomic(path, png.data, png.len, 0600);
	}
	free(path);
	free(rgb);
	buf_release(&png);
	return r;
}

/* The printed card: <id>.png (front), <id>.back.png when a back was printed, and a line
 * in printed.log saying which physical card it was. */
static int
write_png(struct emu *e)
{
	char name[64], back[80], line[200];
	int r, has_back = 0;
	char *list;
	FILE *f;

	if (e->chip_id[0])
		snprintf(name, sizeof(name), "%s", e->chip_id);
	else
		snprintf(name, sizeof(name), "card-%s", e->serial[0] ? e->serial : "nochip");
	for (int i = 0; i < 5; i++)
		has_back |= e->side[1].have[i];
	snprintf(back, sizeof(back), "%s.back", name);
	if ((r = write_side(e, &e->side[0], name)) < 0 ||
	    (has_back && (r = write_side(e, &e->side[1], back)) < 0))
		return r;
	list = fs_join(e->out_dir, "printed.log");
	if (!(f = fopen(list, "a"))) {
		r = cp_err(CP_ERR_IO, "emulator: cannot append '%s'", list);
	} else {
		snprintf(line, sizeof(line), "%ld %s %s %s.png%s\n", e->card_seq,
			 e->serial[0] ? e->serial : "-", e->chip_id[0] ? e->chip_id : "-", name,
			 has_back ? " back" : "");
		fputs(line, f);
		fclose(f);
	}
	free(list);
	return r;
}

static void
forget_panels(struct emu *e)
{
	memset(e->side[0].have, 0, sizeof(e->side[0].have));
	memset(e->side[1].have, 0, sizeof(e->side[1].have));
	e->cur = 0;
}

/* ---- commands ---- */

static const char *
do_feed(struct emu *e)
{
	if (e->cover_open)
		return "COVER OPEN";
	if (e->jammed)
		return "CARD JAM";
	if (e->pos != PRN_POS_NONE)
		return "ERROR";
	if (e->feeder <= 0)
		return "FEEDER EMPTY";
	mech(e, 1200);
	e->feeder--;
	e->fed++;
	e->card_seq = e->fed;
	e->pos = PRN_POS_PRINT;
	e->serial[0] = e->chip_id[0] = '\0';
	forget_panels(e);
	return "OK";
}

static const char *
do_contact(struct emu *e)
{
	const char *r;

	if (e->cover_open)
		return "COVER OPEN";
	if (e->jammed)
		return "CARD JAM";
	if (e->pos == PRN_POS_NONE && strcmp(r = do_feed(e), "OK"))
		return r;
	if (e->pos == PRN_POS_CONTACT)
		return "OK";
	if (e->jam_at && e->card_seq == e->jam_at) {
		e->jam_at = 0;
		e->jammed = 1;
		return "CARD JAM";
	}
	mech(e, 600);
	e->pos = PRN_POS_CONTACT;
	if (card_enters_reader(e) < 0)
		return "ERROR";
	return "OK";
}

static const char *
do_print(struct emu *e)
{
	if (e->cover_open)
		return "COVER OPEN";
	if (e->jammed)
		return "CARD JAM";
	if (e->pos == PRN_POS_NONE)
		return "ERROR";
	/* the card leaves the contact station for the print head, then the ribbon runs */
	card_leaves_reader(e);
	e->pos = PRN_POS_PRINT;
	if (e->ribbon_break_at && e->printed + 1 >= e->ribbon_break_at) {
		e->ribbon_break_at = 0;
		e->ribbon = 0;
	}
	if (e->ribbon <= 0)
		return "ERROR RIBBON";
	mech(e, 9000);
	if (write_png(e) < 0) {
		log_error("evolis-emu", "%s", cp_errmsg());
		return "ERROR HEAD";
	}
	e->ribbon--;
	e->printed++;
	forget_panels(e);
	return "OK";
}

static const char *
do_out(struct emu *e, int reject)
{
	if (e->cover_open)
		return "COVER OPEN";
	if (e->pos == PRN_POS_NONE)
		return "ERROR";
	if (e->jammed && !reject)
		return "CARD JAM";
	card_leaves_reader(e);
	mech(e, 700);
	e->jammed = 0;
	e->pos = PRN_POS_NONE;
	if (reject)
		e->rejected++;
	else
		e->ejected++;
	e->serial[0] = e->chip_id[0] = '\0';
	return "OK";
}

static const char *
volts(int high)
{
	return high ? "5,00 Volts" : "0,00 Volts";
}

/* Execute one text command (without ESC and CR). The reply goes into r (NUL-terminated). */
static void
execute(struct emu *e, const char *cmd, char *r, size_t rsz)
{
	const char *reply = "ERROR CDE";

	if (!strncmp(cmd, "Pem;", 4))
		reply = (!strcmp(cmd + 4, "0") || !strcmp(cmd + 4, "1") || !strcmp(cmd + 4, "2"))
				? "OK"
				: "ERROR PARAMETRES";
	else if (!strncmp(cmd, "Pr;", 3)) {
		if (!strcmp(cmd + 3, "ymcko") || !strcmp(cmd + 3, "ymckok") ||
		    !strcmp(cmd + 3, "ko") || !strcmp(cmd + 3, "k")) {
			snprintf(e->ribbon_type, sizeof(e->ribbon_type), "%s", cmd + 3);
			reply = "OK";
		} else {
			reply = "ERROR PARAMETRES";
		}
	} else if (!strcmp(cmd, "Pneab;E") || !strncmp(cmd, "Pc;", 3) || !strncmp(cmd, "Pmi;", 4) ||
		   !strncmp(cmd, "Pcim;", 5) || !strncmp(cmd, "Pcem;", 5) ||
		   !strncmp(cmd, "Psmgr;", 6) || !strncmp(cmd, "Pcrm;", 5))
		reply = "OK";
	else if (!strcmp(cmd, "Si"))
		reply = do_feed(e);
	else if (!strcmp(cmd, "Sis"))
		reply = do_contact(e);
	else if (!strcmp(cmd, "Ss")) {
		forget_panels(e);
		reply = "OK";
	} else if (!strcmp(cmd, "Sr") || !strcmp(cmd, "Sv")) {
		e->cur = cmd[1] == 'v';
		reply = "OK";
	} else if (!strcmp(cmd, "Se"))
		reply = do_print(e);
	else if (!strcmp(cmd, "Seb"))
		reply = do_out(e, 0);
	else if (!strcmp(cmd, "Ser"))
		reply = do_out(e, 1);
	else if (!strcmp(cmd, "Rlr;p"))
		reply = e->pos == PRN_POS_NONE	    ? "OK"
			: e->pos == PRN_POS_CONTACT ? "SMART CARD"
						    : "CARD";
	else if (!strcmp(cmd, "Rse;f"))
		reply = volts(e->feeder > 0);
	else if (!strcmp(cmd, "Rse;n"))
		reply = volts(e->feeder > 10);
	else if (!strcmp(cmd, "Rse;o"))
		reply = volts(!e->cover_open);
	else if (!strcmp(cmd, "Rlr;h"))
		reply = "NO CARD";
	else if (!strcmp(cmd, "Rcr")) {
		snprintf(r, rsz, "%ld", e->ribbon);
		return;
	} else if (!strcmp(cmd, "Rco;p")) {
		snprintf(r, rsz, "%ld", e->printed);
		return;
	} else if (!strcmp(cmd, "Rco;c")) {
		snprintf(r, rsz, "%ld", e->fed);
		return;
	} else if (!strcmp(cmd, "Rco;r")) {
		snprintf(r, rsz, "%ld", 5000 - e->printed % 5000);
		return;
	} else if (!strcmp(cmd, "Rtp"))
		reply = "Evolis emulator (cardpipe)";
	else if (!strcmp(cmd, "Rsn")) {
		snprintf(r, rsz, "EMU%05d", e->cfg.line);
		return;
	} else if (!strcmp(cmd, "Rfv"))
		reply = "cardpipe-emu 1";
	snprintf(r, rsz, "%s", reply);
}

/* A Db command: header "Db;c;L;" then data. Returns the reply. */
static const char *
download(struct emu *e, char colour, int levels, const unsigned char *data)
{
	static const char order[] = "ymcko";
	int idx = (int)(strchr(order, colour) - order);

	struct side *sd = &e->side[e->cur];

	if (idx < 3) {
		if (evo_decode_colour(levels, data, sd->plane[idx]) < 0)
			return "ERROR PARAMETRES";
	} else {
		evo_decode_mono(data, idx == 3 ? sd->k : sd->o);
	}
	sd->have[idx] = 1;
	return "OK";
}

static void
log_cmd(struct emu *e, const char *cmd, size_t datalen, const char *reply)
{
	char ts[32];

	cp_iso_utc(time(NULL), ts, sizeof(ts));
	if (datalen)
		fprintf(e->log, "%s %s<%zu bytes> -> %s\n", ts, cmd, datalen, reply);
	else
		fprintf(e->log, "%s %s -> %s\n", ts, cmd, reply);
}

static int
reply_out(struct emu *e, struct buf *out, const char *reply)
{
	sleep_ms(e->slow_ms);
	if (buf_append(out, reply, strlen(reply)) < 0 || buf_putc(out, 0) < 0)
		return CP_ERR_LIMIT;
	return 0;
}

/* Drop consumed bytes from the front of the input. */
static void
consume(struct emu *e, size_t n)
{
	memmove(e->in.data, e->in.data + n, e->in.len - n);
	e->in.len -= n;
	e->in.data[e->in.len] = '\0';
}

enum emu_action
emu_input(struct emu *e, const unsigned char *data, size_t len, struct buf *out)
{
	if (buf_append(&e->in, data, len) < 0) {
		/* more than any command can be: resynchronise on the next ESC */
		buf_reset(&e->in);
		reply_out(e, out, "ERROR CDE");
		return EMU_CONTINUE;
	}
	for (;;) {
		unsigned char *p = e->in.data;
		size_t n = e->in.len, skip = 0;
		char cmd[MAX_CMD + 1], reply[EVO_MAX_REPLY + 1];

		/* padding NULs and stray bytes before ESC are ignored (and logged) */
		while (skip < n && p[skip] != EVO_ESC)
			skip++;
		if (skip) {
			size_t nonnul = 0;

			for (size_t i = 0; i < skip; i++)
				nonnul += p[i] != 0;
			if (nonnul)
				fprintf(e->log, "ignored %zu stray bytes before ESC\n", nonnul);
			consume(e, skip);
			continue;
		}
		if (n < 2)
			return EMU_CONTINUE;
		if (n >= 4 && !memcmp(p + 1, "Db;", 3)) {
			/* Db;c;L; then data: find the header's end */
			size_t h = 4, semis = 0, need, hdr_end = 0;
			char colour;
			int levels;

			for (; h < n && h < 16; h++)
				if (p[h] == ';' && ++semis == 2) {
					hdr_end = h + 1;
					break;
				}
			if (!hdr_end) {
				if (n < 16)
					return EMU_CONTINUE;
				consume(e, 1);
				log_cmd(e, "Db (bad header)", 0, "ERROR PARAMETRES");
				reply_out(e, out, "ERROR PARAMETRES");
				continue;
			}
			colour = (char)p[4];
			levels = atoi((const char *)p + 6);
			need = evo_panel_bytes(colour, levels);
			if (p[5] != ';' || !need || (strchr("ko", colour) && levels != 2) ||
			    (strchr("ymc", colour) && !evo_level_bits(levels))) {
				consume(e, hdr_end);
				log_cmd(e, "Db (bad colour or levels)", 0, "ERROR PARAMETRES");
				reply_out(e, out, "ERROR PARAMETRES");
				continue;
			}
			if (e->drop_at && e->card_seq == e->drop_at && e->pos != PRN_POS_NONE) {
				/* connection dropped in the middle of this card's panels */
				e->drop_at = 0;
				fprintf(e->log, "fault: connection dropped during card %ld\n",
					e->card_seq);
				buf_reset(&e->in);
				return EMU_DROP;
			}
			if (n < hdr_end + need + 1)
				return EMU_CONTINUE;
			snprintf(cmd, sizeof(cmd), "Db;%c;%d;", colour, levels);
			if (p[hdr_end + need] != EVO_CR) {
				consume(e, hdr_end + need);
				log_cmd(e, cmd, need, "ERROR PARAMETRES");
				reply_out(e, out, "ERROR PARAMETRES");
				continue;
			}
			snprintf(reply, sizeof(reply), "%s",
				 download(e, colour, levels, p + hdr_end));
			log_cmd(e, cmd, need, reply);
			consume(e, hdr_end + need + 1);
			reply_out(e, out, reply);
			continue;
		}
		{
			unsigned char *cr = memchr(p, EVO_CR, n);
			size_t clen;

			if (!cr) {
				if (n > MAX_CMD + 2) {
					consume(e, 1);
					log_cmd(e, "(command too long)", 0, "ERROR CDE");
					reply_out(e, out, "ERROR CDE");
					continue;
				}
				return EMU_CONTINUE;
			}
			clen = (size_t)(cr - p) - 1;
			if (clen > MAX_CMD || memchr(p + 1, EVO_ESC, clen)) {
				consume(e, 1);
				log_cmd(e, "(malformed command)", 0, "ERROR CDE");
				reply_out(e, out, "ERROR CDE");
				continue;
			}
			memcpy(cmd, p + 1, clen);
			cmd[clen] = '\0';
			consume(e, clen + 2);
			execute(e, cmd, reply, sizeof(reply));
			log_cmd(e, cmd, 0, reply);
			reply_out(e, out, reply);
		}
	}
}

void
emu_disconnect(struct emu *e)
{
	buf_reset(&e->in);
}
