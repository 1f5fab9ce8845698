/*
 * mem.h - allocation and secret wiping.
 *
 * xmalloc and friends abort the process on out-of-memory (as OpenSSH and Redis do),
 * so callers never check for NULL. cp_memzero() wipes in a way the compiler keeps;
 * cp_freezero() wipes then frees. Ownership convention: a function that returns a
 * pointer through an out-parameter hands it over (`*out = p; p = NULL;`), and the
 * caller frees it with the matching *_free(); *_free(NULL) is always a no-op.
 */
#ifndef CP_MEM_H
#define CP_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf that aborts on out-of-memory. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void cp_memzero(void *p, size_t n);
void cp_freezero(void *p, size_t n);
/* memcmp for secrets (MACs, cryptograms, PINs): the time does not depend on where the
 * bytes differ. 0 when equal, non-zero otherwise (no ordering). */
int cp_ct_memcmp(const void *a, const void *b, size_t n);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
