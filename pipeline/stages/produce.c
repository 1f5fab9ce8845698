/*
 * produce.c - the production line's loop (see produce.h): claim, check the reader,
 * attempt, feed, contact, encode, print, eject; spoil, reject and remake on a card fault;
 * stop on a line fault or a run of spoiled blanks; pause on printer faults that clear;
 * resolve what a killed run left in flight; the shift report.
 */
#include "pipeline/stages/produce.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/progress.h"
#include "core/hex.h"
#include "personalization/chip/chip_profile.h"
#include "personalization/face/panels.h"
#include "printer/encoder/encoder.h"
#include "printer/printer.h"
#include "pipeline/registry/reg_production.h"
#include "pipeline/registry/registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMP "produce"

struct run {
	struct config *cfg;
	const char *home;
	struct registry *reg;
	struct progress prog; /* cards done of those waiting, on a terminal */
	const struct produce_devices *dev;
	const struct produce_opts *o;
	struct produce_result *res;
	struct printer *p;
	struct printer_job job;
	char shift[32];
	int max_attempts, poll_ms, fault_wait_s, max_consecutive;
	int reached; /* the printer answered once in this run */
	/* blanks spoiled in a row (card or line fault) since the last card produced or the
	 * last printer fault an operator cleared: the circuit breaker's count */
	int consecutive;
	char last_spoil[200];
};

static int
stopping(const struct run *run)
{
	return run->o->stop && *run->o->stop;
}

static void
sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

/*
 * Stop the line for a line fault: the result names the fault, the message says what
 * happened and what the operator does about it. Nothing more is fed in this run.
 */
