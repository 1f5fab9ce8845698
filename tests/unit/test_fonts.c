/* test_fonts.c - the card font chain: installed defaults, CJK extension coverage (䶮 U+4DAE
 * in Ext A, 𠇔 U+201D4 in Ext B), code points no font has, TTC face selection, bad chains,
 * and the chain walked for a caller that draws with other machinery (the carrier letters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "personalization/face/fonts.h"

#include <stdio.h>
#include <string.h>

#define NOTO_SANS "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

static void
test_defaults_cover_extensions(void **state)
{
	struct fontset *fs = NULL;
	unsigned missing = 0;

	(void)state;
	assert_int_equal(fontset_open(NULL, &fs), 0);
	assert_true(fontset_describe(fs, 0)[0] != '\0'); /* at least one font */
	assert_int_equal(fontset_covers(fs, "张三", &missing), 1);
	assert_int_equal(fontset_covers(fs, "王䶮", &missing), 1);
	assert_int_equal(fontset_covers(fs, "李𠇔", &missing), 1);
	assert_int_equal(fontset_covers(fs, "阿依古丽·买买提", &missing), 1);
	assert_int_equal(fontset_covers(fs, "JOHN SMITH", &missing), 1);
	/* a variation selector needs no glyph of its own */
	assert_int_equal(fontset_covers(fs, "葛\xef\xb8\x80", &missing), 1);
	fontset_free(fs);
	/* "" is the same as NULL */
	assert_int_equal(fontset_open("", &fs), 0);
	fontset_free(fs);
}

static void
test_missing_code_points(void **state)
{
	struct fontset *fs = NULL;
	unsigned missing = 0;

	(void)state;
	assert_int_equal(fontset_open(NULL, &fs), 0);
	/* private use */
	assert_int_equal(fontset_covers(fs, "张\xee\x80\x80三", &missing), 0);
	assert_int_equal(missing, 0xE000);
	/* unassigned (plane 3 beyond Ext H) */
	missing = 0;
	assert_int_equal(fontset_covers(fs, "\xf0\xb3\xbf\xbf", &missing), 0);
	assert_int_equal(missing, 0x33FFF);
	/* control characters are never drawable */
	assert_int_equal(fontset_covers(fs, "A\tB", &missing), 0);
	assert_int_equal(missing, 0x09);
	/* the first missing one is reported */
	assert_int_equal(fontset_covers(fs, "\xee\x80\x81\xee\x80\x80", &missing), 0);
	assert_int_equal(missing, 0xE001);
	fontset_free(fs);
}

static void
test_invalid_utf8(void **state)
{
	struct fontset *fs = NULL;
	unsigned missing = 0;

	(void)state;
	assert_int_equal(fontset_open(NULL, &fs), 0);
	assert_int_equal(fontset_covers(fs, "\xff", &missing), CP_ERR_FORMAT);
	assert_int_equal(fontset_covers(fs, "\xc0\xaf", &missing), CP_ERR_FORMAT); /* overlong */
	assert_int_equal(fontset_covers(fs, "\xed\xa0\x80", &missing),
			 CP_ERR_FORMAT);					   /* surrogate */
	assert_int_equal(fontset_covers(fs, "\xe5\xbc", &missing), CP_ERR_FORMAT); /* truncated */
	fontset_free(fs);
}

static void
test_chain_order_and_ttc(void **state)
{
	struct fontset *fs = NULL;
	unsigned missing = 0;

	(void)state;
	/* Noto alone covers Ext A and B here, but not everything HanaMin has */
	assert_int_equal(fontset_open(NOTO_SANS, &fs), 0);
	assert_string_equal(fontset_describe(fs, 1), ""); /* one font */
	/* a collection without #N: its Simplified Chinese face */
	assert_non_null(strstr(fontset_describe(fs, 0), "Noto Sans CJK SC"));
	fontset_free(fs);
	assert_int_equal(fontset_open(NOTO_SANS "#0", &fs), 0);
	assert_non_null(strstr(fontset_describe(fs, 0), "#0 (Noto Sans CJK JP"));
	fontset_free(fs);
	/* HanaMinB alone has the Ext B character but no common Han */
	assert_int_equal(fontset_open("HanaMinB.ttf", &fs), 0);
	assert_int_equal(fontset_covers(fs, "𠇔", &missing), 1);
	assert_int_equal(fontset_covers(fs, "张", &missing), 0);
	assert_int_equal(missing, 0x5F20);
	fontset_free(fs);
	assert_int_equal(fontset_open("HanaMinB.ttf:" NOTO_SANS, &fs), 0);
	assert_true(fontset_describe(fs, 1)[0] != '\0'); /* two fonts */
	assert_string_equal(fontset_describe(fs, 2), "");
	assert_int_equal(fontset_covers(fs, "张𠇔", &missing), 1);
	fontset_free(fs);
}

