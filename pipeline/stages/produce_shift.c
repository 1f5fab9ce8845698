/*
 * produce_shift.c - shifts and the shift report of a production line: counts per line
 * and shift from the registry (fed, produced, spoiled by reason, held, pauses), with the
 * identities they must satisfy checked and printed, written crash-safely under out/shift/.
 */
#include "pipeline/stages/produce.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "pipeline/registry/reg_production.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
produce_shift_of(time_t t, int shift_hours, char *out, size_t outsz)
{
	char date[16];
	time_t lt = t + cp_utc_offset(t); /* the bureau's wall clock */
	long secs = (long)(((lt % 86400) + 86400) % 86400);

	if (shift_hours < 1 || shift_hours > 24)
		shift_hours = 24;
	cp_business_date(t, date, sizeof(date));
	snprintf(out, outsz, "%s/%ld", date, 1 + secs / 3600 / shift_hours);
}

int
produce_write_shift_report(struct config *cfg, const char *home, struct registry *reg, int line,
			   const char *shift, char *path, size_t pathsz)
{
	struct prod_counts c;
	char ts[32], name[64], *dir = NULL, *outdir = NULL, *text = NULL;
	size_t len = 0;
	long reasons = 0;
	FILE *f;
	int r;

	if (path && pathsz)
		path[0] = '\0';
	if ((r = reg_prod_counts(reg, line, shift, &c)) < 0)
		return r;
	for (size_t i = 0; i < PROD_NREASONS; i++)
		reasons += c.by_reason[i];
	cp_iso_utc(cp_now(), ts, sizeof(ts));
	f = open_memstream(&text, &len);
	fprintf(f, "# cardpipe shift report (docs/production-line.md)\n");
	fprintf(f, "line: %d\nshift: %s\nwritten_at: %s\n", line, shift, ts);
	fprintf(f, "attempts: %ld\nfed: %ld\nproduced: %ld\nspoiled: %ld\n", c.attempts, c.fed,
		c.produced, c.spoiled);
	fprintf(f, "spoiled_after_feeding: %ld\nspoiled_not_fed: %ld\n", c.spoiled_fed, c.not_fed);
	/* whose fault: the card's (chip, print, qc) or the line's (every other reason) */
	fprintf(f, "spoiled_card: %ld\nspoiled_line: %ld\n", c.spoiled_card, c.spoiled_line);
	for (size_t i = 0; i < PROD_NREASONS; i++)
		fprintf(f, "spoiled.%s: %ld\n", prod_reasons[i], c.by_reason[i]);
	fprintf(f, "in_flight: %ld\nheld: %ld\npauses: %ld\n", c.in_flight, c.held, c.pauses);
	/* issued means locked (GP SECURED): every produced card, and the spoiled ones that were
	 * locked before they failed (destroyed like the others) */
	fprintf(f, "locked: %ld\nspoiled_after_lock: %ld\n", c.locked, c.spoiled_locked);
	/* the identities the counts must satisfy: a report that does not add up says so */
	fprintf(f, "check.attempts: %s\n",
		c.attempts == c.produced + c.spoiled + c.in_flight ? "ok" : "MISMATCH");
	fprintf(f, "check.fed: %s\n",
		c.fed >= c.produced + c.spoiled_fed &&
				c.fed <= c.produced + c.spoiled_fed + c.in_flight
			? "ok"
			: "MISMATCH");
	fprintf(f, "check.reasons: %s\n", reasons == c.spoiled ? "ok" : "MISMATCH");
	fprintf(f, "check.locked: %s\n", c.locked == c.produced ? "ok" : "MISMATCH");
	fprintf(f, "check.faults: %s\n",
		c.spoiled_card + c.spoiled_line == c.spoiled ? "ok" : "MISMATCH");
	fclose(f);

	outdir = config_path(cfg, "paths.out", home);
	dir = fs_join(outdir, "shift");
	{
		char date[16] = "", *slash;
		const char *sn = "";

		snprintf(date, sizeof(date), "%s", shift);
		if ((slash = strchr(date, '/'))) {
			*slash = '\0';
			sn = strchr(shift, '/') + 1;
		}
		snprintf(name, sizeof(name), "line%d-%s-s%s.txt", line, date, sn);
	}
	if ((r = fs_mkdirs(dir, 0700)) == 0) {
		char *p = fs_join(dir, name);

		r = fs_write_atomic(p, text, len, 0600);
		if (r == 0 && path)
			snprintf(path, pathsz, "%s", p);
		free(p);
	}
	free(text);
	free(dir);
	free(outdir);
	return r;
}
