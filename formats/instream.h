/*
 * instream.h - the bytes of one input file, plain or gzip-compressed (RFC 1952, detected by
 * its magic bytes, several members allowed), read in chunks so that memory stays bounded
 * whatever the file's size. Limits guard against oversized files and gzip bombs.
 *
 * A read that fails records why in fail_code (a code of reasons_ingest.c: "truncated-gzip",
 * "gzip-bomb", "file-too-large") and fail_detail; parsers report that code for the file.
 */
#ifndef CP_INSTREAM_H
#define CP_INSTREAM_H

#include <stddef.h>
#include <sys/types.h>
#include <zlib.h>

struct instream_limits {
	unsigned long long max_bytes; /* largest (decompressed) content */
	unsigned long max_ratio;      /* largest decompressed/compressed ratio */
};

/* fail_code of a read error of the file system (not a fault of the file: the stage fails) */
#define INSTREAM_IO_ERROR "io-error"

#define INSTREAM_PEEK 4096
#define INSTREAM_CHUNK 65536

struct instream {
	struct instream_limits lim;
	int fd;			  /* -1 for memory input */
	const unsigned char *mem; /* memory input */
	size_t memlen, mempos;
	int gzip, zinit, zend, raw_eof;
	z_stream z;
	unsigned char *inbuf;		   /* compressed bytes being inflated */
	unsigned long long in_total;	   /* raw bytes consumed */
	unsigned long long out_total;	   /* content bytes produced */
	unsigned char peek[INSTREAM_PEEK]; /* content read ahead by instream_peek() */
	size_t peeklen, peekpos;
	const char *fail_code;
	char fail_detail[256];
};

/* Open path (O_NOFOLLOW: an inbox symlink is refused). CP_ERR_IO / CP_ERR_NOTFOUND. */
int instream_open_file(struct instream *s, const char *path, const struct instream_limits *lim);
/* Read from memory (the fuzz targets and unit tests). data must outlive s. */
void instream_open_mem(struct instream *s, const void *data, size_t len,
		       const struct instream_limits *lim);
/* Up to n content bytes into buf: the count, 0 at the end, -1 on failure (fail_code set). */
ssize_t instream_read(struct instream *s, void *buf, size_t n);
/* Make the first up to INSTREAM_PEEK content bytes available without consuming them:
 * *data points at them, the count is returned (-1 on failure). Call before any read. */
ssize_t instream_peek(struct instream *s, const unsigned char **data);
void instream_close(struct instream *s);

#endif
