/*
 * panels.c - splitting a composed side into YMC / K / overlay panels in the printer's
 * line order, their PNG files, loading them back, and packing Evolis colour downloads.
 * The files' format: docs/panel-format.md.
 */
#include "personalization/face/panels.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/compose.h"
#include "personalization/face/png.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_PANEL_FILE (64u << 20)

/* One pixel's Y, M, C (255 - B, 255 - G, 255 - R) from its R, G, B at p. */
static inline void
ymc_px(unsigned char *restrict d, const unsigned char *restrict p)
{
	d[0] = (unsigned char)(255 - p[2]);
	d[1] = (unsigned char)(255 - p[1]);
	d[2] = (unsigned char)(255 - p[0]);
}

/*
 * The YMC values of the canvas rectangle [x0, x1) x [y0, y1) of an RGB image W x H, in
 * panel order: dst row r is printer line x0 + r (canvas column), holding dots H - y1 ...
 * H - 1 - y0 (canvas rows y1 - 1 down to y0). Transposed in 32 x 32 tiles, so that source
 * and destination both stay in the L1 cache. A pixel is read and written as 4 bytes (one
 * load, a byte swap, one store), except where the fourth byte would be past the image (its
 * last column) or land on a pixel already written (a dst row's last dot), and on a
 * big-endian machine.
 */
static void
ymc_rect(const unsigned char *restrict src, int W, int x0, int x1, int y0, int y1,
	 unsigned char *restrict dst)
{
	const size_t sstride = (size_t)W * 3;
	const int nd = y1 - y0;

	for (int cb = 0; cb < nd; cb += 32) {
		int ce = cb + 32 < nd ? cb + 32 : nd;

		for (int jb = x0; jb < x1; jb += 32) {
			int je = jb + 32 < x1 ? jb + 32 : x1;

			for (int j = jb; j < je; j++) {
				unsigned char *restrict d =
					dst + ((size_t)(j - x0) * (size_t)nd + (size_t)cb) * 3;
				const unsigned char *restrict p =
					src + (size_t)(y1 - 1 - cb) * sstride + (size_t)j * 3;
				int c = cb, wide = ce < nd ? ce : nd - 1;

				if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && j < W - 1)
					for (; c < wide; c++, d += 3, p -= sstride) {
						uint32_t v; /* R G B and the next pixel's R */

						memcpy(&v, p, 4);
						/* Y M C and a 0 that the next dot overwrites */
						v = __builtin_bswap32(~v) >> 8;
						memcpy(d, &v, 4);
					}
				for (; c < ce; c++, d += 3, p -= sstride)
					ymc_px(d, p);
			}
		}
	}
}

/* The top bit of each byte of w that is non-zero. */
static uint64_t
nonzero_bits(uint64_t w)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7fULL;

	return (((w & lo7) + lo7) | w) & ~lo7;
}

/* 8 pixels of a row from x, zero past its end w */
static uint64_t
load8(const unsigned char *row, int x, int w)
{
	uint64_t v = 0;

	if (x + 8 <= w)
		memcpy(&v, row + x, 8);
	else
		memcpy(&v, row + x, (size_t)(w - x));
	return v;
}

/* 1 if the 8 rows from y0 down and 8 columns from x touch box b */
static int
block_in(const int *b, int x, int y0)
{
	return x < b[2] && x + 8 > b[0] && y0 - 7 < b[3] && y0 >= b[1];
}

/*
 * K and overlay bit planes of a side, in panel order (out->lines, dots, stride set). Byte
 * g of line x holds canvas rows H - 1 - 8g down to H - 8 - 8g of column x (0 past row 0).
 * Blocks of 8 rows by 8 columns are read a word per row, each row's bits shifted into
 * place in all 8 bytes at once, instead of a read-modify-write per pixel. K is nearly
 * empty and the overlay nearly full: only blocks that are not are written, and only
 * blocks that touch kb (K may be non-zero) or ob (the overlay may be zero) are read.
 */
