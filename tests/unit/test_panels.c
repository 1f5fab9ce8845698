/* test_panels.c - printer panels (docs/panel-format.md): the YMC conversion, the 648-dot
 * line orientation (landscape turned 90 degrees clockwise), 1-bit K and overlay with the
 * chip window clear, the PNG files round trip through panels_load(), the Evolis Db colour
 * packing, and the printer canvas profiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/face.h"
#include "personalization/face/panels.h"
#include "personalization/face/png.h"
#include "panels_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
bit(const unsigned char *plane, size_t stride, int line, int dot)
{
	return (plane[(size_t)line * stride + (size_t)(dot >> 3)] >> (7 - (dot & 7))) & 1;
}

static void
make_side(struct side_image *si, int w, int h)
{
	rgb_init(&si->color, w, h, 0xffffff);
	mask_init(&si->k, w, h, 0);
	mask_init(&si->o, w, h, 1);
	mask_init(&si->chip, w, h, 0);
}

static void
test_orientation_and_conversion(void **state)
{
	struct side_image si;
	struct panel_set ps;
	const int W = 1016, H = 648;

	(void)state;
	make_side(&si, W, H);
	/* canvas top-left red, bottom-left green, top-right blue */
	memcpy(si.color.px, "\xff\x00\x00", 3);
	memcpy(si.color.px + (size_t)(H - 1) * W * 3, "\x00\xff\x00", 3);
	memcpy(si.color.px + (size_t)(W - 1) * 3, "\x00\x00\xff", 3);
	si.k.v[(size_t)(H - 1) * W + 5] = 200; /* bottom row, column 5: K */
	si.k.v[(size_t)(H - 1) * W + 6] = 100; /* under half coverage: no K */
	si.o.v[0] = 0;			       /* top-left: no varnish */
	panels_from_side(&si, 300, &ps);
	assert_int_equal(ps.lines, 1016);
	assert_int_equal(ps.dots, 648);
	assert_int_equal(ps.stride, 81);
	/* line j = canvas column j, dot i = canvas row H-1-i */
	/* bottom-left green (R0 G255 B0) -> line 0 dot 0: Y=255-B=255, M=255-G=0, C=255-R=255 */
	assert_memory_equal(ps.ymc, "\xff\x00\xff", 3);
	/* top-left red -> line 0 dot 647: Y=255 M=255 C=0 */
	assert_memory_equal(ps.ymc + (size_t)647 * 3, "\xff\xff\x00", 3);
	/* top-right blue -> line 1015 dot 647: Y=0 M=255 C=255 */
	assert_memory_equal(ps.ymc + ((size_t)1015 * 648 + 647) * 3, "\x00\xff\xff", 3);
	/* white: no ink */
	assert_memory_equal(ps.ymc + ((size_t)500 * 648 + 300) * 3, "\x00\x00\x00", 3);
	assert_int_equal(bit(ps.k, ps.stride, 5, 0), 1);
	assert_int_equal(bit(ps.k, ps.stride, 6, 0), 0);
	assert_int_equal(bit(ps.k, ps.stride, 4, 0), 0);
	assert_int_equal(bit(ps.o, ps.stride, 0, 647), 0);
	assert_int_equal(bit(ps.o, ps.stride, 0, 646), 1);
	assert_int_equal(bit(ps.o, ps.stride, 1015, 0), 1);
	panel_set_release(&ps);
	side_image_release(&si);
}

/* Every dot of the colour panel, on canvases whose sides are no multiple of the 32-pixel
 * tiles the transpose works in, holds Y = 255 - B, M = 255 - G, C = 255 - R of canvas pixel
 * (x = line, y = H - 1 - dot): the first and last lines and dots, and the tiles' edges. */
