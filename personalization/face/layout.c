/*
 * layout.c - the layout template parser (format: docs/layout-format.md). Line-oriented:
 * one element per line, "key=value" options, one optional quoted literal; every error
 * names the file and line. Unknown directives and options are errors, not ignored.
 */
#include "personalization/face/layout.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/utf8.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_LAYOUT_BYTES (1 << 20)
#define MAX_ELEMENTS 512
#define MAX_TOKENS 24

static const char *const field_names[F_COUNT] = {"name",       "ssn", "card_no",
						 "issue_date", "pan", "bank"};

const char *
layout_field_name(enum field_id f)
{
	return (unsigned)f < F_COUNT ? field_names[f] : "?";
}

const char *
layout_side_name(enum layout_side_id s)
{
	return s == SIDE_FRONT ? "front" : "back";
}

static int
field_lookup(const char *s)
{
	for (int i = 0; i < F_COUNT; i++)
		if (!strcmp(s, field_names[i]))
			return i;
	return -1;
}

struct tok {
	char *s;
	int quoted;
};

struct pstate {
	const char *name;
	int line;
	struct layout *lo;
	int side; /* -1 before the first "side" */
	int seen_header;
	int seen_side[SIDE_COUNT];
};

#define PERR(ps, ...) cp_err(CP_ERR_FORMAT, "%s:%d: " __VA_ARGS__)

/* Split one line into tokens; quoted strings keep spaces, \" and \\ escape. Comments
 * start with '#' outside quotes and after whitespace (so "#RRGGBB" colours still work
 * as option values). */
static int
tokenize(struct pstate *ps, char *line, struct tok *toks, int *ntok)
{
	char *p = line;
	int n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (n == MAX_TOKENS)
			return PERR(ps, "more than %d items on one line", ps->name, ps->line,
				    MAX_TOKENS);
		if (*p == '"') {
			char *w = ++p, *start = p;

			for (;;) {
				if (*p == '\0')
					return PERR(ps, "unterminated quoted text", ps->name,
						    ps->line);
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
					*w++ = p[1];
					p += 2;
					continue;
				}
				if (*p == '"')
					break;
				*w++ = *p++;
			}
			*w = '\0';
			p++;
			if (*p != '\0' && *p != ' ' && *p != '\t')
				return PERR(ps, "text after a closing quote", ps->name, ps->line);
			toks[n].s = start;
			toks[n].quoted = 1;
		} else {
			toks[n].s = p;
			toks[n].quoted = 0;
			while (*p && *p != ' ' && *p != '\t')
				p++;
			if (*p)
				*p++ = '\0';
		}
		n++;
		if (!toks[n - 1].quoted && *p == '\0')
			break;
	}
	*ntok = n;
	return 0;
}

static int
parse_num(struct pstate *ps, const char *key, const char *v, double lo, double hi, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (!v[0] || *end || errno || !isfinite(d))
		return PERR(ps, "option '%s': '%s' is not a number", ps->name, ps->line, key, v);
	if (d < lo || d > hi)
		return PERR(ps, "option '%s': %s is out of range %g..%g", ps->name, ps->line, key,
			    v, lo, hi);
	*out = d;
	return 0;
}

static int
parse_color(struct pstate *ps, const char *key, const char *v, uint32_t *out)
{
	unsigned c = 0;

	if (v[0] != '#' || strlen(v) != 7)
		return PERR(ps, "option '%s': colour must be #RRGGBB, got '%s'", ps->name, ps->line,
			    key, v);
	for (int i = 1; i < 7; i++) {
		if (!isxdigit((unsigned char)v[i]))
			return PERR(ps, "option '%s': colour must be #RRGGBB, got '%s'", ps->name,
				    ps->line, key, v);
		c = c * 16 + (unsigned)(isdigit((unsigned char)v[i])
						? v[i] - '0'
						: (tolower((unsigned char)v[i]) - 'a' + 10));
	}
	*out = c;
	return 0;
}

