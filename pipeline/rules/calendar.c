/*
 * calendar.c - the working-day calendar: loads data/calendar.txt (docs/calendar-format.md)
 * into a sorted table of holiday and make-up days, and answers working-day questions for
 * the years the file declares. A year it does not declare is CP_ERR_NOTFOUND, never a guess.
 */
#include "pipeline/rules/calendar.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAL_MAX_BYTES (1024 * 1024) /* a century of notices is a few hundred KB at most */
#define CAL_MAX_RANGE 31	    /* no holiday is longer than a month */
#define CAL_MAX_NAME 200

enum day_kind { DAY_HOLIDAY = 'H', DAY_MAKEUP = 'W' };

struct cal_day {
	long day;
	char kind;
	const char *name; /* points into names[] */
	int line;
};

struct calendar {
	struct cal_day *days;
	size_t ndays, capdays;
	int *years;
	size_t nyears;
	char **names;
	size_t nnames;
	char *path;
};

void
calendar_free(struct calendar *cal)
{
	if (!cal)
		return;
	for (size_t i = 0; i < cal->nnames; i++)
		free(cal->names[i]);
	free(cal->names);
	free(cal->days);
	free(cal->years);
	free(cal->path);
	free(cal);
}

static const char *
keep_name(struct calendar *cal, const char *name)
{
	cal->names = xrealloc(cal->names, (cal->nnames + 1) * sizeof(*cal->names));
	cal->names[cal->nnames] = xstrdup(name);
	return cal->names[cal->nnames++];
}

static void
add_day(struct calendar *cal, long day, char kind, const char *name, int line)
{
	if (cal->ndays == cal->capdays) {
		cal->capdays = cal->capdays ? cal->capdays * 2 : 64;
		cal->days = xrealloc(cal->days, cal->capdays * sizeof(*cal->days));
	}
	cal->days[cal->ndays++] = (struct cal_day){day, kind, name, line};
}

static int
cmp_day(const void *a, const void *b)
{
	const struct cal_day *x = a, *y = b;

	return x->day < y->day ? -1 : x->day > y->day;
}

static int
year_of(long day)
{
	int y, m, d;

	cp_civil_from_days(day, &y, &m, &d);
	return y;
}

int
calendar_covers_year(const struct calendar *cal, int year)
{
	for (size_t i = 0; i < cal->nyears; i++)
		if (cal->years[i] == year)
			return 1;
	return 0;
}

const char *
calendar_path(const struct calendar *cal)
{
	return cal->path ? cal->path : "";
}

/* Split off the next blank-separated token of *s (NULL when none). */
static char *
next_token(char **s)
{
	char *p = *s, *start;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return NULL;
	start = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return start;
}

