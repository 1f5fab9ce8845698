/*
 * proof.c - proof-sheet pages: each card's preview PNG is decoded, shrunk with the
 * area-average filter into its cell, framed, and captioned; a page header names the run.
 */
#include "personalization/face/proof.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/fonts.h"
#include "personalization/face/image.h"
#include "personalization/face/photo.h"
#include "personalization/face/png.h"
#include "personalization/face/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W 1240
#define PAGE_H 1754
#define COLS 3
#define ROWS 4
#define MARGIN 50
#define GAP 25
#define CAPTION 40
#define HEADER 70

static int
load_preview(const char *path, struct rgb_image *im)
{
	unsigned char *data = NULL;
	size_t len = 0;
	struct png_image p = {0};
	int r;

	if ((r = fs_read_file(path, 64u << 20, &data, &len)) == 0 &&
	    (r = png_decode(data, len, &p)) == 0 && p.channels != 3)
		r = cp_err(CP_ERR_FORMAT, "'%s' is not an RGB preview", path);
	free(data);
	if (r < 0) {
		png_image_release(&p);
		return r;
	}
	im->w = p.w;
	im->h = p.h;
	im->px = p.data; /* RGB rows are packed: stride == 3 * w */
	return 0;
}

static void
blit(struct rgb_image *dst, const struct rgb_image *src, int ox, int oy)
{
	for (int y = 0; y < src->h; y++) {
		if (oy + y < 0 || oy + y >= dst->h)
			continue;
		memcpy(dst->px + ((size_t)(oy + y) * (size_t)dst->w + (size_t)ox) * 3,
		       src->px + (size_t)y * (size_t)src->w * 3, (size_t)src->w * 3);
	}
}

static void
caption(struct fontset *fs, struct rgb_image *page, const char *text, int x, int y, int px)
{
	/* a caption that cannot be drawn is left out: the page is still useful */
	if (text_draw(fs, text, (long)px * 64, (long)x * 64, (long)y * 64, page, 0x000000, NULL,
		      NULL) < 0)
		cp_err_clear();
}

int
proof_write(const char *const *dirs, const char *const *card_nos, size_t n, const char *side,
	    struct fontset *fs, const char *title, const char *prefix, int first_page,
	    const struct png_opts *o, int *pages)
{
	int cell_w = (PAGE_W - 2 * MARGIN - (COLS - 1) * GAP) / COLS;
	int cell_h = (PAGE_H - 2 * MARGIN - HEADER - (ROWS - 1) * GAP) / ROWS - CAPTION;
	int npages = (int)((n + PROOF_PER_PAGE - 1) / PROOF_PER_PAGE), r = 0;
	struct rgb_image page = {0};

	*pages = 0;
	for (int pg = 0; pg < npages && r == 0; pg++) {
		struct buf png = BUF_INIT(BUF_UNLIMITED);
		char head[256], *path;

		rgb_init(&page, PAGE_W, PAGE_H, 0xffffff);
		snprintf(head, sizeof(head), "%s   page %d", title, first_page + pg);
		caption(fs, &page, head, MARGIN, MARGIN + 30, 28);
		for (int k = 0; k < PROOF_PER_PAGE; k++) {
			size_t i = (size_t)pg * PROOF_PER_PAGE + (size_t)k;
			int cx = MARGIN + (k % COLS) * (cell_w + GAP);
			int cy = MARGIN + HEADER + (k / COLS) * (cell_h + CAPTION + GAP);
			struct rgb_image prev = {0}, thumb = {0};
			char *pp, *name;
			int th = cell_h;

			if (i >= n)
				break;
			name = xasprintf("%s.png", side);
			pp = fs_join(dirs[i], name);
			free(name);
			if (load_preview(pp, &prev) == 0) {
				photo_fit(&prev, cell_w, cell_h, &thumb);
				blit(&page, &thumb, cx + (cell_w - thumb.w) / 2, cy);
				draw_rect_outline(&page, cx + (cell_w - thumb.w) / 2 - 1, cy - 1,
						  thumb.w + 2, thumb.h + 2, 0, 1, 0x808080);
				th = thumb.h;
			} else {
				draw_rect_outline(&page, cx, cy, cell_w, cell_h, 0, 2, 0xc00000);
				caption(fs, &page, "preview missing", cx + 10, cy + cell_h / 2, 20);
				cp_err_clear();
			}
			free(pp);
			caption(fs, &page, card_nos[i], cx, cy + th + 32, 24);
			rgb_release(&prev);
			rgb_release(&thumb);
		}
		path = xasprintf("%s-p%03d.png", prefix, first_page + pg);
		if ((r = png_encode_rgb(page.px, page.w, page.h, o, &png)) == 0 &&
		    (r = fs_write_atomic(path, png.data, png.len, 0600)) == 0)
			(*pages)++;
		free(path);
		buf_release(&png);
		rgb_release(&page);
	}
	return r;
}
