/*
 * app_common.c - what the application-file parsers share: failure reports, field setting,
 * photo references and inline photos (see app_common.h).
 */
#include "formats/app_common.h"

#include "core/err.h"
#include "core/mem.h"
#include "formats/base64.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
