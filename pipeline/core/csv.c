/* csv.c - RFC 4180 field quoting (see csv.h). */
#include "core/csv.h"

#include <string.h>

int
csv_field(struct buf *b, const char *s, const char *end)
{
	int r = 0;

	s = s ? s : "";
	if (strpbrk(s, ",\"\r\n")) {
		r = buf_putc(b, '"');
		for (; r == 0 && *s; s++)
			r = *s == '"' ? buf_append(b, "\"\"", 2) : buf_putc(b, (unsigned char)*s);
		if (r == 0)
			r = buf_putc(b, '"');
	} else {
		r = buf_append(b, s, strlen(s));
	}
	return r ? r : buf_append(b, end, strlen(end));
}