/* Which options each element kind takes (and which it requires). */
enum opt {
	O_X = 1 << 0,
	O_Y = 1 << 1,
	O_W = 1 << 2,
	O_H = 1 << 3,
	O_R = 1 << 4, /* radius */
	O_FILL = 1 << 5,
	O_STROKE = 1 << 6,
	O_STROKEW = 1 << 7,
	O_SIZE = 1 << 8,
	O_MINSIZE = 1 << 9,
	O_FONT = 1 << 10,
	O_ALIGN = 1 << 11,
	O_INK = 1 << 12,
	O_IF = 1 << 13,
	O_COLOR = 1 << 14,
};

static const struct {
	const char *name;
	enum opt bit;
} opt_names[] = {
	{"x", O_X},	      {"y", O_Y},
	{"w", O_W},	      {"h", O_H},
	{"radius", O_R},      {"fill", O_FILL},
	{"stroke", O_STROKE}, {"stroke-width", O_STROKEW},
	{"size", O_SIZE},     {"min-size", O_MINSIZE},
	{"font", O_FONT},     {"align", O_ALIGN},
	{"ink", O_INK},	      {"if", O_IF},
	{"color", O_COLOR},
};

static const struct {
	const char *name;
	enum el_kind kind;
	unsigned allowed, required;
	int literal; /* 1: one quoted text, 2: one field name */
} kinds[] = {
	{"background", EL_BACKGROUND, O_FILL | O_IF, O_FILL, 0},
	{"rect", EL_RECT, O_X | O_Y | O_W | O_H | O_R | O_FILL | O_STROKE | O_STROKEW | O_IF,
	 O_X | O_Y | O_W | O_H, 0},
	{"ellipse", EL_ELLIPSE, O_X | O_Y | O_W | O_H | O_FILL | O_STROKE | O_STROKEW | O_IF,
	 O_X | O_Y | O_W | O_H, 0},
	{"star", EL_STAR, O_X | O_Y | O_R | O_FILL | O_IF, O_X | O_Y | O_R | O_FILL, 0},
	{"text", EL_TEXT, O_X | O_Y | O_W | O_SIZE | O_FONT | O_ALIGN | O_INK | O_IF | O_COLOR,
	 O_X | O_Y | O_SIZE, 1},
	{"field", EL_FIELD,
	 O_X | O_Y | O_W | O_SIZE | O_MINSIZE | O_FONT | O_ALIGN | O_INK | O_IF | O_COLOR,
	 O_X | O_Y | O_SIZE, 2},
	{"photo", EL_PHOTO, O_X | O_Y | O_W | O_H | O_IF, O_X | O_Y | O_W | O_H, 0},
	/* no if=: the composer draws the printer's windows once, into the artwork */
	{"chip", EL_CHIP, O_X | O_Y | O_W | O_H | O_R, O_X | O_Y | O_W | O_H, 0},
	{"no-overlay", EL_NOOVERLAY, O_X | O_Y | O_W | O_H | O_R, O_X | O_Y | O_W | O_H, 0},
};

static int
font_lookup(const struct layout *lo, const char *name)
{
	for (int i = 0; i < lo->nfonts; i++)
		if (!strcmp(lo->font_name[i], name))
			return i;
	return -1;
}

/* A token without '=': the element's quoted text (text) or field name (field). */
static int
parse_literal(struct pstate *ps, int k, const struct tok *t, struct layout_el *el,
	      int *have_literal)
{
	int r;

	if (kinds[k].literal == 1 && t->quoted && !*have_literal) {
		const char *p = t->s;
		unsigned cp;

		while ((r = utf8_next(&p, &cp)) > 0)
			;
		if (r < 0)
			return cp_err_wrap(r, "%s:%d: ", ps->name, ps->line);
		if (!t->s[0])
			return PERR(ps, "empty text", ps->name, ps->line);
		el->text = t->s;
		*have_literal = 1;
		return 0;
	}
	if (kinds[k].literal == 2 && !t->quoted && !*have_literal) {
		int f = field_lookup(t->s);

		if (f < 0)
			return PERR(ps,
				    "unknown field '%s' (name, ssn, card_no, "
				    "issue_date, pan, bank)",
				    ps->name, ps->line, t->s);
		el->field = (enum field_id)f;
		*have_literal = 1;
		return 0;
	}
	return PERR(ps, "unexpected '%s' (options are key=value)", ps->name, ps->line, t->s);
}

