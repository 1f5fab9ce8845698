/*
 * fields.c - bounds and character sets of free-text and code fields (see fields.h). The
 * sets are allow-lists: what a Beijing address, a Chinese or foreign name, a code holds.
 * Anything else (emoji, control and formatting characters, markup-only symbols) is refused
 * rather than carried into cards, letters, manifests and lists.
 */
#include "pipeline/rules/fields.h"

#include "personalization/face/utf8.h"

#include <stdio.h>
#include <string.h>

static int
in(unsigned cp, unsigned lo, unsigned hi)
{
	return cp >= lo && cp <= hi;
}

static int
cjk_ideograph(unsigned cp)
{
	return in(cp, 0x3400, 0x4dbf) ||   /* Extension A */
	       in(cp, 0x4e00, 0x9fff) ||   /* URO */
	       in(cp, 0xf900, 0xfaff) ||   /* compatibility ideographs */
	       in(cp, 0x20000, 0x2fa1f) || /* Extensions B-F, compatibility supplement */
	       in(cp, 0x30000, 0x323af) || /* Extensions G, H */
	       cp == 0x3007;		   /* 〇 */
}

static int
latin_letter(unsigned cp)
{
	return in(cp, 'A', 'Z') || in(cp, 'a', 'z') ||
	       (in(cp, 0xc0, 0xff) && cp != 0xd7 && cp != 0xf7) || /* Latin-1, not × ÷ */
	       in(cp, 0x100, 0x17f);				   /* Latin Extended-A */
}

static int
private_use(unsigned cp)
{
	return in(cp, 0xe000, 0xf8ff) || in(cp, 0xf0000, 0xffffd) || in(cp, 0x100000, 0x10fffd);
}

static int
name_letter(unsigned cp)
{
	return cjk_ideograph(cp) || latin_letter(cp) || private_use(cp);
}

/* 1 if cp may appear in text of class cls (at a position other than the first: a name's
 * first character must be a letter or ideograph). */
static int
text_char_allowed(unsigned cp, enum text_class cls)
{
	switch (cls) {
	case TEXT_NAME:
		return cjk_ideograph(cp) || latin_letter(cp) || private_use(cp) || cp == ' ' ||
		       cp == 0xb7 || cp == '-' || cp == '\'' || cp == '.' || cp == ',';
	case TEXT_LINE:
		/* no '<' '>': nothing that reads as markup where text ends up in HTML */
		return (in(cp, 0x20, 0x7e) && cp != '<' && cp != '>') || latin_letter(cp) ||
		       cp == 0xb7 || in(cp, 0x2010, 0x2027) ||
		       (in(cp, 0x3000, 0x303f) && cp != 0x3030 && cp != 0x303d) ||
		       in(cp, 0xff01, 0xff5e) || cjk_ideograph(cp);
	case TEXT_CODE:
		return in(cp, '0', '9') || in(cp, 'A', 'Z') || in(cp, 'a', 'z') || cp == '-' ||
		       cp == '_';
	}
	return 0;
}

static int
problem(struct text_problem *p, const char *why, unsigned cp, size_t at)
{
	p->why = why;
	p->cp = cp;
	p->at = at;
	return -1;
}

int
text_check(const char *s, enum text_class cls, size_t max_chars, struct text_problem *p)
{
	const char *q = s ? s : "";
	unsigned cp = 0, prev = 0;
	size_t n = 0;
	int r;

	memset(p, 0, sizeof(*p));
	while ((r = utf8_next(&q, &cp)) > 0) {
		n++;
		p->nchars = n;
		if (n > max_chars) {
			p->too_long = 1;
			/* count on, bounded, so the message can say how long it is */
			while (n < 100000 && utf8_next(&q, &cp) > 0)
				n++;
			p->nchars = n;
			return problem(p, "is too long", 0, max_chars + 1);
		}
		if (!text_char_allowed(cp, cls))
			return problem(p, "holds a character that is not allowed", cp, n);
		if (cls == TEXT_NAME && !name_letter(cp) && n == 1)
			return problem(p, "does not start with a letter or a character", cp, n);
		/* a separator follows a letter; only a space may follow '.' or ',' */
		if (cls == TEXT_NAME && !name_letter(cp) && !name_letter(prev) &&
		    !(cp == ' ' && (prev == '.' || prev == ',')))
			return problem(p, "has two separators in a row", cp, n);
		prev = cp;
	}
	if (r < 0) {
		p->bad_utf8 = 1;
		return problem(p, "is not valid UTF-8", 0, n + 1);
	}
	if (n == 0)
		return problem(p, "is empty", 0, 0);
	return 0;
}

/* GB/T 2260: the 16 districts of Beijing (since 2015, when Miyun and Yanqing became
 * districts; 110103 Chongwen and 110104 Xuanwu were merged into 110101/110102 in 2010). */
static const struct {
	const char *code, *name;
} districts[] = {
	{"110101", "东城区"},	{"110102", "西城区"}, {"110105", "朝阳区"},   {"110106", "丰台区"},
	{"110107", "石景山区"}, {"110108", "海淀区"}, {"110109", "门头沟区"}, {"110111", "房山区"},
	{"110112", "通州区"},	{"110113", "顺义区"}, {"110114", "昌平区"},   {"110115", "大兴区"},
	{"110116", "怀柔区"},	{"110117", "平谷区"}, {"110118", "密云区"},   {"110119", "延庆区"},
};

const char *
beijing_district(const char *code)
{
	for (size_t i = 0; code && i < sizeof(districts) / sizeof(districts[0]); i++)
		if (!strcmp(districts[i].code, code))
			return districts[i].name;
	return NULL;
}

/* A bounded, printable rendering of a value for a message (controls as \xNN). */
void
text_shown(const char *s, char *out, size_t outsz)
{
	size_t o = 0, i;

	for (i = 0; i < 40 && s[i] && o + 8 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02X", c);
		else
			out[o++] = (char)c;
	}
	if (s[i]) {
		/* cut short: never end inside a UTF-8 sequence */
		size_t k = o;
		unsigned char lead;

		while (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0x80)
			k--;
		lead = k > 0 ? (unsigned char)out[k - 1] : 0;
		if (lead >= 0xc0 && o - (k - 1) < (lead >= 0xf0 ? 4u : lead >= 0xe0 ? 3u : 2u))
			o = k - 1;
	}
	out[o] = '\0';
	if (s[i] && o + 4 < outsz)
		strcat(out, "...");
}
