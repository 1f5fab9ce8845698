/*
 * mask.h - masking personal data for logs, reports and manifests (docs/system.md invariant 5).
 */
#ifndef CP_MASK_H
#define CP_MASK_H

#include <stddef.h>

/* "110101199003071234" -> "110101********1234": first 6 and last 4 kept.
 * Shorter values keep at most their first 2 and last 2 characters. out needs len+1. */
void mask_id(const char *id, char *out, size_t outsz);
/* "13812345678" -> "138****5678". */
void mask_mobile(const char *mobile, char *out, size_t outsz);

#endif
