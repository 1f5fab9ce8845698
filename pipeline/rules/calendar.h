/*
 * calendar.h - Chinese working days (domain.md section 6): a working day is Monday to
 * Friday outside the public holidays, or a make-up working day (调休上班). The holidays and
 * make-up days come from a data file per year (data/calendar.txt, format in
 * docs/calendar-format.md); a date in a year the file does not cover is an error, never a guess.
 */
#ifndef CP_CALENDAR_H
#define CP_CALENDAR_H

struct calendar;

/* Load a calendar file (NULL: the one shipped in data/, found next to the program or
 * through CARDPIPE_DATA). */
int calendar_load(const char *path, struct calendar **out);
void calendar_free(struct calendar *cal);

/* 1 working day, 0 not, CP_ERR_NOTFOUND for a year the calendar does not cover.
 * Dates are days since 1970-01-01 (cp_days_from_civil). */
int calendar_is_working_day(const struct calendar *cal, long day);
/* The date n working days after day (day itself not counted). 0 or CP_ERR_NOTFOUND. */
int calendar_add_working_days(const struct calendar *cal, long day, int n, long *result);
/* A holiday's name for day ("国庆节"), or NULL. */
const char *calendar_holiday_name(const struct calendar *cal, long day);

#endif
