/*
 * calendar.h - Chinese working days: a working day is Monday to Friday outside the public
 * holidays, or a make-up working day (调休上班). The holidays and
 * make-up days come from a data file per year (data/calendar.txt, format in
 * docs/calendar-format.md); a date in a year the file does not cover is an error, never a guess.
 */
#ifndef CP_CALENDAR_H
#define CP_CALENDAR_H

#include "core/buf.h"

#include <stddef.h>

struct calendar;

/* Load a calendar file. path NULL or "" (paths.calendar unset): the shipped one, the first
 * that exists in the data folders fs_find_data() searches ($CARDPIPE_DATA, beside the
 * program, the installed share/cardpipe). CP_ERR_NOTFOUND when there is none, CP_ERR_FORMAT with
 * the file and line for a malformed file. */
int calendar_load(const char *path, struct calendar **out);
/* Parse a calendar from memory (name is used in messages). */
int calendar_parse(const char *text, size_t len, const char *name, struct calendar **out);
void calendar_free(struct calendar *cal);

/* 1 working day, 0 not, CP_ERR_NOTFOUND for a year the calendar does not cover.
 * Dates are days since 1970-01-01 (cp_days_from_civil). */
int calendar_is_working_day(const struct calendar *cal, long day);
/* The date n working days after day (day itself not counted; n < 0 counts back, n == 0
 * gives day). 0, or CP_ERR_NOTFOUND when the count runs into a year not covered. */
int calendar_add_working_days(const struct calendar *cal, long day, int n, long *result);
/* A holiday's name for day ("国庆节"), or NULL. */
const char *calendar_holiday_name(const struct calendar *cal, long day);
/* For a make-up working day (调休上班), the holiday it belongs to ("国庆节"), or NULL. */
const char *calendar_makeup_name(const struct calendar *cal, long day);
/* 1 if the calendar covers year, else 0. */
int calendar_covers_year(const struct calendar *cal, int year);
/* The path it was loaded from ("" when parsed from memory). */
const char *calendar_path(const struct calendar *cal);
/* The last day of the run of consecutive covered years that holds day: when counting from
 * day runs out of calendar. CP_ERR_NOTFOUND when day's year is not covered. */
int calendar_last_day(const struct calendar *cal, long day, long *last);
/* The working days of a covered year, or CP_ERR_NOTFOUND. */
int calendar_working_days(const struct calendar *cal, int year);

/* ---- the calendar file (calendar_edit.c) ---- */

/* The comment that opens a calendar file cardpipe creates. */
extern const char calendar_header[];
/* The calendar file to use: configured (paths.calendar, already resolved) when not empty,
 * else CARDPIPE_HOME/calendar.txt when it exists (what `cardpipe calendar import` writes),
 * else NULL: the shipped one. Newly allocated. */
char *calendar_locate(const char *configured, const char *home);
/* Put a year's block (lines ending in newlines) into a calendar file's text: in year order,
 * a blank line between blocks, every other byte kept. An empty text starts with
 * calendar_header. An existing year is CP_ERR_EXISTS unless replace, which swaps that year's
 * lines (up to its last statement) for the block. */
int calendar_put_year(const char *text, size_t len, int year, const char *block, int replace,
		      struct buf *out);

#endif
