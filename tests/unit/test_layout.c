/* test_layout.c - layout templates (docs/layout-format.md): the shipped default parses
 * and follows the third-generation layout; every kind of mistake is an error naming the
 * file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "personalization/face/layout.h"

#include <stdio.h>
#include <string.h>

#define SHIPPED "../../data/layout/default.layout"

static void
test_shipped_default(void **state)
{
	struct layout *lo = NULL;
	int fields[F_COUNT] = {0}, photo = 0, chip = 0;

	(void)state;
	assert_int_equal(layout_load(SHIPPED, &lo), 0);
	assert_true(lo->card_w > 85.5 && lo->card_w < 85.7);
	assert_false(lo->side[SIDE_FRONT].personal);
	assert_true(lo->side[SIDE_BACK].personal);
	for (size_t i = 0; i < lo->side[SIDE_BACK].n; i++) {
		const struct layout_el *e = &lo->side[SIDE_BACK].els[i];

		if (e->kind == EL_FIELD)
			fields[e->field]++;
		photo += e->kind == EL_PHOTO;
		chip += e->kind == EL_CHIP;
	}
	assert_int_equal(fields[F_NAME], 1);
	assert_int_equal(fields[F_SSN], 1);
	assert_int_equal(fields[F_CARD_NO], 1);
	assert_int_equal(fields[F_ISSUE_DATE], 1);
	assert_int_equal(fields[F_PAN], 1);
	assert_int_equal(photo, 1);
	assert_int_equal(chip, 1);
	assert_string_equal(layout_bank_name(lo, "ICBC"), "中国工商银行");
	assert_string_equal(layout_bank_name(lo, "XYZ"), "XYZ");
	layout_free(lo);
}

static const char head[] = "cardpipe-layout 1\n";

/* Parse head + body; expect failure whose message contains want. */
static void
expect_error(const char *body, const char *want)
{
	char text[4096];
	struct layout *lo = NULL;
	int r;

	snprintf(text, sizeof(text), "%s%s", head, body);
	r = layout_parse(text, strlen(text), "t.layout", &lo);
	if (r != CP_ERR_FORMAT || !strstr(cp_errmsg(), want))
		fail_msg("body:\n%s\nexpected an error containing '%s', got %d '%s'", body, want, r,
			 cp_errmsg());
	assert_null(lo);
}

static const char minimal_back[] = "side back\nfield name x=1 y=5 size=9\n";

static void
test_errors_have_line_numbers(void **state)
{
	(void)state;
	expect_error("side front\nbogus x=1\n", "t.layout:3: unknown directive 'bogus'");
	expect_error("side front\nrect x=1 y=1 w=2\n", "t.layout:3: 'rect' needs option 'h'");
	expect_error("side front\nrect x=1 y=1 w=2 h=2\n",
		     "t.layout:3: 'rect' needs fill= or stroke=");
	expect_error("side front\nrect x=1 y=1 w=2 h=2 fill=#12345\n",
		     "t.layout:3: option 'fill': colour");
	expect_error("side front\nrect x=1 y=1 w=2 h=2 fill=red\n", "t.layout:3:");
	expect_error("side front\nrect x=a y=1 w=2 h=2 fill=#000000\n", "'a' is not a number");
	expect_error("side front\nrect x=80 y=1 w=20 h=2 fill=#000000\n",
		     "t.layout:3: 'rect' at (80, 1) size 20 x 2 mm lies outside");
	expect_error("side front\nrect x=1 x=2 y=1 w=2 h=2 fill=#000000\n",
		     "option 'x' given twice");
	expect_error("side front\nrect x=1 y=1 w=2 h=2 fill=#000000 size=3\n",
		     "'rect' takes no option 'size'");
	expect_error("side front\ntext x=1 y=5 size=9\n", "t.layout:3: 'text' needs a quoted text");
	expect_error("side front\ntext x=1 y=5 size=9 \"abc\n",
		     "t.layout:3: unterminated quoted text");
	expect_error("side front\ntext x=1 y=5 size=9 font=fancy \"abc\"\n",
		     "t.layout:3: font 'fancy' is not declared");
	expect_error("side front\nfield nickname x=1 y=5 size=9\n",
		     "t.layout:3: unknown field 'nickname'");
	expect_error("side front\nfield name x=1 y=5 size=9 color=#FF0000 ink=k\n",
		     "ink=k prints black only");
	expect_error("side front\nfield name x=1 y=5 size=9 min-size=7\n", "min-size needs w=");
	expect_error("side front\nfield name x=1 y=5 w=9 size=9 min-size=12\n",
		     "min-size 12 is larger than size 9");
	expect_error("side front\nfield name x=1 y=5 size=9 align=center\n",
		     "align=center needs w=");
	expect_error("side front\nfield name x=1 y=5 size=9 if=mood\n", "if: unknown field 'mood'");
	expect_error("rect x=1 y=1 w=2 h=2 fill=#000000\n", "t.layout:2: 'rect' before any 'side");
	expect_error("side front\nside front\n", "t.layout:3: side 'front' given twice");
	expect_error("side left\n", "t.layout:2: 'side front' or 'side back'");
	expect_error("font a \"x.ttf\"\nfont a \"y.ttf\"\n", "t.layout:3: font 'a' declared twice");
	expect_error("side front\nbackground fill=#FFFFFF\n", "side 'back' is missing or empty");
	expect_error("side front\nphoto x=1 y=1 w=20 h=25\nside back\nphoto x=1 y=1 w=20 h=25\n",
		     "more than one photo box");
	expect_error("side front\ntext x=1 y=5 size=9 \"a\xff\"\n", "t.layout:3: invalid UTF-8");
	expect_error("side front\nstar x=5 y=5 fill=#FF0000\n", "'star' needs option 'radius'");
	expect_error("card 85.6\n", "t.layout:2: 'card WIDTH HEIGHT'");
	expect_error(minimal_back, "side 'front' is missing or empty");
	/* missing header */
	{
		struct layout *lo = NULL;
		const char t[] = "side front\n";

		assert_int_equal(layout_parse(t, strlen(t), "h.layout", &lo), CP_ERR_FORMAT);
		assert_non_null(strstr(cp_errmsg(), "h.layout:1: the first line must be"));
	}
}

