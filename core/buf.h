/*
 * buf.h - a growable byte buffer with a hard maximum (after curl's dynbuf).
 *
 * Invariants: data is NULL or NUL-terminated (len excludes the NUL); a buf that would
 * grow past max fails with CP_ERR_LIMIT and keeps what it had. BUF_INIT(max) is a
 * valid empty buffer. buf_release() frees the contents; buf_release_secret() wipes first.
 */
#ifndef CP_BUF_H
#define CP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	unsigned char *data;
	size_t len, cap, max;
};

#define BUF_INIT(maxbytes)                                                                         \
	{                                                                                          \
		NULL, 0, 0, (maxbytes)                                                             \
	}
#define BUF_UNLIMITED ((size_t)-1 / 2)

void buf_init(struct buf *b, size_t max);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_putc(struct buf *b, unsigned char c);
/* Append n bytes as upper-case hex. */
int buf_append_hex(struct buf *b, const void *p, size_t n);
void buf_reset(struct buf *b);
void buf_release(struct buf *b);
void buf_release_secret(struct buf *b);
/* Take ownership of the bytes; b is left empty. */
unsigned char *buf_detach(struct buf *b, size_t *len);
static inline const char *
buf_str(const struct buf *b)
{
	return b->data ? (const char *)b->data : "";
}

#endif
