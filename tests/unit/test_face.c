/* test_face.c - card faces end to end through the face library: a rare character's glyph
 * really lands in the name box, a character no font has holds the card with a clear reason,
 * output is deterministic, and pixel-level goldens (SHA-256 of the decoded PNG pixels, not
 * of file bytes) for one card of each kind. CARDPIPE_UPDATE_GOLDEN=1 rewrites the goldens
 * in tests/golden/faces.sha256 (review the PNGs before committing them). */
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
#include "pipeline/stages/sample_photo.h"
#include "personalization/face/photo.h"
#include "photo_fixture.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHIPPED "../../data/layout/default.layout"
#define GOLDEN "../golden/faces.sha256"
#define GOLDEN_PHOTO "../golden/photo-358x441.jpg"

struct fx {
	struct layout *lo;
	struct face_renderer *fr;
	char dir[64];
	char photo[128];
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	const struct canvas_profile *p;
	struct png_opts o = {.level = 1, .filter = 1, .dpi = 300};
	unsigned char *jpeg;
	size_t len;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_face.XXXXXX");
	if (!mkdtemp(f->dir) || layout_load(SHIPPED, &f->lo) < 0 ||
	    canvas_profile_lookup("evolis", &p) < 0 ||
	    face_renderer_new(f->lo, p, "", &o, &f->fr) < 0) {
		fprintf(stderr, "setup: %s\n", cp_errmsg());
		return -1;
	}
	/* the goldens' photo is a fixed file, so that they depend on render alone */
	snprintf(f->photo, sizeof(f->photo), "%s", GOLDEN_PHOTO);
	if (!fs_exists(GOLDEN_PHOTO)) {
		if (!getenv("CARDPIPE_UPDATE_GOLDEN")) {
			fprintf(stderr, "setup: %s missing\n", GOLDEN_PHOTO);
			return -1;
		}
		photo_jpeg(7, &jpeg, &len);
		fs_write_atomic(GOLDEN_PHOTO, jpeg, len, 0644);
		free(jpeg);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	face_renderer_free(f->fr);
	layout_free(f->lo);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static struct face_card
card(struct fx *f, const char *no, const char *name, const char *ssn, const char *pan,
     const char *bank)
{
	struct face_card c = {
		no, {{name, ssn, no, "2026年11月26日", pan, bank}}, f->photo, NULL, 0};

	return c;
}

/* Dark pixels of the K panel (coverage >= 128) inside the name field's box. */
static long
name_box_ink(struct fx *f, const char *name, int x0mm, int x1mm)
{
	struct face_card c = card(f, "B00000001", name, "110101199003071234", NULL, NULL);
	struct side_image si[SIDE_COUNT] = {0};
	struct rgb_image photo = {0};
	double s = 300 / 25.4, ox = (1016 - 85.6 * s) / 2, oy = (648 - 53.98 * s) / 2;
	long n = 0;

	assert_int_equal(face_compose(f->fr, &c, &photo, si), 0);
	/* name baseline at y = 20 mm, 11 pt: the glyphs lie within 16..21 mm */
	for (int y = (int)(oy + 15.5 * s); y < (int)(oy + 21.5 * s); y++)
		for (int x = (int)(ox + x0mm * s); x < (int)(ox + x1mm * s); x++)
			n += si[SIDE_BACK].k.v[(size_t)y * 1016 + (size_t)x] >= 128;
	for (int i = 0; i < SIDE_COUNT; i++)
		side_image_release(&si[i]);
	return n;
}

static void
test_rare_character_is_drawn(void **state)
{
	struct fx *f = *state;
	/* 11 pt at 300 dpi is about 3.9 mm a character: 张 at 24..28 mm, 䶮 at 28..32 mm */
	long with = name_box_ink(f, "张䶮", 28, 33), without = name_box_ink(f, "张", 28, 33);
	long extb = name_box_ink(f, "张𠇔", 28, 33);

	assert_int_equal(without, 0);
	assert_true(with > 150); /* a real glyph, many strokes */
	assert_true(extb > 100);
	/* and it is not a .notdef box: a box would be a hollow rectangle of ~4 edges only;
	 * the first glyph cell is unchanged by the second character */
	assert_int_equal(name_box_ink(f, "张䶮", 24, 28) > 0, 1);
}

static void
test_missing_glyph_holds(void **state)
{
	struct fx *f = *state;
	struct face_card c =
		card(f, "B00000002", "张\xee\x80\x80", "110101199003071234", NULL, NULL);
	char *reason = NULL, out[128];

	snprintf(out, sizeof(out), "%s/B00000002", f->dir);
	assert_int_equal(face_render_card(f->fr, &c, out, &reason), 1);
	assert_non_null(reason);
	assert_non_null(strstr(reason, "field 'name'"));
	assert_non_null(strstr(reason, "U+E000"));
	free(reason);
	/* nothing written for a held card */
	assert_false(fs_exists(out));
	/* a name too long for its box even at the smallest size */
	c = card(f, "B00000003",
		 "WOLFESCHLEGELSTEINHAUSENBERGERDORFF HUBERT BLAINE MAXIMILIAN ALEXANDER",
		 "110101199003071234", NULL, NULL);
	assert_int_equal(face_render_card(f->fr, &c, out, &reason), 1);
	assert_non_null(strstr(reason, "does not fit"));
	free(reason);
	/* an unreadable photo */
	fs_write_atomic(out, "not a jpeg", 10, 0600);
	c = card(f, "B00000004", "张三", "110101199003071234", NULL, NULL);
	c.photo_path = out;
	assert_int_equal(face_render_card(f->fr, &c, f->dir, &reason), 1);
	assert_non_null(strstr(reason, "photo"));
	free(reason);
	unlink(out);
}

static void
hash_hex(const void *p, size_t n, EVP_MD_CTX *ctx)
{
	EVP_DigestUpdate(ctx, p, n);
}

/* SHA-256 over the decoded pixels of every PNG of the card, in a fixed order: the previews
 * as decoded, the panels as the production line loads them (panels_load: the YMC patch
 * made whole), hashed as the full-panel files were, so the golden values stay the same. */
static void
decoded_hash(const char *dir, char out[65])
{
	static const char *const files[] = {"front.png",   "front-ymc.png", "front-k.png",
					    "front-o.png", "back.png",	    "back-ymc.png",
					    "back-k.png",  "back-o.png"};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned mdlen = 0;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = fs_join(dir, files[i]);
		unsigned char *data = NULL;
		size_t len = 0;
		struct png_image im = {0};

		/* every file is a PNG of its own */
		assert_int_equal(fs_read_file(p, 64u << 20, &data, &len), 0);
		assert_int_equal(png_decode(data, len, &im), 0);
		assert_int_equal(im.dpi, 300);
		if (i % 4 == 0) {
			hash_hex(&im.w, sizeof(im.w), ctx);
			hash_hex(&im.h, sizeof(im.h), ctx);
			hash_hex(im.data, im.stride * (size_t)im.h, ctx);
		} else if (i % 4 == 1) {
			struct panel_set ps;
			const unsigned char *planes[3];

			assert_int_equal(panels_load(dir, i < 4 ? "front" : "back", &ps), 0);
			assert_int_equal(ps.dpi, 300);
			planes[0] = ps.ymc, planes[1] = ps.k, planes[2] = ps.o;
			for (int j = 0; j < 3; j++) {
				hash_hex(&ps.dots, sizeof(ps.dots), ctx);
				hash_hex(&ps.lines, sizeof(ps.lines), ctx);
				hash_hex(planes[j],
					 (j ? ps.stride : (size_t)ps.dots * 3) * (size_t)ps.lines,
					 ctx);
			}
			panel_set_release(&ps);
		}
		png_image_release(&im);
		free(data);
		free(p);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void
test_golden_kinds(void **state)
{
	struct fx *f = *state;
	struct {
		const char *kind, *no, *name, *ssn, *pan, *bank;
	} kinds[] = {
		{"citizen", "B00000011", "王䶮", "110101199003071234", NULL, "中国工商银行"},
		{"foreigner", "B00000012", "MUELLER ANNA MARIA", "911156199001012021", NULL,
		 "中国银行"},
		{"minor", "B00000013", "李小𠇔", "110105201805120021", NULL, "北京银行"},
		{"bank", "B00000014", "欧阳娜娜", "110108198512300045", "6212 2600 0000 0000 123",
		 "中国工商银行"},
	};
	int update =
		getenv("CARDPIPE_UPDATE_GOLDEN") && !strcmp(getenv("CARDPIPE_UPDATE_GOLDEN"), "1");
	struct buf golden = BUF_INIT(1 << 16);
	unsigned char *want = NULL;
	size_t wlen = 0;

	if (!update && fs_read_file(GOLDEN, 1 << 16, &want, &wlen) < 0)
		fail_msg("%s missing: run with CARDPIPE_UPDATE_GOLDEN=1 and review", GOLDEN);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct face_card c = card(f, kinds[i].no, kinds[i].name, kinds[i].ssn, kinds[i].pan,
					  kinds[i].bank);
		char *reason = NULL, *out = fs_join(f->dir, kinds[i].no), hex[65], line[128];

		assert_int_equal(face_render_card(f->fr, &c, out, &reason), 0);
		assert_true(face_outputs_current(f->fr, kinds[i].no, out));
		decoded_hash(out, hex);
		snprintf(line, sizeof(line), "%s %s\n", kinds[i].kind, hex);
		buf_appendf(&golden, "%s", line);
		if (!update && !strstr((char *)want, line))
			fail_msg("golden mismatch for %s: got %s (faces in %s)", kinds[i].kind, hex,
				 out);
		free(out);
	}
	if (update)
		assert_int_equal(fs_write_atomic(GOLDEN, golden.data, golden.len, 0644), 0);
	buf_release(&golden);
	free(want);
}

/* The file name in directory a is the same as in directory b: byte for byte, or (pixels)
 * as decoded PNG pixels. */
static void
assert_same_as(const char *a, const char *b, const char *name, int pixels)
{
	char *pa = fs_join(a, name), *pb = fs_join(b, name);
	unsigned char *da = NULL, *db = NULL;
	size_t la = 0, lb = 0;
	struct png_image ia, ib;

	assert_int_equal(fs_read_file(pa, 64u << 20, &da, &la), 0);
	assert_int_equal(fs_read_file(pb, 64u << 20, &db, &lb), 0);
	if (!pixels) {
		assert_int_equal(la, lb);
		assert_memory_equal(da, db, la);
	} else {
		assert_int_equal(png_decode(da, la, &ia), 0);
		assert_int_equal(png_decode(db, lb, &ib), 0);
		assert_int_equal(ia.w, ib.w);
		assert_int_equal(ia.h, ib.h);
		assert_int_equal(ia.stride, ib.stride);
		assert_memory_equal(ia.data, ib.data, ia.stride * (size_t)ia.h);
		png_image_release(&ia);
		png_image_release(&ib);
	}
	free(da);
	free(db);
	free(pa);
	free(pb);
}

static void
assert_same_file(const char *a, const char *b, const char *name)
{
	assert_same_as(a, b, name, 0);
}

static void
test_deterministic_and_complete(void **state)
{
	struct fx *f = *state;
	struct face_card c = card(f, "B00000021", "张三", "110101199003071234", NULL, "招商银行");
	char *reason = NULL, *a = fs_join(f->dir, "a"), *b = fs_join(f->dir, "b");
	static const char *const names[] = {"back.png",	  "back-ymc.png", "back-k.png",
					    "back-o.png", "front.png",	  "faces.txt"};

	assert_int_equal(face_render_card(f->fr, &c, a, &reason), 0);
	assert_int_equal(face_render_card(f->fr, &c, b, &reason), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_same_file(a, b, names[i]);
	assert_true(face_outputs_current(f->fr, "B00000021", a));
	/* a torn file (same size, other bytes) or a missing one makes the set incomplete */
	{
		char *p = fs_join(a, "back-k.png");
		unsigned char *d = NULL;
		size_t l = 0;

		assert_int_equal(fs_read_file(p, 1 << 24, &d, &l), 0);
		d[l / 2] ^= 0x55;
		assert_int_equal(fs_write_atomic(p, d, l, 0600), 0);
		assert_false(face_outputs_current(f->fr, "B00000021", a));
		unlink(p);
		assert_false(face_outputs_current(f->fr, "B00000021", a));
		free(d);
		free(p);
	}
	free(a);
	free(b);
}

/* A photo given as bytes (read from a pack by the caller) draws the card a photo file does,
 * byte for byte; bytes that are no JPEG hold the card as a file of them does. */
static void
test_photo_as_bytes(void **state)
{
	struct fx *f = *state;
	struct face_card c = card(f, "B00000022", "张三", "110101199003071234", NULL, "招商银行");
	char *reason = NULL, *a = fs_join(f->dir, "file"), *b = fs_join(f->dir, "bytes");
	unsigned char *jpeg = NULL;
	size_t len = 0;
	static const char *const names[] = {"back.png",	  "back-ymc.png", "back-k.png",
					    "back-o.png", "front.png",	  "faces.txt"};

	assert_int_equal(face_render_card(f->fr, &c, a, &reason), 0);
	assert_int_equal(fs_read_file(f->photo, 1 << 24, &jpeg, &len), 0);
	c.photo_path = NULL;
	c.photo = jpeg;
	c.photo_len = len;
	assert_int_equal(face_render_card(f->fr, &c, b, &reason), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_same_file(a, b, names[i]);
	c.photo_len = len / 3; /* cut short */
	assert_int_equal(face_render_card(f->fr, &c, b, &reason), 1);
	assert_non_null(strstr(reason, "photo: "));
	free(reason);
	free(jpeg);
	free(a);
	free(b);
}

/* A card drawn after others, held ones included, is the same as that card drawn alone: a
 * composer restores only what the cards before drew, and must restore all of it. */
static void
test_card_after_card(void **state)
{
	struct fx *f = *state;
	const struct canvas_profile *p;
	struct png_opts o = {.level = 1, .filter = 1, .dpi = 300};
	struct face_renderer *alone = NULL;
	struct face_card a = card(f, "B00000041", "欧阳娜娜娜娜", "110108198512300045",
				  "6212 2600 0000 0000 123", "中国邮政储蓄银行"),
			 held = card(f, "B00000042", "张\xee\x80\x80", "110101199003071234", NULL,
				     "中国工商银行"),
			 b = card(f, "B00000043", "李四", "110101199003071234", NULL, NULL);
	static const char *const names[] = {"front.png",   "front-ymc.png", "front-k.png",
					    "front-o.png", "back.png",	    "back-ymc.png",
					    "back-k.png",  "back-o.png",    "faces.txt"};
	char *reason = NULL, *da = fs_join(f->dir, "after"), *db = fs_join(f->dir, "alone");
	struct side_image si[SIDE_COUNT] = {0}, fresh[SIDE_COUNT] = {0};
	struct rgb_image photo = {0};
	unsigned char *jpeg = NULL;
	size_t len = 0;

	/* files: A, a held card, then B, against B from a renderer that drew nothing else */
	assert_int_equal(canvas_profile_lookup("evolis", &p), 0);
	assert_int_equal(face_renderer_new(f->lo, p, "", &o, &alone), 0);
	assert_int_equal(face_render_card(f->fr, &a, da, &reason), 0);
	assert_int_equal(face_render_card(f->fr, &held, da, &reason), 1);
	free(reason);
	assert_int_equal(face_render_card(f->fr, &b, da, &reason), 0);
	assert_int_equal(face_render_card(alone, &b, db, &reason), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_same_file(da, db, names[i]);
	/* every plane: A with its photo, then B without one, into the same images */
	assert_int_equal(fs_read_file(f->photo, 1 << 22, &jpeg, &len), 0);
	assert_int_equal(photo_decode_for_box(jpeg, len, 0, 0, &photo), 0);
	assert_int_equal(face_compose(f->fr, &a, &photo, si), 0);
	assert_int_equal(face_compose(f->fr, &b, NULL, si), 0);
	assert_int_equal(face_compose(alone, &b, NULL, fresh), 0);
	for (int s = 0; s < SIDE_COUNT; s++) {
		size_t n = (size_t)fresh[s].color.w * (size_t)fresh[s].color.h;

		assert_memory_equal(si[s].color.px, fresh[s].color.px, n * 3);
		assert_memory_equal(si[s].k.v, fresh[s].k.v, n);
		assert_memory_equal(si[s].o.v, fresh[s].o.v, n);
		assert_memory_equal(si[s].chip.v, fresh[s].chip.v, n);
		side_image_release(&si[s]);
		side_image_release(&fresh[s]);
	}
	rgb_release(&photo);
	free(jpeg);
	face_renderer_free(alone);
	free(da);
	free(db);
}

/* With filter "none" (render's default) a renderer compresses the rows a personal side's
 * files share with a card with no data once (png.c's row cache): each card of a run, whatever its
 * bank and whatever came before it, has the same files as the card drawn alone, complete,
 * and its panels made whole are the same. */
static void
test_series_same_as_alone(void **state)
{
	struct fx *f = *state;
	const struct canvas_profile *p;
	struct png_opts o = {.level = 1, .filter = 0, .dpi = 300};
	struct face_renderer *series = NULL;
	static const char *const banks[] = {"中国工商银行", "中国银行", NULL, "北京银行"};
	static const char *const names[] = {"王䶮", "MUELLER ANNA MARIA", "李四", "欧阳娜娜"};
	static const char *const files[] = {"front.png",  "back.png",	"back-ymc.png",
					    "back-k.png", "back-o.png", "faces.txt"};

	struct png_opts sub = {.level = 1, .filter = 1, .dpi = 300}; /* no row cache */
	struct face_renderer *plain = NULL;

	assert_int_equal(canvas_profile_lookup("evolis", &p), 0);
	assert_int_equal(face_renderer_new(f->lo, p, "", &o, &series), 0);
	assert_int_equal(face_renderer_new(f->lo, p, "", &sub, &plain), 0);
	for (int i = 0; i < 10; i++) {
		struct face_renderer *alone = NULL;
		char no[16], *reason = NULL, *da, *db, *dc;
		struct face_card c;

		snprintf(no, sizeof(no), "B%08d", 51 + i);
		c = card(f, no, names[i % 4], "110101199003071234", NULL, banks[(i / 2) % 4]);
		da = fs_join(f->dir, no);
		db = xasprintf("%s/alone-%s", f->dir, no);
		assert_int_equal(face_render_card(series, &c, da, &reason), 0);
		assert_true(face_outputs_current(series, no, da));
		assert_int_equal(face_renderer_new(f->lo, p, "", &o, &alone), 0);
		assert_int_equal(face_render_card(alone, &c, db, &reason), 0);
		dc = xasprintf("%s/plain-%s", f->dir, no);
		assert_int_equal(face_render_card(plain, &c, dc, &reason), 0);
		for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
			assert_same_file(da, db, files[k]);
			if (strstr(files[k], ".png"))
				assert_same_as(da, dc, files[k], 1);
		}
		/* and the printer's panels, the YMC patch made whole over its own preview */
		{
			struct panel_set pa, pb;
			size_t dots;

			assert_int_equal(panels_load(da, "back", &pa), 0);
			assert_int_equal(panels_load(db, "back", &pb), 0);
			assert_int_equal(pa.dots, pb.dots);
			assert_int_equal(pa.lines, pb.lines);
			dots = (size_t)pa.dots * (size_t)pa.lines;
			assert_memory_equal(pa.ymc, pb.ymc, dots * 3);
			assert_int_equal(pa.stride, pb.stride);
			assert_memory_equal(pa.k, pb.k, pa.stride * (size_t)pa.lines);
			assert_memory_equal(pa.o, pb.o, pa.stride * (size_t)pa.lines);
			panel_set_release(&pa);
			panel_set_release(&pb);
		}
		face_renderer_free(alone);
		free(da);
		free(db);
		free(dc);
	}
	/* and the row cache was used for every file of the back, rows kept from the second
	 * card on */
	for (int k = 0; k < 4; k++) {
		unsigned long images, rows;

		face_renderer_rows_kept(series, SIDE_BACK, k, &images, &rows);
		assert_int_equal(images, 10);
		assert_true(rows > 0);
	}
	face_renderer_free(plain);
	face_renderer_free(series);
}

/* The inode of file name in card folder dir under f->dir. */
static ino_t
inode_of(struct fx *f, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s/%s", f->dir, dir, name);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	free(path);
	return st.st_ino;
}

/* With the batch sync (render's), a file with the same bytes as the one the renderer wrote
 * for the card before is a hard link to it: the front, the same on every card, and the
 * back's overlay panel, the same on every card of the shipped layout. Files with the card's
 * own data are its own. A card drawn again, or whose earlier copy is gone, is complete. */
static void
test_batch_links_equal_files(void **state)
{
	struct fx *f = *state;
	const struct canvas_profile *p;
	struct png_opts o = {.level = 1, .filter = 0, .dpi = 300};
	struct face_renderer *fr = NULL;
	static const char *const nos[] = {"B00000061", "B00000062", "B00000063"};
	char *reason = NULL, *first = xasprintf("%s/%s", f->dir, nos[0]), *cmd;

	assert_int_equal(canvas_profile_lookup("evolis", &p), 0);
	assert_int_equal(face_renderer_new(f->lo, p, "", &o, &fr), 0);
	face_renderer_set_sync(fr, FACE_SYNC_BATCH);
	for (int i = 0; i < 3; i++) {
		struct face_card c = card(f, nos[i], i ? "李四" : "王五", "110101199003071234",
					  NULL, i == 2 ? "中国银行" : NULL);
		char *d = xasprintf("%s/%s", f->dir, nos[i]);

		assert_int_equal(face_render_card(fr, &c, d, &reason), 0);
		assert_true(face_outputs_current(fr, nos[i], d));
		free(d);
	}
	for (int i = 1; i < 3; i++) {
		assert_true(inode_of(f, nos[i], "front.png") == inode_of(f, nos[0], "front.png"));
		assert_true(inode_of(f, nos[i], "front-k.png") ==
			    inode_of(f, nos[0], "front-k.png"));
		assert_true(inode_of(f, nos[i], "back-o.png") == inode_of(f, nos[0], "back-o.png"));
		assert_true(inode_of(f, nos[i], "back.png") != inode_of(f, nos[i - 1], "back.png"));
		assert_true(inode_of(f, nos[i], "back-k.png") !=
			    inode_of(f, nos[i - 1], "back-k.png"));
	}
	/* the third card drawn again over its own folder: linked files replaced atomically */
	{
		struct face_card c =
			card(f, nos[2], "李四", "110101199003071234", NULL, "中国银行");
		char *d = xasprintf("%s/%s", f->dir, nos[2]);

		assert_int_equal(face_render_card(fr, &c, d, &reason), 0);
		assert_true(face_outputs_current(fr, nos[2], d));
		free(d);
	}
	/* the copies linked to are gone (the first cards dispatched): the next card writes its
	 * own, complete */
	cmd = xasprintf("rm -rf '%s' '%s/%s' '%s/%s'", first, f->dir, nos[1], f->dir, nos[2]);
	assert_int_equal(system(cmd), 0);
	{
		struct face_card c = card(f, "B00000064", "赵六", "110101199003071234", NULL, NULL);
		char *d = xasprintf("%s/B00000064", f->dir);

		assert_int_equal(face_render_card(fr, &c, d, &reason), 0);
		assert_true(face_outputs_current(fr, "B00000064", d));
		free(d);
	}
	free(cmd);
	free(first);
	face_renderer_free(fr);
}

static void
test_clean_stale(void **state)
{
	struct fx *f = *state;
	char *d = fs_join(f->dir, "stale"), *gone, *mine, *other;
	char name[64];

	assert_int_equal(fs_mkdirs(d, 0700), 0);
	/* a pid that cannot exist (above pid_max), ours, and a name that is not a temp file */
	gone = fs_join(d, "back.png.tmp.2147483000");
	snprintf(name, sizeof(name), "back-k.png.tmp.%ld", (long)getpid());
	mine = fs_join(d, name);
	other = fs_join(d, "back.png");
	assert_int_equal(fs_write_atomic(gone, "x", 1, 0600), 0);
	assert_int_equal(fs_write_atomic(mine, "x", 1, 0600), 0);
	assert_int_equal(fs_write_atomic(other, "x", 1, 0600), 0);
	assert_int_equal(face_clean_stale(d), 1);
	assert_false(fs_exists(gone));
	assert_true(fs_exists(mine));
	assert_true(fs_exists(other));
	assert_int_equal(face_clean_stale("/nonexistent/dir"), 0);
	free(gone);
	free(mine);
	free(other);
	free(d);
}

static void
test_photo_scaling(void **state)
{
	struct rgb_image src, out = {0};

	(void)state;
	/* a 1-pixel checkerboard shrunk by area average is an even grey, never black/white
	 * as nearest-neighbour would give */
	rgb_init(&src, 358, 441, 0);
	for (int y = 0; y < 441; y++)
		for (int x = 0; x < 358; x++)
			if ((x + y) % 2)
				memset(src.px + ((size_t)y * 358 + (size_t)x) * 3, 255, 3);
	photo_fit(&src, 260, 319, &out);
	/* aspect kept: 358:441 into 260x319 */
	assert_true(out.w <= 260 && out.h <= 319);
	assert_true(out.w >= 258 && out.h >= 317);
	for (int i = 20; i < out.w * out.h * 3 - 20; i += 97)
		assert_true(out.px[i] > 100 && out.px[i] < 155);
	rgb_release(&out);
	/* no stretching: a wide image in a tall box keeps its aspect */
	photo_fit(&src, 100, 400, &out);
	assert_int_equal(out.w, 100);
	assert_int_equal(out.h, (441 * 100 + 179) / 358);
	rgb_release(&out);
	/* a uniform image stays uniform whether shrunk or enlarged */
	memset(src.px, 77, 358 * 441 * 3);
	image_resample(&src, 123, 77, &out);
	for (int i = 0; i < 123 * 77 * 3; i++)
		assert_int_equal(out.px[i], 77);
	rgb_release(&out);
	image_resample(&src, 700, 900, &out);
	for (int i = 0; i < 700 * 900 * 3; i += 13)
		assert_int_equal(out.px[i], 77);
	rgb_release(&out);
	rgb_release(&src);
}

static void
test_photo_decode_errors(void **state)
{
	struct rgb_image im;
	unsigned char *jpeg;
	size_t len;

	(void)state;
	assert_int_equal(photo_decode_for_box((const unsigned char *)"GIF89a", 6, 0, 0, &im),
			 CP_ERR_FORMAT);
	photo_jpeg(1, &jpeg, &len);
	/* truncated: libjpeg-turbo warns and pads; a header cut short is an error */
	assert_int_equal(photo_decode_for_box(jpeg, 100, 0, 0, &im), CP_ERR_FORMAT);
	/* cut in the middle of the scan: libjpeg would pad it grey; we refuse it */
	assert_int_equal(photo_decode_for_box(jpeg, len / 2, 0, 0, &im), CP_ERR_FORMAT);
	assert_non_null(strstr(cp_errmsg(), "corrupt or truncated"));
	assert_null(im.px);
	assert_int_equal(photo_decode_for_box(jpeg, len, 0, 0, &im), 0);
	assert_int_equal(im.w, 358);
	assert_int_equal(im.h, 441);
	rgb_release(&im);
	free(jpeg);
}

static void
test_formats(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(face_format_date("2026-11-26", out, sizeof(out)), 0);
	assert_string_equal(out, "2026年11月26日");
	assert_int_equal(face_format_date("2026-01-05", out, sizeof(out)), 0);
	assert_string_equal(out, "2026年1月5日");
	assert_int_equal(face_format_date("2026-02-30", out, sizeof(out)), CP_ERR_FORMAT);
	face_format_pan("6212260000000000123", out, sizeof(out));
	assert_string_equal(out, "6212 2600 0000 0000 123");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rare_character_is_drawn),
		cmocka_unit_test(test_missing_glyph_holds),
		cmocka_unit_test(test_golden_kinds),
		cmocka_unit_test(test_deterministic_and_complete),
		cmocka_unit_test(test_photo_as_bytes),
		cmocka_unit_test(test_card_after_card),
		cmocka_unit_test(test_series_same_as_alone),
		cmocka_unit_test(test_batch_links_equal_files),
		cmocka_unit_test(test_clean_stale),
		cmocka_unit_test(test_photo_scaling),
		cmocka_unit_test(test_photo_decode_errors),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
