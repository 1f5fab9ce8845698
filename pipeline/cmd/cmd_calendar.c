/* cmd_calendar.c - `cardpipe calendar`: working-day questions against the calendar file
 * (is-working-day DATE, add-working-days DATE N). */
#include "cmd/cmd.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "rules/calendar.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe calendar [--calendar FILE] is-working-day DATE\n"
	"       cardpipe calendar [--calendar FILE] add-working-days DATE N\n"
	"\n"
	"Working days in mainland China: Monday to Friday outside the public holidays, plus\n"
	"the make-up working days (调休上班) of the State Council's yearly notice. The holidays\n"
	"come from the calendar file (format: docs/calendar-format.md); a date in a year the\n"
	"file does not cover is an error, never a guess.\n"
	"\n"
	"  is-working-day DATE     print 'yes' or 'no' for DATE (YYYY-MM-DD), with the reason:\n"
	"                          'no (国庆节)', 'no (weekend)', 'yes (make-up working day\n"
	"                          for 国庆节)'. Exit 0 either way.\n"
	"  add-working-days DATE N print the date N working days after DATE (DATE itself not\n"
	"                          counted; a negative N counts back; 0 prints DATE).\n"
	"\n"
	"Options:\n"
	"  --calendar FILE  calendar file to use (default: paths.calendar; when that is empty,\n"
	"                   the shipped one: $CARDPIPE_DATA/calendar.txt, the data/ folder of\n"
	"                   the build tree, /usr/share/cardpipe/calendar.txt)\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit codes: 0 answered; 2 bad usage or a malformed date or N; 3 the year is not in the\n"
	"calendar, or the calendar file is missing or malformed.\n";

static int
parse_day(const char *s, long *day)
{
	int y, m, d;

	if (cp_parse_date(s, &y, &m, &d) < 0)
		return cp_err(CP_ERR_USAGE, "'%s' is not a real date YYYY-MM-DD", s);
	*day = cp_days_from_civil(y, m, d);
	return 0;
}

static int
parse_count(const char *s, int *n)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!s[0] || *end || errno || v > 100000 || v < -100000)
		return cp_err(CP_ERR_USAGE,
			      "N must be a whole number of working days (at most 100000), not '%s'",
			      s);
	*n = (int)v;
	return 0;
}

static void
print_day(long day)
{
	int y, m, d;

	cp_civil_from_days(day, &y, &m, &d);
	printf("%04d-%02d-%02d\n", y, m, d);
}

int
cmd_calendar(int argc, char **argv, struct cp_ctx *ctx)
{
	static const struct option opts[] = {
		{"calendar", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {0}};
	struct calendar *cal = NULL;
	const char *verb, *file = NULL;
	char *conf_path = NULL;
	long day = 0, result = 0;
	int c, n = 0, r;

	optind = 1;
	while ((c = cmd_getopt(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'c')
			file = optarg;
		else
			return cmd_usage(usage, c != 'h');
	}
	if (optind >= argc)
		return cmd_usage(usage, 1);
	verb = argv[optind];
	if (!strcmp(verb, "is-working-day")) {
		if (argc - optind != 2)
			return cmd_usage(usage, 1);
	} else if (!strcmp(verb, "add-working-days")) {
		if (argc - optind != 3)
			return cmd_usage(usage, 1);
		if ((r = parse_count(argv[optind + 2], &n)) < 0)
			return cmd_exit("calendar", r);
	} else {
		fprintf(stderr, "cardpipe calendar: unknown subcommand '%s'\n\n", verb);
		return cmd_usage(usage, 1);
	}
	if ((r = parse_day(argv[optind + 1], &day)) < 0)
		return cmd_exit("calendar", r);

	if (!file) {
		conf_path = ctx_path(ctx, "paths.calendar");
		file = conf_path;
	}
	if ((r = calendar_load(file, &cal)) < 0)
		goto out;

	if (!strcmp(verb, "is-working-day")) {
		const char *name;

		if ((r = calendar_is_working_day(cal, day)) < 0)
			goto out;
		if (r == 1 && (name = calendar_makeup_name(cal, day)))
			printf("yes (make-up working day for %s)\n", name);
		else if (r == 1)
			printf("yes\n");
		else if ((name = calendar_holiday_name(cal, day)))
			printf("no (%s)\n", name);
		else
			printf("no (weekend)\n");
		r = 0;
	} else {
		if ((r = calendar_add_working_days(cal, day, n, &result)) < 0)
			goto out;
		print_day(result);
	}
out:
	calendar_free(cal);
	free(conf_path);
	return cmd_exit("calendar", r);
}
