/* mask.c - ID number and mobile masking (see mask.h). */
#include "core/mask.h"

#include <string.h>

static void
mask_keep(const char *s, size_t head, size_t tail, char *out, size_t outsz)
{
	size_t n = strlen(s), i;

	if (outsz == 0)
		return;
	if (head + tail >= n) {
		head = n > 4 ? 2 : 0;
		tail = n > 4 ? 2 : 0;
	}
	for (i = 0; i < n && i + 1 < outsz; i++)
		out[i] = (i < head || i >= n - tail) ? s[i] : '*';
	out[i] = '\0';
}

void
mask_id(const char *id, char *out, size_t outsz)
{
	mask_keep(id ? id : "", 6, 4, out, outsz);
}

void
mask_mobile(const char *mobile, char *out, size_t outsz)
{
	mask_keep(mobile ? mobile : "", 3, 4, out, outsz);
}