static void
test_good_small_layout(void **state)
{
	static const char t[] =
		"\xef\xbb\xbf"
		"cardpipe-layout 1\r\n"
		"# comment\n"
		"card 85.6 53.98\n"
		"font big \"NotoSerifCJK-Bold.ttc\"\n"
		"bank X \"Bank \\\"X\\\"\"\n"
		"side front   # trailing comment\n"
		"  background fill=#FAFAFA\n"
		"  text x=1 y=5 w=50 size=9 font=big align=center color=#102030 \"中 华\"\n"
		"side back\n"
		"  field name x=1 y=5 w=30 size=11 min-size=7\n"
		"  field pan x=1 y=40 size=8 if=pan\n"
		"  chip x=9 y=18 w=11 h=12 radius=1\n"
		"  no-overlay x=3 y=40 w=16 h=8\n";
	struct layout *lo = NULL;

	(void)state;
	assert_int_equal(layout_parse(t, strlen(t), "ok.layout", &lo), 0);
	assert_int_equal(lo->nfonts, 2);
	assert_string_equal(layout_bank_name(lo, "X"), "Bank \"X\"");
	assert_int_equal(lo->side[SIDE_FRONT].n, 2);
	assert_false(lo->side[SIDE_FRONT].personal);
	assert_string_equal(lo->side[SIDE_FRONT].els[1].text, "中 华");
	assert_int_equal(lo->side[SIDE_FRONT].els[1].align, ALIGN_CENTER);
	assert_int_equal(lo->side[SIDE_FRONT].els[1].ink_k, 0); /* coloured text */
	assert_int_equal(lo->side[SIDE_BACK].els[0].ink_k, 1);	/* black text: resin */
	assert_int_equal(lo->side[SIDE_BACK].els[1].only_if, F_PAN);
	assert_true(lo->side[SIDE_BACK].personal);
	layout_free(lo);
	/* an element drawn only on some cards makes its side per-card too */
	{
		static const char t2[] = "cardpipe-layout 1\nside front\n"
					 "text x=1 y=5 size=9 if=pan \"PAN\"\n"
					 "side back\nbackground fill=#FFFFFF\n";

		assert_int_equal(layout_parse(t2, strlen(t2), "t2.layout", &lo), 0);
		assert_true(lo->side[SIDE_FRONT].personal);
		assert_false(lo->side[SIDE_BACK].personal);
		layout_free(lo);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_default),
		cmocka_unit_test(test_errors_have_line_numbers),
		cmocka_unit_test(test_good_small_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
