/*
 * evolis.c - the Evolis driver: the printer_ops over the escape protocol. Every reply is
 * checked against what its command may return; an error reply becomes p->cond and a
 * CP_ERR_DEVICE naming the command and the reply.
 */
#include "printer/evolis/evolis.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "personalization/face/panels.h"
#include "printer/evolis/evolis_io.h"
#include "printer/evolis/evolis_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct evolis {
	struct evo_io *io;
	int levels;
	char ribbon[16];
};

static struct evolis *
EV(struct printer *p)
{
	return p->priv;
}

/* Send framed bytes then read the reply; classify it. */
static int
exchange(struct printer *p, const char *what, const void *data, size_t len)
{
	struct evolis *ev = EV(p);
	int r;

	p->reply[0] = '\0';
	if ((r = evo_io_send(ev->io, data, len)) < 0 ||
	    (r = evo_io_reply(ev->io, p->reply, sizeof(p->reply))) < 0) {
		p->cond = r == CP_ERR_TIMEOUT	 ? PRN_NO_REPLY
			  : r == CP_ERR_PROTOCOL ? PRN_MALFORMED
						 : PRN_CONNECTION;
		return cp_err_wrap(r, "evolis '%s': ", what);
	}
	p->cond = evo_reply_cond(p->reply);
	if (p->cond == PRN_NCOND) {
		p->cond = PRN_OK; /* data: the caller parses it */
		return 0;
	}
	if (p->cond != PRN_OK)
		return cp_err(CP_ERR_DEVICE, "printer refused '%s': %s (%s)", what, p->reply,
			      printer_cond_name(p->cond));
	return 0;
}

/* Send one command and read its reply into p->reply; sets p->cond. Returns 0 when the
 * reply is OK or data, CP_ERR_DEVICE for an error reply, CP_ERR_TIMEOUT/IO/PROTOCOL for a
 * missing or malformed one. */
static int
evolis_command(struct printer *p, const char *cmd)
{
	struct buf b = BUF_INIT(256);
	int r;

	if ((r = evo_frame(&b, cmd)) == 0)
		r = exchange(p, cmd, b.data, b.len);
	buf_release(&b);
	return r;
}

/* A command that must answer exactly OK (not data). */
static int
command_ok(struct printer *p, const char *cmd)
{
	int r = evolis_command(p, cmd);

	if (r == 0 && strcmp(p->reply, "OK") != 0) {
		p->cond = PRN_MALFORMED;
		return cp_err(CP_ERR_PROTOCOL, "evolis '%s': expected OK, printer answered '%s'",
			      cmd, p->reply);
	}
	return r;
}

/* A query whose answer is data; an "OK" is malformed unless ok_is_data. */
static int
query(struct printer *p, const char *cmd)
{
	return evolis_command(p, cmd);
}

static int
ev_setup_job(struct printer *p, const struct printer_job *job)
{
	struct evolis *ev = EV(p);
	char cmd[64];
	int r;

	if (!evo_level_bits(job->levels))
		return cp_err(CP_ERR_CONFIG,
			      "printer: %d colour levels; Evolis takes 32, 64 or 128", job->levels);
	if (strcmp(job->ribbon, "ymcko") && strcmp(job->ribbon, "ymckok") &&
	    strcmp(job->ribbon, "ko") && strcmp(job->ribbon, "k"))
		return cp_err(CP_ERR_CONFIG, "printer: ribbon '%s' is not ymcko, ymckok, ko or k",
			      job->ribbon);
	if (job->k_contrast < 0 || job->k_contrast > 20)
		return cp_err(CP_ERR_CONFIG, "printer: K contrast %d is outside 0..20",
			      job->k_contrast);
	ev->levels = job->levels;
	snprintf(ev->ribbon, sizeof(ev->ribbon), "%s", job->ribbon);
	snprintf(cmd, sizeof(cmd), "Pr;%s", job->ribbon);
	if ((r = command_ok(p, cmd)) < 0 || (r = command_ok(p, "Pneab;E")) < 0)
		return r;
	snprintf(cmd, sizeof(cmd), "Pc;k;=;%d", job->k_contrast);
	return command_ok(p, cmd);
}

static int
ev_feed(struct printer *p)
{
	return command_ok(p, "Si");
}

