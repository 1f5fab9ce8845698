/*
 * test_jpeg.c - the one JPEG decode wrapper (personalization/face/jpeg.h) and its two
 * callers' warning policies: header read in place, the n/8 scale for a box, a 1/8 decode,
 * libjpeg's fatal errors as return values with libjpeg's text, and which warnings count:
 * every one for the photo standard's check, only data-losing ones for the card face (a
 * photo with harmless extraneous bytes before a marker is refused by the check, decoded by
 * the face render with the same pixels as the clean photo).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "personalization/face/jpeg.h"
#include "personalization/face/photo.h"
#include "pipeline/rules/photo_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PHOTO "../golden/photo-358x441.jpg"

static const struct photo_limits lim = {358, 441, 9000, 150000, 200};

static void
read_photo(unsigned char **jpeg, size_t *len)
{
	if (fs_read_file(PHOTO, 1 << 22, jpeg, len) < 0)
		fail_msg("%s: %s", PHOTO, cp_errmsg());
}

/* The photo with two stray bytes before its first DQT marker (FF DB). */
static unsigned char *
with_extraneous_bytes(const unsigned char *jpeg, size_t len)
{
	unsigned char *p = malloc(len + 2);
	size_t at = 2;

	while (at + 1 < len && !(jpeg[at] == 0xff && jpeg[at + 1] == 0xdb))
		at++;
	assert_true(at + 1 < len);
	memcpy(p, jpeg, at);
	p[at] = 0x12;
	p[at + 1] = 0x34;
	memcpy(p + at + 2, jpeg + at, len - at);
	return p;
}

/* Decode at num/denom; returns the pixels (caller frees), NULL on a fatal error. */
static unsigned char *
decode(const unsigned char *jpeg, size_t len, enum jpegd_warnings w, unsigned num, unsigned denom,
       int *warnings, char *msg, size_t msgsz)
{
	struct jpegd d;
	unsigned char *px = NULL;

	if (jpegd_open(&d, jpeg, len, w) == 0 && jpegd_start(&d, num, denom, JDCT_ISLOW) == 0) {
		px = malloc((size_t)d.cinfo.output_width * d.cinfo.output_height * 3);
		if (jpegd_read(&d, px) < 0) {
			free(px);
			px = NULL;
		}
	}
	*warnings = d.warnings;
	snprintf(msg, msgsz, "%s", d.msg);
	jpegd_close(&d);
	return px;
}

static void
test_header_scale_and_decode(void **state)
{
	unsigned char *jpeg, *px;
	size_t len;
	struct jpegd d;
	unsigned num = 0;

	(void)state;
	read_photo(&jpeg, &len);
	assert_int_equal(jpegd_open(&d, jpeg, len, JPEGD_WARN_ANY), 0);
	assert_int_equal(d.cinfo.image_width, 358);
	assert_int_equal(d.cinfo.image_height, 441);
	assert_int_equal(d.cinfo.num_components, 3);
	assert_int_equal(d.cinfo.jpeg_color_space, JCS_YCbCr);
	/* the smallest n/8 at least the box: 1/8 is 45 x 56, 2/8 is 90 x 111 */
	assert_int_equal(jpegd_fit_scale(&d, 45, 56, &num), 0);
	assert_int_equal(num, 1);
	assert_int_equal(jpegd_fit_scale(&d, 46, 56, &num), 0);
	assert_int_equal(num, 2);
	/* larger than the image: the whole image */
	assert_int_equal(jpegd_fit_scale(&d, 1000, 1000, &num), 0);
	assert_int_equal(num, 8);
	assert_int_equal(jpegd_start(&d, 1, 8, JDCT_IFAST), 0);
	assert_int_equal(d.cinfo.output_width, 45);
	assert_int_equal(d.cinfo.output_height, 56);
	px = malloc(45 * 56 * 3);
	assert_int_equal(jpegd_read(&d, px), 0);
	assert_int_equal(d.warnings, 0);
	/* the golden photo's background is near white */
	assert_true(px[0] > 200 && px[1] > 200 && px[2] > 200);
	jpegd_close(&d);
	free(px);
	free(jpeg);
}

static void
test_fatal_errors_come_back(void **state)
{
	unsigned char *jpeg;
	size_t len;
	struct jpegd d;

	(void)state;
	read_photo(&jpeg, &len);
	/* not a JPEG: libjpeg's own text */
	assert_int_equal(jpegd_open(&d, (const unsigned char *)"GIF89a", 6, JPEGD_WARN_ANY),
			 CP_ERR_FORMAT);
	assert_non_null(strstr(d.msg, "Not a JPEG file"));
	jpegd_close(&d);
	/* a header cut short */
	assert_int_equal(jpegd_open(&d, jpeg, 100, JPEGD_WARN_DATA_LOSS), CP_ERR_FORMAT);
	assert_true(d.msg[0] != '\0');
	jpegd_close(&d);
	/* after a failed open the decoder can be opened again */
	assert_int_equal(jpegd_open(&d, jpeg, len, JPEGD_WARN_DATA_LOSS), 0);
	jpegd_close(&d);
	free(jpeg);
}