/* The value v of option key (its bit): into el. */
static int
parse_option(struct pstate *ps, const char *key, const char *v, unsigned bit, struct layout_el *el,
	     int *is_black)
{
	int r = 0;

	switch (bit) {
	case O_X: r = parse_num(ps, key, v, -10, 200, &el->x); break;
	case O_Y: r = parse_num(ps, key, v, -10, 200, &el->y); break;
	case O_W: r = parse_num(ps, key, v, 0.01, 200, &el->w); break;
	case O_H: r = parse_num(ps, key, v, 0.01, 200, &el->h); break;
	case O_R: r = parse_num(ps, key, v, el->kind == EL_STAR ? 0.1 : 0, 100, &el->radius); break;
	case O_STROKEW: r = parse_num(ps, key, v, 0.01, 20, &el->stroke_w); break;
	case O_SIZE: r = parse_num(ps, key, v, 2, 72, &el->size); break;
	case O_MINSIZE: r = parse_num(ps, key, v, 2, 72, &el->min_size); break;
	case O_FILL:
	case O_COLOR:
		r = parse_color(ps, key, v, &el->fill);
		el->has_fill = 1;
		*is_black = el->fill == 0;
		break;
	case O_STROKE:
		r = parse_color(ps, key, v, &el->stroke);
		el->has_stroke = 1;
		break;
	case O_FONT:
		if ((el->font = font_lookup(ps->lo, v)) < 0)
			return PERR(ps, "font '%s' is not declared (add 'font %s CHAIN')", ps->name,
				    ps->line, v, v);
		break;
	case O_ALIGN:
		if (!strcmp(v, "left"))
			el->align = ALIGN_LEFT;
		else if (!strcmp(v, "center"))
			el->align = ALIGN_CENTER;
		else if (!strcmp(v, "right"))
			el->align = ALIGN_RIGHT;
		else
			return PERR(ps, "align must be left, center or right, got '%s'", ps->name,
				    ps->line, v);
		break;
	case O_INK:
		if (!strcmp(v, "k"))
			el->ink_k = 1;
		else if (!strcmp(v, "color"))
			el->ink_k = 0;
		else
			return PERR(ps, "ink must be k or color, got '%s'", ps->name, ps->line, v);
		break;
	case O_IF:
		if ((el->only_if = field_lookup(v)) < 0)
			return PERR(ps, "if: unknown field '%s'", ps->name, ps->line, v);
		break;
	}
	return r;
}

/* A text or field element: its colour, ink and sizes agree. */
static int
check_text_element(struct pstate *ps, unsigned seen, int is_black, struct layout_el *el)
{
	if (!(seen & O_COLOR))
		el->has_fill = 1, el->fill = 0;
	/* resin black suits black text only: K has no colour */
	if (el->ink_k < 0)
		el->ink_k = is_black;
	else if (el->ink_k == 1 && !is_black)
		return PERR(ps, "ink=k prints black only; colour #%06X needs ink=color", ps->name,
			    ps->line, (unsigned)el->fill);
	if (el->min_size == 0)
		el->min_size = el->size;
	if (el->min_size > el->size)
		return PERR(ps, "min-size %g is larger than size %g", ps->name, ps->line,
			    el->min_size, el->size);
	if (el->min_size < el->size && !(seen & O_W))
		return PERR(ps, "min-size needs w= (the width to fit)", ps->name, ps->line);
	if (el->align != ALIGN_LEFT && !(seen & O_W))
		return PERR(ps, "align=%s needs w=", ps->name, ps->line,
			    el->align == ALIGN_CENTER ? "center" : "right");
	return 0;
}

