/*
 * fname.h - names for the files cardpipe writes after an untrusted name (an inbox file's
 * quarantine copy and report, prepare's rejects file). An inbox name may hold any bytes
 * and up to NAME_MAX of them; what cardpipe derives from it must still be one path
 * component that fits NAME_MAX with its suffixes and is safe to list and pass to tools.
 */
#ifndef CP_STAGE_FNAME_H
#define CP_STAGE_FNAME_H

#include <stddef.h>

/*
 * A name of at most max bytes (max >= 32) for the untrusted name: the name itself when it is
 * valid UTF-8 without control characters, '/', '\', layout characters (U+2028/2029,
 * bidirectional controls) or a leading '.' or '-', and fits; otherwise the name with each
 * such character or byte as '_', cut at a character boundary, then '~' and the first 16 hex
 * digits of the SHA-256 of the original bytes, so two names never end as the same one, then
 * its extension if short ("…~1a2b3c4d5e6f7a8b.xml").
 * NULL or empty gives "unnamed". The caller frees it.
 */
char *fname_fit(const char *name, size_t max);

#endif
