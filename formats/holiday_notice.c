/*
 * holiday_notice.c - reads the State Council's yearly holiday notice (see holiday_notice.h).
 *
 * Each line is first normalised: full-width digits and punctuation become ASCII ("：" ":",
 * "（" "(", "，" ","), and every blank (spaces, U+3000, NBSP) goes, since Chinese prose has
 * none that matter. Then: the title gives the year, the line 国办发明电〔YYYY〕N号 above the
 * items the document number, the last line that is only a date the date of issue, and the
 * numbered items the holidays. An item is read sentence by sentence (split at "。"), a
 * sentence clause by clause (split at "," and ";"); every clause must be one this file knows.
 */
#include "formats/holiday_notice.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTICE_MAX_BYTES (256 * 1024) /* a notice is about 2 KB */
#define NOTICE_MAX_ITEMS 20
#define NOTICE_MAX_NAME 120
#define NOTICE_MAX_RANGE 31

static const char title_head[] = "国务院办公厅关于";
static const char title_tail[] = "年部分节假日安排的通知";
static const char *const wday_zh[] = {"日", "一", "二", "三", "四", "五", "六"};

struct nline {
	char *s; /* normalised, NUL-terminated */
	int no;	 /* 1-based line number in the file */
};

/* What one item is being read with. */
struct item_ctx {
	struct holiday_notice *n;
	const char *file;
	int line, num;
	const char *name;
	int new_year; /* December dates without a year are the year before */
	size_t first; /* its first entry */
	long sentence_days;
};

void
holiday_notice_free(struct holiday_notice *n)
{
	if (!n)
		return;
	free(n->title);
	free(n->docno);
	for (size_t i = 0; i < n->nitems; i++)
		free(n->names[i]);
	free(n->names);
	free(n->entries);
	for (size_t i = 0; i < n->nnotes; i++)
		free(n->notes[i]);
	free(n->notes);
	free(n);
}

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Decode one UTF-8 sequence: its length, 0 when invalid (overlong, surrogate, > U+10FFFF). */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, c = s[0] & 0x1F, min = 0x80;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, c = s[0] & 0x0F, min = 0x800;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* Normalise one line into out (at least n + 1 bytes): 0, or CP_ERR_FORMAT for bad UTF-8. */
static int
normalize(const char *file, int no, const unsigned char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint32_t c;
		size_t l = utf8_next(s + i, n - i, &c);

		if (l == 0)
			return cp_err(
				CP_ERR_FORMAT,
				"%s:%d: not UTF-8 (byte 0x%02X at column %zu); a GB18030 copy "
				"converts with 'iconv -f GB18030 -t UTF-8'",
				file, no, s[i], i + 1);
		if (c == 0)
			return cp_err(CP_ERR_FORMAT, "%s:%d: NUL byte in a text file", file, no);
		i += l;
		if (c == ' ' || c == '\t' || c == '\r' || c == 0x3000 || c == 0xA0 || c == 0xFEFF ||
		    c == 0x200B)
			continue;
		if (c >= 0xFF10 && c <= 0xFF19) {
			out[o++] = (char)('0' + (c - 0xFF10));
			continue;
		}
		switch (c) {
		case 0xFF1A: out[o++] = ':'; continue;
		case 0xFF08: out[o++] = '('; continue;
		case 0xFF09: out[o++] = ')'; continue;
		case 0xFF0C: out[o++] = ','; continue;
		case 0xFF1B: out[o++] = ';'; continue;
		default: break;
		}
		memcpy(out + o, s + i - l, l);
		o += l;
	}
	out[o] = '\0';
	return 0;
}

static int item_number(const char *s, const char **rest);

/* Where a copy lost its line breaks, the next item ("。二、春节:"), the closing paragraph
 * ("。节假日期间") or the signature ("。国务院办公厅") after a sentence starts a new line: the
 * offset where, or 0. */
