/*
 * fonts.c - the font chain over FreeType: resolving a chain's entries to font files and
 * faces (TTC face selection included; the card's and the carrier letters'), opening the
 * card's fonts, coverage checks for prepare, and a per-fontset glyph cache for
 * render (one rasterisation per glyph and size, however many cards share it).
 */
#include "personalization/face/fonts.h"

#include "core/err.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "personalization/face/utf8.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FONT_DIR "/usr/share/fonts"
#define MAX_FONTS 16

/* The installed defaults, in chain order: Noto CJK SC for the common repertoire, HanaMin
 * for what Noto lacks in CJK extensions A..F. */
static const char *const default_chain[] = {
	"NotoSansCJK-Regular.ttc",
	"NotoSerifCJK-Regular.ttc",
	"HanaMinA.ttf",
	"HanaMinB.ttf",
};

struct font {
	FT_Face face;
	char *desc;
	long cur_px26; /* size last set on the face */
};

struct gslot {
	uint64_t key; /* 0 = empty */
	struct glyph g;
};

struct fontset {
	FT_Library lib;
	struct font fonts[MAX_FONTS];
	int n;
	struct gslot *cache;
	size_t cache_cap, cache_used;
};

static pthread_mutex_t find_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *find_name;
static char *find_result;

static int
find_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (type == FTW_F && strcmp(path + ftw->base, find_name) == 0) {
		find_result = xstrdup(path);
		return 1;
	}
	return 0;
}

/* Locate a bare file name under /usr/share/fonts (first match in directory-walk order;
 * the walk order is the file system's, so ambiguous names should be given as paths). */
static char *
find_font_file(const char *name)
{
	static const char *const dirs[] = {FONT_DIR "/opentype/noto", FONT_DIR "/truetype/hanazono",
					   FONT_DIR "/truetype/noto"};
	char *p, *res;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		p = fs_join(dirs[i], name);
		if (fs_exists(p))
			return p;
		free(p);
	}
	/* nftw has no user pointer: its callback state is global, so the walk is serialised */
	pthread_mutex_lock(&find_lock);
	find_name = name;
	find_result = NULL;
	nftw(FONT_DIR, find_cb, 16, FTW_PHYS);
	res = find_result;
	find_result = NULL;
	pthread_mutex_unlock(&find_lock);
	return res;
}

/* "file#N": N (0..255) into *index and the '#' cut off; -1 without one. */
static int
cut_face_index(char *path, const char *entry, long *index)
{
	char *hash = strrchr(path, '#'), *end;

	*index = -1;
	if (!hash)
		return 0;
	*hash = '\0';
	*index = strtol(hash + 1, &end, 10);
	if (hash[1] == '\0' || *end != '\0' || *index < 0 || *index > 255)
		return cp_err(CP_ERR_CONFIG, "font '%s': face index after '#' must be 0..255",
			      entry);
	return 0;
}

/* The face of a collection to use: its Simplified Chinese one (family name ending in
 * " SC", not a Mono one), else face 0. */
static int
default_face(FT_Library lib, const char *path, long *index)
{
	FT_Face face;
	FT_Error e;
	long nfaces;

	if ((e = FT_New_Face(lib, path, -1, &face)) != 0)
		return cp_err(CP_ERR_CONFIG, "font '%s': not a font FreeType can read (error %d)",
			      path, e);
	nfaces = face->num_faces;
	FT_Done_Face(face);
	*index = 0;
	for (long i = 0; nfaces > 1 && i < nfaces; i++) {
		FT_Face f;
		size_t fl;

		if (FT_New_Face(lib, path, i, &f) != 0)
			continue;
		fl = f->family_name ? strlen(f->family_name) : 0;
		int sc = fl > 3 && strcmp(f->family_name + fl - 3, " SC") == 0 &&
			 !strstr(f->family_name, "Mono");
		FT_Done_Face(f);
		if (sc) {
			*index = i;
			break;
		}
	}
	return 0;
}

/* One entry of a chain to its file (*path, malloc'd, set as soon as it is known) and face. */
static int
resolve_entry(FT_Library lib, const char *entry, const struct font_chain_rules *rules, char **path,
	      long *index)
{
	char *p = xstrdup(entry);
	int r;

	*path = NULL;
	*index = -1;
	if (!rules->base && (r = cut_face_index(p, entry, index)) < 0) {
		free(p);
		return r;
	}
	if (rules->base && p[0] != '/') {
		*path = fs_join(rules->base, p);
		free(p);
	} else if (!rules->base && !strchr(p, '/')) {
		*path = find_font_file(p);
		if (!*path) {
			r = cp_err(CP_ERR_CONFIG, "font '%s' not found under %s", p, FONT_DIR);
			free(p);
			return r;
		}
		free(p);
	} else
		*path = p;
	if (!fs_exists(*path))
		return cp_err(CP_ERR_CONFIG, "font file '%s' does not exist", *path);
	return *index < 0 ? default_face(lib, *path, index) : 0;
}

