/* emu_face.c - printed faces: composing, expecting and comparing them (see emu_face.h). */
#include "emulator/printer/emu_face.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/panels.h"
#include "personalization/face/png.h"
#include "printer/evolis/evolis_proto.h"
#include "printer/printer.h"

#include <stdlib.h>
#include <string.h>

#define PIXELS ((size_t)PRINTER_WIDTH * PRINTER_HEIGHT)

void
emu_face_compose(const unsigned char *const planes[3], const unsigned char *k, unsigned char *rgb)
{
	for (size_t i = 0; i < PIXELS; i++) {
		int black = k && k[i];

		/* R from C (plane 2), G from M (plane 1), B from Y (plane 0) */
		for (int ch = 0; ch < 3; ch++) {
			const unsigned char *pl = planes[2 - ch];

			rgb[i * 3 + (size_t)ch] =
				black ? 0 : (unsigned char)(255 - (pl ? pl[i] : 0));
		}
	}
}

int
emu_face_expected(const struct panel_set *ps, int levels, unsigned char **rgb)
{
	unsigned char *planes[3] = {0}, *k = NULL, *data = NULL;
	size_t len;
	int r = 0, bits = evo_level_bits(levels);

	*rgb = NULL;
	if (!bits)
		return cp_err(CP_ERR_INVALID, "%d colour levels: Evolis takes 32, 64 or 128",
			      levels);
	if (ps->lines != EVO_LINES || ps->dots != EVO_DOTS || ps->stride != EVO_DOTS / 8)
		return cp_err(CP_ERR_INVALID, "panels are %d lines of %d dots, not %d of %d",
			      ps->lines, ps->dots, EVO_LINES, EVO_DOTS);
	for (int i = 0; i < 3 && r == 0; i++) {
		planes[i] = xmalloc(PIXELS);
		if ((r = panels_db_color(ps, i, bits, &data, &len)) == 0)
			r = evo_decode_colour(levels, data, planes[i]);
		free(data);
		data = NULL;
	}
	if (r == 0) {
		k = xmalloc(PIXELS);
		evo_decode_mono(ps->k, k);
		*rgb = xmalloc(PIXELS * 3);
		emu_face_compose((const unsigned char *const *)planes, k, *rgb);
	}
	for (int i = 0; i < 3; i++)
		free(planes[i]);
	free(k);
	return r;
}

int
emu_face_compare(const char *png_path, const unsigned char *expected, long *ndiff)
{
	struct png_image im = {0};
	unsigned char *data = NULL;
	size_t len;
	long first = -1;
	int r;

	*ndiff = 0;
	if ((r = fs_read_file(png_path, 64u << 20, &data, &len)) < 0 ||
	    (r = png_decode(data, len, &im)) < 0) {
		r = cp_err_wrap(r, "printed face '%s': ", png_path);
		goto out;
	}
	if (im.w != PRINTER_WIDTH || im.h != PRINTER_HEIGHT || im.channels != 3) {
		r = cp_err(CP_ERR_FORMAT,
			   "printed face '%s' is %dx%d with %d channels, not %dx%d RGB", png_path,
			   im.w, im.h, im.channels, PRINTER_WIDTH, PRINTER_HEIGHT);
		goto out;
	}
	for (int y = 0; y < im.h; y++)
		for (int x = 0; x < im.w; x++) {
			const unsigned char *a = im.data + (size_t)y * im.stride + (size_t)x * 3;
			const unsigned char *b =
				expected + ((size_t)y * PRINTER_WIDTH + (size_t)x) * 3;

			if (memcmp(a, b, 3)) {
				if (first < 0)
					first = (long)y * PRINTER_WIDTH + x;
				(*ndiff)++;
			}
		}
	if (*ndiff)
		r = cp_err(
			CP_ERR_INTEGRITY,
			"printed face '%s' differs from the rendered panels in %ld pixels (first "
			"at x=%ld, y=%ld)",
			png_path, *ndiff, first % PRINTER_WIDTH, first / PRINTER_WIDTH);
out:
	png_image_release(&im);
	free(data);
	return r;
}
