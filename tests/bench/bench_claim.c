/*
 * bench_claim.c - make bench's claim measure: the registry's work of producing cards on K
 * lines at once, without the printer, the reader or the chip, so that what shows is how
 * claiming scales on each registry backend (SQLite: one writer at a time; PostgreSQL: a
 * line's transactions wait only for its own rows, the next free card read FOR UPDATE SKIP
 * LOCKED).
 *
 * Usage: bench-claim LINES
 * CARDPIPE_HOME's configuration (cardpipe.conf, then CARDPIPE_* from the environment:
 * registry.url, registry.password_file) and its own audit key open the registry as
 * cardpipe does (ctx_open_registry()). LINES processes, one per line 1..LINES, each with
 * its own connection, start together and take cards until none is left, each card with the
 * registry calls `cardpipe produce` makes for a card produced at the first attempt:
 * reg_prod_claim_next(), reg_prod_card_attempts(), reg_prod_attempt_begin(), the steps
 * fed and contact, reg_prod_attempt_encoded() (a chip id of the bench's own, "BENCH" and
 * the card's id, locked at the registry's now), the step printed, reg_prod_attempt_produced():
 * seven transactions and a read, the same invariants (the card must be rendered and this line's claim, the
 * chip locked, its id unique). The cards must be 'rendered' and claimable by every line
 * (rendered with render.from_allocated: in no perso batch). Prints
 *   claim LINES CARDS SECONDS CLAIM_MS CARD_MS PEAK_KIB PER_LINE
 * SECONDS from the start to the last line's end (its registry closed), CLAIM_MS the mean
 * wall time of reg_prod_claim_next() and CARD_MS of a whole card in a line, PEAK_KIB the
 * largest peak RSS of a line's process, PER_LINE the cards of each line ("250/248/...").
 */
#include "core/config.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/registry/reg_production.h"
#include "pipeline/registry/registry.h"
#include "pipeline/stages/produce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 16

/* A line's result, written to the parent in one write (less than PIPE_BUF). */
struct result {
	int line, failed;
	long cards;
	double claim_s, card_s;
	char err[256];
};

/* One card's registry work after its claim, as produce records an attempt that works. */
static int
produce_one(struct registry *reg, const struct card_row *card, int line, const char *shift)
{
	struct prod_attempt a;
	char chip[32], locked[32];
	int fed, faults, r;

	if ((r = reg_prod_card_attempts(reg, card->id, &fed, &faults)) < 0 ||
	    (r = reg_prod_attempt_begin(reg, card->id, line, shift, &a)) < 0)
		return r;
	snprintf(a.card_no, sizeof(a.card_no), "%s", card->card_no);
	if ((r = reg_prod_attempt_step(reg, &a, "fed", NULL)) < 0 ||
	    (r = reg_prod_attempt_step(reg, &a, "contact", NULL)) < 0)
		return r;
	snprintf(chip, sizeof(chip), "BENCH%012lld", card->id);
	cp_iso_utc(cp_now(), locked, sizeof(locked)); /* the registry's clock */
	if ((r = reg_prod_attempt_encoded(reg, &a, chip, locked)) < 0 ||
	    (r = reg_prod_attempt_step(reg, &a, "printed", NULL)) < 0)
		return r;
	return reg_prod_attempt_produced(reg, &a);
}

