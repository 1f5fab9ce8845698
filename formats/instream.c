/* instream.c - plain or gzip input with size and ratio limits (see instream.h). */
#include "formats/instream.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Small files compress well by nature; the ratio test starts past this much output so
 * that a tiny, highly repetitive but honest file is not taken for a bomb. */
#define RATIO_FLOOR (1024 * 1024)

static ssize_t
fail(struct instream *s, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!s->fail_code) {
		s->fail_code = code;
		va_start(ap, fmt);
		vsnprintf(s->fail_detail, sizeof(s->fail_detail), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
init_common(struct instream *s, const struct instream_limits *lim)
{
	memset(s, 0, sizeof(*s));
	s->lim = *lim;
	s->fd = -1;
	s->gzip = -1; /* not known until the first bytes are seen */
}

int
instream_open_file(struct instream *s, const char *path, const struct instream_limits *lim)
{
	init_common(s, lim);
	/* never blocks in open() (a FIFO renamed over the file), refuses anything not a file */
	return fs_open_regular(path, &s->fd);
}

void
instream_open_mem(struct instream *s, const void *data, size_t len,
		  const struct instream_limits *lim)
{
	init_common(s, lim);
	s->mem = data;
	s->memlen = len;
}

/* Raw (possibly compressed) bytes: count, 0 at end, -1 on an I/O error. */
static ssize_t
raw_read(struct instream *s, unsigned char *buf, size_t n)
{
	ssize_t got;

	if (s->fd < 0) {
		size_t left = s->memlen - s->mempos;

		if (n > left)
			n = left;
		memcpy(buf, s->mem + s->mempos, n);
		s->mempos += n;
		s->in_total += n;
		return (ssize_t)n;
	}
	do
		got = read(s->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return fail(s, INSTREAM_IO_ERROR, "read error: %s", strerror(errno));
	s->in_total += (size_t)got;
	return got;
}

/* Decide plain or gzip from the first two raw bytes. */
static int
detect(struct instream *s)
{
	unsigned char head[2];
	ssize_t n = 0, got = 0;

	while (n < 2 && (got = raw_read(s, head + n, 2 - (size_t)n)) > 0)
		n += got;
	if (got < 0)
		return -1;
	s->gzip = (n == 2 && head[0] == 0x1f && head[1] == 0x8b);
	if (!s->gzip) {
		/* plain: the bytes read so far are content */
		memcpy(s->peek, head, (size_t)n);
		s->peeklen = (size_t)n;
		s->out_total = (size_t)n;
		return 0;
	}
	s->inbuf = xmalloc(INSTREAM_CHUNK);
	memcpy(s->inbuf, head, 2);
	s->z.next_in = s->inbuf;
	s->z.avail_in = 2;
	if (inflateInit2(&s->z, 15 + 16) != Z_OK)
		return (int)fail(s, "truncated-gzip", "cannot start gzip decompression");
	s->zinit = 1;
	return 0;
}

static int
refill(struct instream *s)
{
	ssize_t got;

	if (s->z.avail_in > 0 || s->raw_eof)
		return 0;
	got = raw_read(s, s->inbuf, INSTREAM_CHUNK);
	if (got < 0)
		return -1;
	if (got == 0)
		s->raw_eof = 1;
	s->z.next_in = s->inbuf;
	s->z.avail_in = (uInt)got;
	return 0;
}

static ssize_t
gz_read(struct instream *s, unsigned char *buf, size_t n)
{
	int zr;

	if (n > INSTREAM_CHUNK)
		n = INSTREAM_CHUNK;
	for (;;) {
		if (s->zend) {
			/* a member ended: another member, the end, or trailing garbage */
			if (refill(s) < 0)
				return -1;
			if (s->z.avail_in == 0)
				return 0;
			if (s->z.next_in[0] != 0x1f)
				return fail(s, "truncated-gzip",
					    "unexpected bytes after the end of the gzip stream "
					    "(at compressed offset %llu)",
					    s->in_total - s->z.avail_in);
			inflateReset(&s->z);
			s->zend = 0;
		}
		if (refill(s) < 0)
			return -1;
		if (s->z.avail_in == 0 && s->raw_eof)
			return fail(
				s, "truncated-gzip",
				"gzip stream ends early after %llu compressed bytes (truncated)",
				s->in_total);
		s->z.next_out = buf;
		s->z.avail_out = (uInt)n;
		zr = inflate(&s->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			s->zend = 1;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return fail(s, "truncated-gzip", "gzip data is corrupt: %s",
				    s->z.msg ? s->z.msg : "inflate error");
		if (s->z.avail_out < n)
			return (ssize_t)(n - s->z.avail_out);
	}
}

static ssize_t
content_read(struct instream *s, unsigned char *buf, size_t n)
{
	ssize_t got;

	if (s->fail_code)
		return -1;
	got = s->gzip ? gz_read(s, buf, n) : raw_read(s, buf, n);
	if (got <= 0)
		return got;
	if (s->gzip)
		s->out_total += (size_t)got;
	else
		s->out_total = s->in_total;
	if (s->gzip) {
		/* compressed bytes inflate actually used, not those merely read ahead */
		unsigned long long used = s->in_total - s->z.avail_in;

		if (s->out_total > RATIO_FLOOR &&
		    s->out_total / (used ? used : 1) > s->lim.max_ratio)
			return fail(s, "gzip-bomb",
				    "gzip expands more than %lu times (%llu bytes out of %llu so "
				    "far; ingest.max_gzip_ratio)",
				    s->lim.max_ratio, s->out_total, used);
	}
	if (s->out_total > s->lim.max_bytes)
		return fail(s, s->gzip ? "gzip-bomb" : "file-too-large",
			    "content larger than the limit of %llu bytes", s->lim.max_bytes);
	return got;
}

ssize_t
instream_peek(struct instream *s, const unsigned char **data)
{
	ssize_t got;

	*data = s->peek;
	if (s->gzip < 0 && detect(s) < 0)
		return -1;
	if (s->out_total > s->lim.max_bytes)
		return fail(s, "file-too-large", "content larger than the limit of %llu bytes",
			    s->lim.max_bytes);
	while (s->peeklen < INSTREAM_PEEK) {
		got = content_read(s, s->peek + s->peeklen, INSTREAM_PEEK - s->peeklen);
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		s->peeklen += (size_t)got;
	}
	return (ssize_t)(s->peeklen - s->peekpos);
}

ssize_t
instream_read(struct instream *s, void *buf, size_t n)
{
	if (s->gzip < 0 && detect(s) < 0)
		return -1;
	if (s->peekpos < s->peeklen) {
		size_t take = s->peeklen - s->peekpos;

		if (take > n)
			take = n;
		memcpy(buf, s->peek + s->peekpos, take);
		s->peekpos += take;
		return (ssize_t)take;
	}
	return content_read(s, buf, n);
}

void
instream_close(struct instream *s)
{
	if (s->zinit)
		inflateEnd(&s->z);
	s->zinit = 0;
	free(s->inbuf);
	s->inbuf = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
