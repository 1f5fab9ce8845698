/* clock.c - pinned or real time, Beijing business dates, civil-date arithmetic. */
#include "core/clock.h"

#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEIJING_OFFSET (8 * 3600)

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
long
cp_days_from_civil(int y, int m, int d)
{
	long yy = y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
cp_civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int
cp_weekday(long days)
{
	return (int)(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
}

int
cp_parse_date(const char *s, int *y, int *m, int *d)
{
	int yy, mm, dd, n = 0, cy, cm, cd;

	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &yy, &mm, &dd, &n) != 3 || n != 10)
		return cp_err(CP_ERR_FORMAT, "'%s' is not a date of the form YYYY-MM-DD",
			      s ? s : "");
	cp_civil_from_days(cp_days_from_civil(yy, mm, dd), &cy, &cm, &cd);
	if (mm < 1 || mm > 12 || cy != yy || cm != mm || cd != dd)
		return cp_err(CP_ERR_FORMAT, "'%s' is not a real date", s);
	*y = yy;
	*m = mm;
	*d = dd;
	return 0;
}

/* CARDPIPE_NOW's value as a time; -1 when it cannot be read. */
static int
parse_pin(const char *pin, time_t *out)
{
	int y, m, d, hh = 0, mi = 0, ss = 0, oh = 8, om = 0, n = 0;
	char sign = '+';
	char date[11];

	snprintf(date, sizeof(date), "%s", pin);
	if (cp_parse_date(date, &y, &m, &d) < 0)
		return -1;
	if (pin[10] == 'T') {
		if (sscanf(pin + 11, "%2d:%2d:%2d%n", &hh, &mi, &ss, &n) < 3)
			return -1;
		if (pin[11 + n] == 'Z')
			oh = 0;
		else if (pin[11 + n] == '+' || pin[11 + n] == '-')
			sscanf(pin + 11 + n, "%c%2d:%2d", &sign, &oh, &om);
	} else {
		hh = 12; /* a bare date pins noon, Beijing time */
	}
	*out = (time_t)cp_days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss -
	       (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	return 0;
}

time_t
cp_now(void)
{
	const char *pin = getenv("CARDPIPE_NOW");

	/* the registry asks for every row it writes: parse a pinned time once */
	static __thread char last_pin[64];
	static __thread time_t last_value;
	time_t value;

	if (!pin || !pin[0])
		return time(NULL);
	if (last_pin[0] && !strcmp(pin, last_pin))
		return last_value;
	if (parse_pin(pin, &value) < 0)
		return time(NULL);
	if (strlen(pin) < sizeof(last_pin)) {
		snprintf(last_pin, sizeof(last_pin), "%s", pin);
		last_value = value;
	}
	return value;
}

void
cp_iso_utc(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
cp_business_date(time_t t, char *out, size_t outsz)
{
	int y, m, d;
	long days = (long)((t + BEIJING_OFFSET) >= 0 ? (t + BEIJING_OFFSET) / 86400
						     : ((t + BEIJING_OFFSET) - 86399) / 86400);

	cp_civil_from_days(days, &y, &m, &d);
	snprintf(out, outsz, "%04d-%02d-%02d", y, m, d);
}
