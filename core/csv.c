/* csv.c - RFC 4180 field quoting with formula neutralisation (see csv.h). */
#include "core/csv.h"

#include <string.h>

int
csv_formula_lead(const char *s)
{
	return s && (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r');
}

int
csv_field(struct buf *b, const char *s, const char *end)
{
	int r = 0, formula;

	s = s ? s : "";
	formula = csv_formula_lead(s);
	if (formula || strpbrk(s, ",\"\r\n")) {
		/* OWASP: a cell a spreadsheet would take as a formula is quoted and starts with
		 * a single quote, so it shows as text and nothing is evaluated */
		r = buf_putc(b, '"');
		if (r == 0 && formula)
			r = buf_putc(b, '\'');
		for (; r == 0 && *s; s++)
			r = *s == '"' ? buf_append(b, "\"\"", 2) : buf_putc(b, (unsigned char)*s);
		if (r == 0)
			r = buf_putc(b, '"');
	} else {
		r = buf_append(b, s, strlen(s));
	}
	return r ? r : buf_append(b, end, strlen(end));
}
