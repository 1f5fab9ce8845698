/*
 * photo_check.h - the applicant photo standard (docs/domain-facts.md §3): a JPEG, exactly
 * photo.width x photo.height pixels (358 x 441), 24-bit colour, a file size within
 * [photo.min_bytes, photo.max_bytes], and a white background (the mean brightness of a
 * border band at least photo.background_min). Decoding is libjpeg-turbo from memory, at
 * 1/8 scale for the background (the DC coefficients only: a fraction of a full decode).
 */
#ifndef CP_PHOTO_CHECK_H
#define CP_PHOTO_CHECK_H

#include <stddef.h>

struct config;

struct photo_limits {
	int width, height;
	long min_bytes, max_bytes;
	int background_min; /* 0..255 */
};

struct photo_result {
	const char *reason; /* reasons_prepare.c code, NULL when the photo meets the standard */
	char detail[200];   /* what is wrong, in English, for the message */
	int width, height, components;
	int background; /* mean border brightness 0..255, -1 when not measured */
};

/* The limits from the photo.* configuration keys. */
void photo_limits_from_config(const struct config *cfg, struct photo_limits *lim);
/* Check len bytes of data against lim. Always returns 0 (a bad photo is a result, not an
 * error); res->reason says whether it passed. Never reads outside data[0..len). */
int photo_check(const unsigned char *data, size_t len, const struct photo_limits *lim,
		struct photo_result *res);

/* A result kept for later (ingest checks each photo while it holds the bytes; prepare uses
 * the result): one line naming the check's version and the limits it was made with, then
 * the result. At most PHOTO_RESULT_TEXT_MAX bytes with the NUL. */
#define PHOTO_RESULT_TEXT_MAX 320
void photo_result_encode(const struct photo_limits *lim, const struct photo_result *res,
			 char out[PHOTO_RESULT_TEXT_MAX]);
/* 1 and *res set if text is a result of this check version made with exactly lim; 0 when
 * it is not (NULL, another version or other limits, garbled): the photo is checked again. */
int photo_result_decode(const char *text, const struct photo_limits *lim, struct photo_result *res);

#endif
