/*
 * profile_ini.c - the INI reading shared by the chip and bank profiles (profile_ini.h).
 */
#include "personalization/chip/profile_ini.h"

#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LINE_LIMIT 198 /* libinih is built with 200-byte lines */

int
profile_ini_error(struct profile_ini *pi, const char *section, const char *key, const char *fmt,
		  ...)
{
	char reason[256];
	va_list ap;

	if (pi->err)
		return 0;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	pi->err = CP_ERR_FORMAT;
	pi->err_line = pi->line;
	if (pi->line > 0)
		snprintf(pi->msg, sizeof pi->msg, "%s:%d: [%s] %s: %s", pi->path, pi->line, section,
			 key, reason);
	else
		snprintf(pi->msg, sizeof pi->msg, "%s: [%s] %s: %s", pi->path, section, key,
			 reason);
	return 0;
}

static const char *const *
entry(const void *table, size_t stride, size_t i)
{
	return (const char *const *)(const void *)((const char *)table + i * stride);
}

int
profile_ini_key(struct profile_ini *pi, const void *table, size_t n, size_t stride,
		const char *section, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const char *const *e = entry(table, stride, i);

		if (strcmp(e[0], section) || strcmp(e[1], name))
			continue;
		if (pi->seen & (1u << i))
			return profile_ini_error(pi, section, name, "given twice"), -1;
		pi->seen |= 1u << i;
		return (int)i;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(entry(table, stride, i)[0], section) == 0)
			return profile_ini_error(pi, section, name, "unknown key"), -1;
	if (strcmp(section, "") == 0)
		return profile_ini_error(pi, "", name, "a key before the first [section]"), -1;
	return profile_ini_error(pi, section, name, "unknown section [%s]", section), -1;
}

/* inih's reader: one line at a time, counted, refusing lines inih would cut. */
static char *
reader(char *str, int num, void *stream)
{
	struct profile_ini *pi = stream;
	const char *nl;
	size_t n;

	if (!*pi->text)
		return NULL;
	nl = strchr(pi->text, '\n');
	n = nl ? (size_t)(nl - pi->text) + 1 : strlen(pi->text);
	pi->line++;
	pi->text += n;
	if (n > LINE_LIMIT || n + 1 > (size_t)num) {
		if (!pi->err) {
			pi->err = CP_ERR_FORMAT;
			pi->err_line = pi->line;
			snprintf(pi->msg, sizeof pi->msg, "%s:%d: line longer than %d bytes",
				 pi->path, pi->line, LINE_LIMIT);
		}
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	memcpy(str, pi->text - n, n);
	str[n] = '\0';
	return str;
}

void
profile_ini_run(struct profile_ini *pi, ini_handler handler, void *user)
{
	int r = ini_parse_stream(reader, pi, handler, user);

	if (r > 0 && (!pi->err || (pi->err_line > 0 && r < pi->err_line))) {
		pi->line = r;
		pi->err = CP_ERR_FORMAT;
		pi->err_line = r;
		snprintf(pi->msg, sizeof pi->msg,
			 "%s:%d: syntax error (expected [section] or key = value)", pi->path, r);
	}
}