static void
test_every_dot_of_the_colour_panel(void **state)
{
	static const int sizes[][2] = {{1016, 648}, {37, 33}, {33, 1}, {1, 40}, {64, 65}};

	(void)state;
	for (size_t n = 0; n < sizeof(sizes) / sizeof(sizes[0]); n++) {
		const int W = sizes[n][0], H = sizes[n][1];
		struct side_image si;
		struct panel_set ps;
		uint32_t seed = 12345u + (uint32_t)n;

		make_side(&si, W, H);
		for (size_t i = 0; i < (size_t)W * H * 3; i++) {
			seed = seed * 1103515245u + 12345u;
			si.color.px[i] = (unsigned char)(seed >> 16);
		}
		panels_from_side(&si, 300, &ps);
		assert_int_equal(ps.lines, W);
		assert_int_equal(ps.dots, H);
		for (int line = 0; line < W; line++)
			for (int dot = 0; dot < H; dot++) {
				const unsigned char *c =
					si.color.px +
					((size_t)(H - 1 - dot) * W + (size_t)line) * 3;
				const unsigned char *d =
					ps.ymc + ((size_t)line * (size_t)H + (size_t)dot) * 3;

				if (d[0] != 255 - c[2] || d[1] != 255 - c[1] || d[2] != 255 - c[0])
					fail_msg("%dx%d: line %d dot %d is %02x%02x%02x for RGB "
						 "%02x%02x%02x",
						 W, H, line, dot, d[0], d[1], d[2], c[0], c[1],
						 c[2]);
			}
		panel_set_release(&ps);
		side_image_release(&si);
	}
}

static void
test_db_color_packing(void **state)
{
	struct panel_set ps = {0};
	unsigned char *d = NULL;
	size_t len = 0;

	(void)state;
	ps.lines = 1016;
	ps.dots = 648;
	ps.ymc = xcalloc((size_t)1016 * 648 * 3, 1);
	ps.ymc[0] = 0xff; /* Y of the first dot */
	ps.ymc[3] = 0x80; /* Y of the second */
	assert_int_equal(panels_db_color(&ps, 0, 7, &d, &len), 0);
	assert_int_equal(len, 576072); /* docs/printer-reference.md §1.1: 648 x 1016 x 7 / 8 */
	/* 1111111 1000000 0... */
	assert_int_equal(d[0], 0xff);
	assert_int_equal(d[1], 0x00);
	free(d);
	assert_int_equal(panels_db_color(&ps, 0, 5, &d, &len), 0);
	assert_int_equal(len, (size_t)1016 * 648 * 5 / 8);
	assert_int_equal(d[0], 0xfc); /* 11111 100 */
	free(d);
	assert_int_equal(panels_db_color(&ps, 1, 6, &d, &len), 0);
	assert_int_equal(d[0], 0);
	free(d);
	assert_int_equal(panels_db_color(&ps, 3, 7, &d, &len), CP_ERR_INVALID);
	assert_int_equal(panels_db_color(&ps, 0, 8, &d, &len), CP_ERR_INVALID);
	free(ps.ymc);
}

static void
render_sample(const char *profile, const char *dir, const char *layout)
{
	struct layout *lo = NULL;
	const struct canvas_profile *p;
	struct face_renderer *fr = NULL;
	struct png_opts o = {.level = 1, .filter = 1, .dpi = 300};
	struct face_card c = {
		"B00000031",
		{{"张三", "110101199003071234", "B00000031", "2026年11月26日", NULL, NULL}},
		NULL,
		NULL,
		0};
	char *reason = NULL;

	assert_int_equal(layout_parse(layout, strlen(layout), "t.layout", &lo), 0);
	assert_int_equal(canvas_profile_lookup(profile, &p), 0);
	assert_int_equal(face_renderer_new(lo, p, "", &o, &fr), 0);
	assert_int_equal(face_render_card(fr, &c, dir, &reason), 0);
	face_renderer_free(fr);
	layout_free(lo);
}

static const char chip_layout[] = "cardpipe-layout 1\n"
				  "side front\n"
				  "background fill=#808080\n"
				  "side back\n"
				  "background fill=#336699\n"
				  "rect x=5 y=15 w=20 h=20 fill=#000000\n"
				  "chip x=10 y=20 w=10 h=10\n"
				  "field name x=30 y=20 size=12\n";

