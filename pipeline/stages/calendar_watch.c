/*
 * calendar_watch.c - warns before the working-day calendar runs out (see calendar_watch.h).
 */
#include "pipeline/stages/calendar_watch.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "pipeline/rules/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
date_text(long day, char out[11])
{
	int y, m, d;

	cp_civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static int
check(const struct config *cfg, const char *home, struct calendar_watch *w)
{
	long long warn = config_int(cfg, "calendar.warn_days");
	struct calendar *cal = NULL;
	char *conf, *path, today[11], last[11];
	int y, m, d, r;

	cp_business_date(cp_now(), today, sizeof(today));
	if (cp_parse_date(today, &y, &m, &d) < 0)
		return cp_err(CP_ERR_INVALID, "today '%s' is not a date", today);
	w->today = cp_days_from_civil(y, m, d);
	conf = config_path(cfg, "paths.calendar", home);
	path = calendar_locate(conf, home);
	free(conf);
	r = calendar_load(path, &cal);
	free(path);
	if (r < 0)
		return cp_err_wrap(r, "working-day calendar: ");
	if (calendar_last_day(cal, w->today, &w->last) < 0) {
		w->last = -1;
		w->expiring = 1;
		snprintf(w->message, sizeof(w->message),
			 "the working-day calendar %s does not cover today (%s): replacements are "
			 "held as calendar-missing until the State Council's notice for %d is "
			 "imported (cardpipe calendar import NOTICE)",
			 calendar_path(cal), today, y);
	} else {
		w->days_left = w->last - w->today;
		if (w->days_left < warn) {
			cp_civil_from_days(w->last, &y, &m, &d);
			date_text(w->last, last);
			w->expiring = 1;
			snprintf(w->message, sizeof(w->message),
				 "the working-day calendar %s ends on %s, in %ld day(s) "
				 "(calendar.warn_days is %lld): replacements due after it are held "
				 "as "
				 "calendar-missing; import the State Council's notice for %d "
				 "(cardpipe calendar import NOTICE)",
				 calendar_path(cal), last, w->days_left, warn, y + 1);
		}
	}
	calendar_free(cal);
	return 0;
}

int
calendar_watch_check(const struct config *cfg, const char *home, struct calendar_watch *w)
{
	int r;

	memset(w, 0, sizeof(*w));
	if ((r = check(cfg, home, w)) < 0)
		snprintf(w->message, sizeof(w->message), "%s", cp_errmsg());
	return r;
}

int
calendar_watch_warn(const struct config *cfg, const char *home, const char *component)
{
	struct calendar_watch w;

	if (calendar_watch_check(cfg, home, &w) < 0) {
		log_warn(component, "%s", cp_errmsg());
		return 1;
	}
	if (w.expiring)
		log_warn(component, "%s", w.message);
	return w.expiring;
}
