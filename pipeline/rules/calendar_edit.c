/*
 * calendar_edit.c - changes to the calendar file's text (docs/calendar-format.md): put one
 * year's block in, in year order, and keep every other byte as it was, so that comments and
 * hand edits survive an import; and where the file is.
 */
#include "pipeline/rules/calendar.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

const char calendar_header[] =
	"# cardpipe working-day calendar (format: docs/calendar-format.md, version 1).\n"
	"# A working day is Monday to Friday outside the holidays below, or a make-up working "
	"day.\n"
	"# A year without a \"year\" line is not covered: asking about it is an error, never a "
	"guess.\n"
	"# Each year comes from the State Council's notice: cardpipe calendar import NOTICE.txt\n";

char *
calendar_locate(const char *configured, const char *home)
{
	char *own;

	if (configured && configured[0])
		return xstrdup(configured);
	own = fs_join(home, "calendar.txt");
	if (fs_exists(own))
		return own;
	free(own);
	return NULL;
}

/* One `year` block of the text: from its year line to the next one. */
struct seg {
	size_t start, body_end, end;
	int year, line;
};

/* The year of a `year YYYY ...` line, else 0. */
static int
year_line(const char *p, size_t n)
{
	int y = 0;
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (n - i < 10 || strncmp(p + i, "year", 4) != 0 || (p[i + 4] != ' ' && p[i + 4] != '\t'))
		return 0;
	i += 4;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	for (int k = 0; k < 4; k++, i++) {
		if (i >= n || p[i] < '0' || p[i] > '9')
			return 0;
		y = y * 10 + (p[i] - '0');
	}
	return i == n || p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ? y : 0;
}

/* A line that states something (not blank, not a comment). */
static int
statement(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	return i < n && p[i] != '#';
}

static size_t
split(const char *text, size_t len, struct seg **out)
{
	struct seg *v = NULL;
	size_t n = 0, o = 0;
	int line = 0;

	while (o < len) {
		const char *nl = memchr(text + o, '\n', len - o);
		size_t l = nl ? (size_t)(nl - (text + o)) : len - o, next = nl ? o + l + 1 : len;
		int y = year_line(text + o, l);

		line++;
		if (y) {
			if (n)
				v[n - 1].end = o;
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = (struct seg){o, next, len, y, line};
		} else if (n && statement(text + o, l)) {
			v[n - 1].body_end = next;
		}
		o = next;
	}
	*out = v;
	return n;
}

int
calendar_put_year(const char *text, size_t len, int year, const char *block, int replace,
		  struct buf *out)
{
	struct seg *v = NULL;
	size_t n, at = len;
	int r = 0;

	if (len == 0) {
		if ((r = buf_appendf(out, "%s\n%s", calendar_header, block)) < 0)
			return r;
		return 0;
	}
	n = split(text, len, &v);
	for (size_t i = 0; i < n; i++) {
		if (v[i].year == year) {
			if (!replace) {
				r = cp_err(CP_ERR_EXISTS,
					   "the calendar has %d already (line %d); --replace "
					   "replaces it",
					   year, v[i].line);
				goto out;
			}
			if ((r = buf_append(out, text, v[i].start)) < 0 ||
			    (r = buf_append(out, block, strlen(block))) < 0 ||
			    (v[i].body_end < len && text[v[i].body_end - 1] != '\n' &&
			     (r = buf_putc(out, '\n')) < 0) ||
			    (r = buf_append(out, text + v[i].body_end, len - v[i].body_end)) < 0)
				goto out;
			goto out;
		}
		if (v[i].year > year && at == len)
			at = v[i].start;
	}
	if (at < len) {
		if ((r = buf_append(out, text, at)) < 0 ||
		    (r = buf_appendf(out, "%s\n", block)) < 0 ||
		    (r = buf_append(out, text + at, len - at)) < 0)
			goto out;
		goto out;
	}
	if ((r = buf_append(out, text, len)) < 0)
		goto out;
	if (text[len - 1] != '\n' && (r = buf_putc(out, '\n')) < 0)
		goto out;
	/* a blank line between the last block and the new one */
	if (!(out->len >= 2 && out->data[out->len - 2] == '\n') && (r = buf_putc(out, '\n')) < 0)
		goto out;
	r = buf_append(out, block, strlen(block));
out:
	free(v);
	return r;
}
