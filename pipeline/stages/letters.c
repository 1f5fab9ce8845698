/*
 * letters.c - carrier letters as an A4 PDF through cairo's PDF surface, text in a CJK font
 * through FreeType, QR codes from libqrencode drawn as vector squares (letters.h).
 */
#include "stages/letters.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#define MM (72.0 / 25.4)
#define A4_W (210 * MM)
#define A4_H (297 * MM)

/* cairo writes the PDF straight into the temporary file of an atomic write: a batch of
 * tens of thousands of letters never sits in memory. */
struct pdf_sink {
	struct fs_atomic f;
	int failed;
};

static cairo_status_t
sink_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct pdf_sink *s = closure;

	if (s->failed || fs_atomic_write(&s->f, data, length) < 0) {
		s->failed = 1;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

/* Open one font file; in a collection, prefer the face whose family ends in " SC". */
static int
open_font(FT_Library lib, const char *path, FT_Face *out)
{
	FT_Face face = NULL;
	long nfaces;

	*out = NULL;
	if (FT_New_Face(lib, path, 0, &face))
		return cp_err(CP_ERR_NOTFOUND,
			      "carrier letter font '%s' cannot be opened (dispatch.letter_font)",
			      path);
	nfaces = face->num_faces;
	for (long i = 1; i < nfaces; i++) {
		FT_Face f;
		const char *fam;
		size_t n;

		if (FT_New_Face(lib, path, i, &f))
			continue;
		fam = f->family_name ? f->family_name : "";
		n = strlen(fam);
		if (n >= 3 && !strcmp(fam + n - 3, " SC")) {
			FT_Done_Face(face);
			*out = f;
			return 0;
		}
		FT_Done_Face(f);
	}
	*out = face;
	return 0;
}

/* The letter's font chain: the first font that has a character draws it (names may hold
 * characters of the CJK extension blocks that only a second font has). Attached to the
 * cairo context as user data, so that the drawing helpers find it. */
#define MAX_FONTS 4
struct font_chain {
	FT_Face ft[MAX_FONTS];
	cairo_font_face_t *cf[MAX_FONTS];
	int n;
};

static FT_Library ft_lib;
static const cairo_user_data_key_t face_key, chain_key;

static void
done_face(void *face)
{
	FT_Done_Face(face);
}

static void
chain_release(struct font_chain *fc)
{
	for (int i = 0; i < fc->n; i++)
		cairo_font_face_destroy(fc->cf[i]);
	fc->n = 0;
}

static int
chain_open(const char *spec, const char *home, struct font_chain *fc)
{
	char *list = xstrdup(spec), *save = NULL;
	int r = 0;

	memset(fc, 0, sizeof(*fc));
	/* one library for the process: cairo's font cache may outlive a call */
	if (!ft_lib && FT_Init_FreeType(&ft_lib)) {
		free(list);
		return cp_err(CP_ERR_UNSUPPORTED, "FreeType cannot start");
	}
	for (char *t = strtok_r(list, ":", &save); t && r == 0; t = strtok_r(NULL, ":", &save)) {
		char *path = t[0] == '/' ? xstrdup(t) : fs_join(home, t);
		FT_Face face;

		if (fc->n == MAX_FONTS)
			r = cp_err(CP_ERR_CONFIG, "dispatch.letter_font: at most %d fonts",
				   MAX_FONTS);
		else if ((r = open_font(ft_lib, path, &face)) == 0) {
			fc->cf[fc->n] = cairo_ft_font_face_create_for_ft_face(face, 0);
			/* the FreeType face must live as long as cairo's font face: cairo frees it */
			if (cairo_font_face_set_user_data(fc->cf[fc->n], &face_key, face,
							  done_face) != CAIRO_STATUS_SUCCESS) {
				cairo_font_face_destroy(fc->cf[fc->n]);
				FT_Done_Face(face);
				r = cp_err(CP_ERR_NOMEM, "cairo font face");
			} else {
				fc->ft[fc->n++] = face;
			}
		}
		free(path);
	}
	free(list);
	if (r == 0 && fc->n == 0)
		r = cp_err(CP_ERR_CONFIG, "dispatch.letter_font names no font");
	if (r < 0)
		chain_release(fc);
	return r;
}

/* Decode one UTF-8 character at s (n = its length); invalid bytes count as U+FFFD. */
static unsigned
utf8_decode(const char *s, size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;
	size_t len;

	if (u[0] < 0x80) {
		*n = 1;
		return u[0];
	}
	len = (u[0] & 0xe0) == 0xc0 ? 2 : (u[0] & 0xf0) == 0xe0 ? 3 : (u[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!len) {
		*n = 1;
		return 0xfffd;
	}
	cp = u[0] & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*n = i;
			return 0xfffd;
		}
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	*n = len;
	return cp;
}

/* The index in the chain of the font that draws cp (the first font when none has it). */
static int
font_for(const struct font_chain *fc, unsigned cp)
{
	for (int i = 0; i < fc->n; i++)
		if (FT_Get_Char_Index(fc->ft[i], cp))
			return i;
	return 0;
}

/* Draw (or, with draw 0, measure) text from the current point, run by run of one font;
 * returns the advance. */
static double
runs(cairo_t *cr, const char *text, int draw)
{
	const struct font_chain *fc = cairo_get_user_data(cr, &chain_key);
	double adv = 0;
	const char *p = text;

	while (*p) {
		size_t n;
		int f = font_for(fc, utf8_decode(p, &n));
		const char *start = p;
		char *run;
		cairo_text_extents_t ext;

		p += n;
		while (*p) {
			size_t m;

			if (font_for(fc, utf8_decode(p, &m)) != f)
				break;
			p += m;
		}
		run = xstrndup(start, (size_t)(p - start));
		cairo_set_font_face(cr, fc->cf[f]);
		if (draw)
			cairo_show_text(cr, run);
		else {
			cairo_text_extents(cr, run, &ext);
			adv += ext.x_advance;
		}
		free(run);
	}
	return adv;
}

static void
show(cairo_t *cr, const char *text)
{
	runs(cr, text, 1);
}

static double
text_width(cairo_t *cr, const char *text)
{
	return runs(cr, text, 0);
}

static size_t
utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	return 4;
}

