/*
 * app_parse.c - format detection and dispatch to the XML and CSV parsers (see app_parse.h;
 * what they share: app_common.c).
 */
#include "formats/app_parse.h"

#include "core/err.h"
#include "formats/counter_csv.h"
#include "formats/schemas.h"
#include "formats/xml_apps.h"

#include <libxml/parser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
app_parse_init(void)
{
	xmlInitParser();
	if (!schema_get(APP_FORMAT_EMPLOYER_XML) || !schema_get(APP_FORMAT_ONLINE_XML))
		return CP_ERR_INVALID;
	return 0;
}

const char *
app_format_name(enum app_format fmt)
{
	switch (fmt) {
	case APP_FORMAT_EMPLOYER_XML: return "employer-xml";
	case APP_FORMAT_ONLINE_XML: return "online-xml";
	case APP_FORMAT_COUNTER_CSV: return "counter-csv";
	default: return "unknown";
	}
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- detection ---- */

static long
line_at(const unsigned char *p, size_t pos)
{
	long line = 1;

	for (size_t i = 0; i < pos; i++)
		line += p[i] == '\n';
	return line;
}

static const unsigned char *
find(const unsigned char *p, size_t n, const char *what)
{
	size_t wl = strlen(what);

	for (size_t i = 0; i + wl <= n; i++)
		if (!memcmp(p + i, what, wl))
			return p + i;
	return NULL;
}

/* The XML declaration's encoding must be UTF-8 or GB18030 (format outline). */
static int
check_xml_decl(const unsigned char *p, size_t n, struct parse_fail *f)
{
	const unsigned char *end = find(p, n, "?>"), *e;
	char enc[40];
	size_t i = 0;
	unsigned char q;

	if (!end)
		return 0; /* the parser reports it */
	e = find(p, (size_t)(end - p), "encoding");
	if (!e)
		return 0;
	e += 8;
	while (e < end && (is_ws(*e) || *e == '='))
		e++;
	if (e >= end || (*e != '"' && *e != '\''))
		return 0;
	q = *e++;
	while (e < end && *e != q && i + 1 < sizeof(enc))
		enc[i++] = (char)*e++;
	enc[i] = '\0';
	if (strcasecmp(enc, "UTF-8") && strcasecmp(enc, "UTF8") && strcasecmp(enc, "GB18030"))
		return parse_failf(f, "bad-encoding", 1,
				   "the XML declaration names encoding '%s'; application files are "
				   "UTF-8 or GB18030",
				   enc);
	return 0;
}

static int
detect_xml(const unsigned char *p, size_t n, size_t pos, enum app_format *fmt, struct parse_fail *f)
{
	const unsigned char *e;
	char root[64];
	size_t i, k;
	int r;

	if (n - pos >= 5 && !memcmp(p + pos, "<?xml", 5) &&
	    (r = check_xml_decl(p + pos, n - pos, f)) < 0)
		return r;
	while (pos < n) {
		if (is_ws(p[pos])) {
			pos++;
			continue;
		}
		if (p[pos] != '<')
			return parse_failf(f, "not-well-formed", line_at(p, pos),
					   "text before the root element");
		if (n - pos >= 2 && p[pos + 1] == '?') {
			if (!(e = find(p + pos, n - pos, "?>")))
				break;
			pos = (size_t)(e - p) + 2;
			continue;
		}
		if (n - pos >= 4 && !memcmp(p + pos, "<!--", 4)) {
			if (!(e = find(p + pos + 4, n - pos - 4, "-->")))
				break;
			pos = (size_t)(e - p) + 3;
			continue;
		}
		if (n - pos >= 9 && !strncasecmp((const char *)p + pos, "<!DOCTYPE", 9)) {
			/* Refused before any parser sees it: no DTD is ever read, no entity ever
			 * expanded. External identifiers mean XXE; internal entities, expansion. */
			const unsigned char *d = p + pos;
			size_t dn = n - pos;
			long line = line_at(p, pos);

			if (find(d, dn, "SYSTEM") || find(d, dn, "PUBLIC"))
				return parse_failf(
					f, "external-entity", line,
					"the file declares a DOCTYPE with an external "
					"identifier (SYSTEM/PUBLIC): external entities and "
					"DTDs are never loaded");
			if (find(d, dn, "<!ENTITY"))
				return parse_failf(f, "entity-expansion", line,
						   "the file declares a DOCTYPE with entity "
						   "declarations: entities are never expanded");
			return parse_failf(f, "external-entity", line,
					   "the file declares a DOCTYPE: application files may "
					   "not carry a DTD");
		}
		if (n - pos >= 2 && p[pos + 1] == '!')
			return parse_failf(f, "not-well-formed", line_at(p, pos),
					   "unexpected markup before the root element");
		/* the root element's name, without a prefix */
		i = pos + 1;
		k = 0;
		while (i < n && !is_ws(p[i]) && p[i] != '>' && p[i] != '/' &&
		       k + 1 < sizeof(root)) {
			root[k++] = (char)p[i++];
			if (p[i - 1] == ':')
				k = 0;
		}
		root[k] = '\0';
		if (!strcmp(root, "EmployerBatch"))
			*fmt = APP_FORMAT_EMPLOYER_XML;
		else if (!strcmp(root, "OnlineApplications"))
			*fmt = APP_FORMAT_ONLINE_XML;
		else
			return parse_failf(f, "unknown-format", line_at(p, pos),
					   "XML root element '%s' is neither EmployerBatch nor "
					   "OnlineApplications",
					   root);
		return 0;
	}
	return parse_failf(f, "unknown-format", 0,
			   "no root element in the first %zu bytes of the XML file", n);
}

int
app_format_detect(struct instream *s, enum app_format *fmt, struct parse_fail *f)
{
	const unsigned char *p;
	ssize_t got = instream_peek(s, &p);
	size_t n, pos = 0, eol;

	*fmt = APP_FORMAT_UNKNOWN;
	if (got < 0)
		return parse_fail_stream(f, s);
	n = (size_t)got;
	if (n == 0)
		return parse_failf(f, "unknown-format", 0, "the file is empty");
	if ((n >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe && p[1] == 0xff))) ||
	    (n >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0xfe && p[3] == 0xff))
		return parse_failf(f, "bad-encoding", 1,
				   "the file is UTF-16 or UTF-32; application files are UTF-8 or "
				   "GB18030");
	if (memchr(p, 0, n))
		return parse_failf(f, "unknown-format",
				   line_at(p, (size_t)((const unsigned char *)memchr(p, 0, n) - p)),
				   "the file holds NUL bytes: it is binary, not XML or CSV text");
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		pos = 3;
	while (pos < n && is_ws(p[pos]))
		pos++;
	if (pos < n && p[pos] == '<')
		return detect_xml(p, n, pos, fmt, f);

	/* CSV: an optional "#encoding=" line, then a header naming the columns */
	if (n - pos >= 10 && !memcmp(p + pos, "#encoding=", 10)) {
		*fmt = APP_FORMAT_COUNTER_CSV;
		return 0;
	}
	/* a header: one line of printable ASCII names with commas between them */
	for (eol = pos; eol < n && p[eol] != '\n' && p[eol] != '\r'; eol++)
		if (p[eol] < 0x20 || p[eol] > 0x7e)
			break;
	if ((eol == n || p[eol] == '\n' || p[eol] == '\r') && find(p + pos, eol - pos, ",")) {
		*fmt = APP_FORMAT_COUNTER_CSV;
		return 0;
	}
	return parse_failf(f, "unknown-format", 1,
			   "not an employer batch XML, online-channel XML or counter CSV file "
			   "(no XML root element and no CSV header)");
}

int
app_parse(struct instream *s, enum app_format fmt, const struct parse_limits *lim, app_record_fn fn,
	  void *arg, struct parse_fail *f)
{
	switch (fmt) {
	case APP_FORMAT_EMPLOYER_XML:
	case APP_FORMAT_ONLINE_XML: return xml_apps_parse(s, fmt, lim, fn, arg, f);
	case APP_FORMAT_COUNTER_CSV: return counter_csv_parse(s, lim, fn, arg, f);
	default: return parse_failf(f, "unknown-format", 0, "unknown format");
	}
}