/* The element as a whole, once every token is read: nothing missing, on the card. */
static int
check_element(struct pstate *ps, int k, unsigned seen, int have_literal, int is_black,
	      struct layout_el *el)
{
	const struct layout *lo = ps->lo;
	int r;

	if ((seen & kinds[k].required) != kinds[k].required) {
		for (size_t j = 0; j < sizeof(opt_names) / sizeof(opt_names[0]); j++)
			if ((kinds[k].required & opt_names[j].bit) && !(seen & opt_names[j].bit))
				return PERR(ps, "'%s' needs option '%s'", ps->name, ps->line,
					    kinds[k].name, opt_names[j].name);
	}
	if (kinds[k].literal == 1 && !have_literal)
		return PERR(ps, "'text' needs a quoted text", ps->name, ps->line);
	if (kinds[k].literal == 2 && !have_literal)
		return PERR(ps,
			    "'field' needs a field name (name, ssn, card_no, issue_date, pan, "
			    "bank)",
			    ps->name, ps->line);
	if ((el->kind == EL_TEXT || el->kind == EL_FIELD) &&
	    (r = check_text_element(ps, seen, is_black, el)) < 0)
		return r;
	if ((el->kind == EL_RECT || el->kind == EL_ELLIPSE) && !el->has_fill && !el->has_stroke)
		return PERR(ps, "'%s' needs fill= or stroke=", ps->name, ps->line, kinds[k].name);
	if (el->kind != EL_BACKGROUND && el->kind != EL_STAR && (seen & O_X) &&
	    (el->x < 0 || el->y < 0 || el->x + el->w > lo->card_w + 0.001 ||
	     el->y + el->h > lo->card_h + 0.001))
		return PERR(ps, "'%s' at (%g, %g) size %g x %g mm lies outside the %g x %g mm card",
			    ps->name, ps->line, kinds[k].name, el->x, el->y, el->w, el->h,
			    lo->card_w, lo->card_h);
	return 0;
}

/* Append el to the current side (its text copied). */
static int
add_element(struct pstate *ps, struct layout_el *el)
{
	struct layout_side *sd;

	if (el->text)
		el->text = xstrdup(el->text);
	sd = &ps->lo->side[ps->side];
	if (sd->n >= MAX_ELEMENTS) {
		free(el->text);
		return PERR(ps, "more than %d elements on one side", ps->name, ps->line,
			    MAX_ELEMENTS);
	}
	sd->els = xrealloc(sd->els, (sd->n + 1) * sizeof(*sd->els));
	sd->els[sd->n++] = *el;
	/* a side whose drawing depends on the card is drawn per card, never reused */
	if (el->kind == EL_FIELD || el->kind == EL_PHOTO || el->only_if >= 0)
		sd->personal = 1;
	return 0;
}

static int
parse_element(struct pstate *ps, int k, struct tok *toks, int ntok)
{
	struct layout_el el;
	unsigned seen = 0;
	int r, have_literal = 0, is_black = 1;

	if (ps->side < 0)
		return PERR(ps, "'%s' before any 'side front' or 'side back'", ps->name, ps->line,
			    kinds[k].name);
	memset(&el, 0, sizeof(el));
	el.kind = kinds[k].kind;
	el.line = ps->line;
	el.only_if = -1;
	el.align = ALIGN_LEFT;
	el.ink_k = -1;
	el.stroke_w = 0.25;
	for (int i = 1; i < ntok; i++) {
		char *eq = toks[i].quoted ? NULL : strchr(toks[i].s, '=');
		const char *key, *v;
		unsigned bit = 0;

		if (!eq) {
			if ((r = parse_literal(ps, k, &toks[i], &el, &have_literal)) < 0)
				return r;
			continue;
		}
		*eq = '\0';
		key = toks[i].s;
		v = eq + 1;
		for (size_t j = 0; j < sizeof(opt_names) / sizeof(opt_names[0]); j++)
			if (!strcmp(key, opt_names[j].name))
				bit = opt_names[j].bit;
		if (!bit || !(kinds[k].allowed & bit))
			return PERR(ps, "'%s' takes no option '%s'", ps->name, ps->line,
				    kinds[k].name, key);
		if (seen & bit)
			return PERR(ps, "option '%s' given twice", ps->name, ps->line, key);
		seen |= bit;
		if ((r = parse_option(ps, key, v, bit, &el, &is_black)) < 0)
			return r;
	}
	if ((r = check_element(ps, k, seen, have_literal, is_black, &el)) < 0)
		return r;
	return add_element(ps, &el);
}