/* Draw text at (x, y) wrapped to width, breaking between characters (CJK has no spaces);
 * returns the y below the last line. */
static double
text_wrapped(cairo_t *cr, const char *text, double x, double y, double width, double size)
{
	char line[1024];
	size_t ll = 0;
	const char *p = text;

	cairo_set_font_size(cr, size);
	while (*p) {
		size_t n = utf8_len(p);
		if (strnlen(p, n) < n)
			break; /* truncated sequence at the end */
		if (*p == '\n' || ll + n >= sizeof(line)) {
			line[ll] = '\0';
			cairo_move_to(cr, x, y);
			cairo_show_text(cr, line);
			y += size * 1.5;
			ll = 0;
			if (*p == '\n') {
				p++;
				continue;
			}
		}
		memcpy(line + ll, p, n);
		line[ll + n] = '\0';
		if (text_width(cr, line) > width && ll > 0) {
			line[ll] = '\0';
			cairo_move_to(cr, x, y);
			cairo_show_text(cr, line);
			y += size * 1.5;
			memcpy(line, p, n);
			ll = n;
		} else {
			ll += n;
		}
		p += n;
	}
	if (ll) {
		line[ll] = '\0';
		cairo_move_to(cr, x, y);
		cairo_show_text(cr, line);
		y += size * 1.5;
	}
	return y;
}

