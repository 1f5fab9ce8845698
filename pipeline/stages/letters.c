/*
 * letters.c - carrier letters as an A4 PDF through cairo's PDF surface; text laid out by
 * Pango (line breaking by Unicode rules, font fallback along the letter's font chain,
 * numbers of an address never split across lines), QR codes from libqrencode drawn as
 * vector squares (letters.h).
 */
#include "pipeline/stages/letters.h"
#include "pipeline/stages/render.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/fonts.h"
#include "personalization/face/layout.h"
#include "pipeline/rules/district.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>
#include <qrencode.h>
#include <stdio.h>
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

/* The letter's fonts: only the files of dispatch.letter_font, in a fontconfig
 * configuration of their own, so that what the PDF embeds does not depend on the fonts
 * installed on the machine. families is the Pango family list in chain order: the first
 * font that has a character draws it (names may hold characters of the CJK extension
 * blocks that only a later font has). */
struct letter_fonts {
	PangoFontMap *map;
	PangoContext *pc;
	char families[512];
};

/* The family of face index of the font file path in fc's application fonts. */
static const char *
family_of(FcConfig *fc, const char *path, long index)
{
	FcFontSet *set = FcConfigGetFonts(fc, FcSetApplication);

	for (int i = 0; set && i < set->nfont; i++) {
		FcChar8 *file, *fam;
		int fi;

		if (FcPatternGetString(set->fonts[i], FC_FILE, 0, &file) == FcResultMatch &&
		    !strcmp((const char *)file, path) &&
		    FcPatternGetInteger(set->fonts[i], FC_INDEX, 0, &fi) == FcResultMatch &&
		    fi == index &&
		    FcPatternGetString(set->fonts[i], FC_FAMILY, 0, &fam) == FcResultMatch)
			return (const char *)fam;
	}
	return NULL;
}

static void
fonts_release(struct letter_fonts *lf)
{
	if (lf->pc)
		g_object_unref(lf->pc);
	if (lf->map) {
		/* hand the letter fonts' configuration back explicitly: Pango 1.50 does not
		 * release it when the map is finalised (tests/unit under LeakSanitizer) */
		pango_fc_font_map_shutdown(PANGO_FC_FONT_MAP(lf->map));
		pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(lf->map), NULL);
		g_object_unref(lf->map);
	}
	memset(lf, 0, sizeof(*lf));
}

#define MAX_FONTS 4

/* The chain being opened: font_chain_fn of fonts_open(). */
struct chain_open {
	FcConfig *fc;
	struct letter_fonts *lf;
	int n;
};

static int
add_font(void *ctx, const char *path, long face, int r)
{
	struct chain_open *co = ctx;
	const char *fam;

	if (co->n == MAX_FONTS)
		return cp_err(CP_ERR_CONFIG, "dispatch.letter_font: at most %d fonts", MAX_FONTS);
	if (r < 0 || !FcConfigAppFontAddFile(co->fc, (const FcChar8 *)path) ||
	    !(fam = family_of(co->fc, path, face)))
		return cp_err(CP_ERR_NOTFOUND,
			      "carrier letter font '%s' cannot be opened (dispatch.letter_font)",
			      path ? path : "");
	if (strlen(co->lf->families) + strlen(fam) + 2 > sizeof(co->lf->families))
		return cp_err(CP_ERR_CONFIG, "dispatch.letter_font: family names too long");
	if (co->n++)
		strcat(co->lf->families, ",");
	strcat(co->lf->families, fam);
	return 0;
}

/* spec: the face font chain's entries as files (fonts.h, base home): relative ones under
 * home, each file's " SC" face when it is a collection. */
static int
fonts_open(const char *spec, const char *home, struct letter_fonts *lf)
{
	const struct font_chain_rules rules = {home};
	struct chain_open co = {FcConfigCreate(), lf, 0};
	cairo_font_options_t *fo;
	int r;

	memset(lf, 0, sizeof(*lf));
	if ((r = font_chain_walk(spec, &rules, add_font, &co)) == 0)
		r = cp_err(CP_ERR_CONFIG, "dispatch.letter_font names no font");
	if (r < 0) {
		FcConfigDestroy(co.fc);
		return r;
	}
	lf->map = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
	pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(lf->map), co.fc);
	FcConfigDestroy(co.fc); /* the font map holds its reference */
	lf->pc = pango_font_map_create_context(lf->map);
	/* sizes in points are PDF units; outlines unhinted, as a PDF is scaled anyway */
	pango_cairo_context_set_resolution(lf->pc, 72);
	fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(lf->pc, fo);
	cairo_font_options_destroy(fo);
	return 0;
}

/* Characters that belong to a house number: ASCII letters, digits and '-' (“88-2号”, “B座”). */
static int
numchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '-';
}