static void
test_files_round_trip_and_chip_window(void **state)
{
	char dir[] = "/tmp/test_panels.XXXXXX", cmd[64];
	struct panel_set ps;
	double s = 300 / 25.4, ox = (1016 - 85.6 * s) / 2, oy = (648 - 53.98 * s) / 2;
	int cx = (int)(ox + 15 * s), cy = (int)(oy + 25 * s); /* chip centre, canvas px */
	int line = cx, dot = 647 - cy;

	(void)state;
	assert_non_null(mkdtemp(dir));
	render_sample("evolis", dir, chip_layout);
	assert_int_equal(panels_load(dir, "back", &ps), 0);
	assert_int_equal(ps.lines, 1016);
	assert_int_equal(ps.dots, 648);
	assert_int_equal(ps.dpi, 300);
	/* chip window: no ink, no K, no varnish; outside it the background's ink and varnish */
	assert_memory_equal(ps.ymc + ((size_t)line * 648 + (size_t)dot) * 3, "\x00\x00\x00", 3);
	assert_int_equal(bit(ps.o, ps.stride, line, dot), 0);
	assert_int_equal(bit(ps.o, ps.stride, 2, 2), 1);
	/* 0x336699 -> Y = 0x66, M = 0x99, C = 0xCC */
	assert_memory_equal(ps.ymc + ((size_t)2 * 648 + 2) * 3, "\x66\x99\xcc", 3);
	/* the name (black, resin) is in K: some dots set in its area */
	{
		int n = 0;

		for (int l = (int)(ox + 30 * s); l < (int)(ox + 45 * s); l++)
			for (int d = 647 - (int)(oy + 20 * s); d < 647 - (int)(oy + 16 * s); d++)
				n += bit(ps.k, ps.stride, l, d);
		assert_true(n > 100);
	}
	panel_set_release(&ps);
	assert_int_equal(panels_load(dir, "side", &ps), CP_ERR_NOTFOUND);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
write_buf(const char *dir, const char *name, const struct buf *b)
{
	char *p = fs_join(dir, name);

	assert_int_equal(fs_write_atomic(p, b->data, b->len, 0600), 0);
	free(p);
}

/* Write a 2x2 back-ymc.png (at x, y if has_offset) with the note; what loading it gives. */
static int
load_2x2_patch(const char *dir, int has_offset, int x, const char *note)
{
	static const unsigned char px[3 * 4] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	struct png_opts o = {.level = 1, .filter = 0, .dpi = 300};
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct panel_set ps;
	int r;

	assert_int_equal(
		png_encode_rgb_ex(px, 2, 2, &o, &(struct png_extra){has_offset, x, 0, note}, &b),
		0);
	write_buf(dir, "back-ymc.png", &b);
	buf_release(&b);
	if ((r = panels_load(dir, "back", &ps)) == 0)
		panel_set_release(&ps);
	return r;
}

/* The YMC file render writes is a patch over the preview: loaded, it is exactly the full
 * panel of the composed side, for both sides and every filter. */
static void
test_patch_is_the_full_panel(void **state)
{
	struct layout *lo = NULL;
	const struct canvas_profile *p;
	struct face_card c = {
		"B00000032",
		{{"李四", "110101199003071234", "B00000032", "2026年11月26日", NULL, NULL}},
		NULL,
		NULL,
		0};

	(void)state;
	assert_int_equal(layout_parse(chip_layout, strlen(chip_layout), "t.layout", &lo), 0);
	assert_int_equal(canvas_profile_lookup("evolis", &p), 0);
	for (int filter = 0; filter <= 5; filter++) {
		char dir[] = "/tmp/test_panels.XXXXXX", cmd[64], *reason = NULL;
		struct png_opts o = {.level = 1, .filter = filter, .dpi = 300};
		struct face_renderer *fr = NULL;
		struct side_image si[SIDE_COUNT] = {0};

		assert_non_null(mkdtemp(dir));
		assert_int_equal(face_renderer_new(lo, p, "", &o, &fr), 0);
		assert_int_equal(face_render_card(fr, &c, dir, &reason), 0);
		assert_int_equal(face_compose(fr, &c, NULL, si), 0);
		for (int s = 0; s < SIDE_COUNT; s++) {
			struct panel_set want, got;

			panels_from_side(&si[s], 300, &want);
			assert_int_equal(panels_load(dir, s ? "back" : "front", &got), 0);
			assert_int_equal(got.lines, want.lines);
			assert_int_equal(got.dots, want.dots);
			assert_int_equal(got.stride, want.stride);
			assert_memory_equal(got.ymc, want.ymc, (size_t)want.lines * want.dots * 3);
			assert_memory_equal(got.k, want.k, (size_t)want.lines * want.stride);
			assert_memory_equal(got.o, want.o, (size_t)want.lines * want.stride);
			panel_set_release(&want);
			panel_set_release(&got);
			side_image_release(&si[s]);
		}
		face_renderer_free(fr);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
	layout_free(lo);
}

/* A patch is never completed from a preview other than its own, nor placed outside the
 * panel; full-panel YMC files (panels_encode, earlier renders) still load. */
static void
test_patch_refused_when_wrong(void **state)
{
	char dir[] = "/tmp/test_panels.XXXXXX", cmd[64];
	struct png_opts o = {.level = 1, .filter = 0, .dpi = 300};
	struct buf b = BUF_INIT(BUF_UNLIMITED),
		   full[3] = {BUF_INIT(BUF_UNLIMITED), BUF_INIT(BUF_UNLIMITED),
			      BUF_INIT(BUF_UNLIMITED)};
	struct panel_set ps;
	char *path;

	(void)state;
	assert_non_null(mkdtemp(dir));
	render_sample("evolis", dir, chip_layout);
	/* another preview in place of back.png: same size, other pixels */
	path = fs_join(dir, "back.png");
	{
		unsigned char *rgb = xcalloc((size_t)1016 * 648, 3);

		assert_int_equal(png_encode_rgb(rgb, 1016, 648, &o, &b), 0);
		free(rgb);
	}
	assert_int_equal(fs_write_atomic(path, b.data, b.len, 0600), 0);
	assert_int_equal(panels_load(dir, "back", &ps), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "not the one it was made over"));
	unlink(path);
	assert_int_equal(panels_load(dir, "back", &ps), CP_ERR_NOTFOUND);
	/* a patch that does not fit the panel */
	assert_int_equal(load_2x2_patch(dir, 1, 647,
					"ymc-patch panel=648x1016 "
					"base=front.png crc32=00000000"),
			 CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "does not fit"));
	/* a base outside the card's folder, or an unknown note */
	assert_int_equal(load_2x2_patch(dir, 1, 0,
					"ymc-patch panel=648x1016 "
					"base=../x.png crc32=00000000"),
			 CP_ERR_FORMAT);
	assert_int_equal(load_2x2_patch(dir, 0, 0, "other"), CP_ERR_FORMAT);
	/* a full panel as before */
	ps.lines = 1016, ps.dots = 648, ps.stride = 81;
	ps.ymc = xcalloc((size_t)1016 * 648, 3);
	ps.k = xcalloc(1016, 81);
	ps.o = xcalloc(1016, 81);
	ps.ymc[((size_t)5 * 648 + 7) * 3 + 1] = 99;
	assert_int_equal(panels_encode(&ps, &o, full), 0);
	panel_set_release(&ps);
	write_buf(dir, "back-ymc.png", &full[0]);
	write_buf(dir, "back-k.png", &full[1]);
	write_buf(dir, "back-o.png", &full[2]);
	assert_int_equal(panels_load(dir, "back", &ps), 0);
	assert_int_equal(ps.ymc[((size_t)5 * 648 + 7) * 3 + 1], 99);
	panel_set_release(&ps);
	for (int i = 0; i < 3; i++)
		buf_release(&full[i]);
	buf_release(&b);
	free(path);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_profiles(void **state)
{
	static const struct {
		const char *name;
		int w, h;
	} want[] = {{"evolis", 1016, 648},
		    {"zebra", 1024, 648},
		    {"magicard", 1016, 672},
		    {"matica", 1036, 664},
		    {"fargo", 1035, 661}};
	const struct canvas_profile *p;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char dir[] = "/tmp/test_panels.XXXXXX", cmd[64];
		struct panel_set ps;

		assert_int_equal(canvas_profile_lookup(want[i].name, &p), 0);
		assert_int_equal(p->w, want[i].w);
		assert_int_equal(p->h, want[i].h);
		assert_int_equal(p->dpi, 300);
		assert_non_null(mkdtemp(dir));
		render_sample(want[i].name, dir, chip_layout);
		assert_int_equal(panels_load(dir, "front", &ps), 0);
		assert_int_equal(ps.lines, want[i].w);
		assert_int_equal(ps.dots, want[i].h);
		assert_int_equal(ps.stride, (size_t)(want[i].h + 7) / 8);
		panel_set_release(&ps);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(canvas_profile_lookup("hp", &p), CP_ERR_CONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_orientation_and_conversion),
		cmocka_unit_test(test_every_dot_of_the_colour_panel),
		cmocka_unit_test(test_db_color_packing),
		cmocka_unit_test(test_files_round_trip_and_chip_window),
		cmocka_unit_test(test_patch_is_the_full_panel),
		cmocka_unit_test(test_patch_refused_when_wrong),
		cmocka_unit_test(test_profiles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
