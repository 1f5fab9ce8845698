/* buf.c - bounded growable buffer (see buf.h). */
#include "core/buf.h"

#include "core/err.h"
#include "core/mem.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static int
grow(struct buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > b->max || b->len > b->max - extra)
		return cp_err(CP_ERR_LIMIT, "buffer limit of %zu bytes exceeded", b->max);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	int r;

	if ((r = grow(b, n)) < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_putc(struct buf *b, unsigned char c)
{
	return buf_append(b, &c, 1);
}

int
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return cp_err(CP_ERR_FORMAT, "bad format string");
	if ((r = grow(b, (size_t)n)) < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_append_hex(struct buf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = p;
	int r;

	if ((r = grow(b, n * 2)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		b->data[b->len++] = (unsigned char)hex[s[i] >> 4];
		b->data[b->len++] = (unsigned char)hex[s[i] & 15];
	}
	b->data[b->len] = '\0';
	return 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_release_secret(struct buf *b)
{
	cp_freezero(b->data, b->cap);
	b->data = NULL;
	b->len = b->cap = 0;
}

unsigned char *
buf_detach(struct buf *b, size_t *len)
{
	unsigned char *p = b->data;

	if (len)
		*len = b->len;
	if (!p)
		p = (unsigned char *)xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