/* Unit words that follow a number in an address and stay with it ("6单元", "1104室"). */
static const char *const units[] = {"号楼", "号院", "单元", "号", "室", "层", "楼",
				    "栋",   "座",   "幢",   "户", "门", "区"};

static size_t
unit_at(const char *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (!strncmp(p, units[i], strlen(units[i])))
			return strlen(units[i]);
	return 0;
}

/* The length of a house-number ordinal (甲 乙 丙 丁: "甲8号") right before p, or 0. */
static size_t
ordinal_before(const char *text, const char *p)
{
	static const char *const ords[] = {"甲", "乙", "丙", "丁"};

	for (size_t i = 0; i < ARRAY_SIZE(ords); i++)
		if (p - text >= 3 && !strncmp(p - 3, ords[i], 3))
			return 3;
	return 0;
}

/* Mark every run of numbers with their units ("3号楼6单元1104室") as unbreakable: a line
 * may break before or after it, never inside. */
static void
protect_numbers(PangoLayout *lay, const char *text)
{
	PangoAttrList *attrs = pango_attr_list_new();
	const char *p = text;

	while (*p) {
		const char *start = p;
		int digits = 0;

		while (numchar((unsigned char)*p)) {
			while (numchar((unsigned char)*p))
				digits += (*p >= '0' && *p <= '9'), p++;
			p += unit_at(p);
		}
		if (digits && p - start > 1) {
			PangoAttribute *a = pango_attr_allow_breaks_new(FALSE);

			a->start_index = (guint)(start - text - ordinal_before(text, start));
			a->end_index = (guint)(p - text);
			pango_attr_list_insert(attrs, a);
		}
		if (p == start)
			p++;
	}
	pango_layout_set_attributes(lay, attrs);
	pango_attr_list_unref(attrs);
}

/* Draw text with its top-left at (x, y) in size pt, wrapped to width (0: one line),
 * breaking between words or, for CJK, between characters, never inside a number;
 * returns the y below the last line. */
