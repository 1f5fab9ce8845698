/* suggest.c - "did you mean": Damerau-Levenshtein over a short list of known words. */
#include "core/suggest.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

size_t
cp_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), w = lb + 1, d;
	/* three rows: the swap of adjacent characters looks two rows back */
	size_t *rows = xcalloc(3 * w, sizeof(size_t));
	size_t *pp = rows, *p = rows + w, *c = rows + 2 * w, *t;

	for (size_t j = 0; j <= lb; j++)
		p[j] = j;
	for (size_t i = 1; i <= la; i++) {
		c[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];

			c[j] = min3(p[j] + 1, c[j - 1] + 1, p[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < c[j])
				c[j] = pp[j - 2] + 1;
		}
		t = pp;
		pp = p;
		p = c;
		c = t;
	}
	d = p[lb];
	free(rows);
	return d;
}

const char *
cp_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word), best_d = (size_t)-1, nprefix = 0;
	const char *best = NULL, *prefix = NULL;

	if (len == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t d = cp_edit_distance(word, cands[i]);

		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
		if (!strncmp(cands[i], word, len)) {
			nprefix++;
			prefix = cands[i];
		}
	}
	if (best && best_d <= 2 && 2 * best_d < len)
		return best;
	return nprefix == 1 && len >= 2 ? prefix : NULL;
}
