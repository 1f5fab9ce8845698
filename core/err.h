/*
 * err.h - the one error idiom of cardpipe.
 *
 * Every fallible function returns int: 0 on success, a negative CP_ERR_* code on
 * failure. The human-readable detail (file, line, field, reason) is kept in a
 * thread-local buffer set by cp_err() and read with cp_errmsg(), the way SQLite
 * keeps sqlite3_errmsg() on the connection. A function declares `int r`, chains
 * calls with `if ((r = f()) < 0) goto out;`, and releases everything at `out:`.
 */
#ifndef CP_ERR_H
#define CP_ERR_H

#include <stddef.h>

enum cp_err {
	CP_OK = 0,
	CP_ERR_NOMEM = -1,	  /* allocation failed */
	CP_ERR_IO = -2,		  /* read, write, open, rename, fsync */
	CP_ERR_FORMAT = -3,	  /* malformed input: bad syntax, bad encoding */
	CP_ERR_INVALID = -4,	  /* well-formed but breaks a rule or a precondition */
	CP_ERR_CRYPTO = -5,	  /* OpenSSL failure or a cryptogram/MAC mismatch */
	CP_ERR_DB = -6,		  /* registry failure */
	CP_ERR_DEVICE = -7,	  /* printer, encoder or card reported a fault */
	CP_ERR_NOTFOUND = -8,	  /* no such file, key, record */
	CP_ERR_EXISTS = -9,	  /* already there (not always an error to callers) */
	CP_ERR_BUSY = -10,	  /* lock held by another run */
	CP_ERR_CONFIG = -11,	  /* configuration error */
	CP_ERR_USAGE = -12,	  /* bad command-line usage */
	CP_ERR_LIMIT = -13,	  /* a size, depth or count limit was hit */
	CP_ERR_TIMEOUT = -14,	  /* a device or peer did not answer in time */
	CP_ERR_PERM = -15,	  /* permissions too open, or not allowed */
	CP_ERR_INTEGRITY = -16,	  /* a seal, hash chain or invariant check failed */
	CP_ERR_UNSUPPORTED = -17, /* not available in this build or configuration */
	CP_ERR_INTERRUPTED = -18, /* stopped by a signal or an operator */
	CP_ERR_PROTOCOL = -19,	  /* a peer broke its protocol */
};

/* Record a detail message for code and return code, so that `return cp_err(...)` works. */
int cp_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the current detail with more context ("file.xml: " + detail) and return code. */
int cp_err_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last detail recorded on this thread ("" when none). */
const char *cp_errmsg(void);
void cp_err_clear(void);
/* A fixed short text for a code: "malformed input", ... */
const char *cp_strerror(int code);

#endif