static double
text_at(cairo_t *cr, const struct letter_fonts *lf, const char *text, double x, double y,
	double width, double size)
{
	PangoLayout *lay = pango_layout_new(lf->pc);
	PangoFontDescription *fd = pango_font_description_new();
	int w, h;

	pango_font_description_set_family(fd, lf->families);
	pango_font_description_set_size(fd, (gint)(size * PANGO_SCALE));
	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	if (width > 0) {
		pango_layout_set_width(lay, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_line_spacing(lay, 1.35f);
	pango_layout_set_text(lay, text, -1);
	protect_numbers(lay, text);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, lay);
	pango_layout_get_size(lay, &w, &h);
	g_object_unref(lay);
	return y + (double)h / PANGO_SCALE;
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

/* What every letter of a batch draws with. */
struct letter_env {
	cairo_t *cr;
	const struct letter_fonts *lf;
	const struct layout *lo; /* its bank table gives banks' Chinese names */
	const char *bureau, *date;
};

static double
text(const struct letter_env *le, const char *t, double x, double y, double width, double size)
{
	return text_at(le->cr, le->lf, t ? t : "", x, y, width, size);
}

/* "领卡网点" line of a pickup letter: the branch's bank and district by name, then its
 * reference (branch references are "<BANK>-<district code>-<n>"). */
static char *
branch_text(const struct letter_env *le, const char *branch)
{
	char bank[32], district[8];
	const char *d;

	if (!branch)
		return xstrdup("领卡网点：请咨询 96066");
	if (!strcmp(branch, "instant")) /* made and handed over at a branch counter */
		return xstrdup("领卡网点：即时制卡网点柜台");
	if (sscanf(branch, "%31[A-Z]-%6[0-9]-", bank, district) == 2 &&
	    (d = district_name(district)))
		return xasprintf("领卡网点：%s %s 网点编号 %s", layout_bank_name(le->lo, bank), d,
				 branch);
	return xasprintf("领卡网点：网点编号 %s", branch);
}

static int
draw_letter(const struct letter_env *le, const struct dispatch_card *c)
{
	cairo_t *cr = le->cr;
	int activate = strcmp(c->method, "pickup") != 0;
	const char *bank = c->bank ? layout_bank_name(le->lo, c->bank) : "";
	const double body = 170 * MM;
	char *s;
	double y;
	int r = 0;

	cairo_set_source_rgb(cr, 0, 0, 0);
	/* sender line and date */
	text(le, le->bureau, 20 * MM, 15 * MM, 120 * MM, 9);
	text(le, le->date, 150 * MM, 15 * MM, 0, 9);

	/* address block: placed for a DL window envelope (20 mm from the left, 41 mm down),
	 * the address one paragraph of its own, 85 mm wide */
	y = 41 * MM;
	if (!strcmp(c->method, "pickup")) {
		s = branch_text(le, c->destination);
		y = text(le, s, 20 * MM, y, 85 * MM, 11);
		free(s);
	} else {
		y = text(le, c->postal_code, 20 * MM, y, 85 * MM, 11);
		y = text(le, c->address, 20 * MM, y, 85 * MM, 11);
		if (!strcmp(c->method, "employer") && c->employer_name)
			y = text(le, c->employer_name, 20 * MM, y, 85 * MM, 11);
	}
	s = xasprintf("%s 收", c->name ? c->name : "");
	text(le, s, 20 * MM, y + 2, 85 * MM, 13);
	free(s);

	/* title */
	text(le, "北京市社会保障卡（第三代）领卡通知", 20 * MM, 94 * MM, body, 16);
	s = xasprintf("尊敬的%s：您申领的社会保障卡已制作完成，卡号 %s，发卡银行 %s。",
		      c->name ? c->name : "", c->card_no, bank);
	y = text(le, s, 20 * MM, 106 * MM, body, 11);
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
		text(le, "卡片粘贴处 / card affix area", ax + 4 * MM, ay + 4 * MM, 0, 9);
		s = xasprintf("社会保障卡号 %s", c->card_no);
		text(le, s, ax + 4 * MM, ay + 44 * MM, 0, 9);
		free(s);
		if (activate && c->activation_ref) {
			double q = 40 * MM;

			if ((r = draw_qr(cr, c->activation_ref, 130 * MM, ay, q)) < 0)
				return r;
			cairo_set_source_rgb(cr, 0, 0, 0);
			s = xasprintf("启用参考号 %s", c->activation_ref);
			text(le, s, 130 * MM, ay + q + 2 * MM, 0, 9);
			free(s);
		}
		y = ay + 60 * MM;
	}

	/* instructions (manual items 15, 16, 37, 40) */
	text(le, activate ? "启用说明" : "领卡说明", 20 * MM, y, body, 12);
	y += 8 * MM;
	if (activate) {
		y = text(le,
			 "1. 本卡为邮寄发放的社会保障卡，须先启用社会保障功能方可使用持卡就医"
			 "等功能。请通过线上服务渠道（扫描右上方二维码）或线下服务网点办理启用，"
			 "办理时提供启用参考号。",
			 20 * MM, y, body, 10.5);
		s = xasprintf("2. 使用金融功能，还须本人携带有效身份证件到%s网点柜面办理激活。",
			      *bank ? bank : "发卡合作银行");
		y = text(le, s, 20 * MM, y, body, 10.5);
		free(s);
		if (!strcmp(c->method, "employer"))
			y = text(le,
				 "3. 用人单位应将本卡发给职工本人；因职工离职等原因未发放的，"
				 "应于领卡后30日内退回社会保障卡合作银行。",
				 20 * MM, y, body, 10.5);
	} else {
		y = text(le,
			 "请本人携带有效身份证件到上述网点领卡。网点将为您启用社会保障功能并激活"
			 "金融功能，领卡后即可使用。",
			 20 * MM, y, body, 10.5);
	}
	text(le, "查询办卡进度或咨询，请拨打北京市社会保障卡统一服务热线 96066。", 20 * MM, y + 4,
	     body, 10.5);
	return 0;
}

int
letters_write_batch(const struct config *cfg, const char *home, const char *path, const char *batch,
		    const struct dispatch_list *items)
{
	struct pdf_sink sink = {{-1, NULL, NULL}, 0};
	struct letter_fonts fonts = {0};
	struct layout *lo = NULL;
	cairo_surface_t *surf = NULL;
	cairo_t *cr = NULL;
	char date[16];
	int r = 0;

	cp_business_date(cp_now(), date, sizeof(date));
	if ((r = fonts_open(config_str(cfg, "dispatch.letter_font"), home, &fonts)) < 0 ||
	    (r = render_load_layout(cfg, home, &lo)) < 0 ||
	    (r = fs_atomic_open(&sink.f, path, 0600)) < 0)
		goto out;
	surf = cairo_pdf_surface_create_for_stream(sink_write, &sink, A4_W, A4_H);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, batch);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "cardpipe dispatch");
	cr = cairo_create(surf);
	{
		struct letter_env le = {cr, &fonts, lo, config_str(cfg, "general.bureau_name"),
					date};

		for (size_t i = 0; i < items->n; i++) {
			if ((r = draw_letter(&le, &items->v[i])) < 0)
				goto out;
			cairo_show_page(cr);
		}
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
	fonts_release(&fonts);
	layout_free(lo);
	/* cairo keeps recently used fonts in static caches; with every object of ours gone,
	 * let it drop them, so that memory checkers see no leak */
	cairo_debug_reset_static_data();
	fs_atomic_abort(&sink.f); /* no-op after the commit */
	return r;
}
