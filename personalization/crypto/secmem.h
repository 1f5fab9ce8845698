/*
 * secmem.h - memory for clear keys: OpenSSL's secure heap (locked, never swapped, wiped on
 * free) once cp_secmem_init() made one; plain memory, still wiped on free, before that.
 */
#ifndef CP_SECMEM_H
#define CP_SECMEM_H

#include <stddef.h>

/* Create the secure heap (size bytes; 0 = 1 MiB). Idempotent. 0, or CP_ERR_CRYPTO when the
 * system refuses (e.g. RLIMIT_MEMLOCK too low): the caller may go on with wiped memory. */
int cp_secmem_init(size_t size);
/* Zeroed memory; aborts on exhaustion like xmalloc. */
void *cp_secure_zalloc(size_t n);
/* Wipe and free; NULL is a no-op. */
void cp_secure_free(void *p, size_t n);

#endif