static int
parse_line(struct pstate *ps, char *line)
{
	struct tok toks[MAX_TOKENS];
	struct layout *lo = ps->lo;
	int ntok = 0, r;

	if ((r = tokenize(ps, line, toks, &ntok)) < 0 || ntok == 0)
		return r;
	if (toks[0].quoted)
		return PERR(ps, "a line must start with a directive", ps->name, ps->line);
	if (!ps->seen_header) {
		if (strcmp(toks[0].s, "cardpipe-layout") != 0 || ntok != 2 ||
		    strcmp(toks[1].s, "1") != 0)
			return PERR(ps, "the first line must be 'cardpipe-layout 1'", ps->name,
				    ps->line);
		ps->seen_header = 1;
		return 0;
	}
	if (!strcmp(toks[0].s, "card")) {
		if (ntok != 3 || ps->side >= 0)
			return PERR(ps, "'card WIDTH HEIGHT' (mm) comes once, before the sides",
				    ps->name, ps->line);
		if ((r = parse_num(ps, "card width", toks[1].s, 40, 150, &lo->card_w)) < 0 ||
		    (r = parse_num(ps, "card height", toks[2].s, 25, 150, &lo->card_h)) < 0)
			return r;
		return 0;
	}
	if (!strcmp(toks[0].s, "font")) {
		if (ntok != 3 || toks[1].quoted || !toks[2].quoted)
			return PERR(ps, "'font NAME \"CHAIN\"' (CHAIN \"\" = card.font)", ps->name,
				    ps->line);
		if (font_lookup(lo, toks[1].s) >= 0)
			return PERR(ps, "font '%s' declared twice", ps->name, ps->line, toks[1].s);
		if (lo->nfonts >= LAYOUT_MAX_FONTS)
			return PERR(ps, "more than %d fonts", ps->name, ps->line, LAYOUT_MAX_FONTS);
		lo->font_name[lo->nfonts] = xstrdup(toks[1].s);
		lo->font_chain[lo->nfonts] = xstrdup(toks[2].s);
		lo->nfonts++;
		return 0;
	}
	if (!strcmp(toks[0].s, "bank")) {
		if (ntok != 3 || toks[1].quoted || !toks[2].quoted || !toks[2].s[0])
			return PERR(ps, "'bank CODE \"display name\"'", ps->name, ps->line);
		if (lo->nbanks >= LAYOUT_MAX_BANKS)
			return PERR(ps, "more than %d banks", ps->name, ps->line, LAYOUT_MAX_BANKS);
		for (int i = 0; i < lo->nbanks; i++)
			if (!strcmp(lo->bank_code[i], toks[1].s))
				return PERR(ps, "bank '%s' given twice", ps->name, ps->line,
					    toks[1].s);
		lo->bank_code[lo->nbanks] = xstrdup(toks[1].s);
		lo->bank_name[lo->nbanks] = xstrdup(toks[2].s);
		lo->nbanks++;
		return 0;
	}
	if (!strcmp(toks[0].s, "side")) {
		int s;

		if (ntok != 2 || (strcmp(toks[1].s, "front") && strcmp(toks[1].s, "back")))
			return PERR(ps, "'side front' or 'side back'", ps->name, ps->line);
		s = !strcmp(toks[1].s, "front") ? SIDE_FRONT : SIDE_BACK;
		if (ps->seen_side[s])
			return PERR(ps, "side '%s' given twice", ps->name, ps->line, toks[1].s);
		ps->seen_side[s] = 1;
		ps->side = s;
		return 0;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(toks[0].s, kinds[k].name))
			return parse_element(ps, (int)k, toks, ntok);
	return PERR(ps, "unknown directive '%s'", ps->name, ps->line, toks[0].s);
}

