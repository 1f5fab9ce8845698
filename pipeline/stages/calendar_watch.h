/*
 * calendar_watch.h - is the working-day calendar about to run out? From calendar.warn_days
 * before its last day, every run warns (stage commands and nightly), the run report shows it
 * in red and `db check` prints a WARN line: next year's notice must be imported
 * (`cardpipe calendar import`) before replacements fall due in a year it does not cover.
 */
#ifndef CP_CALENDAR_WATCH_H
#define CP_CALENDAR_WATCH_H

#include <stddef.h>

struct config;

struct calendar_watch {
	int expiring;	   /* 1: today + calendar.warn_days is past the last day */
	long today, last;  /* days; last = -1 when today's year is not covered at all */
	long days_left;	   /* last - today */
	char message[640]; /* the warning, when expiring */
};

/* Check the calendar of this home for today (cp_now()'s Beijing date). 0 with *w filled, or
 * <0 (the error also in w->message) when the calendar cannot be loaded or
 * calendar.warn_days is out of range. */
int calendar_watch_check(const struct config *cfg, const char *home, struct calendar_watch *w);
/* Check, and log a warning when the calendar runs out soon (or cannot be loaded). 1 when
 * it warned, 0 when not. */
int calendar_watch_warn(const struct config *cfg, const char *home, const char *component);

#endif
