/*
 * photo_check.c - the photo standard check (see photo_check.h), decoding through the JPEG
 * wrapper of the card face (personalization/face/jpeg.h). Any libjpeg warning (a truncated
 * or corrupt entropy stream, which libjpeg would otherwise paper over with grey, and any
 * other) counts as a corrupt photo.
 */
#include "pipeline/rules/photo_check.h"

#include "core/config.h"
#include "personalization/face/jpeg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
photo_limits_from_config(const struct config *cfg, struct photo_limits *lim)
{
	lim->width = (int)config_int(cfg, "photo.width");
	lim->height = (int)config_int(cfg, "photo.height");
	lim->min_bytes = (long)config_int(cfg, "photo.min_bytes");
	lim->max_bytes = (long)config_int(cfg, "photo.max_bytes");
	lim->background_min = (int)config_int(cfg, "photo.background_min");
}

static void set_result(struct photo_result *res, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_result(struct photo_result *res, const char *reason, const char *fmt, ...)
{
	va_list ap;

	res->reason = reason;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

/* Mean luminance of the border band of a scaled RGB image: the top tenth of the rows, and
 * the left and right tenth of the columns down to two thirds of the height (at least one
 * pixel each); below that the shoulders reach the edges. */
static int
border_brightness(const unsigned char *rgb, int w, int h)
{
	int bw = w / 10 > 0 ? w / 10 : 1, bh = h / 10 > 0 ? h / 10 : 1;
	unsigned long sum = 0, n = 0;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			const unsigned char *p;

			if (!(y < bh || ((x < bw || x >= w - bw) && y < h * 2 / 3)))
				continue;
			p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
			/* ITU-R BT.601 luma, integer */
			sum += (299UL * p[0] + 587UL * p[1] + 114UL * p[2]) / 1000UL;
			n++;
		}
	return n ? (int)(sum / n) : 0;
}

int
photo_check(const unsigned char *data, size_t len, const struct photo_limits *lim,
	    struct photo_result *res)
{
	struct jpegd d;
	unsigned char *rgb = NULL;

	memset(res, 0, sizeof(*res));
	res->background = -1;
	if (!data || len == 0) {
		set_result(res, "photo-missing", "the photo is empty (0 bytes)");
		return 0;
	}
	if (len < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
		set_result(res, "photo-not-jpeg",
			   "the photo does not start with a JPEG SOI marker (FF D8 FF)");
		return 0;
	}

	if (jpegd_open(&d, data, len, JPEGD_WARN_ANY) < 0)
		goto fatal;
	res->width = (int)d.cinfo.image_width;
	res->height = (int)d.cinfo.image_height;
	res->components = d.cinfo.num_components;
	if (d.cinfo.num_components != 3 ||
	    (d.cinfo.jpeg_color_space != JCS_YCbCr && d.cinfo.jpeg_color_space != JCS_RGB)) {
		set_result(res, "photo-not-rgb",
			   "the JPEG has %d colour component(s) (colour space %d), a photo is "
			   "24-bit colour: 3 components, YCbCr or RGB",
			   d.cinfo.num_components, (int)d.cinfo.jpeg_color_space);
		goto out;
	}
	if (res->width != lim->width || res->height != lim->height) {
		set_result(res, "photo-dimensions", "the photo is %dx%d pixels, expected %dx%d",
			   res->width, res->height, lim->width, lim->height);
		goto out;
	}

	/* decode at 1/8 scale: every block's DC value, enough for a border mean and it still
	 * runs the whole entropy stream, so corruption anywhere shows */
	if (jpegd_start(&d, 1, 8, JDCT_IFAST) < 0)
		goto fatal;
	{
		int w = (int)d.cinfo.output_width, h = (int)d.cinfo.output_height;

		rgb = malloc((size_t)w * 3 * (size_t)h + 1);
		if (!rgb) {
			set_result(res, "photo-corrupt", "out of memory decoding the photo");
			goto out;
		}
		if (jpegd_read(&d, rgb) < 0)
			goto fatal;
		if (d.warnings) {
			set_result(res, "photo-corrupt", "the JPEG data is corrupt: %s", d.msg);
			goto out;
		}
		res->background = border_brightness(rgb, w, h);
	}
	/* file size after the decode: a corrupt file says so rather than "too small" */
	if ((long)len < lim->min_bytes || (long)len > lim->max_bytes) {
		set_result(res, "photo-file-size", "the photo file is %zu bytes, allowed %ld..%ld",
			   len, lim->min_bytes, lim->max_bytes);
		goto out;
	}
	if (res->background < lim->background_min) {
		set_result(res, "photo-background",
			   "the photo's border has mean brightness %d, white needs at least %d",
			   res->background, lim->background_min);
		goto out;
	}
	goto out;
fatal:
	set_result(res, "photo-corrupt", "the JPEG cannot be decoded: %s", d.msg);
out:
	jpegd_close(&d);
	free(rgb);
	return 0;
}

/* ---- results kept for later ---- */

/* Bump when photo_check() could judge the same bytes and limits differently. */
#define PHOTO_CHECK_VERSION "pc1"

/* The reasons photo_check() sets: a decoded result points at these same strings. */
static const char *const photo_reasons[] = {
	"photo-missing",    "photo-not-jpeg",  "photo-corrupt",	   "photo-not-rgb",
	"photo-dimensions", "photo-file-size", "photo-background",
};

void
photo_result_encode(const struct photo_limits *lim, const struct photo_result *res,
		    char out[PHOTO_RESULT_TEXT_MAX])
{
	/* "pc1 W H MIN MAX BG REASON|- width height components background detail" */
	snprintf(out, PHOTO_RESULT_TEXT_MAX,
		 PHOTO_CHECK_VERSION " %d %d %ld %ld %d %s %d %d %d %d %s", lim->width, lim->height,
		 lim->min_bytes, lim->max_bytes, lim->background_min,
		 res->reason ? res->reason : "-", res->width, res->height, res->components,
		 res->background, res->detail);
}

int
photo_result_decode(const char *text, const struct photo_limits *lim, struct photo_result *res)
{
	struct photo_limits l;
	char reason[32];
	int n = -1;

	if (!text || strncmp(text, PHOTO_CHECK_VERSION " ", sizeof(PHOTO_CHECK_VERSION)) != 0)
		return 0;
	memset(res, 0, sizeof(*res));
	if (sscanf(text + sizeof(PHOTO_CHECK_VERSION), "%d %d %ld %ld %d %31s %d %d %d %d%n",
		   &l.width, &l.height, &l.min_bytes, &l.max_bytes, &l.background_min, reason,
		   &res->width, &res->height, &res->components, &res->background, &n) != 10 ||
	    n < 0)
		return 0;
	text += sizeof(PHOTO_CHECK_VERSION) + (size_t)n;
	if (*text != ' ' || l.width != lim->width || l.height != lim->height ||
	    l.min_bytes != lim->min_bytes || l.max_bytes != lim->max_bytes ||
	    l.background_min != lim->background_min)
		return 0;
	if (strcmp(reason, "-") != 0) {
		for (size_t i = 0; i < sizeof(photo_reasons) / sizeof(photo_reasons[0]); i++)
			if (!strcmp(reason, photo_reasons[i]))
				res->reason = photo_reasons[i];
		if (!res->reason)
			return 0;
	}
	snprintf(res->detail, sizeof(res->detail), "%s", text + 1);
	return 1;
}