void
layout_free(struct layout *lo)
{
	if (!lo)
		return;
	for (int s = 0; s < SIDE_COUNT; s++) {
		for (size_t i = 0; i < lo->side[s].n; i++)
			free(lo->side[s].els[i].text);
		free(lo->side[s].els);
	}
	for (int i = 0; i < lo->nfonts; i++) {
		free(lo->font_name[i]);
		free(lo->font_chain[i]);
	}
	for (int i = 0; i < lo->nbanks; i++) {
		free(lo->bank_code[i]);
		free(lo->bank_name[i]);
	}
	free(lo->path);
	free(lo);
}

int
layout_parse(const char *text, size_t len, const char *name, struct layout **out)
{
	struct layout *lo = xcalloc(1, sizeof(*lo));
	struct pstate ps = {name, 0, lo, -1, 0, {0, 0}};
	const char *p = text, *end = text + len;
	int r = 0;

	*out = NULL;
	lo->path = xstrdup(name);
	lo->crc = crc32(0L, (const unsigned char *)text, (uInt)len);
	lo->card_w = 85.60;
	lo->card_h = 53.98;
	/* the configured chain is always there, as font "default" */
	lo->font_name[0] = xstrdup("default");
	lo->font_chain[0] = xstrdup("");
	lo->nfonts = 1;
	if (memchr(text, '\0', len)) {
		r = cp_err(CP_ERR_FORMAT, "%s: contains a NUL byte", name);
		goto out;
	}
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, n);

		ps.line++;
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (ps.line == 1 && (unsigned char)line[0] == 0xef &&
		    (unsigned char)line[1] == 0xbb && (unsigned char)line[2] == 0xbf)
			memmove(line, line + 3, strlen(line + 3) + 1); /* UTF-8 BOM */
		r = parse_line(&ps, line);
		free(line);
		p = nl ? nl + 1 : end;
	}
	if (r == 0 && !ps.seen_header)
		r = cp_err(CP_ERR_FORMAT, "%s: empty layout (needs 'cardpipe-layout 1')", name);
	for (int s = 0; r == 0 && s < SIDE_COUNT; s++)
		if (lo->side[s].n == 0)
			r = cp_err(CP_ERR_FORMAT, "%s: side '%s' is missing or empty", name,
				   layout_side_name((enum layout_side_id)s));
	if (r == 0) {
		int photos = 0;

		for (int s = 0; s < SIDE_COUNT; s++)
			for (size_t i = 0; i < lo->side[s].n; i++)
				photos += lo->side[s].els[i].kind == EL_PHOTO;
		if (photos > 1)
			r = cp_err(CP_ERR_FORMAT, "%s: more than one photo box", name);
	}
out:
	if (r < 0) {
		layout_free(lo);
		return r;
	}
	*out = lo;
	return 0;
}

int
layout_load(const char *path, struct layout **out)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = fs_read_file(path, MAX_LAYOUT_BYTES, &data, &len)) < 0)
		return cp_err_wrap(r, "layout '%s': ", path);
	r = layout_parse((const char *)data, len, path, out);
	free(data);
	return r;
}

const char *
layout_bank_name(const struct layout *lo, const char *code)
{
	for (int i = 0; i < lo->nbanks; i++)
		if (!strcmp(lo->bank_code[i], code))
			return lo->bank_name[i];
	return code;
}

/* The shipped layout, found where every shipped data file is (fs_find_data). */
int
layout_find_shipped(char **path)
{
	char tried[4 * 4096 + 32];

	*path = fs_find_data("layout/default.layout", tried, sizeof(tried));
	if (!*path)
		return cp_err(CP_ERR_NOTFOUND,
			      "no card-face layout found (tried %s); set "
			      "render.layout",
			      tried);
	return 0;
}