static char *
rest_of_line(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static int
parse_day(const char *tok, const char *name, int line, const char *what, long *day)
{
	int y, m, d;

	if (!tok)
		return cp_err(CP_ERR_FORMAT, "%s:%d: %s: a date YYYY-MM-DD is missing", name, line,
			      what);
	if (cp_parse_date(tok, &y, &m, &d) < 0)
		return cp_err(CP_ERR_FORMAT, "%s:%d: %s: '%s' is not a real date YYYY-MM-DD", name,
			      line, what, tok);
	*day = cp_days_from_civil(y, m, d);
	return 0;
}

/* A holiday or make-up day must lie in the year block it is listed under, or in a
 * neighbouring year (a New Year holiday may start on 30 December). */
static int
check_block(long day, int block_year, const char *name, int line, const char *tok)
{
	int y = year_of(day);

	if (!block_year)
		return cp_err(CP_ERR_FORMAT, "%s:%d: '%s' comes before any 'year' line", name, line,
			      tok);
	if (y < block_year - 1 || y > block_year + 1)
		return cp_err(CP_ERR_FORMAT, "%s:%d: date %s is not in or next to year %d", name,
			      line, tok, block_year);
	return 0;
}

static int
parse_line(struct calendar *cal, char *s, const char *name, int line, int *block_year)
{
	char *kw = next_token(&s), *t1, *t2, *label;
	long from, to;
	int r;

	if (!kw || kw[0] == '#')
		return 0;
	if (!strcmp(kw, "year")) {
		char *end;
		long y;

		t1 = next_token(&s);
		if (!t1)
			return cp_err(CP_ERR_FORMAT, "%s:%d: 'year' needs a year and its source",
				      name, line);
		y = strtol(t1, &end, 10);
		if (*end || strlen(t1) != 4 || y < 1900 || y > 9999)
			return cp_err(CP_ERR_FORMAT, "%s:%d: '%s' is not a year YYYY", name, line,
				      t1);
		if (calendar_covers_year(cal, (int)y))
			return cp_err(CP_ERR_FORMAT, "%s:%d: year %ld is declared twice", name,
				      line, y);
		if (!rest_of_line(s)[0])
			return cp_err(CP_ERR_FORMAT,
				      "%s:%d: year %ld: the source (the notice it comes from) is "
				      "missing",
				      name, line, y);
		cal->years = xrealloc(cal->years, (cal->nyears + 1) * sizeof(*cal->years));
		cal->years[cal->nyears++] = (int)y;
		*block_year = (int)y;
		return 0;
	}
	if (!strcmp(kw, "holiday")) {
		t1 = next_token(&s);
		t2 = next_token(&s);
		if ((r = parse_day(t1, name, line, "holiday", &from)) < 0 ||
		    (r = parse_day(t2, name, line, "holiday", &to)) < 0 ||
		    (r = check_block(from, *block_year, name, line, t1)) < 0 ||
		    (r = check_block(to, *block_year, name, line, t2)) < 0)
			return r;
		if (to < from)
			return cp_err(CP_ERR_FORMAT,
				      "%s:%d: holiday ends (%s) before it starts (%s)", name, line,
				      t2, t1);
		if (to - from + 1 > CAL_MAX_RANGE)
			return cp_err(CP_ERR_FORMAT,
				      "%s:%d: holiday %s to %s is longer than %d days", name, line,
				      t1, t2, CAL_MAX_RANGE);
		label = rest_of_line(s);
		if (!label[0] || strlen(label) > CAL_MAX_NAME)
			return cp_err(CP_ERR_FORMAT,
				      "%s:%d: holiday %s needs a name (at most %d bytes)", name,
				      line, t1, CAL_MAX_NAME);
		label = (char *)keep_name(cal, label);
		for (long d = from; d <= to; d++)
			add_day(cal, d, DAY_HOLIDAY, label, line);
		return 0;
	}
	if (!strcmp(kw, "workday")) {
		int wd;

		t1 = next_token(&s);
		if ((r = parse_day(t1, name, line, "workday", &from)) < 0 ||
		    (r = check_block(from, *block_year, name, line, t1)) < 0)
			return r;
		wd = cp_weekday(from);
		if (wd != 0 && wd != 6)
			return cp_err(
				CP_ERR_FORMAT,
				"%s:%d: make-up working day %s is a weekday, which is a working "
				"day anyway",
				name, line, t1);
		label = rest_of_line(s);
		if (!label[0] || strlen(label) > CAL_MAX_NAME)
			return cp_err(
				CP_ERR_FORMAT,
				"%s:%d: workday %s needs the holiday it makes up for (at most "
				"%d bytes)",
				name, line, t1, CAL_MAX_NAME);
		add_day(cal, from, DAY_MAKEUP, keep_name(cal, label), line);
		return 0;
	}
	return cp_err(CP_ERR_FORMAT,
		      "%s:%d: unknown line kind '%s' (expected year, holiday or workday)", name,
		      line, kw);
}

int
calendar_parse(const char *text, size_t len, const char *name, struct calendar **out)
{
	struct calendar *cal = xcalloc(1, sizeof(*cal));
	const char *p = text, *end = text + len;
	int line = 0, block_year = 0, r = 0;
	char buf[1024];

	*out = NULL;
	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line++;
		if (n && p[n - 1] == '\r')
			n--;
		if (n >= sizeof(buf)) {
			r = cp_err(CP_ERR_FORMAT, "%s:%d: line longer than %zu bytes", name, line,
				   sizeof(buf) - 1);
			goto out;
		}
		if (memchr(p, '\0', n)) {
			r = cp_err(CP_ERR_FORMAT, "%s:%d: NUL byte in a text file", name, line);
			goto out;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		if ((r = parse_line(cal, buf, name, line, &block_year)) < 0)
			goto out;
		p = nl ? nl + 1 : end;
	}
	if (cal->nyears == 0) {
		r = cp_err(CP_ERR_FORMAT, "%s: no 'year' line: the calendar covers no year", name);
		goto out;
	}
	if (cal->ndays)
		qsort(cal->days, cal->ndays, sizeof(*cal->days), cmp_day);
	for (size_t i = 1; i < cal->ndays; i++) {
		const struct cal_day *a = &cal->days[i - 1], *b = &cal->days[i];
		char date[11];
		int y, m, d;

		if (a->day != b->day)
			continue;
		cp_civil_from_days(b->day, &y, &m, &d);
		snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
		r = cp_err(CP_ERR_FORMAT, "%s:%d: %s is listed already on line %d (%s)", name,
			   a->line > b->line ? a->line : b->line, date,
			   a->line > b->line ? b->line : a->line,
			   a->kind == b->kind ? "twice the same kind"
					      : "as both a holiday and a make-up working day");
		goto out;
	}
	*out = cal;
	cal = NULL;
out:
	calendar_free(cal);
	return r;
}

int
calendar_load(const char *path, struct calendar **out)
{
	unsigned char *data = NULL;
	char *where = NULL, tried[4 * PATH_MAX + 32];
	size_t len = 0;
	int r;

	*out = NULL;
	if (path && path[0]) {
		where = xstrdup(path);
	} else if (!(where = fs_find_data("calendar.txt", tried, sizeof(tried)))) {
		return cp_err(CP_ERR_NOTFOUND,
			      "no working-day calendar found (tried %s); set paths.calendar or "
			      "CARDPIPE_DATA",
			      tried);
	}
	r = fs_read_file(where, CAL_MAX_BYTES, &data, &len);
	if (r == CP_ERR_NOTFOUND || (r < 0 && !fs_exists(where)))
		r = cp_err(CP_ERR_NOTFOUND, "calendar file '%s' does not exist", where);
	else if (r < 0)
		r = cp_err_wrap(r, "calendar file '%s': ", where);
	if (r >= 0 && (r = calendar_parse((const char *)data, len, where, out)) >= 0) {
		(*out)->path = where;
		where = NULL;
	}
	free(data);
	free(where);
	return r;
}

static const struct cal_day *
lookup(const struct calendar *cal, long day)
{
	struct cal_day key = {day, 0, NULL, 0};

	return cal->ndays ? bsearch(&key, cal->days, cal->ndays, sizeof(*cal->days), cmp_day)
			  : NULL;
}

int
calendar_is_working_day(const struct calendar *cal, long day)
{
	const struct cal_day *e;
	int y = year_of(day), wd;

	if (!calendar_covers_year(cal, y)) {
		char years[128] = "";

		for (size_t i = 0; i < cal->nyears; i++) {
			size_t l = strlen(years);

			snprintf(years + l, sizeof(years) - l, "%s%d", i ? ", " : "",
				 cal->years[i]);
		}
		return cp_err(CP_ERR_NOTFOUND,
			      "the working-day calendar%s%s%s has no data for %d (it covers %s)",
			      cal->path ? " '" : "", cal->path ? cal->path : "",
			      cal->path ? "'" : "", y, years);
	}
	if ((e = lookup(cal, day)))
		return e->kind == DAY_MAKEUP;
	wd = cp_weekday(day);
	return wd >= 1 && wd <= 5;
}

int
calendar_add_working_days(const struct calendar *cal, long day, int n, long *result)
{
	int step = n < 0 ? -1 : 1, r;
	long left = n < 0 ? -(long)n : n, d = day;

	while (left > 0) {
		d += step;
		if ((r = calendar_is_working_day(cal, d)) < 0)
			return r;
		left -= r;
	}
	*result = d;
	return 0;
}

const char *
calendar_holiday_name(const struct calendar *cal, long day)
{
	const struct cal_day *e = lookup(cal, day);

	return e && e->kind == DAY_HOLIDAY ? e->name : NULL;
}

const char *
calendar_makeup_name(const struct calendar *cal, long day)
{
	const struct cal_day *e = lookup(cal, day);

	return e && e->kind == DAY_MAKEUP ? e->name : NULL;
}

int
calendar_last_day(const struct calendar *cal, long day, long *last)
{
	int y = year_of(day);

	if (!calendar_covers_year(cal, y))
		return cp_err(CP_ERR_NOTFOUND, "the working-day calendar does not cover %d", y);
	while (calendar_covers_year(cal, y + 1))
		y++;
	*last = cp_days_from_civil(y, 12, 31);
	return 0;
}

int
calendar_working_days(const struct calendar *cal, int year)
{
	long d = cp_days_from_civil(year, 1, 1), end = cp_days_from_civil(year, 12, 31);
	int n = 0, r;

	for (; d <= end; d++) {
		if ((r = calendar_is_working_day(cal, d)) < 0)
			return r;
		n += r;
	}
	return n;
}