static void
test_bad_chains(void **state)
{
	struct fontset *fs = NULL;

	(void)state;
	assert_int_equal(fontset_open("/nonexistent/font.ttf", &fs), CP_ERR_CONFIG);
	assert_null(fs);
	assert_non_null(strstr(cp_errmsg(), "/nonexistent/font.ttf"));
	assert_int_equal(fontset_open("no-such-font-file.otf", &fs), CP_ERR_CONFIG);
	assert_int_equal(fontset_open(NOTO_SANS "#x", &fs), CP_ERR_CONFIG);
	assert_int_equal(fontset_open(NOTO_SANS "#99", &fs), CP_ERR_CONFIG);
	/* not a font */
	assert_int_equal(fontset_open("/etc/hostname", &fs), CP_ERR_CONFIG);
	assert_int_equal(fontset_open(":::", &fs), CP_ERR_CONFIG);
}

/* What font_chain_walk() hands its caller, one line per entry. */
struct walked {
	char lines[8][256];
	int n, fail_at; /* fail_at: the entry whose call returns an error (-1: none) */
};

static int
record(void *ctx, const char *path, long face, int r)
{
	struct walked *w = ctx;

	if (w->n < 8)
		snprintf(w->lines[w->n], sizeof(w->lines[0]), "%s %ld %d", path ? path : "-",
			 r < 0 ? -1 : face, r);
	if (w->n++ == w->fail_at)
		return cp_err(CP_ERR_INVALID, "stop");
	return 0;
}

/* The chain as the carrier letters walk it: the same files and faces in the same order as
 * the card's fontset, relative entries under the base, '#' part of a file name. */
static void
test_chain_walk(void **state)
{
	const struct font_chain_rules card = {NULL}, letters = {"/usr/share/fonts/opentype"};
	struct walked w = {.fail_at = -1};
	struct fontset *fs = NULL;

	(void)state;
	assert_int_equal(font_chain_walk("HanaMinB.ttf::" NOTO_SANS, &card, record, &w), 2);
	assert_string_equal(w.lines[0], "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf 0 0");
	assert_string_equal(w.lines[1], NOTO_SANS " 2 0");
	assert_int_equal(fontset_open("HanaMinB.ttf::" NOTO_SANS, &fs), 0);
	assert_non_null(strstr(fontset_describe(fs, 1), NOTO_SANS "#2 (Noto Sans CJK SC"));
	fontset_free(fs);
	memset(&w, 0, sizeof(w));
	w.fail_at = -1;
	assert_int_equal(font_chain_walk("noto/NotoSansCJK-Regular.ttc:" NOTO_SANS "#0:"
					 "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
					 &letters, record, &w),
			 3);
	assert_string_equal(w.lines[0], NOTO_SANS " 2 0");
	/* "#0" is no face index here: a file of that name, which does not exist */
	assert_string_equal(w.lines[1], NOTO_SANS "#0 -1 -11");
	assert_string_equal(w.lines[2], "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf 0 0");
	/* an error of the caller stops the walk */
	memset(&w, 0, sizeof(w));
	w.fail_at = 0;
	assert_int_equal(font_chain_walk("HanaMinA.ttf:HanaMinB.ttf", &card, record, &w),
			 CP_ERR_INVALID);
	assert_int_equal(w.n, 1);
	/* nothing in it */
	memset(&w, 0, sizeof(w));
	w.fail_at = -1;
	assert_int_equal(font_chain_walk(":::", &letters, record, &w), 0);
	assert_int_equal(font_chain_walk(NULL, &letters, record, &w), 0);
	assert_int_equal(w.n, 0);
	/* an entry the card chain cannot find: the reason, and no file */
	assert_int_equal(font_chain_walk("no-such-font-file.otf", &card, record, &w), 1);
	assert_string_equal(w.lines[0], "- -1 -11");
}

static void
test_glyphs_rasterise(void **state)
{
	struct fontset *fs = NULL;
	const struct glyph *g = NULL, *g2 = NULL;
	unsigned dark = 0;

	(void)state;
	assert_int_equal(fontset_open(NULL, &fs), 0);
	assert_int_equal(fontset_glyph(fs, 0x4DAE, 46 * 64, &g), 0);
	assert_true(g->width > 10 && g->rows > 10);
	for (int i = 0; i < g->width * g->rows; i++)
		dark += g->coverage[i] > 128;
	assert_true(dark > 50);
	assert_true(g->advance > 30 * 64);
	/* cached: the same glyph object */
	assert_int_equal(fontset_glyph(fs, 0x4DAE, 46 * 64, &g2), 0);
	assert_ptr_equal(g, g2);
	assert_int_equal(fontset_glyph(fs, 0xE000, 46 * 64, &g), CP_ERR_NOTFOUND);
	fontset_free(fs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_cover_extensions),
		cmocka_unit_test(test_missing_code_points),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_chain_order_and_ttc),
		cmocka_unit_test(test_bad_chains),
		cmocka_unit_test(test_chain_walk),
		cmocka_unit_test(test_glyphs_rasterise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
