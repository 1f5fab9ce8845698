/*
 * photo.c - photo decoding for the card face (through the JPEG wrapper, jpeg.h) and
 * separable resampling in 16.16 fixed point: an exact area average when shrinking (every
 * source pixel weighted by how much of it an output pixel covers), and bilinear
 * interpolation when enlarging. No nearest-neighbour anywhere.
 */
#include "personalization/face/photo.h"

#include "core/err.h"
#include "core/mem.h"
#include "personalization/face/jpeg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PHOTO_MIN_PX 16
#define PHOTO_MAX_PX 4000

static void fit_size(int sw, int sh, int bw, int bh, int *w, int *h);

/* The image's checks, then the decode: whole (bw, bh 0) or DCT-scaled for a bw x bh box.
 * Only data-losing warnings fail it: a card must not be printed with half a face, but
 * harmless ones (extraneous bytes before a marker, an unknown JFIF version) pass. */
static int
decode(const unsigned char *jpeg, size_t len, int bw, int bh, struct rgb_image *out)
{
	struct jpegd d;
	unsigned char *px = NULL;
	unsigned num = 1, denom = 1;
	int r;

	memset(out, 0, sizeof(*out));
	if (len < 4 || jpeg[0] != 0xff || jpeg[1] != 0xd8)
		return cp_err(CP_ERR_FORMAT, "photo is not a JPEG file (no SOI marker)");
	if (jpegd_open(&d, jpeg, len, JPEGD_WARN_DATA_LOSS) < 0)
		goto fatal;
	if (d.cinfo.jpeg_color_space == JCS_CMYK || d.cinfo.jpeg_color_space == JCS_YCCK) {
		r = cp_err(CP_ERR_FORMAT, "photo JPEG is CMYK; the standard asks for 24-bit RGB");
		goto done;
	}
	if (d.cinfo.image_width < PHOTO_MIN_PX || d.cinfo.image_height < PHOTO_MIN_PX ||
	    d.cinfo.image_width > PHOTO_MAX_PX || d.cinfo.image_height > PHOTO_MAX_PX) {
		r = cp_err(CP_ERR_FORMAT, "photo JPEG is %ux%u px; expected %d..%d px a side",
			   d.cinfo.image_width, d.cinfo.image_height, PHOTO_MIN_PX, PHOTO_MAX_PX);
		goto done;
	}
	if (bw > 0 && bh > 0) {
		int fw, fh;

		fit_size((int)d.cinfo.image_width, (int)d.cinfo.image_height, bw, bh, &fw, &fh);
		denom = 8;
		if (jpegd_fit_scale(&d, fw, fh, &num) < 0)
			goto fatal;
	}
	/* exact DCT: the same pixels on every machine and libjpeg-turbo SIMD path */
	if (jpegd_start(&d, num, denom, JDCT_ISLOW) < 0)
		goto fatal;
	px = xmalloc((size_t)d.cinfo.output_width * d.cinfo.output_height * 3 + 1);
	if (jpegd_read(&d, px) < 0)
		goto fatal;
	if (d.warnings > 0) {
		r = cp_err(CP_ERR_FORMAT, "photo JPEG is corrupt or truncated: %s", d.msg);
		goto done;
	}
	out->w = (int)d.cinfo.output_width;
	out->h = (int)d.cinfo.output_height;
	out->px = px;
	px = NULL;
	r = 0;
	goto done;
fatal:
	r = cp_err(CP_ERR_FORMAT, "photo JPEG: %s", d.msg);
done:
	jpegd_close(&d);
	free(px);
	return r;
}

int
photo_decode_for_box(const unsigned char *jpeg, size_t len, int bw, int bh, struct rgb_image *out)
{
	return decode(jpeg, len, bw, bh, out);
}

/* Weights of every output pixel over the source, in three flat arrays: output pixel i is
 * the sum over j < n[i] of source pixel first[i] + j times w[i * max + j] (16.16 weights
 * summing to 65536). */
struct spans {
	int *first, *n, max;
	uint32_t *w;
};

static void
make_spans(int src, int dst, struct spans *sp)
{
	/* an output pixel covers at most src / dst + 2 source pixels when shrinking */
	sp->max = dst <= src ? src / dst + 2 : 2;
	sp->first = xmalloc((size_t)dst * sizeof(int));
	sp->n = xmalloc((size_t)dst * sizeof(int));
	sp->w = xcalloc((size_t)dst * (size_t)sp->max, sizeof(uint32_t));
	for (int i = 0; i < dst; i++) {
		uint32_t *w = sp->w + (size_t)i * (size_t)sp->max;

		if (dst <= src) {
			/* area average: output pixel i covers [i*src/dst, (i+1)*src/dst) of the
			 * source, in units of 1/dst source pixels so that everything stays
			 * integer */
			long long a = (long long)i * src, b = (long long)(i + 1) * src; /* /dst */
			int f = (int)(a / dst), l = (int)((b - 1) / dst);
			uint32_t sum = 0;

			sp->first[i] = f;
			sp->n[i] = l - f + 1;
			for (int j = 0; j < sp->n[i]; j++) {
				long long lo = (long long)(f + j) * dst, hi = lo + dst;
				long long ov = (hi < b ? hi : b) - (lo > a ? lo : a);

				w[j] = (uint32_t)(ov * 65536 / src);
				sum += w[j];
			}
			w[sp->n[i] - 1] += 65536 - sum; /* rounding remainder */
		} else {
			/* bilinear, pixel centres aligned */
			long long c = ((2LL * i + 1) * src * 65536 / (2LL * dst)) - 32768;
			int f;
			uint32_t t;

			if (c < 0)
				c = 0;
			f = (int)(c >> 16);
			t = (uint32_t)(c & 0xffff);
			if (f >= src - 1) {
				f = src - 1;
				t = 0;
			}
			sp->first[i] = f;
			sp->n[i] = t ? 2 : 1;
			w[0] = 65536 - t;
			w[1] = t;
		}
	}
}

