/* cmd_calendar.c - `cardpipe calendar`: working-day questions against the calendar file
 * (is-working-day DATE, add-working-days DATE N), and `import NOTICE`, which reads the State
 * Council's yearly notice into it. */
#include "pipeline/cmd/cmd.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/holiday_notice.h"
#include "pipeline/rules/calendar.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: cardpipe calendar [--calendar FILE] is-working-day DATE\n"
	"       cardpipe calendar [--calendar FILE] add-working-days DATE N\n"
	"       cardpipe calendar [--calendar FILE] import [--dry-run] [--replace]\n"
	"                         [--issued DATE] NOTICE\n"
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
	"  import NOTICE           read the State Council's yearly notice (国务院办公厅关于YYYY年\n"
	"                          部分节假日安排的通知, UTF-8 text as published), print the\n"
	"                          days off and make-up working days it understood, and write\n"
	"                          the year into the calendar file (atomically). A sentence it\n"
	"                          cannot read is refused, naming the line.\n"
	"    --dry-run             print what it understood; write nothing\n"
	"    --replace             replace the year if the calendar has it already\n"
	"    --issued DATE         the date of issue, for a copy without the line under\n"
	"                          国务院办公厅\n"
	"\n"
	"Options:\n"
	"  --calendar FILE  calendar file to use (default: paths.calendar; when that is empty,\n"
	"                   CARDPIPE_HOME/calendar.txt if it exists, else the shipped one, the\n"
	"                   first of $CARDPIPE_DATA/calendar.txt, ../share/cardpipe/calendar.txt\n"
	"                   beside the program, the data/ folder of the build tree and the\n"
	"                   installed share/cardpipe/calendar.txt). import writes to FILE, else\n"
	"                   paths.calendar, else CARDPIPE_HOME/calendar.txt (a copy of the\n"
	"                   shipped calendar the first time), which is then used instead of\n"
	"                   the shipped one\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit codes: 0 answered or imported; 2 bad usage or a malformed date or N; 3 the year\n"
	"is not in the calendar, the calendar file is missing or malformed, the notice cannot\n"
	"be read, or import found the year there already.\n";

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

static void
print_date_wd(const char *label, long day)
{
	static const char *const wd[] = {"日", "一", "二", "三", "四", "五", "六"};
	int y, m, d;

	cp_civil_from_days(day, &y, &m, &d);
	printf("%s%04d-%02d-%02d 周%s", label, y, m, d, wd[cp_weekday(day)]);
}

/* s, then blanks up to width terminal columns (a CJK character takes two). */
static void
print_padded(const char *s, int width)
{
	int cols = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			cols += *p >= 0xE0 ? 2 : 1;
	printf("  %s%*s", s, width > cols ? width - cols : 1, "");
}

/* What was understood, for the operator to compare with the notice. */
static void
show_notice(const struct holiday_notice *n, const char *path)
{
	long off = 0, makeup = 0;

	printf("%s: %s%s%s, for %d\n", path, n->title, n->docno ? " " : "",
	       n->docno ? n->docno : "", n->year);
	for (size_t i = 0; i < n->nentries; i++) {
		const struct notice_entry *e = &n->entries[i];
		int first = i == 0 || e->name != n->entries[i - 1].name;

		print_padded(first ? e->name : "", 22);
		if (e->kind == 'H') {
			print_date_wd("days off ", e->from);
			if (e->to != e->from)
				print_date_wd(" to ", e->to);
			printf(" (%ld day%s)", e->to - e->from + 1, e->to == e->from ? "" : "s");
			off += e->to - e->from + 1;
		} else {
			print_date_wd("make-up working day ", e->from);
			makeup++;
		}
		printf("  [line %d]\n", e->line);
	}
	for (size_t i = 0; i < n->nnotes; i++)
		printf("  not applied (advice, not a rule): %s\n", n->notes[i]);
	printf("%zu holidays, %ld days off, %ld make-up working days\n", n->nitems, off, makeup);
}

/* The calendar text import starts from: the target's, or (for CARDPIPE_HOME/calendar.txt
 * made the first time) the shipped calendar's. */
static int
import_base(const char *target, int own, unsigned char **data, size_t *len)
{
	char tried[4 * 4096 + 32], *shipped;
	int r;

	*data = NULL;
	*len = 0;
	if (fs_exists(target))
		return fs_read_file(target, 1024 * 1024, data, len);
	if (!own || !(shipped = fs_find_data("calendar.txt", tried, sizeof(tried))))
		return 0;
	r = fs_read_file(shipped, 1024 * 1024, data, len);
	if (r == 0)
		printf("%s: new, starting from the shipped calendar %s\n", target, shipped);
	free(shipped);
	return r;
}

static int
import_notice(int argc, char **argv, struct cp_ctx *ctx, const char *file)
{
	static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'},
					     {"replace", no_argument, NULL, 'r'},
					     {"issued", required_argument, NULL, 'i'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	struct holiday_notice *n = NULL;
	struct calendar *check = NULL;
	struct buf block = BUF_INIT(1024 * 1024), text = BUF_INIT(2 * 1024 * 1024);
	unsigned char *raw = NULL, *old = NULL;
	char *target = NULL;
	const char *issued = NULL;
	size_t rawlen = 0, oldlen = 0;
	int c, dry = 0, replace = 0, own = 0, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'n')
			dry = 1;
		else if (c == 'r')
			replace = 1;
		else if (c == 'i')
			issued = optarg;
		else
			return cmd_usage(usage, c != 'h');
	}
	if (argc - optind != 1)
		return cmd_usage(usage, 1);
	if ((r = fs_read_file(argv[optind], 256 * 1024 + 1, &raw, &rawlen)) < 0) {
		r = cp_err_wrap(r, "notice '%s': ", argv[optind]);
		goto out;
	}
	if ((r = holiday_notice_parse((const char *)raw, rawlen, argv[optind], &n)) < 0)
		goto out;
	if (issued && (r = parse_day(issued, &n->issued)) < 0)
		goto out;
	if ((r = holiday_notice_block(n, &block)) < 0)
		goto out;
	show_notice(n, argv[optind]);

	if (file) {
		target = xstrdup(file);
	} else if (!(target = ctx_path(ctx, "paths.calendar"))[0]) {
		free(target);
		target = fs_join(ctx->home, "calendar.txt");
		own = 1;
	}
	if ((r = import_base(target, own, &old, &oldlen)) < 0 ||
	    (r = calendar_put_year((const char *)old, oldlen, n->year, buf_str(&block), replace,
				   &text)) < 0 ||
	    (r = calendar_parse(buf_str(&text), text.len, target, &check)) < 0)
		goto out;
	if ((r = calendar_working_days(check, n->year)) < 0)
		goto out;
	printf("%d working days in %d\n\n%s", r, n->year, buf_str(&block));
	if (dry) {
		printf("\n--dry-run: %s not changed\n", target);
		r = 0;
		goto out;
	}
	if ((r = fs_write_atomic(target, text.data, text.len, 0644)) < 0)
		goto out;
	printf("\n%s: %d %s\n", target, n->year, replace ? "written (replaced)" : "written");
out:
	holiday_notice_free(n);
	calendar_free(check);
	buf_release(&block);
	buf_release(&text);
	free(raw);
	free(old);
	free(target);
	return cmd_exit("calendar import", r);
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
	if (!strcmp(verb, "import"))
		return import_notice(argc - optind, argv + optind, ctx, file);
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
		char *conf = ctx_path(ctx, "paths.calendar");

		conf_path = calendar_locate(conf, ctx->home);
		free(conf);
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
