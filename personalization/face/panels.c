/*
 * panels.c - splitting a composed side into YMC / K / overlay panels in the printer's
 * line order, their PNG files, loading them back, and packing Evolis colour downloads.
 */
#include "personalization/face/panels.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/compose.h"
#include "personalization/face/png.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PANEL_FILE (64u << 20)

void
panels_from_side(const struct side_image *si, int dpi, struct panel_set *out)
{
	int W = si->color.w, H = si->color.h;

	out->lines = W;
	out->dots = H;
	out->dpi = dpi;
	out->stride = ((size_t)H + 7) / 8;
	out->ymc = xmalloc((size_t)W * (size_t)H * 3 + 1);
	out->k = xcalloc((size_t)W, out->stride);
	out->o = xcalloc((size_t)W, out->stride);
	/* colour: transposed in 32 x 32 tiles, so that source and destination both stay in
	 * the L1 cache */
	{
		const unsigned char *restrict src = si->color.px;
		unsigned char *restrict ymc = out->ymc;
		const size_t sstride = (size_t)W * 3;

		for (int ib = 0; ib < H; ib += 32) {
			int ie = ib + 32 < H ? ib + 32 : H;

			for (int jb = 0; jb < W; jb += 32) {
				int je = jb + 32 < W ? jb + 32 : W;

				for (int j = jb; j < je; j++) {
					unsigned char *restrict d =
						ymc + ((size_t)j * (size_t)H + (size_t)ib) * 3;
					const unsigned char *restrict p =
						src + (size_t)(H - 1 - ib) * sstride +
						(size_t)j * 3;

					for (int i = ib; i < ie; i++, d += 3, p -= sstride) {
						d[0] = (unsigned char)(255 - p[2]);
						d[1] = (unsigned char)(255 - p[1]);
						d[2] = (unsigned char)(255 - p[0]);
					}
				}
			}
		}
	}
	/* K is sparse (text) and the overlay nearly full: set or clear only the exceptions,
	 * reading the masks in row order */
	memset(out->o, 0xff, (size_t)W * out->stride);
	if (H % 8)
		for (int j = 0; j < W; j++)
			out->o[(size_t)j * out->stride + out->stride - 1] &=
				(unsigned char)(0xff << (8 - H % 8));
	for (int y = 0; y < H; y++) {
		int i = H - 1 - y;
		unsigned char bit = (unsigned char)(0x80 >> (i & 7));
		const unsigned char *kr = si->k.v + (size_t)y * (size_t)W;
		const unsigned char *orow = si->o.v + (size_t)y * (size_t)W;

		for (int x = 0; x < W; x++) {
			/* skip 8 pixels at a time where K is empty and the overlay full */
			if (x + 8 <= W) {
				uint64_t kw, ow;

				memcpy(&kw, kr + x, 8);
				memcpy(&ow, orow + x, 8);
				if (kw == 0 && ow == 0x0101010101010101ULL) {
					x += 7;
					continue;
				}
			}
			size_t at = (size_t)x * out->stride + (size_t)(i >> 3);

			if (kr[x] >= 128)
				out->k[at] |= bit;
			if (!orow[x])
				out->o[at] &= (unsigned char)~bit;
		}
	}
}

void
panel_set_release(struct panel_set *ps)
{
	free(ps->ymc);
	free(ps->k);
	free(ps->o);
	memset(ps, 0, sizeof(*ps));
}

int
panels_encode(const struct panel_set *ps, const struct png_opts *o, struct buf bufs[3])
{
	int r;

	/* the YMC "image" is stored in the RGB channels as Y, M, C: a machine file */
	if ((r = png_encode_rgb(ps->ymc, ps->dots, ps->lines, o, &bufs[0])) < 0 ||
	    (r = png_encode_bits(ps->k, ps->dots, ps->lines, 0x000000, o, &bufs[1])) < 0 ||
	    (r = png_encode_bits(ps->o, ps->dots, ps->lines, 0x3399ff, o, &bufs[2])) < 0)
		return r;
	return 0;
}

static int
load_png(const char *dir, const char *side, const char *suffix, struct png_image *im)
{
	char *name = xasprintf("%s-%s.png", side, suffix), *path = fs_join(dir, name);
	unsigned char *data = NULL;
	size_t len = 0;
	int r;

	if ((r = fs_read_file(path, MAX_PANEL_FILE, &data, &len)) == 0)
		r = png_decode(data, len, im);
	if (r < 0)
		r = cp_err_wrap(r, "panel file '%s': ", path);
	free(data);
	free(name);
	free(path);
	return r;
}

int
panels_load(const char *dir, const char *side, struct panel_set *out)
{
	struct png_image ymc = {0}, k = {0}, o = {0};
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = load_png(dir, side, "ymc", &ymc)) < 0 || (r = load_png(dir, side, "k", &k)) < 0 ||
	    (r = load_png(dir, side, "o", &o)) < 0)
		goto out;
	if (ymc.channels != 3 || k.channels != 1 || o.channels != 1 || k.w != ymc.w ||
	    o.w != ymc.w || k.h != ymc.h || o.h != ymc.h) {
		r = cp_err(CP_ERR_FORMAT,
			   "panels of '%s' side %s disagree: ymc %dx%d, k %dx%d, o %dx%d", dir,
			   side, ymc.w, ymc.h, k.w, k.h, o.w, o.h);
		goto out;
	}
	out->dots = ymc.w;
	out->lines = ymc.h;
	out->dpi = ymc.dpi;
	out->stride = k.stride;
	out->ymc = ymc.data;
	out->k = k.data;
	out->o = o.data;
	ymc.data = k.data = o.data = NULL;
out:
	png_image_release(&ymc);
	png_image_release(&k);
	png_image_release(&o);
	return r;
}

int
panels_db_color(const struct panel_set *ps, int plane, int bits, unsigned char **data, size_t *len)
{
	size_t ndots = (size_t)ps->lines * (size_t)ps->dots, n, acc_bits = 0, o = 0;
	unsigned acc = 0;
	unsigned char *d;

	*data = NULL;
	*len = 0;
	if (plane < 0 || plane > 2 || bits < 5 || bits > 7)
		return cp_err(CP_ERR_INVALID,
			      "Db colour download: plane %d, bits %d (want 0..2, 5..7)", plane,
			      bits);
	n = (ndots * (size_t)bits + 7) / 8;
	d = xcalloc(n + 1, 1);
	for (size_t i = 0; i < ndots; i++) {
		acc = (acc << bits) | (unsigned)(ps->ymc[i * 3 + (size_t)plane] >> (8 - bits));
		acc_bits += (size_t)bits;
		while (acc_bits >= 8) {
			d[o++] = (unsigned char)(acc >> (acc_bits - 8));
			acc_bits -= 8;
		}
		acc &= (1u << acc_bits) - 1;
	}
	if (acc_bits)
		d[o++] = (unsigned char)(acc << (8 - acc_bits));
	*data = d;
	*len = n;
	return 0;
}