/* The QR code of text, modules as filled squares, top-left at (x, y), side = size. */
static int
draw_qr(cairo_t *cr, const char *text, double x, double y, double size)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	double m;
	int quiet = 4;

	if (!qr)
		return cp_err(CP_ERR_INVALID, "cannot make a QR code of '%s'", text);
	m = size / (qr->width + 2 * quiet);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x, y, size, size);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (int r = 0; r < qr->width; r++)
		for (int c = 0; c < qr->width; c++)
			if (qr->data[r * qr->width + c] & 1)
				cairo_rectangle(cr, x + (c + quiet) * m, y + (r + quiet) * m, m, m);
	cairo_fill(cr);
	QRcode_free(qr);
	return 0;
}

static int
draw_letter(cairo_t *cr, const struct config *cfg, const struct dispatch_card *c, const char *date)
{
	const char *bureau = config_str(cfg, "general.bureau_name");
	int activate = strcmp(c->method, "pickup") != 0;
	char *s;
	double y;
	int r = 0;

	cairo_set_source_rgb(cr, 0, 0, 0);
	/* sender line and date */
	cairo_set_font_size(cr, 9);
	cairo_move_to(cr, 20 * MM, 18 * MM);
	show(cr, bureau);
	cairo_move_to(cr, 150 * MM, 18 * MM);
	show(cr, date);

	/* address block: placed for a DL window envelope (20 mm from the left, 45 mm down) */
	y = 45 * MM;
	cairo_set_font_size(cr, 11);
	if (!strcmp(c->method, "pickup")) {
		s = xasprintf("领取网点 %s", c->destination ? c->destination : "");
		cairo_move_to(cr, 20 * MM, y);
		show(cr, s);
		free(s);
		y += 16;
	} else {
		cairo_move_to(cr, 20 * MM, y);
		show(cr, c->postal_code ? c->postal_code : "");
		y = text_wrapped(cr, c->address ? c->address : "", 20 * MM, y + 16, 85 * MM, 11);
		if (!strcmp(c->method, "employer") && c->employer_name)
			y = text_wrapped(cr, c->employer_name, 20 * MM, y, 85 * MM, 11);
	}
	s = xasprintf("%s 收", c->name ? c->name : "");
	cairo_set_font_size(cr, 13);
	cairo_move_to(cr, 20 * MM, y + 4);
	show(cr, s);
	free(s);

	/* title */
	cairo_set_font_size(cr, 16);
	cairo_move_to(cr, 20 * MM, 100 * MM);
	show(cr, "北京市社会保障卡（第三代）领卡通知");
	s = xasprintf("尊敬的%s：您申领的社会保障卡已制作完成，卡号 %s，发卡银行 %s。",
		      c->name ? c->name : "", c->card_no, c->bank ? c->bank : "");
	y = text_wrapped(cr, s, 20 * MM, 110 * MM, 170 * MM, 11);
	free(s);

	/* card affix area: ID-1 size, dashed, with the card number for matching the card */
	{
		double ax = 20 * MM, ay = y + 4 * MM, dash[] = {4, 3};

		cairo_save(cr);
		cairo_set_line_width(cr, 0.8);
		cairo_set_dash(cr, dash, 2, 0);
		cairo_rectangle(cr, ax, ay, 85.6 * MM, 53.98 * MM);
		cairo_stroke(cr);
		cairo_restore(cr);
		cairo_set_font_size(cr, 9);
		cairo_move_to(cr, ax + 4 * MM, ay + 8 * MM);
		show(cr, "卡片粘贴处 / card affix area");
		s = xasprintf("卡号 AAZ500: %s", c->card_no);
		cairo_move_to(cr, ax + 4 * MM, ay + 48 * MM);
		show(cr, s);
		free(s);
		if (activate && c->activation_ref) {
			double q = 40 * MM;

			if ((r = draw_qr(cr, c->activation_ref, 130 * MM, ay, q)) < 0)
				return r;
			cairo_set_source_rgb(cr, 0, 0, 0);
			cairo_set_font_size(cr, 9);
			cairo_move_to(cr, 130 * MM, ay + q + 5 * MM);
			s = xasprintf("启用参考号 %s", c->activation_ref);
			show(cr, s);
			free(s);
		}
		y = ay + 60 * MM;
	}

	/* instructions (manual items 15, 16, 37, 40) */
	cairo_set_font_size(cr, 12);
	cairo_move_to(cr, 20 * MM, y + 4 * MM);
	show(cr, activate ? "启用说明" : "领卡说明");
	y += 12 * MM;
	if (activate) {
		y = text_wrapped(
			cr,
			"1. 本卡为邮寄发放的社会保障卡，须先启用社会保障功能方可使用持卡就医"
			"等功能。请通过线上服务渠道（扫描右上方二维码）或线下服务网点办理启用，"
			"办理时提供启用参考号。",
			20 * MM, y, 170 * MM, 10.5);
		y = text_wrapped(
			cr,
			"2. 使用金融功能，还须本人携带有效身份证件到发卡合作银行网点柜面办理激活。",
			20 * MM, y, 170 * MM, 10.5);
		if (!strcmp(c->method, "employer"))
			y = text_wrapped(
				cr,
				"3. 用人单位应将本卡发给职工本人；因职工离职等原因未发放的，"
				"应于领卡后30日内退回社会保障卡合作银行。",
				20 * MM, y, 170 * MM, 10.5);
	} else {
		y = text_wrapped(
			cr,
			"请本人携带有效身份证件到上述网点领卡。网点将为您启用社会保障功能并激活"
			"金融功能，领卡后即可使用。",
			20 * MM, y, 170 * MM, 10.5);
	}
	y = text_wrapped(cr, "查询办卡进度或咨询，请拨打北京市社会保障卡统一服务热线 96066。",
			 20 * MM, y + 4, 170 * MM, 10.5);
	return 0;
}