static void
bits_from_side(const struct side_image *si, const int kb[4], const int ob[4], struct panel_set *out)
{
	const uint64_t top = 0x8080808080808080ULL;
	int W = si->color.w, H = si->color.h;
	size_t st = out->stride;
	unsigned char *ko = xcalloc((size_t)W, st), *oo = xmalloc((size_t)W * st + 1);

	memset(oo, 0xff, (size_t)W * st);
	out->k = ko;
	out->o = oo;
	for (size_t g = 0; g < st; g++) {
		const unsigned char *kr[8], *orow[8];
		int nr = 0;

		for (; nr < 8 && (int)(8 * g) + nr < H; nr++) {
			size_t y = (size_t)H - 1 - 8 * g - (size_t)nr;

			kr[nr] = si->k.v + y * (size_t)W;
			orow[nr] = si->o.v + y * (size_t)W;
		}
		for (int x = 0; x < W; x += 8) {
			int y0 = H - 1 - (int)(8 * g);
			/* the last group's padding bits are 0: always computed */
			int dok = block_in(kb, x, y0), doo = nr < 8 || block_in(ob, x, y0);
			uint64_t k = 0, o = doo ? 0 : ~0ULL;
			unsigned char kbits[8], obits[8];

			for (int j = 0; j < nr && (dok || doo); j++) {
				/* K where coverage >= 128, overlay where non-zero */
				if (dok)
					k |= (load8(kr[j], x, W) & top) >> j;
				if (doo)
					o |= nonzero_bits(load8(orow[j], x, W)) >> j;
			}
			if (k == 0 && o == ~0ULL)
				continue;
			memcpy(kbits, &k, 8);
			memcpy(obits, &o, 8);
			for (int i = 0; i < 8 && x + i < W; i++) {
				ko[(size_t)(x + i) * st + g] = kbits[i];
				oo[(size_t)(x + i) * st + g] = obits[i];
			}
		}
	}
}

static void
panel_dims(const struct side_image *si, int dpi, struct panel_set *out)
{
	memset(out, 0, sizeof(*out));
	out->lines = si->color.w;
	out->dots = si->color.h;
	out->dpi = dpi;
	out->stride = ((size_t)si->color.h + 7) / 8;
}

void
panels_from_side(const struct side_image *si, int dpi, struct panel_set *out)
{
	int W = si->color.w, H = si->color.h;

	panel_dims(si, dpi, out);
	out->ymc = xmalloc((size_t)W * (size_t)H * 3 + 1);
	ymc_rect(si->color.px, W, 0, W, 0, H, out->ymc);
	bits_from_side(si, (int[4]){0, 0, W, H}, (int[4]){0, 0, W, H}, out);
}

int
panels_encode_side(const struct side_image *si, const char *base, unsigned long base_crc,
		   const struct png_opts *o, const struct panel_set *ref,
		   struct png_rowcache *const rows[3], struct buf bufs[3])
{
	struct png_opts po[3] = {*o, *o, *o};
	struct panel_set ps;
	int W = si->color.w, H = si->color.h, bb[4] = {0, 0, 0, 0}, r;
	unsigned char *patch;
	char note[128];

	/* the preview is the colour image except where K is blended in or the chip is drawn
	 * (composer_preview_row): only that rectangle is stored */
	if (si->has_boxes)
		memcpy(bb, si->ink_box, sizeof(bb));
	else {
		const int all[4] = {0, 0, W, H};

		mask_bbox(&si->k, all, bb);
		mask_bbox(&si->chip, all, bb);
	}
	if (bb[0] >= bb[2]) { /* nothing: a PNG has at least one pixel */
		bb[0] = 0, bb[1] = H - 1, bb[2] = 1, bb[3] = H;
	}
	patch = xmalloc((size_t)(bb[2] - bb[0]) * (size_t)(bb[3] - bb[1]) * 3 + 1);
	ymc_rect(si->color.px, W, bb[0], bb[2], bb[1], bb[3], patch);
	/* each file's reference: ref's panels (for the patch, its rectangle of ref's YMC) */
	if (ref && rows && ref->dots == H && ref->lines == W) {
		po[0].ref = ref->ymc + ((size_t)bb[0] * (size_t)H + (size_t)(H - bb[3])) * 3;
		po[0].ref_stride = (size_t)H * 3;
		po[1].ref = ref->k, po[2].ref = ref->o;
		po[1].ref_stride = po[2].ref_stride = ref->stride;
		for (int i = 0; i < 3; i++)
			po[i].rows = rows[i];
	}
	snprintf(note, sizeof(note), "ymc-patch panel=%dx%d base=%s crc32=%08lx", H, W, base,
		 base_crc);
	r = png_encode_rgb_ex(patch, bb[3] - bb[1], bb[2] - bb[0], &po[0],
			      &(struct png_extra){1, H - bb[3], bb[0], note}, &bufs[0]);
	free(patch);
	if (r < 0)
		return r;
	panel_dims(si, o->dpi, &ps);
	if (si->has_boxes)
		bits_from_side(si, si->ink_box, si->bare_box, &ps);
	else
		bits_from_side(si, (int[4]){0, 0, W, H}, (int[4]){0, 0, W, H}, &ps);
	if ((r = png_encode_bits(ps.k, ps.dots, ps.lines, 0x000000, &po[1], &bufs[1])) == 0)
		r = png_encode_bits(ps.o, ps.dots, ps.lines, 0x3399ff, &po[2], &bufs[2]);
	panel_set_release(&ps);
	return r;
}

