/*
 * app_parse.c - format detection, dispatch to the XML and CSV parsers, and what they share:
 * failure reports, field setting, photo references and inline photos (see app_parse.h).
 */
#include "formats/app_parse.h"

#include "core/err.h"
#include "core/mem.h"
#include "formats/base64.h"
#include "formats/schemas.h"

#include <libxml/parser.h>

#include <stdarg.h>
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

int
parse_failf(struct parse_fail *f, const char *code, long line, const char *fmt, ...)
{
	va_list ap;

	if (f->code)
		return CP_ERR_FORMAT;
	f->code = code;
	f->line = line;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return CP_ERR_FORMAT;
}

int
parse_fail_stream(struct parse_fail *f, const struct instream *s)
{
	return parse_failf(f, s->fail_code ? s->fail_code : "file-too-large", 0, "%s",
			   s->fail_detail);
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
app_field_set(char **dst, const char *s, size_t len)
{
	while (len && is_ws((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && is_ws((unsigned char)s[len - 1]))
		len--;
	free(*dst);
	*dst = len ? xstrndup(s, len) : NULL;
}

const char *
photo_ref_problem(const char *ref)
{
	const char *p, *seg;

	if (!ref || !*ref)
		return "is empty";
	if (strlen(ref) > 1024)
		return "is longer than 1024 characters";
	if (ref[0] == '/')
		return "is an absolute path";
	if (strstr(ref, "://"))
		return "is a URL, not a relative path";
	for (p = ref; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "contains a control character";
		if (*p == '\\')
			return "contains a backslash";
	}
	/* no '..' component anywhere (also hides nothing behind "a/../../x") */
	for (seg = ref; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
		size_t n = strcspn(seg, "/");

		if (n == 2 && seg[0] == '.' && seg[1] == '.')
			return "has a '..' component (points outside the file's folder)";
	}
	if (ref[strlen(ref) - 1] == '/')
		return "names a folder, not a file";
	return NULL;
}

/* Printable, bounded rendering of a reference for messages. */
static void
quote_ref(const char *ref, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; ref[i] && o + 5 < outsz; i++) {
		unsigned char c = (unsigned char)ref[i];

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (ref[i])
		o += (size_t)snprintf(out + o, outsz - o, "...");
	out[o < outsz ? o : outsz - 1] = '\0';
}

void
app_record_set_photo_ref(struct app_record *rec, const char *ref, const char *field)
{
	const char *why = photo_ref_problem(ref);
	char q[160];

	app_field_set(&rec->photo_ref, ref, strlen(ref));
	if (why) {
		quote_ref(ref, q, sizeof(q));
		app_record_reject(rec, "photo-ref-outside", field,
				  "%s, field '%s': photo reference '%s' %s", rec->location, field,
				  q, why);
	}
}

void
app_record_set_inline_photo(struct app_record *rec, const char *text, size_t len, const char *field)
{
	unsigned char *data = NULL;
	size_t n = 0;

	free(rec->photo);
	rec->photo = NULL;
	rec->photo_len = 0;
	if (base64_decode(text, len, &data, &n) < 0) {
		app_record_reject(rec, "photo-base64-invalid", field,
				  "%s, field '%s': inline photo is not valid base64: %s",
				  rec->location, field, cp_errmsg());
		return;
	}
	rec->photo = data;
	rec->photo_len = n;
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

int
app_parse_stream(struct instream *s, const struct parse_limits *lim, app_record_fn fn, void *arg,
		 enum app_format *fmt, struct parse_fail *f)
{
	int r;

	if ((r = app_format_detect(s, fmt, f)) < 0)
		return r;
	return app_parse(s, *fmt, lim, fn, arg, f);
}