int
letters_write_batch(const struct config *cfg, const char *home, const char *path, const char *batch,
		    const struct dispatch_list *items)
{
	struct pdf_sink sink = {{-1, NULL, NULL}, 0};
	struct font_chain fonts = {0};
	cairo_surface_t *surf = NULL;
	cairo_t *cr = NULL;
	char date[16];
	int r = 0;

	cp_business_date(cp_now(), date, sizeof(date));
	if ((r = chain_open(config_str(cfg, "dispatch.letter_font"), home, &fonts)) < 0 ||
	    (r = fs_atomic_open(&sink.f, path, 0600)) < 0)
		goto out;
	surf = cairo_pdf_surface_create_for_stream(sink_write, &sink, A4_W, A4_H);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, batch);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "cardpipe dispatch");
	cr = cairo_create(surf);
	cairo_set_user_data(cr, &chain_key, &fonts, NULL);
	cairo_set_font_face(cr, fonts.cf[0]);
	for (size_t i = 0; i < items->n; i++) {
		if ((r = draw_letter(cr, cfg, &items->v[i], date)) < 0)
			goto out;
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	cr = NULL;
	cairo_surface_finish(surf);
	if (sink.failed) {
		r = cp_err_wrap(CP_ERR_IO, "%s: ", path);
		goto out;
	}
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
		r = cp_err(CP_ERR_IO, "%s: cairo could not make the PDF: %s", path,
			   cairo_status_to_string(cairo_surface_status(surf)));
		goto out;
	}
	if ((r = fs_atomic_commit(&sink.f)) < 0)
		r = cp_err_wrap(r, "%s: ", path);
out:
	if (cr)
		cairo_destroy(cr);
	if (surf)
		cairo_surface_destroy(surf);
	chain_release(&fonts);
	/* cairo keeps recently used fonts in static caches; with every object of ours gone,
	 * let it drop them, so that the font face (and FreeType face) is released now and
	 * memory checkers see no leak */
	cairo_debug_reset_static_data();
	fs_atomic_abort(&sink.f); /* no-op after the commit */
	return r;
}