static size_t
glued_break(const char *s)
{
	for (const char *p = strstr(s, "。"); p; p = strstr(p + strlen("。"), "。")) {
		const char *q = p + strlen("。"), *rest;

		if (*q &&
		    (item_number(q, &rest) || starts(q, "节假日期间") || starts(q, "国务院办公厅")))
			return (size_t)(q - s);
	}
	return 0;
}

static int
read_lines(const char *text, size_t len, const char *file, struct nline **out, size_t *nout)
{
	const char *p = text, *end = text + len;
	struct nline *v = NULL;
	size_t n = 0;
	int no = 0, r = 0;

	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n].s = xmalloc(l + 1);
		v[n].no = ++no;
		n++;
		if ((r = normalize(file, no, (const unsigned char *)p, l, v[n - 1].s)) < 0)
			break;
		for (size_t k; (k = glued_break(v[n - 1].s)) > 0; n++) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n].s = xstrdup(v[n - 1].s + k);
			v[n].no = no;
			v[n - 1].s[k] = '\0';
		}
		p = nl ? nl + 1 : end;
	}
	*out = v;
	*nout = n;
	return r;
}

static void
lines_free(struct nline *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].s);
	free(v);
}

/* Up to max ASCII digits at *p: their value, or -1 when there is none. */
static long
read_number(const char **p, int max)
{
	long v = 0;
	int k = 0;

	while (k < max && (*p)[k] >= '0' && (*p)[k] <= '9')
		v = v * 10 + ((*p)[k++] - '0');
	if (k == 0 || ((*p)[k] >= '0' && (*p)[k] <= '9'))
		return -1;
	*p += k;
	return v;
}

/* "YYYY年M月D日" making up the whole of s: 1 and the day, else 0. */
static int
whole_date(const char *s, long *day)
{
	const char *p = s;
	long y = read_number(&p, 4), m, d;

	if (y < 1900 || !starts(p, "年"))
		return 0;
	p += strlen("年");
	if ((m = read_number(&p, 2)) < 1 || !starts(p, "月"))
		return 0;
	p += strlen("月");
	if ((d = read_number(&p, 2)) < 1 || strcmp(p, "日") != 0)
		return 0;
	if (m > 12 || d > 31)
		return 0;
	*day = cp_days_from_civil((int)y, (int)m, (int)d);
	{
		int yy, mm, dd;

		cp_civil_from_days(*day, &yy, &mm, &dd);
		if (mm != m)
			return 0;
	}
	return 1;
}

/* The title in line i (or split over lines i and i + 1): the year, or 0. */
static int
find_title(const struct nline *v, size_t n, size_t i)
{
	const char *t = strstr(v[i].s, title_head);
	char joined[512];
	const char *p;
	long y;

	if (!t)
		return 0;
	snprintf(joined, sizeof(joined), "%s%s", t + strlen(title_head),
		 i + 1 < n ? v[i + 1].s : "");
	p = joined;
	if ((y = read_number(&p, 4)) < 1900 || !starts(p, title_tail))
		return 0;
	return (int)y;
}

/* 国办发明电〔2024〕12号 (any bracket) in s: the document number in the published form. */
static char *
find_docno(const char *s)
{
	static const char *const open[] = {"〔", "[", "［", "(", "【"};
	static const char *const close[] = {"〕", "]", "］", ")", "】"};
	const char *p = strstr(s, "国办发");
	char kind[32];
	long y, no;

	if (!p)
		return NULL;
	p += strlen("国办发");
	snprintf(kind, sizeof(kind), "%s", starts(p, "明电") ? "明电" : "");
	p += strlen(kind);
	for (size_t b = 0; b < sizeof(open) / sizeof(open[0]); b++) {
		const char *q = p;

		if (!starts(q, open[b]))
			continue;
		q += strlen(open[b]);
		if ((y = read_number(&q, 4)) < 1900 || !starts(q, close[b]))
			return NULL;
		q += strlen(close[b]);
		if ((no = read_number(&q, 4)) < 1 || !starts(q, "号"))
			return NULL;
		return xasprintf("国办发%s〔%ld〕%ld号", kind, y, no);
	}
	return NULL;
}