static int
chain_walk(FT_Library lib, const char *chain, const struct font_chain_rules *rules,
	   font_chain_fn fn, void *ctx)
{
	char *copy = xstrdup(chain ? chain : ""), *save = NULL, *path;
	long index;
	int n = 0, r = 0;

	for (char *tok = strtok_r(copy, ":", &save); tok && r == 0;
	     tok = strtok_r(NULL, ":", &save)) {
		r = resolve_entry(lib, tok, rules, &path, &index);
		r = fn(ctx, path, index, r);
		free(path);
		n++;
	}
	free(copy);
	return r < 0 ? r : n;
}

int
font_chain_walk(const char *chain, const struct font_chain_rules *rules, font_chain_fn fn,
		void *ctx)
{
	FT_Library lib;
	int r;

	if (FT_Init_FreeType(&lib) != 0)
		return cp_err(CP_ERR_UNSUPPORTED, "FreeType could not start");
	r = chain_walk(lib, chain, rules, fn, ctx);
	FT_Done_FreeType(lib);
	return r;
}

/* font_chain_fn of fontset_open(): the face joins the set. */
static int
add_face(void *ctx, const char *path, long index, int r)
{
	struct fontset *fs = ctx;
	FT_Face face = NULL;
	FT_Error e;

	if (fs->n >= MAX_FONTS)
		return cp_err(CP_ERR_LIMIT, "font chain: more than %d fonts", MAX_FONTS);
	if (r < 0)
		return r;
	if ((e = FT_New_Face(fs->lib, path, index, &face)) != 0)
		return cp_err(CP_ERR_CONFIG,
			      "font '%s' face %ld: FreeType cannot open it (error %d)", path, index,
			      e);
	if (!FT_IS_SCALABLE(face) || FT_Select_Charmap(face, FT_ENCODING_UNICODE) != 0) {
		FT_Done_Face(face);
		return cp_err(CP_ERR_CONFIG, "font '%s': not a scalable font with a Unicode cmap",
			      path);
	}
	fs->fonts[fs->n].face = face;
	fs->fonts[fs->n].desc = xasprintf("%s#%ld (%s %s)", path, index,
					  face->family_name ? face->family_name : "?",
					  face->style_name ? face->style_name : "");
	fs->fonts[fs->n].cur_px26 = 0;
	fs->n++;
	return 0;
}

int
fontset_open(const char *chain, struct fontset **out)
{
	static const struct font_chain_rules card = {NULL};
	struct fontset *fs = xcalloc(1, sizeof(*fs));
	int r = 0;

	*out = NULL;
	if (FT_Init_FreeType(&fs->lib) != 0) {
		free(fs);
		return cp_err(CP_ERR_UNSUPPORTED, "FreeType could not start");
	}
	if (!chain || !chain[0]) {
		for (size_t i = 0; i < ARRAY_SIZE(default_chain); i++) {
			/* a default that is not installed is skipped; the chain must not be empty */
			if (chain_walk(fs->lib, default_chain[i], &card, add_face, fs) < 0)
				cp_err_clear();
		}
		if (fs->n == 0)
			r = cp_err(
				CP_ERR_CONFIG,
				"no card font installed: none of Noto CJK, HanaMinA, HanaMinB was "
				"found under %s (install fonts-noto-cjk and fonts-hanazono, or set "
				"card.font)",
				FONT_DIR);
	} else if ((r = chain_walk(fs->lib, chain, &card, add_face, fs)) == 0) {
		r = cp_err(CP_ERR_CONFIG, "font chain '%s' names no font", chain);
	}
	if (r < 0) {
		fontset_free(fs);
		return r;
	}
	*out = fs;
	return 0;
}

void
fontset_free(struct fontset *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->cache_cap; i++)
		free(fs->cache[i].g.coverage);
	free(fs->cache);
	for (int i = 0; i < fs->n; i++) {
		FT_Done_Face(fs->fonts[i].face);
		free(fs->fonts[i].desc);
	}
	FT_Done_FreeType(fs->lib);
	free(fs);
}

