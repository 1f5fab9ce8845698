/*
 * photo_fixture.h - applicant photos for the face and render tests: photo_jpeg(seed) is a
 * standard 358 x 441 JPEG from the sample generator (seeded: the same bytes every run), in
 * memory the caller frees. Header-only, for cmocka tests that include <cmocka.h> first.
 */
#ifndef PHOTO_FIXTURE_H
#define PHOTO_FIXTURE_H

#include "core/err.h"
#include "core/mem.h"
#include "pipeline/stages/sample_photo.h"

#include <stdint.h>
#include <string.h>

static inline void
photo_jpeg(uint64_t seed, unsigned char **jpeg, size_t *len)
{
	struct rng r;
	struct sample_photo p;

	rng_seed(&r, seed, 0);
	if (sample_photo_make(&r, SAMPLE_PHOTO_W, SAMPLE_PHOTO_H, &p) < 0)
		fail_msg("sample photo: %s", cp_errmsg());
	*jpeg = xmalloc(p.len);
	memcpy(*jpeg, p.data, p.len);
	*len = p.len;
	sample_photo_release(&p);
}

#endif