/* A Chinese item number "一" .. "二十" followed by "、" at the start of s: its value, with
 * *rest after the "、"; 0 when s does not start an item. */
static int
item_number(const char *s, const char **rest)
{
	static const char *const digits[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九"};
	const char *p = s;
	int v = 0, seen = 0;

	for (;;) {
		int matched = 0;

		if (starts(p, "十")) {
			v = (v ? v : 1) * 10;
			p += strlen("十");
			matched = 1;
		}
		for (int k = 0; k < 9 && !matched; k++)
			if (starts(p, digits[k])) {
				v += k + 1;
				p += strlen(digits[k]);
				matched = 1;
			}
		if (!matched)
			break;
		seen = 1;
	}
	if (!seen || !starts(p, "、") || v > 99)
		return 0;
	*rest = p + strlen("、");
	return v;
}

/* ---- dates inside an item ---- */

struct ndate {
	int y, m, d; /* 0 when not written */
	int wday;    /* the weekday the notice gives, 0 (Sunday) .. 6, or -1 */
	long day;    /* resolved */
};

static int
weekday_name(const char *s, int *wday)
{
	static const char *const pre[] = {"星期", "礼拜", "周"};
	static const char *const names[] = {"日", "天", "一", "二", "三", "四", "五", "六"};
	static const int value[] = {0, 0, 1, 2, 3, 4, 5, 6};

	for (size_t i = 0; i < 3; i++) {
		if (!starts(s, pre[i]))
			continue;
		for (size_t k = 0; k < 8; k++)
			if (!strcmp(s + strlen(pre[i]), names[k])) {
				*wday = value[k];
				return 1;
			}
	}
	return 0;
}

/* The note after a date, "(周三)" or "(农历除夕、周二)": its weekday (or -1). Parts that are
 * not a weekday (lunar dates) are read past; a part with a digit is not understood. */
static int
read_note(struct item_ctx *c, const char **pp, int *wday, const char *clause)
{
	const char *p = *pp, *close;
	char part[128];

	*wday = -1;
	if (*p != '(')
		return 0;
	if (!(close = strchr(p, ')')))
		return cp_err(CP_ERR_INVALID, "%s:%d: item %d (%s): '(' without ')' in '%s'",
			      c->file, c->line, c->num, c->name, clause);
	p++;
	while (p < close) {
		const char *sep = strstr(p, "、");
		size_t l;

		if (!sep || sep > close)
			sep = close;
		l = (size_t)(sep - p);
		if (l >= sizeof(part))
			l = sizeof(part) - 1;
		memcpy(part, p, l);
		part[l] = '\0';
		if (!weekday_name(part, wday) &&
		    (strpbrk(part, "0123456789") || starts(part, "周") || starts(part, "星期")))
			return cp_err(CP_ERR_INVALID,
				      "%s:%d: item %d (%s): cannot read the note '(%s)' in '%s'",
				      c->file, c->line, c->num, c->name, part, clause);
		p = sep == close ? close : sep + strlen("、");
	}
	*pp = close + 1;
	return 0;
}

/* [YYYY年][M月]D日[(note)] at *pp: 1 with *d filled, 0 when no date starts there. */
static int
read_date(struct item_ctx *c, const char **pp, struct ndate *d, const char *clause)
{
	const char *p = *pp;
	long v;
	int r;

	memset(d, 0, sizeof(*d));
	if ((v = read_number(&p, 4)) < 0)
		return 0;
	if (starts(p, "年")) {
		d->y = (int)v;
		p += strlen("年");
		if ((v = read_number(&p, 2)) < 0)
			return 0;
	}
	if (starts(p, "月")) {
		d->m = (int)v;
		p += strlen("月");
		if ((v = read_number(&p, 2)) < 0)
			return 0;
	}
	if (!starts(p, "日"))
		return 0;
	d->d = (int)v;
	p += strlen("日");
	if ((r = read_note(c, &p, &d->wday, clause)) < 0)
		return r;
	*pp = p;
	return 1;
}

static void
day_text(long day, char out[11])
{
	int y, m, d;

	cp_civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

/* Make d->day from (y, m, d), checking it is a real date near the notice's year and that the
 * weekday the notice gives is right. */
static int
resolve(struct item_ctx *c, struct ndate *d, int year, const char *clause)
{
	int y, m, dd;
	char txt[11];

	if (d->m < 1 || d->m > 12 || d->d < 1 || d->d > 31)
		return cp_err(CP_ERR_INVALID, "%s:%d: item %d (%s): %d月%d日 is not a date in '%s'",
			      c->file, c->line, c->num, c->name, d->m, d->d, clause);
	d->day = cp_days_from_civil(year, d->m, d->d);
	cp_civil_from_days(d->day, &y, &m, &dd);
	if (m != d->m)
		return cp_err(CP_ERR_INVALID, "%s:%d: item %d (%s): %d年%d月%d日 does not exist",
			      c->file, c->line, c->num, c->name, year, d->m, d->d);
	day_text(d->day, txt);
	if (year != c->n->year && !(year == c->n->year - 1 && d->m == 12))
		return cp_err(CP_ERR_INVALID,
			      "%s:%d: item %d (%s): %s is not in %d, the notice's year (only a "
			      "New Year holiday may begin in the December before)",
			      c->file, c->line, c->num, c->name, txt, c->n->year);
	if (d->wday >= 0 && cp_weekday(d->day) != d->wday)
		return cp_err(CP_ERR_INVALID,
			      "%s:%d: item %d (%s): %s is a 周%s, but the notice says 周%s",
			      c->file, c->line, c->num, c->name, txt, wday_zh[cp_weekday(d->day)],
			      wday_zh[d->wday]);
	return 0;
}

/* The year of a single date written without one: the notice's year, but December in the
 * New Year item is the December before. */
static int
single_year(const struct item_ctx *c, const struct ndate *d)
{
	if (d->y)
		return d->y;
	return d->m == 12 && c->new_year ? c->n->year - 1 : c->n->year;
}

static void
add_entry(struct item_ctx *c, char kind, long from, long to)
{
	struct holiday_notice *n = c->n;

	n->entries = xrealloc(n->entries, (n->nentries + 1) * sizeof(*n->entries));
	n->entries[n->nentries++] =
		(struct notice_entry){kind, from, to, c->line, n->names[n->nitems - 1]};
	if (kind == 'H')
		c->sentence_days += to - from + 1;
}

/* "N天" at *pp (after 放假 or 共): N, else -1. */
static long
read_days(const char **pp)
{
	const char *p = *pp;
	long v = read_number(&p, 3);

	if (v < 0 || !starts(p, "天"))
		return -1;
	*pp = p + strlen("天");
	return v;
}

static int
check_count(struct item_ctx *c, long said, long days, const char *clause)
{
	if (said != days)
		return cp_err(CP_ERR_INVALID,
			      "%s:%d: item %d (%s): the days off come to %ld, but the notice says "
			      "%ld ('%s')",
			      c->file, c->line, c->num, c->name, days, said, clause);
	return 0;
}

/* After "放假": [调休|公休][N天] and the end of the clause; N must be the days off. */
static int
after_fangjia(struct item_ctx *c, const char *p, long days, const char *clause)
{
	long said;

	if (starts(p, "调休") || starts(p, "公休"))
		p += strlen("调休");
	if (!*p)
		return 0;
	if ((said = read_days(&p)) < 0 || *p)
		return cp_err(CP_ERR_INVALID, "%s:%d: item %d (%s): cannot read '%s'", c->file,
			      c->line, c->num, c->name, clause);
	return check_count(c, said, days, clause);
}

/* FROM至TO放假[调休][N天]: the TO may leave out its year and month. */
static int
holiday_range(struct item_ctx *c, struct ndate *a, const char *p, const char *clause)
{
	struct ndate b;
	int r, ya, yb;

	p += strlen("至");
	if ((r = read_date(c, &p, &b, clause)) <= 0)
		return r < 0 ? r
			     : cp_err(CP_ERR_INVALID,
				      "%s:%d: item %d (%s): no date after '至' in '%s'", c->file,
				      c->line, c->num, c->name, clause);
	if (!a->m)
		return cp_err(CP_ERR_INVALID, "%s:%d: item %d (%s): a date without a month in '%s'",
			      c->file, c->line, c->num, c->name, clause);
	if (!b.m)
		b.m = a->m;
	/* a range across New Year ("12月30日至1月1日"): it starts in the year before */
	ya = a->y ? a->y : b.m < a->m ? (b.y ? b.y : c->n->year) - 1 : (b.y ? b.y : c->n->year);
	yb = b.y ? b.y : b.m < a->m ? ya + 1 : ya;
	if ((r = resolve(c, a, ya, clause)) < 0 || (r = resolve(c, &b, yb, clause)) < 0)
		return r;
	if (b.day < a->day || b.day - a->day + 1 > NOTICE_MAX_RANGE)
		return cp_err(CP_ERR_INVALID,
			      "%s:%d: item %d (%s): '%s' is not a range of 1 to %d days", c->file,
			      c->line, c->num, c->name, clause, NOTICE_MAX_RANGE);
	if (!starts(p, "放假"))
		return cp_err(CP_ERR_INVALID,
			      "%s:%d: item %d (%s): expected '放假' after the range in '%s'",
			      c->file, c->line, c->num, c->name, clause);
	if (ya < c->n->year)
		c->new_year = 1;
	add_entry(c, 'H', a->day, b.day);
	return after_fangjia(c, p + strlen("放假"), b.day - a->day + 1, clause);
}

/* DATE[、DATE]... followed by 上班 (make-up working days), 补休 (days off in lieu) or 放假. */
static int
date_list(struct item_ctx *c, const struct ndate *first, const char *p, const char *clause)
{
	struct ndate v[16];
	size_t n = 0;
	char kind, txt[11];
	int r;

	v[n++] = *first;
	if (!first->m)
		return cp_err(CP_ERR_INVALID, "%s:%d: item %d (%s): a date without a month in '%s'",
			      c->file, c->line, c->num, c->name, clause);
	while (starts(p, "、")) {
		p += strlen("、");
		if (n == sizeof(v) / sizeof(v[0]))
			return cp_err(CP_ERR_INVALID, "%s:%d: item %d (%s): too many dates in '%s'",
				      c->file, c->line, c->num, c->name, clause);
		if ((r = read_date(c, &p, &v[n], clause)) <= 0)
			return r < 0 ? r
				     : cp_err(CP_ERR_INVALID,
					      "%s:%d: item %d (%s): expected a date after '、' in "
					      "'%s'",
					      c->file, c->line, c->num, c->name, clause);
		if (!v[n].m) {
			v[n].m = v[n - 1].m;
			v[n].y = v[n].y ? v[n].y : v[n - 1].y;
		}
		n++;
	}
	if (!strcmp(p, "上班"))
		kind = 'W';
	else if (!strcmp(p, "补休"))
		kind = 'B';
	else if (starts(p, "放假"))
		kind = 'H';
	else
		return cp_err(
			CP_ERR_INVALID,
			"%s:%d: item %d (%s): cannot read '%s' (expected 至, 放假, 上班 or 补休 "
			"after the date)",
			c->file, c->line, c->num, c->name, clause);
	for (size_t i = 0; i < n; i++) {
		int wd;

		if ((r = resolve(c, &v[i], single_year(c, &v[i]), clause)) < 0)
			return r;
		wd = cp_weekday(v[i].day);
		day_text(v[i].day, txt);
		if (kind == 'W' && wd != 0 && wd != 6)
			return cp_err(CP_ERR_INVALID,
				      "%s:%d: item %d (%s): make-up working day %s is a 周%s, a "
				      "working day anyway",
				      c->file, c->line, c->num, c->name, txt, wday_zh[wd]);
		if (kind == 'B' && (wd == 0 || wd == 6))
			return cp_err(CP_ERR_INVALID,
				      "%s:%d: item %d (%s): day off in lieu %s is a 周%s, a day "
				      "off anyway",
				      c->file, c->line, c->num, c->name, txt, wday_zh[wd]);
		add_entry(c, kind == 'W' ? 'W' : 'H', v[i].day, v[i].day);
	}
	return kind == 'H' ? after_fangjia(c, p + strlen("放假"), (long)n, clause) : 0;
}

/* One clause of a sentence; *advice = 1 for the start of a sentence of advice. */
static int
read_clause(struct item_ctx *c, const char *cl, int *advice)
{
	static const char *const plain[] = {"与周末连休",   "与周六连休",   "与周日连休",
					    "与星期六连休", "与星期日连休", "与双休日连休",
					    "不调休",	    "放假调休"};
	struct ndate a;
	const char *p = cl;
	long said;
	int r;

	if (!*cl)
		return 0;
	if (starts(cl, "鼓励")) {
		*advice = 1;
		return 0;
	}
	if (starts(cl, "共")) {
		p += strlen("共");
		if ((said = read_days(&p)) >= 0 && !*p) {
			if (!c->sentence_days)
				return cp_err(
					CP_ERR_INVALID,
					"%s:%d: item %d (%s): '%s' with no days off before it",
					c->file, c->line, c->num, c->name, cl);
			return check_count(c, said, c->sentence_days, cl);
		}
		p = cl;
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(cl, plain[i]))
			return 0;
	if ((r = read_date(c, &p, &a, cl)) < 0)
		return r;
	if (r == 0)
		return cp_err(CP_ERR_INVALID, "%s:%d: item %d (%s): cannot read '%s'", c->file,
			      c->line, c->num, c->name, cl);
	if (starts(p, "至"))
		return holiday_range(c, &a, p, cl);
	return date_list(c, &a, p, cl);
}

static void
add_note(struct holiday_notice *n, int line, const char *text)
{
	n->notes = xrealloc(n->notes, (n->nnotes + 1) * sizeof(*n->notes));
	n->notes[n->nnotes++] = xasprintf("line %d: %s", line, text);
}

/* One sentence: clauses split at ',' and ';' outside parentheses. */
static int
read_sentence(struct item_ctx *c, const char *sentence)
{
	char *copy = xstrdup(sentence), *p = copy, *start = copy;
	int depth = 0, advice = 0, r = 0;

	c->sentence_days = 0;
	for (;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		if (*p && (depth > 0 || (*p != ',' && *p != ';')))
			continue;
		{
			int last = !*p;

			*p = '\0';
			if ((r = read_clause(c, start, &advice)) < 0)
				break;
			if (advice) {
				add_note(c->n, c->line, sentence + (start - copy));
				break;
			}
			if (last)
				break;
			start = p + 1;
		}
	}
	free(copy);
	return r;
}

/* The holiday name of an item's heading, less any "(...)" a copy added to it. */
static int
item_name(struct item_ctx *c, const char *head, size_t len, char **out)
{
	char *name = xmalloc(len + 1);
	size_t o = 0;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		if (head[i] == '(')
			depth++;
		else if (head[i] == ')' && depth > 0)
			depth--;
		else if (!depth)
			name[o++] = head[i];
	}
	name[o] = '\0';
	if (!o || o > NOTICE_MAX_NAME || strpbrk(name, "0123456789()")) {
		int r = cp_err(CP_ERR_INVALID,
			       "%s:%d: item %d: cannot read the holiday name '%.*s'", c->file,
			       c->line, c->num, (int)len, head);

		free(name);
		return r;
	}
	*out = name;
	return 0;
}

/* Put an item's days off before its make-up days, each in the notice's order. */
static void
order_item(struct holiday_notice *n, size_t first)
{
	size_t k = n->nentries - first, h = 0;
	struct notice_entry *tmp = xmalloc(k * sizeof(*tmp));

	for (size_t i = first; i < n->nentries; i++)
		if (n->entries[i].kind == 'H')
			tmp[h++] = n->entries[i];
	for (size_t i = first, w = h; i < n->nentries; i++)
		if (n->entries[i].kind == 'W')
			tmp[w++] = n->entries[i];
	memcpy(n->entries + first, tmp, k * sizeof(*tmp));
	free(tmp);
}

static int
read_item(struct holiday_notice *n, const char *file, int line, int num, const char *text)
{
	struct item_ctx c = {n, file, line, num, "", 0, n->nentries, 0};
	const char *colon = strchr(text, ':');
	char *name = NULL, *body, *s;
	int r = 0, any = 0;

	if (!colon)
		return cp_err(CP_ERR_INVALID, "%s:%d: item %d has no heading 'NAME：' ('%.60s')",
			      file, line, num, text);
	if ((r = item_name(&c, text, (size_t)(colon - text), &name)) < 0)
		return r;
	if (n->nitems == NOTICE_MAX_ITEMS) {
		free(name);
		return cp_err(CP_ERR_INVALID, "%s:%d: more than %d items", file, line,
			      NOTICE_MAX_ITEMS);
	}
	n->names = xrealloc(n->names, (n->nitems + 1) * sizeof(*n->names));
	n->names[n->nitems++] = name;
	c.name = name;
	c.new_year = strstr(name, "元旦") != NULL;
	body = xstrdup(colon + 1);
	for (s = body; *s && r == 0;) {
		char *end = strstr(s, "。");

		if (end)
			*end = '\0';
		if (*s)
			r = read_sentence(&c, s);
		s = end ? end + strlen("。") : s + strlen(s);
	}
	free(body);
	if (r < 0)
		return r;
	for (size_t i = c.first; i < n->nentries; i++)
		any |= n->entries[i].kind == 'H';
	if (!any)
		return cp_err(CP_ERR_INVALID, "%s:%d: item %d (%s) gives no days off", file, line,
			      num, name);
	order_item(n, c.first);
	return 0;
}

struct day_ref {
	long day;
	int line;
};

static int
cmp_ref(const void *a, const void *b)
{
	const struct day_ref *x = a, *y = b;

	return x->day < y->day ? -1 : x->day > y->day ? 1 : x->line - y->line;
}

/* No day is a day off twice, or both a day off and a make-up working day. */
static int
check_overlaps(const struct holiday_notice *n, const char *file)
{
	struct day_ref *v = NULL;
	size_t k = 0;
	int r = 0;

	for (size_t i = 0; i < n->nentries; i++)
		for (long d = n->entries[i].from; d <= n->entries[i].to; d++) {
			v = xrealloc(v, (k + 1) * sizeof(*v));
			v[k++] = (struct day_ref){d, n->entries[i].line};
		}
	if (k)
		qsort(v, k, sizeof(*v), cmp_ref);
	for (size_t i = 1; i < k && r == 0; i++)
		if (v[i].day == v[i - 1].day) {
			char txt[11];

			day_text(v[i].day, txt);
			r = cp_err(CP_ERR_INVALID, "%s:%d: %s is listed twice (also on line %d)",
				   file, v[i].line, txt, v[i - 1].line);
		}
	free(v);
	return r;
}

static int
find_year(struct holiday_notice *n, const struct nline *v, size_t nv, const char *file)
{
	int line = 0;

	for (size_t i = 0; i < nv; i++) {
		int y = find_title(v, nv, i);

		if (!y)
			continue;
		if (n->year && y != n->year)
			return cp_err(CP_ERR_FORMAT,
				      "%s:%d: a title for %d, but line %d has the title for %d",
				      file, v[i].no, y, line, n->year);
		if (!n->year)
			line = v[i].no;
		n->year = y;
	}
	if (!n->year)
		return cp_err(CP_ERR_FORMAT,
			      "%s: no title '%sYYYY%s': not the State Council's yearly holiday "
			      "notice",
			      file, title_head, title_tail);
	n->title = xasprintf("%s%d%s", title_head, n->year, title_tail);
	return 0;
}

/* The numbered items (an item runs on over lines until one ends with "。"), the document
 * number above them and the date of issue. */
static int
read_body(struct holiday_notice *n, const struct nline *v, size_t nv, const char *file)
{
	int expected = 1, r;

	for (size_t i = 0; i < nv; i++) {
		const char *rest, *s = v[i].s;
		struct buf item = BUF_INIT(NOTICE_MAX_BYTES);
		int num = *s ? item_number(s, &rest) : 0, line = v[i].no;
		long day;

		if (!num) {
			if (!n->nitems && !n->docno)
				n->docno = find_docno(s);
			if (whole_date(s, &day) || (starts(s, "国务院办公厅") &&
						    whole_date(s + strlen("国务院办公厅"), &day)))
				n->issued = day;
			continue;
		}
		if (num != expected)
			return cp_err(CP_ERR_INVALID, "%s:%d: item %d where item %d was expected",
				      file, line, num, expected);
		buf_append(&item, rest, strlen(rest));
		while ((item.len < 3 || strcmp(buf_str(&item) + item.len - 3, "。") != 0) &&
		       i + 1 < nv && v[i + 1].s[0] && !item_number(v[i + 1].s, &rest)) {
			i++;
			buf_append(&item, v[i].s, strlen(v[i].s));
		}
		r = read_item(n, file, line, num, buf_str(&item));
		buf_release(&item);
		if (r < 0)
			return r;
		expected++;
	}
	if (!n->nitems)
		return cp_err(CP_ERR_FORMAT,
			      "%s: no numbered items ('一、元旦：...') in the notice", file);
	return 0;
}

int
holiday_notice_parse(const char *text, size_t len, const char *name, struct holiday_notice **out)
{
	struct holiday_notice *n = NULL;
	struct nline *v = NULL;
	size_t nv = 0;
	int r;

	*out = NULL;
	if (len > NOTICE_MAX_BYTES)
		return cp_err(CP_ERR_LIMIT, "%s: %zu bytes; a notice has at most %d", name, len,
			      NOTICE_MAX_BYTES);
	n = xcalloc(1, sizeof(*n));
	n->issued = -1;
	if ((r = read_lines(text, len, name, &v, &nv)) < 0 || (r = find_year(n, v, nv, name)) < 0 ||
	    (r = read_body(n, v, nv, name)) < 0 || (r = check_overlaps(n, name)) < 0)
		goto out;
	*out = n;
	n = NULL;
out:
	lines_free(v, nv);
	holiday_notice_free(n);
	return r;
}

int
holiday_notice_block(const struct holiday_notice *n, struct buf *out)
{
	char a[11], b[11];
	int r;

	if (n->issued < 0)
		return cp_err(CP_ERR_INVALID,
			      "the notice for %d has no date of issue (the line 'YYYY年M月D日' "
			      "under 国务院办公厅); give it with --issued YYYY-MM-DD",
			      n->year);
	day_text(n->issued, a);
	if ((r = buf_appendf(out, "year %d %s (%s)\n", n->year, n->docno ? n->docno : n->title,
			     a)) < 0)
		return r;
	for (size_t i = 0; i < n->nentries && r == 0; i++) {
		const struct notice_entry *e = &n->entries[i];

		day_text(e->from, a);
		day_text(e->to, b);
		r = e->kind == 'H' ? buf_appendf(out, "holiday %s %s %s\n", a, b, e->name)
				   : buf_appendf(out, "workday %s %s\n", a, e->name);
	}
	return r;
}
