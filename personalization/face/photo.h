/*
 * photo.h - applicant photos: JPEG decoding (libjpeg-turbo) and scaling into the photo box
 * with an area-average filter (down) or bilinear interpolation (up), aspect preserved.
 */
#ifndef CP_FACE_PHOTO_H
#define CP_FACE_PHOTO_H

#include "personalization/face/image.h"

#include <stddef.h>

/* Decode a baseline or progressive JPEG (greyscale, RGB or YCbCr) into RGB. Bad data,
 * CMYK, or dimensions outside 16..4000 px are CP_ERR_FORMAT with the reason. For a photo
 * that will be fitted into a bw x bh box, libjpeg-turbo's DCT scaling (a proper low-pass,
 * and a faster decode) to the smallest n/8 size that is still at least what photo_fit()
 * will produce, so that the area average finishes the job; bw or bh 0: the whole image. */
int photo_decode_for_box(const unsigned char *jpeg, size_t len, int bw, int bh,
			 struct rgb_image *out);
/* Scale src to fit inside bw x bh, preserving aspect; the result is at most bw x bh. */
void photo_fit(const struct rgb_image *src, int bw, int bh, struct rgb_image *out);
/* Scale src to exactly w x h (the caller keeps the aspect). Deterministic integer maths. */
void image_resample(const struct rgb_image *src, int w, int h, struct rgb_image *out);

#endif