static void
free_spans(struct spans *sp)
{
	free(sp->first);
	free(sp->n);
	free(sp->w);
}

/* t += row * wt: one source row's share of an output row. In blocks of 16, since -O2
 * vectorises only loops of a known count. */
static void
row_madd(uint32_t *restrict t, const unsigned char *restrict row, uint32_t wt, size_t n)
{
	size_t x = 0;

	for (; x + 16 <= n; x += 16)
		for (int k = 0; k < 16; k++)
			t[x + k] += row[x + k] * wt;
	for (; x < n; x++)
		t[x] += row[x] * wt;
}

/*
 * Separable, in exact integer maths: each output row first blends its source rows
 * (8-bit values times 16.16 weights summing to 65536: fits 32 bits), then each output
 * pixel blends that row's columns into value * 2^32 (64 bits), rounded. The sum is the
 * same integer whichever pass runs first; running the vertical pass first keeps one row
 * of intermediates in the cache instead of a whole image.
 */
void
image_resample(const struct rgb_image *src, int w, int h, struct rgb_image *out)
{
	struct spans hs, vs;
	size_t sw3 = (size_t)src->w * 3;
	uint32_t *t = xmalloc(sw3 * sizeof(uint32_t));

	make_spans(src->w, w, &hs);
	make_spans(src->h, h, &vs);
	out->w = w;
	out->h = h;
	out->px = xmalloc((size_t)w * (size_t)h * 3 + 1);
	for (int y = 0; y < h; y++) {
		const uint32_t *wv = vs.w + (size_t)y * (size_t)vs.max;
		const unsigned char *row = src->px + (size_t)vs.first[y] * sw3;
		unsigned char *o = out->px + (size_t)y * (size_t)w * 3;

		memset(t, 0, sw3 * sizeof(*t));
		for (int j = 0; j < vs.n[y]; j++)
			row_madd(t, row + (size_t)j * sw3, wv[j], sw3);
		for (int x = 0; x < w; x++, o += 3) {
			const uint32_t *wh = hs.w + (size_t)x * (size_t)hs.max;
			const uint32_t *p = t + (size_t)hs.first[x] * 3;
			uint64_t a0 = 0, a1 = 0, a2 = 0;

			if (hs.n[x] == 2) { /* the common case: no loop */
				a0 = (uint64_t)p[0] * wh[0] + (uint64_t)p[3] * wh[1];
				a1 = (uint64_t)p[1] * wh[0] + (uint64_t)p[4] * wh[1];
				a2 = (uint64_t)p[2] * wh[0] + (uint64_t)p[5] * wh[1];
			} else
				for (int j = 0; j < hs.n[x]; j++, p += 3) {
					a0 += (uint64_t)p[0] * wh[j];
					a1 += (uint64_t)p[1] * wh[j];
					a2 += (uint64_t)p[2] * wh[j];
				}
			/* value * 2^32, rounded; at most 255, as both passes' weights sum to
			 * 65536 */
			o[0] = (unsigned char)((a0 + (1ULL << 31)) >> 32);
			o[1] = (unsigned char)((a1 + (1ULL << 31)) >> 32);
			o[2] = (unsigned char)((a2 + (1ULL << 31)) >> 32);
		}
	}
	free(t);
	free_spans(&hs);
	free_spans(&vs);
}

/* The size of an sw x sh image fitted into bw x bh, aspect kept. */
static void
fit_size(int sw, int sh, int bw, int bh, int *w, int *h)
{
	*w = bw;
	*h = bh;
	/* the larger scale that still fits: compare sw/bw against sh/bh */
	if ((long long)sw * bh > (long long)sh * bw)
		*h = (int)(((long long)sh * bw + sw / 2) / sw);
	else
		*w = (int)(((long long)sw * bh + sh / 2) / sh);
	if (*w < 1)
		*w = 1;
	if (*h < 1)
		*h = 1;
}

void
photo_fit(const struct rgb_image *src, int bw, int bh, struct rgb_image *out)
{
	int w, h;

	fit_size(src->w, src->h, bw, bh, &w, &h);
	image_resample(src, w, h, out);
}
