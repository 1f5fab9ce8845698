/*
 * fuzz_photo.c - libFuzzer target for the photo check (pipeline/rules/photo_check.c):
 * whatever bytes a channel sends as a photo, photo_check() returns a verdict, never
 * crashes, never reads outside its input, never leaks; the verdict kept for prepare
 * (photo_result_encode) reads back as it was, and any text read as a kept verdict
 * (photo_result_decode) is taken or refused without harm. Seeds: any JPEG (the sample
 * generator's photos); `make fuzz` runs it.
 */
#include "pipeline/rules/photo_check.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the defaults of the photo.* keys; a second pass with a tiny size window reaches the
	 * size and background branches for inputs that decode */
	static const struct photo_limits std = {358, 441, 9000, 150000, 200};
	static const struct photo_limits loose = {358, 441, 0, 1L << 30, 0};
	struct photo_result res, back;
	char text[PHOTO_RESULT_TEXT_MAX], *raw = malloc(size + 1);

	memcpy(raw, data, size);
	raw[size] = '\0';
	(void)photo_result_decode(raw, &std, &back);
	free(raw);
	photo_check(data, size, &std, &res);
	photo_result_encode(&std, &res, text);
	if (!photo_result_decode(text, &std, &back) ||
	    (res.reason != back.reason &&
	     strcmp(res.reason ? res.reason : "", back.reason ? back.reason : "")) ||
	    strcmp(res.detail, back.detail) || res.width != back.width ||
	    res.background != back.background)
		abort(); /* a kept verdict must read back as it was */
	if (res.reason && strcmp(res.reason, "photo-file-size") &&
	    strcmp(res.reason, "photo-background"))
		return 0;
	photo_check(data, size, &loose, &res);
	return 0;
}