/* A line's process: open, say ready, wait for the start, take cards until none is left. */
static void
run_line(struct cp_ctx *ctx, int line, int ready_fd, int go_fd, int out_fd)
{
	struct result res = {.line = line};
	struct registry *reg = NULL;
	struct card_row card;
	char actor[32], shift[32], c;
	int r;

	produce_shift_of(cp_now(), (int)config_int(ctx->cfg, "produce.shift_hours"), shift,
			 sizeof(shift));
	if ((r = ctx_open_registry(ctx, 0, &reg)) == 0) {
		snprintf(actor, sizeof(actor), "produce:line%d", line);
		registry_set_actor(reg, actor);
	}
	/* closed once written: a line that dies before it is ready closes it too, so the
	 * parent's wait for the lines to be ready always ends */
	if (write(ready_fd, "r", 1) != 1)
		r = r < 0 ? r : cp_err(CP_ERR_IO, "ready signal");
	close(ready_fd);
	if (read(go_fd, &c, 1) < 0)
		r = r < 0 ? r : cp_err(CP_ERR_IO, "start signal");
	while (r == 0) {
		double t0 = cp_mono_ms() / 1e3, t1;

		r = reg_prod_claim_next(reg, line, NULL, &card);
		t1 = cp_mono_ms() / 1e3;
		if (r == CP_ERR_NOTFOUND) {
			r = 0;
			break;
		}
		if (r < 0 || (r = produce_one(reg, &card, line, shift)) < 0)
			break;
		res.claim_s += t1 - t0;
		res.card_s += cp_mono_ms() / 1e3 - t0;
		res.cards++;
	}
	if (r < 0) {
		res.failed = 1;
		snprintf(res.err, sizeof(res.err), "line %d: %s", line,
			 cp_errmsg()[0] ? cp_errmsg() : cp_strerror(r));
	}
	registry_close(reg);
	if (write(out_fd, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(3);
	_exit(res.failed ? 1 : 0);
}

int
main(int argc, char **argv)
{
	struct cp_ctx ctx = {.flags = RUN_REGISTRY};
	struct result res[MAX_LINES];
	const char *home = getenv("CARDPIPE_HOME");
	char *conf, per_line[MAX_LINES * 12] = "", c;
	int lines, ready[2], go[2], out[2], failed = 0;
	long cards = 0;
	double t0, secs, claim_s = 0, card_s = 0;
	struct rusage ru;

	lines = argc == 2 ? atoi(argv[1]) : 0;
	if (lines < 1 || lines > MAX_LINES || !home || !*home) {
		fprintf(stderr, "usage: CARDPIPE_HOME=HOME bench-claim LINES (1..%d)\n", MAX_LINES);
		return 2;
	}
	ctx.home = xstrdup(home);
	ctx.cfg = config_new();
	conf = fs_join(home, "cardpipe.conf");
	if ((fs_exists(conf) && config_load_file(ctx.cfg, conf) < 0) ||
	    config_load_env(ctx.cfg) < 0 ||
	    cp_set_timezone(config_str(ctx.cfg, "general.timezone")) < 0) {
		fprintf(stderr, "bench-claim: %s\n", cp_errmsg());
		return 1;
	}
	free(conf);
	if (pipe(ready) < 0 || pipe(go) < 0 || pipe(out) < 0) {
		perror("bench-claim: pipe");
		return 1;
	}
	fflush(NULL);
	for (int i = 1; i <= lines; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("bench-claim: fork");
			return 1;
		}
		if (pid == 0) {
			close(ready[0]);
			close(go[1]);
			close(out[0]);
			run_line(&ctx, i, ready[1], go[0], out[1]);
		}
	}
	close(ready[1]);
	close(go[0]);
	close(out[1]);
	/* every line has its connection open: start them together */
	for (int i = 0; i < lines; i++)
		if (read(ready[0], &c, 1) != 1)
			break;
	t0 = cp_mono_ms() / 1e3;
	close(go[1]);
	for (int i = 0; i < lines; i++)
		if (read(out[0], &res[i], sizeof(res[i])) != (ssize_t)sizeof(res[i])) {
			fprintf(stderr, "bench-claim: a line ended without a result\n");
			failed = 1;
			res[i].cards = 0;
			res[i].line = 0;
		}
	while (wait(NULL) > 0)
		;
	secs = cp_mono_ms() / 1e3 - t0;
	getrusage(RUSAGE_CHILDREN, &ru);
	for (int l = 1; l <= lines; l++)
		for (int i = 0; i < lines; i++) {
			if (res[i].line != l)
				continue;
			if (res[i].failed) {
				fprintf(stderr, "bench-claim: %s\n", res[i].err);
				failed = 1;
			}
			cards += res[i].cards;
			claim_s += res[i].claim_s;
			card_s += res[i].card_s;
			snprintf(per_line + strlen(per_line), sizeof(per_line) - strlen(per_line),
				 "%s%ld", l > 1 ? "/" : "", res[i].cards);
		}
	printf("claim %d %ld %.2f %.2f %.2f %ld %s\n", lines, cards, secs,
	       cards ? claim_s * 1000 / (double)cards : 0,
	       cards ? card_s * 1000 / (double)cards : 0, ru.ru_maxrss, per_line);
	config_free(ctx.cfg);
	free(ctx.home);
	return failed;
}