void
panel_set_release(struct panel_set *ps)
{
	free(ps->ymc);
	free(ps->k);
	free(ps->o);
	memset(ps, 0, sizeof(*ps));
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

/*
 * A YMC patch (its note "ymc-patch panel=DOTSxLINES base=FILE crc32=HEX") made whole: the
 * base file (the side's preview, in dir) inverted and turned into panel order, with the
 * patch at its oFFs position on top. The base's CRC-32 must be the one the patch was
 * made against, so that a patch is never completed from some other preview.
 */
static int
complete_patch(const char *dir, const char *path, struct png_image *ymc, int dots, int lines)
{
	char base[64], *bpath = NULL;
	unsigned long crc;
	int pd, pl, n, r;
	unsigned char *data = NULL, *full = NULL;
	size_t len = 0;
	struct png_image b = {0};

	n = sscanf(ymc->note, "ymc-patch panel=%dx%d base=%63s crc32=%lx", &pd, &pl, base, &crc);
	if (n != 4 || strchr(base, '/') || base[0] == '.')
		return cp_err(CP_ERR_FORMAT, "panel file '%s': unknown note '%s'", path, ymc->note);
	if (pd != dots || pl != lines || !ymc->has_offset || ymc->channels != 3 || ymc->off_x < 0 ||
	    ymc->off_y < 0 || ymc->off_x > dots - ymc->w || ymc->off_y > lines - ymc->h)
		return cp_err(CP_ERR_FORMAT,
			      "panel file '%s': a %dx%d patch at (%d, %d) of a %dx%d panel does "
			      "not fit the %dx%d K and overlay panels",
			      path, ymc->w, ymc->h, ymc->off_x, ymc->off_y, pd, pl, dots, lines);
	bpath = fs_join(dir, base);
	if ((r = fs_read_file(bpath, MAX_PANEL_FILE, &data, &len)) < 0) {
		r = cp_err_wrap(r, "panel file '%s': its base: ", path);
		goto out;
	}
	if (crc32(0L, data, (uInt)len) != crc) {
		r = cp_err(CP_ERR_FORMAT,
			   "panel file '%s': base '%s' is not the one it was made "
			   "over (CRC-32 %08lx, want %08lx)",
			   path, bpath, crc32(0L, data, (uInt)len), crc);
		goto out;
	}
	if ((r = png_decode(data, len, &b)) < 0) {
		r = cp_err_wrap(r, "panel file '%s': base '%s': ", path, bpath);
		goto out;
	}
	if (b.channels != 3 || b.w != lines || b.h != dots) {
		r = cp_err(CP_ERR_FORMAT, "panel file '%s': base '%s' is %dx%d, want %dx%d RGB",
			   path, bpath, b.w, b.h, lines, dots);
		goto out;
	}
	full = xmalloc((size_t)lines * (size_t)dots * 3 + 1);
	ymc_rect(b.data, lines, 0, lines, 0, dots, full);
	for (int l = 0; l < ymc->h; l++)
		memcpy(full + ((size_t)(ymc->off_y + l) * (size_t)dots + (size_t)ymc->off_x) * 3,
		       ymc->data + (size_t)l * ymc->stride, (size_t)ymc->w * 3);
	free(ymc->data);
	ymc->data = full;
	ymc->w = dots;
	ymc->h = lines;
	ymc->stride = (size_t)dots * 3;
	r = 0;
out:
	png_image_release(&b);
	free(data);
	free(bpath);
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
	if (ymc.note[0] && k.channels == 1 && o.channels == 1 && k.w == o.w && k.h == o.h) {
		char *name = xasprintf("%s-ymc.png", side), *path = fs_join(dir, name);

		r = complete_patch(dir, path, &ymc, k.w, k.h);
		free(name);
		free(path);
		if (r < 0)
			goto out;
	}
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
