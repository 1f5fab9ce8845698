/*
 * sample_photo.h - synthetic applicant photos for `cardpipe sample`, to the national standard
 * (docs/domain-facts.md §3): 358x441 pixels, 24-bit RGB, white background, JPEG quality 70 at
 * 350 dpi, 14-40 KB, with a drawn head and shoulders whose geometry meets the standard
 * (face 179-255 px wide, top of hair 7-21 px below the top edge, eye midpoint 162-196 px
 * from the left, eye line at least 207 px above the bottom).
 */
#ifndef CP_SAMPLE_PHOTO_H
#define CP_SAMPLE_PHOTO_H

#include "pipeline/stages/sample_rng.h"

#include <stddef.h>

#define SAMPLE_PHOTO_W 358
#define SAMPLE_PHOTO_H 441
#define SAMPLE_PHOTO_MIN_BYTES 14000 /* the standard's usual file size range */
#define SAMPLE_PHOTO_MAX_BYTES 40000

/* Where the drawing put the face (for tests of the geometry). */
struct photo_geometry {
	int face_left, face_right; /* x of the face's widest extent */
	int hair_top;		   /* y of the top of the hair */
	int eye_mid_x, eye_y;	   /* midpoint between the eyes */
};

struct sample_photo {
	unsigned char *data; /* JPEG bytes */
	size_t len;
	struct photo_geometry geo;
};

/* Draw a person (look chosen with r) at width x height and encode it; for the standard size
 * the file size is steered into [SAMPLE_PHOTO_MIN_BYTES, SAMPLE_PHOTO_MAX_BYTES] with fine
 * texture. 0 or CP_ERR_INVALID (a size libjpeg cannot encode). */
int sample_photo_make(struct rng *r, int width, int height, struct sample_photo *out);
void sample_photo_release(struct sample_photo *p);

#endif
