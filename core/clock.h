/*
 * clock.h - the one source of "now" and of business dates.
 *
 * CARDPIPE_NOW (e.g. "2026-11-26T21:00:00+08:00" or "2026-11-26") pins the clock for
 * tests, the demo and re-runs that must reproduce a night (without an offset it is a time
 * in the bureau's zone). Business dates and the times people read (reports, letters) are
 * in the bureau's zone, general.timezone (default Asia/Shanghai), taken from the system
 * time zone database; timestamps are stored as UTC ISO 8601.
 */
#ifndef CP_CLOCK_H
#define CP_CLOCK_H

#include <time.h>

/* The bureau's zone ("Asia/Shanghai"): a zone of the system time zone database ($TZDIR,
 * else /usr/share/zoneinfo), which local times follow from now on (TZ is set). Call it once,
 * before any thread starts. Until then the zone is Asia/Shanghai's UTC+8. CP_ERR_CONFIG
 * naming general.timezone when the zone is not in the database. */
int cp_set_timezone(const char *zone);
/* Seconds east of UTC of the bureau's zone at t. */
long cp_utc_offset(time_t t);
/* The moment a wall-clock time in the bureau's zone names. */
time_t cp_local_to_utc(int y, int m, int d, int hh, int mi, int ss);
/* "2026-11-26 21:00:00 +08:00": t in the bureau's zone, for people (reports, letters). */
void cp_local_time(time_t t, char *out, size_t outsz);
/* Seconds since the epoch: CARDPIPE_NOW when set, the real clock otherwise. */
time_t cp_now(void);
/* "2026-11-26T13:00:00Z" (UTC) of t into out (at least 21 bytes). */
void cp_iso_utc(time_t t, char *out, size_t outsz);
/* Business date "2026-11-26" of t in the bureau's zone into out (at least 11 bytes). */
void cp_business_date(time_t t, char *out, size_t outsz);
/* Parse "YYYY-MM-DD" into y/m/d and check it is a real date. 0 or CP_ERR_FORMAT. */
int cp_parse_date(const char *s, int *y, int *m, int *d);
/* Days since 1970-01-01 for a civil date, and back. */
long cp_days_from_civil(int y, int m, int d);
void cp_civil_from_days(long days, int *y, int *m, int *d);
/* Day of week, 0 = Sunday. */
int cp_weekday(long days);
/* Milliseconds of the monotonic clock (for waits, timeouts and durations: never pinned by
 * CARDPIPE_NOW, never set back). */
long long cp_mono_ms(void);

#endif
