/* clock.c - pinned or real time, business dates in the bureau's zone, civil-date arithmetic. */
#include "core/clock.h"

#include "core/err.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Asia/Shanghai, the default zone: UTC+8 without daylight saving since 1991. Used until
 * cp_set_timezone() is called (library users, unit tests). */
#define BEIJING_OFFSET (8 * 3600)

/* Set once by cp_set_timezone() before any thread starts; read-only afterwards. */
static int zone_set;

#define TZDIR_DEFAULT "/usr/share/zoneinfo"

/* A zone name is a relative path into the database: no "..", no leading '/'. */
static int
zone_name_ok(const char *zone)
{
	if (!zone[0] || zone[0] == '/' || strstr(zone, ".."))
		return 0;
	for (const char *p = zone; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-.",
			    *p))
			return 0;
	return 1;
}

/* Is path a compiled zone file (RFC 8536: it starts with "TZif")? */
static int
is_tzif(const char *path)
{
	FILE *f = fopen(path, "rb");
	char magic[4];
	int ok;

	if (!f)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
	fclose(f);
	return ok;
}

int
cp_set_timezone(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char *path;
	int ok;

	if (!dir || !dir[0])
		dir = TZDIR_DEFAULT;
	if (!zone || !zone_name_ok(zone))
		return cp_err(CP_ERR_CONFIG,
			      "general.timezone: '%s' is not a time zone name "
			      "(e.g. Asia/Shanghai)",
			      zone ? zone : "");
	path = xasprintf("%s/%s", dir, zone);
	ok = is_tzif(path);
	free(path);
	if (!ok)
		return cp_err(CP_ERR_CONFIG,
			      "general.timezone: '%s' is not a time zone of the system "
			      "time zone database ('%s'; package tzdata)",
			      zone, dir);
	/* localtime_r and mktime follow TZ: the machine's own zone never matters */
	if (setenv("TZ", zone, 1) != 0)
		return cp_err(CP_ERR_IO, "cannot set TZ: out of memory");
	tzset();
	zone_set = 1;
	return 0;
}

long
cp_utc_offset(time_t t)
{
	struct tm tm;

	if (!zone_set || !localtime_r(&t, &tm))
		return BEIJING_OFFSET;
	return tm.tm_gmtoff;
}

time_t
cp_local_to_utc(int y, int m, int d, int hh, int mi, int ss)
{
	time_t local = (time_t)cp_days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss;
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = m - 1,
			.tm_mday = d,
			.tm_hour = hh,
			.tm_min = mi,
			.tm_sec = ss,
			.tm_isdst = -1};
	time_t t;

	if (!zone_set || (t = mktime(&tm)) == (time_t)-1)
		return local - BEIJING_OFFSET;
	return t;
}

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
	int y, m, d, hh = 0, mi = 0, ss = 0, oh = 0, om = 0, n = 0, zoned = 0;
	char sign = '+';
	char date[11];

	snprintf(date, sizeof(date), "%s", pin);
	if (cp_parse_date(date, &y, &m, &d) < 0)
		return -1;
	if (pin[10] == 'T') {
		if (sscanf(pin + 11, "%2d:%2d:%2d%n", &hh, &mi, &ss, &n) < 3)
			return -1;
		if (pin[11 + n] == 'Z')
			zoned = 1;
		else if (pin[11 + n] == '+' || pin[11 + n] == '-')
			zoned = sscanf(pin + 11 + n, "%c%2d:%2d", &sign, &oh, &om) >= 2;
	} else {
		hh = 12; /* a bare date pins noon in the bureau's zone */
	}
	if (!zoned) /* no offset given: the bureau's zone */
		*out = cp_local_to_utc(y, m, d, hh, mi, ss);
	else
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
	static __thread int last_zone_set;
	time_t value;

	if (!pin || !pin[0])
		return time(NULL);
	if (last_pin[0] && !strcmp(pin, last_pin) && last_zone_set == zone_set)
		return last_value;
	if (parse_pin(pin, &value) < 0)
		return time(NULL);
	if (strlen(pin) < sizeof(last_pin)) {
		snprintf(last_pin, sizeof(last_pin), "%s", pin);
		last_value = value;
		last_zone_set = zone_set;
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
	time_t lt = t + cp_utc_offset(t);
	long days = (long)(lt >= 0 ? lt / 86400 : (lt - 86399) / 86400);

	cp_civil_from_days(days, &y, &m, &d);
	snprintf(out, outsz, "%04d-%02d-%02d", y, m, d);
}

void
cp_local_time(time_t t, char *out, size_t outsz)
{
	long off = cp_utc_offset(t), a = off < 0 ? -off : off;
	time_t lt = t + off;
	struct tm tm;
	char when[24];

	gmtime_r(&lt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, outsz, "%s %c%02ld:%02ld", when, off < 0 ? '-' : '+', a / 3600,
		 a % 3600 / 60);
}

long long
cp_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