int
font_cp_ignorable(unsigned cp)
{
	return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

static int
cp_control(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Index of the first font with a glyph for cp, or -1. */
static int
font_for(struct fontset *fs, unsigned cp, unsigned *gid)
{
	if (cp_control(cp))
		return -1;
	for (int i = 0; i < fs->n; i++) {
		FT_UInt g = FT_Get_Char_Index(fs->fonts[i].face, cp);

		if (g != 0) {
			*gid = g;
			return i;
		}
	}
	return -1;
}

int
fontset_covers(struct fontset *fs, const char *utf8, unsigned *missing)
{
	const char *p = utf8 ? utf8 : ""; /* no text: nothing that cannot be drawn */
	unsigned cp, gid;
	int r;

	while ((r = utf8_next(&p, &cp)) > 0) {
		if (font_cp_ignorable(cp))
			continue;
		if (font_for(fs, cp, &gid) < 0) {
			if (missing)
				*missing = cp;
			return 0;
		}
	}
	return r < 0 ? r : 1;
}

static uint64_t
glyph_key(int font, unsigned gid, long px26)
{
	/* font 4 bits | glyph id 24 bits | size 32 bits, +1 so that no key is 0 */
	return (((uint64_t)font & 0xf) << 60 | ((uint64_t)gid & 0xffffff) << 32 |
		((uint64_t)px26 & 0xffffffff)) +
	       1;
}

static struct gslot *
cache_slot(struct fontset *fs, uint64_t key)
{
	size_t mask = fs->cache_cap - 1, i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & mask;

	while (fs->cache[i].key != 0 && fs->cache[i].key != key)
		i = (i + 1) & mask;
	return &fs->cache[i];
}

static void
cache_grow(struct fontset *fs)
{
	struct gslot *old = fs->cache;
	size_t oldcap = fs->cache_cap;

	fs->cache_cap = oldcap ? oldcap * 2 : 256;
	fs->cache = xcalloc(fs->cache_cap, sizeof(*fs->cache));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*cache_slot(fs, old[i].key) = old[i];
	free(old);
}

int
fontset_glyph(struct fontset *fs, unsigned cp, long px26, const struct glyph **out)
{
	unsigned gid = 0;
	int fi = font_for(fs, cp, &gid);
	struct gslot *slot;
	struct font *f;
	FT_GlyphSlot gs;
	FT_Error e;

	if (fi < 0)
		return cp_err(CP_ERR_NOTFOUND, "no font of the chain has U+%04X", cp);
	if (fs->cache_used * 2 >= fs->cache_cap)
		cache_grow(fs);
	uint64_t key = glyph_key(fi, gid, px26);

	slot = cache_slot(fs, key);
	if (slot->key == key) {
		*out = &slot->g;
		return 0;
	}
	f = &fs->fonts[fi];
	if (f->cur_px26 != px26) {
		if ((e = FT_Set_Char_Size(f->face, 0, px26, 72, 72)) != 0)
			return cp_err(CP_ERR_INVALID, "font size %.2f px rejected by %s (error %d)",
				      px26 / 64.0, f->desc, e);
		f->cur_px26 = px26;
	}
	/* light hinting keeps CJK strokes crisp at card sizes and is deterministic */
	if ((e = FT_Load_Glyph(f->face, gid, FT_LOAD_TARGET_LIGHT)) != 0 ||
	    (e = FT_Render_Glyph(f->face->glyph, FT_RENDER_MODE_LIGHT)) != 0)
		return cp_err(CP_ERR_INVALID,
			      "U+%04X: FreeType could not render it from %s (error %d)", cp,
			      f->desc, e);
	gs = f->face->glyph;
	slot->key = key;
	slot->g.width = (int)gs->bitmap.width;
	slot->g.rows = (int)gs->bitmap.rows;
	slot->g.left = gs->bitmap_left;
	slot->g.top = gs->bitmap_top;
	slot->g.advance = gs->advance.x;
	slot->g.coverage = NULL;
	if (slot->g.width > 0 && slot->g.rows > 0) {
		slot->g.coverage = xmalloc((size_t)slot->g.width * (size_t)slot->g.rows);
		for (int y = 0; y < slot->g.rows; y++)
			memcpy(slot->g.coverage + (size_t)y * (size_t)slot->g.width,
			       gs->bitmap.buffer + (ptrdiff_t)y * gs->bitmap.pitch,
			       (size_t)slot->g.width);
	}
	fs->cache_used++;
	*out = &slot->g;
	return 0;
}

const char *
fontset_describe(const struct fontset *fs, int i)
{
	return (i >= 0 && i < fs->n) ? fs->fonts[i].desc : "";
}