static void
test_truncated_scan_counts_under_both_policies(void **state)
{
	unsigned char *jpeg, *px;
	size_t len;
	int warnings;
	char msg[JMSG_LENGTH_MAX];

	(void)state;
	read_photo(&jpeg, &len);
	px = decode(jpeg, len / 2, JPEGD_WARN_ANY, 1, 8, &warnings, msg, sizeof(msg));
	assert_non_null(px);
	assert_true(warnings > 0);
	assert_non_null(strstr(msg, "Premature end of JPEG file"));
	free(px);
	px = decode(jpeg, len / 2, JPEGD_WARN_DATA_LOSS, 1, 1, &warnings, msg, sizeof(msg));
	assert_non_null(px);
	assert_true(warnings > 0);
	assert_non_null(strstr(msg, "Premature end of JPEG file"));
	free(px);
	free(jpeg);
}

static void
test_harmless_warning_counts_only_for_the_check(void **state)
{
	unsigned char *jpeg, *odd, *clean_px, *odd_px;
	size_t len;
	int warnings;
	char msg[JMSG_LENGTH_MAX];
	struct photo_result res;
	struct rgb_image a = {0}, b = {0};

	(void)state;
	read_photo(&jpeg, &len);
	odd = with_extraneous_bytes(jpeg, len);
	/* the wrapper: counted by the check's policy, not by the face's; pixels the same */
	clean_px = decode(jpeg, len, JPEGD_WARN_ANY, 1, 1, &warnings, msg, sizeof(msg));
	assert_int_equal(warnings, 0);
	odd_px = decode(odd, len + 2, JPEGD_WARN_ANY, 1, 1, &warnings, msg, sizeof(msg));
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(msg, "2 extraneous bytes before marker 0xdb"));
	free(odd_px);
	odd_px = decode(odd, len + 2, JPEGD_WARN_DATA_LOSS, 1, 1, &warnings, msg, sizeof(msg));
	assert_int_equal(warnings, 0);
	assert_string_equal(msg, "");
	assert_memory_equal(clean_px, odd_px, 358 * 441 * 3);
	free(clean_px);
	free(odd_px);
	/* the photo standard refuses it */
	assert_int_equal(photo_check(odd, len + 2, &lim, &res), 0);
	assert_non_null(res.reason);
	assert_string_equal(res.reason, "photo-corrupt");
	assert_string_equal(res.detail, "the JPEG data is corrupt: Corrupt JPEG data: 2 "
					"extraneous bytes before marker 0xdb");
	/* the card face draws it as the clean photo */
	assert_int_equal(photo_decode_for_box(jpeg, len, 0, 0, &a), 0);
	assert_int_equal(photo_decode_for_box(odd, len + 2, 0, 0, &b), 0);
	assert_int_equal(a.w, b.w);
	assert_int_equal(a.h, b.h);
	assert_memory_equal(a.px, b.px, (size_t)a.w * (size_t)a.h * 3);
	rgb_release(&a);
	rgb_release(&b);
	free(odd);
	free(jpeg);
}

/* The callers' texts around the wrapper's: a fatal error, damaged data. */
static void
test_callers_texts(void **state)
{
	unsigned char *jpeg;
	size_t len;
	struct photo_result res;
	struct rgb_image im = {0};

	(void)state;
	read_photo(&jpeg, &len);
	assert_int_equal(photo_check(jpeg, 100, &lim, &res), 0);
	assert_string_equal(res.reason, "photo-corrupt");
	assert_true(strncmp(res.detail, "the JPEG cannot be decoded: ", 28) == 0);
	assert_int_equal(photo_check(jpeg, len / 2, &lim, &res), 0);
	assert_string_equal(res.reason, "photo-corrupt");
	assert_string_equal(res.detail, "the JPEG data is corrupt: Premature end of JPEG file");
	assert_int_equal(photo_decode_for_box(jpeg, 100, 0, 0, &im), CP_ERR_FORMAT);
	assert_true(strncmp(cp_errmsg(), "photo JPEG: ", 12) == 0);
	assert_int_equal(photo_decode_for_box(jpeg, len / 2, 0, 0, &im), CP_ERR_FORMAT);
	assert_string_equal(cp_errmsg(), "photo JPEG is corrupt or truncated: Premature end of "
					 "JPEG file");
	free(jpeg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_scale_and_decode),
		cmocka_unit_test(test_fatal_errors_come_back),
		cmocka_unit_test(test_truncated_scan_counts_under_both_policies),
		cmocka_unit_test(test_harmless_warning_counts_only_for_the_check),
		cmocka_unit_test(test_callers_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