static int
ev_position(struct printer *p, enum printer_card_pos *pos)
{
	int r;

	if ((r = query(p, "Rlr;p")) < 0)
		return r;
	if ((r = evo_parse_position(p->reply, pos)) < 0)
		p->cond = PRN_MALFORMED;
	return r;
}

static int
ev_to_contact(struct printer *p)
{
	enum printer_card_pos pos = PRN_POS_NONE;
	int r;

	if ((r = command_ok(p, "Sis")) < 0)
		return r;
	/* the card travels: poll its position for a little while */
	for (int i = 0; i < 50; i++) {
		if ((r = ev_position(p, &pos)) < 0)
			return r;
		if (pos == PRN_POS_CONTACT)
			return 0;
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	}
	p->cond = PRN_CARD_JAM;
	return cp_err(CP_ERR_DEVICE,
		      "printer: card did not reach the contact station (last "
		      "position reply '%s')",
		      p->reply);
}

/* Db;<colour>;<levels>;<data> CR */
static int
download(struct printer *p, char colour, int levels, const unsigned char *data, size_t len)
{
	struct buf b = BUF_INIT(len + 64);
	char head[32], what[16];
	int r;

	snprintf(head, sizeof(head), "Db;%c;%d;", colour, levels);
	snprintf(what, sizeof(what), "Db;%c", colour);
	if (buf_putc(&b, EVO_ESC) < 0 || buf_append(&b, head, strlen(head)) < 0 ||
	    buf_append(&b, data, len) < 0 || buf_putc(&b, EVO_CR) < 0)
		r = cp_err(CP_ERR_LIMIT, "evolis: panel too large");
	else
		r = exchange(p, what, b.data, b.len);
	if (r == 0 && strcmp(p->reply, "OK")) {
		p->cond = PRN_MALFORMED;
		r = cp_err(CP_ERR_PROTOCOL, "evolis '%s': expected OK, printer answered '%s'", what,
			   p->reply);
	}
	buf_release(&b);
	return r;
}

static int
geometry_ok(const struct panel_set *ps)
{
	return ps->lines == EVO_LINES && ps->dots == EVO_DOTS && ps->stride == EVO_DOTS / 8 &&
	       ps->ymc && ps->k && ps->o;
}

/* The Db downloads of one side; colour and overlay as the ribbon has them. */
static int
print_side(struct printer *p, const struct panel_set *ps, int colour, int overlay)
{
	struct evolis *ev = EV(p);
	static const char ymc[3] = {'y', 'm', 'c'};
	int r;

	for (int i = 0; colour && i < 3; i++) {
		unsigned char *data = NULL;
		size_t len = 0;

		if ((r = panels_db_color(ps, i, evo_level_bits(ev->levels), &data, &len)) == 0)
			r = download(p, ymc[i], ev->levels, data, len);
		free(data);
		if (r < 0)
			return r;
	}
	if ((r = download(p, 'k', 2, ps->k, EVO_MONO_BYTES)) < 0)
		return r;
	if (overlay && (r = download(p, 'o', 2, ps->o, EVO_MONO_BYTES)) < 0)
		return r;
	return 0;
}

static int
ev_print(struct printer *p, const struct panel_set *front, const struct panel_set *back)
{
	struct evolis *ev = EV(p);
	int colour = !strncmp(ev->ribbon, "ymcko", 5), overlay = strcmp(ev->ribbon, "k") != 0;
	int r;

	/* check both sides before the printer does anything */
	if (!geometry_ok(front) || (back && !geometry_ok(back)))
		return cp_err(CP_ERR_INVALID,
			      "printer: panels are %d lines of %d dots; Evolis prints %d of %d",
			      geometry_ok(front) ? back->lines : front->lines,
			      geometry_ok(front) ? back->dots : front->dots, EVO_LINES, EVO_DOTS);
	if ((r = command_ok(p, "Ss")) < 0 || (r = command_ok(p, "Sr")) < 0 ||
	    (r = print_side(p, front, colour, overlay)) < 0)
		return r;
	if (back) {
		/* YMCKOK: resin black only on the back */
		int bcolour = colour && strcmp(ev->ribbon, "ymckok") != 0;
		int boverlay = overlay && strcmp(ev->ribbon, "ymckok") != 0;

		if ((r = command_ok(p, "Sv")) < 0 ||
		    (r = print_side(p, back, bcolour, boverlay)) < 0)
			return r;
	}
	return command_ok(p, "Se");
}