static int line_stop(struct run *run, int code, const char *fault, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int
line_stop(struct run *run, int code, const char *fault, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(run->res->line_fault, sizeof(run->res->line_fault), "%s", fault);
	return cp_err(code, "line %d stopped, line fault '%s': %s", run->o->line, fault, msg);
}

/* What the operator does about a printer fault that does not clear. */
static const char *
printer_remedy(const char *cause)
{
	static const struct {
		const char *cause, *remedy;
	} r[] = {
		{"cover-open", "close the printer's cover"},
		{"feeder-empty", "load blank cards into the feeder"},
		{"ribbon", "put in a new ribbon"},
		{"card-jam", "clear the jammed card"},
		{"hopper-full", "empty the output hopper"},
		{"hopper-door", "close the hopper door"},
		{"need-cleaning", "clean the printer"},
		{"head", "have the print head checked"},
		{"connection", "check the printer's power, cable and address"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(r); i++)
		if (!strcmp(cause, r[i].cause))
			return r[i].remedy;
	return "clear the printer's fault (see its display)";
}

/* A printer condition that means the host lost the printer. */
static int
cond_lost(enum printer_cond c)
{
	return c == PRN_NO_REPLY || c == PRN_CONNECTION || c == PRN_MALFORMED;
}

/* The spoil reason for a printer failure at a step: every one is the line's (the printer
 * failing is no defect of the card in it). */
static const char *
spoil_reason(enum printer_cond c)
{
	switch (c) {
	case PRN_CARD_JAM:
	case PRN_TIMEOUT: return "jam";
	case PRN_RIBBON: return "ribbon";
	case PRN_COVER_OPEN: return "cover";
	case PRN_FEEDER_EMPTY: return "feeder";
	case PRN_NO_REPLY:
	case PRN_CONNECTION:
	case PRN_MALFORMED: return "connection";
	default: return "printer";
	}
}

static void
drop_printer(struct run *run)
{
	printer_close(run->p);
	run->p = NULL;
}

/* Connect (if needed), set up the job, read the status. */
static int
printer_poll(struct run *run, struct printer_status *st)
{
	int r;

	if (!run->p) {
		if ((r = run->dev->open_printer(run->dev->ctx, &run->p)) < 0)
			return r;
		if ((r = printer_setup_job(run->p, &run->job)) < 0) {
			if (r == CP_ERR_CONFIG)
				return r;
			drop_printer(run);
			return r;
		}
	}
	if ((r = printer_status(run->p, st)) < 0) {
		if (cond_lost(run->p->cond))
			drop_printer(run);
		return r;
	}
	return 0;
}

/*
 * Wait until the printer answers and, when need_clear, reports no fault. The wait is a
 * recorded pause (cause: the first fault seen); an operator stop or produce.fault_wait_s
 * ends it with an error. st gets the last status.
 */
static int
wait_printer(struct run *run, int need_clear, const char *why, struct printer_status *st)
{
	long long pause_id = 0, deadline = cp_mono_ms() + run->fault_wait_s * 1000LL;
	char current[64] = "";
	int r;

	for (;;) {
		char cause[64];

		r = printer_poll(run, st);
		if (r == CP_ERR_CONFIG)
			return r;
		if (r < 0 && !run->reached)
			/* a printer never reached in this run is not a fault to wait out: nothing
			 * of this run is in it */
			return line_stop(
				run, r, "printer-offline",
				"the printer does not answer (%s); switch it on and check "
				"its cable and address (printer.*), then run produce again",
				cp_errmsg());
		if (r == 0)
			run->reached = 1;
		if (r == 0 && (!need_clear || st->fault == PRN_OK)) {
			if (pause_id) {
				log_info(COMP, "line %d: printer fault cleared, resuming",
					 run->o->line);
				if ((r = reg_prod_pause_end(run->reg, pause_id, "cleared")) < 0)
					return r;
				/* someone saw to the printer: the blanks lost to that fault
				 * are not part of a storm (a connection that comes back by
				 * itself is no one's attention) */
				if (strcmp(current, "connection"))
					run->consecutive = 0;
			}
			return 0;
		}
		/* the cause: the printer's fault, or "connection" when it does not answer */
		snprintf(cause, sizeof(cause), "%s",
			 r == 0 ? printer_cond_name(st->fault) : "connection");
		if (strcmp(cause, current)) {
			/* a new fault (or the next one once the first is cleared): a pause of its
			 * own, so that the shift report lists every fault the operator met */
			if (pause_id && (r = reg_prod_pause_end(run->reg, pause_id, "cleared")) < 0)
				return r;
			if ((r = reg_prod_pause_begin(run->reg, run->o->line, run->shift, cause,
						      &pause_id)) < 0)
				return r;
			run->res->pauses++;
			snprintf(current, sizeof(current), "%s", cause);
			log_warn(COMP,
				 "line %d paused (%s): %s; waiting up to %d s for it to clear",
				 run->o->line, why,
				 strcmp(cause, "connection") ? cause : cp_errmsg(),
				 run->fault_wait_s);
		}
		if (stopping(run)) {
			reg_prod_pause_end(run->reg, pause_id, "stopped");
			return cp_err(CP_ERR_INTERRUPTED,
				      "line %d stopped by the operator while paused (%s)",
				      run->o->line, cause);
		}
		if (cp_mono_ms() >= deadline) {
			reg_prod_pause_end(run->reg, pause_id, "timeout");
			return line_stop(run, CP_ERR_TIMEOUT, cause,
					 "printer fault '%s' not cleared within %d s; %s, then run "
					 "produce again",
					 cause, run->fault_wait_s, printer_remedy(cause));
		}
		sleep_ms(run->poll_ms);
	}
}

/* Put a card still in the printer into the reject box. */
static int
reject_card(struct run *run)
{
	struct printer_status st;
	int r;

	for (int tries = 0; tries < 3; tries++) {
		if ((r = wait_printer(run, 0, "printer lost", &st)) < 0)
			return r;
		if (st.pos == PRN_POS_NONE)
			return 0;
		if ((r = printer_reject(run->p)) == 0)
			return 0;
		log_warn(COMP, "line %d: reject failed: %s", run->o->line, cp_errmsg());
		if (cond_lost(run->p->cond))
			drop_printer(run);
		else if (printer_cond_pauses(run->p->cond) &&
			 (r = wait_printer(run, 1, "reject", &st)) < 0)
			return r;
	}
	return cp_err(CP_ERR_DEVICE, "line %d: the printer does not reject its card (%s)",
		      run->o->line, run->p ? run->p->reply : "no connection");
}

/*
 * A failed attempt: get the card out into the reject box and record it spoiled (its fault,
 * card or line, is its reason's). A blank it took counts towards the circuit breaker.
 * When the failure was a printer fault that clears, wait until it does.
 */
static int
spoil(struct run *run, struct prod_attempt *a, const char *reason, enum printer_cond cond,
      const char *detail)
{
	struct printer_status st;
	int r;

	log_warn(COMP, "line %d: card %s attempt %d spoiled (%s fault: %s): %s", run->o->line,
		 a->card_no, a->attempt_no, prod_reason_fault(reason), reason, detail);
	if (run->p && cond_lost(cond))
		drop_printer(run);
	if ((r = reject_card(run)) < 0)
		return r;
	if ((r = reg_prod_attempt_spoiled(run->reg, a, reason, detail)) < 0)
		return r;
	run->res->spoiled++;
	if (a->fed) {
		run->consecutive++;
		snprintf(run->last_spoil, sizeof(run->last_spoil), "%s: %.180s", reason, detail);
	}
	if (printer_cond_pauses(cond) || cond == PRN_CARD_JAM) {
		if ((r = wait_printer(run, 1, reason, &st)) < 0)
			return r;
		/* a person saw to the printer (a ribbon changed, a jam cleared), even when
		 * it was done before the line looked again: not a storm of bad blanks (a
		 * connection that comes back by itself is no one's attention) */
		if (!cond_lost(cond))
			run->consecutive = 0;
	}
	return 0;
}

/* Before a blank is fed: the chip reader must be empty and answer. */
static int
check_reader(struct run *run)
{
	int r;

	if (!run->dev->check_reader || (r = run->dev->check_reader(run->dev->ctx)) == 0)
		return 0;
	if (r == CP_ERR_BUSY)
		return line_stop(run, r, "card-in-reader",
				 "%s before a blank was fed; take that card out of the reader, "
				 "then run produce again (nothing was fed or spoiled)",
				 cp_errmsg());
	return line_stop(run, r, "reader",
			 "the chip reader failed before a blank was fed (%s); check the reader "
			 "and pcscd (cardpipe line status), then run produce again",
			 cp_errmsg());
}

/* The spoil reason of an encoder failure, and whether it is the line's (the reader, the
 * script; a failure the encoder did not classify is taken for the reader's). */
static const char *
encoder_reason(const struct encoder_result *er, int *line)
{
	*line = encoder_outcome_fault(er->outcome) != ENCODER_FAULT_CARD;
	switch (er->outcome) {
	case ENCODER_MISMATCH: return "qc";
	case ENCODER_BAD_SCRIPT:
	case ENCODER_CONFIG: return "script"; /* the line's set-up: the detail says which part */
	case ENCODER_OK:
	case ENCODER_READER: return "reader";
	default: return "chip";
	}
}

/* What the operator must fix before a line fault of the encoder clears. */
static const char *
line_remedy(enum encoder_outcome o)
{
	switch (o) {
	case ENCODER_BAD_SCRIPT: return "make the line's perso batches again (cardpipe perso)";
	case ENCODER_CONFIG:
		return "check the stock's chip profile (kvn, diversification) and the line's KMC "
		       "against the batch of blanks";
	default: return "check the reader and pcscd (cardpipe line status)";
	}
}

/* One attempt at one card. Returns 0 when the attempt ended (produced or spoiled), a
 * negative code when the line must stop. */
static int
attempt(struct run *run, const struct card_row *card, const struct panel_set *front,
	const struct panel_set *back, int *produced)
{
	struct prod_attempt a = {0};
	struct printer_status st;
	struct encoder_result er;
	char detail[400];
	const char *step;
	int r;

	*produced = 0;
	if ((r = wait_printer(run, 1, "before feeding", &st)) < 0)
		return r;
	if (st.pos != PRN_POS_NONE) {
		/* a card nobody accounts for (an operator's, a previous run's): out with it */
		log_warn(COMP, "line %d: a card was left in the printer; rejecting it",
			 run->o->line);
		if ((r = reject_card(run)) < 0)
			return r;
	}
	if ((r = check_reader(run)) < 0)
		return r;
	if ((r = reg_prod_attempt_begin(run->reg, card->id, run->o->line, run->shift, &a)) < 0)
		return r;
	snprintf(a.card_no, sizeof(a.card_no), "%s", card->card_no);

	step = "feed";
	if ((r = printer_feed(run->p)) < 0)
		goto printer_failed;
	if ((r = reg_prod_attempt_step(run->reg, &a, "fed", NULL)) < 0)
		return r;
	step = "contact";
	if ((r = printer_to_contact(run->p)) < 0)
		goto printer_failed;
	if ((r = reg_prod_attempt_step(run->reg, &a, "contact", NULL)) < 0)
		return r;

	memset(&er, 0, sizeof(er));
	if ((r = run->dev->encode(run->dev->ctx, card, &er)) < 0 || er.outcome != ENCODER_OK) {
		int line;
		const char *reason = encoder_reason(&er, &line);

		snprintf(detail, sizeof(detail), "%s: %s", encoder_outcome_name(er.outcome),
			 er.reason[0] ? er.reason : cp_errmsg());
		if ((r = spoil(run, &a, reason, PRN_OK, detail)) < 0)
			return r;
		if (line)
			return line_stop(run, CP_ERR_DEVICE, reason,
					 "the chip encoder failed, not the card (%s); %s, then run "
					 "produce again",
					 detail, line_remedy(er.outcome));
		return 0;
	}
	if (!er.locked_at[0]) /* issued means locked: never print an unlocked chip */
		return spoil(run, &a, "chip", PRN_OK, "lock-failed: the encoder reported no lock");
	if ((r = reg_prod_attempt_encoded(run->reg, &a, er.card_id, er.locked_at)) < 0)
		return r;
	step = "print";
	if ((r = printer_print(run->p, front, back)) < 0)
		goto printer_failed;
	if ((r = reg_prod_attempt_step(run->reg, &a, "printed", NULL)) < 0)
		return r;
	step = "eject";
	if ((r = printer_eject(run->p)) < 0)
		goto printer_failed;
	if ((r = reg_prod_attempt_produced(run->reg, &a)) < 0)
		return r;
	*produced = 1;
	return 0;

printer_failed:
	if (r == CP_ERR_INVALID || r == CP_ERR_CONFIG) {
		/* our own set-up is wrong (the job, the panels): spoil, then stop the line */
		int keep = r;

		snprintf(detail, sizeof(detail), "%s: %s", step, cp_errmsg());
		if ((r = spoil(run, &a, "print", PRN_OK, detail)) < 0)
			return r;
		return cp_err(keep, "line %d: %s", run->o->line, detail);
	}
	{
		enum printer_cond cond = run->p ? run->p->cond : PRN_CONNECTION;
		const char *reason = spoil_reason(cond);

		snprintf(detail, sizeof(detail), "%s: %s (%s)", step, printer_cond_name(cond),
			 cp_errmsg());
		if (cond == PRN_FEEDER_EMPTY && !a.fed) {
			/* nothing was fed: the attempt ends without a physical card */
			snprintf(detail, sizeof(detail), "feed: feeder empty, no card was fed");
		}
		if ((r = spoil(run, &a, reason, cond, detail)) < 0)
			return r;
		if (!strcmp(reason, "printer"))
			/* a printer error that does not clear by itself: the next blank would
			 * meet it too */
			return line_stop(
				run, CP_ERR_DEVICE, "printer",
				"the printer failed at '%s' (%s); look at the printer (its "
				"display, a card in the way), then run produce again",
				step, printer_cond_name(cond));
		return 0;
	}
}

/* Resolve the attempts a killed run left in flight (docs/production-line.md). */
static int
recover(struct run *run)
{
	struct prod_attempt *v = NULL;
	struct printer_status st;
	size_t n = 0;
	int r;

	if ((r = reg_prod_in_flight(run->reg, run->o->line, &v, &n)) < 0 || n == 0)
		goto out;
	if ((r = wait_printer(run, 0, "recovery", &st)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct prod_attempt *a = &v[i];
		char detail[160];

		if (i == n - 1 && !strcmp(a->step, "printed") && a->chip_id[0] && a->locked_at[0] &&
		    (st.pos == PRN_POS_NONE || st.pos == PRN_POS_PRINT)) {
			/* encoded, read back, locked and printed: the card is good. Either the printer
			 * has let it out (the eject went through before the run was killed) or
			 * it still holds it at the print position, and the eject completes it */
			if (st.pos == PRN_POS_PRINT && printer_eject(run->p) < 0) {
				log_warn(COMP,
					 "line %d: eject of card %s after the interruption "
					 "failed: %s",
					 run->o->line, a->card_no, cp_errmsg());
				goto spoil_it;
			}
			log_info(COMP,
				 "line %d: card %s attempt %d completed after the interruption",
				 run->o->line, a->card_no, a->attempt_no);
			if ((r = reg_prod_attempt_produced(run->reg, a)) < 0)
				goto out;
			run->res->produced++;
			continue;
		}
	spoil_it:
		snprintf(detail, sizeof(detail), "run interrupted at step '%s'", a->step);
		if (i == n - 1 && st.pos != PRN_POS_NONE && (r = reject_card(run)) < 0)
			goto out;
		log_warn(COMP, "line %d: card %s attempt %d spoiled (interrupted at '%s')",
			 run->o->line, a->card_no, a->attempt_no, a->step);
		if ((r = reg_prod_attempt_spoiled(run->reg, a, "interrupted", detail)) < 0)
			goto out;
		run->res->spoiled++;
	}
out:
	free(v);
	return r;
}

/* Produce one claimed card: attempts until produced, held, or the line stops. */
static int
produce_card(struct run *run, const struct card_row *card)
{
	struct panel_set ps = {0}, back = {0};
	char *dir = NULL, *spool = config_path(run->cfg, "paths.spool", run->home), *bpath;
	char reason[160];
	int r, fed, faults, produced = 0, has_back;

	dir = xasprintf("%s/faces/%s", spool, card->card_no);
	/* the back is printed when the card has one (render draws both sides) */
	bpath = fs_join(dir, "back-ymc.png");
	has_back = fs_exists(bpath);
	free(bpath);
	if ((r = panels_load(dir, "front", &ps)) == 0 && has_back)
		r = panels_load(dir, "back", &back);
	if (r == 0 && (ps.lines != PRINTER_WIDTH || ps.dots != PRINTER_HEIGHT ||
		       (has_back && (back.lines != PRINTER_WIDTH || back.dots != PRINTER_HEIGHT))))
		r = cp_err(CP_ERR_FORMAT,
			   "panels of '%s' are %d lines of %d dots, the printer "
			   "takes %d of %d",
			   dir, ps.lines, ps.dots, PRINTER_WIDTH, PRINTER_HEIGHT);
	if (r < 0) {
		snprintf(reason, sizeof(reason), "faces: %.140s", cp_errmsg());
		log_error(COMP, "card %s held: %s", card->card_no, reason);
		if ((r = reg_prod_hold(run->reg, card->id, reason)) == 0)
			run->res->held++;
		goto out;
	}
	for (;;) {
		if ((r = reg_prod_card_attempts(run->reg, card->id, &fed, &faults)) < 0)
			goto out;
		/* the circuit breaker: a storm of spoiled blanks (a bad batch of chips, an
		 * encoder that fails every card) stops the line before it burns more */
		if (run->consecutive >= run->max_consecutive) {
			r = line_stop(run, CP_ERR_DEVICE, "consecutive-spoils",
				      "%d blanks spoiled in a row (the last: %s); check the blanks "
				      "in the feeder (a bad batch?), the encoder and the printer, "
				      "then run produce again",
				      run->consecutive, run->last_spoil);
			goto out;
		}
		/* a card is held when it failed max_attempts times for its own fault (chip,
		 * read-back, print); the line's faults are never charged to the card */
		if (faults >= run->max_attempts) {
			snprintf(reason, sizeof(reason),
				 "spoiled %d times on line %d (%d for the card, "
				 "%d for the line)",
				 fed, run->o->line, faults, fed - faults);
			log_warn(COMP, "card %s held for a person: %s", card->card_no, reason);
			if ((r = reg_prod_hold(run->reg, card->id, reason)) == 0)
				run->res->held++;
			goto out;
		}
		if (stopping(run)) {
			r = CP_ERR_INTERRUPTED;
			goto out;
		}
		if ((r = attempt(run, card, &ps, has_back ? &back : NULL, &produced)) < 0)
			goto out;
		if (produced) {
			run->consecutive = 0;
			run->res->produced++;
			log_info(COMP, "line %d: card %s produced", run->o->line, card->card_no);
			goto out;
		}
	}
out:
	panel_set_release(&ps);
	panel_set_release(&back);
	free(dir);
	free(spool);
	return r;
}

int
produce_run_with(struct config *cfg, const char *home, struct registry *reg,
		 const struct produce_devices *dev, const struct produce_opts *o,
		 struct produce_result *res)
{
	struct run run = {.cfg = cfg, .home = home, .reg = reg, .dev = dev, .o = o, .res = res};
	struct card_row card;
	/* cards of other lines seen in this run, as a JSON array for the claim query */
	struct buf ids = BUF_INIT(1 << 20), json = BUF_INIT(1 << 20);
	long done = 0, before;
	int r, rr;

	memset(res, 0, sizeof(*res));
	if (o->line < 1 || o->line > 99)
		return cp_err(CP_ERR_USAGE, "line %d is not 1..99", o->line);
	run.max_attempts = (int)config_int(cfg, "produce.max_attempts");
	run.poll_ms = (int)config_int(cfg, "produce.poll_ms");
	run.fault_wait_s = (int)config_int(cfg, "produce.fault_wait_s");
	run.max_consecutive = (int)config_int(cfg, "produce.max_consecutive_spoils");
	printer_job_config(cfg, &run.job);
	produce_shift_of(cp_now(), (int)config_int(cfg, "produce.shift_hours"), run.shift,
			 sizeof(run.shift));
	snprintf(res->shift, sizeof(res->shift), "%s", run.shift);
	if ((r = recover(&run)) < 0)
		goto out;
	if (!o->card_no) {
		long long waiting = 0;

		if ((r = reg_prod_waiting(reg, o->line, &waiting)) < 0)
			goto out;
		if (o->max_cards && waiting > o->max_cards)
			waiting = o->max_cards;
		progress_start(&run.prog, "produce", waiting);
	}
	while (!o->max_cards || done < o->max_cards) {
		if (stopping(&run)) {
			res->stopped = 1;
			break;
		}
		r = o->card_no ? reg_prod_claim_card(reg, o->line, o->card_no, &card)
			       : reg_prod_claim_next(reg, o->line, json.len ? buf_str(&json) : NULL,
						     &card);
		if (r == CP_ERR_NOTFOUND && !o->card_no) {
			r = 0;
			break;
		}
		if (r < 0)
			goto out;
		if (dev->prepare && (r = dev->prepare(dev->ctx, &card)) < 0) {
			char *msg = xstrdup(cp_errmsg());

			reg_prod_release(reg, o->line, card.id);
			if (r == CP_ERR_DEVICE) /* the encoder's reader is not there */
				r = line_stop(&run, r, "reader",
					      "%s; check the reader and pcscd (cardpipe line "
					      "status), then run produce again",
					      msg);
			else
				r = cp_err(r, "%s", msg);
			free(msg);
			if (r != CP_ERR_NOTFOUND || o->card_no)
				goto out;
			/* another line's card: leave it, remember not to claim it again */
			log_info(COMP, "line %d: %s; left for its line", o->line, cp_errmsg());
			buf_appendf(&ids, "%s%lld", ids.len ? "," : "", card.id);
			buf_reset(&json);
			buf_appendf(&json, "[%s]", buf_str(&ids));
			continue;
		}
		before = res->produced;
		r = produce_card(&run, &card);
		if (r == CP_ERR_INTERRUPTED) {
			res->stopped = 1;
			reg_prod_release(reg, o->line, card.id);
			break;
		}
		if (r < 0) {
			/* a line fault leaves the card queued, for any line */
			if (res->line_fault[0]) {
				char *msg = xstrdup(cp_errmsg());

				reg_prod_release(reg, o->line, card.id);
				r = cp_err(r, "%s", msg);
				free(msg);
			}
			goto out;
		}
		done += res->produced - before; /* --max-cards counts cards produced */
		progress_update(&run.prog, res->produced + res->held);
		if (o->card_no)
			break;
	}
	r = 0;
out:
	progress_end(&run.prog);
	if (r == CP_ERR_INTERRUPTED) {
		res->stopped = 1;
		r = 0;
	}
	if (res->stopped)
		log_warn(COMP, "line %d stopped by the operator", o->line);
	drop_printer(&run);
	{
		int keep = r;
		const char *msg = r < 0 ? xstrdup(cp_errmsg()) : NULL;

		rr = produce_write_shift_report(cfg, home, reg, o->line, run.shift, res->report,
						sizeof(res->report));
		if (keep < 0) {
			r = cp_err(keep, "%s", msg);
		} else {
			r = rr;
		}
		free((char *)msg);
	}
	buf_release(&ids);
	buf_release(&json);
	log_info(COMP, "line %d: %ld produced, %ld spoiled, %ld held, %ld pauses (shift %s)",
		 o->line, res->produced, res->spoiled, res->held, res->pauses, run.shift);
	return r;
}

int
produce_pick_stock(const struct chip_profiles *stocks, const unsigned char *atr, size_t atr_len,
		   const struct chip_profile **out)
{
	char hex[2 * CHIP_ATR_MAX + 1], names[256] = "";
	size_t n = 0;

	if ((*out = chip_profiles_match(stocks, atr, atr_len)))
		return 0;
	for (size_t i = 0; i < stocks->n && n < sizeof names; i++)
		n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "",
				      stocks->p[i]->name);
	hex_encode(atr, atr_len < CHIP_ATR_MAX ? atr_len : CHIP_ATR_MAX, hex);
	return cp_err(CP_ERR_UNSUPPORTED,
		      "ATR %s matches no chip profile (this line knows %s): a card of an unknown "
		      "stock is not personalised",
		      hex, stocks->n ? names : "no stock");
}