static int
ev_eject(struct printer *p)
{
	return command_ok(p, "Seb");
}

static int
ev_reject(struct printer *p)
{
	return command_ok(p, "Ser");
}

static int
ev_status(struct printer *p, struct printer_status *st)
{
	double v;
	int r;

	memset(st, 0, sizeof(*st));
	st->ribbon_left = -1;
	if ((r = ev_position(p, &st->pos)) < 0)
		return r;
	if ((r = query(p, "Rse;f")) < 0)
		return r;
	if ((r = evo_parse_volts(p->reply, &v)) < 0)
		goto malformed;
	st->feeder_has_cards = v > 1.0;
	if ((r = query(p, "Rse;o")) < 0)
		return r;
	if ((r = evo_parse_volts(p->reply, &v)) < 0)
		goto malformed;
	st->cover_open = v < 1.0;
	if ((r = query(p, "Rlr;h")) < 0)
		return r;
	if (!strcmp(p->reply, "CARD"))
		st->hopper_full = 1;
	else if (strcmp(p->reply, "NO CARD")) {
		r = cp_err(CP_ERR_PROTOCOL,
			   "evolis 'Rlr;h': reply '%s' is neither CARD nor NO CARD", p->reply);
		goto malformed;
	}
	/* ribbon left: not every model answers; an error reply means "unknown" */
	if ((r = query(p, "Rcr")) == 0) {
		if ((r = evo_parse_count(p->reply, &st->ribbon_left)) < 0)
			goto malformed;
	} else if (r != CP_ERR_DEVICE) {
		return r;
	}
	p->cond = PRN_OK;
	st->fault = st->cover_open	    ? PRN_COVER_OPEN
		    : !st->feeder_has_cards ? PRN_FEEDER_EMPTY
		    : st->ribbon_left == 0  ? PRN_RIBBON
		    : st->hopper_full	    ? PRN_HOPPER_FULL
					    : PRN_OK;
	return 0;
malformed:
	p->cond = PRN_MALFORMED;
	return r;
}

static int
ev_counters(struct printer *p, struct printer_counters *c)
{
	static const char *const cmds[3] = {"Rco;p", "Rco;c", "Rco;r"};
	long *dst[3] = {&c->printed, &c->inserted, &c->until_cleaning};
	int r;

	for (int i = 0; i < 3; i++) {
		if ((r = query(p, cmds[i])) < 0)
			return r;
		if ((r = evo_parse_count(p->reply, dst[i])) < 0) {
			p->cond = PRN_MALFORMED;
			return cp_err_wrap(r, "'%s': ", cmds[i]);
		}
	}
	return 0;
}

static void
ev_close(struct printer *p)
{
	struct evolis *ev = EV(p);

	if (!ev)
		return;
	/* hand error management back to the printer's panel; ignore a dead line */
	if (ev->io) {
		struct buf b = BUF_INIT(32);

		if (evo_frame(&b, "Pem;0") == 0 && evo_io_send(ev->io, b.data, b.len) == 0)
			(void)evo_io_reply(ev->io, p->reply, sizeof(p->reply));
		buf_release(&b);
	}
	evo_io_close(ev->io);
	free(ev);
	p->priv = NULL;
}

static const struct printer_ops evolis_ops = {
	.name = "evolis",
	.setup_job = ev_setup_job,
	.feed = ev_feed,
	.to_contact = ev_to_contact,
	.print = ev_print,
	.eject = ev_eject,
	.reject = ev_reject,
	.status = ev_status,
	.counters = ev_counters,
	.close = ev_close,
};

int
evolis_open(struct evo_io *io, struct printer **out)
{
	struct printer *p = xcalloc(1, sizeof(*p));
	struct evolis *ev = xcalloc(1, sizeof(*ev));
	int r;

	*out = NULL;
	ev->io = io;
	ev->levels = 128;
	snprintf(ev->ribbon, sizeof(ev->ribbon), "ymcko");
	p->ops = &evolis_ops;
	p->priv = ev;
	if ((r = command_ok(p, "Pem;2")) < 0) {
		r = cp_err_wrap(r, "%s: ", evo_io_name(io));
		evo_io_close(ev->io);
		ev->io = NULL;
		printer_close(p);
		return r;
	}
	*out = p;
	return 0;
}
